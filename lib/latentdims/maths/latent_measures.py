r"""Measurements on the EMD-VAE's latent spaces (notebooks 20-25): per-latent KL, dimensionalities,
correlations with physics, the W decay's RP^2 geometry, smooth-map checks, what the decoder does
along a direction, and the mixed sample's categorical latent against truth.

* :func:`kl_curves`, :func:`latent_order`, :func:`n_informative` -- the KL of every latent
  direction against :math:`\beta` for any segment of a run (ICLR Fig. 7) and the latents
  ordered by it.
* :func:`run_dimensions` -- :math:`D_1 = -dR/d\log\beta`, :math:`D_2 = dD/d\beta^2` from the
  production run (ICLR Eq. 2, via
  :func:`latentdims.maths.dimensionality.rate_distortion_dimensions`);
  :func:`dcorr_scales` and :class:`JetDcorr` -- :math:`D_{\rm corr}(Q)` of the jets on the
  :math:`\beta` axis with :math:`Q = 2\beta` (ICLR paper, Sec. 2, Eq. 3; the cached computation
  is :func:`latentdims.studies.jet_vae.jet_correlation_dimension`).
* :func:`sigma_scaling` -- the slope of :math:`\log\sigma_i` against :math:`\log\beta` of the
  informative directions (ICLR paper, Sec. 2 'Dimensionality': informative directions have
  :math:`\sigma_i\propto\beta`).
* :func:`latent_physics_correlations`, :func:`position_ranking` -- how the leading latents track
  jet eta, phi, pT, mass, the W decay angles and :math:`\tau_{32}` (ICLR paper, Sec. 2
  'Learnt representations' and App. A.2).
* :func:`fold_decay_angles`, :func:`rp2_embedding`, :func:`smooth_fit_r2` -- the W decay as a
  point of RP^2 and how smoothly a latent plane parametrises it (NeurIPS paper, Sec. 3, Fig. 2).
* :func:`decoded_centre`, :func:`decoder_sensitivity`, :func:`reflection_symmetry` -- what a
  decoder ``decode(z) -> (weights, points)`` does (e.g.
  :func:`latentdims.models.jet_vae.decoder_of`).
* :func:`category_performance` -- the categorical latent's classifier against truth labels.

A *run* here is anything with the reader API of :class:`latentdims.models.annealing.AnnealRun`
(``steps``, ``indices``, ``beta_gev``, ``metric``, ``closest_step``, ``ht_mean``).

Symbols (as in the papers): :math:`\beta = \langle H_T\rangle\hat\beta` [GeV]; distortions
:math:`D = \langle H_T\rangle^2\langle\hat S^2\rangle` [GeV^2]; rates in nats; the truth decay
angles :math:`(\theta, \phi)` of one quark in the W rest frame, in radians.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import KFold
from sklearn.neighbors import KNeighborsRegressor

from latentdims.core.validation import check_array, check_int, check_positive
from latentdims.data.jetobs import wrap_phi
from latentdims.maths.dimensionality import DimensionCurve, rate_distortion_dimensions

__all__ = ["kl_curves", "latent_order", "n_informative", "run_dimensions", "dcorr_scales",
           "JetDcorr", "sigma_scaling", "circular_linear_correlation",
           "latent_physics_correlations", "position_ranking", "fold_decay_angles",
           "rp2_embedding", "smooth_fit_r2", "decoded_centre", "decoder_sensitivity",
           "reflection_symmetry", "CategoryPerformance", "category_performance"]


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

    ICLR paper Eq. 2 (Sec. 2 'Dimensionality'), by finite differences between neighbouring
    steps, with :math:`\beta` in GeV and :math:`D = \langle H_T\rangle^2\langle\hat
    S^2\rangle` in GeV^2 (the ratio :math:`dD/d\beta^2` does not depend on the unit).  The
    returned ``beta`` are the geometric midpoints [GeV].
    """
    beta = run.beta_gev(phase)
    order = np.argsort(beta, kind="stable")
    if len(np.unique(beta)) != len(beta):
        raise ValueError(f"run_dimensions: the {phase!r} steps repeat a beta; pass a phase that "
                         f"visits each beta once (the production run).")
    rates = run.metric("rate", phase)[order]
    dist = run.metric("distortion", phase)[order] * run.ht_mean ** 2
    return rate_distortion_dimensions(beta[order], rates, dist)


def dcorr_scales(beta, q_per_step: int = 2) -> np.ndarray:
    r"""Edges of the scales :math:`Q` at which :math:`D_{\rm corr}` is measured for a run whose
    production grid is ``beta`` [GeV]: log-uniform, ``q_per_step`` intervals per grid interval,
    covering :math:`2\beta` from half a grid step below the smallest to half above the largest.

    .. math::
        Q_m = 2\exp\Big(\log\beta_0 - \tfrac{\Delta_0}{2} + m\,\frac{\log\beta_{K-1} - \log\beta_0
        + (\Delta_0 + \Delta_{K-2})/2}{(K-1)q + 1}\Big),\quad m = 0..(K-1)q + 1

    where :math:`\Delta_k = \log\beta_{k+1} - \log\beta_k` and :math:`q` = ``q_per_step``
    (ICLR paper, Sec. 2: "arbitrarily plotted with Q = 2 beta").

    Returns
    -------
    ndarray, shape ((K - 1) q + 2,)
        In GeV, increasing.

    Examples
    --------
    >>> dcorr_scales([1.0, 100.0], q_per_step=1).round(3).tolist()
    [0.2, 20.0, 2000.0]
    """
    func = "dcorr_scales"
    beta = np.sort(check_array(beta, name="beta", func=func, ndim=1, min_rows=2))
    check_positive(float(beta.min()), name="beta", func=func)
    q_per_step = check_int(q_per_step, name="q_per_step", func=func, minimum=1)
    log_b = np.log(beta)
    n_q = (len(beta) - 1) * q_per_step + 1
    return 2 * np.exp(np.linspace(log_b[0] - 0.5 * (log_b[1] - log_b[0]),
                                  log_b[-1] + 0.5 * (log_b[-1] - log_b[-2]), n_q + 1))


@dataclass(frozen=True)
class JetDcorr:
    """:math:`D_{\\rm corr}` on the :math:`\\beta` axis: ``beta = Q / 2`` [GeV] (midpoints),
    ``dcorr``, ``lower``, ``upper`` (bootstrap band), ``valid``."""
    beta: np.ndarray
    dcorr: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    valid: np.ndarray


def sigma_scaling(run, latents, *, phase: str = "production", min_kl: float = 1.0
                  ) -> np.ndarray:
    r"""Slope of :math:`\langle\log\sigma_i\rangle` against :math:`\log\beta` per latent.

    Fitted (least squares) over the steps of ``phase`` where latent :math:`i` is informative
    (KL above ``min_kl`` nats); NaN where fewer than two such steps exist.  The papers observe
    :math:`\sigma_i\propto\beta` (slope 1) for informative directions and :math:`\sigma_i
    \simeq 1` for uninformative ones (ICLR paper, Sec. 2 'Dimensionality'); in the linear toy
    the posterior width is :math:`\beta/\bar\sigma_i` exactly (ICLR App. A.3).
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
    # the columns named, so that no latent (none informative yet) gives an empty table with them
    return pd.DataFrame.from_dict(rows, orient="index", columns=[*linear, *circular])



def position_ranking(means, sample, latents):
    """The latents ranked by how little they track the jet's position.

    A latent's *position score* is the larger of its absolute Spearman correlation with the jet's
    eta and its circular-linear correlation with the jet's phi
    (:func:`latent_physics_correlations`).  The paper's further
    directions (boost, third prong; ICLR A.2) are those that do not move the jet; in a small model
    position leaks into most latents, so we rank rather than cut.

    Parameters
    ----------
    means : array, shape (N, n)
        Posterior means of the jets of ``sample``.
    sample : JetSample
    latents : sequence of int
        Candidates (e.g. the leading ones by KL).

    Returns
    -------
    pandas.DataFrame
        The correlation table with a ``position`` column, rows ``z<i>`` sorted by increasing
        position score (ties keep the order of ``latents``).
    """
    table = latent_physics_correlations(means, sample, latents)
    table["position"] = table[["eta", "phi"]].max(axis=1)
    return table.sort_values("position", kind="stable")


# ---------------------------------------------------------------------------------- RP^2
def fold_decay_angles(theta, phi) -> tuple[np.ndarray, np.ndarray]:
    r"""Represent each two-body decay by the quark direction on the upper hemisphere.

    .. math::
        (\theta, \phi) \mapsto
        \begin{cases} (\theta, \phi) & \cos\theta \ge 0 \\
                      (\pi - \theta, \phi + \pi) & \cos\theta < 0 \end{cases}

    The two quarks are back to back in the W rest frame, :math:`\hat n \sim -\hat n`, so a decay
    is a point of RP^2 (NeurIPS paper, Sec. 3); the folded angle :math:`\theta \in [0,
    \pi/2]` belongs to the harder prong (its lab momentum fraction is :math:`(1 + \beta_W
    \cos\theta)/2`).

    Returns
    -------
    theta, phi : ndarray, shape (N,)
        In :math:`[0, \pi/2]` and :math:`(-\pi, \pi]`.

    Examples
    --------
    >>> t, p = fold_decay_angles([0.25 * np.pi, 0.75 * np.pi], [0.5, 0.5])
    >>> np.round(t / np.pi, 3).tolist(), np.round(p, 3).tolist()
    ([0.25, 0.25], [0.5, -2.642])
    """
    func = "fold_decay_angles"
    theta = check_array(theta, name="theta", func=func, ndim=1)
    phi = check_array(phi, name="phi", func=func, shape=theta.shape)
    flip = np.cos(theta) < 0
    t = np.where(flip, np.pi - theta, theta)
    p = np.where(flip, phi + np.pi, phi)
    return t, np.angle(np.exp(1j * p))


def rp2_embedding(theta, phi) -> np.ndarray:
    r"""Smooth coordinates on RP^2: the quadratic monomials of the decay direction.

    .. math::
        v(\hat n) = \big(n_z^2,\ n_x^2 - n_y^2,\ 2 n_x n_y,\ 2 n_x n_z,\ 2 n_y n_z\big),
        \qquad \hat n = (\sin\theta\cos\phi, \sin\theta\sin\phi, \cos\theta)

    :math:`v(-\hat n) = v(\hat n)` and :math:`v` separates lines through the origin (the Veronese
    embedding), so a latent plane that parametrises the decay is one on which these five
    functions are smooth (:func:`smooth_fit_r2`), while :math:`\phi` itself is not (the rim's
    antipodal identification).  The first is :math:`\cos^2\theta` (the prong balance), the next
    two :math:`\sin^2\theta (\cos 2\phi, \sin 2\phi)` (the orientation mod pi).

    Returns
    -------
    ndarray, shape (N, 5)

    Examples
    --------
    Antipodal directions have the same coordinates:

    >>> a = rp2_embedding([0.3], [1.0]); b = rp2_embedding([np.pi - 0.3], [1.0 - np.pi])
    >>> bool(np.allclose(a, b))
    True
    """
    func = "rp2_embedding"
    theta = check_array(theta, name="theta", func=func, ndim=1)
    phi = check_array(phi, name="phi", func=func, shape=theta.shape)
    n = np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)], 1)
    x, y, z = n.T
    return np.stack([z * z, x * x - y * y, 2 * x * y, 2 * x * z, 2 * y * z], axis=1)


def smooth_fit_r2(latents, targets, *, n_neighbors: int = 25, n_folds: int = 5,
                  seed: int = 0) -> np.ndarray:
    r"""How well a smooth function of the latent coordinates predicts each target: k-fold
    cross-validated :math:`R^2` of a k-nearest-neighbour regression.

    .. math::
        R^2_t = 1 - \frac{\sum_k (y_{kt} - \hat y_{kt})^2}{\sum_k (y_{kt} - \bar y_t)^2},
        \qquad \hat y_{kt} = \frac1K \sum_{l \in \mathrm{NN}_K(z_k)} y_{lt}

    where :math:`z_k` (N, d) are the latent means (standardised per coordinate), :math:`y_{kt}`
    (N, T) the targets and the neighbours :math:`\mathrm{NN}_K` are taken among the other folds'
    jets only.  :math:`R^2 \approx 1` means the target is a smooth function of the latents; 0 means
    no better than its mean (a negative value is worse).

    Choosing parameters: ``n_neighbors`` about 20-50 with a few thousand jets; fewer smooths less
    but is noisier.

    Returns
    -------
    ndarray, shape (T,)

    Examples
    --------
    >>> rng = np.random.default_rng(0); z = rng.normal(size=(2000, 2))
    >>> r2 = smooth_fit_r2(z, np.stack([np.sin(z[:, 0]), rng.normal(size=2000)], 1))
    >>> bool(r2[0] > 0.95 and abs(r2[1]) < 0.1)
    True
    """
    func = "smooth_fit_r2"
    z = check_array(latents, name="latents", func=func, ndim=(1, 2), min_rows=2)
    z = z[:, None] if z.ndim == 1 else z
    y = check_array(targets, name="targets", func=func, ndim=(1, 2))
    y = y[:, None] if y.ndim == 1 else y
    if len(y) != len(z):
        raise ValueError(f"{func}: `latents` and `targets` must have the same number of jets; "
                         f"got {len(z)} and {len(y)}.")
    n_neighbors = check_int(n_neighbors, name="n_neighbors", func=func, minimum=1)
    n_folds = check_int(n_folds, name="n_folds", func=func, minimum=2)
    if len(z) < n_folds * (n_neighbors + 1):
        raise ValueError(f"{func}: need at least n_folds * (n_neighbors + 1) = "
                         f"{n_folds * (n_neighbors + 1)} jets; got {len(z)}. Lower `n_neighbors` "
                         "or pass more jets.")
    scale = z.std(axis=0)
    z = (z - z.mean(axis=0)) / np.where(scale > 0, scale, 1.0)
    pred = np.empty_like(y)
    for train, test in KFold(n_folds, shuffle=True, random_state=seed).split(z):
        knn = KNeighborsRegressor(n_neighbors=n_neighbors).fit(z[train], y[train])
        pred[test] = knn.predict(z[test])
    var = np.sum((y - y.mean(axis=0)) ** 2, axis=0)
    if np.any(var == 0):
        raise ValueError(f"{func}: target column(s) {np.flatnonzero(var == 0).tolist()} are "
                         "constant; R^2 is undefined.")
    return 1.0 - np.sum((y - pred) ** 2, axis=0) / var


# ------------------------------------------------------------------------- decoded jets
def decoded_centre(decode, n_latent: int, base=None) -> tuple[float, float]:
    r"""The pT-weighted (eta, phi) centre of the jet decoded at ``base`` (default the origin).

    .. math::
        \bar\eta = \sum_i w_i \eta_i, \qquad \bar\phi = \arg \sum_i w_i e^{i\phi_i}

    (the circular mean keeps a jet at phi = +-pi in one piece): the window to draw substructure
    traversals of an uncentred VAE in.

    Examples
    --------
    >>> decode = lambda z: (np.array([[0.5, 0.5]]), np.array([[[1.0, 3.0], [2.0, -3.0]]]))
    >>> eta, phi = decoded_centre(decode, 2)
    >>> round(eta, 6), round(abs(phi), 6)
    (1.5, 3.141593)
    """
    n_latent = check_int(n_latent, name="n_latent", func="decoded_centre", minimum=1)
    base = (np.zeros(n_latent) if base is None
            else check_array(base, name="base", func="decoded_centre", shape=(n_latent,)))
    w, p = decode(base[None])
    w, p = np.asarray(w, dtype=float)[0], np.asarray(p, dtype=float)[0]
    w = w / w.sum()
    return float(np.sum(w * p[:, 0])), float(np.angle(np.sum(w * np.exp(1j * p[:, 1]))))


def decoder_sensitivity(decode, dims, *, n_latent: int, span: float = 2.0, n_steps: int = 5,
                        base=None) -> np.ndarray:
    r"""How far (in EMD) the decoded jet moves along each latent direction.

    .. math::
        \Delta_i = \sum_{s=1}^{S} \hat S\big(\rho(z_{s-1} e_i),\ \rho(z_s e_i)\big),
        \qquad z_s = -a + 2as/S

    where :math:`\rho` is ``decode(z (M, n)) -> (weights (M, P), points (M, P, 2))``,
    :math:`a` the ``span`` in prior units, :math:`S` ``n_steps`` and :math:`\hat S` the exact EMD
    with ground distance :math:`\Delta R` (phi wrapped), dimensionless (times :math:`H_T` in
    GeV).  A decoder that ignores direction :math:`i` has :math:`\Delta_i \approx 0`.  The
    exact EMD (POT's network simplex) rather than the training's Sinkhorn: a handful of pairs,
    measured once, where compiling the Sinkhorn would cost more than solving exactly.

    Returns
    -------
    ndarray, shape (len(dims),)
    """
    func = "decoder_sensitivity"
    n_latent = check_int(n_latent, name="n_latent", func=func, minimum=1)
    n_steps = check_int(n_steps, name="n_steps", func=func, minimum=1)
    check_positive(span, name="span", func=func)
    dims = [int(d) for d in dims]
    if any(not 0 <= d < n_latent for d in dims):
        raise ValueError(f"{func}: `dims` must index the {n_latent} latents; got {dims}.")
    base = (np.zeros(n_latent) if base is None
            else check_array(base, name="base", func=func, shape=(n_latent,)))
    steps = np.linspace(-span, span, n_steps + 1)
    codes = np.repeat(base[None, None], len(dims), 0).repeat(len(steps), 1)   # (d, S+1, n)
    for k, d in enumerate(dims):
        codes[k, :, d] = steps
    w, p = decode(codes.reshape(-1, n_latent))
    w = np.asarray(w, dtype=float).reshape(len(dims), len(steps), -1)
    p = np.asarray(p, dtype=float).reshape(len(dims), len(steps), w.shape[-1], 2)
    pairs = _emd_pairs(w[:, :-1].reshape(-1, w.shape[-1]), p[:, :-1].reshape(-1, w.shape[-1], 2),
                       w[:, 1:].reshape(-1, w.shape[-1]), p[:, 1:].reshape(-1, w.shape[-1], 2))
    return pairs.reshape(len(dims), n_steps).sum(axis=1)


def _emd_pairs(w1, p1, w2, p2) -> np.ndarray:
    """Exact EMD (ground distance Delta R, phi wrapped) of each pair of jets, (M,)."""
    import ot     # POT, an optional extra: only the exact EMDs here need it

    out = np.empty(len(w1))
    for k in range(len(w1)):
        a, b = w1[k] / w1[k].sum(), w2[k] / w2[k].sum()
        d_eta = p1[k, :, None, 0] - p2[k, None, :, 0]
        d_phi = wrap_phi(p1[k, :, None, 1] - p2[k, None, :, 1])
        out[k] = float(ot.emd2(a, b, np.hypot(d_eta, d_phi)))
    return out


def reflection_symmetry(decode, codes, dims) -> np.ndarray:
    r"""How nearly the decoder maps a point of a latent plane and its reflection through the
    origin to the same jet, relative to a quarter turn.

    .. math::
        r_k = \frac{\hat S\big(\rho(z_k),\ \rho(-z_k)\big)}
                   {\hat S\big(\rho(z_k),\ \rho(R_{90} z_k)\big)}

    where :math:`z_k` are codes in the plane of latents ``dims`` (others 0), :math:`R_{90}` the
    quarter turn in that plane and :math:`\hat S` the exact EMD.  On the rim of the VAE_cent
    support the paper sees :math:`(z_0, z_1) \to (-z_0, -z_1)` leave the jet unchanged, the
    remnant of the antipodal identification of RP^2 (NeurIPS paper, Sec. 3): :math:`r \ll 1`
    there, while a plane with no such symmetry gives :math:`r \sim 1` or more.

    Parameters
    ----------
    decode : callable
        ``decode(z (M, n)) -> (weights (M, P), points (M, P, 2))``.
    codes : array, shape (K, n)
        Latent codes (only the coordinates ``dims`` are used).
    dims : (int, int)

    Returns
    -------
    ndarray, shape (K,)

    Examples
    --------
    A decoder that draws the line through the origin along (z0, z1) as two prongs at +-z:

    >>> def decode(z):
    ...     pts = np.stack([z[:, :2], -z[:, :2]], 1)
    ...     return np.full((len(z), 2), 0.5), pts
    >>> reflection_symmetry(decode, np.array([[0.3, 0.1, 0.0]]), (0, 1)).round(6).tolist()
    [0.0]
    """
    func = "reflection_symmetry"
    codes = check_array(codes, name="codes", func=func, ndim=2, min_rows=1)
    a, b = (int(d) for d in dims)
    if a == b or not (0 <= a < codes.shape[1] and 0 <= b < codes.shape[1]):
        raise ValueError(f"{func}: `dims` must be two different indices below {codes.shape[1]}; "
                         f"got {dims!r}.")
    z = np.zeros_like(codes)
    z[:, a], z[:, b] = codes[:, a], codes[:, b]
    turned = np.zeros_like(z)
    turned[:, a], turned[:, b] = -z[:, b], z[:, a]
    w, p = decode(np.concatenate([z, -z, turned]))
    w, p = np.asarray(w, dtype=float), np.asarray(p, dtype=float)
    k = len(z)
    reflected = _emd_pairs(w[:k], p[:k], w[k:2 * k], p[k:2 * k])
    quarter = _emd_pairs(w[:k], p[:k], w[2 * k:], p[2 * k:])
    return reflected / np.maximum(quarter, 1e-12)


# ---------------------------------------------------------------------- categorical latent
@dataclass(frozen=True)
class CategoryPerformance:
    """The learnt classifier q(c|x) against truth labels (see :func:`category_performance`).

    Attributes
    ----------
    positive_category : int
        The category matched to truth label 1 (top) by the best label permutation.
    assignment : tuple of int
        Truth label assigned to each category.
    accuracy : float
        Fraction of jets whose most probable category's label is the truth.
    auc : float
        ROC AUC of ``q(positive_category | x)`` as a top-jet score.
    fpr, tpr, thresholds : ndarray
        The ROC curve (``sklearn.metrics.roc_curve``).
    confusion : ndarray, shape (C, 2)
        Jets per (most probable category, truth label).
    """
    positive_category: int
    assignment: tuple
    accuracy: float
    auc: float
    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray
    confusion: np.ndarray


def category_performance(probs, labels) -> CategoryPerformance:
    r"""Accuracy and ROC of the categorical latent's classifier, with the label permutation
    resolved (the VAE's categories have no names).

    .. math::
        \pi^* = \operatorname*{argmax}_{\pi} \frac1N \sum_k
        \big[\pi(\operatorname{argmax}_c q(c|x_k)) = y_k\big], \qquad
        \mathrm{AUC} = P\big(q(c^+|x_{\rm top}) > q(c^+|x_{\rm light})\big)

    where :math:`q(c|x)` (N, C) are the category probabilities, :math:`y_k \in \{0, 1\}` the
    truth labels (1 = top), :math:`\pi` ranges over the assignments of labels to categories that
    use both labels, and :math:`c^+` is the category assigned label 1 with the largest mean
    :math:`q` on top jets.  Resolving the permutation on the same jets favours the classifier
    by at most the difference between the assignments (nil for C = 2 with accuracy > 0.5).

    Returns
    -------
    CategoryPerformance

    Examples
    --------
    A classifier whose category 1 means light:

    >>> q = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.1, 0.9]])
    >>> perf = category_performance(q, [1, 1, 0, 0])
    >>> perf.positive_category, perf.accuracy, perf.auc
    (0, 1.0, 1.0)
    """
    func = "category_performance"
    q = check_array(probs, name="probs", func=func, ndim=2, min_rows=2)
    y = check_array(labels, name="labels", func=func, shape=(len(q),), dtype=None)
    if not np.all(np.isin(y, (0, 1))):
        raise ValueError(f"{func}: `labels` must be 0 (light) or 1 (top); got values "
                         f"{np.unique(y)[:5].tolist()}.")
    y = y.astype(int)
    if len(np.unique(y)) < 2:
        raise ValueError(f"{func}: `labels` must contain both classes for a ROC curve; got only "
                         f"{int(y[0])}.")
    n_cat = q.shape[1]
    if n_cat < 2:
        raise ValueError(f"{func}: `probs` needs at least two categories; got shape {q.shape}.")
    if np.any(q < 0) or not np.allclose(q.sum(1), 1, atol=1e-4):
        raise ValueError(f"{func}: `probs` must be probabilities (rows >= 0 summing to 1); got "
                         f"row sums in [{q.sum(1).min():.4g}, {q.sum(1).max():.4g}].")
    best = np.argmax(q, axis=1)
    confusion = np.zeros((n_cat, 2), dtype=int)
    np.add.at(confusion, (best, y), 1)
    # every map category -> label using both labels; for C = 2 the two permutations
    candidates = [a for a in _label_maps(n_cat) if len(set(a)) == 2]
    accuracy = {a: float(sum(confusion[c, a[c]] for c in range(n_cat))) / len(y)
                for a in candidates}
    assign = max(candidates, key=lambda a: accuracy[a])
    positives = [c for c in range(n_cat) if assign[c] == 1]
    score = q[:, positives].sum(axis=1)
    positive = max(positives, key=lambda c: float(np.mean(q[y == 1, c])))
    fpr, tpr, thr = roc_curve(y, score)
    return CategoryPerformance(int(positive), tuple(int(a) for a in assign), accuracy[assign],
                               float(roc_auc_score(y, score)), fpr, tpr, thr, confusion)


def _label_maps(n_cat: int):
    if n_cat == 2:
        return list(permutations((0, 1)))
    return [tuple((code >> c) & 1 for c in range(n_cat)) for code in range(2 ** n_cat)]
