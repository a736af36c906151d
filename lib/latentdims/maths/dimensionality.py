"""Scale-dependent dimensionalities: D1 and D2 of a VAE, and the correlation dimension of data.

* ``D1 = -dR / dlog(beta)`` and ``D2 = dD / d(beta^2)`` (ICLR paper Eq. 2, NeurIPS paper Eq. 2),
  estimated by finite differences between models trained at neighbouring values of ``beta``.
* ``D_corr(Q) = d log C(Q) / d log Q`` with ``C(Q) = sum_{i != j} Theta(Q - d(x_i, x_j))``
  (ICLR paper Eq. 3, after Kegl 2002), with statistical bands from a bootstrap over points.
* :func:`out_of_range` marks the D1, D2 values that no converged model can give (negative,
  above the number of latents, or not finite), so that figures do not draw them silently.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import squareform

from latentdims.core.validation import check_array, check_int

__all__ = ["finite_difference", "DimensionCurve", "rate_distortion_dimensions", "OutOfRange",
           "out_of_range", "CorrelationDimension", "correlation_dimension", "neighbour_counts"]


def finite_difference(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Slopes ``(y[k+1] - y[k]) / (x[k+1] - x[k])`` between neighbouring points, shape (K-1,).

    ``x`` must be strictly increasing (a sweep over a grid).
    """
    x = check_array(x, name="x", func="finite_difference", ndim=1, min_rows=2)
    y = check_array(y, name="y", func="finite_difference", shape=(len(x),))
    if np.any(np.diff(x) <= 0):
        raise ValueError("finite_difference: `x` must be strictly increasing; sort the sweep by "
                         "its control parameter and remove duplicates.")
    return np.diff(y) / np.diff(x)


@dataclass(frozen=True)
class DimensionCurve:
    """D1 and D2 at the geometric midpoints of neighbouring ``beta`` values.

    Attributes
    ----------
    beta : ndarray, shape (K-1,)
        ``sqrt(beta[k] * beta[k+1])``, where the finite differences are centred on a log axis.
    d1, d2 : ndarray, shape (K-1,)
    """
    beta: np.ndarray
    d1: np.ndarray
    d2: np.ndarray

    def out_of_range(self, upper: float | None = None) -> dict:
        """``{"d1": OutOfRange, "d2": OutOfRange}``: :func:`out_of_range` of both curves, with
        ``upper`` the number of latents (None: no upper bound)."""
        return {"d1": out_of_range(self.beta, self.d1, upper=upper),
                "d2": out_of_range(self.beta, self.d2, upper=upper)}


@dataclass(frozen=True)
class OutOfRange:
    """The points of a dimension curve outside its physical range (:func:`out_of_range`).

    Attributes
    ----------
    physical : ndarray of bool, shape (K-1,)
        True where the value is finite and ``0 <= D <= upper``.
    beta, values : ndarray, shape (m,)
        Where (the curve's midpoint ``beta``) and what the ``m`` other values are (NaN and
        infinities included), in the curve's order.
    upper : float or None
        The upper end of the range (the number of latents), None when not bounded above.
    """
    physical: np.ndarray
    beta: np.ndarray
    values: np.ndarray
    upper: float | None

    @property
    def count(self) -> int:
        """Number of values outside the range."""
        return int(len(self.values))

    @property
    def below(self) -> np.ndarray:
        """Mask over :attr:`values`: negative."""
        return np.isfinite(self.values) & (self.values < 0)

    @property
    def above(self) -> np.ndarray:
        """Mask over :attr:`values`: finite and above :attr:`upper`."""
        if self.upper is None:
            return np.zeros(len(self.values), dtype=bool)
        return np.isfinite(self.values) & (self.values > self.upper)

    @property
    def nonfinite(self) -> np.ndarray:
        """Mask over :attr:`values`: NaN or infinite."""
        return ~np.isfinite(self.values)

    @property
    def range_text(self) -> str:
        """The physical range in words: ``'0..16'`` or ``'>= 0'``."""
        return ">= 0" if self.upper is None else f"0..{self.upper:g}"


def out_of_range(beta, values, *, upper: float | None = None) -> OutOfRange:
    r"""Which values of a D1 or D2 curve lie outside the range a converged model can give.

    .. math::
        0 \le D_1 = -\frac{dR}{d\log\beta} \le n, \qquad 0 \le D_2 = \frac{dD}{d\beta^2} \le n

    (ICLR paper Eq. 2; NeurIPS paper Eq. 2).  For an optimal encoder the rate :math:`R` cannot
    rise and the distortion :math:`D` cannot fall as :math:`\beta` grows (a point of a
    rate-distortion curve), so both derivatives are >= 0; a negative finite difference means
    that one of the two neighbouring steps was not converged.  The papers read D1 and D2 as the
    number of latent directions resolved at the scale :math:`\beta` (ICLR Sec. 2
    'Dimensionality'; the linear VAE of ICLR App. A.3, where they count the directions with
    standard deviation above :math:`\beta`), so a value above the number :math:`n` of latents
    has no such reading either.  NaN and infinite values (a step with a missing metric) are out
    of range too.

    Parameters
    ----------
    beta : array, shape (K-1,)
        Where the values are (e.g. :attr:`DimensionCurve.beta`).
    values : array, shape (K-1,)
        D1 or D2 (NaN allowed).
    upper : float, optional
        The number of latents ``n`` (> 0); None: no upper bound.

    Returns
    -------
    OutOfRange

    Examples
    --------
    >>> res = out_of_range([0.1, 1.0, 10.0, 100.0], [-32.0, 2.0, 20.0, np.nan], upper=16)
    >>> res.physical.tolist(), res.count, res.range_text
    ([False, True, False, False], 3, '0..16')
    >>> res.beta.tolist(), res.below.tolist(), res.above.tolist()
    ([0.1, 10.0, 100.0], [True, False, False], [False, True, False])
    >>> out_of_range([1.0, 2.0], [0.0, 3.0]).count
    0
    """
    func = "out_of_range"
    beta = check_array(beta, name="beta", func=func, ndim=1)
    values = check_array(values, name="values", func=func, shape=beta.shape, finite=False)
    if upper is not None:
        upper = float(upper)
        if not (np.isfinite(upper) and upper > 0):
            raise ValueError(f"{func}: `upper` must be a positive number of latents or None; "
                             f"got {upper!r}.")
    with np.errstate(invalid="ignore"):
        physical = np.isfinite(values) & (values >= 0)
        if upper is not None:
            physical &= values <= upper
    return OutOfRange(physical=physical, beta=beta[~physical], values=values[~physical],
                      upper=upper)


def rate_distortion_dimensions(betas, rates, distortions) -> DimensionCurve:
    r"""D1 and D2 from rates and distortions measured over a grid of ``beta``.

    .. math::
        D_1 = -\frac{dR}{d\log\beta}, \qquad D_2 = \frac{dD}{d\beta^2}

    (ICLR paper Eq. 2).  Both equal the number of informative Gaussian directions with
    standard deviation above ``beta`` for the linear VAE of the papers' appendix (ICLR A.3).

    Parameters
    ----------
    betas : array, shape (K,)
        Strictly increasing, > 0 (the same units as the distortion's square root).
    rates : array, shape (K,)
        ``R = <KL>`` in nats at each ``beta``.
    distortions : array, shape (K,)
        ``D = <distance^2>`` at each ``beta``.

    Examples
    --------
    The linear VAE on one Gaussian direction of standard deviation 1 (R = -log beta, D = beta^2
    below beta = 1):

    >>> b = np.array([0.1, 0.2, 0.4])
    >>> curve = rate_distortion_dimensions(b, -np.log(b), b**2)
    >>> np.allclose(curve.d1, 1) and np.allclose(curve.d2, 1)
    True
    """
    func = "rate_distortion_dimensions"
    betas = check_array(betas, name="betas", func=func, ndim=1, min_rows=2)
    rates = check_array(rates, name="rates", func=func, shape=(len(betas),))
    distortions = check_array(distortions, name="distortions", func=func, shape=(len(betas),))
    if np.any(betas <= 0):
        raise ValueError(f"{func}: `betas` must be > 0; got min {betas.min()!r}.")
    d1 = -finite_difference(np.log(betas), rates)
    d2 = finite_difference(betas**2, distortions)
    return DimensionCurve(beta=np.sqrt(betas[1:] * betas[:-1]), d1=d1, d2=d2)


def neighbour_counts(distances, q) -> np.ndarray:
    """Per-point neighbour counts ``c_i(Q_k) = #{j != i : d(x_i, x_j) < Q_k}``, shape (N, K).

    ``distances`` is a square symmetric matrix (N, N) or the condensed upper triangle
    (N(N-1)/2,) as returned by :func:`scipy.spatial.distance.pdist`.
    """
    func = "neighbour_counts"
    d = check_array(distances, name="distances", func=func, ndim=(1, 2))
    q = check_array(q, name="Q", func=func, ndim=1, min_rows=1)
    if d.ndim == 1:
        n = int(round((1 + np.sqrt(1 + 8 * len(d))) / 2))
        if n * (n - 1) // 2 != len(d):
            raise ValueError(f"{func}: a condensed `distances` vector must have N(N-1)/2 entries; "
                             f"got {len(d)}.")
        d = squareform(d, checks=False)
    elif d.shape[0] != d.shape[1]:
        raise ValueError(f"{func}: a square `distances` matrix must be (N, N); got {d.shape}.")
    if np.any(d < 0):
        raise ValueError(f"{func}: `distances` must be >= 0; got min {d.min()!r}.")
    n = d.shape[0]
    counts = np.empty((n, len(q)), dtype=np.int64)
    for i in range(n):  # row by row keeps memory at O(N) beyond the matrix itself
        row = np.sort(np.delete(d[i], i))
        counts[i] = np.searchsorted(row, q, side="left")
    return counts


@dataclass(frozen=True)
class CorrelationDimension:
    """Result of :func:`correlation_dimension`.

    Attributes
    ----------
    q : ndarray, shape (K-1,)
        Geometric midpoints of neighbouring scales.
    dcorr, lower, upper : ndarray, shape (K-1,)
        The estimate and the bootstrap band (NaN where ``valid`` is False).
    valid : ndarray of bool, shape (K-1,)
        Where both neighbouring pair counts are non-zero (the log is defined).
    pair_counts : ndarray, shape (K,)
        ``C(Q_k)`` (ordered pairs).
    """
    q: np.ndarray
    dcorr: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    valid: np.ndarray
    pair_counts: np.ndarray


def _log_slope(counts: np.ndarray, log_q: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.diff(np.log(counts), axis=-1) / np.diff(log_q)


def correlation_dimension(distances, Q, *, n_boot: int = 200, level: float = 0.68,
                          seed: int = 0) -> CorrelationDimension:
    r"""Correlation dimension ``D_corr(Q)`` by finite differences, with bootstrap bands.

    .. math::
        D_{\rm corr}(Q) = \frac{d}{d\log Q}\log\sum_{i, j\neq i}\Theta\left(Q^2 - d(x_i, x_j)^2\right)

    (ICLR paper Eq. 3; Kegl 2002).  The derivative is the slope of ``log C`` between neighbouring
    scales, placed at their geometric midpoint.

    Parameters
    ----------
    distances : array, shape (N, N) or (N(N-1)/2,)
        Pairwise distances (EMDs in GeV, Euclidean distances, ...), square or condensed.
    Q : array, shape (K,)
        Increasing scales, same units as ``distances``.
    n_boot : int
        Bootstrap resamples of the anchor points ``i``.
    level : float
        Central probability mass of the band (0.68: one standard deviation).
    seed : int
        Seed of the bootstrap.

    Choosing parameters
    -------------------
    ``C(Q)`` is a sum over points of per-point neighbour counts; the band resamples those points
    with replacement (the pairs of one point are correlated, so a Poisson error on the pair count
    would be too narrow).  Scales below the smallest distances give ``C = 0`` and are marked
    invalid: with N points the estimate cannot resolve scales where a typical point has no
    neighbour (the "sparsity" that the talks' curse-of-dimensionality toy illustrates).

    Examples
    --------
    Points on a line have dimension 1 at scales well inside the data:

    >>> from scipy.spatial.distance import pdist
    >>> x = np.linspace(0, 1, 400)[:, None]
    >>> res = correlation_dimension(pdist(x), np.array([0.02, 0.04]))
    >>> bool(abs(res.dcorr[0] - 1) < 0.1)
    True

    References
    ----------
    [1] B. Kegl, "Intrinsic dimension estimation using packing numbers", NIPS 2002.
    [2] J. Collins, "An exploration of learnt representations of W jets", ICLR 2022 workshop, Eq. 3.
    """
    func = "correlation_dimension"
    q = check_array(Q, name="Q", func=func, ndim=1, min_rows=2)
    if np.any(q <= 0) or np.any(np.diff(q) <= 0):
        raise ValueError(f"{func}: `Q` must be positive and strictly increasing; got {q!r}.")
    n_boot = check_int(n_boot, name="n_boot", func=func, minimum=0)
    if not 0 < level < 1:
        raise ValueError(f"{func}: `level` must lie in (0, 1); got {level!r}.")
    per_point = neighbour_counts(distances, q)              # (N, K)
    total = per_point.sum(axis=0).astype(float)             # (K,)
    log_q = np.log(q)
    valid = (total[1:] > 0) & (total[:-1] > 0)
    est = np.where(valid, _log_slope(total, log_q), np.nan)
    if n_boot:
        rng = np.random.default_rng(seed)
        n = per_point.shape[0]
        boots = np.stack([per_point[rng.integers(0, n, n)].sum(axis=0) for _ in range(n_boot)])
        slopes = _log_slope(boots.astype(float), log_q)     # (n_boot, K-1)
        lo_p, hi_p = 50 * (1 - level), 50 * (1 + level)
        with np.errstate(invalid="ignore"):
            slopes = np.where(np.isfinite(slopes), slopes, np.nan)
            lower = np.where(valid, np.nanpercentile(np.where(valid, slopes, 0), lo_p, axis=0), np.nan)
            upper = np.where(valid, np.nanpercentile(np.where(valid, slopes, 0), hi_p, axis=0), np.nan)
    else:
        lower = upper = est.copy()
    return CorrelationDimension(q=np.sqrt(q[1:] * q[:-1]), dcorr=est, lower=lower, upper=upper,
                                valid=valid, pair_counts=total)
