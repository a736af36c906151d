"""The thesis' VAE family: objectives on hand-checkable cases, architectures, representations,
resume through the project's loop, the cached training entry point, and clear errors."""
import doctest
import pickle

import numpy as np
import pytest
from scipy.stats import norm

from latentdims.models import architectures, ivae as ivae_module, objectives
from latentdims.models.factor_vae import FactorVAE, FactorVAEConfig, shuffle_dimensions
from latentdims.models.ivae import IVAE, IVAEConfig, auxiliary_from_factors
from latentdims.models.objectives import (annealed_capacity, bernoulli_reconstruction,
                                          dip_covariance, dip_penalty, gaussian_kl,
                                          total_correlation_mws)
from latentdims.models import MODELS, make_model
from latentdims.models.training import TrainConfig, train
from latentdims.core.sweeps import run_sweep
from latentdims.studies import thesis_runs
from latentdims.studies.thesis_runs import (ThesisRun, ThesisSettings, evaluation_data, load_run,
                                            load_snapshot_model, load_snapshots,
                                            regularisation_values, run_data, settings, thesis_run,
                                            train_run)

RNG = np.random.default_rng(0)
IMAGES = (RNG.random((48, 64, 64, 1)) < 0.2).astype("float32")
U = RNG.random((48, 5)).astype("float32")
SMALL = {"factor_vae": {"discriminator_hidden": (32, 32)}, "ivae": {"prior_hidden": (8,)}}


def _model(name, **kw):
    return make_model(name, latent_dim=4, **{**SMALL.get(name, {}), **kw})


def _data(name, n=48):
    return (IMAGES[:n], U[:n]) if name == "ivae" else IMAGES[:n]


def test_doctests():
    for module in (objectives, ivae_module, thesis_runs):
        assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0


# ------------------------------------------------------------------------------ objectives
def test_bernoulli_reconstruction_matches_the_cross_entropy():
    x = RNG.random((3, 64, 64, 2))
    logits = RNG.normal(0, 3, (3, 64, 64, 2))
    p = 1 / (1 + np.exp(-logits))
    expected = -(x * np.log(p) + (1 - x) * np.log(1 - p)).reshape(3, -1).sum(1)
    np.testing.assert_allclose(bernoulli_reconstruction(x, logits), expected, rtol=1e-5)


def test_gaussian_kl_closed_forms():
    mean, log_var = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 3))
    var = np.exp(log_var)
    # Eq 2.19, diagonal case
    np.testing.assert_allclose(gaussian_kl(mean, log_var), 0.5 * (var + mean ** 2 - log_var - 1),
                               rtol=1e-5, atol=1e-6)
    # Eq 5.1, a general diagonal prior
    pm, plv = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 3))
    expected = 0.5 * (var / np.exp(plv) + (pm - mean) ** 2 / np.exp(plv) + plv - log_var - 1)
    np.testing.assert_allclose(gaussian_kl(mean, log_var, pm, plv), expected, rtol=1e-5, atol=1e-6)
    # zero iff the distributions are equal, and positive otherwise
    np.testing.assert_allclose(gaussian_kl(mean, log_var, mean, log_var), 0, atol=1e-6)
    assert np.all(np.asarray(gaussian_kl(mean, log_var)) >= 0)


def test_total_correlation_against_brute_force():
    b, n, size = 4, 3, 1000
    mean, log_var = RNG.normal(size=(b, n)), RNG.normal(-1, 0.5, size=(b, n))
    z = mean + np.exp(0.5 * log_var) * RNG.normal(size=(b, n))
    sd = np.exp(0.5 * log_var)
    tc = 0.0
    for i in range(b):   # Eq 4.29: log q(z) ~ log 1/(N B) sum_k q(z | x_k), and each marginal likewise
        joint = sum(np.prod(norm.pdf(z[i], mean[k], sd[k])) for k in range(b)) / (size * b)
        marginals = [sum(norm.pdf(z[i, j], mean[k, j], sd[k, j]) for k in range(b)) / (size * b)
                     for j in range(n)]
        tc += (np.log(joint) - np.sum(np.log(marginals))) / b
    assert float(total_correlation_mws(z, mean, log_var, dataset_size=size)) == pytest.approx(tc, rel=1e-4)
    # without N the constant (n - 1) log(N B) is dropped (disentanglement_lib's value)
    assert float(total_correlation_mws(z, mean, log_var)) == pytest.approx(
        tc - (n - 1) * np.log(size * b), rel=1e-4, abs=1e-4)


def test_total_correlation_of_independent_codes_is_lower_than_of_dependent_ones():
    # identical dimensions are maximally dependent; independent ones have TC ~ constant
    base = RNG.normal(size=(256, 1))
    dependent = np.repeat(base, 3, axis=1)
    independent = RNG.normal(size=(256, 3))
    lv = np.full((256, 3), np.log(0.01))
    assert float(total_correlation_mws(dependent, dependent, lv)) > \
        float(total_correlation_mws(independent, independent, lv)) + 1.0


def test_dip_covariance_and_penalty_against_numpy():
    mean, log_var = RNG.normal(size=(50, 4)), RNG.normal(size=(50, 4))
    cov = np.cov(mean, rowvar=False, bias=True) + np.diag(np.exp(log_var).mean(0))
    np.testing.assert_allclose(dip_covariance(mean, log_var), cov, rtol=1e-5, atol=1e-6)
    off = np.sum(cov ** 2) - np.sum(np.diag(cov) ** 2)
    diag = np.sum((np.diag(cov) - 1) ** 2)
    penalty, got_off, got_diag = dip_penalty(cov, 2.0, 5.0)
    assert float(got_off) == pytest.approx(off, rel=1e-5)
    assert float(got_diag) == pytest.approx(diag, rel=1e-5)
    assert float(penalty) == pytest.approx(2 * off + 5 * diag, rel=1e-5)
    assert float(dip_penalty(np.eye(4), 1.0, 1.0)[0]) == 0.0   # N(0, I) is not penalised


def test_annealed_capacity_schedule():
    steps = np.array([0, 1, 25_000, 99_999, 100_000, 250_000])
    np.testing.assert_allclose(annealed_capacity(steps, 50.0, 100_000),
                               [0, 5e-4, 12.5, 49.9995, 50, 50], rtol=1e-6)


def test_shuffle_dimensions_permutes_each_column_independently():
    z = np.arange(40, dtype="float32").reshape(10, 4)
    out = np.asarray(shuffle_dimensions(z, [1, 2]))
    for j in range(4):
        assert sorted(out[:, j]) == sorted(z[:, j])
    rows = {tuple(r) for r in z.tolist()}
    assert any(tuple(r) not in rows for r in out.tolist())   # rows are mixed across examples


# --------------------------------------------------------------------- models' objectives
@pytest.mark.parametrize("name", MODELS)
def test_logged_terms_add_up_to_the_loss(name):
    """loss = reconstruction + the objective's regulariser, from the model's own trackers."""
    kw = {"beta_vae": {"beta": 3.0}, "beta_tc_vae": {"beta": 4.0}, "factor_vae": {"gamma": 7.0},
          "dip_vae_ii": {"lambda_od": 2.0, "lambda_d": 3.0}, "ivae": {"beta": 2.0},
          "annealed_vae": {"c_max": 40.0, "gamma": 10.0, "iteration_threshold": 4}}.get(name, {})
    model = _model(name, **kw)
    if name == "annealed_vae":
        model.step.assign(1)   # C = 10 nats
    logs = {k: float(v) for k, v in model.test_step(_data(name, 16)).items()}
    rec, kl = logs["reconstruction"], logs.get("kl", 0.0)
    reg = {"beta_vae": lambda: 3 * kl,
           "beta_tc_vae": lambda: kl + 3 * logs["tc"],
           "factor_vae": lambda: kl + 7 * logs["tc"],
           "dip_vae_ii": lambda: kl + 2 * logs["dip_off_diagonal"] + 3 * logs["dip_diagonal"],
           "annealed_vae": lambda: 10 * abs(kl - 10.0),
           "autoencoder": lambda: 0.0,
           "ivae": lambda: 2 * kl}[name]()
    assert logs["loss"] == pytest.approx(rec + reg, rel=1e-5)
    if name == "annealed_vae":
        assert logs["capacity"] == pytest.approx(10.0)
    if name != "autoencoder":
        assert np.asarray(model.kl_per_latent_values()).sum() == pytest.approx(kl, rel=1e-5)
        assert sum(logs[f"kl_per_latent/{i}"] for i in range(4)) == pytest.approx(kl, rel=1e-5)


@pytest.mark.parametrize("learn_mean", [False, True])
def test_ivae_kl_is_to_the_conditional_prior(learn_mean):
    model = IVAE(IVAEConfig(latent_dim=3, prior_hidden=(8,), learn_prior_mean=learn_mean)).ensure_built()
    x, u = IMAGES[:6], U[:6]
    mean, log_var = (np.asarray(t) for t in model.encode(x, u))
    pm, pvar = model.prior_parameters(u)
    if not learn_mean:
        assert np.all(pm == 0)
    expected = 0.5 * (np.exp(log_var) / pvar + (pm - mean) ** 2 / pvar + np.log(pvar) - log_var - 1)
    np.testing.assert_allclose(model.kl_terms(mean, log_var, u), expected, rtol=1e-4, atol=1e-5)
    # a standard-normal prior would give another value: the prior network is really used
    assert not np.allclose(expected, 0.5 * (np.exp(log_var) + mean ** 2 - log_var - 1), atol=1e-3)


def test_auxiliary_variable_from_factors():
    u = auxiliary_from_factors([[0, 0, 39], [2, 5, 0]], [3, 6, 40])
    np.testing.assert_allclose(u, [[0, 0, 1], [1, 1, 0]])
    with pytest.raises(ValueError, match="must lie in"):
        auxiliary_from_factors([[3, 0, 0]], [3, 6, 40])


def _compiled(model):
    """A model ready for eager train_step calls, as latentdims.models.training.train prepares it."""
    import keras

    model.ensure_built().compile(optimizer=keras.optimizers.Adam(1e-3))
    model.optimizer.build(model.trainable_variables)
    return model


def test_factor_vae_keeps_the_discriminator_apart():
    model = _compiled(FactorVAE(FactorVAEConfig(latent_dim=4, discriminator_hidden=(16,))))
    disc = {id(v) for v in model.discriminator.trainable_variables}
    assert disc and not disc & {id(v) for v in model.trainable_variables}
    # the loop's optimizer holds slots for the VAE only (Adam: two per parameter)
    vae_size = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
    assert sum(int(np.prod(v.shape)) for v in model.optimizer.variables) < 2 * vae_size + 10
    # the discriminator's optimizer state travels with the model's variables (checkpoints)
    state = {id(v) for v in model.discriminator_optimizer.variables}
    assert state <= {id(v) for v in model.variables}
    before = [np.asarray(v) for v in model.discriminator.trainable_variables]
    for _ in range(2):
        model.train_step(IMAGES[:8])
    after = [np.asarray(v) for v in model.discriminator.trainable_variables]
    assert all(not np.array_equal(a, b) for a, b in zip(before, after))
    assert int(model.discriminator_optimizer.iterations) == 2


def test_annealed_vae_counts_its_steps():
    model = _compiled(_model("annealed_vae", c_max=30.0, iteration_threshold=3))
    logs = [model.train_step(IMAGES[:8]) for _ in range(3)]
    assert int(model.step) == 3
    # C(t) at steps t = 0, 1, 2 (the capacity in force when the step's loss was computed)
    model.reset_metrics()
    assert float(model.test_step(IMAGES[:8])["capacity"]) == pytest.approx(30.0)
    assert float(logs[0]["capacity"]) == 0.0


# ------------------------------------------------------------------------- architectures
CONV_SHAPES = {"encoder/1": (32, 32, 32), "encoder/2": (16, 16, 32), "encoder/3": (8, 8, 64),
               "encoder/4": (4, 4, 64), "encoder/5": (1024,), "encoder/6": (256,),
               "mean": (4,), "variance": (4,), "sampled": (4,), "decoder/1": (256,),
               "decoder/2": (4, 4, 64), "decoder/3": (8, 8, 64), "decoder/4": (16, 16, 32),
               "decoder/5": (32, 32, 32)}
FC_SHAPES = {"encoder/1": None, "encoder/2": (1200,), "encoder/3": (1200,), "mean": (4,),
             "variance": (4,), "sampled": (4,), "decoder/1": (1200,), "decoder/2": (1200,),
             "decoder/3": (1200,)}


@pytest.mark.parametrize("architecture", ["conv", "fc"])
@pytest.mark.parametrize("channels", [1, 3])
def test_architecture_shapes(architecture, channels):
    model = make_model("beta_vae", latent_dim=4, channels=channels, architecture=architecture)
    x = RNG.random((3, 64, 64, channels)).astype("float32")
    acts = model.layer_activations(x, batch_size=2)
    expected = dict(CONV_SHAPES if architecture == "conv" else FC_SHAPES)
    if architecture == "fc":
        expected["encoder/1"] = (4096 * channels,)
    last = "decoder/6" if architecture == "conv" else "decoder/4"
    expected[last] = (64, 64, channels)
    assert list(acts) == ["input"] + list(expected)
    for name, shape in expected.items():
        assert acts[name].shape == (3,) + shape, name
    np.testing.assert_array_equal(acts["input"], x)
    # the activations are the model's own computation
    reps = model.representations(x, seed=0)
    np.testing.assert_allclose(acts["mean"], reps.mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(acts["variance"], reps.variance, rtol=1e-5)
    np.testing.assert_allclose(acts[last], model.decode(acts["sampled"]), rtol=1e-4, atol=1e-4)
    log_acts = model.layer_activations(x, log_variance=True)
    np.testing.assert_allclose(np.exp(log_acts["log_var"]), acts["variance"], rtol=1e-5)


def test_ivae_encoder_takes_u_and_autoencoder_has_no_variance():
    acts = _model("ivae").layer_activations((IMAGES[:2], U[:2]))
    assert acts["encoder/5"].shape == (2, 1024 + 5) and acts["encoder/6"].shape == (2, 261)
    np.testing.assert_allclose(acts["encoder/5"][:, -5:], U[:2])
    ae = _model("autoencoder")
    assert "variance" not in ae.layer_activations(IMAGES[:2])


def test_printed_table_variants():
    enc = architectures.Encoder("conv", 4, 1, kernel_sizes=(4, 4, 4, 4))
    enc(IMAGES[:1])
    assert [tuple(c.kernel.shape[:2]) for c in enc.convs] == [(4, 4)] * 4
    dec = architectures.Decoder("fc", 1, fc_decoder_widths=(256, 1200, 1200))
    assert dict(dec.trace(np.zeros((1, 4), "float32")))["decoder/1"].shape == (1, 256)


# ----------------------------------------------------------------------- representations
def test_representations():
    model = _model("beta_vae")
    reps = model.representations(IMAGES[:10], batch_size=4, seed=3)
    assert reps.mean.shape == reps.variance.shape == reps.sampled.shape == (10, 4)
    assert np.all(reps.variance > 0)
    eps = np.random.default_rng(3).standard_normal((10, 4))
    # the representations are float32: the float64 reference agrees to float32's precision
    np.testing.assert_allclose(reps.sampled, reps.mean + eps * np.sqrt(reps.variance), rtol=1e-5)
    # same seed, other batch size: the same draws (batched convolutions may round differently)
    np.testing.assert_allclose(model.representations(IMAGES[:10], seed=3).sampled, reps.sampled, rtol=1e-5)
    ae = _model("autoencoder").representations(IMAGES[:5])
    assert np.all(ae.variance == 0) and np.array_equal(ae.sampled, ae.mean)


def test_same_seed_same_model():
    a, b = _model("beta_vae", seed=5), _model("beta_vae", seed=5)
    c = _model("beta_vae", seed=6)
    ra, rb, rc = (m.representations(IMAGES[:4]).mean for m in (a, b, c))
    np.testing.assert_array_equal(ra, rb)
    assert not np.allclose(ra, rc)


# ------------------------------------------------------------------------------- resume
def test_resume_through_train_matches_an_uninterrupted_run(tmp_path):
    # FactorVAE: the hardest case, with a second optimizer owned by the model
    name = "factor_vae"
    cfg = TrainConfig(epochs=3, batch_size=8, steps_per_epoch=2, learning_rate=1e-3, monitor="loss")
    ref = _model(name)
    train(ref, IMAGES[:32], config=cfg, seed=1, progress=False, checkpoint_dir=tmp_path / "ref")

    class Killed(Exception):
        pass

    def kill(epoch, model, logs):
        if epoch == 1:
            raise Killed

    with pytest.raises(Killed):
        train(_model(name), IMAGES[:32], config=cfg, seed=1, progress=False,
              checkpoint_dir=tmp_path / "run", on_epoch_end=kill)
    resumed = _model(name)
    result = train(resumed, IMAGES[:32], config=cfg, seed=1, progress=False,
                   checkpoint_dir=tmp_path / "run")
    assert result.resumed_from_epoch == 0 and result.epochs_run == 3
    for a, b in zip(ref.variables, resumed.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=a.path)


# ------------------------------------------------------------------------------- errors
def test_unknown_model_and_setting():
    with pytest.raises(ValueError, match=r"make_model: unknown model name 'beta-vae'; expected one of .*'beta_vae'"):
        make_model("beta-vae")
    with pytest.raises(TypeError, match=r"'dip_vae_ii' has no setting\(s\) 'beta'; its settings are .*lambda_od"):
        make_model("dip_vae_ii", beta=2.0)
    with pytest.raises(ValueError, match=r"BetaVAEConfig: `beta` must be finite and > 0; got -1"):
        make_model("beta_vae", beta=-1)
    with pytest.raises(ValueError, match="unknown `architecture` 'mlp'"):
        make_model("beta_vae", architecture="mlp")


def test_wrong_image_shape_is_a_clear_error():
    model = _model("beta_vae")
    small = np.zeros((4, 32, 32, 1), "float32")
    with pytest.raises(ValueError, match=r"BetaVAE.representations: `x` must be a batch of 64x64 "
                                         r"images with 1 channel.*got \(4, 32, 32, 1\)"):
        model.representations(small)
    with pytest.raises(ValueError, match=r"BetaVAE.test_step: `x` .*got \(\?, 64, 64, 3\)|got \(4, 64, 64, 3\)"):
        train(model, np.zeros((4, 64, 64, 3), "float32"),
              config=TrainConfig(epochs=1, batch_size=4, monitor="loss"), progress=False)
    with pytest.raises(ValueError, match="contains 1 non-finite"):
        x = IMAGES[:2].copy()
        x[0, 0, 0, 0] = np.nan
        model.representations(x)
    with pytest.raises(ValueError, match=r"IVAE.representations: the iVAE needs the auxiliary variable"):
        _model("ivae").representations(IMAGES[:2])
    with pytest.raises(ValueError, match=r"IVAE.test_step: the iVAE's batches are \(x, u\)"):
        _model("ivae").test_step(IMAGES[:2])


# --------------------------------------------------------------------- cached entry point
def test_thesis_run_cache_load_and_snapshots(monkeypatch):
    # the iVAE: the richest case (auxiliary variable from the factors, prior arrays stored)
    run = thesis_run("ivae", settings("smoke"), beta=2, snapshots=True, latent_dim=3,
                     prior_hidden=(8,), learn_prior_mean=True)
    assert dict(run.params) == {"beta": 2.0, "learn_prior_mean": True, "prior_hidden": (8,)}
    assert pickle.loads(pickle.dumps(run)) == run
    [folder] = run_sweep(train_run, [run], workers=0, progress=False)
    result = load_run(folder)
    assert result.run == run and type(result.model).__name__ == "IVAE"
    assert result.meta["stand_in"] and result.meta["channels"] == 1
    assert [h["epoch"] for h in result.history] == [0, 1] and "val_loss" in result.history[-1]
    data = run_data(run)
    x, u = data.evaluation
    np.testing.assert_allclose(u, auxiliary_from_factors(data.eval_classes, (3, 6, 40, 32, 32)))
    np.testing.assert_allclose(result.model.representations((x, u)).mean,
                               result.representations.mean, rtol=1e-5, atol=1e-6)
    assert result.arrays["eval_classes"].shape == (64, 5)
    prior_mean, prior_variance = result.model.prior_parameters(u)
    np.testing.assert_allclose(result.arrays["prior_mean"], prior_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result.arrays["prior_variance"], prior_variance, rtol=1e-5)
    snaps = load_snapshots(folder)
    assert snaps["steps"].tolist() == [4, 8] and snaps["mean"].shape == (2, 64, 3)
    np.testing.assert_allclose(snaps["mean"][-1], result.representations.mean, rtol=1e-5, atol=1e-5)
    first = load_snapshot_model(folder, 0).representations((x, u)).mean
    np.testing.assert_allclose(first, snaps["mean"][0], rtol=1e-5, atol=1e-5)

    # a second call reads the cache instead of training
    monkeypatch.setattr(thesis_runs, "train", lambda *a, **k: pytest.fail("trained again"))
    assert train_run(run) == folder


def test_thesis_run_errors():
    quick = settings("quick")
    with pytest.raises(TypeError, match=r"thesis_run: 'beta_vae' has no hyper-parameter\(s\) 'gamma'"):
        thesis_run("beta_vae", quick, gamma=3.0)
    # beta=4 and beta=4.0 are one configuration (one cache entry)
    assert thesis_run("beta_vae", quick, beta=4) == thesis_run("beta_vae", quick, beta=4.0)
    with pytest.raises(ValueError, match=r"`steps_per_epoch` \(3\) must divide `steps` \(10\)"):
        ThesisRun("beta_vae", steps=10, steps_per_epoch=3)
    with pytest.raises(ValueError, match="unknown `model` 'vae'"):
        ThesisRun("vae")
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        settings("fast")
    with pytest.raises(TypeError, match="thesis_run: `training` must be a ThesisSettings"):
        thesis_run("beta_vae", "quick")
    with pytest.raises(TypeError, match="regularisation_values: `training` must be a ThesisSettings"):
        regularisation_values("beta_vae", "quick")
    with pytest.raises(ValueError, match="unknown `grid` 'middle'"):
        ThesisSettings(n_train=8, n_eval=4, steps=2, steps_per_epoch=1, grid="middle")
    with pytest.raises(FileNotFoundError, match="is not a trained-run folder"):
        load_run("/nonexistent")
    assert regularisation_values("dip_vae_ii", settings("smoke")) == ("lambda_od", (1.0, 20.0))
    assert regularisation_values("dip_vae_ii", quick) == ("lambda_od", (1.0, 5.0, 20.0))
    assert regularisation_values("dip_vae_ii", settings("paper"))[1] == (1.0, 2.0, 5.0, 10.0, 20.0)


def test_full_split_renders_dsprites_lazily():
    run = ThesisRun("ivae", n_train=None, n_eval=16, steps=2, steps_per_epoch=2, batch_size=4)
    data = run_data(run)
    x, u = data.train
    assert len(x) == len(u) == 737_280 - 16 and data.stand_in
    assert x[np.array([0, 5])].shape == (2, 64, 64, 1) and data.evaluation[0].shape == (16, 64, 64, 1)
    # the evaluation images are not among the training ones
    assert np.intersect1d(data.eval_indices, x._indices).size == 0


@pytest.mark.parametrize("model", ["beta_vae", "ivae"])
def test_evaluation_data_is_run_data_and_cached(model, monkeypatch):
    """evaluation_data gives run_data's evaluation input, and renders it only once."""
    run = thesis_run(model, settings("smoke"), seed=0)
    expected = run_data(run).evaluation
    first = evaluation_data(run)
    parts = (expected, first) if model == "ivae" else ((expected,), (first,))
    for want, got in zip(*parts):
        np.testing.assert_array_equal(got, want)

    def no_rendering(run):
        raise AssertionError("evaluation_data rendered the images again")

    monkeypatch.setattr(thesis_runs, "run_data", no_rendering)
    again = evaluation_data(run)
    np.testing.assert_array_equal(again[0] if model == "ivae" else again,
                                  first[0] if model == "ivae" else first)
    with pytest.raises(TypeError, match="evaluation_data: `run` must be a ThesisRun"):
        evaluation_data("beta_vae")


def test_a_larger_beta_raises_the_loss_of_the_same_weights():
    """Why Fig C.5's 'less regularised models reach lower losses' is a sanity check: on the same
    weights and batch, the beta-VAE loss is reconstruction + beta KL, so beta = 8 adds 7 KL."""
    low, high = _model("beta_vae", beta=1.0), _model("beta_vae", beta=8.0)
    low.ensure_built()
    high.ensure_built()
    high.set_weights(low.get_weights())
    a, b = ({k: float(v) for k, v in m.test_step(_data("beta_vae", 16)).items()} for m in (low, high))
    assert a["reconstruction"] == pytest.approx(b["reconstruction"], rel=1e-6)
    assert a["kl"] == pytest.approx(b["kl"], rel=1e-6) and a["kl"] > 0
    # float32 losses of about 2,800 nats: compare the difference to a few float32 ulps
    assert b["loss"] > a["loss"]
    assert b["loss"] - a["loss"] == pytest.approx(7 * a["kl"], abs=1e-3)


# ------------------------------------------------------------------ XLA-fused optimizer updates
def test_apply_gradients_is_keras_adam_fused():
    """base.apply_gradients (XLA-fused) gives Keras' Adam update, checked against Adam's formula
    in NumPy (Kingma & Ba 2015, Algorithm 1, with Keras' epsilon outside the square root)."""
    import keras
    import tensorflow as tf

    from latentdims.models.base import apply_gradients

    w0 = RNG.normal(size=(5, 3)).astype("float32")
    grads = [RNG.normal(size=(5, 3)).astype("float32") for _ in range(3)]
    out = {}
    for xla in (False, True):
        var = tf.Variable(w0)
        opt = keras.optimizers.Adam(learning_rate=1e-2, epsilon=1e-8)
        opt.build([var])
        for g in grads:
            apply_gradients(opt, [tf.constant(g)], [var], xla=xla)
        out[xla] = var.numpy()
        assert ("_latentdims_xla_apply" in opt.__dict__) == xla      # the fused path was taken
    w, m, v = w0.astype(np.float64), 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g ** 2
        w = w - 1e-2 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m / (np.sqrt(v) + 1e-8)
    np.testing.assert_allclose(out[False], w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[True], out[False], rtol=1e-6, atol=1e-7)
    assert not np.allclose(out[True], w0)


@pytest.mark.parametrize("name,architecture", [("beta_vae", "conv"), ("beta_vae", "fc"),
                                               ("factor_vae", "conv")])
def test_xla_fused_updates_train_like_the_plain_updates(name, architecture):
    """A few steps of the project's loop with the fused updates (the default) and with plain
    ``optimizer.apply`` (``xla_optimizer=False``): the same losses and weights within float32
    rounding (not bitwise: XLA orders the element-wise arithmetic its own way)."""
    cfg = TrainConfig(epochs=1, batch_size=16, steps_per_epoch=3, learning_rate=1e-3,
                      monitor="loss", adam_epsilon=1e-8)
    initial = [np.asarray(v.numpy())
               for v in _model(name, architecture=architecture).ensure_built().variables]
    runs = {}
    for xla in (False, True):
        model = _model(name, architecture=architecture)
        assert model.xla_optimizer is True                  # the default
        model.xla_optimizer = xla
        history = train(model, _data(name), config=cfg, seed=0, progress=False).history
        assert ("_latentdims_xla_apply" in model.optimizer.__dict__) == xla
        runs[xla] = (history[0]["loss"], [np.asarray(v.numpy()) for v in model.variables])
    (loss_plain, plain), (loss_xla, fused) = runs[False], runs[True]
    np.testing.assert_allclose(loss_xla, loss_plain, rtol=1e-5)
    floats = [i for i, w in enumerate(initial) if w.dtype.kind == "f"]
    flat = [np.concatenate([ws[i].ravel() for i in floats]) for ws in (initial, plain, fused)]
    moved = np.linalg.norm(flat[1] - flat[0])
    assert moved > 0
    # entries whose gradient is about 0 may step either way on rounding (Adam divides by the
    # gradient's size): compared as a whole, relative to how far training moved the weights
    assert np.linalg.norm(flat[2] - flat[1]) <= 1e-3 * moved
