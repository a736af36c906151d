"""The shared training loop: determinism, resume, early stopping, NaN handling."""
import numpy as np
import pytest

from latentdims.models.dense_vae import DenseVAE, DenseVAEConfig
from latentdims.models.training import TrainConfig, train

X = (np.random.default_rng(0).standard_normal((600, 3)) * [1.0, 0.5, 0.1]).astype("float32")
CFG = TrainConfig(epochs=4, batch_size=50, learning_rate=1e-2, monitor="val_loss")


def _model(seed=1):
    return DenseVAE(DenseVAEConfig(3, 2, hidden=(8,), seed=seed), beta=0.3)


def _weights(model):
    return [np.asarray(v.numpy()) for v in model.variables]


def test_same_seed_same_weights():
    a, b = _model(), _model()
    train(a, X[:500], valid_data=X[500:], config=CFG, seed=3, progress=False)
    train(b, X[:500], valid_data=X[500:], config=CFG, seed=3, progress=False)
    for wa, wb in zip(_weights(a), _weights(b)):
        np.testing.assert_array_equal(wa, wb)


def test_resume_after_interruption_matches_uninterrupted(tmp_path):
    ref = _model()
    r_ref = train(ref, X[:500], valid_data=X[500:], config=CFG, seed=3, progress=False,
                  checkpoint_dir=tmp_path / "ref")

    class Killed(Exception):
        pass

    def kill_after_epoch_1(epoch, model, logs):
        if epoch == 2:   # dies during epoch 2's bookkeeping: the last checkpoint is epoch 1's
            raise Killed

    first = _model()
    with pytest.raises(Killed):
        train(first, X[:500], valid_data=X[500:], config=CFG, seed=3, progress=False,
              checkpoint_dir=tmp_path / "run", on_epoch_end=kill_after_epoch_1)
    resumed = _model()
    r = train(resumed, X[:500], valid_data=X[500:], config=CFG, seed=3, progress=False,
              checkpoint_dir=tmp_path / "run")
    assert r.resumed_from_epoch == 1
    assert [h["epoch"] for h in r.history] == [0, 1, 2, 3]
    for wa, wb in zip(_weights(ref), _weights(resumed)):
        np.testing.assert_allclose(wa, wb, rtol=0, atol=0)
    assert r.history[-1]["val_loss"] == pytest.approx(r_ref.history[-1]["val_loss"], rel=1e-12)
    # a finished run returns at once with its history
    again = train(_model(), X[:500], valid_data=X[500:], config=CFG, seed=3, progress=False,
                  checkpoint_dir=tmp_path / "run")
    assert again.epochs_run == 4


def test_early_stopping_and_lr_reduction():
    # a learning rate of ~0 cannot improve the loss: patience runs out
    cfg = TrainConfig(epochs=20, batch_size=50, learning_rate=1e-12, monitor="loss",
                      early_stopping_patience=3, lr_patience=2, min_delta=1.0)
    r = train(_model(), X, config=cfg, seed=0, progress=False)
    assert r.stopped_early and r.epochs_run == 4
    assert r.history[-1]["lr"] < 1e-12


class _Exploding(DenseVAE):
    """Returns a NaN loss on the first few calls of train_step, then behaves."""
    def __init__(self, *a, n_bad=1, **k):
        super().__init__(*a, **k)
        import tensorflow as tf
        # kept outside the model's variables, so reloading a checkpoint does not reset it
        self._counter = {"calls": tf.Variable(0.0, trainable=False)}
        self.n_bad = n_bad

    def train_step(self, x):
        import tensorflow as tf
        logs = super().train_step(x)
        calls = self._counter["calls"]
        calls.assign_add(1.0)
        bad = calls <= self.n_bad
        return {**logs, "loss": tf.where(bad, tf.constant(float("nan")), logs["loss"])}


def test_nan_raises_with_step_number():
    with pytest.raises(FloatingPointError, match=r"epoch 0, step 0"):
        train(_Exploding(DenseVAEConfig(3, 2, hidden=(8,)), n_bad=1), X, config=TrainConfig(
            epochs=2, batch_size=100, monitor="loss"), progress=False)


def test_nan_recovery_reloads_and_lowers_lr():
    cfg = TrainConfig(epochs=2, batch_size=100, learning_rate=1e-3, monitor="loss",
                      max_nan_recoveries=2, nan_lr_factor=0.5)
    r = train(_Exploding(DenseVAEConfig(3, 2, hidden=(8,)), n_bad=1), X, config=cfg, progress=False)
    assert r.nan_recoveries == 1
    assert r.history[0]["lr"] == pytest.approx(5e-4)
    assert np.isfinite(r.history[-1]["loss"])
    with pytest.raises(FloatingPointError, match="after 2 recoveries"):
        train(_Exploding(DenseVAEConfig(3, 2, hidden=(8,)), n_bad=1000), X, config=cfg, progress=False)


@pytest.mark.parametrize("bad, match", [
    (dict(epochs=0), "epochs"), (dict(batch_size=-1), "batch_size"), (dict(learning_rate=0.0), "learning_rate"),
])
def test_config_validation(bad, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**{"epochs": 1, "batch_size": 1, **bad})


def test_unknown_monitor_is_a_clear_error():
    with pytest.raises(KeyError, match="val_loss"):
        train(_model(), X, config=TrainConfig(epochs=1, batch_size=100), progress=False)


def test_repeated_calls_reuse_the_traced_steps():
    """A second train() on the same model (the next beta step) does not trace its steps again."""
    from latentdims.models.training import step_function

    model = _model()
    one_epoch = TrainConfig(epochs=1, batch_size=50, learning_rate=1e-2, monitor="val_loss")
    train(model, X[:500], valid_data=X[500:], config=one_epoch, seed=3, progress=False)
    fn = step_function(model, "train_step")
    traced = fn.experimental_get_tracing_count()
    train(model, X[:500], valid_data=X[500:], config=one_epoch, seed=4, progress=False)
    assert step_function(model, "train_step") is fn
    assert fn.experimental_get_tracing_count() == traced
    assert step_function(model, "train_step", jit_compile=True) is not fn


# --- XLA-compiled steps (what train() runs where TensorFlow sees a GPU) --------------------------
def test_memory_growth_without_a_gpu_is_a_no_op():
    import warnings

    import tensorflow as tf

    import latentdims.models  # noqa: F401  (the import that sets it)
    from latentdims.models.devices import allow_memory_growth, gpu_available, gpus

    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no warning, no error, called any number of times
        names = allow_memory_growth()
        assert allow_memory_growth() == names
    assert names == [g.name for g in gpus()]
    assert gpu_available() == bool(names)
    for gpu in gpus():                           # only where there is one
        assert tf.config.experimental.get_memory_growth(gpu)
    if not gpu_available():
        assert names == []


def test_xla_steps_follow_the_config_and_the_device(monkeypatch):
    from latentdims.models.devices import gpu_available
    from latentdims.models.training import xla_steps

    assert xla_steps(True) is True
    assert xla_steps(False) is gpu_available()
    monkeypatch.setenv("LATENTDIMS_GPU_XLA", "0")
    assert xla_steps(False) is False and xla_steps(True) is True
    with pytest.raises(TypeError, match="xla_steps: `jit_compile` must be True or False"):
        xla_steps("auto")


def _trained_twice(make, log_var_head, data, config):
    """The same initial weights trained with plain and with XLA-compiled steps.

    XLA's stateless random kernels use another algorithm than the plain ones (other numbers for
    the same seed), so the posterior's noise is made negligible for the comparison: the
    log-variance heads' biases start at -30 (sigma ~ 3e-7) in both runs; everything else (the
    Sinkhorn or the Bernoulli likelihood, the KL terms, their gradients, Adam) is compared.
    """
    import dataclasses

    from latentdims.models.training import step_function

    start = make().ensure_built()
    bias = log_var_head(start).bias
    bias.assign(np.full(bias.shape, -30.0, dtype="float32"))
    initial = _weights(start)
    out = {}
    for jit in (False, True):
        model = make().ensure_built()
        for v, w in zip(model.variables, initial):
            v.assign(w)
        result = train(model, data, config=dataclasses.replace(config, jit_compile=jit), seed=0,
                       progress=False)
        if jit:          # train() ran the XLA-compiled step, not another one
            assert step_function(model, "train_step", jit_compile=True) \
                .experimental_get_tracing_count() == 1
        out[jit] = (result.history, _weights(model))
    return initial, out


def _check_compiled_matches_plain(initial, out, rtol):
    (plain_hist, plain_w), (xla_hist, xla_w) = out[False], out[True]
    for history in (plain_hist, xla_hist):
        assert all(np.isfinite(h["loss"]) for h in history)
    assert xla_hist[-1]["loss"] == pytest.approx(plain_hist[-1]["loss"], rel=rtol)
    changed = [not np.array_equal(w0, w) for w0, w in zip(initial, xla_w)]
    assert sum(changed) >= len(initial) // 2, "the XLA steps left most weights unchanged"
    # Adam divides by the gradients' magnitude, so an entry whose gradient is about 0 (a ReLU
    # off for the whole batch) may step either way on rounding: the weights are compared as a
    # whole, within rtol of the distance training moved them.
    flat = [np.concatenate([w.ravel() for w in ws]) for ws in (initial, plain_w, xla_w)]
    moved = np.linalg.norm(flat[1] - flat[0])
    assert np.linalg.norm(flat[2] - flat[1]) <= rtol * moved    # measured: 2e-7 (jet), 1e-4 (conv)


def test_jet_vae_train_step_compiles_with_xla_on_the_cpu(monkeypatch):
    """The EMD-VAE's step under the caller's jit_compile: Sinkhorn, its explicit gradient and
    the Cholesky inside one XLA cluster, as on a GPU (slow on a CPU, so a tiny model)."""
    monkeypatch.setenv("LATENTDIMS_GPU_XLA", "0")      # the plain run stays plain on a GPU too
    from latentdims.maths.sinkhorn import toy_two_prong_jets
    from latentdims.models.jet_vae import JetVAE, JetVAEConfig, jet_batch

    jets = toy_two_prong_jets(16, 8, min_particles=4, seed=0)
    data = jet_batch(jets[..., 0], jets[..., 1:])
    config = JetVAEConfig(n_particles=8, latent_dim=3, pfn_widths=(8,), encoder_widths=(8,),
                          decoder_widths=(8,), n_eps=3, iters_per_eps=5, seed=0)
    cfg = TrainConfig(epochs=1, batch_size=8, steps_per_epoch=2, learning_rate=1e-2,
                      monitor="loss")
    initial, out = _trained_twice(lambda: JetVAE(config, beta_hat=0.5),
                                  lambda model: model.log_var_head, data, cfg)
    _check_compiled_matches_plain(initial, out, rtol=1e-3)


def test_thesis_conv_vae_train_step_compiles_with_xla_on_the_cpu(monkeypatch):
    monkeypatch.setenv("LATENTDIMS_GPU_XLA", "0")      # the plain run stays plain on a GPU too
    from latentdims.data.images import load_image_dataset
    from latentdims.models import make_model

    images = load_image_dataset("dsprites", n=16, seed=0).images
    cfg = TrainConfig(epochs=1, batch_size=8, steps_per_epoch=2, learning_rate=1e-3,
                      monitor="loss", adam_epsilon=1e-8)
    initial, out = _trained_twice(
        lambda: make_model("beta_vae", beta=4.0, latent_dim=4, architecture="conv", seed=0),
        lambda model: model.encoder.log_var_head, images, cfg)
    _check_compiled_matches_plain(initial, out, rtol=1e-2)
