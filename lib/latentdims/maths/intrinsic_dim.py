"""Intrinsic-dimension estimators of thesis chapter 8: MLE (Levina-Bickel, MacKay-Ghahramani
averaging) and TwoNN (Facco et al.), repeated estimates with their spread, and the
"ensuring an accurate analysis" procedure of thesis Section 8.2.4.

Both estimators look at nearest-neighbour distances, so two identical points (distance 0) make
them undefined (``log 0``).  The policy here, for every function: exact duplicate rows are
merged before anything is computed (``duplicates="drop"``, the default, with a warning that says
how many), or refused (``duplicates="raise"``).  The thesis' own code deduplicates its inputs the
same way (``get_unique_samples`` in the author's public code) and asserts that no distance is zero.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from latentdims.core.validation import check_array, check_choice, check_int, check_positive

__all__ = ["mle", "local_mle", "twonn", "unique_rows", "IDEstimate", "repeated_id",
           "IDSelection", "select_ide"]

_DUPLICATES = ("drop", "raise")
# Options that repeated_id passes on to each estimator.
_OPTIONS = {"mle": ("k", "averaging", "normalisation"), "twonn": ("discard",)}


def unique_rows(X, *, duplicates: str = "drop", func: str = "unique_rows") -> np.ndarray:
    """The rows of ``X`` without exact repeats, in their first-seen order, shape (n_unique, m).

    ``duplicates="raise"`` refuses repeated rows instead (``ValueError``); ``"drop"`` merges them
    and warns with their number.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     rows = unique_rows(np.array([[0.0, 1.0], [2.0, 3.0], [0.0, 1.0]]))
    >>> rows.tolist(), len(caught)
    ([[0.0, 1.0], [2.0, 3.0]], 1)
    """
    check_choice(duplicates, _DUPLICATES, name="duplicates", func=func)
    X = check_array(X, name="X", func=func, ndim=2, min_rows=1, min_cols=1)
    _, first = np.unique(X, axis=0, return_index=True)
    n_dup = len(X) - len(first)
    if n_dup:
        if duplicates == "raise":
            raise ValueError(f"{func}: `X` has {n_dup} duplicate row(s) out of {len(X)}; "
                             f"nearest-neighbour distances of 0 make the estimate undefined. "
                             f"Remove them or pass duplicates='drop'.")
        warnings.warn(f"{func}: merged {n_dup} duplicate row(s) of `X` ({len(first)} distinct "
                      f"points left); distances of 0 would make the estimate undefined.",
                      stacklevel=3)
    return X[np.sort(first)]


def _neighbour_distances(X: np.ndarray, k: int, queries: np.ndarray | None,
                         func: str) -> np.ndarray:
    """Distances from each query point to its ``k`` nearest *other* points of ``X``, (q, k)."""
    from sklearn.neighbors import NearestNeighbors

    q = np.arange(len(X)) if queries is None else queries
    nn = NearestNeighbors(n_neighbors=k + 1).fit(X)
    dist, idx = nn.kneighbors(X[q])
    # The query point is normally its own first neighbour, but with numerically coincident
    # neighbours it may come second: remove it by index, not by position.
    is_self = idx == q[:, None]
    no_self = ~is_self.any(axis=1)
    is_self[no_self, -1] = True
    dist = dist[~is_self].reshape(len(q), k)
    if np.any(dist[:, 0] <= 0):
        bad = int(np.sum(dist[:, 0] <= 0))
        raise ValueError(f"{func}: {bad} point(s) have a nearest neighbour at distance 0 although "
                         f"the rows differ (differences below the floating-point resolution of "
                         f"the distance). Round or jitter `X`, or remove the near-duplicates.")
    return dist


def _prepare(X, *, need: int, duplicates: str, func: str, what: str) -> np.ndarray:
    """The distinct rows of ``X`` (a new array), scaled by a power of two to a largest
    magnitude in [0.5, 1).

    The estimators depend on ratios of distances only, and the power of two is exact, so the
    scaling changes no digit of the result; without it the squared distances of points with
    coordinates of 1e200 overflow (and of 1e-200 underflow to 0)."""
    check_choice(duplicates, _DUPLICATES, name="duplicates", func=func)
    X = check_array(X, name="X", func=func, ndim=2, min_rows=1, min_cols=1)
    X = unique_rows(X, duplicates=duplicates, func=func)
    if len(X) < need:
        raise ValueError(f"{func}: {what} needs at least {need} distinct points; got {len(X)}. "
                         f"Give more points or fewer neighbours.")
    peak = float(np.max(np.abs(X)))
    if peak > 0:
        X *= 2.0 ** -np.frexp(peak)[1]
    return X


def _check_k(k, normalisation: str, func: str) -> int:
    k = check_int(k, name="k", func=func, minimum=2)
    check_choice(normalisation, ("k-1", "k-2"), name="normalisation", func=func)
    if normalisation == "k-2" and k < 3:
        raise ValueError(f"{func}: normalisation 'k-2' needs k >= 3; got k={k}.")
    return k


def _local_inverse(X: np.ndarray, k: int, normalisation: str, queries, func: str) -> np.ndarray:
    """Per-point inverse dimensions ``1 / d_k(x_i)``, shape (q,)."""
    T = _neighbour_distances(X, k, queries, func)
    log_t = np.log(T)
    # sum_{j=1}^{k-1} log(T_k / T_j); the j = k term is zero and omitted (thesis Eq 8.2)
    s = (log_t[:, -1:] - log_t[:, :-1]).sum(axis=1)
    norm = k - 1 if normalisation == "k-1" else k - 2
    return s / norm


def _mle_from_inverse(inv: np.ndarray, averaging: str, k: int, func: str) -> float:
    if not np.any(inv > 0):
        raise ValueError(f"{func}: all {k} nearest neighbours of every point are equidistant "
                         f"(e.g. a regular grid), so the likelihood has no maximum. Use a larger "
                         f"`k`.")
    if averaging == "mackay-ghahramani":
        return float(1.0 / inv.mean())
    if np.any(inv <= 0):
        raise ValueError(f"{func}: {int(np.sum(inv <= 0))} point(s) have {k} equidistant "
                         f"neighbours (local dimension infinite), so the Levina-Bickel mean is "
                         f"undefined. Use averaging='mackay-ghahramani' or a larger `k`.")
    return float(np.mean(1.0 / inv))


def local_mle(X, k: int = 20, *, normalisation: str = "k-1", duplicates: str = "drop",
              queries=None) -> np.ndarray:
    r"""Local MLE intrinsic dimensions :math:`\bar d_k(x_i)` (Levina & Bickel), shape (q,).

    .. math::
        \bar d_k(x_i) = \left[\frac{1}{k-1}\sum_{j=1}^{k-1}\log\frac{T_k(x_i)}{T_j(x_i)}\right]^{-1}

    (thesis Eq 8.2), with ``k - 2`` in place of ``k - 1`` when
    ``normalisation="k-2"``.  See :func:`mle` for the symbols and the choice of normalisation.
    Points with ``k`` equidistant neighbours get ``inf``.

    Parameters
    ----------
    X : array, shape (N, m)
    k : int
    normalisation : {"k-1", "k-2"}
    duplicates : {"drop", "raise"}
    queries : array of int, optional
        Indices (into the de-duplicated rows) of the points whose estimates are wanted; their
        neighbours are searched among all points.  Default: every point.

    Examples
    --------
    The thesis' worked example (Eq 8.4): a point at the origin with neighbours at
    distances 1, 1 and 2 has :math:`\bar d_3 = 1/\log 2` (about 1.44 with the natural log; the
    thesis prints 3.3, which is :math:`1/\log_{10} 2`):

    >>> X = np.array([[0, 0, 0], [0, 1, 0], [1, 0, 0], [2, 0, 0]], dtype=float)
    >>> round(float(local_mle(X, k=3, queries=[0])[0]), 4)
    1.4427
    """
    func = "local_mle"
    k = _check_k(k, normalisation, func)
    X = _prepare(X, need=k + 1, duplicates=duplicates, func=func, what=f"k={k} neighbours")
    q = _check_queries(queries, len(X), func)
    inv = _local_inverse(X, k, normalisation, q, func)
    with np.errstate(divide="ignore"):
        return 1.0 / inv


def _check_queries(queries, n: int, func: str) -> np.ndarray | None:
    if queries is None:
        return None
    q = np.asarray(queries)
    if q.ndim != 1 or not np.issubdtype(q.dtype, np.integer) or len(q) == 0:
        raise TypeError(f"{func}: `queries` must be a non-empty 1-D array of row indices; got "
                        f"{q.dtype} with shape {q.shape}.")
    if q.min() < 0 or q.max() >= n:
        raise ValueError(f"{func}: `queries` must index the {n} distinct points; got indices "
                         f"from {q.min()} to {q.max()}.")
    return q


def mle(X, k: int = 20, *, averaging: str = "mackay-ghahramani", normalisation: str = "k-1",
        duplicates: str = "drop", queries=None) -> float:
    r"""Maximum-likelihood intrinsic dimension (Levina & Bickel 2004) with MacKay-Ghahramani
    averaging.

    .. math::
        \hat d_k = \left[\frac{1}{q}\sum_{i=1}^{q}\frac{1}{k-1}\sum_{j=1}^{k-1}
                   \log\frac{T_k(x_i)}{T_j(x_i)}\right]^{-1}

    where

    * :math:`X`, shape (N, m): the points (rows); units do not matter (ratios of distances);
    * :math:`T_j(x_i)`: the Euclidean distance from :math:`x_i` to its j-th nearest neighbour
      among the other points;
    * :math:`k`: the number of neighbours; :math:`q`: the number of query points.

    MacKay & Ghahramani (2005) average the *inverse* local estimates and invert the mean
    (``averaging="mackay-ghahramani"``, the default, as in Pope et al. 2021 and in the thesis'
    code); ``averaging="levina-bickel"`` is the plain mean of the local estimates of thesis
    Eq 8.3.

    Normalisation, ``k - 1`` (default) or ``k - 2``: given :math:`T_k`, the ``k - 1`` terms
    :math:`\log(T_k/T_j)` are independent exponential variables with rate :math:`d` (the points
    of a Poisson process inside the ball), so their mean, with ``1/(k - 1)``, is an *unbiased*
    estimate of :math:`1/d`.  Averaging these inverses over points and inverting is then the
    maximum-likelihood estimate from all :math:`q(k-1)` terms, whose bias is
    :math:`O(1/(q(k-1)))`.  ``k - 2`` is the correction that makes the *local* estimate
    :math:`\bar d_k(x_i)` unbiased (Levina & Bickel's remark); used inside MacKay-Ghahramani's
    inverse average it corrects twice and scales the result by :math:`(k-2)/(k-1)` (5% low at
    k = 20).  The thesis prints ``k - 1`` (Eq 8.2); its code uses ``k - 2`` with inverse
    averaging (the author's public code), so pass ``normalisation="k-2"`` to reproduce its numbers.

    Parameters
    ----------
    X : array, shape (N, m)
    k : int
        Neighbours per point (>= 2; >= 3 with ``"k-2"``); the thesis retains k = 20 (Sec. 8.5.1).
    averaging : {"mackay-ghahramani", "levina-bickel"}
    normalisation : {"k-1", "k-2"}
    duplicates : {"drop", "raise"}
        Duplicate-row policy (module docstring).
    queries : array of int, optional
        Indices of the de-duplicated points used as centres (default all); neighbours are
        always searched among all points (the thesis code's "anchor" subsampling).

    Choosing parameters
    -------------------
    Small ``k`` underestimates with a large variance, large ``k`` overestimates (Sec. 8.2.2);
    compute k = 3, 5, 10, 20 and keep the plateau (:func:`select_ide`).

    Returns
    -------
    float
        The estimate :math:`\hat d_k`.

    Examples
    --------
    Points filling a 3-dimensional cube:

    >>> X = np.random.default_rng(0).random((2000, 3))
    >>> bool(abs(mle(X, k=10) - 3) < 0.3)
    True

    References
    ----------
    [1] E. Levina, P. Bickel, "Maximum likelihood estimation of intrinsic dimension", NIPS 2004.
    [2] D. MacKay, Z. Ghahramani, "Comments on 'Maximum likelihood estimation of intrinsic
        dimension' by E. Levina and P. Bickel", 2005.
    [3] L. Bonheme, thesis 2023, Section 8.2.2, Eqs 8.1-8.3.
    """
    func = "mle"
    k = _check_k(k, normalisation, func)
    check_choice(averaging, ("mackay-ghahramani", "levina-bickel"), name="averaging", func=func)
    X = _prepare(X, need=k + 1, duplicates=duplicates, func=func, what=f"k={k} neighbours")
    q = _check_queries(queries, len(X), func)
    inv = _local_inverse(X, k, normalisation, q, func)
    return _mle_from_inverse(inv, averaging, k, func)


def _twonn_from_ratios(mu: np.ndarray, discard: float, func: str) -> float:
    n = len(mu)
    # F_emp(mu_(i)) = i / N (Facco et al. 2017); the largest ratio would give -log(0), so at
    # least one point is always left out, whatever `discard` says.
    n_keep = min(int(n * (1 - discard)), n - 1)
    if n_keep < 2:
        raise ValueError(f"{func}: only {n_keep} ratio(s) left after discarding "
                         f"{discard:.0%} of {n}; give more points or a smaller `discard`.")
    mu = np.sort(mu)[:n_keep]
    x = np.log(mu)
    y = -np.log1p(-np.arange(1, n_keep + 1) / n)
    xx = float(x @ x)
    if xx == 0:
        raise ValueError(f"{func}: every kept point has equidistant first and second "
                         f"neighbours (r2/r1 = 1, e.g. a regular grid); TwoNN is undefined.")
    return float(x @ y / xx)


def twonn(X, discard: float = 0.1, *, duplicates: str = "drop", queries=None) -> float:
    r"""TwoNN intrinsic dimension (Facco et al. 2017): a line through the origin fitted to the
    empirical Pareto law of second-to-first neighbour distance ratios.

    .. math::
        \hat d = \frac{\sum_i \log\mu_{(i)}\,\left[-\log(1 - i/N)\right]}{\sum_i \log^2\mu_{(i)}},
        \qquad \mu = \frac{T_2(x)}{T_1(x)} \sim {\rm Pareto}(1, d)

    (thesis Section 8.2.3, Eqs 8.5-8.6), where

    * :math:`T_1, T_2`: distances to the first and second nearest neighbours;
    * :math:`\mu_{(i)}`: the ratios sorted increasingly, :math:`i = 1..N`, and
      :math:`F_{\rm emp}(\mu_{(i)}) = i/N`;
    * the sums run over the :math:`\lfloor N(1-{\rm discard})\rfloor` smallest ratios (always at
      least the largest one is left out, where :math:`-\log(1 - N/N)` is infinite).

    Parameters
    ----------
    X : array, shape (N, m)
    discard : float in [0, 1)
        Fraction of the largest ratios left out of the fit (0.1: the thesis' "anchor of 0.9",
        Table D.1, and Facco et al.'s choice).
    duplicates : {"drop", "raise"}
    queries : array of int, optional
        Indices of the points whose ratios enter the fit (default all); neighbours are searched
        among all points.

    Choosing parameters
    -------------------
    The largest ratios come from points in sparse regions and outliers; discarding 10% makes
    the fit robust to them.  TwoNN overestimates high dimensions (thesis Sec. 8.2.3).

    Returns
    -------
    float

    Examples
    --------
    Points filling a square:

    >>> X = np.random.default_rng(1).random((4000, 2))
    >>> bool(abs(twonn(X) - 2) < 0.15)
    True

    References
    ----------
    [1] E. Facco, M. d'Errico, A. Rodriguez, A. Laio, "Estimating the intrinsic dimension of
        datasets by a minimal neighborhood information", Sci. Rep. 7, 12140 (2017).
    [2] L. Bonheme, thesis 2023, Section 8.2.3, Eqs 8.5-8.6.
    """
    func = "twonn"
    discard = _check_discard(discard, func)
    X = _prepare(X, need=3, duplicates=duplicates, func=func, what="TwoNN")
    q = _check_queries(queries, len(X), func)
    T = _neighbour_distances(X, 2, q, func)
    return _twonn_from_ratios(T[:, 1] / T[:, 0], discard, func)


def _check_discard(discard, func: str) -> float:
    try:
        d = float(discard)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{func}: `discard` must be a number; got {discard!r}.") from exc
    if not 0 <= d < 1:
        raise ValueError(f"{func}: `discard` must lie in [0, 1); got {discard!r}.")
    return d


@dataclass(frozen=True)
class IDEstimate:
    """Repeated intrinsic-dimension estimates (:func:`repeated_id`).

    Attributes
    ----------
    method : str
        ``"mle"`` or ``"twonn"``.
    values : ndarray, shape (n_runs,)
        One estimate per run.
    mean, std : float
        Their mean and standard deviation (``ddof=1``; 0 for a single run).
    n_points : int
        Distinct points used (after merging duplicates).
    """
    method: str
    values: np.ndarray
    mean: float
    std: float
    n_points: int


def repeated_id(X, method: str = "mle", *, n_runs: int = 5, fraction: float = 0.8,
                subsample: str = "queries", seed: int = 0, duplicates: str = "drop",
                **options) -> IDEstimate:
    r"""Intrinsic dimension estimated ``n_runs`` times on random subsamples, with the spread.

    .. math::
        \bar d = \frac{1}{R}\sum_{r=1}^{R}\hat d(S_r), \qquad
        |S_r| = \lfloor {\rm fraction}\cdot N\rfloor

    Parameters
    ----------
    X : array, shape (N, m)
    method : {"mle", "twonn"}
    n_runs : int
        Number of subsamples :math:`R` (the thesis' code: 5 runs; its text: 3 seeds, Sec. 8.4.1).
    fraction : float in (0, 1]
        Size of each subsample relative to the distinct points (the code's "anchor": 0.8 for
        MLE, Table D.4).
    subsample : {"queries", "points"}
        ``"queries"`` (the thesis code's scheme): the subsample supplies the centres, whose
        neighbours are searched among *all* points, so every run sees the same scale.
        ``"points"``: the estimator runs on the subsample alone (Facco et al.'s decimation),
        which probes a coarser scale.
    seed : int
        Seed of the subsamples (NumPy ``default_rng``).
    duplicates : {"drop", "raise"}
    **options
        Passed to :func:`mle` (``k``, ``averaging``, ``normalisation``) or :func:`twonn`
        (``discard``).

    Returns
    -------
    IDEstimate

    Examples
    --------
    >>> X = np.random.default_rng(0).random((1000, 2))
    >>> est = repeated_id(X, "mle", k=10, n_runs=3)
    >>> est.values.shape, bool(abs(est.mean - 2) < 0.2)
    ((3,), True)
    """
    func = "repeated_id"
    check_choice(method, ("mle", "twonn"), name="method", func=func)
    check_choice(subsample, ("queries", "points"), name="subsample", func=func)
    n_runs = check_int(n_runs, name="n_runs", func=func, minimum=1)
    fraction = check_positive(fraction, name="fraction", func=func)
    if fraction > 1:
        raise ValueError(f"{func}: `fraction` must lie in (0, 1]; got {fraction!r}.")
    allowed = _OPTIONS[method]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(f"{func}: unknown option(s) {unknown} for method={method!r}; it takes "
                        f"{', '.join(allowed)}.")
    X = check_array(X, name="X", func=func, ndim=2, min_rows=1, min_cols=1)
    X = unique_rows(X, duplicates=duplicates, func=func)
    estimator = mle if method == "mle" else twonn
    size = int(fraction * len(X))
    need = 1 if subsample == "queries" else (options.get("k", 20) + 1 if method == "mle" else 3)
    if size < need:
        raise ValueError(f"{func}: `fraction`={fraction:g} of {len(X)} distinct points leaves "
                         f"{size} per run; subsample={subsample!r} needs at least {need}. Raise "
                         f"`fraction` or give more points.")
    rng = np.random.default_rng(seed)
    values = np.empty(n_runs)
    for r in range(n_runs):
        pick = np.sort(rng.choice(len(X), size=size, replace=False))
        if subsample == "queries":
            values[r] = estimator(X, queries=pick, duplicates="raise", **options)
        else:
            values[r] = estimator(X[pick], duplicates="raise", **options)
    std = float(values.std(ddof=1)) if n_runs > 1 else 0.0
    return IDEstimate(method=method, values=values, mean=float(values.mean()), std=std,
                      n_points=len(X))


@dataclass(frozen=True)
class IDSelection:
    """Result of :func:`select_ide` (the procedure of thesis Section 8.2.4).

    Attributes
    ----------
    ks : tuple of int
        Neighbour counts tried, increasing.
    mle : tuple of IDEstimate
        One repeated MLE estimate per k.
    twonn : IDEstimate
    plateau : tuple of int
        The ks of the longest run of consecutive stable estimates.
    k : int
        The retained k (the largest of the plateau).
    estimate : float
        MLE at ``k``.
    ide : int
        ``estimate`` rounded (at least 1): the initial n of FONDUE.
    stable : bool
        Whether at least two consecutive ks agreed within ``rtol``.
    twonn_agrees : bool
        Whether TwoNN lies within ``rtol`` of ``estimate``.
    notes : tuple of str
        The warnings raised (also when they were silenced).
    """
    ks: tuple
    mle: tuple
    twonn: IDEstimate
    plateau: tuple
    k: int
    estimate: float
    ide: int
    stable: bool
    twonn_agrees: bool
    notes: tuple


def select_ide(X, ks=(3, 5, 10, 20), *, rtol: float = 0.1, n_runs: int = 5,
               fraction: float = 0.8, discard: float = 0.1, seed: int = 0,
               averaging: str = "mackay-ghahramani", normalisation: str = "k-1",
               duplicates: str = "drop", warn: bool = True) -> IDSelection:
    r"""The intrinsic dimension of a data set by the procedure of thesis Section 8.2.4.

    "We will measure the MLE with an increasing number of neighbours and [...] retain the IDE
    which is stable for the largest number of k values. TwoNN will be used as a complementary
    metric [...]. In case of significant discrepancies with a significantly higher TwoNN IDE,
    we will rely on the results provided by MLE."

    Operationally, with :math:`\bar d_k` the mean of the repeated MLE estimates:

    .. math::
        k_i \sim k_{i+1} \iff |\bar d_{k_{i+1}} - \bar d_{k_i}|
            \le {\rm rtol}\cdot\max(\bar d_{k_i}, \bar d_{k_{i+1}})

    the plateau is the longest chain of consecutive "~" (ties: the chain of larger k), the
    retained k is its largest member and the IDE is :math:`{\rm round}(\bar d_k)` (the thesis
    keeps k = 20 on a 10-20 plateau, rounded: 4, 11, 22 for Symsol, dSprites, Celeba, Sec. 8.5.1).

    Parameters
    ----------
    X : array, shape (N, m)
        The data (10,000 examples in the thesis, Sec. 8.4.1), flattened.
    ks : sequence of int
        Increasing neighbour counts (thesis: 3, 5, 10, 20; Table D.4).
    rtol : float
        Relative agreement that counts as "stable", and as TwoNN agreeing.
    n_runs, fraction, seed
        Repetitions (:func:`repeated_id`, ``subsample="queries"``).
    discard : float
        TwoNN's discarded fraction (0.1: "anchor 0.9", Table D.1).
    averaging, normalisation : str
        Passed to :func:`mle`.
    duplicates : {"drop", "raise"}
    warn : bool
        Warn when no two ks agree, and when TwoNN is significantly *lower* than MLE (a case the
        thesis' rule does not cover; a higher TwoNN is expected, Sec. 8.5.1, and is only recorded).

    Returns
    -------
    IDSelection

    Examples
    --------
    >>> X = np.random.default_rng(0).random((1500, 2))
    >>> sel = select_ide(X, n_runs=2)
    >>> sel.ide, sel.k
    (2, 20)
    """
    func = "select_ide"
    ks = tuple(check_int(k, name="ks", func=func, minimum=2) for k in ks)
    if len(ks) < 2 or any(b <= a for a, b in zip(ks, ks[1:])):
        raise ValueError(f"{func}: `ks` must hold at least two strictly increasing neighbour "
                         f"counts; got {ks!r}.")
    rtol = check_positive(rtol, name="rtol", func=func)
    X = check_array(X, name="X", func=func, ndim=2, min_rows=1)
    X = unique_rows(X, duplicates=duplicates, func=func)
    common = dict(n_runs=n_runs, fraction=fraction, seed=seed, duplicates="raise")
    ests = tuple(repeated_id(X, "mle", k=k, averaging=averaging, normalisation=normalisation,
                             **common) for k in ks)
    tw = repeated_id(X, "twonn", discard=discard, **common)
    means = np.array([e.mean for e in ests])
    agree = np.abs(np.diff(means)) <= rtol * np.maximum(means[1:], means[:-1])
    # longest chain of consecutive agreeing pairs; ">=" prefers the later (larger-k) chain
    best_len, best_end, run = 0, len(ks) - 1, 0
    for i, ok in enumerate(agree):
        run = run + 1 if ok else 0
        if run and run >= best_len:
            best_len, best_end = run, i + 1
    plateau = ks[best_end - best_len: best_end + 1]
    k = plateau[-1]
    estimate = float(means[ks.index(k)])
    notes = []
    if best_len == 0:
        notes.append(f"{func}: no two consecutive k in {ks} give MLE estimates within "
                     f"rtol={rtol} ({np.round(means, 2).tolist()}); kept the largest k. "
                     f"Try more points or a larger `rtol`.")
    twonn_agrees = abs(tw.mean - estimate) <= rtol * estimate
    if tw.mean < (1 - rtol) * estimate:
        notes.append(f"{func}: TwoNN ({tw.mean:.2f}) is well below MLE at k={k} "
                     f"({estimate:.2f}); the data may be clustered at small scales, or k too "
                     f"large. Check the choice of k.")
    if warn:
        for note in notes:
            warnings.warn(note, stacklevel=2)
    return IDSelection(ks=ks, mle=ests, twonn=tw, plateau=plateau, k=k, estimate=estimate,
                       ide=max(1, int(round(estimate))), stable=best_len > 0,
                       twonn_agrees=bool(twonn_agrees), notes=tuple(notes))
