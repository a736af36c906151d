r"""Analysis of annealed EMD-VAEs (issue 5): per-latent KL, dimensionalities, correlations.

* :func:`kl_curves`, :func:`latent_order`, :func:`n_informative` -- the KL of every latent
  direction against :math:`\beta` for any segment of a run (ICLR Fig. 7) and the latents
  ordered by it.
* :func:`run_dimensions` -- :math:`D_1 = -dR/d\log\beta`, :math:`D_2 = dD/d\beta^2` from the
  production run (ICLR Eq. 2, via :func:`latentdims.maths.dimensionality.rate_distortion_dimensions`).
* :func:`jet_correlation_dimension` -- :math:`D_{\rm corr}(Q)` of the training jets from
  pairwise sharp-Sinkhorn EMDs in GeV, on the :math:`\beta` axis with :math:`Q = 2\beta`
  (ICLR Eq. 3, ``001:L57-60``), cached.
* :func:`sigma_scaling` -- the slope of :math:`\log\sigma_i` against :math:`\log\beta` of the
  informative directions (``001:L47``: informative directions have :math:`\sigma_i\propto\beta`).
* :func:`latent_physics_correlations` -- how the leading latents track jet eta, phi, pT, mass,
  the W decay angles and :math:`\tau_{32}` (``001:L35``, ``001:L162``).
* :func:`traversal_grid` -- decode a grid over two latent directions, the others at 0 (drawing:
  :mod:`latentdims.plotting.jet_vae`).

Units: :math:`\beta = \langle H_T\rangle\hat\beta` [GeV]; distortions :math:`D = \langle H_T
\rangle^2\langle\hat S^2\rangle` [GeV^2]; rates in nats.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentdims.core.validation import check_array, check_int, check_positive
from latentdims.maths.dimensionality import DimensionCurve, rate_distortion_dimensions
from latentdims.core.profiles import by_profile, check_profile

__all__ = ["kl_curves", "latent_order", "n_informative", "run_dimensions",
           "DcorrSettings", "dcorr_settings", "jet_correlation_dimension", "JetDcorr",
           "sigma_scaling", "latent_physics_correlations", "circular_linear_correlation",
           "traversal_grid"]


# -------------------------------------------------------------------------------- KL per latent
def kl_curves(run, phase: str = "production", segment: int | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    r"""The KL of every latent direction at the end of each step of a run segment.

    .. math::
        \mathrm{KL}_i(\beta) = \left\langle \tfrac12\left(\mu_i^2 + \sigma_i^2 - \log\sigma_i^2
        - 1\right)\right\rangle_{x \in \text{validation}}

    Parameters
    ----------
    run : AnnealRun
    phase : {'priming', 'zigzag', 'production'} or None
    segment : int, optional
        One zig-zag run (segments are numbered in training order; priming is 0).

    Returns
    -------
    beta_gev : ndarray, shape (K,)
        :math:`\beta` of the steps [GeV], in training order.
    kl : ndarray, shape (K, n)
        Nats per latent direction.
    """
    idx = run.indices(phase, segment)
    if len(idx) == 0:
        raise ValueError(f"kl_curves: the run has no steps with phase={phase!r}, "
                         f"segment={segment!r}.")
    beta = np.array([run.steps[i]["beta_gev"] for i in idx])
    kl = np.array([run.steps[i]["metrics"]["kl_per_latent"] for i in idx], dtype=np.float64)
    return beta, kl


def latent_order(run, step: int | None = None, *, beta_gev: float | None = None,
                 phase: str = "production") -> np.ndarray:
    """Latent indices by decreasing KL.

    At global step ``step``; else at the step of ``phase`` closest to ``beta_gev``; else by the
    KL summed over the steps of ``phase`` (the papers' z0, z1, ... are named by prominence).
    """
    if step is not None:
        step = check_int(step, name="step", func="latent_order", minimum=0)
        kl = np.asarray(run.steps[step]["metrics"]["kl_per_latent"])
    elif beta_gev is not None:
        kl = np.asarray(run.steps[run.closest_step(beta_gev, phase)]["metrics"]["kl_per_latent"])
    else:
        kl = kl_curves(run, phase)[1].sum(axis=0)
    # stable sort on -KL: ties keep index order, so the order is reproducible
    return np.argsort(-kl, kind="stable")


def n_informative(kl, threshold: float = 0.1) -> np.ndarray:
    """Number of directions with KL above ``threshold`` nats, per row of ``kl`` (K, n)."""
    kl = check_array(kl, name="kl", func="n_informative", ndim=2)
    check_positive(threshold, name="threshold", func="n_informative")
    return (kl > threshold).sum(axis=1)


# ------------------------------------------------------------------------------ dimensionality
def run_dimensions(run, phase: str = "production") -> DimensionCurve:
    r""":math:`D_1 = -dR/d\log\beta` and :math:`D_2 = dD/d\beta^2` of a run's ``phase``.

    ICLR paper Eq. 2 (``001:L45``), by finite differences between neighbouring steps, with
    :math:`\beta` in GeV and :math:`D = \langle H_T\rangle^2\langle\hat S^2\rangle` in GeV^2 (the
    ratio :math:`dD/d\beta^2` does not depend on the unit).  The returned ``beta`` are the
    geometric midpoints [GeV].
    """
    beta = run.beta_gev(phase)
    order = np.argsort(beta, kind="stable")
    if len(np.unique(beta)) != len(beta):
        raise ValueError(f"run_dimensions: the {phase!r} steps repeat a beta; pass a phase that "
                         f"visits each beta once (the production run).")
    rates = run.metric("rate", phase)[order]
    dist = run.metric("distortion", phase)[order] * run.ht_mean ** 2
    return rate_distortion_dimensions(beta[order], rates, dist)


@dataclass(frozen=True)
class DcorrSettings:
    """Jets used for :math:`D_{\\rm corr}` per profile (the papers: 1e4 training jets)."""
    n_jets: int
    n_boot: int


def dcorr_settings(profile: str) -> DcorrSettings:
    """``smoke``: 40 jets; ``quick``: 500 jets (1.2e5 pairs, about a minute on 2 cores);
    ``paper``: 1e4 (``001:L60``)."""
    check_profile(profile, func="dcorr_settings")
    return by_profile(profile, smoke=DcorrSettings(40, 20), quick=DcorrSettings(500, 100),
                      paper=DcorrSettings(10_000, 200))


@dataclass(frozen=True)
class JetDcorr:
    """:math:`D_{\\rm corr}` on the :math:`\\beta` axis: ``beta = Q / 2`` [GeV] (midpoints),
    ``dcorr``, ``lower``, ``upper`` (bootstrap band), ``valid``."""
    beta: np.ndarray
    dcorr: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    valid: np.ndarray


def jet_correlation_dimension(run, *, n_jets: int | None = None, q_per_step: int = 2,
                              seed: int = 0, progress: bool = False) -> JetDcorr:
    r"""Correlation dimension of a run's training jets, on the run's :math:`\beta` axis.

    .. math::
        D_{\rm corr}(Q) = \frac{d}{d\log Q}\log\sum_{i\ne j}\Theta\left(Q^2 - S^2(x_i, x_j)
        \right), \qquad S = \langle H_T\rangle\hat S,\quad Q = 2\beta

    (ICLR Eq. 3 and ``001:L60``: "arbitrarily plotted with Q = 2 beta").  The EMDs are the
    sharp Sinkhorn ones (:func:`latentdims.maths.sinkhorn.pairwise_emd`) on the first ``n_jets``
    training jets of the run's sample; the scales :math:`Q` cover the production run's
    :math:`2\beta` range with ``q_per_step`` points per grid interval.  Cached as
    ``jet_dcorr`` keyed by the run's sample, ``n_jets`` and the scales.

    Parameters
    ----------
    run : AnnealRun
    n_jets : int, optional
        Default :func:`dcorr_settings` of the run's profile.
    q_per_step : int
        Scales per interval of the production grid (finer than the grid: D_corr is cheap once the
        distances exist).
    seed : int
        Bootstrap seed.
    """
    from latentdims.core.cache import cached_arrays
    from latentdims.maths.dimensionality import correlation_dimension
    from latentdims.maths.sinkhorn import pairwise_emd

    func = "jet_correlation_dimension"
    settings = dcorr_settings(run.profile)
    n_jets = settings.n_jets if n_jets is None else check_int(n_jets, name="n_jets", func=func,
                                                              minimum=2)
    q_per_step = check_int(q_per_step, name="q_per_step", func=func, minimum=1)
    beta = np.sort(run.beta_gev("production"))
    log_b = np.log(beta)
    n_q = (len(beta) - 1) * q_per_step + 1
    q = 2 * np.exp(np.linspace(log_b[0] - 0.5 * (log_b[1] - log_b[0]),
                               log_b[-1] + 0.5 * (log_b[-1] - log_b[-2]), n_q + 1))
    config = {"process": run.process, "profile": run.profile, "centred": run.centred,
              "seed": run.manifest["seed"], "n_jets": n_jets, "ht_mean": run.ht_mean,
              "q": q, "n_boot": settings.n_boot, "boot_seed": seed, "version": 1}

    def compute():
        jets = run.data("train", n=n_jets)
        stacked = np.concatenate([jets.weights[..., None], jets.points], axis=-1)
        dist = pairwise_emd(stacked, progress=progress) * run.ht_mean        # GeV
        res = correlation_dimension(dist, q, n_boot=settings.n_boot, seed=seed)
        return {"q": res.q, "dcorr": res.dcorr, "lower": res.lower, "upper": res.upper,
                "valid": res.valid}

    out = cached_arrays("jet_dcorr", config, compute)
    return JetDcorr(beta=out["q"] / 2, dcorr=out["dcorr"], lower=out["lower"],
                    upper=out["upper"], valid=out["valid"].astype(bool))


def sigma_scaling(run, latents, *, phase: str = "production", min_kl: float = 1.0
                  ) -> np.ndarray:
    r"""Slope of :math:`\langle\log\sigma_i\rangle` against :math:`\log\beta` per latent.

    Fitted (least squares) over the steps of ``phase`` where latent :math:`i` is informative
    (KL above ``min_kl`` nats); NaN where fewer than two such steps exist.  The papers observe
    :math:`\sigma_i\propto\beta` (slope 1) for informative directions and :math:`\sigma_i
    \simeq 1` for uninformative ones (``001:L47``); in the linear toy the posterior width is
    :math:`\beta/\bar\sigma_i` exactly (ICLR A.3).
    """
    beta, kl = kl_curves(run, phase)
    log_sigma = np.asarray(run.metric("log_sigma", phase), dtype=np.float64)
    slopes = []
    for i in np.atleast_1d(latents):
        keep = kl[:, int(i)] > min_kl
        if keep.sum() < 2:
            slopes.append(np.nan)
            continue
        slopes.append(np.polyfit(np.log(beta[keep]), log_sigma[keep, int(i)], 1)[0])
    return np.array(slopes)


# -------------------------------------------------------------------------------- correlations
def circular_linear_correlation(x, angle) -> np.ndarray:
    r"""Circular-linear correlation of a linear variable with an angle (Mardia 1976).

    .. math::
        r = \sqrt{\frac{r_{xc}^2 + r_{xs}^2 - 2 r_{xc} r_{xs} r_{cs}}{1 - r_{cs}^2}}

    with :math:`r_{xc} = \mathrm{corr}(x, \cos\phi)`, :math:`r_{xs} = \mathrm{corr}(x,
    \sin\phi)`, :math:`r_{cs} = \mathrm{corr}(\cos\phi, \sin\phi)`; in [0, 1], 1 when x is an
    exact linear function of (cos, sin).  ``x`` may be (N,) or (N, k) (one value per column).

    >>> phi = np.linspace(-3, 3, 200)
    >>> round(float(circular_linear_correlation(np.cos(phi - 0.3), phi)), 6)
    1.0
    """
    x = check_array(x, name="x", func="circular_linear_correlation", ndim=(1, 2))
    a = check_array(angle, name="angle", func="circular_linear_correlation", ndim=1)
    cols = x.reshape(len(x), -1)
    c, s = np.cos(a), np.sin(a)
    r_cs = np.corrcoef(c, s)[0, 1]
    out = []
    for col in cols.T:
        r_xc, r_xs = np.corrcoef(col, c)[0, 1], np.corrcoef(col, s)[0, 1]
        out.append(np.sqrt(max((r_xc**2 + r_xs**2 - 2 * r_xc * r_xs * r_cs) / (1 - r_cs**2),
                               0.0)))
    out = np.array(out)
    return out[0] if x.ndim == 1 else out


def latent_physics_correlations(means, sample, latents):
    """Correlations of latent means with physical quantities, as a DataFrame (latents x quantities).

    Linear quantities (jet eta, pT, mass, cos of the W decay polar angle, tau32 = tau3/tau2):
    the absolute Spearman rank correlation.  Angles (jet phi, W decay azimuth): the
    circular-linear correlation (:func:`circular_linear_correlation`).  Quantities the sample
    lacks are left out.

    Parameters
    ----------
    means : array, shape (N, n)
        Posterior means of the jets of ``sample``.
    sample : JetSample
    latents : sequence of int
        Latent indices (rows of the table, named ``z<index>``).
    """
    import pandas as pd
    from scipy.stats import spearmanr

    means = check_array(means, name="means", func="latent_physics_correlations", ndim=2)
    if len(means) != len(sample):
        raise ValueError(f"latent_physics_correlations: `means` has {len(means)} rows but "
                         f"`sample` {len(sample)} jets.")
    linear, circular = {"eta": sample.jet_eta, "pT": sample.jet_pt, "mass": sample.jet_mass}, {}
    if sample.jet_phi is not None:
        circular["phi"] = sample.jet_phi
    if sample.decay_theta is not None:
        linear["cos theta_W"] = np.cos(sample.decay_theta)
    if sample.decay_phi is not None:
        circular["phi_W"] = sample.decay_phi
    if sample.tau is not None:
        linear["tau32"] = sample.tau[:, 2] / np.maximum(sample.tau[:, 1], 1e-12)
    rows = {}
    for i in latents:
        z = means[:, int(i)]
        row = {}
        for name, v in linear.items():
            ok = np.isfinite(v)
            row[name] = abs(spearmanr(z[ok], v[ok]).statistic) if np.std(z[ok]) > 0 else 0.0
        for name, v in circular.items():
            ok = np.isfinite(v)
            row[name] = float(circular_linear_correlation(z[ok], v[ok])) if np.std(z[ok]) > 0 \
                else 0.0
        rows[f"z{int(i)}"] = row
    return pd.DataFrame.from_dict(rows, orient="index")


# ---------------------------------------------------------------------------------- traversals
def traversal_grid(model, dims, values_x, values_y, *, category=None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Decode a grid over latent directions ``dims = (i, j)``, every other latent at 0.

    Returns weights (ny, nx, P) and points (ny, nx, P, 2): row ``r`` has ``z_j = values_y[r]``,
    column ``c`` has ``z_i = values_x[c]`` (image order for plotting).
    """
    from latentdims.models.jet_vae import decode_latents

    vx = check_array(values_x, name="values_x", func="traversal_grid", ndim=1)
    vy = check_array(values_y, name="values_y", func="traversal_grid", ndim=1)
    n = model.config.latent_dim
    i, j = (check_int(d, name="dims", func="traversal_grid", minimum=0) for d in dims)
    if max(i, j) >= n or i == j:
        raise ValueError(f"traversal_grid: `dims` must be two different latent indices below "
                         f"{n}; got {tuple(dims)!r}.")
    z = np.zeros((len(vy), len(vx), n))
    z[..., i] = vx[None, :]
    z[..., j] = vy[:, None]
    w, p = decode_latents(model, z.reshape(-1, n), category=category)
    return (w.reshape(len(vy), len(vx), -1), p.reshape(len(vy), len(vx), -1, 2))
