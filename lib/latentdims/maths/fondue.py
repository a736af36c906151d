"""FONDUE (thesis chapter 8): choose the number of latent dimensions n of a VAE without
supervision, from the gap between its mean and sampled representations after a few epochs.

* :func:`covariance_traces` and :func:`expected_trace_gap`: ``Tr(Var[Z]) - Tr(Var[M])``
  (Props 8.3.1-8.3.3).
* :func:`rbf_gram`, :func:`renyi_entropy`, :func:`renyi_mutual_information`, :func:`ib_scores`:
  the matrix-based Renyi entropies of FONDUE_IB (Appendix D.2).
* :func:`ide_scores`: the intrinsic-dimension gap of FONDUE_IDE (Section 8.8).
* :func:`downstream_accuracy`: the downstream task of the elbow curves (gradient-boosted trees
  per label on the mean representation, Section 8.4.1), against which FONDUE's n is judged.
* :func:`fondue` (Algorithms 1-6: doubling, then bisection, memoised trainings),
  :func:`binary_search` (the supervised baselines of Appendix D.3, Algorithms 7-8) and
  :func:`stable_epochs` (the "minimum number of epochs giving a stable n" of footnote 3).

The searches never train anything themselves: they call ``train(n_latents, epochs)``, which
returns :class:`TrainingOutput` (or any object with ``mean`` and ``variance`` attributes, such as
the models' :class:`latentdims.models.base.Representations`), or directly the pair of scores.
Wire it to the cached training runner for VAEs, or to a cheap stand-in in tests.  Constants
marked [EXT] come from the author's public code, not the thesis.
"""
from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable

import numpy as np

from latentdims.core.validation import check_array, check_choice, check_int, check_positive, check_same_length
from latentdims.maths.intrinsic_dim import repeated_id

__all__ = ["TrainingOutput", "Traces", "covariance_traces", "expected_trace_gap",
           "rbf_gram", "renyi_entropy", "renyi_mutual_information", "ib_scores", "ide_scores",
           "Criterion", "CRITERIA", "DATA_IDE", "SUPERVISED_RANGE", "Evaluation", "FondueStep",
           "FondueResult", "fondue", "binary_search", "EpochSearch", "stable_epochs",
           "downstream_accuracy"]

N_EXAMPLES = 10_000          # representations of 10,000 examples per evaluation (Sec. 8.3.2)
TRACE_PRECISION = 3          # [EXT] CovarianceTrace(precision=3): variances floored to 3 decimals
IB_ALPHA = 2.0               # Renyi order, as Boquet et al. (Secs 8.2.4, 8.4.2)
IB_BATCH_SIZE = 1000         # [EXT] IB.yaml: entropies per block of 1,000 examples, then averaged
IB_PRECISION = 2             # scores truncated to 2 decimals (Sec. 8.4.2)
IDE_K = 20                   # [EXT] FONDUE_IDE uses MLE with k = 20 ...
IDE_RUNS = 5                 # [EXT] ... 5 runs ...
IDE_FRACTION = 0.8           # [EXT] ... of 80% of the points as centres (Table D.4 "anchor 0.8")
DATA_IDE = MappingProxyType({"symsol": 4, "dsprites": 11, "celeba": 22})  # Sec. 8.5.1: n_init
SUPERVISED_RANGE = (1, 200)  # l and u of the binary searches of Appendix D.3
_MAX_LOG_VARIANCE = 709.0    # exp(709.78) is the largest float64


# ---------------------------------------------------------------------------------------------
# Training outputs and the trace criterion (Section 8.3.1)


@dataclass(frozen=True)
class TrainingOutput:
    """What one training gives FONDUE: the encoder's outputs on a fixed set of examples.

    Attributes
    ----------
    mean : array, shape (h, n)
        Mean representation M (rows: examples; columns: latents).
    variance : array, shape (h, n)
        Variance representation S (a variance, sigma; not a log-variance, nor a std).
    sampled : array, shape (h, n), optional
        One reparametrised sample Z = M + E * sqrt(S); drawn from ``seed`` when missing.
    inputs, reconstructions : array, shape (h, ...), optional
        x and the decoder's output for ``sampled`` (FONDUE_IB only).
    model : object, optional
        The trained model (kept in the search's result).
    """
    mean: Any
    variance: Any
    sampled: Any = None
    inputs: Any = None
    reconstructions: Any = None
    model: Any = None

    @classmethod
    def from_log_variance(cls, mean, log_variance, **kwargs) -> "TrainingOutput":
        """Build from a log-variance head (what encoders usually output)."""
        func = "TrainingOutput.from_log_variance"
        lv = check_array(log_variance, name="log_variance", func=func, ndim=2)
        if lv.size and lv.max() > _MAX_LOG_VARIANCE:
            raise ValueError(f"{func}: `log_variance` reaches {lv.max():.6g}, whose exponential "
                             f"overflows float64; is it a log-variance (not a variance or a "
                             f"precision)? A diverged encoder gives such values: check its "
                             f"training.")
        return cls(mean=mean, variance=np.exp(lv), **kwargs)


@dataclass(frozen=True)
class Traces:
    """``Tr(Var[Z])`` (``sampled``), ``Tr(Var[M])`` (``mean``) and their ``difference``."""
    sampled: float
    mean: float

    @property
    def difference(self) -> float:
        return self.sampled - self.mean


def _mean_variance(mean, variance, func: str) -> tuple[np.ndarray, np.ndarray]:
    M = check_array(mean, name="mean", func=func, ndim=2, min_rows=2, min_cols=1)
    S = check_array(variance, name="variance", func=func, shape=M.shape)
    if np.any(S < 0):
        raise ValueError(f"{func}: `variance` must be >= 0 (a variance, not a log-variance); got "
                         f"min {S.min()!r}. Use TrainingOutput.from_log_variance for "
                         f"log-variances.")
    return M, S


def _sample(M: np.ndarray, S: np.ndarray, seed: int) -> np.ndarray:
    return M + np.random.default_rng(seed).standard_normal(M.shape) * np.sqrt(S)


def _floor(x: float, precision: int | None) -> float:
    if precision is None:
        return float(x)
    scale = 10.0 ** precision
    return float(np.floor(x * scale) / scale)


def _column_variances(X: np.ndarray, name: str, func: str) -> np.ndarray:
    """Unbiased column variances; ``ValueError`` naming ``name`` when they overflow."""
    with np.errstate(over="ignore", invalid="ignore"):
        var = X.var(axis=0, ddof=1)
    if not np.all(np.isfinite(var)):
        raise ValueError(f"{func}: the variances of `{name}` overflow float64 (values up to "
                         f"{np.max(np.abs(X)):.3g}); the representation has diverged, or is in "
                         f"the wrong units.")
    return var


def covariance_traces(mean, variance=None, *, sampled=None, seed: int = 0,
                      precision: int | None = None) -> Traces:
    r"""Traces of the covariance matrices of the sampled and mean representations.

    .. math::
        D = {\rm Tr}({\rm Var}[Z]) - {\rm Tr}({\rm Var}[M])
          = \sum_{j=1}^{n}{\rm Var}(Z_{\cdot j}) - \sum_{j=1}^{n}{\rm Var}(M_{\cdot j})

    where M (h, n) is the mean representation, S (h, n) the variance representation and
    :math:`Z = M + E\odot S^{1/2}` one reparametrised sample (E standard normal), as in thesis
    Section 8.3.1.  Variances are unbiased (``ddof=1``, the code's ``np.cov``).
    In the polarised regime D = 0 with only active variables (Prop 8.3.1), D = s with s
    passive ones (Prop 8.3.2) and :math:`D = \sum_i (1 - w_i)` with s mixed ones active on a
    fraction :math:`w_i` of the examples (Prop 8.3.3); see :func:`expected_trace_gap`.

    Parameters
    ----------
    mean : array, shape (h, n)
    variance : array, shape (h, n), optional
        Needed unless ``sampled`` is given.
    sampled : array, shape (h, n), optional
        Z; drawn with ``seed`` when missing.
    seed : int
    precision : int, optional
        Floor each variance to this many decimals before summing (the code's
        ``CovarianceTrace(precision=3)``, used by :func:`fondue`); ``None`` keeps all digits.

    Returns
    -------
    Traces

    Examples
    --------
    Two examples, one active latent (Z = M) and one passive latent (M = 0, Z = +-1):

    >>> M = np.array([[-1.0, 0.0], [1.0, 0.0]])
    >>> Z = np.array([[-1.0, 1.0], [1.0, -1.0]])
    >>> tr = covariance_traces(M, sampled=Z)
    >>> tr.sampled, tr.mean, tr.difference
    (4.0, 2.0, 2.0)

    References
    ----------
    [1] L. Bonheme, thesis 2023, Props 8.3.1-8.3.3 and Algorithm 2.
    """
    func = "covariance_traces"
    M = check_array(mean, name="mean", func=func, ndim=2, min_rows=2, min_cols=1)
    seed = check_int(seed, name="seed", func=func, minimum=0)
    if sampled is None:
        if variance is None:
            raise ValueError(f"{func}: give `variance` (to draw the sampled representation) or "
                             f"`sampled`.")
        M, S = _mean_variance(M, variance, func)
        Z = _sample(M, S, seed)
    else:
        Z = check_array(sampled, name="sampled", func=func, shape=M.shape)
    if precision is not None:
        precision = check_int(precision, name="precision", func=func, minimum=0)
    var_m = _column_variances(M, "mean", func)
    var_z = _column_variances(Z, "sampled" if sampled is not None else "variance", func)
    if precision is not None:
        var_z = np.floor(var_z * 10.0**precision) / 10.0**precision
        var_m = np.floor(var_m * 10.0**precision) / 10.0**precision
    return Traces(sampled=float(var_z.sum()), mean=float(var_m.sum()))


def expected_trace_gap(variance) -> float:
    r"""The expectation over the sampling noise of ``Tr(Var[Z]) - Tr(Var[M])``.

    .. math::
        \mathbb E_E\left[{\rm Tr}({\rm Var}[Z]) - {\rm Tr}({\rm Var}[M])\right]
        = \sum_{j=1}^{n}\frac{1}{h}\sum_{i=1}^{h} S_{ij}

    (law of total variance with unbiased variances: the noise adds
    :math:`\frac{1}{h}\sum_i S_{ij}` to the variance of column j).  A passive latent
    (S = 1) adds 1 (Prop 8.3.2), an active one (S = 0) nothing (Prop 8.3.1), a mixed one active
    on a fraction w of the examples :math:`1 - w` (Prop 8.3.3), without the limit
    :math:`\gamma\to 0`: that limit is what makes S exactly 0 or 1.

    Parameters
    ----------
    variance : array, shape (h, n)
        Variance representation S.

    Returns
    -------
    float

    Examples
    --------
    One passive latent and one mixed latent active on 3 of 4 examples:

    >>> S = np.array([[1, 0], [1, 0], [1, 0], [1, 1]], dtype=float)
    >>> expected_trace_gap(S)
    1.25
    """
    S = check_array(variance, name="variance", func="expected_trace_gap", ndim=2, min_rows=1,
                    min_cols=1)
    if np.any(S < 0):
        raise ValueError(f"expected_trace_gap: `variance` must be >= 0; got min {S.min()!r}.")
    return float(S.mean(axis=0).sum())


# ---------------------------------------------------------------------------------------------
# FONDUE_IB: matrix-based Renyi entropies (Appendix D.2)


def rbf_gram(X) -> np.ndarray:
    r"""Normalised RBF Gram matrix with Silverman's bandwidth (thesis Eqs D.2, D.5).

    .. math::
        K_{ij} = \exp\left(-\frac{\|x_i - x_j\|^2}{2s^2}\right),\qquad
        s = \sigma(X)\,h^{-1/(4+m)},\qquad A_{ij} = \frac{K_{ij}}{h\sqrt{K_{ii}K_{jj}}}

    where X (h, m) holds h examples flattened to m features and :math:`\sigma(X)` is the
    standard deviation of all its entries (the code's ``np.std(X)``; the thesis does not say
    which standard deviation, Appendix D.2).  Identical points (s = 0) give :math:`K_{ij} = 1`.

    Returns
    -------
    ndarray, shape (h, h)
        Symmetric, positive semi-definite, trace 1.

    Examples
    --------
    >>> rbf_gram(np.ones((2, 3))).tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    """
    func = "rbf_gram"
    X = check_array(X, name="X", func=func, min_rows=2)
    if X[0].size == 0:
        raise ValueError(f"{func}: `X` has no features (shape {X.shape}).")
    X = X.reshape(len(X), -1)
    h, m = X.shape
    # K is invariant to scaling X (the bandwidth scales with it); an exact power of two keeps
    # the squares of 1e200 or 1e-200 in range.
    peak = float(np.max(np.abs(X)))
    if peak > 0:
        X = X * 2.0 ** -np.frexp(peak)[1]
    s = np.std(X) * h ** (-1.0 / (4 + m))
    if s == 0:
        K = np.ones((h, h))
    else:
        sq = np.einsum("ij,ij->i", X, X)
        d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * (X @ X.T), 0.0)
        K = np.exp(-d2 / (2.0 * s * s))
    d = np.sqrt(np.diag(K))
    return K / (h * np.outer(d, d))


def _normalised_gram(A, name: str, func: str) -> np.ndarray:
    """``A`` checked to be a non-empty square matrix of trace 1 (within 1e-6)."""
    A = check_array(A, name=name, func=func, ndim=2, min_rows=1)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"{func}: `{name}` must be square; got {A.shape}.")
    trace = float(np.trace(A))
    if abs(trace - 1.0) > 1e-6:
        raise ValueError(f"{func}: `{name}` must be a normalised Gram matrix (trace 1, e.g. "
                         f"rbf_gram(X)); got trace {trace:.6g}. Divide it by its trace.")
    return A


def renyi_entropy(A, alpha: float = IB_ALPHA) -> float:
    r"""Matrix-based Renyi alpha-entropy in bits (Yu & Principe 2019; thesis Eq D.2).

    .. math::
        S_\alpha(A) = \frac{1}{1-\alpha}\log_2\sum_{i=1}^{h}\lambda_i(A)^\alpha

    where A (h, h) is a normalised Gram matrix (trace 1) and :math:`\lambda_i` its eigenvalues;
    :math:`\alpha = 1` gives the von Neumann limit :math:`-\sum\lambda\log_2\lambda`.  For
    :math:`\alpha = 2` the sum is :math:`\|A\|_F^2`, with no eigendecomposition.

    Examples
    --------
    h equally distant, orthogonal points carry :math:`\log_2 h` bits:

    >>> renyi_entropy(np.eye(4) / 4)
    2.0
    """
    func = "renyi_entropy"
    A = _normalised_gram(A, "A", func)
    alpha = check_positive(alpha, name="alpha", func=func)
    if alpha == 2.0:
        return float(-np.log2(np.sum(A * A)))
    lam = np.clip(np.linalg.eigvalsh((A + A.T) / 2), 0.0, None)
    lam = lam[lam > 0]
    if alpha == 1.0:
        return float(-np.sum(lam * np.log2(lam)))
    return float(np.log2(np.sum(lam**alpha)) / (1.0 - alpha))


def renyi_mutual_information(A, B, alpha: float = IB_ALPHA) -> float:
    r"""Matrix-based Renyi mutual information in bits (thesis Eqs D.3-D.4).

    .. math::
        I_\alpha(A, B) = S_\alpha(A) + S_\alpha(B)
            - S_\alpha\left(\frac{A\odot B}{{\rm Tr}(A\odot B)}\right)

    with A, B (h, h) normalised Gram matrices of the same h examples (:func:`rbf_gram`).

    Examples
    --------
    >>> renyi_mutual_information(np.eye(4) / 4, np.eye(4) / 4)
    2.0
    """
    func = "renyi_mutual_information"
    A = _normalised_gram(A, "A", func)
    B = _normalised_gram(B, "B", func)
    if B.shape != A.shape:
        raise ValueError(f"{func}: `A` and `B` must be Gram matrices of the same examples; got "
                         f"shapes {A.shape} and {B.shape}.")
    AB = A * B
    if not np.trace(AB) > 0:
        raise ValueError(f"{func}: the joint Gram matrix A * B has trace {np.trace(AB):.3g}, so "
                         f"it cannot be normalised; `A` and `B` must be normalised Gram matrices "
                         f"(positive diagonals), e.g. from rbf_gram().")
    return renyi_entropy(A, alpha) + renyi_entropy(B, alpha) - renyi_entropy(AB / np.trace(AB),
                                                                             alpha)


def ib_scores(sampled, inputs, reconstructions, *, alpha: float = IB_ALPHA,
              batch_size: int = IB_BATCH_SIZE, precision: int | None = IB_PRECISION
              ) -> tuple[float, float]:
    r"""The two scores of FONDUE_IB: :math:`H(z)` and :math:`I(x, \hat x)`, in bits.

    .. math::
        H(z) = S_\alpha(A_z),\qquad I(x, \hat x) = I_\alpha(A_x, A_{\hat x})

    averaged over consecutive blocks of ``batch_size`` examples (Boquet et al. compute them per
    batch, Sec. 8.2.4) and floored to ``precision`` decimals (Sec. 8.4.2), with
    :func:`rbf_gram` kernels.
    FONDUE_IB accepts n while :math:`H(z) - I(x,\hat x) \le -0.01`.

    Parameters
    ----------
    sampled : array, shape (h, n)
        z, the sampled representation.
    inputs : array, shape (h, ...)
        x.
    reconstructions : array, shape (h, ...)
        :math:`\hat x`, the decoder's output for z (the code used the final layer's output,
        i.e. Bernoulli logits).
    alpha : float
        2 (Boquet et al.; Yu & Principe used 1.01).
    batch_size : int
        Block size (the code: 1,000; its slices hold 999 rows, an off-by-one not reproduced).
        A last block of fewer than 2 examples is left out.
    precision : int or None

    Returns
    -------
    (H(z), I(x, x_hat)) : tuple of float

    References
    ----------
    [1] S. Yu, J. Principe, "Understanding autoencoders with information theoretic concepts",
        Neural Networks 117 (2019).
    [2] G. Boquet et al., "Theoretical tuning of the autoencoder bottleneck layer dimension",
        2021.  [3] L. Bonheme, thesis 2023, Appendix D.2, Eqs D.2-D.5, and Section 8.4.2.
    """
    func = "ib_scores"
    z = check_array(sampled, name="sampled", func=func, ndim=2, min_rows=2)
    x = check_array(inputs, name="inputs", func=func, min_rows=2)
    xh = check_array(reconstructions, name="reconstructions", func=func, min_rows=2)
    h = check_same_length(func=func, sampled=z, inputs=x, reconstructions=xh)
    batch_size = check_int(batch_size, name="batch_size", func=func, minimum=2)
    hs, mis = [], []
    for start in range(0, h, batch_size):
        stop = min(start + batch_size, h)
        if stop - start < 2:
            continue
        hs.append(renyi_entropy(rbf_gram(z[start:stop]), alpha))
        mis.append(renyi_mutual_information(rbf_gram(x[start:stop]), rbf_gram(xh[start:stop]),
                                            alpha))
    return _floor(np.mean(hs), precision), _floor(np.mean(mis), precision)


def ide_scores(mean, sampled, *, k: int = IDE_K, n_runs: int = IDE_RUNS,
               fraction: float = IDE_FRACTION, seed: int = 0,
               normalisation: str = "k-1") -> tuple[float, float]:
    r"""The two scores of FONDUE_IDE: the MLE intrinsic dimensions of Z and of M.

    .. math::
        {\rm IDE}_z - {\rm IDE}_\mu \le t

    with :func:`~latentdims.maths.intrinsic_dim.mle` (MacKay-Ghahramani averaging) repeated over
    ``n_runs`` subsamples of centres (:func:`~latentdims.maths.intrinsic_dim.repeated_id`).  The thesis
    does not name the estimator (Section 8.8); its code uses MLE with k = 20, 5 runs, 80% of
    the points as centres and the ``k - 2`` normalisation, which scales both estimates, and
    the gap, by 18/19 relative to the default ``k - 1`` here.

    Returns
    -------
    (IDE_z, IDE_mu) : tuple of float
    """
    func = "ide_scores"
    M = check_array(mean, name="mean", func=func, ndim=2, min_rows=2)
    Z = check_array(sampled, name="sampled", func=func, shape=M.shape)
    opts = dict(k=k, n_runs=n_runs, fraction=fraction, seed=seed, normalisation=normalisation)
    return repeated_id(Z, "mle", **opts).mean, repeated_id(M, "mle", **opts).mean


# ---------------------------------------------------------------------------------------------
# The downstream task of the elbow curves (Figs 8.5-8.8, 8.12, D.1-D.4)


def _check_classes(classes, func: str) -> np.ndarray:
    """Labels as an (h, K) array of discrete values (integers, integral floats, strings)."""
    if classes is None:
        raise TypeError(f"{func}: `classes` is missing (got None); pass the labels (h, K).")
    y = np.asarray(classes)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2:
        raise ValueError(f"{func}: `classes` must have shape (h,) or (h, K) (one column per "
                         f"label); got {y.shape}.")
    if y.dtype.kind == "c":
        raise TypeError(f"{func}: `classes` must hold discrete labels; got complex values.")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)):
            raise ValueError(f"{func}: `classes` contains {int(np.sum(~np.isfinite(y)))} NaN or "
                             f"infinite label(s); drop those examples or give them a class.")
        if np.any(y != np.round(y)):
            raise ValueError(f"{func}: `classes` must hold discrete labels (integers or "
                             f"strings); got non-integer values such as "
                             f"{y[y != np.round(y)][0]:g}. Bin continuous factors first.")
    if y.dtype.kind == "O" and any(v is None or (isinstance(v, float) and v != v)
                                   for v in y.flat):
        raise ValueError(f"{func}: `classes` contains missing labels (None or NaN); drop those "
                         f"examples or give them a class.")
    return y


def downstream_accuracy(mean, classes, *, iterations: int = 100, seed: int = 0) -> float:
    r"""Average test accuracy of gradient-boosted trees, one classifier per label, on mean
    representations (thesis Section 8.4.1).

    .. math::
        {\rm acc} = \frac{1}{K}\sum_{k=1}^{K}\frac{1}{h_{\rm test}}
        \sum_{i \in {\rm test}} [\hat y_k(\mu^{(i)}) = y^{(i)}_k]

    The examples are split in half (first half: training, second: test); a label with one
    class in the training half counts as predicted exactly when the test half has that class.

    Parameters
    ----------
    mean : array, shape (h, n)
        Mean representation.
    classes : array of int, shape (h, K)
        Labels (factor classes).
    iterations : int
        Boosting iterations (the author's code: 100 trees of scikit-learn's
        ``GradientBoostingClassifier``; we use ``HistGradientBoostingClassifier``, the same
        model family with binned features, much faster on this CPU).
    seed : int

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    A label that is a threshold of the representation (with a margin) is learnt exactly:

    >>> x = np.concatenate([np.linspace(-1, -0.2, 100), np.linspace(0.2, 1, 100)])[:, None]
    >>> y = (x[:, 0] > 0).astype(int)[:, None]
    >>> perm = np.random.default_rng(0).permutation(200)
    >>> downstream_accuracy(x[perm], y[perm], iterations=5)
    1.0
    """
    # imported here: scikit-learn's ensembles take a second to import, and only this function
    # of the module needs them
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    func = "downstream_accuracy"
    mean = check_array(mean, name="mean", func=func, ndim=2)
    classes = _check_classes(classes, func)
    check_same_length(func=func, mean=mean, classes=classes)
    if len(mean) < 4 or classes.shape[1] == 0:
        raise ValueError(f"{func}: need at least 4 examples and one label; got {len(mean)} "
                         f"examples and {classes.shape[1]} labels.")
    iterations = check_int(iterations, name="iterations", func=func, minimum=1)
    half = len(mean) // 2
    scores = []
    for k in range(classes.shape[1]):
        y_train, y_test = classes[:half, k], classes[half:, k]
        if len(np.unique(y_train)) < 2:
            scores.append(float(np.mean(y_test == y_train[0])))
            continue
        clf = HistGradientBoostingClassifier(max_iter=iterations, early_stopping=False,
                                             random_state=seed)
        # one OpenMP thread: TensorFlow already holds the cores, and oversubscribed OpenMP
        # threads made the many small trees of 40-class labels crawl on the shared 2-core CPU
        with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="openmp"):
            # many classes on few examples (smoke sizes) only warns that y "could be a regression"
            warnings.simplefilter("ignore", UserWarning)
            clf.fit(mean[:half], y_train)
            scores.append(float(np.mean(clf.predict(mean[half:]) == y_test)))
    return float(np.mean(scores))


# ---------------------------------------------------------------------------------------------
# The searches


@dataclass(frozen=True)
class Criterion:
    """A FONDUE flavour: a pair of scores (first, second) and the default threshold t on
    ``first - second``."""
    name: str
    algorithm: str
    labels: tuple
    threshold: float
    score: Callable[[TrainingOutput, int], tuple]


def _sampled_of(rep, seed: int, func: str) -> np.ndarray:
    """The output's sampled representation, or one drawn from its mean and variance."""
    sampled = getattr(rep, "sampled", None)
    if sampled is not None:
        return sampled
    M, S = _mean_variance(rep.mean, rep.variance, func)
    return _sample(M, S, seed)


def _trace_score(rep, seed: int) -> tuple[float, float]:
    tr = covariance_traces(rep.mean, sampled=_sampled_of(rep, seed, "fondue"),
                           precision=TRACE_PRECISION)
    return tr.sampled, tr.mean


def _ib_score(rep, seed: int) -> tuple[float, float]:
    x, xh = getattr(rep, "inputs", None), getattr(rep, "reconstructions", None)
    if x is None or xh is None:
        raise ValueError("fondue: the 'ib' criterion needs a training output with `inputs` and "
                         "`reconstructions` (x and the decoder's output for the sampled z).")
    return ib_scores(_sampled_of(rep, seed, "fondue"), x, xh)


def _ide_score(rep, seed: int) -> tuple[float, float]:
    return ide_scores(rep.mean, _sampled_of(rep, seed, "fondue"), seed=seed)


CRITERIA = MappingProxyType({
    # t = 1 for the traces (Sec. 8.5.2) and the IDE gap (Sec. 8.8.2); t = -0.01 for IB (Sec. 8.4.2)
    "trace": Criterion("trace", "FONDUE", ("Tr(Var[Z])", "Tr(Var[M])"), 1.0, _trace_score),
    "ib": Criterion("ib", "FONDUE_IB", ("H(z)", "I(x, x_hat)"), -0.01, _ib_score),
    "ide": Criterion("ide", "FONDUE_IDE", ("IDE_z", "IDE_mu"), 1.0, _ide_score),
})


@dataclass(frozen=True)
class Evaluation:
    """One memoised training: its n, scores, difference, wall time and model."""
    n: int
    first: float
    second: float
    difference: float
    seconds: float
    model: Any = None


@dataclass(frozen=True)
class FondueStep:
    """One iteration of a search: the n looked at, its scores (``trained`` False when they came
    from the memo), the decision (``accepted``: difference <= t) and the bounds after it."""
    iteration: int
    n: int
    first: float
    second: float
    difference: float
    accepted: bool
    trained: bool
    lower: int
    upper: float
    next_n: int


@dataclass(frozen=True)
class FondueResult:
    """The outcome of :func:`fondue` or :func:`binary_search`.

    Attributes
    ----------
    n : int
        The number of latent dimensions chosen.
    algorithm : str
        "FONDUE", "FONDUE_IB", "FONDUE_IDE", "BS_FONDUE", "IB", "BS_IDE" or "custom".
    criterion : str
    labels : tuple of str
        Names of the two scores.
    threshold : float
    epochs : int
    start : tuple
        ``(n_init,)`` for FONDUE, ``(lower, upper)`` for the binary search.
    steps : tuple of FondueStep
    evaluations : tuple of Evaluation
        The trainings, in the order they ran (memoised: one per distinct n).
    hit_max_n : bool
        FONDUE reached ``max_n`` with the criterion still below t.
    seconds : float
        Wall time of the whole search.
    """
    n: int
    algorithm: str
    criterion: str
    labels: tuple
    threshold: float
    epochs: int
    start: tuple
    steps: tuple
    evaluations: tuple
    hit_max_n: bool
    seconds: float

    @property
    def models_trained(self) -> int:
        """Distinct trainings (the "Models trained" column of Tables 8.1-8.8)."""
        return len(self.evaluations)

    def scores(self) -> dict[str, np.ndarray]:
        """Evaluated n (sorted) with both scores and their difference, as arrays."""
        ev = sorted(self.evaluations, key=lambda e: e.n)
        return {"n": np.array([e.n for e in ev]), "first": np.array([e.first for e in ev]),
                "second": np.array([e.second for e in ev]),
                "difference": np.array([e.difference for e in ev])}

    def steps_frame(self):
        """The steps as a pandas DataFrame (one row per iteration)."""
        import pandas as pd

        return pd.DataFrame([s.__dict__ for s in self.steps])


@dataclass
class _Memo:
    """GET-MEM (Algorithms 2, 4, 6): train once per n, remember the scores."""
    train: Callable
    criterion: Criterion
    epochs: int
    seed: int
    func: str
    evaluations: dict = field(default_factory=dict)

    def get(self, n: int) -> tuple[Evaluation, bool]:
        if n in self.evaluations:
            return self.evaluations[n], False
        start = time.perf_counter()
        out = self.train(n, self.epochs)
        model = None
        if hasattr(out, "mean") and hasattr(out, "variance"):
            model = getattr(out, "model", None)
            first, second = self.criterion.score(out, self.seed)
        else:
            try:
                first, second = (float(v) for v in out)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"{self.func}: `train({n}, {self.epochs})` must return "
                                f"TrainingOutput or a pair of scores; got "
                                f"{type(out).__name__}.") from exc
        if not (np.isfinite(first) and np.isfinite(second)):
            raise ValueError(f"{self.func}: the training with n={n} latents gave non-finite "
                             f"scores ({first}, {second}); check that it did not diverge.")
        ev = Evaluation(n=n, first=float(first), second=float(second),
                        difference=float(first) - float(second),
                        seconds=time.perf_counter() - start, model=model)
        self.evaluations[n] = ev
        return ev, True


def _criterion(criterion, threshold, func: str) -> tuple[Criterion, float]:
    if threshold is not None:
        if isinstance(threshold, (bool, str, bytes)) or np.ndim(threshold) != 0:
            raise TypeError(f"{func}: `threshold` must be a number; got {threshold!r}.")
        try:
            threshold = float(threshold)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{func}: `threshold` must be a number; got {threshold!r}.") from exc
    if callable(criterion) and not isinstance(criterion, str):
        if threshold is None:
            raise ValueError(f"{func}: a custom `criterion` needs an explicit `threshold`.")
        crit = Criterion("custom", "custom", ("first", "second"), float(threshold),
                         lambda rep, seed: criterion(rep))
    else:
        check_choice(criterion, CRITERIA, name="criterion", func=func)
        crit = CRITERIA[criterion]
    t = crit.threshold if threshold is None else threshold
    if not np.isfinite(t):
        raise ValueError(f"{func}: `threshold` must be finite; got {threshold!r}.")
    return crit, t


def _log_step(log: logging.Logger, algorithm: str, step: FondueStep, crit: Criterion,
              t: float, ev: Evaluation) -> None:
    log.info("%s step %d: n=%d %s (%.1f s) %s=%.4g %s=%.4g diff=%.4g %s t=%g -> l=%d u=%s next "
             "n=%d", algorithm, step.iteration, step.n, "trained" if step.trained else "memo",
             ev.seconds, crit.labels[0], step.first, crit.labels[1], step.second,
             step.difference, "<=" if step.accepted else ">", t, step.lower, step.upper,
             step.next_n)


def fondue(train: Callable[[int, int], Any], n_init: int, *, criterion="trace",
           threshold: float | None = None, epochs: int = 2, max_n: int = 1024,
           seed: int = 0, warn: bool = True) -> FondueResult:
    r"""FONDUE: the largest n whose score gap stays below a threshold, by doubling then
    bisection over memoised short trainings (thesis Algorithms 1-2, 3-4, 5-6).

    .. math::
        n^\star = \max\{n : D(n) \le t\},\qquad
        D(n) = {\rm Tr}({\rm Var}[Z]) - {\rm Tr}({\rm Var}[M])
        \ \text{(or } H(z) - I(x,\hat x)\text{, or } {\rm IDE}_z - {\rm IDE}_\mu)

    Starting from :math:`l = 0,\ u = \infty,\ n = n_{\rm init}`, while :math:`n \ne l`:
    if :math:`D(n) \le t` then :math:`l \leftarrow n,\ n \leftarrow \min(2n, u)`, else
    :math:`u \leftarrow n,\ n \leftarrow \lfloor (l+u)/2 \rfloor`; each D(n) comes from a fresh
    model trained for ``epochs`` epochs, once per n (GET-MEM).  It returns the n with
    :math:`D(n) \le t < D(n+1)` (Thm 8.3.3), assuming D increases with n.

    Parameters
    ----------
    train : callable ``train(n_latents, epochs)``
        Trains a fresh model and returns :class:`TrainingOutput` of the same examples (10,000
        in the thesis, Section 8.3.2), or directly the pair of scores (first, second).
    n_init : int
        Starting n: the data's intrinsic dimension (:data:`DATA_IDE`: 4, 11, 22, Sec. 8.5.1) or any
        n >= 1 (a far start only costs trainings, Tables 8.4-8.6).
    criterion : {"trace", "ib", "ide"} or callable
        FONDUE (t = 1), FONDUE_IB (t = -0.01) or FONDUE_IDE (t = 1); a callable maps
        TrainingOutput to (first, second) and needs ``threshold``.
    threshold : float, optional
        t; default from the criterion.  With the traces, t < 1 keeps only active variables and
        t >= 1 allows non-passive ones (Thm 8.3.3).
    epochs : int
        Training epochs per model: the smallest giving a stable n (:func:`stable_epochs`;
        "generally just two", Section 8.3.2).
    max_n : int
        Doubling stops here (the thesis has none; it guarantees termination when D never
        exceeds t, and the result then says ``hit_max_n``).
    seed : int
        Seed of the sampled representation when ``train`` gives none, and of the IDE runs.
    warn : bool
        Warn when ``max_n`` is reached or when no n passes (both also visible in the result:
        ``hit_max_n``, ``n == 0``).

    Returns
    -------
    FondueResult
        ``n`` is 0 when even one latent exceeds the threshold.

    Examples
    --------
    A step stand-in (D(n) = 2 beyond n = 19, else 0) started from Symsol's IDE reproduces the
    eight trainings of Table 8.1:

    >>> res = fondue(lambda n, e: (2.0 * (n > 19), 0.0), n_init=4)
    >>> res.n, res.models_trained, [ev.n for ev in res.evaluations]
    (19, 8, [4, 8, 16, 32, 24, 20, 18, 19])

    References
    ----------
    [1] L. Bonheme, thesis 2023, Section 8.3.2, Algorithms 1-4, Section 8.8.2, Algorithms 5-6,
        Thm 8.3.3 and the termination proof (Section 8.3.2).
    """
    func = "fondue"
    crit, t = _criterion(criterion, threshold, func)
    n_init = n = check_int(n_init, name="n_init", func=func, minimum=1)
    epochs = check_int(epochs, name="epochs", func=func, minimum=1)
    max_n = check_int(max_n, name="max_n", func=func, minimum=n)
    seed = check_int(seed, name="seed", func=func, minimum=0)
    if not callable(train):
        raise TypeError(f"{func}: `train` must be callable as train(n_latents, epochs); got "
                        f"{type(train).__name__}.")
    log = logging.getLogger(__name__)
    memo = _Memo(train, crit, epochs, seed, func)
    algorithm = crit.algorithm
    start = time.perf_counter()
    lower, upper, steps = 0, float("inf"), []
    while n != lower:
        ev, trained = memo.get(n)
        accepted = ev.difference <= t
        current = n
        if accepted:
            lower = n
            n = int(min(2 * n, upper, max_n))
        else:
            upper = n
            n = (lower + n) // 2
        step = FondueStep(len(steps) + 1, current, ev.first, ev.second, ev.difference,
                          accepted, trained, lower, upper, n)
        steps.append(step)
        _log_step(log, algorithm, step, crit, t, ev)
    hit_max = lower == max_n and upper > max_n
    if hit_max and warn:
        warnings.warn(f"{func}: the difference stayed <= t={t:g} up to max_n={max_n}; the "
                      f"answer may be larger. Raise `max_n`.", stacklevel=2)
    if n == 0 and warn:
        warnings.warn(f"{func}: even n=1 gives a difference above t={t:g}, so no latent passes; "
                      f"check the training (epochs) or the threshold.", stacklevel=2)
    return FondueResult(n=n, algorithm=algorithm, criterion=crit.name, labels=crit.labels,
                        threshold=t, epochs=epochs, start=(n_init,),
                        steps=tuple(steps), evaluations=tuple(memo.evaluations.values()),
                        hit_max_n=hit_max, seconds=time.perf_counter() - start)


def binary_search(train: Callable[[int, int], Any], *, lower: int = SUPERVISED_RANGE[0],
                  upper: int = SUPERVISED_RANGE[1], criterion="trace",
                  threshold: float | None = None, epochs: int = 2,
                  seed: int = 0) -> FondueResult:
    r"""The supervised baselines of Appendix D.3: binary search over a user-given range
    (Algorithm 7, the IB algorithm with ``criterion="ib"``; Algorithm 8, BS_FONDUE with
    ``criterion="trace"``).

    .. math::
        \text{while } l < u:\ n = \lfloor (l+u)/2\rfloor;\quad
        D(n) \le t \Rightarrow l \leftarrow n + 1,\ \text{else } u \leftarrow n;
        \qquad \text{return } l - 1

    Every training lasts ``epochs`` epochs (the thesis fixes them to Table 8.1's values, so the
    IB algorithm never trains a model fully).

    Parameters
    ----------
    train, criterion, threshold, epochs, seed
        As in :func:`fondue`.
    lower, upper : int
        The range [l, u) searched (thesis: 1 and 200, Appendix D.3).  The answer is at most
        ``upper - 1`` and ``lower - 1`` when D(lower) > t.

    Returns
    -------
    FondueResult

    Examples
    --------
    >>> res = binary_search(lambda n, e: (2.0 * (n > 19), 0.0))
    >>> res.n, res.models_trained
    (19, 8)
    """
    func = "binary_search"
    crit, t = _criterion(criterion, threshold, func)
    lo = check_int(lower, name="lower", func=func, minimum=1)
    hi = check_int(upper, name="upper", func=func, minimum=lo + 1)
    epochs = check_int(epochs, name="epochs", func=func, minimum=1)
    seed = check_int(seed, name="seed", func=func, minimum=0)
    if not callable(train):
        raise TypeError(f"{func}: `train` must be callable as train(n_latents, epochs); got "
                        f"{type(train).__name__}.")
    algorithm = {"trace": "BS_FONDUE", "ib": "IB", "ide": "BS_IDE"}.get(crit.name, "custom")
    log = logging.getLogger(__name__)
    memo = _Memo(train, crit, epochs, seed, func)
    start = time.perf_counter()
    steps = []
    while lo < hi:
        n = (lo + hi) // 2
        ev, trained = memo.get(n)
        accepted = ev.difference <= t
        if accepted:
            lo = n + 1
        else:
            hi = n
        step = FondueStep(len(steps) + 1, n, ev.first, ev.second, ev.difference, accepted,
                          trained, lo, hi, (lo + hi) // 2)
        steps.append(step)
        _log_step(log, algorithm, step, crit, t, ev)
    return FondueResult(n=lo - 1, algorithm=algorithm, criterion=crit.name, labels=crit.labels,
                        threshold=t, epochs=epochs, start=(lower, upper), steps=tuple(steps),
                        evaluations=tuple(memo.evaluations.values()), hit_max_n=False,
                        seconds=time.perf_counter() - start)


@dataclass(frozen=True)
class EpochSearch:
    """Result of :func:`stable_epochs`.

    Attributes
    ----------
    epochs : int
        The smallest e whose n equals the n at e + 1 (footnote 3).
    n : int
        That n.
    results : tuple of FondueResult
        One search per e tried (e = 1, 2, ...).
    stable : bool
        False when ``max_epochs`` was reached without two equal answers.
    """
    epochs: int
    n: int
    results: tuple
    stable: bool


def stable_epochs(train: Callable[[int, int], Any], *, search: str = "fondue",
                  max_epochs: int = 8, warn: bool = True, **options) -> EpochSearch:
    r"""The minimum number of epochs for which the chosen n is stable (thesis footnote 3).

    .. math::
        e^\star = \min\{e \ge 1 : n(e) = n(e+1)\}

    "if we obtain the same score after 1 and 2 epochs, the number of epochs given in Table 8.1
    is 1" (footnote 3).  Each e runs a full search with its own memo (a model trained for e epochs
    is a different model).

    Parameters
    ----------
    train : callable ``train(n_latents, epochs)``
    search : {"fondue", "binary_search"}
    max_epochs : int
        Largest e tried.
    warn : bool
        Warn when n still changes at ``max_epochs`` (also ``stable=False`` in the result).
    **options
        Passed to the search (``n_init``, ``criterion``, ``threshold``, ``lower``, ...).

    Returns
    -------
    EpochSearch

    Examples
    --------
    A stand-in whose passive latents settle after two epochs:

    >>> def train(n, e):
    ...     return (2.0 * (n > (19 if e >= 2 else 25)), 0.0)
    >>> res = stable_epochs(train, n_init=4)
    >>> res.epochs, res.n, len(res.results)
    (2, 19, 3)
    """
    func = "stable_epochs"
    check_choice(search, ("fondue", "binary_search"), name="search", func=func)
    max_epochs = check_int(max_epochs, name="max_epochs", func=func, minimum=2)
    if "epochs" in options:
        raise TypeError(f"{func}: `epochs` is what this function searches; do not pass it.")
    run = fondue if search == "fondue" else binary_search
    results = [run(train, epochs=1, **options)]
    for e in range(2, max_epochs + 1):
        results.append(run(train, epochs=e, **options))
        if results[-1].n == results[-2].n:
            return EpochSearch(epochs=e - 1, n=results[-1].n, results=tuple(results),
                               stable=True)
    if warn:
        warnings.warn(f"{func}: n kept changing up to max_epochs={max_epochs} "
                      f"({[r.n for r in results]}); raise `max_epochs`.", stacklevel=2)
    return EpochSearch(epochs=max_epochs, n=results[-1].n, results=tuple(results), stable=False)
