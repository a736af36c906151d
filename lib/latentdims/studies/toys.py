"""The toy studies of notebooks 00-05: the jet papers' appendix, the talks' toys and the thesis'
background, with the sizes of each profile.

A notebook resolves its profile once, ``cfg = settings(profile)`` (a :class:`ToyStudySettings`),
and passes the part it needs down, e.g. ``toy_beta_sweep("bananas", cfg.bananas, ...)``.

* :func:`toy_beta_sweep`: a dense VAE (:class:`latentdims.models.dense_vae.DenseVAE`) trained
  over a log-uniform grid of ``beta`` by annealing (weights kept from step to step, as in the
  papers' production run), cached; rates, distortions and per-latent KL measured on held-out data
  at every step, and the weights of every step kept for plotting (:func:`toy_model`).
* Measurements on trained toys: :func:`decoded_curve` (the curve a 1-D latent decodes to),
  :func:`reconstruction_smear` (how far the posterior's noise moves a reconstruction, the talks'
  "resolution ~ beta"), :func:`posterior_std_ratios` (ICLR Eq. 6), :func:`bananas_regimes` (the
  talks' three regimes), :func:`linear_vae_check` (a trained linear VAE against the thesis'
  Section 4.2) and :func:`linear_vae_rotation_scan` (its ELBO under latent rotations).
* :func:`toy_correlation_dimension`: the correlation dimension of a toy data set, cached.
* The thesis' background examples: :func:`bimodal_kl_fits` (Figure 2.2),
  :func:`independence_stats` (Figure 2.1) and :func:`entanglement_example` (Figure 4.2).

The data sets are in :mod:`latentdims.data.toys`, the closed forms in
:mod:`latentdims.maths.linear_vae` and :mod:`latentdims.maths.divergences`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.distance import pdist, squareform
from scipy.stats import spearmanr

from latentdims.core.cache import cached, cached_arrays
from latentdims.core.profiles import by_profile, capped, check_profile
from latentdims.core.validation import check_array, check_choice, check_int, check_positive
from latentdims.data.dsprites import render_dsprites
from latentdims.data.toys import toy_data, toy_data_spec, toy_population
from latentdims.maths.dimensionality import CorrelationDimension, correlation_dimension
from latentdims.maths.divergences import (INDEPENDENCE_GRAPHS, GaussianFit, GaussianMixture,
                                          fit_gaussian_kl, independence_samples,
                                          partial_correlation, quadrature_grid)
from latentdims.maths.linear_vae import (RotationScan, linear_vae_parameters, linear_vae_posterior,
                                         rotated_elbos)
from latentdims.models.dense_vae import DenseVAE, DenseVAEConfig
from latentdims.models.training import TrainConfig, load_weights, save_weights, train

__all__ = ["ToySettings", "CorrelationSettings", "ToyStudySettings", "settings", "ToySweep",
           "toy_beta_sweep", "toy_model", "DecodedCurve", "decoded_curve", "reconstruction_smear",
           "posterior_std_ratios", "BananaRegime", "bananas_regimes", "LinearVAECheck",
           "linear_vae_check", "linear_vae_rotation_scan", "ToyCorrelation",
           "toy_correlation_dimension", "KLFits", "bimodal_kl_fits", "independence_stats",
           "Entanglement", "entanglement_example"]


# -------------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class ToySettings:
    """How much work a toy sweep does (all of it is part of the sweep's cache key)."""
    n_train: int            # training points
    n_valid: int            # held-out points for R, D and per-latent KL
    n_betas: int            # log-uniform grid size
    epochs_first: int       # epochs at the first (smallest) beta
    epochs_per_beta: int    # epochs at each later beta (annealing keeps the weights)
    batch_size: int
    learning_rate: float


@dataclass(frozen=True)
class CorrelationSettings:
    """How the correlation dimension of a toy is measured (part of its cache key)."""
    n_points: int       # points (the distance matrix is O(n_points^2) in memory)
    n_boot: int         # bootstrap resamples for the band
    n_scales: int       # log-uniform scales Q
    q_range: tuple      # (smallest, largest) Q, in data units


@dataclass(frozen=True)
class ToyStudySettings:
    """The sizes of every toy study of notebooks 00-05 in one profile (from :func:`settings`).

    Attributes
    ----------
    profile : str
        The profile's name, a label for figure titles (nothing branches on it).
    toy : ToySettings
        The jet papers' linear VAE on Gaussian data (notebook 00); ``quick`` shows the steps
        clearly.
    ae : ToySettings
        The talks' plain autoencoder (notebook 01; one training, no beta grid).  ``quick``: 60
        epochs of 20 000 points; the ReLU networks of the notebook have left the straight-line
        (PCA) solution and wound into the disc well before (checked at 40-100 epochs).
    bananas : ToySettings
        The bananas sweep (notebook 02; 2-D data, 10 latents): fewer, longer beta steps than the
        Gaussian toy.  A grid ratio of ~1.47 per step (19 steps over three decades) still puts
        five or more points in each regime, and 20 epochs per step let the non-linear model
        re-converge after each move.  The notebook anneals *upwards* (``direction="up"``):
        starting at small beta with both directions encoded, a latent only has to switch off as
        beta grows, which is quick; annealing downwards, the latent for the banana's width
        switched on only at beta ~ 0.02, well below its width 0.1 (a passive latent is a saddle
        the optimiser leaves slowly).  ``epochs_first`` is longer because the first step at the
        smallest beta starts from scratch.
    curse : ToySettings
        The curse-of-dimensionality sweep (notebook 03; 11-D data, 17 steps over two decades),
        sized for the linear VAE of the notebook (a dense one needs longer; see notebook 03).
    linear_check : ToySettings
        The linear VAE checked against the thesis' Section 4.2 (notebook 04; a 4-D rotated
        Gaussian): a coarser grid than the jet papers' toy (13 steps over two decades) is enough
        to compare the learnt matrices with the closed forms at every step.
    correlation : CorrelationSettings
        The correlation dimension of notebook 03.  The talks' 5e5 points (slide "The Variational
        Autoencoder: Doesn't suffer from curse of dimensionality") are out of reach of a full
        distance matrix, and the point of the toy is that even they are too few.
    """
    profile: str
    toy: ToySettings
    ae: ToySettings
    bananas: ToySettings
    curse: ToySettings
    linear_check: ToySettings
    correlation: CorrelationSettings


def _study_settings(profile: str, *, n_betas: tuple[int, int, int], quick_train: int,
                    epochs: tuple[int, int]) -> ToySettings:
    """Settings of one toy study: smoke and paper sizes shared by every study, the quick sizes
    (training points, ``(epochs_first, epochs_per_beta)``) and the grid size of each profile
    ``(smoke, quick, paper)`` given by the study.  The dry run keeps the paper's grid, network
    and batches, with 1,000 training points and one epoch a step."""
    paper = ToySettings(n_train=100000, n_valid=20000, n_betas=n_betas[2],
                        epochs_first=max(100, 2 * epochs[0]), epochs_per_beta=40,
                        batch_size=250, learning_rate=1e-3)
    return by_profile(
        profile,
        smoke=ToySettings(n_train=1000, n_valid=500, n_betas=n_betas[0], epochs_first=2,
                          epochs_per_beta=1, batch_size=250, learning_rate=3e-3),
        quick=ToySettings(n_train=quick_train, n_valid=5000, n_betas=n_betas[1],
                          epochs_first=epochs[0], epochs_per_beta=epochs[1], batch_size=250,
                          learning_rate=3e-3),
        paper=paper, dry=capped(paper, n_train=1000, n_valid=500, epochs_first=1,
                                epochs_per_beta=1))


def settings(profile: str) -> ToyStudySettings:
    """The toy studies' sizes in ``profile``: ``smoke`` runs in seconds, ``quick`` on a 2-core
    CPU, ``paper`` at the documents' sizes (see :class:`ToyStudySettings` for each choice).

    >>> cfg = settings("smoke")
    >>> cfg.bananas.n_betas, cfg.correlation.n_points
    (4, 600)
    """
    check_profile(profile, func="settings")
    paper_toy = ToySettings(n_train=100000, n_valid=20000, n_betas=40, epochs_first=100,
                            epochs_per_beta=40, batch_size=250, learning_rate=1e-3)
    paper_correlation = CorrelationSettings(n_points=10000, n_boot=200, n_scales=50,
                                            q_range=(0.03, 10.0))
    toy = by_profile(
        profile,
        smoke=ToySettings(n_train=1000, n_valid=500, n_betas=6, epochs_first=2, epochs_per_beta=1,
                          batch_size=250, learning_rate=3e-3),
        quick=ToySettings(n_train=20000, n_valid=5000, n_betas=25, epochs_first=40,
                          epochs_per_beta=12, batch_size=250, learning_rate=3e-3),
        paper=paper_toy, dry=capped(paper_toy, n_train=1000, n_valid=500, epochs_first=1,
                                    epochs_per_beta=1))
    correlation = by_profile(
        profile,
        smoke=CorrelationSettings(n_points=600, n_boot=20, n_scales=25, q_range=(0.03, 10.0)),
        quick=CorrelationSettings(n_points=5000, n_boot=100, n_scales=40, q_range=(0.03, 10.0)),
        paper=paper_correlation, dry=capped(paper_correlation, n_points=1000, n_boot=20))
    return ToyStudySettings(
        profile=profile, toy=toy,
        ae=_study_settings(profile, n_betas=(1, 1, 1), quick_train=20000, epochs=(60, 1)),
        bananas=_study_settings(profile, n_betas=(4, 19, 40), quick_train=10000, epochs=(60, 20)),
        curse=_study_settings(profile, n_betas=(4, 17, 40), quick_train=10000, epochs=(60, 20)),
        linear_check=_study_settings(profile, n_betas=(4, 13, 25), quick_train=10000,
                                     epochs=(40, 15)),
        correlation=correlation)


def _check_type(value, kind, name: str, func: str, attribute: str):
    if not isinstance(value, kind):
        raise TypeError(f"{func}: `{name}` must be a {kind.__name__} (e.g. "
                        f"settings(profile).{attribute}); got {type(value).__name__} {value!r}.")
    return value


# ------------------------------------------------------------------------------ beta sweeps
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


def _sweep_config(dataset, latent_dim, hidden, beta_range, deterministic, training, seed,
                  activation):
    # version 2: the data set's generator parameters and the activation are part of the key
    return {"version": 2, "dataset": dataset, "data": toy_data_spec(dataset, func="toy_beta_sweep"),
            "latent_dim": latent_dim, "hidden": list(hidden), "activation": activation,
            "beta_range": list(beta_range), "deterministic": deterministic,
            "settings": asdict(training), "seed": seed}


def toy_beta_sweep(dataset: str, training: ToySettings, *, latent_dim: int,
                   beta_range=(0.01, 10.0), hidden: tuple[int, ...] = (64, 64),
                   deterministic: bool = False, seed: int = 0, direction: str = "down",
                   progress: bool = True, activation: str = "tanh") -> ToySweep:
    """Train a dense VAE on a toy data set across ``beta`` (cached); see the module docstring.

    ``training`` is the study's :class:`ToySettings` (e.g. ``settings(profile).bananas``).  The
    grid is log-uniform over ``beta_range``, traversed ``"down"`` (default) or ``"up"``; each
    step starts from the previous step's weights (beta-annealing), trains ``epochs_per_beta``
    epochs (``epochs_first`` at the first step), and records R, D and the KL of every latent on
    the held-out set with the posterior sampled once per point.  Results are returned in
    increasing ``beta`` either way.  With ``deterministic=True`` the model is a plain
    autoencoder trained once (at ``beta_range[0]``, which it ignores).

    Choice: the papers anneal upwards after a priming run; for these small models a single pass
    from large to small beta converges better (each step starts near the next optimum, while a
    cold start at the smallest beta is a stiff problem with condition number
    ``(sigma_max / beta)^2``), so it is the default here.
    """
    func = "toy_beta_sweep"
    training = _check_type(training, ToySettings, "training", func, "toy")
    check_choice(direction, ("up", "down"), name="direction", func=func)
    latent_dim = check_int(latent_dim, name="latent_dim", func=func, minimum=1)
    if len(beta_range) != 2 or not 0 < beta_range[0] <= beta_range[1]:
        raise ValueError(f"{func}: `beta_range` must be (low, high) with 0 < low <= high; "
                         f"got {beta_range!r}.")
    config = {**_sweep_config(dataset, latent_dim, hidden, beta_range, deterministic, training,
                              seed, activation), "direction": direction}
    betas = np.geomspace(beta_range[0], beta_range[1], 1 if deterministic else training.n_betas)
    order = list(range(len(betas)))[::-1 if direction == "down" else 1]

    def build(out, work):
        data = toy_data(dataset, training.n_train + training.n_valid, seed)
        x_train, x_valid = data[:training.n_train], data[training.n_train:]
        model = DenseVAE(DenseVAEConfig(data.shape[1], latent_dim, tuple(hidden),
                                        activation=activation, deterministic=deterministic,
                                        seed=seed), beta=betas[0])
        rates, dists, kls = {}, {}, {}
        for i, k in enumerate(order):
            beta = betas[k]
            model.beta.assign(beta)
            cfg = TrainConfig(epochs=training.epochs_first if i == 0 else training.epochs_per_beta,
                              batch_size=training.batch_size, learning_rate=training.learning_rate,
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


def reconstruction_smear(model, x, *, step: float = 1e-3) -> np.ndarray:
    r"""How far the posterior's noise moves each reconstruction, per latent direction.

    .. math::
        s_{ik} = \sigma_k(x_i)\,\left\lVert \frac{\partial \rho}{\partial z_k}\Big|_{\mu(x_i)}
        \right\rVert

    with :math:`\sigma_k` the posterior standard deviation and the decoder's Jacobian column
    taken by central differences of width ``step`` (in latent units).  For a locally linear
    decoder the optimum of :math:`\lVert\Delta x\rVert^2/2\beta^2 + \mathrm{KL}` over
    :math:`\sigma_k` gives :math:`s_{ik} = \beta` for an informative latent ("the stochasticity of
    the latent sampling will smear the reconstruction at scale ~ beta", talk 'Autoencoder introduction', slide 'Information and the loss function';
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


def posterior_std_ratios(sweep: ToySweep, sigma: float, *, beta_max: float,
                         n_points: int = 2000) -> np.ndarray:
    r"""Mean posterior standard deviation over its closed form, :math:`\langle\sigma(x)\rangle /
    (\beta / \bar\sigma)` (ICLR Eq. 6), at every step of ``sweep`` with ``beta < beta_max``.

    For a one-dimensional Gaussian toy of standard deviation ``sigma``; the mean is over the first
    ``n_points`` held-out points.  Returns an array of shape (number of steps below
    ``beta_max``,).
    """
    ratios = []
    for k in [k for k, b in enumerate(sweep.betas) if b < beta_max]:
        mean, log_var = toy_model(sweep, k).encode(sweep.valid[:n_points])
        ratios.append(float(np.mean(np.exp(0.5 * np.asarray(log_var)))) / (sweep.betas[k] / sigma))
    return np.array(ratios)


@dataclass(frozen=True)
class BananaRegime:
    """One beta step of the bananas sweep, measured on the held-out data (notebook 02).

    Attributes
    ----------
    step : int
        The step of the sweep.
    beta : float
    mean, log_var : (N, n)
        Posterior means and log-variances of the held-out points.
    reconstruction : (N, 2)
        The model's reconstructions (posterior sampled once).
    order : (n,)
        Latents from the most to the least informative (KL per latent).
    smear_over_beta : (max(n_active, 1),)
        Median :func:`reconstruction_smear` of the informative latents over beta (first 2000
        points).
    code_order : float
        |Spearman rank correlation| of the most informative latent's code with ``x_1``.
    recon_spread, data_spread : float
        Root of the summed variances of the reconstructions and of the data.
    """
    step: int
    beta: float
    mean: np.ndarray
    log_var: np.ndarray
    reconstruction: np.ndarray
    order: np.ndarray
    smear_over_beta: np.ndarray
    code_order: float
    recon_spread: float
    data_spread: float


def bananas_regimes(sweep: ToySweep, steps: dict, n_active) -> dict:
    """Measure the bananas sweep at the steps ``steps`` (label -> step): latent and reconstruction
    spaces, the posterior's smear and the ordering of the code along the banana.

    ``n_active``: informative latents at every step, shape (K,).  Returns label ->
    :class:`BananaRegime`.
    """
    valid = sweep.valid
    colour = valid[:, 0]
    out = {}
    for label, k in steps.items():
        model = toy_model(sweep, k)
        mean, log_var = (np.asarray(t) for t in model.encode(valid))
        recon = np.asarray(model(valid))
        order = np.argsort(-sweep.kl_per_latent[k])
        smear = reconstruction_smear(model, valid[:2000])
        out[label] = BananaRegime(
            step=int(k), beta=float(sweep.betas[k]), mean=mean, log_var=log_var,
            reconstruction=recon, order=order,
            smear_over_beta=np.median(smear[:, order[: max(n_active[k], 1)]], axis=0) / sweep.betas[k],
            code_order=abs(spearmanr(mean[:, order[0]], colour).statistic),
            recon_spread=float(np.sqrt(recon.var(axis=0).sum())),
            data_spread=float(np.sqrt(valid.var(axis=0).sum())))
    return out


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

    See :class:`LinearVAECheck`; the formulas are in :mod:`latentdims.maths.linear_vae`.
    """
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


def linear_vae_rotation_scan(sweep: ToySweep, *, beta: float = 0.3,
                             n_angles: int = 19) -> tuple[int, RotationScan]:
    """The expected ELBOs of the trained linear VAE of ``sweep`` at the step nearest ``beta``
    when its decoder is rotated (0 to 90 degrees, ``n_angles`` angles) in the plane of its two
    most active latents (:func:`latentdims.maths.linear_vae.rotated_elbos`).

    Returns the step and the :class:`~latentdims.maths.linear_vae.RotationScan`.
    """
    k = int(np.argmin(np.abs(np.log(sweep.betas / beta))))
    params = linear_vae_parameters(toy_model(sweep, k))
    angles = np.linspace(0, np.pi / 2, n_angles)
    scan = rotated_elbos(sweep.valid, params.W, params.b, float(sweep.betas[k]) ** 2, angles,
                         plane=tuple(np.argsort(-np.sum(params.W**2, axis=0))[:2]))
    return k, scan


# ------------------------------------------------------------ correlation dimension of toys
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


def toy_correlation_dimension(dataset: str, correlation: CorrelationSettings, *,
                              seed: int = 0) -> ToyCorrelation:
    """Correlation dimension ``D_corr(Q)`` (ICLR Eq. 3) of a toy data set, with bands (cached).

    ``correlation``: e.g. ``settings(profile).correlation``.  The points are drawn with seed
    ``seed + 1`` (independent of a VAE's training data).
    """
    func = "toy_correlation_dimension"
    correlation = _check_type(correlation, CorrelationSettings, "correlation", func,
                              "correlation")
    spec = toy_data_spec(dataset, func=func)
    config = {"version": 1, "dataset": dataset, "data": spec, "settings": asdict(correlation),
              "seed": seed}

    def compute():
        x = toy_data(dataset, correlation.n_points, seed + 1).astype(np.float64)
        d = pdist(x)
        q = np.geomspace(correlation.q_range[0], correlation.q_range[1], correlation.n_scales)
        res = correlation_dimension(d, q, n_boot=correlation.n_boot, seed=seed)
        square = squareform(d)
        np.fill_diagonal(square, np.inf)
        return {**asdict(res), "nearest_neighbour": square.min(axis=1)}

    arrays = cached_arrays("toy_dcorr", config, compute)
    nn = arrays.pop("nearest_neighbour")
    return ToyCorrelation(result=CorrelationDimension(**arrays), nearest_neighbour=nn,
                          n_points=correlation.n_points)


# --------------------------------------------------------------- the thesis' background
@dataclass(frozen=True)
class KLFits:
    """Figure 2.2's bimodal ``P`` on its quadrature grid and the Gaussians fitted to it.

    Attributes
    ----------
    P : GaussianMixture
    points : (n_per_axis**2, 2)
        Grid cell centres.
    n_per_axis : int
    log_p : (n_per_axis**2,)
        ``log p`` on the grid.
    fits : dict
        Panel title -> :class:`~latentdims.maths.divergences.GaussianFit`: (a) the forward fit,
        (b) and (c) reverse fits started at either mode.
    """
    P: GaussianMixture
    points: np.ndarray
    n_per_axis: int
    log_p: np.ndarray
    fits: dict


def bimodal_kl_fits(*, n_per_axis: int = 160) -> KLFits:
    """Forward and reverse KL fits of one Gaussian to two 2-D Gaussian modes (thesis Fig. 2.2).

    ``P``'s parameters are not stated in the thesis; the two modes follow Bishop (2006, Fig.
    10.3), which the caption cites.  The two reverse fits start at the two modes.
    """
    P = GaussianMixture(weights=[0.5, 0.5], means=[[-1.5, -1.5], [1.5, 1.5]],
                        covs=[[[0.6, 0.3], [0.3, 0.6]], [[0.6, -0.3], [-0.3, 0.6]]])
    points, cell = quadrature_grid([-6.0, -6.0], [6.0, 6.0], n_per_axis)
    log_p = P.log_pdf(points)
    fits: dict[str, GaussianFit] = {
        "(a) forward $D_{KL}(P\\|Q)$": fit_gaussian_kl(log_p, points, cell, direction="forward"),
        "(b) reverse $D_{KL}(Q\\|P)$": fit_gaussian_kl(log_p, points, cell, direction="reverse",
                                                       init_mean=P.means[0]),
        "(c) reverse $D_{KL}(Q\\|P)$": fit_gaussian_kl(log_p, points, cell, direction="reverse",
                                                       init_mean=P.means[1])}
    return KLFits(P=P, points=points, n_per_axis=n_per_axis, log_p=log_p, fits=fits)


def independence_stats(n_samples: int, *, seed: int = 0) -> dict:
    """Correlation and partial correlation given Z of X and Y in each graph of thesis Figure 2.1
    (:func:`latentdims.maths.divergences.independence_samples`), ``n_samples`` samples each.

    Returns graph -> ``{"corr(X,Y)": float, "partial corr(X,Y|Z)": float}``.
    """
    stats = {}
    for graph in INDEPENDENCE_GRAPHS:
        s = independence_samples(graph, n_samples, seed=seed)
        stats[graph] = {"corr(X,Y)": float(np.corrcoef(s["x"], s["y"])[0, 1]),
                        "partial corr(X,Y|Z)": partial_correlation(s["x"], s["y"], s["z"])}
    return stats


@dataclass(frozen=True)
class Entanglement:
    """Thesis Figure 4.2's sprites at their latent codes under an aligned and a rotated map.

    Attributes
    ----------
    factors : (25, 2)
        Standardised (x, y) positions of the sprites (height = minus the image row).
    images : (25, 64, 64)
        dSprites hearts rendered at those positions.
    codes : dict
        Panel title -> latent codes ``factors @ A.T``, shape (25, 2).
    alignment : dict
        Panel title -> |correlation| of latents (rows) with factors (columns), shape (2, 2).
    """
    factors: np.ndarray
    images: np.ndarray
    codes: dict
    alignment: dict


def entanglement_example(*, angle_deg: float = 35.0) -> Entanglement:
    """dSprites hearts at a 5 x 5 grid of (x, y) positions, coded by an aligned map (a) and by a
    rotation of ``angle_deg`` (b: each latent mixes both factors) (thesis Sec. 4.4, Figure 4.2)."""
    grid = np.linspace(2, 29, 5).astype(int)
    positions = np.array([(i, j) for i in grid for j in grid])
    # standardised (x, y) factors; image rows run downwards, so the height is minus the row position
    factors = (positions - positions.mean(axis=0)) / positions.std(axis=0) * np.array([1, -1])
    angle = np.radians(angle_deg)
    maps = {"(a) disentangled": np.eye(2),
            "(b) entangled": np.array([[np.cos(angle), -np.sin(angle)],
                                       [np.sin(angle), np.cos(angle)]])}
    images = render_dsprites(np.column_stack([np.full(len(positions), 2), np.full(len(positions), 5),
                                              np.zeros(len(positions), int), positions]))
    codes, alignment = {}, {}
    for title, A in maps.items():
        z = factors @ A.T
        codes[title] = z
        corr = np.corrcoef(np.column_stack([z, factors]), rowvar=False)[:2, 2:]  # latents x factors
        alignment[title] = np.abs(corr)
    return Entanglement(factors=factors, images=images, codes=codes, alignment=alignment)
