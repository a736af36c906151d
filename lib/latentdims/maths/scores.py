r"""Scores of latent representations used in thesis Chapter 6.

* :func:`gaussian_total_correlation` - Gaussian total correlation (Eq 6.3);
* :func:`discretise`, :func:`discrete_mutual_information`, :func:`averaged_mutual_information`
  - discretised mutual information (Eq 6.9) and its average over pairs of variables (Eq 6.10);
* :func:`effective_rank`, :func:`representation_effective_rank` - effective rank
  (Sect. 6.4.2.3, after Roy & Vetterli 2007);
* :func:`logistic_regression_accuracy`, :func:`random_classifier_accuracy` - the sanity check of
  Fig 6.4 (logistic regressions predicting the ground-truth factors from a subset of variables);
* :func:`correlation_matrix`, :func:`strong_correlation_counts`, :func:`correlations_with` - the
  correlation analysis of Sect. 6.5 (Figs 6.9-6.11).

A representation is an array (n_examples, n_latents): the mean, sampled or variance
representation of a model on many inputs (thesis notation M, Z, S, Sect. 6.1).  The scores accept a
batch (B, n_examples, n_latents), for instance the snapshots of one training run, and then
return one value per item.  Logarithms are natural (scores in nats, thesis List of Symbols).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np

from latentdims.core.validation import (check_array, check_choice, check_in_interval, check_int,
                          check_same_length)

__all__ = ["gaussian_total_correlation", "discretise", "discrete_mutual_information",
           "averaged_mutual_information", "effective_rank", "representation_effective_rank",
           "ClassifierAccuracy",
           "logistic_regression_accuracy", "random_classifier_accuracy", "correlation_matrix",
           "strong_correlation_counts", "correlations_with"]


# Smallest eigenvalue of a correlation matrix treated as non-singular: below it, float64
# round-off dominates log det (the TC of exactly dependent columns would come out near 18 nats
# instead of infinity).
_SINGULAR = 1e-10


# --------------------------------------------------------------------------- helpers
def _representation(r, *, func: str, min_rows: int = 2) -> np.ndarray:
    arr = check_array(r, name="representation", func=func, ndim=(2, 3))
    if arr.shape[-2] < min_rows:
        raise ValueError(f"{func}: `representation` needs at least {min_rows} examples (rows); "
                         f"got shape {arr.shape}.")
    if arr.shape[-1] == 0:
        raise ValueError(f"{func}: `representation` has no latent variable; got shape "
                         f"{arr.shape}.")
    return arr


def _columns(indices, d: int, *, func: str, min_count: int = 1) -> np.ndarray:
    """Validated column subset (sorted as given); ``None`` means all columns."""
    if indices is None:
        idx = np.arange(d)
    else:
        idx = np.asarray(indices)
        if idx.ndim != 1 or (idx.size and not np.issubdtype(idx.dtype, np.integer)):
            raise TypeError(f"{func}: `indices` must be a 1-D array of column indices; got "
                            f"{idx.dtype} with shape {idx.shape}.")
        if idx.size and (idx.min() < 0 or idx.max() >= d):
            raise ValueError(f"{func}: `indices` must lie in [0, {d - 1}]; got {idx.tolist()}.")
        if len(np.unique(idx)) != len(idx):
            raise ValueError(f"{func}: `indices` repeats a column: {idx.tolist()}.")
    if len(idx) < min_count:
        raise ValueError(f"{func}: needs at least {min_count} variable(s); got {len(idx)} "
                         f"(indices {idx.tolist()}). Skip this combination of variables.")
    return idx


def _per_item(arr: np.ndarray, score: Callable[[np.ndarray], float]) -> float | np.ndarray:
    """Apply a 2-D score to one representation or to each item of a batch."""
    if arr.ndim == 2:
        return score(arr)
    return np.array([score(a) for a in arr])


# --------------------------------------------------------------------------- total correlation
def gaussian_total_correlation(representation, *, indices=None) -> float | np.ndarray:
    r"""Total correlation of a representation under a zero-mean Gaussian assumption (Eq 6.3).

    .. math::
        \mathrm{TC}(\mathbf r) = \frac12 \left( \sum_{j=1}^{d} \log \mathrm{Cov}[\mathbf r]_{jj}
        - \log\det \mathrm{Cov}[\mathbf r] \right)
        = D_{\mathrm{KL}}\big(\mathcal N(0, \Sigma) \,\|\, \mathcal N(0, \mathrm{diag}\,\Sigma)\big)

    where :math:`\Sigma = \mathrm{Cov}[\mathbf r]` is the sample covariance (d, d) of the chosen
    columns (``np.cov``, ddof = 1, as disentanglement_lib; TC does not depend on the ddof).

    Parameters
    ----------
    representation : array, shape (n, d) or (B, n, d)
        Rows are examples.
    indices : int array, optional
        Keep only these latent variables (a sub-representation, Figs 6.7, 6.8, B.5): the
        covariance restricted to them.  A single variable has TC 0.

    Returns
    -------
    float (nats), or ndarray (B,) for a batch

    Raises
    ------
    ValueError
        A column with zero variance or linearly dependent columns (singular covariance, TC
        infinite): remove such variables first.

    Choosing parameters
    -------------------
    Use the same examples for the mean and sampled representations, and many of them (the
    thesis code uses 10,000): the estimate of each small correlation has an error of about
    :math:`1/\sqrt n`, and TC adds their squares.

    Examples
    --------
    Two variables with correlation 2/3: TC = -log(1 - 4/9) / 2.

    >>> r = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1], [2, 2], [-2, -2]])
    >>> round(gaussian_total_correlation(r), 4), round(float(-0.5 * np.log(5 / 9)), 4)
    (0.2939, 0.2939)

    References
    ----------
    [1] Bonheme 2023, thesis Eq 6.3 (Sect. 6.4.2.1); Theorem 6.4.1 (passive variables do not change
    the TC of sampled representations).
    [2] Locatello et al. 2019, disentanglement_lib ``gaussian_total_correlation``.
    """
    func = "gaussian_total_correlation"
    arr = _representation(representation, func=func)
    idx = _columns(indices, arr.shape[-1], func=func)

    def score(x: np.ndarray) -> float:
        cov = np.atleast_2d(np.cov(x[:, idx], rowvar=False))
        diag = np.diag(cov)
        if np.any(diag <= 0):
            bad = idx[np.flatnonzero(diag <= 0)].tolist()
            raise ValueError(f"{func}: variable(s) {bad} are constant (zero variance), so TC is "
                             f"undefined; remove them (e.g. with `indices`).")
        # Singularity is judged on the correlation matrix, which is free of the variables'
        # scales: passive variables of a mean representation have tiny but valid variances.
        corr = cov / np.sqrt(np.outer(diag, diag))
        sign, logdet = np.linalg.slogdet(cov)
        if sign <= 0 or np.linalg.eigvalsh(corr).min() < _SINGULAR:
            raise ValueError(f"{func}: the covariance of variables {idx.tolist()} is singular "
                             f"(linearly dependent columns), so TC is infinite; remove the "
                             f"redundant variables.")
        return float(0.5 * (np.sum(np.log(diag)) - logdet))

    return _per_item(arr, score)


# --------------------------------------------------------------------------- mutual information
def discretise(representation, n_bins: int = 20) -> np.ndarray:
    r"""Equal-width histogram bins of each column over its own range.

    .. math::
        b_{ij} = \min\left(\left\lfloor n_{\mathrm{bins}}
        \frac{r_{ij} - \min_k r_{kj}}{\max_k r_{kj} - \min_k r_{kj}} \right\rfloor,
        n_{\mathrm{bins}} - 1\right),

    the binning of disentanglement_lib's ``_histogram_discretize`` (``np.histogram`` edges, the
    maximum in the last bin); a constant column falls in one bin.

    Parameters
    ----------
    representation : array, shape (n, d)
    n_bins : int, default 20 (the thesis code's value; the thesis does not state it)

    Returns
    -------
    ndarray of int64, shape (n, d), values in [0, n_bins)

    Examples
    --------
    >>> discretise(np.array([[0.0], [0.24], [0.5], [1.0]]), n_bins=4).ravel().tolist()
    [0, 0, 2, 3]
    """
    func = "discretise"
    x = _representation(representation, func=func, min_rows=1)
    if x.ndim != 2:
        raise ValueError(f"{func}: `representation` must be 2-D (n, d); got shape {x.shape}.")
    n_bins = check_int(n_bins, name="n_bins", func=func, minimum=1)
    lo, hi = x.min(axis=0), x.max(axis=0)
    width = np.where(hi > lo, hi - lo, 1.0)
    bins = np.floor((x - lo) / width * n_bins).astype(np.int64)
    return np.clip(bins, 0, n_bins - 1)


def _mi_from_codes(u: np.ndarray, v: np.ndarray) -> float:
    """Eq 6.9 for two integer code arrays of equal length."""
    n = len(u)
    _, u = np.unique(u, return_inverse=True)
    _, v = np.unique(v, return_inverse=True)
    joint = np.bincount(u * (v.max() + 1) + v).astype(float)
    nz = np.flatnonzero(joint)
    cu = np.bincount(u).astype(float)[nz // (v.max() + 1)]
    cv = np.bincount(v).astype(float)[nz % (v.max() + 1)]
    cj = joint[nz]
    return float(np.sum(cj / n * np.log(n * cj / (cu * cv))))


def discrete_mutual_information(u, v) -> float:
    r"""Mutual information of two discrete variables from their joint counts (Eq 6.9).

    .. math::
        \mathrm{MI}(r_1, r_2) = \sum_{i=1}^{|U|} \sum_{j=1}^{|V|}
        \frac{|U_i \cap V_j|}{n} \log \frac{n\, |U_i \cap V_j|}{|U_i|\, |V_j|}

    where :math:`U_i` and :math:`V_j` are the sets of examples in bin :math:`i` of :math:`r_1` and
    bin :math:`j` of :math:`r_2` and :math:`n` the number of examples.

    Parameters
    ----------
    u, v : int arrays, shape (n,)
        Bin (or class) labels, e.g. two columns of :func:`discretise`.

    Returns
    -------
    float, in nats

    Examples
    --------
    A balanced binary variable with itself has MI = log 2:

    >>> mi = discrete_mutual_information([0, 0, 1, 1], [0, 0, 1, 1])
    >>> round(mi, 4), round(float(np.log(2)), 4)
    (0.6931, 0.6931)

    References
    ----------
    [1] Bonheme 2023, thesis Eq 6.9 (Sect. 6.4.2.2).
    """
    func = "discrete_mutual_information"
    a = check_array(u, name="u", func=func, ndim=1, dtype=None, min_rows=1)
    b = check_array(v, name="v", func=func, ndim=1, dtype=None, min_rows=1)
    check_same_length(func=func, u=a, v=b)
    for arr, name in ((a, "u"), (b, "v")):
        if not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"{func}: `{name}` must hold integer bin labels; got dtype "
                            f"{arr.dtype}. Discretise continuous values first (`discretise`).")
    return _mi_from_codes(a, b)


def averaged_mutual_information(representation, *, n_bins: int = 20,
                                indices=None) -> float | np.ndarray:
    r"""Mutual information averaged over all ordered pairs of distinct variables (Eq 6.10).

    .. math::
        \mathrm{MI}_{avg}(\mathbf r) = \frac{1}{k^2 - k} \sum_{i=1}^{k} \sum_{j \ne i}
        \mathrm{MI}(\mathbf r_i, \mathbf r_j)

    with MI from Eq 6.9 on the equal-width bins of :func:`discretise` (20 bins per variable, the
    thesis code's choice; the thesis does not state the binning) and :math:`k` the number of
    variables kept.  Binning is per column, so scoring a subset (``indices``) is the same as
    discretising the full representation and selecting columns, as the thesis code does.

    Parameters
    ----------
    representation : array, shape (n, d) or (B, n, d)
    n_bins : int
    indices : int array, optional
        At least two variables.

    Returns
    -------
    float (nats), or ndarray (B,) for a batch

    Choosing parameters
    -------------------
    The plug-in estimate is biased upwards by about :math:`(n_{bins} - 1)^2 / (2n)` nats per
    pair of independent variables: keep ``n_bins = 20`` to compare with the thesis and use
    thousands of examples (10,000 in the thesis code) so that the bias (about 0.02 nats) stays
    below the effects studied.

    Examples
    --------
    Two identical balanced binary variables (MI = log 2) and one constant (MI 0 with both):
    :math:`\mathrm{MI}_{avg} = 2 \log 2 / 6` (Theorem 6.4.2's dilution).

    >>> r = np.array([[0, 0, 5], [0, 0, 5], [1, 1, 5], [1, 1, 5]], dtype=float)
    >>> round(averaged_mutual_information(r), 4), round(float(2 * np.log(2) / 6), 4)
    (0.231, 0.231)

    References
    ----------
    [1] Bonheme 2023, thesis Sect. 6.4.2.2, Eqs 6.9-6.10 and Theorem 6.4.2.
    """
    func = "averaged_mutual_information"
    arr = _representation(representation, func=func)
    idx = _columns(indices, arr.shape[-1], func=func, min_count=2)
    n_bins = check_int(n_bins, name="n_bins", func=func, minimum=1)

    def score(x: np.ndarray) -> float:
        codes = discretise(x[:, idx], n_bins)
        k = len(idx)
        total = sum(_mi_from_codes(codes[:, i], codes[:, j])
                    for i in range(k) for j in range(i + 1, k))
        return 2.0 * total / (k * k - k)   # MI is symmetric: each unordered pair counts twice

    return _per_item(arr, score)


# --------------------------------------------------------------------------- effective rank
def effective_rank(matrix) -> float:
    r"""Effective rank of a matrix: the exponential of the entropy of its singular values.

    .. math::
        p_k = \frac{s_k}{\sum_{i=1}^{l} s_i}, \qquad
        \mathrm{erank}(A) = \exp\Big(-\sum_{k=1}^{l} p_k \log p_k\Big)

    for the singular values :math:`s_1 \ge \dots \ge s_l \ge 0` of :math:`A \in \mathbb R^{m
    \times n}`, :math:`l = \min(m, n)`, with :math:`0 \log 0 = 0`.  It lies in :math:`[1, l]`.

    Parameters
    ----------
    matrix : array, shape (m, n)

    Returns
    -------
    float

    Examples
    --------
    >>> round(effective_rank(np.eye(3)), 12), effective_rank(np.diag([2.0, 0.0]))
    (3.0, 1.0)

    References
    ----------
    [1] Roy & Vetterli 2007, "The effective rank: a measure of effective dimensionality", Def. 1.
    [2] Bonheme 2023, thesis Sect. 6.4.2.3 (the equations there are unnumbered).
    """
    func = "effective_rank"
    a = check_array(matrix, name="matrix", func=func, ndim=2)
    if a.size == 0:
        raise ValueError(f"{func}: `matrix` is empty (shape {a.shape}).")
    s = np.linalg.svd(a, compute_uv=False)
    total = s.sum()
    if total <= 0:
        raise ValueError(f"{func}: `matrix` is zero, so its singular-value distribution (and "
                         f"effective rank) is undefined.")
    p = s[s > 0] / total
    return float(np.exp(-np.sum(p * np.log(p))))


def representation_effective_rank(representation, *, of: str = "covariance"
                                  ) -> float | np.ndarray:
    r"""Effective rank of a representation, as plotted in thesis Figs 6.6c and B.4.

    The thesis does not say which matrix it takes the effective rank of; its code uses the
    covariance matrix :math:`\mathrm{Cov}[\mathbf r]` (d, d) (``of="covariance"``, the default).
    ``of="centred_data"`` uses the centred data matrix instead, whose singular values are the
    square roots of the covariance's eigenvalues (times :math:`\sqrt{n-1}`): it gives a larger
    value whenever the variances are unequal.

    Parameters
    ----------
    representation : array, shape (n, d) or (B, n, d)
    of : {'covariance', 'centred_data'}

    Returns
    -------
    float, or ndarray (B,) for a batch

    Examples
    --------
    Two independent unit-variance variables and one (near-)constant: effective rank 2.

    >>> r = np.array([[1, 1, 0], [1, -1, 0], [-1, 1, 0], [-1, -1, 0]], dtype=float)
    >>> round(representation_effective_rank(r), 6)
    2.0

    References
    ----------
    [1] Bonheme 2023, thesis Sect. 6.4.2.3, Sect. 6.4.3 and Fig 6.6 (erank(mean) ~ d - #passive,
    erank(sampled) ~ d).
    """
    func = "representation_effective_rank"
    arr = _representation(representation, func=func)
    check_choice(of, ("covariance", "centred_data"), name="of", func=func)

    def score(x: np.ndarray) -> float:
        if of == "covariance":
            return effective_rank(np.atleast_2d(np.cov(x, rowvar=False)))
        return effective_rank(x - x.mean(axis=0))

    return _per_item(arr, score)


# --------------------------------------------------------------------------- classifiers
@dataclass(frozen=True)
class ClassifierAccuracy:
    """Test accuracy of one classifier per ground-truth factor.

    Attributes
    ----------
    mean : float
        The accuracy averaged over the factors (the value plotted in Fig 6.4).
    per_factor : ndarray, shape (K,)
    chance : ndarray, shape (K,)
        Expected accuracy of a uniform random guess over the labels seen in training
        (1 / number of classes), for reference.
    best_c : ndarray, shape (K,)
        The inverse regularisation strength chosen by cross-validation (NaN for the random
        classifier and for factors with a single training class).
    converged : bool
        False when some logistic regression hit ``max_iter`` (a warning was also issued unless
        switched off).
    """

    mean: float
    per_factor: np.ndarray
    chance: np.ndarray
    best_c: np.ndarray
    converged: bool


def _check_labelled(x, y, *, prefix: str, func: str) -> tuple[np.ndarray, np.ndarray]:
    xa = check_array(x, name=f"{prefix}_representation", func=func, ndim=2, min_rows=1)
    ya = check_array(y, name=f"{prefix}_labels", func=func, ndim=(1, 2), dtype=None)
    if ya.ndim == 1:
        ya = ya[:, None]
    check_same_length(func=func, **{f"{prefix}_representation": xa, f"{prefix}_labels": ya})
    if not np.issubdtype(ya.dtype, np.integer):
        raise TypeError(f"{func}: `{prefix}_labels` must hold integer factor classes; got dtype "
                        f"{ya.dtype}.")
    return xa, ya


def logistic_regression_accuracy(train_representation, train_labels, test_representation,
                                 test_labels, *, indices=None, n_cs: int = 10, n_folds: int = 5,
                                 max_iter: int = 100, standardise: bool = False, seed: int = 0,
                                 warn: bool = True) -> ClassifierAccuracy:
    r"""Test accuracy of logistic regressions predicting each factor from some latent variables.

    For each ground-truth factor :math:`k`, an L2-regularised multinomial logistic regression
    :math:`p(y_k = c \mid \mathbf r_I) \propto \exp(\mathbf w_c^\top \mathbf r_I + b_c)` is fitted
    on the training examples restricted to the variables :math:`I` (``indices``), its inverse
    regularisation strength chosen among ``n_cs`` values (``np.logspace(-4, 4, n_cs)``) by
    ``n_folds``-fold cross-validation; the reported score is the test accuracy averaged over the
    factors (thesis Fig 6.4, after Locatello et al. 2019).

    Parameters
    ----------
    train_representation : array, shape (n_train, d)
    train_labels : int array, shape (n_train, K) or (n_train,)
        Factor classes (e.g. ``ImageDataset.factor_classes``).
    test_representation, test_labels : the same for the test examples
    indices : int array, optional
        The variables used (e.g. from :func:`latentdims.maths.variables.type_combinations`).
    n_cs, n_folds : int
        Cross-validation grid size and folds: 10 and 5 in the thesis (Sect. 6.4.1).  Scale them
        down in quick runs.
    max_iter : int
        L-BFGS iterations.  The thesis' "300000 steps" (Sect. 6.4.1) has no counterpart in
        scikit-learn's ``LogisticRegressionCV`` that its code used (default 100 iterations).
    standardise : bool
        Scale the variables to unit variance (training statistics) first.  Off by default, as in
        the thesis code: the regularisation then penalises low-variance (passive) variables of the
        mean representation more, which is part of what Fig 6.4 measures.
    seed : int
        Fixes the solver's randomness (the folds are contiguous, ``KFold(n_folds)``).
    warn : bool
        Warn when a regression does not converge (see ``ClassifierAccuracy.converged``).

    Returns
    -------
    ClassifierAccuracy

    Choosing parameters
    -------------------
    The thesis used 10,000 training and 5,000 test examples.  With few examples per class (e.g.
    dSprites' 40 orientations), keep ``n_folds`` small enough that every fold sees most classes.

    References
    ----------
    [1] Bonheme 2023, thesis Sect. 6.4.1, "Sanity check", and Fig 6.4.
    [2] Locatello et al. 2019, "Challenging common assumptions ...", ICML.
    """
    # scikit-learn is imported here, not at the top: it takes about a second to load, and only
    # these classifiers of the module need it
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import KFold

    func = "logistic_regression_accuracy"
    x_tr, y_tr = _check_labelled(train_representation, train_labels, prefix="train", func=func)
    x_te, y_te = _check_labelled(test_representation, test_labels, prefix="test", func=func)
    if x_te.shape[1] != x_tr.shape[1] or y_te.shape[1] != y_tr.shape[1]:
        raise ValueError(f"{func}: train and test must have the same numbers of variables and "
                         f"factors; got {x_tr.shape[1]}/{x_te.shape[1]} variables and "
                         f"{y_tr.shape[1]}/{y_te.shape[1]} factors.")
    idx = _columns(indices, x_tr.shape[1], func=func)
    n_cs = check_int(n_cs, name="n_cs", func=func, minimum=1)
    n_folds = check_int(n_folds, name="n_folds", func=func, minimum=2)
    max_iter = check_int(max_iter, name="max_iter", func=func, minimum=1)
    if n_folds > len(x_tr):
        raise ValueError(f"{func}: `n_folds` = {n_folds} exceeds the {len(x_tr)} training "
                         f"examples.")
    x_tr, x_te = x_tr[:, idx], x_te[:, idx]
    if standardise:
        mu, sd = x_tr.mean(axis=0), x_tr.std(axis=0)
        sd = np.where(sd > 0, sd, 1.0)
        x_tr, x_te = (x_tr - mu) / sd, (x_te - mu) / sd
    per_factor, chance, best_c = [], [], []
    converged = True
    for k in range(y_tr.shape[1]):
        classes = np.unique(y_tr[:, k])
        chance.append(1.0 / len(classes))
        if len(classes) == 1:   # nothing to learn: every prediction is the one class seen
            per_factor.append(float(np.mean(y_te[:, k] == classes[0])))
            best_c.append(np.nan)
            continue
        model = LogisticRegressionCV(Cs=n_cs, cv=KFold(n_folds), l1_ratios=(0.0,),
                                     scoring="accuracy", max_iter=max_iter, random_state=seed,
                                     use_legacy_attributes=False)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(x_tr, y_tr[:, k])
        if any(issubclass(w.category, ConvergenceWarning) for w in caught):
            converged = False
        per_factor.append(float(model.score(x_te, y_te[:, k])))
        best_c.append(float(np.ravel(model.C_)[0]))
    if not converged and warn:
        warnings.warn(f"{func}: some logistic regressions did not converge in max_iter = "
                      f"{max_iter} iterations; increase `max_iter` (or set standardise=True). "
                      f"Pass warn=False to silence this.", RuntimeWarning, stacklevel=2)
    per = np.array(per_factor)
    return ClassifierAccuracy(mean=float(per.mean()), per_factor=per, chance=np.array(chance),
                              best_c=np.array(best_c), converged=converged)


def random_classifier_accuracy(train_labels, test_labels, *, seed: int = 0
                               ) -> ClassifierAccuracy:
    """Test accuracy of a classifier guessing uniformly among the training labels (Fig 6.4).

    Like scikit-learn's ``DummyClassifier(strategy="uniform")`` used by the thesis code: for each
    factor, one seeded uniform draw over the classes seen in training per test example.  Its
    expectation is ``ClassifierAccuracy.chance`` (1 / number of classes).

    Returns
    -------
    ClassifierAccuracy
        With ``best_c`` all NaN and ``converged`` True.
    """
    func = "random_classifier_accuracy"
    y_tr = check_array(train_labels, name="train_labels", func=func, ndim=(1, 2), dtype=None,
                       min_rows=1)
    y_te = check_array(test_labels, name="test_labels", func=func, ndim=(1, 2), dtype=None,
                       min_rows=1)
    y_tr = y_tr[:, None] if y_tr.ndim == 1 else y_tr
    y_te = y_te[:, None] if y_te.ndim == 1 else y_te
    if y_tr.shape[1] != y_te.shape[1]:
        raise ValueError(f"{func}: train and test labels must have the same number of factors; "
                         f"got {y_tr.shape[1]} and {y_te.shape[1]}.")
    rng = np.random.default_rng(check_int(seed, name="seed", func=func, minimum=0))
    per, chance = [], []
    for k in range(y_tr.shape[1]):
        classes = np.unique(y_tr[:, k])
        guess = rng.choice(classes, size=len(y_te))
        per.append(float(np.mean(guess == y_te[:, k])))
        chance.append(1.0 / len(classes))
    per = np.array(per)
    return ClassifierAccuracy(mean=float(per.mean()), per_factor=per, chance=np.array(chance),
                              best_c=np.full(len(per), np.nan), converged=True)


# --------------------------------------------------------------------------- correlations
def correlation_matrix(representation, *, constant: str = "raise") -> np.ndarray:
    r"""Pearson correlations between the latent variables (Sect. 6.5, Fig 6.9).

    .. math::
        C_{ij} = \frac{\mathrm{Cov}[r_i, r_j]}{\sqrt{\mathrm{Var}[r_i]\,\mathrm{Var}[r_j]}}

    Parameters
    ----------
    representation : array, shape (n, d) or (S, n, d)
        E.g. the mean representation of one model, or of each of S training snapshots.
    constant : {"raise", "zero"}
        What to do with a variable that is constant (its correlations are undefined): raise, or
        (``"zero"``, for training snapshots where a collapsed passive variable can be exactly
        constant) give it correlation 0 with the others and 1 with itself.  ``"zero"`` calls a
        variable constant when its spread is below ``1e-12`` of its magnitude (round-off).

    Returns
    -------
    ndarray, shape (d, d) or (S, d, d)

    Raises
    ------
    ValueError
        When a variable is constant and ``constant="raise"``.

    Examples
    --------
    >>> correlation_matrix(np.array([[0.0, 1.0], [1.0, 3.0], [2.0, 5.0]])).round(6).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    func = "correlation_matrix"
    arr = _representation(representation, func=func)
    batch = arr if arr.ndim == 3 else arr[None]
    check_choice(constant, ("raise", "zero"), name="constant", func=func)
    centred = batch - batch.mean(axis=1, keepdims=True)
    sd = np.sqrt(np.sum(centred ** 2, axis=1))                      # (S, d)
    if constant == "raise":
        flat = sd == 0
        if np.any(flat):
            s, j = np.argwhere(flat)[0]
            where = f"variable {j}" + (f" of snapshot {s}" if arr.ndim == 3 else "")
            raise ValueError(f"{func}: {where} is constant, so its correlations are undefined; "
                             f"remove it before computing correlations.")
    else:
        flat = sd <= np.max(np.abs(batch), axis=1) * np.sqrt(batch.shape[1]) * 1e-12
    z = centred / np.where(flat, 1.0, sd)[:, None, :]
    z[np.broadcast_to(flat[:, None, :], z.shape)] = 0.0
    corr = np.clip(np.einsum("sni,snj->sij", z, z), -1.0, 1.0)
    if constant == "zero":
        d = batch.shape[2]
        corr[:, np.arange(d), np.arange(d)] = 1.0
    return corr if arr.ndim == 3 else corr[0]


def _check_correlations(correlations, func: str) -> np.ndarray:
    c = check_array(correlations, name="correlations", func=func, ndim=(2, 3))
    c = c if c.ndim == 3 else c[None]
    if c.shape[1] != c.shape[2] or c.shape[1] < 2:
        raise ValueError(f"{func}: `correlations` must be square (d, d) or (S, d, d) matrices "
                         f"with d >= 2; got shape {c.shape}.")
    if np.any(np.abs(c) > 1 + 1e-9):
        raise ValueError(f"{func}: `correlations` must lie in [-1, 1]; got max |C| = "
                         f"{np.abs(c).max():g}. Pass correlations, not covariances.")
    return c


def strong_correlation_counts(correlations, threshold: float = 0.2, *,
                              count: str = "snapshots") -> np.ndarray:
    r"""How often each variable is strongly correlated with another one (Fig 6.10).

    With :math:`C^{(s)}` the correlation matrix of snapshot :math:`s`:

    .. math::
        \text{snapshots:}\; N_i = \sum_s \mathbb 1\big[\max_{j \ne i} |C^{(s)}_{ij}| > t\big],
        \qquad
        \text{pairs:}\; N_i = \sum_s \sum_{j \ne i} \mathbb 1\big[|C^{(s)}_{ij}| > t\big].

    The caption of Fig 6.10 ("number of times where the absolute value of the correlation of
    each latent variable with another variable ... was above 0.2 in the 300 snapshots") fits both
    readings; ``"snapshots"`` (at most S per variable) is the default, ``"pairs"`` the other.

    Parameters
    ----------
    correlations : array, shape (S, d, d) or (d, d)
        From :func:`correlation_matrix`.
    threshold : float, default 0.2 (thesis Fig 6.10); the comparison is strict.
    count : {'snapshots', 'pairs'}

    Returns
    -------
    ndarray of int64, shape (d,)

    Examples
    --------
    >>> c = np.array([[1.0, 0.5, 0.1], [0.5, 1.0, -0.3], [0.1, -0.3, 1.0]])
    >>> strong_correlation_counts(c).tolist(), strong_correlation_counts(c, count="pairs").tolist()
    ([1, 1, 1], [1, 2, 1])
    """
    func = "strong_correlation_counts"
    c = _check_correlations(correlations, func)
    check_choice(count, ("snapshots", "pairs"), name="count", func=func)
    t = check_in_interval(threshold, name="threshold", func=func, low=0.0, high=1.0)
    off = ~np.eye(c.shape[1], dtype=bool)
    strong = (np.abs(c) > t) & off                                   # (S, d, d)
    if count == "snapshots":
        return strong.any(axis=2).sum(axis=0).astype(np.int64)
    return strong.sum(axis=(0, 2)).astype(np.int64)


def correlations_with(correlations, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Correlations of one variable with every other across snapshots (Fig 6.11).

    Parameters
    ----------
    correlations : array, shape (S, d, d)
    index : int
        The variable followed (index 2 in Fig 6.11).

    Returns
    -------
    partners : ndarray of int64, shape (d - 1,)
        The other variables, in order.
    values : ndarray, shape (S, d - 1)
        ``values[s, k]`` = correlation of ``index`` with ``partners[k]`` at snapshot s.

    Examples
    --------
    >>> c = np.array([[[1.0, 0.3, -0.2], [0.3, 1.0, 0.0], [-0.2, 0.0, 1.0]]])
    >>> p, v = correlations_with(c, 0)
    >>> p.tolist(), v.tolist()
    ([1, 2], [[0.3, -0.2]])
    """
    func = "correlations_with"
    c = _check_correlations(correlations, func)
    d = c.shape[1]
    index = check_int(index, name="index", func=func, minimum=0)
    if index >= d:
        raise ValueError(f"{func}: `index` must be below the {d} variables; got {index}.")
    partners = np.delete(np.arange(d), index).astype(np.int64)
    return partners, c[:, index, partners]
