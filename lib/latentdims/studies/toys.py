"""Toy studies of the jet papers' appendix and the talks, with their closed forms.

* :func:`linear_vae_optimum`: the linear VAE on Gaussian data (ICLR paper appendix A.3,
  Eqs 4-9; NeurIPS appendix A.2): per principal direction of standard deviation ``sigma``,
  ``D = beta^2`` and ``R = -log(beta / sigma)`` for ``beta < sigma``, and the uninformative
  optimum (``D = sigma^2``, ``R = 0``) above.
* Toy data sets: 1-D / d-D Gaussians (optionally rotated), the talks' 2-D "bananas", a filled
  disc for the plain autoencoder, and the curse-of-dimensionality toy (ten N(0, 1) directions and
  one N(0, 0.1)); :func:`toy_population` gives the population behind the Gaussian ones.
* :func:`toy_beta_sweep`: a dense VAE (:class:`latentdims.models.dense_vae.DenseVAE`) trained
  over a log-uniform grid of ``beta`` by annealing upwards (weights kept from step to step, as in
  the papers' production run), cached; rates, distortions and per-latent KL measured on held-out
  data at every step, and the weights of every step kept for plotting.
* Measurements on trained toys: :func:`decoded_curve` (the curve a 1-D latent decodes to),
  :func:`pca_distortion` (the best linear reconstruction, for comparison), :func:`reconstruction_smear`
  (how far the posterior's noise moves a reconstruction, the talks' "resolution ~ beta"),
  :func:`linear_vae_parameters` (the matrices of a trained linear VAE) and
  :func:`toy_correlation_dimension` (the correlation dimension of a toy data set, cached).

Note on the ICLR text: A.3 says the data have "variance sigma-bar" but every formula uses
sigma-bar as the standard deviation (e.g. ``sigma(x) = beta / sigma-bar``); we follow the formulas.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from latentdims.core.validation import check_array, check_choice, check_int, check_positive
from latentdims.core.cache import cached, cached_arrays
from latentdims.core.profiles import by_profile

__all__ = ["LinearVAEOptimum", "linear_vae_optimum", "random_rotation", "gaussian_data",
           "banana_data", "curse_data", "ring_data", "TOY_DATASETS", "ToyPopulation",
           "toy_population", "ToySettings", "toy_settings", "ae_settings", "bananas_settings",
           "curse_settings", "linear_check_settings", "ToySweep", "toy_beta_sweep", "toy_model",
           "DecodedCurve", "decoded_curve", "pca_distortion", "reconstruction_smear",
           "LinearVAEParameters", "linear_vae_parameters", "LinearVAECheck", "linear_vae_check",
           "CorrelationSettings", "correlation_settings", "ToyCorrelation",
           "toy_correlation_dimension"]


@dataclass(frozen=True)
class LinearVAEOptimum:
    """The optimum of the linear VAE at each ``beta`` (arrays over betas, and directions).

    Attributes
    ----------
    rate, distortion : (K,)
        ``R = sum_i max(0, -log(beta / sigma_i))`` nats and ``D = sum_i min(beta, sigma_i)^2``.
    rate_per_direction : (K, d)
    encoder_slope, decoder_slope, posterior_std : (K, d)
        ``mu(x) = a x``, ``rho(z) = b z`` and ``sigma(x)`` of ICLR Eq. 6 (Eq. 5 above sigma_i).
    """
    rate: np.ndarray
    distortion: np.ndarray
    rate_per_direction: np.ndarray
    encoder_slope: np.ndarray
    decoder_slope: np.ndarray
    posterior_std: np.ndarray


def linear_vae_optimum(sigmas, betas, *, latent_dim: int | None = None) -> LinearVAEOptimum:
    r"""Closed-form optimum of the linear VAE on centred Gaussian data (ICLR appendix A.3).

    For one direction of standard deviation :math:`\bar\sigma` and :math:`\beta < \bar\sigma`
    (Eqs 6-8):

    .. math::
        \mu(x) = \frac{\sqrt{\bar\sigma^2-\beta^2}}{\bar\sigma^2}x,\quad
        \rho(z) = \sqrt{\bar\sigma^2-\beta^2}\,z,\quad \sigma(x) = \beta/\bar\sigma,\quad
        D = \beta^2,\quad R = -\log(\beta/\bar\sigma)

    and above :math:`\bar\sigma` the uninformative optimum (Eq. 5): :math:`D = \bar\sigma^2`,
    :math:`R = 0`.  Independent directions add (Eq. 9), so
    :math:`D_1 = D_2 = \sum_i \Theta(\bar\sigma_i - \beta)`.

    Parameters
    ----------
    sigmas : array, shape (d,)
        Standard deviations of the principal directions (> 0).
    betas : array, shape (K,)
        Resolutions (> 0), same units as ``sigmas``.
    latent_dim : int, optional
        Number of latent directions ``n``.  A linear VAE with ``n < d`` latents can encode at most
        the ``n`` widest directions (the PPCA solution, thesis Eq. 4.10); the others stay
        uninformative at every ``beta``.  Default: as many latents as directions.

    Examples
    --------
    >>> opt = linear_vae_optimum([1.0], [0.5, 2.0])
    >>> np.round(opt.distortion, 3).tolist(), np.round(opt.rate, 3).tolist()
    ([0.25, 1.0], [0.693, 0.0])
    >>> linear_vae_optimum([2.0, 1.0], [0.5], latent_dim=1).distortion.tolist()  # 0.5^2 + 1^2
    [1.25]
    """
    func = "linear_vae_optimum"
    s = check_array(sigmas, name="sigmas", func=func, ndim=1, min_rows=1)
    b = check_array(betas, name="betas", func=func, ndim=1, min_rows=1)
    if np.any(s <= 0) or np.any(b <= 0):
        raise ValueError(f"{func}: `sigmas` and `betas` must be > 0.")
    n = len(s) if latent_dim is None else check_int(latent_dim, name="latent_dim", func=func,
                                                     minimum=1)
    encodable = np.zeros(len(s), dtype=bool)
    encodable[np.argsort(-s, kind="stable")[:n]] = True     # the n widest directions
    S, B = s[None, :], b[:, None]
    informative = (B < S) & encodable[None, :]
    rate_i = np.where(informative, np.log(S / B), 0.0)
    dist_i = np.where(informative, B**2, S**2)
    root = np.where(informative, np.sqrt(np.clip(S**2 - B**2, 0.0, None)), 0.0)
    return LinearVAEOptimum(rate=rate_i.sum(axis=1), distortion=dist_i.sum(axis=1),
                            rate_per_direction=rate_i, encoder_slope=root / S**2,
                            decoder_slope=root, posterior_std=np.where(informative, B / S, 1.0))


# ---------------------------------------------------------------------------------- toy data
def random_rotation(d: int, *, seed: int = 0) -> np.ndarray:
    """A uniformly random rotation matrix (orthogonal, determinant +1), shape (d, d).

    >>> r = random_rotation(3, seed=1)
    >>> bool(np.allclose(r @ r.T, np.eye(3)) and np.isclose(np.linalg.det(r), 1.0))
    True
    """
    d = check_int(d, name="d", func="random_rotation", minimum=1)
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    q = q * np.sign(np.diag(r))          # the sign fix makes the draw uniform (Haar)
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def gaussian_data(n: int, sigmas, *, seed: int = 0, rotation=None) -> np.ndarray:
    """``n`` points of a centred Gaussian with independent directions of std ``sigmas``, (n, d).

    With ``rotation`` (an orthogonal (d, d) matrix ``R``) the principal directions are the
    columns of ``R``: ``x = R (sigmas * eps)``, covariance ``R diag(sigmas^2) R^T``.
    """
    func = "gaussian_data"
    s = check_array(sigmas, name="sigmas", func=func, ndim=1, min_rows=1)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((check_int(n, name="n", func=func, minimum=1), len(s))) * s
    if rotation is not None:
        r = check_array(rotation, name="rotation", func=func, shape=(len(s), len(s)))
        if not np.allclose(r @ r.T, np.eye(len(s)), atol=1e-6):
            raise ValueError(f"{func}: `rotation` must be orthogonal (R R^T = I); got max "
                             f"|R R^T - I| = {np.abs(r @ r.T - np.eye(len(s))).max():.3g}. "
                             f"Use random_rotation(d, seed=...).")
        x = x @ r.T
    return x.astype(np.float32)


def banana_data(n: int, *, seed: int = 0, noise: float = 0.05, n_bananas: int = 2) -> np.ndarray:
    """The talks' "bananas": ``n_bananas`` (1 or 2) crescents in 2-D, of size ~1, centred.

    The talks show banana-shaped 2-D data without giving their formula.  A crescent is a half
    circle of radius 1 with points uniform in angle and Gaussian thickness ``noise``; two are
    interleaved like scikit-learn's ``make_moons``.  Their scales: the extent along a crescent
    (standard deviation ~0.9) and the width ``noise``, which a VAE resolves in turn as beta
    decreases.  The notebooks' data set ``"bananas"`` is one crescent of width 0.1, which puts the
    two steps where the talks see them (two latents below beta ~ 0.1, one between 0.1 and 1, none
    above; ``002:L224-262``); with two crescents a one-dimensional latent has to jump between them,
    and at resolutions comparable to their gap it cuts across instead of following them.
    """
    func = "banana_data"
    n = check_int(n, name="n", func=func, minimum=2)
    check_positive(noise, name="noise", func=func, strict=False)
    check_choice(n_bananas, (1, 2), name="n_bananas", func=func)
    rng = np.random.default_rng(seed)
    which = np.arange(n) % n_bananas                      # crescent of each point
    t = rng.uniform(0.0, np.pi, size=n)
    # make_moons' layout: the upper arc centred at (0, 0), the lower one flipped and shifted
    x = np.where(which == 0, np.cos(t), 1.0 - np.cos(t))
    y = np.where(which == 0, np.sin(t), 0.5 - np.sin(t))
    pts = np.stack([x, y], axis=1) + noise * rng.standard_normal((n, 2))
    return (pts - pts.mean(axis=0)).astype(np.float32)


def ring_data(n: int, *, seed: int = 0) -> np.ndarray:
    """A filled 2-D disc of radius 1 (uniform), for the plain autoencoder's "dense packing"."""
    n = check_int(n, name="n", func="ring_data", minimum=1)
    rng = np.random.default_rng(seed)
    r, t = np.sqrt(rng.uniform(size=n)), rng.uniform(0, 2 * np.pi, size=n)
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=1).astype(np.float32)


def curse_data(n: int, *, seed: int = 0, n_wide: int = 10, small_sigma: float = 0.1) -> np.ndarray:
    """The talks' curse-of-dimensionality toy: ``n_wide`` N(0, 1) directions and one N(0, 0.1)."""
    return gaussian_data(n, [1.0] * n_wide + [small_sigma], seed=seed)


TOY_DATASETS = ("gaussian1d", "gaussian3d", "rotated4d", "bananas", "ring", "curse")
_ROTATED4D_SEED = 4   # the fixed rotation of "rotated4d" (part of the data set's definition)


def _data_spec(name: str, func: str = "toy_beta_sweep") -> dict:
    """The generator and parameters of a named toy data set (also part of the cache key)."""
    check_choice(name, TOY_DATASETS, name="dataset", func=func)
    if name == "gaussian1d":
        return {"kind": "gaussian", "sigmas": [1.0], "rotation_seed": None}
    if name == "gaussian3d":
        return {"kind": "gaussian", "sigmas": [2.0, 0.5, 0.1], "rotation_seed": None}
    if name == "rotated4d":
        return {"kind": "gaussian", "sigmas": [2.0, 1.0, 0.5, 0.25], "rotation_seed": _ROTATED4D_SEED}
    if name == "curse":
        return {"kind": "gaussian", "sigmas": [1.0] * 10 + [0.1], "rotation_seed": None}
    if name == "bananas":
        return {"kind": "bananas", "noise": 0.1, "n_bananas": 1}
    return {"kind": "disc"}


def _toy_data(name: str, n: int, seed: int) -> np.ndarray:
    spec = _data_spec(name)
    if spec["kind"] == "gaussian":
        pop = toy_population(name)
        return gaussian_data(n, pop.sigmas, seed=seed,
                             rotation=None if spec["rotation_seed"] is None else pop.rotation)
    if spec["kind"] == "bananas":
        return banana_data(n, seed=seed, noise=spec["noise"], n_bananas=spec["n_bananas"])
    return ring_data(n, seed=seed)


@dataclass(frozen=True)
class ToyPopulation:
    """The population behind a Gaussian toy: ``x = rotation @ (sigmas * eps)``.

    Attributes
    ----------
    sigmas : (d,)
        Standard deviations of the principal directions.
    rotation : (d, d)
        Orthogonal; its columns are the principal directions (the identity if not rotated).
    """
    sigmas: np.ndarray
    rotation: np.ndarray

    @property
    def covariance(self) -> np.ndarray:
        """``R diag(sigmas^2) R^T``, shape (d, d)."""
        return (self.rotation * self.sigmas**2) @ self.rotation.T


def toy_population(dataset: str) -> ToyPopulation:
    """The standard deviations and principal directions of a Gaussian toy data set.

    >>> toy_population("gaussian3d").sigmas.tolist()
    [2.0, 0.5, 0.1]
    """
    spec = _data_spec(dataset, func="toy_population")
    if spec["kind"] != "gaussian":
        gaussian = [n for n in TOY_DATASETS if _data_spec(n)["kind"] == "gaussian"]
        raise ValueError(f"toy_population: {dataset!r} is not a Gaussian toy; expected one of "
                         f"{', '.join(repr(g) for g in gaussian)}.")
    s = np.asarray(spec["sigmas"], dtype=float)
    rot = (np.eye(len(s)) if spec["rotation_seed"] is None
           else random_rotation(len(s), seed=spec["rotation_seed"]))
    return ToyPopulation(sigmas=s, rotation=rot)


# ------------------------------------------------------------------------------ beta sweeps
@dataclass(frozen=True)
class ToySettings:
    """How much work a toy sweep does."""
    n_train: int            # training points
    n_valid: int            # held-out points for R, D and per-latent KL
    n_betas: int            # log-uniform grid size
    epochs_first: int       # epochs at the first (smallest) beta
    epochs_per_beta: int    # epochs at each later beta (annealing keeps the weights)
    batch_size: int
    learning_rate: float


def toy_settings(profile: str) -> ToySettings:
    """Sizes per profile: ``smoke`` runs in seconds; ``quick`` shows the steps clearly."""
    return by_profile(
        profile,
        smoke=ToySettings(n_train=1000, n_valid=500, n_betas=6, epochs_first=2, epochs_per_beta=1,
                          batch_size=250, learning_rate=3e-3),
        quick=ToySettings(n_train=20000, n_valid=5000, n_betas=25, epochs_first=40,
                          epochs_per_beta=12, batch_size=250, learning_rate=3e-3),
        paper=ToySettings(n_train=100000, n_valid=20000, n_betas=40, epochs_first=100,
                          epochs_per_beta=40, batch_size=250, learning_rate=1e-3))


def _study_settings(profile: str, *, n_betas: tuple[int, int, int], quick_train: int,
                    epochs: tuple[int, int]) -> ToySettings:
    """Settings of one toy study: smoke and paper sizes shared by every study, the quick sizes
    (training points, ``(epochs_first, epochs_per_beta)``) and the grid size of each profile
    ``(smoke, quick, paper)`` given by the study."""
    return by_profile(
        profile,
        smoke=ToySettings(n_train=1000, n_valid=500, n_betas=n_betas[0], epochs_first=2,
                          epochs_per_beta=1, batch_size=250, learning_rate=3e-3),
        quick=ToySettings(n_train=quick_train, n_valid=5000, n_betas=n_betas[1],
                          epochs_first=epochs[0], epochs_per_beta=epochs[1], batch_size=250,
                          learning_rate=3e-3),
        paper=ToySettings(n_train=100000, n_valid=20000, n_betas=n_betas[2],
                          epochs_first=max(100, 2 * epochs[0]), epochs_per_beta=40,
                          batch_size=250, learning_rate=1e-3))


def ae_settings(profile: str) -> ToySettings:
    """The plain autoencoder of the talks (one training, no beta grid).

    ``quick``: 60 epochs of 20 000 points; the ReLU networks of the notebook have left the
    straight-line (PCA) solution and wound into the disc well before (checked at 40-100 epochs).
    """
    return _study_settings(profile, n_betas=(1, 1, 1), quick_train=20000, epochs=(60, 1))


def bananas_settings(profile: str) -> ToySettings:
    """The bananas sweep (2-D data, 10 latents): fewer, longer beta steps than the Gaussian toy.

    A grid ratio of ~1.47 per step (19 steps over three decades) still puts five or more points
    in each regime, and 20 epochs per step let the non-linear model re-converge after each move.
    The notebook anneals *upwards* (``direction="up"``): starting at small beta with both
    directions encoded, a latent only has to switch off as beta grows, which is quick; annealing
    downwards, the latent for the banana's width switched on only at beta ~ 0.02, well below its
    width 0.1 (a passive latent is a saddle the optimiser leaves slowly).  ``epochs_first`` is
    longer because the first step at the smallest beta starts from scratch.
    """
    return _study_settings(profile, n_betas=(4, 19, 40), quick_train=10000, epochs=(60, 20))


def curse_settings(profile: str) -> ToySettings:
    """The curse-of-dimensionality sweep (11-D data, 17 steps over two decades), sized for the
    linear VAE of the notebook (a dense one needs longer; see notebook 03)."""
    return _study_settings(profile, n_betas=(4, 17, 40), quick_train=10000, epochs=(60, 20))


def linear_check_settings(profile: str) -> ToySettings:
    """The linear VAE checked against the thesis' Section 4.2 (a 4-D rotated Gaussian): a
    coarser grid than the jet papers' toy (13 steps over two decades) is enough to compare the
    learnt matrices with the closed forms at every step."""
    return _study_settings(profile, n_betas=(4, 13, 25), quick_train=10000, epochs=(40, 15))


@dataclass(frozen=True)
class ToySweep:
    """Measurements of a toy VAE over a grid of ``beta`` (annealed upwards)."""
    dataset: str
    betas: np.ndarray          # (K,)
    rate: np.ndarray           # (K,) nats, on held-out data
    distortion: np.ndarray     # (K,) squared Euclidean distance
    kl_per_latent: np.ndarray  # (K, n)
    valid: np.ndarray          # (n_valid, d) the held-out data
    entry: str                 # the cache folder (weights of every step: weights_<k>.npz)
    config: dict


def _sweep_config(dataset, latent_dim, hidden, beta_range, deterministic, settings, seed,
                  activation):
    # version 2: the data set's generator parameters and the activation are part of the key
    return {"version": 2, "dataset": dataset, "data": _data_spec(dataset),
            "latent_dim": latent_dim, "hidden": list(hidden), "activation": activation,
            "beta_range": list(beta_range), "deterministic": deterministic,
            "settings": asdict(settings), "seed": seed}


def toy_beta_sweep(dataset: str, profile: str, *, latent_dim: int, beta_range=(0.01, 10.0),
                   hidden: tuple[int, ...] = (64, 64), deterministic: bool = False, seed: int = 0,
                   direction: str = "down", settings: ToySettings | None = None,
                   progress: bool = True, activation: str = "tanh") -> ToySweep:
    """Train a dense VAE on a toy data set across ``beta`` (cached); see the module docstring.

    The grid is log-uniform over ``beta_range``, traversed ``"down"`` (default) or ``"up"``;
    each step starts from the previous step's weights (beta-annealing), trains
    ``epochs_per_beta`` epochs (``epochs_first`` at the first step), and records R, D and the KL
    of every latent on the held-out set with the posterior sampled once per point.  Results are
    returned in increasing ``beta`` either way.  With ``deterministic=True`` the model is a plain
    autoencoder trained once (at ``beta_range[0]``, which it ignores).

    Choice: the papers anneal upwards after a priming run; for these small models a single pass
    from large to small beta converges better (each step starts near the next optimum, while a
    cold start at the smallest beta is a stiff problem with condition number
    ``(sigma_max / beta)^2``), so it is the default here.
    """
    from latentdims.models.dense_vae import DenseVAE, DenseVAEConfig
    from latentdims.models.training import TrainConfig, save_weights, train

    settings = settings or toy_settings(profile)
    check_choice(direction, ("up", "down"), name="direction", func="toy_beta_sweep")
    latent_dim = check_int(latent_dim, name="latent_dim", func="toy_beta_sweep", minimum=1)
    if len(beta_range) != 2 or not 0 < beta_range[0] <= beta_range[1]:
        raise ValueError(f"toy_beta_sweep: `beta_range` must be (low, high) with 0 < low <= high; "
                         f"got {beta_range!r}.")
    config = {**_sweep_config(dataset, latent_dim, hidden, beta_range, deterministic, settings,
                              seed, activation), "direction": direction}
    betas = np.geomspace(beta_range[0], beta_range[1], 1 if deterministic else settings.n_betas)
    order = list(range(len(betas)))[::-1 if direction == "down" else 1]

    def build(out, work):
        data = _toy_data(dataset, settings.n_train + settings.n_valid, seed)
        x_train, x_valid = data[:settings.n_train], data[settings.n_train:]
        model = DenseVAE(DenseVAEConfig(data.shape[1], latent_dim, tuple(hidden),
                                        activation=activation, deterministic=deterministic,
                                        seed=seed), beta=betas[0])
        rates, dists, kls = {}, {}, {}
        for i, k in enumerate(order):
            beta = betas[k]
            model.beta.assign(beta)
            cfg = TrainConfig(epochs=settings.epochs_first if i == 0 else settings.epochs_per_beta,
                              batch_size=settings.batch_size, learning_rate=settings.learning_rate,
                              monitor="loss")
            train(model, x_train, config=cfg, seed=seed + k, checkpoint_dir=work / f"step_{k:03d}",
                  progress=progress, desc=f"{dataset} beta={beta:.3g} ({i + 1}/{len(betas)})")
            model.reset_metrics()
            logs = model.test_step(x_valid)
            rates[k], dists[k] = float(logs["rate"]), float(logs["distortion"])
            kls[k] = np.asarray(model.kl_tracker.result())
            save_weights(model, out / f"weights_{k:03d}.npz")
        with open(out / "sweep.npz", "wb") as f:
            ks = range(len(betas))
            np.savez(f, betas=betas, rate=np.array([rates[k] for k in ks]),
                     distortion=np.array([dists[k] for k in ks]),
                     kl_per_latent=np.array([kls[k] for k in ks]), valid=x_valid)

    entry = cached("toy_sweep", config, build)
    with np.load(entry / "sweep.npz") as d:
        return ToySweep(dataset=dataset, betas=d["betas"], rate=d["rate"], distortion=d["distortion"],
                        kl_per_latent=d["kl_per_latent"], valid=d["valid"], entry=str(entry),
                        config=config)


def toy_model(sweep: ToySweep, step: int):
    """The dense VAE of ``sweep`` with the weights it had at the end of beta step ``step``."""
    from pathlib import Path

    from latentdims.models.dense_vae import DenseVAE, DenseVAEConfig
    from latentdims.models.training import load_weights

    cfg = sweep.config
    k = check_int(step, name="step", func="toy_model", minimum=0)
    if k >= len(sweep.betas):
        raise ValueError(f"toy_model: `step` must be < {len(sweep.betas)}; got {step}.")
    model = DenseVAE(DenseVAEConfig(sweep.valid.shape[1], cfg["latent_dim"], tuple(cfg["hidden"]),
                                    activation=cfg.get("activation", "tanh"),
                                    deterministic=cfg["deterministic"], seed=cfg["seed"]),
                     beta=float(sweep.betas[k]))
    model.test_step(sweep.valid[:2])   # build the variables
    load_weights(model, Path(sweep.entry) / f"weights_{k:03d}.npz")
    model.reset_metrics()
    return model


# ------------------------------------------------------------------ measuring trained toys
@dataclass(frozen=True)
class DecodedCurve:
    """The image of a 1-D latent under the decoder.

    Attributes
    ----------
    z : (K,)
        Latent values, evenly spaced between the smallest and largest code of the data.
    points : (K, d)
        ``decode(z)``, the curve the reconstructions lie on.
    length : float
        Arc length of ``points`` (same units as the data).
    codes : (N,)
        The latent code of every data point.
    """
    z: np.ndarray
    points: np.ndarray
    length: float
    codes: np.ndarray


def decoded_curve(model, x, *, n_points: int = 4000) -> DecodedCurve:
    r"""Decode a fine grid of a one-dimensional latent across the range the data use.

    .. math::
        L = \sum_k \lVert \rho(z_{k+1}) - \rho(z_k) \rVert,
        \quad z_k \in [\min_i \mu(x_i), \max_i \mu(x_i)]

    Parameters
    ----------
    model
        A trained model with ``encode(x) -> (mean, log_var)`` and ``decode(z)`` and a 1-D latent.
    x : array, shape (N, d)
    n_points : int
        Grid size (the arc length converges once the grid resolves the curve's windings).
    """
    func = "decoded_curve"
    x = check_array(x, name="x", func=func, ndim=2, min_rows=1).astype(np.float32)
    n_points = check_int(n_points, name="n_points", func=func, minimum=2)
    codes = np.asarray(model.encode(x)[0], dtype=np.float64)
    if codes.shape[1] != 1:
        raise ValueError(f"{func}: the model must have a 1-D latent; got {codes.shape[1]} latents.")
    z = np.linspace(codes.min(), codes.max(), n_points)
    points = np.asarray(model.decode(z[:, None].astype(np.float32)), dtype=np.float64)
    length = float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum())
    return DecodedCurve(z=z, points=points, length=length, codes=codes[:, 0])


def pca_distortion(x, k: int) -> float:
    r"""Mean squared error of the best rank-``k`` linear reconstruction (PCA) of ``x``.

    .. math::
        D_{\rm PCA}(k) = \sum_{i > k} \lambda_i

    with :math:`\lambda_1 \ge \lambda_2 \ge \dots` the eigenvalues of the (biased) covariance of
    ``x``: the distortion a *linear* autoencoder with ``k`` latents reaches.

    >>> x = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [0.0, -0.5]])
    >>> pca_distortion(x, 1)   # the second eigenvalue, 0.5^2 / 2
    0.125
    """
    func = "pca_distortion"
    x = check_array(x, name="x", func=func, ndim=2, min_rows=2)
    k = check_int(k, name="k", func=func, minimum=0)
    eig = np.sort(np.linalg.eigvalsh(np.cov(x, rowvar=False, bias=True).reshape(x.shape[1], -1)))
    return float(max(eig[: max(x.shape[1] - k, 0)].sum(), 0.0))


def reconstruction_smear(model, x, *, step: float = 1e-3) -> np.ndarray:
    r"""How far the posterior's noise moves each reconstruction, per latent direction.

    .. math::
        s_{ik} = \sigma_k(x_i)\,\left\lVert \frac{\partial \rho}{\partial z_k}\Big|_{\mu(x_i)}
        \right\rVert

    with :math:`\sigma_k` the posterior standard deviation and the decoder's Jacobian column
    taken by central differences of width ``step`` (in latent units).  For a locally linear
    decoder the optimum of :math:`\lVert\Delta x\rVert^2/2\beta^2 + \mathrm{KL}` over
    :math:`\sigma_k` gives :math:`s_{ik} = \beta` for an informative latent ("the stochasticity of
    the latent sampling will smear the reconstruction at scale ~ beta", talks ``002:L199-203``;
    ICLR Eq. 6 for the linear case: :math:`(\beta/\bar\sigma)\sqrt{\bar\sigma^2-\beta^2}\approx\beta`).

    Returns
    -------
    smear : ndarray, shape (N, n)
        Same units as ``x``.
    """
    func = "reconstruction_smear"
    x = check_array(x, name="x", func=func, ndim=2, min_rows=1).astype(np.float32)
    step = check_positive(step, name="step", func=func)
    mean, log_var = (np.asarray(t, dtype=np.float32) for t in model.encode(x))
    n = mean.shape[1]
    smear = np.empty(mean.shape, dtype=np.float64)
    for k in range(n):
        shift = np.zeros(n, dtype=np.float32)
        shift[k] = step
        up = np.asarray(model.decode(mean + shift), dtype=np.float64)
        down = np.asarray(model.decode(mean - shift), dtype=np.float64)
        jac = np.linalg.norm(up - down, axis=1) / (2 * step)              # (N,)
        smear[:, k] = np.exp(0.5 * log_var[:, k].astype(np.float64)) * jac
    return smear


@dataclass(frozen=True)
class LinearVAEParameters:
    """The matrices of a trained linear VAE, in the thesis' notation (Section 4.2.1).

    Attributes
    ----------
    W : (m, n)
        Decoder matrix, ``rho(z) = W z + b``.
    b : (m,)
    encoder : (n, m)
        Posterior-mean matrix, ``mu(x) = encoder @ x + encoder_bias``.
    encoder_bias : (n,)
    log_var_weight : (n, m)
        How the log-variance depends on ``x`` (zero at the optimum, where Sigma is constant).
    log_var_bias : (n,)
    """
    W: np.ndarray
    b: np.ndarray
    encoder: np.ndarray
    encoder_bias: np.ndarray
    log_var_weight: np.ndarray
    log_var_bias: np.ndarray


def linear_vae_parameters(model) -> LinearVAEParameters:
    """Read the matrices of a :class:`~latentdims.models.dense_vae.DenseVAE` with ``hidden=()``."""
    if tuple(model.config.hidden) != ():
        raise ValueError(f"linear_vae_parameters: the model must be linear (hidden=()); got "
                         f"hidden={tuple(model.config.hidden)}.")
    (dec,) = model.decoder_layers
    arr = lambda v: np.asarray(v.numpy() if hasattr(v, "numpy") else v, dtype=np.float64)
    # Keras kernels are (inputs, outputs); the thesis' matrices act on column vectors
    return LinearVAEParameters(W=arr(dec.kernel).T, b=arr(dec.bias),
                               encoder=arr(model.mean_head.kernel).T,
                               encoder_bias=arr(model.mean_head.bias),
                               log_var_weight=arr(model.log_var_head.kernel).T,
                               log_var_bias=arr(model.log_var_head.bias))


@dataclass(frozen=True)
class LinearVAECheck:
    """A trained linear VAE against the thesis' closed forms (Section 4.2), at every beta step.

    Latents are ordered at each step from the most to the least informative (increasing posterior
    variance); directions of the data from the widest.  ``gamma = beta^2`` (decoder variance).

    Attributes
    ----------
    betas : (K,)
    trained_var : (K, n)
        Posterior variances of the trained model (mean over the held-out data).
    predicted_var : (K, n)
        Eq. 4.11/4.15 from the trained decoder: ``1 / ((W^T W)_ii / gamma + 1)``.
    closed_form_var : (K, n)
        With the PPCA decoder: ``gamma / sigma_i^2`` for the ``n`` widest directions with
        ``sigma_i > beta``, else 1 (passive).
    trained_encoder, predicted_encoder : (K, n, m)
        The posterior-mean matrix, trained and from Eq. 4.8 with the trained decoder,
        ``(gamma I + W^T W)^{-1} W^T``.
    singular_values2, ppca_singular_values2 : (K, n)
        Squared singular values of the trained ``W`` and of the PPCA maximiser,
        ``max(sigma_i^2 - gamma, 0)``.
    column_coupling : (K,)
        ``max_{i != j} |(W^T W)_ij| / sqrt((W^T W)_ii (W^T W)_jj)`` over the active columns
        (0: W^T W diagonal, the polarised regime; 0 if fewer than two are active).
    log_var_slope : (K,)
        Largest |weight| of the log-variance on ``x`` (0 at the optimum: Sigma is constant).
    n_active, n_active_expected : (K,)
        Latents with posterior variance < 0.5, trained and in the closed form (the same threshold:
        a direction counts from ``beta < sigma_i / sqrt(2)``).
    threshold_distance : (K,)
        ``min_i |log(beta / sigma_i)|`` over the encodable directions: how far the step is from a
        latent switching on or off.  Close to a switch the loss is flat along the switching
        direction and training converges slowly, so comparisons there say more about the optimiser
        than about the optimum.
    """
    betas: np.ndarray
    trained_var: np.ndarray
    predicted_var: np.ndarray
    closed_form_var: np.ndarray
    trained_encoder: np.ndarray
    predicted_encoder: np.ndarray
    singular_values2: np.ndarray
    ppca_singular_values2: np.ndarray
    column_coupling: np.ndarray
    log_var_slope: np.ndarray
    n_active: np.ndarray
    n_active_expected: np.ndarray
    threshold_distance: np.ndarray


def linear_vae_check(sweep: ToySweep) -> LinearVAECheck:
    """Compare every step of a linear-VAE sweep on a Gaussian toy with thesis Section 4.2.

    See :class:`LinearVAECheck`; the formulas are in :mod:`latentdims.maths.background`.
    """
    from latentdims.maths.background import linear_vae_posterior

    func = "linear_vae_check"
    if tuple(sweep.config["hidden"]) != () or sweep.config["deterministic"]:
        raise ValueError(f"{func}: the sweep must be of a linear VAE (hidden=(), not "
                         f"deterministic); got hidden={tuple(sweep.config['hidden'])}.")
    pop = toy_population(sweep.dataset)
    n = sweep.config["latent_dim"]
    top = np.sort(pop.sigmas)[::-1][:n]
    top = np.concatenate([top, np.zeros(n - len(top))])          # more latents than directions
    out = {k: [] for k in LinearVAECheck.__dataclass_fields__ if k != "betas"}
    for k, beta in enumerate(sweep.betas):
        gamma = float(beta) ** 2
        model = toy_model(sweep, k)
        p = linear_vae_parameters(model)
        trained = np.exp(np.asarray(model.encode(sweep.valid)[1], dtype=np.float64)).mean(axis=0)
        order = np.argsort(trained, kind="stable")                 # most informative first
        W = p.W[:, order]
        wtw = W.T @ W
        pred = np.diag(linear_vae_posterior(np.zeros(W.shape[0]), W, p.b, gamma,
                                            diagonal=True).cov)
        active = top > beta
        closed_var = np.where(active, gamma / np.where(active, top, 1.0)**2, 1.0)
        norms = np.sqrt(np.clip(np.diag(wtw), 1e-300, None))
        coupling = np.abs(wtw) / np.outer(norms, norms)
        on = np.flatnonzero(trained[order] < 0.5)
        sub = coupling[np.ix_(on, on)] - np.eye(len(on))
        out["trained_var"].append(trained[order])
        out["predicted_var"].append(pred)
        out["closed_form_var"].append(closed_var)
        out["trained_encoder"].append(p.encoder[order])
        out["predicted_encoder"].append(np.linalg.solve(gamma * np.eye(n) + wtw, W.T))
        out["singular_values2"].append(np.sort(np.linalg.svd(W, compute_uv=False)**2)[::-1])
        out["ppca_singular_values2"].append(np.clip(top**2 - gamma, 0.0, None))
        out["column_coupling"].append(float(sub.max()) if len(on) > 1 else 0.0)
        out["log_var_slope"].append(float(np.abs(p.log_var_weight).max()))
        out["n_active"].append(int(np.sum(trained < 0.5)))
        out["n_active_expected"].append(int(np.sum(closed_var < 0.5)))
        out["threshold_distance"].append(float(np.min(np.abs(np.log(beta / top[top > 0])))))
    return LinearVAECheck(betas=np.asarray(sweep.betas), **{k: np.asarray(v) for k, v in out.items()})


# ------------------------------------------------------------ correlation dimension of toys
@dataclass(frozen=True)
class CorrelationSettings:
    """How the correlation dimension of a toy is measured."""
    n_points: int       # points (the distance matrix is O(n_points^2) in memory)
    n_boot: int         # bootstrap resamples for the band
    n_scales: int       # log-uniform scales Q
    q_range: tuple      # (smallest, largest) Q, in data units


def correlation_settings(profile: str) -> CorrelationSettings:
    """Point counts per profile; the talks' 5e5 points (``002:L532``) are out of reach of a full
    distance matrix, and the point of the toy is that even they are too few."""
    return by_profile(
        profile,
        smoke=CorrelationSettings(n_points=600, n_boot=20, n_scales=25, q_range=(0.03, 10.0)),
        quick=CorrelationSettings(n_points=5000, n_boot=100, n_scales=40, q_range=(0.03, 10.0)),
        paper=CorrelationSettings(n_points=10000, n_boot=200, n_scales=50, q_range=(0.03, 10.0)))


@dataclass(frozen=True)
class ToyCorrelation:
    """The correlation dimension of a toy data set and the scale where its data run sparse.

    Attributes
    ----------
    result : CorrelationDimension
        From :func:`latentdims.maths.dimensionality.correlation_dimension`.
    nearest_neighbour : (N,)
        Distance from every point to its nearest neighbour: below these scales a typical point
        has no neighbour, and ``D_corr`` cannot see the data's structure.
    n_points : int
    """
    result: object
    nearest_neighbour: np.ndarray
    n_points: int


def toy_correlation_dimension(dataset: str, profile: str, *, seed: int = 0,
                              settings: CorrelationSettings | None = None) -> ToyCorrelation:
    """Correlation dimension ``D_corr(Q)`` (ICLR Eq. 3) of a toy data set, with bands (cached).

    The points are drawn with seed ``seed + 1`` (independent of a VAE's training data).
    """
    from scipy.spatial.distance import pdist, squareform

    from latentdims.maths.dimensionality import CorrelationDimension, correlation_dimension

    settings = settings or correlation_settings(profile)
    spec = _data_spec(dataset, func="toy_correlation_dimension")
    config = {"version": 1, "dataset": dataset, "data": spec, "settings": asdict(settings),
              "seed": seed}

    def compute():
        x = _toy_data(dataset, settings.n_points, seed + 1).astype(np.float64)
        d = pdist(x)
        q = np.geomspace(settings.q_range[0], settings.q_range[1], settings.n_scales)
        res = correlation_dimension(d, q, n_boot=settings.n_boot, seed=seed)
        square = squareform(d)
        np.fill_diagonal(square, np.inf)
        return {**asdict(res), "nearest_neighbour": square.min(axis=1)}

    arrays = cached_arrays("toy_dcorr", config, compute)
    nn = arrays.pop("nearest_neighbour")
    return ToyCorrelation(result=CorrelationDimension(**arrays), nearest_neighbour=nn,
                          n_points=settings.n_points)
