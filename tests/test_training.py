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
