"""Toy data, the linear-VAE closed forms (jet papers' appendix and thesis Section 4.2), the
measurements on trained toys, the KL fits and independence examples of the thesis' background,
the toy studies' settings, and the drawing of the toy notebooks (00-05)."""
from dataclasses import asdict

import matplotlib.pyplot as plt
import numpy as np
import pytest

from latentdims.core.cache import config_key
from latentdims.data import toys as data
from latentdims.maths import divergences as bg
from latentdims.maths import linear_vae as lv
from latentdims.maths.dimensionality import rate_distortion_dimensions
from latentdims.plotting import toys as pt
from latentdims.studies import toys


# ------------------------------------------------------------------ linear VAE (jet papers)
def test_linear_vae_optimum_with_fewer_latents_than_directions():
    sigmas = np.array([0.5, 2.0, 1.0])             # deliberately unsorted
    betas = np.geomspace(0.05, 5, 50)
    opt = lv.linear_vae_optimum(sigmas, betas, latent_dim=2)
    # the two widest directions are encodable; the third (0.5) always costs its variance
    expected_d = np.minimum(betas, 2.0) ** 2 + np.minimum(betas, 1.0) ** 2 + 0.25
    np.testing.assert_allclose(opt.distortion, expected_d)
    assert np.all(opt.rate_per_direction[:, 0] == 0) and np.all(opt.posterior_std[:, 0] == 1)
    curve = rate_distortion_dimensions(betas, opt.rate, opt.distortion)
    count = np.minimum((sigmas[None, :] > curve.beta[:, None]).sum(axis=1), 2)
    far = np.all(np.abs(np.log(curve.beta[:, None] / sigmas[None, :])) > 0.1, axis=1)
    np.testing.assert_allclose(curve.d1[far], count[far], atol=1e-9)
    np.testing.assert_allclose(curve.d2[far], count[far], atol=1e-9)
    full = lv.linear_vae_optimum(sigmas, betas)
    np.testing.assert_allclose(lv.linear_vae_optimum(sigmas, betas, latent_dim=3).rate, full.rate)
    with pytest.raises(ValueError, match="latent_dim"):
        lv.linear_vae_optimum(sigmas, betas, latent_dim=0)


# ------------------------------------------------------------------------------ toy data
def test_random_rotation_and_rotated_gaussian_covariance():
    r = data.random_rotation(4, seed=3)
    np.testing.assert_allclose(r @ r.T, np.eye(4), atol=1e-12)
    assert np.isclose(np.linalg.det(r), 1.0)
    pop = data.toy_population("rotated4d")
    x = data.gaussian_data(40000, pop.sigmas, seed=0, rotation=pop.rotation).astype(float)
    # sample covariance against R diag(sigma^2) R^T, relative to the largest variance
    assert np.abs(np.cov(x, rowvar=False) - pop.covariance).max() < 0.05 * 4.0
    with pytest.raises(ValueError, match="orthogonal"):
        data.gaussian_data(10, [1.0, 1.0], rotation=[[1.0, 1.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="shape"):
        data.gaussian_data(10, [1.0, 1.0], rotation=np.eye(3))


def test_banana_data_is_a_crescent_of_the_given_width():
    x = data.banana_data(4000, seed=1, noise=0.0, n_bananas=1).astype(float)
    assert x.shape == (4000, 2)
    # un-centre: a half circle of radius 1 around (0, 0), uniform in angle (mean height 2/pi)
    y = x + np.array([0.0, 2 / np.pi])
    np.testing.assert_allclose(np.hypot(y[:, 0], y[:, 1]), 1.0, atol=0.02)
    assert np.all(y[:, 1] > -0.02)
    wide = data.banana_data(4000, seed=1, noise=0.1, n_bananas=1).astype(float) + [0, 2 / np.pi]
    assert abs(np.std(np.hypot(wide[:, 0], wide[:, 1]) - 1.0) - 0.1) < 0.01
    two = data.banana_data(1000, seed=0)
    assert two.shape == (1000, 2) and abs(two.mean()) < 1e-6
    with pytest.raises(ValueError, match="n_bananas"):
        data.banana_data(10, n_bananas=3)
    with pytest.raises(ValueError, match="noise"):
        data.banana_data(10, noise=-0.1)


def test_toy_population_and_dataset_names():
    assert data.toy_population("curse").sigmas.tolist() == [1.0] * 10 + [0.1]
    np.testing.assert_allclose(data.toy_population("gaussian3d").rotation, np.eye(3))
    with pytest.raises(ValueError, match="not a Gaussian toy"):
        data.toy_population("bananas")
    with pytest.raises(ValueError, match="unknown `dataset`"):
        data.toy_population("lemons")


def test_pca_distortion_is_the_sum_of_the_small_variances():
    x = data.gaussian_data(50000, [2.0, 1.0, 0.5], seed=2).astype(float)
    assert abs(lv.pca_distortion(x, 1) - (1.0 + 0.25)) < 0.03
    assert abs(lv.pca_distortion(x, 2) - 0.25) < 0.01
    assert lv.pca_distortion(x, 3) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="at least 2 rows"):
        lv.pca_distortion(x[:1], 1)


# ------------------------------------------------------------- measurements on trained toys
class _CircleDecoder:
    """A stand-in model with closed-form answers: codes z = x_0, decoder z -> (cos z, sin z)."""

    def encode(self, x):
        return x[:, :1], np.full((len(x), 1), np.log(0.04), dtype=np.float32)   # std 0.2

    def decode(self, z):
        return np.concatenate([np.cos(z), np.sin(z)], axis=1)


class _LinearModel:
    """encode: mean = x @ A, log-variance constant; decode: z @ W.T (Jacobian columns of W)."""

    def __init__(self, a, w, std):
        self.a, self.w, self.std = a, w, np.asarray(std, dtype=np.float32)

    def encode(self, x):
        return x @ self.a, np.broadcast_to(2 * np.log(self.std), (len(x), len(self.std)))

    def decode(self, z):
        return z @ self.w.T


def test_decoded_curve_length_and_reconstruction_smear_closed_forms():
    x = np.column_stack([np.linspace(0.0, np.pi, 50), np.zeros(50)])
    curve = toys.decoded_curve(_CircleDecoder(), x, n_points=2000)
    assert curve.length == pytest.approx(np.pi, rel=1e-5)      # half the unit circle
    np.testing.assert_allclose(curve.codes, x[:, 0], atol=1e-6)
    w = np.array([[3.0, 0.0], [4.0, 1.0]])                       # columns of norm 5 and 1
    model = _LinearModel(np.eye(2, dtype=np.float32), w, [0.1, 0.3])
    smear = toys.reconstruction_smear(model, np.ones((5, 2)))
    np.testing.assert_allclose(smear, np.tile([0.5, 0.3], (5, 1)), rtol=1e-4)
    with pytest.raises(ValueError, match="1-D latent"):
        toys.decoded_curve(model, np.ones((5, 2)))


def test_linear_vae_parameters_reproduce_the_model():
    from latentdims.models.dense_vae import DenseVAE, DenseVAEConfig

    model = DenseVAE(DenseVAEConfig(4, 3, (), seed=1))
    x = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    model.test_step(x)
    p = lv.linear_vae_parameters(model)
    mean, log_var = (np.asarray(t, dtype=float) for t in model.encode(x))
    np.testing.assert_allclose(mean, x @ p.encoder.T + p.encoder_bias, atol=1e-5)
    np.testing.assert_allclose(log_var, x @ p.log_var_weight.T + p.log_var_bias, atol=1e-5)
    np.testing.assert_allclose(np.asarray(model.decode(mean.astype(np.float32))), mean @ p.W.T + p.b,
                               atol=1e-5)
    with pytest.raises(ValueError, match="linear"):
        lv.linear_vae_parameters(DenseVAE(DenseVAEConfig(4, 3, (8,))))


TINY = toys.ToySettings(n_train=200, n_valid=100, n_betas=2, epochs_first=1, epochs_per_beta=1,
                        batch_size=100, learning_rate=1e-3)


def test_sweep_keeps_activation_and_check_has_the_closed_form_shapes():
    relu = toys.toy_beta_sweep("ring", TINY, latent_dim=1, hidden=(4,), deterministic=True,
                               activation="relu", progress=False)
    assert relu.config["activation"] == "relu" and relu.config["data"] == {"kind": "disc"}
    assert toys.toy_model(relu, 0).config.activation == "relu"
    again = toys.toy_beta_sweep("ring", TINY, latent_dim=1, hidden=(4,), deterministic=True,
                                activation="relu", progress=False)
    assert again.entry == relu.entry                                  # cached, same key
    lin = toys.toy_beta_sweep("rotated4d", TINY, latent_dim=3, hidden=(), beta_range=(0.1, 3.0),
                              progress=False)
    check = toys.linear_vae_check(lin)
    assert check.trained_var.shape == check.predicted_var.shape == (2, 3)
    assert check.trained_encoder.shape == check.predicted_encoder.shape == (2, 3, 4)
    # the closed form: gamma / sigma^2 for the widest directions above beta, 1 otherwise
    np.testing.assert_allclose(check.closed_form_var[0], [0.1**2 / 4, 0.1**2 / 1, 0.1**2 / 0.25])
    np.testing.assert_allclose(check.closed_form_var[1], [1.0, 1.0, 1.0])     # beta = 3: all passive
    assert check.n_active_expected.tolist() == [3, 0]
    np.testing.assert_allclose(check.ppca_singular_values2[0], np.array([4, 1, 0.25]) - 0.01)
    with pytest.raises(ValueError, match="linear VAE"):
        toys.linear_vae_check(relu)
    with pytest.raises(ValueError, match="beta_range"):
        toys.toy_beta_sweep("ring", TINY, latent_dim=1, beta_range=(1.0, 0.1))


def test_toy_correlation_dimension_is_cached_and_sees_sparsity():
    settings = toys.CorrelationSettings(n_points=300, n_boot=5, n_scales=12, q_range=(0.05, 10.0))
    a = toys.toy_correlation_dimension("curse", settings)
    b = toys.toy_correlation_dimension("curse", settings)
    np.testing.assert_array_equal(a.result.dcorr, b.result.dcorr)
    assert a.nearest_neighbour.shape == (300,) and np.all(a.nearest_neighbour > 0)
    # with 300 points in 11-D no pair is closer than the small direction's scale
    assert a.nearest_neighbour.min() > 0.1 and not a.result.valid[0]
    assert a.result.pair_counts[-1] == 300 * 299


# -------------------------------------------------------------------- divergences, Fig 2.2
def test_gaussian_kl_closed_form_and_properties():
    kl = bg.gaussian_kl([0.0], [[1.0]], [1.0], [[4.0]])
    assert kl == pytest.approx(np.log(2) + (1 + 1) / 8 - 0.5)
    c0, c1 = np.array([[1.0, 0.3], [0.3, 0.5]]), np.array([[2.0, -0.2], [-0.2, 1.0]])
    assert bg.gaussian_kl([0, 0], c0, [0, 0], c0) == pytest.approx(0.0, abs=1e-12)
    ab, ba = bg.gaussian_kl([0, 1], c0, [1, 0], c1), bg.gaussian_kl([1, 0], c1, [0, 1], c0)
    assert ab > 0 and ba > 0 and abs(ab - ba) > 0.1                  # asymmetric
    with pytest.raises(ValueError, match="positive definite"):
        bg.gaussian_kl([0], [[-1.0]], [0], [[1.0]])


def test_mixture_moments_and_validation():
    p = bg.GaussianMixture([0.25, 0.75], [[-2.0], [2.0]], [[[0.5]], [[1.0]]])
    assert p.mean.tolist() == [1.0]
    # within 0.25 * 0.5 + 0.75 * 1 plus between 0.25 * 9 + 0.75 * 1
    assert p.covariance[0, 0] == pytest.approx(0.875 + 3.0)
    pts, vol = bg.quadrature_grid([-10.0], [10.0], 2000)
    assert np.exp(p.log_pdf(pts)).sum() * vol == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError, match="sum to 1"):
        bg.GaussianMixture([0.5, 0.6], [[0.0], [1.0]], [[[1.0]], [[1.0]]])
    with pytest.raises(ValueError, match="positive definite"):
        bg.GaussianMixture([1.0], [[0.0]], [[[0.0]]])
    with pytest.raises(ValueError, match="must exceed"):
        bg.quadrature_grid([0.0], [0.0], 4)


def test_forward_fit_matches_moments_and_reverse_fits_pick_modes():
    p = bg.GaussianMixture([0.5, 0.5], [[-2.0], [2.0]], [[[0.25]], [[0.25]]])
    pts, vol = bg.quadrature_grid([-8.0], [8.0], 1600)
    lp = p.log_pdf(pts)
    fwd = bg.fit_gaussian_kl(lp, pts, vol, direction="forward")
    assert fwd.converged
    np.testing.assert_allclose(fwd.mean, p.mean, atol=1e-3)
    np.testing.assert_allclose(fwd.cov, p.covariance, rtol=1e-3)     # 0.25 + 4
    left = bg.fit_gaussian_kl(lp, pts, vol, direction="reverse", init_mean=[-1.5])
    right = bg.fit_gaussian_kl(lp, pts, vol, direction="reverse", init_mean=[1.5])
    assert left.mean[0] == pytest.approx(-2.0, abs=0.02) and right.mean[0] == pytest.approx(2.0, abs=0.02)
    assert left.cov[0, 0] == pytest.approx(0.25, rel=0.02)
    # well-separated equal modes: the reverse KL of one mode is log 2
    assert left.kl == pytest.approx(np.log(2), abs=1e-3)
    with pytest.raises(ValueError, match="integrates to"):
        bg.fit_gaussian_kl(lp[:800], pts[:800], vol)              # half of P's mass
    with pytest.raises(ValueError, match="direction"):
        bg.fit_gaussian_kl(lp, pts, vol, direction="sideways")


def test_forward_fit_warns_when_it_does_not_converge():
    p = bg.GaussianMixture([0.5, 0.5], [[-2.0], [2.0]], [[[0.25]], [[0.25]]])
    pts, vol = bg.quadrature_grid([-8.0], [8.0], 400)
    with pytest.warns(RuntimeWarning, match="max_iter"):
        fit = bg.fit_gaussian_kl(p.log_pdf(pts), pts, vol, max_iter=1)
    assert not fit.converged


# ---------------------------------------------------------------------- independence, 2.1
@pytest.mark.parametrize("graph, corr, partial", [("collider", 0.0, -0.5),
                                                  ("chain", 1 / np.sqrt(3), 0.0),
                                                  ("fork", 0.5, 0.0)])
def test_independence_examples_have_their_closed_form_correlations(graph, corr, partial):
    s = bg.independence_samples(graph, 50000, seed=4)
    assert np.corrcoef(s["x"], s["y"])[0, 1] == pytest.approx(corr, abs=0.02)
    assert bg.partial_correlation(s["x"], s["y"], s["z"]) == pytest.approx(partial, abs=0.02)


def test_independence_errors():
    with pytest.raises(ValueError, match="unknown `graph`"):
        bg.independence_samples("loop", 10)
    with pytest.raises(ValueError, match="linear function"):
        bg.partial_correlation([1.0, 2.0, 3.0], [1.0, 0.0, 1.0], [2.0, 4.0, 6.0])


# -------------------------------------------------------------- linear VAE, thesis Sec 4.2
def _random_linear_vae(seed=0, m=5, n=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, n)), rng.normal(size=m), rng.normal(size=(50, m))


def test_optimal_posterior_maximises_the_elbo_and_gives_ppca():
    W, b, x = _random_linear_vae()
    gamma, n = 0.4, W.shape[1]
    post = lv.linear_vae_posterior(x, W, b, gamma)
    best = lv.linear_vae_elbo(x, W, b, gamma, post.mean, post.cov)
    np.testing.assert_allclose(best, lv.ppca_objective(x, W, b, gamma) - n, atol=1e-9)   # Eq 4.10
    rng = np.random.default_rng(1)
    for _ in range(5):                     # any other posterior is worse (Eqs 4.6 and 4.8)
        a = rng.normal(scale=0.1, size=(n, n))
        cov = post.cov + a @ a.T
        mean = post.mean + rng.normal(scale=0.1, size=post.mean.shape)
        assert np.all(lv.linear_vae_elbo(x, W, b, gamma, mean, cov) < best)
    diag = lv.linear_vae_posterior(x, W, b, gamma, diagonal=True)
    assert np.allclose(diag.cov, np.diag(np.diag(diag.cov)))
    d_best = lv.linear_vae_elbo(x, W, b, gamma, diag.mean, diag.cov)
    assert np.all(d_best <= best + 1e-12)  # Hadamard (Eq 4.13)
    worse = lv.linear_vae_elbo(x, W, b, gamma, diag.mean, diag.cov * 1.2)
    assert np.all(worse < d_best)
    # the thesis' beta multiplies gamma (Eqs 4.23-4.24)
    np.testing.assert_allclose(lv.linear_vae_posterior(x, W, b, gamma, beta=3.0).cov,
                               lv.linear_vae_posterior(x, W, b, 3.0 * gamma).cov)


def test_ppca_decoder_maximises_the_expected_objective_and_rotations():
    cov = data.toy_population("rotated4d").covariance
    gamma = 0.3

    def expected(W):   # E_x[Eq 4.10] for centred data of covariance cov, b = 0
        c = W @ W.T + gamma * np.eye(4)
        return -np.linalg.slogdet(c)[1] - np.trace(np.linalg.solve(c, cov))

    W = lv.ppca_decoder(cov, gamma, 3)
    np.testing.assert_allclose(np.sort(np.linalg.svd(W, compute_uv=False) ** 2)[::-1],
                               np.clip(np.array([4.0, 1.0, 0.25]) - gamma, 0, None), atol=1e-9)
    rng = np.random.default_rng(0)
    for _ in range(5):
        assert expected(W + 0.05 * rng.normal(size=W.shape)) < expected(W)
    x = data.gaussian_data(500, [2.0, 1.0, 0.5, 0.25], seed=1,
                           rotation=data.toy_population("rotated4d").rotation).astype(float)
    scan = lv.rotated_elbos(x, W, np.zeros(4), gamma, np.linspace(0, np.pi / 2, 7))
    assert np.ptp(scan.full) < 1e-9                                  # Eq 4.10: invariant
    assert np.argmax(scan.diagonal) in (0, 6) and scan.diagonal[3] < scan.diagonal[0] - 0.01
    with pytest.raises(ValueError, match="plane"):
        lv.rotated_elbos(x, W, np.zeros(4), gamma, [0.0], plane=(0, 0))
    with pytest.raises(ValueError, match="columns"):
        lv.linear_vae_posterior(np.zeros((2, 3)), W, np.zeros(4), gamma)
    with pytest.raises(ValueError, match="symmetric"):
        lv.ppca_decoder(np.ones((2, 3)), gamma, 1)


# ------------------------------------------------------------------- linear VAE identities
def test_linear_vae_identities_of_section_4_2_1():
    """Eq. 4.5 at the optimal posterior is Eq. 4.10 minus n, the two forms of mu* in Eq. 4.8 agree
    (push-through identity) and Sylvester's determinant identity holds, on a random decoder (the
    check `linvae-identities` that notebook 04 used to record)."""
    rng = np.random.default_rng(0)
    m_dim, n_lat, gamma = 5, 3, 0.3
    W, b, x = rng.normal(size=(m_dim, n_lat)), rng.normal(size=m_dim), rng.normal(size=(200, m_dim))
    post = lv.linear_vae_posterior(x, W, b, gamma)
    elbo = lv.linear_vae_elbo(x, W, b, gamma, post.mean, post.cov)
    np.testing.assert_allclose(elbo, lv.ppca_objective(x, W, b, gamma) - n_lat, rtol=0, atol=1e-9)
    mu_second_form = (W.T @ np.linalg.solve(gamma * np.eye(m_dim) + W @ W.T, (x - b).T)).T
    np.testing.assert_allclose(post.mean, mu_second_form, rtol=0, atol=1e-9)
    sylvester = (np.linalg.slogdet(gamma * np.eye(m_dim) + W @ W.T)[1]
                 - ((m_dim - n_lat) * np.log(gamma) + np.linalg.slogdet(gamma * np.eye(n_lat) + W.T @ W)[1]))
    assert abs(sylvester) < 1e-9


def test_cholesky_factor_names_the_argument():
    np.testing.assert_allclose(bg.cholesky_factor([[4.0, 2.0], [2.0, 2.0]]), [[2.0, 0.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="my_func: `sigma` must be symmetric positive definite"):
        bg.cholesky_factor([[1.0, 2.0], [2.0, 1.0]], "sigma", "my_func")


# --------------------------------------------------------------------------- toy data sets
def test_toy_data_follows_its_spec():
    assert set(data.TOY_DATASETS) == {"gaussian1d", "gaussian3d", "rotated4d", "bananas", "ring", "curse"}
    x = data.toy_data("rotated4d", 20000, seed=0).astype(float)
    np.testing.assert_allclose(np.cov(x, rowvar=False), data.toy_population("rotated4d").covariance,
                               atol=0.1)
    assert data.toy_data("ring", 10, seed=0).shape == (10, 2)
    assert data.toy_data("curse", 10, seed=0).shape == (10, 11)
    assert data.toy_data_spec("bananas") == {"kind": "bananas", "noise": 0.1, "n_bananas": 1}
    with pytest.raises(ValueError, match="toy_beta_sweep: unknown `dataset`"):
        data.toy_data_spec("lemons", func="toy_beta_sweep")


# ---------------------------------------------------------------------------- the settings
# Cache keys computed with the code before the settings objects (issue #12): a change here would
# make every toy notebook retrain.
SWEEP_CALLS = {
    "00-g1": ("gaussian1d", "toy", dict(latent_dim=1, hidden=(), beta_range=(0.02, 5.0), deterministic=False,
                                        activation="tanh", direction="down")),
    "00-g3": ("gaussian3d", "toy", dict(latent_dim=3, hidden=(), beta_range=(0.02, 5.0), deterministic=False,
                                        activation="tanh", direction="down")),
    "01-n": ("ring", "ae", dict(latent_dim=1, hidden=(8, 8), beta_range=(0.01, 10.0), deterministic=True,
                                activation="relu", direction="down")),
    "01-w": ("ring", "ae", dict(latent_dim=1, hidden=(128, 128), beta_range=(0.01, 10.0), deterministic=True,
                                activation="relu", direction="down")),
    "02": ("bananas", "bananas", dict(latent_dim=10, hidden=(64, 64), beta_range=(0.01, 10.0),
                                      deterministic=False, activation="tanh", direction="up")),
    "03": ("curse", "curse", dict(latent_dim=12, hidden=(), beta_range=(0.02, 2.0), deterministic=False,
                                  activation="tanh", direction="down")),
    "04": ("rotated4d", "linear_check", dict(latent_dim=3, hidden=(), beta_range=(0.05, 4.0),
                                             deterministic=False, activation="tanh", direction="down")),
}
KEYS = {"smoke": {"00-g1": "2d1b9da23a776e6b", "00-g3": "4c837f45891214c5", "01-n": "8bf4af7038e53e71",
                  "01-w": "9eaeb06594a204f4", "02": "d37a39137446a29d", "03": "14144af8684c0570",
                  "04": "19e6ac6a0fe68fd4", "dcorr": "82e9bed1458dc7c9"},
        "quick": {"00-g1": "7daf512126fc93c7", "00-g3": "a700d45be65ded2b", "01-n": "a3c05e7ff7065877",
                  "01-w": "2ce18bb0fc6d65ab", "02": "31516c99c7425906", "03": "718fb272b0373b02",
                  "04": "c4b0d17d636ef815", "dcorr": "68cea8e254556885"}}


@pytest.mark.parametrize("profile", ["smoke", "quick"])
def test_settings_keep_the_cache_keys(profile):
    cfg = toys.settings(profile)
    assert cfg.profile == profile
    for name, (dataset, field, kw) in SWEEP_CALLS.items():
        # the config toy_beta_sweep hashes (built without training anything)
        config = {**toys._sweep_config(dataset, kw["latent_dim"], kw["hidden"], kw["beta_range"],
                                       kw["deterministic"], getattr(cfg, field), 0, kw["activation"]),
                  "direction": kw["direction"]}
        assert config_key(config) == KEYS[profile][name], name
    dcorr = {"version": 1, "dataset": "curse", "data": data.toy_data_spec("curse"),
             "settings": asdict(cfg.correlation), "seed": 0}
    assert config_key(dcorr) == KEYS[profile]["dcorr"]


def test_settings_and_study_arguments_are_checked():
    assert toys.settings("paper").toy.n_train == 100000
    with pytest.raises(ValueError, match="unknown profile"):
        toys.settings("fast")
    with pytest.raises(TypeError, match=r"toy_beta_sweep: `training` must be a ToySettings"):
        toys.toy_beta_sweep("ring", "smoke", latent_dim=1)
    with pytest.raises(TypeError, match=r"`correlation` must be a CorrelationSettings"):
        toys.toy_correlation_dimension("curse", toys.settings("smoke"))


def test_background_studies():
    stats = toys.independence_stats(2000, seed=1)
    assert list(stats) == ["collider", "chain", "fork"]
    assert abs(stats["fork"]["partial corr(X,Y|Z)"]) < 0.1 < stats["fork"]["corr(X,Y)"]
    ex = toys.entanglement_example()
    a, b = ex.alignment.values()
    np.testing.assert_allclose(a, np.eye(2), atol=1e-9)
    assert np.all(b > 0.3) and ex.images.shape[0] == len(ex.factors) == 25


# ------------------------------------------------------------------------------- the drawing
def _sweep(betas, n_latents, d=2, latent_dim=None):
    from types import SimpleNamespace

    rng = np.random.default_rng(0)
    return SimpleNamespace(betas=betas, rate=-np.log(betas / betas.max()) + 0.1, distortion=betas**2,
                           kl_per_latent=np.abs(rng.normal(size=(len(betas), n_latents))),
                           valid=rng.normal(size=(50, d)).astype(np.float32),
                           config={"latent_dim": latent_dim or n_latents})


def _titles(fig):
    return [ax.get_title() for ax in fig.axes]


def test_drawing_helpers_draw():
    fig, (a, b) = plt.subplots(1, 2)
    pt.draw_graph(a, {"A": (0, 0), "B": (2, 1)}, [("A", "B")], node_colors={"A": ["#fff", "#000"]})
    assert len(a.patches) == (2 + 1) + (1 + 1)                       # stripes and a frame per box
    pt.draw_trapezoid(b, (0, 0), "enc")
    betas = np.geomspace(0.1, 1, 4)
    pt.plot_dimensions(b, rate_distortion_dimensions(betas, -np.log(betas), betas**2),
                       expected=(betas, np.ones(4)))
    assert b.get_xscale() == "log" and len(b.lines) == 3
    inset = pt.draw_image(a, [0, 0, 1, 1], np.eye(4), "x")
    assert inset.get_title() == "x" and len(inset.images) == 1
    plt.close(fig)


def test_figures_of_notebooks_00_to_03():
    betas = np.geomspace(0.02, 5.0, 6)
    sweeps = {"gaussian1d": _sweep(betas, 1), "gaussian3d": _sweep(betas, 3)}
    curves = {k: rate_distortion_dimensions(s.betas, s.rate, s.distortion) for k, s in sweeps.items()}
    fig = pt.plot_linear_vae_toys(sweeps, curves, {"gaussian1d": [1.0], "gaussian3d": [2.0, 0.5, 0.1]},
                                  profile="smoke")
    assert len(fig.axes) == 4 and fig.axes[0].get_ylabel() == "rate $R$ [nats]"
    assert "profile smoke" in fig._suptitle.get_text()
    plt.close(fig)

    ring = _sweep(np.array([0.01]), 1)
    curve = toys.DecodedCurve(z=np.linspace(0, 1, 5), points=np.random.default_rng(1).normal(size=(5, 2)),
                              length=3.0, codes=np.linspace(0, 1, 50))
    fig = pt.plot_ae_1d({"narrow": ring, "wide": ring}, {"narrow": curve, "wide": curve},
                        {"narrow": (8, 8), "wide": (128, 128)}, ring.valid, 0.25, profile="smoke")
    assert [t.split("\n")[0] for t in _titles(fig)[:2]] == ["hidden layers (8, 8)", "hidden layers (128, 128)"]
    assert len(fig.axes) == 3                                          # two panels and the colour bar
    plt.close(fig)

    bananas = _sweep(np.geomspace(0.01, 10.0, 4), 10)
    steps = {r"$\beta < 0.1$": 0, r"$0.1 < \beta < 1$": 2, r"$\beta \gg 1$": 3}
    n_active = np.array([2, 2, 1, 0])
    regimes = {label: toys.BananaRegime(step=k, beta=float(bananas.betas[k]), mean=bananas.valid @ np.ones((2, 10)),
                                        log_var=np.full((50, 10), -2.0), reconstruction=bananas.valid,
                                        order=np.arange(10), smear_over_beta=np.ones(1), code_order=1.0,
                                        recon_spread=1.0, data_spread=1.0) for label, k in steps.items()}
    fig = pt.plot_bananas_regimes(bananas, regimes, n_active, profile="smoke")
    assert len(fig.axes) == 6 and fig.axes[0].get_ylabel().startswith("latent space")
    assert fig.axes[3].get_ylabel().startswith("reconstruction space")
    plt.close(fig)
    curve_b = rate_distortion_dimensions(bananas.betas, bananas.rate, bananas.distortion)
    fig = pt.plot_bananas_dims(bananas, curve_b, {"low": 0.03, "high": 3.0}, active_nats=0.1)
    assert _titles(fig) == ["dimensionality of the bananas", "rate of each of the 10 latents"]
    assert len(fig.axes[1].lines) == 10 + 1
    plt.close(fig)

    from scipy.spatial.distance import pdist

    from latentdims.maths.dimensionality import correlation_dimension

    x = np.random.default_rng(0).normal(size=(60, 3))
    res = correlation_dimension(pdist(x), np.geomspace(0.1, 10, 8), n_boot=3)
    dcorr = toys.ToyCorrelation(result=res, nearest_neighbour=np.full(60, 0.5), n_points=60)
    curse = _sweep(np.geomspace(0.02, 2.0, 4), 12, d=11)
    curve_c = rate_distortion_dimensions(curse.betas, curse.rate, curse.distortion)
    fig = pt.plot_curse_of_dimensionality(dcorr, curve_c, curse, [1.0] * 10 + [0.1], profile="smoke")
    assert _titles(fig) == ["correlation dimension of the data", "linear VAE (12 latents) dimensionality"]
    assert fig.axes[0].get_xlabel() == "scale $Q$"
    plt.close(fig)


def test_figures_of_notebook_04():
    fig = pt.plot_kl_fits(toys.bimodal_kl_fits(n_per_axis=60))
    assert len(fig.axes) == 3 and _titles(fig)[0].startswith("(a) forward")
    assert fig.axes[0].get_ylabel() == "$x_2$"
    plt.close(fig)

    sigmas = [2.0, 1.0, 0.5, 0.25]
    fine = np.geomspace(0.01, 10.0, 50)
    curves = {n: lv.linear_vae_optimum(sigmas, fine, latent_dim=n) for n in (1, 2, 3)}
    fig = pt.plot_rate_distortion_plane(curves, _sweep(np.geomspace(0.05, 4.0, 4), 3), sigmas)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "rate $R$ [nats]" and "2, 1, 0.5, 0.25" in ax.get_title()
    assert len(ax.lines) == 4 and len(ax.texts) == 3
    plt.close(fig)

    k, n, m = 4, 3, 4
    rng = np.random.default_rng(0)
    fields = {f: np.abs(rng.normal(size=(k, n))) + 0.01 for f in
              ("trained_var", "predicted_var", "closed_form_var", "singular_values2", "ppca_singular_values2")}
    check = toys.LinearVAECheck(betas=np.geomspace(0.05, 4.0, k), trained_encoder=rng.normal(size=(k, n, m)),
                                predicted_encoder=rng.normal(size=(k, n, m)), column_coupling=np.zeros(k),
                                log_var_slope=np.zeros(k), n_active=np.zeros(k), n_active_expected=np.zeros(k),
                                threshold_distance=np.ones(k), **fields)
    W = rng.normal(size=(m, n))
    scan = lv.rotated_elbos(rng.normal(size=(20, m)), W, np.zeros(m), 0.1, np.linspace(0, np.pi / 2, 5))
    fig = pt.plot_linear_vae_solution(check, scan, 0.3, profile="smoke")
    assert [t[:3] for t in _titles(fig)] == ["(a)", "(b)", "(c)", "(d)"]
    assert "$n$ = 3" in fig._suptitle.get_text()
    plt.close(fig)


def test_figures_of_notebook_05():
    fig = pt.plot_thesis_organisation()
    (ax,) = fig.axes
    assert "Organisation of the thesis" in ax.get_title() and not ax.axison
    assert len(ax.texts) >= 10 + 3 + 3                                 # chapters, parts, key
    plt.close(fig)
    fig = pt.plot_independence_graphs(toys.independence_stats(200), 200)
    assert _titles(fig) == ["(a) collider", "(b) chain", "(c) fork"]
    plt.close(fig)
    sprite = np.zeros((64, 64))
    fig = pt.plot_vae_training(sprite)
    (ax,) = fig.axes
    assert [inset.get_title() for inset in ax.child_axes] == ["$\\mathbf{x}$", "$\\hat{\\mathbf{x}}$"]
    plt.close(fig)
    fig = pt.plot_vae_uses(sprite, sprite)
    assert _titles(fig)[:2] == ["(a) generation", "(b) inference"]
    plt.close(fig)
    fig = pt.plot_entanglement(toys.entanglement_example())
    assert _titles(fig) == ["(a) disentangled", "(b) entangled"] and fig.axes[0].get_xlabel() == "$z_1$"
    assert len(fig.axes[0].artists) == 25
    plt.close(fig)
