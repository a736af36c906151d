"""Toy studies of the jet papers' appendix and the talks, with their closed forms.

* :func:`linear_vae_optimum`: the linear VAE on Gaussian data (ICLR paper appendix A.3,
  Eqs 4-9; NeurIPS appendix A.2): per principal direction of standard deviation ``sigma``,
  ``D = beta^2`` and ``R = -log(beta / sigma)`` for ``beta < sigma``, and the uninformative
  optimum (``D = sigma^2``, ``R = 0``) above.
* Toy data sets: 1-D / d-D Gaussians, the talks' 2-D "bananas", and the curse-of-dimensionality
  toy (ten N(0, 1) directions and one N(0, 0.1)).
* :func:`toy_beta_sweep`: a dense VAE (:class:`latentdims.models.dense_vae.DenseVAE`) trained
  over a log-uniform grid of ``beta`` by annealing upwards (weights kept from step to step, as in
  the papers' production run), cached; rates, distortions and per-latent KL measured on held-out
  data at every step, and the weights of every step kept for plotting.

Note on the ICLR text: A.3 says the data have "variance sigma-bar" but every formula uses
sigma-bar as the standard deviation (e.g. ``sigma(x) = beta / sigma-bar``); we follow the formulas.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from ._validation import check_array, check_choice, check_int
from .cache import cached
from .profiles import by_profile

__all__ = ["LinearVAEOptimum", "linear_vae_optimum", "gaussian_data", "banana_data",
           "curse_data", "ring_data", "TOY_DATASETS", "ToySettings", "toy_settings",
           "ToySweep", "toy_beta_sweep", "toy_model"]


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


def linear_vae_optimum(sigmas, betas) -> LinearVAEOptimum:
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

    Examples
    --------
    >>> opt = linear_vae_optimum([1.0], [0.5, 2.0])
    >>> np.round(opt.distortion, 3).tolist(), np.round(opt.rate, 3).tolist()
    ([0.25, 1.0], [0.693, 0.0])
    """
    func = "linear_vae_optimum"
    s = check_array(sigmas, name="sigmas", func=func, ndim=1, min_rows=1)
    b = check_array(betas, name="betas", func=func, ndim=1, min_rows=1)
    if np.any(s <= 0) or np.any(b <= 0):
        raise ValueError(f"{func}: `sigmas` and `betas` must be > 0.")
    S, B = s[None, :], b[:, None]
    informative = B < S
    rate_i = np.where(informative, np.log(S / B), 0.0)
    dist_i = np.where(informative, B**2, S**2)
    root = np.sqrt(np.clip(S**2 - B**2, 0.0, None))
    return LinearVAEOptimum(rate=rate_i.sum(axis=1), distortion=dist_i.sum(axis=1),
                            rate_per_direction=rate_i, encoder_slope=root / S**2,
                            decoder_slope=root, posterior_std=np.where(informative, B / S, 1.0))


# ---------------------------------------------------------------------------------- toy data
def gaussian_data(n: int, sigmas, *, seed: int = 0) -> np.ndarray:
    """``n`` points of a centred Gaussian with independent directions of std ``sigmas``, (n, d)."""
    s = check_array(sigmas, name="sigmas", func="gaussian_data", ndim=1, min_rows=1)
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((check_int(n, name="n", func="gaussian_data", minimum=1), len(s)))
            * s).astype(np.float32)


def banana_data(n: int, *, seed: int = 0, noise: float = 0.05) -> np.ndarray:
    """The talks' "bananas": two interleaved crescents in 2-D, of size ~1, with noise ``noise``.

    The talks show a banana-shaped 2-D distribution without giving its formula; we use two
    crescents (radius 1, 150 degrees each, offset like scikit-learn's ``make_moons``) with
    Gaussian thickness ``noise``.  Its scales: the crescents' extent (~1) and width (``noise``),
    which the VAE resolves in turn as beta decreases (the talks' three regimes).
    """
    from sklearn.datasets import make_moons

    x, _ = make_moons(n_samples=check_int(n, name="n", func="banana_data", minimum=2),
                      noise=noise, random_state=seed)
    return (x - x.mean(axis=0)).astype(np.float32)


def ring_data(n: int, *, seed: int = 0) -> np.ndarray:
    """A filled 2-D disc of radius 1 (uniform), for the plain autoencoder's "dense packing"."""
    rng = np.random.default_rng(seed)
    r, t = np.sqrt(rng.uniform(size=n)), rng.uniform(0, 2 * np.pi, size=n)
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=1).astype(np.float32)


def curse_data(n: int, *, seed: int = 0, n_wide: int = 10, small_sigma: float = 0.1) -> np.ndarray:
    """The talks' curse-of-dimensionality toy: ``n_wide`` N(0, 1) directions and one N(0, 0.1)."""
    return gaussian_data(n, [1.0] * n_wide + [small_sigma], seed=seed)


TOY_DATASETS = ("gaussian1d", "gaussian3d", "bananas", "ring", "curse")


def _toy_data(name: str, n: int, seed: int) -> np.ndarray:
    check_choice(name, TOY_DATASETS, name="dataset", func="toy_beta_sweep")
    if name == "gaussian1d":
        return gaussian_data(n, [1.0], seed=seed)
    if name == "gaussian3d":
        return gaussian_data(n, [2.0, 0.5, 0.1], seed=seed)
    if name == "bananas":
        return banana_data(n, seed=seed)
    if name == "ring":
        return ring_data(n, seed=seed)
    return curse_data(n, seed=seed)


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


def _sweep_config(dataset, latent_dim, hidden, beta_range, deterministic, settings, seed):
    return {"version": 1, "dataset": dataset, "latent_dim": latent_dim, "hidden": list(hidden),
            "beta_range": list(beta_range), "deterministic": deterministic,
            "settings": asdict(settings), "seed": seed}


def toy_beta_sweep(dataset: str, profile: str, *, latent_dim: int, beta_range=(0.01, 10.0),
                   hidden: tuple[int, ...] = (64, 64), deterministic: bool = False, seed: int = 0,
                   direction: str = "down", settings: ToySettings | None = None,
                   progress: bool = True) -> ToySweep:
    """Train a dense VAE on a toy data set across ``beta`` (cached); see the module docstring.

    The grid is log-uniform over ``beta_range``, traversed ``"down"`` (default) or ``"up"``;
    each step starts from the previous step's weights (beta-annealing), trains
    ``epochs_per_beta`` epochs (``epochs_first`` at the first step), and records R, D and the KL
    of every latent on the held-out set with the posterior sampled once per point.  Results are
    returned in increasing ``beta`` either way.

    Choice: the papers anneal upwards after a priming run; for these small models a single pass
    from large to small beta converges better (each step starts near the next optimum, while a
    cold start at the smallest beta is a stiff problem with condition number
    ``(sigma_max / beta)^2``), so it is the default here.
    """
    from .models.dense_vae import DenseVAE, DenseVAEConfig
    from .training import TrainConfig, save_weights, train

    settings = settings or toy_settings(profile)
    check_choice(direction, ("up", "down"), name="direction", func="toy_beta_sweep")
    config = {**_sweep_config(dataset, latent_dim, hidden, beta_range, deterministic, settings, seed),
              "direction": direction}
    betas = np.geomspace(beta_range[0], beta_range[1], 1 if deterministic else settings.n_betas)
    order = list(range(len(betas)))[::-1 if direction == "down" else 1]

    def build(out, work):
        data = _toy_data(dataset, settings.n_train + settings.n_valid, seed)
        x_train, x_valid = data[:settings.n_train], data[settings.n_train:]
        model = DenseVAE(DenseVAEConfig(data.shape[1], latent_dim, tuple(hidden),
                                        deterministic=deterministic, seed=seed), beta=betas[0])
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

    from .models.dense_vae import DenseVAE, DenseVAEConfig
    from .training import load_weights

    cfg = sweep.config
    k = check_int(step, name="step", func="toy_model", minimum=0)
    if k >= len(sweep.betas):
        raise ValueError(f"toy_model: `step` must be < {len(sweep.betas)}; got {step}.")
    model = DenseVAE(DenseVAEConfig(sweep.valid.shape[1], cfg["latent_dim"], tuple(cfg["hidden"]),
                                    deterministic=cfg["deterministic"], seed=cfg["seed"]),
                     beta=float(sweep.betas[k]))
    model.test_step(sweep.valid[:2])   # build the variables
    load_weights(model, Path(sweep.entry) / f"weights_{k:03d}.npz")
    model.reset_metrics()
    return model
