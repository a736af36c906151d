"""Representational similarity of thesis chapter 7: linear CKA and orthogonal Procrustes
similarity, layer-by-layer comparisons of Keras models averaged over seed pairs (Eq 7.9), and the
synthetic-matrix experiment of Fig 7.1.

Every measure takes activation matrices of shape (n_examples, n_features) whose rows are the
*same* examples, and returns a number in [0, 1].  Computations are in float64: the sums of
squares of 10^4 x 10^3 activations lose digits in float32.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from latentdims.core.validation import check_array, check_choice, check_int, check_same_length

__all__ = ["linear_cka", "procrustes_similarity", "similarity_matrix", "SimilarityMatrix",
           "average_similarity", "layer_activations", "SyntheticSimilarity",
           "synthetic_similarity_curves"]

_CONSTANT = ("raise", "nan")
# A centred matrix whose Frobenius norm is below this fraction of the raw matrix's norm is
# constant up to the rounding of the column means.
_CONSTANT_RTOL = 1e-12


def _activation(X, name: str, func: str, min_rows: int = 2) -> np.ndarray:
    """``X`` as a private float64 (n, p) array: any array-like (list, DataFrame, tensor) is
    copied once, so that it can be centred in place without touching the caller's data."""
    X = check_array(X, name=name, func=func, min_rows=min_rows, writable=True)
    if X.ndim != 2:
        raise ValueError(f"{func}: `{name}` must be a 2-D array (n_examples, n_features); got "
                         f"shape {X.shape}. Flatten activations with "
                         f"`{name}.reshape(len({name}), -1)`.")
    if X.shape[1] == 0:
        raise ValueError(f"{func}: `{name}` has no features (shape {X.shape}); drop this layer.")
    return X


def _centre(X: np.ndarray, name: str, func: str, constant: str) -> np.ndarray | None:
    """``X`` column-centred in place (``X`` is :func:`_activation`'s private copy), or ``None``
    if ``X`` is constant and ``constant="nan"``.

    ``X`` is first scaled by a power of two to a largest magnitude in [0.5, 1): exact, and
    both measures are invariant to isotropic scaling, but sums of squares of activations of
    1e200 (or 1e-200) would overflow (underflow) and make the matrix look constant."""
    peak = max(float(X.max()), -float(X.min()))
    if peak > 0:
        X *= 2.0 ** -np.frexp(peak)[1]
    scale = np.linalg.norm(X)
    Xc = np.subtract(X, X.mean(axis=0), out=X)
    if np.linalg.norm(Xc) <= _CONSTANT_RTOL * scale:
        if constant == "raise":
            raise ValueError(f"{func}: `{name}` is constant over the examples (every row "
                             f"identical), so the similarity is undefined (0/0). Drop this "
                             f"layer, or pass constant='nan' to get NaN.")
        return None
    return Xc


@dataclass(frozen=True)
class _CKAFactor:
    """What one centred activation matrix contributes to linear CKA.

    ``features`` (n, p) is kept when p <= n; otherwise the centred Gram matrix ``gram`` (n, n).
    Either gives tr(K L) against another factor; ``self_hsic`` is tr(K K) = ||X^T X||_F^2,
    ``row_sq`` the diagonal of K and ``trace`` tr K (both used by the debiased estimator).
    """
    features: np.ndarray | None
    gram: np.ndarray | None
    self_hsic: float
    row_sq: np.ndarray
    trace: float


def _cka_factor(Xc: np.ndarray, form: str) -> _CKAFactor:
    row_sq = np.einsum("ij,ij->i", Xc, Xc)
    if form == "features":
        gx = Xc.T @ Xc                                     # (p, p)
        return _CKAFactor(Xc, None, float(np.sum(gx * gx)), row_sq, float(row_sq.sum()))
    K = Xc @ Xc.T                                          # (n, n)
    return _CKAFactor(None, K, float(np.sum(K * K)), row_sq, float(row_sq.sum()))


def _cross_hsic(a: _CKAFactor, b: _CKAFactor) -> float:
    """tr(K_a K_b) = ||X_a^T X_b||_F^2 with whichever forms the two factors hold."""
    if a.features is not None and b.features is not None:
        c = a.features.T @ b.features                     # (p_a, p_b)
        return float(np.sum(c * c))
    if a.gram is not None and b.gram is not None:
        return float(np.sum(a.gram * b.gram))
    feat, gram = (a.features, b.gram) if a.features is not None else (b.features, a.gram)
    return float(np.sum(feat * (gram @ feat)))             # tr(X^T L X)


def _debias(tr_kl: float, a: _CKAFactor, b: _CKAFactor, n: int) -> float:
    # Unbiased HSIC (Song et al. 2012) times n(n-3), for centred X and Y so that K 1 = 0:
    # tr(K~L~) + (1'K~1)(1'L~1)/((n-1)(n-2)) - 2/(n-2) 1'K~L~1, with K~ = K - diag(K),
    # where 1'K~1 = -tr K and 1'K~L~1 = diag(K).diag(L); the factor n(n-3) cancels in CKA.
    kl_diag = float(a.row_sq @ b.row_sq)
    return (tr_kl - kl_diag - 2.0 / (n - 2) * kl_diag
            + a.trace * b.trace / ((n - 1) * (n - 2)))


def _cka_value(a: _CKAFactor, b: _CKAFactor, n: int, debiased: bool) -> float:
    cross = _cross_hsic(a, b)
    xx, yy = a.self_hsic, b.self_hsic
    if debiased:
        cross, xx, yy = _debias(cross, a, b, n), _debias(xx, a, a, n), _debias(yy, b, b, n)
        if xx <= 0 or yy <= 0:
            return np.nan
    return cross / np.sqrt(xx * yy)


def linear_cka(X, Y, *, debiased: bool = False, method: str = "auto",
               constant: str = "raise") -> float:
    r"""Linear centred kernel alignment (the RV coefficient) of two activation matrices.

    .. math::
        {\rm CKA}(X, Y) = \frac{\|X_c^\top Y_c\|_F^2}{\|X_c^\top X_c\|_F\,\|Y_c^\top Y_c\|_F}
        = \frac{\langle K, L\rangle_F}{\|K\|_F\,\|L\|_F},\qquad K = X_cX_c^\top,\ L = Y_cY_c^\top

    where

    * ``X``, shape (n, p1), and ``Y``, shape (n, p2): activations of the same n examples (rows);
    * :math:`X_c, Y_c`: the column-centred matrices; :math:`K, L`: their (n, n) Gram matrices.

    The feature-space form costs :math:`O(n(p_1p_2 + p_1^2 + p_2^2))`, the Gram form
    :math:`O(n^2(p_1 + p_2))`; ``method="auto"`` picks the cheaper for the shapes given.

    With ``debiased=True`` each HSIC term is replaced by its unbiased estimator (Song et al.
    2012; Szekely & Rizzo's bias-corrected distance covariance), which removes the upward bias
    of CKA between independent matrices when p is not small compared with n (see Fig 7.1).
    The thesis and the author's public code use the plain (biased) form.

    Parameters
    ----------
    X, Y : array, shapes (n, p1), (n, p2)
    debiased : bool
        Unbiased HSIC estimator (needs n >= 4; may return slightly negative values).
    method : {"auto", "features", "gram"}
    constant : {"raise", "nan"}
        What to do when a matrix is constant over the examples (CKA = 0/0): raise
        ``ValueError`` or return NaN (for heat maps with dead layers).

    Choosing parameters
    -------------------
    CKA between independent random matrices is about :math:`p/n` for p features (Fig 7.1(c)):
    use n well above the widths compared, or ``debiased=True``.

    Returns
    -------
    float
        In [0, 1] (biased form).  Invariant to orthogonal transforms, isotropic scaling and
        translations of either matrix; for single columns it is the squared Pearson
        correlation (thesis Sec. 2.5).

    Examples
    --------
    Two single-column matrices with Pearson correlation 0.8:

    >>> x = np.array([[1.], [2.], [3.], [4.]])
    >>> y = np.array([[1.], [3.], [2.], [4.]])
    >>> round(linear_cka(x, y), 12)
    0.64

    References
    ----------
    [1] S. Kornblith, M. Norouzi, H. Lee, G. Hinton, "Similarity of neural network
        representations revisited", ICML 2019.
    [2] L. Song et al., "Feature selection via dependence maximization", JMLR 2012 (unbiased HSIC).
    [3] L. Bonheme, thesis 2023, Eq 2.2 (Section 2.5) and Section 7.2.1.
    """
    func = "linear_cka"
    check_choice(method, ("auto", "features", "gram"), name="method", func=func)
    check_choice(constant, _CONSTANT, name="constant", func=func)
    X = _activation(X, "X", func)
    Y = _activation(Y, "Y", func)
    n = check_same_length(func=func, X=X, Y=Y)
    if debiased and n < 4:
        raise ValueError(f"{func}: the debiased estimator needs at least 4 examples; got {n}.")
    p1, p2 = X.shape[1], Y.shape[1]
    Xc = _centre(X, "X", func, constant)
    Yc = _centre(Y, "Y", func, constant)
    if Xc is None or Yc is None:
        return float("nan")
    if method == "auto":
        method = "features" if p1 * p2 + p1**2 + p2**2 <= n * (p1 + p2) else "gram"
    value = _cka_value(_cka_factor(Xc, method), _cka_factor(Yc, method), n, debiased)
    if np.isnan(value) and constant == "raise":
        raise ValueError(f"{func}: a debiased self-similarity is not positive (too few examples "
                         f"for the signal); use more examples or debiased=False.")
    return float(value)


def _procrustes_factor(Xc: np.ndarray) -> np.ndarray:
    """Centred, unit-Frobenius-norm matrix with at most n columns (an orthogonal rotation of
    the features when p > n: X = R^T Q^T from the QR of X^T, and X Q = R^T)."""
    Xn = Xc / np.linalg.norm(Xc)
    if Xn.shape[1] > Xn.shape[0]:
        # Procrustes similarity is invariant to X -> X Q with Q orthogonal, and the QR keeps
        # the singular values exactly (no squaring as a Gram-matrix route would).
        Xn = np.linalg.qr(Xn.T, mode="r").T                 # (n, n)
    return Xn


def _nuclear(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.svd(b.T @ a, compute_uv=False).sum())


def procrustes_similarity(X, Y, *, constant: str = "raise") -> float:
    r"""Orthogonal Procrustes similarity of two activation matrices (thesis Eq 7.8).

    .. math::
        P_s(X, Y) = 1 - \tfrac12\left(\|\dot X\|_F^2 + \|\dot Y\|_F^2
                    - 2\,\|\dot Y^\top\dot X\|_*\right) = \|\dot Y^\top \dot X\|_*,
        \qquad \dot X = \frac{X - \mathbf 1_n\bar x}{\|X - \mathbf 1_n\bar x\|_F}

    where

    * ``X``, shape (n, p1), and ``Y``, shape (n, p2): activations of the same n examples;
    * :math:`\bar x`: the column means; :math:`\|\cdot\|_*`: the nuclear norm (sum of singular
      values); the bracket is the Procrustes distance :math:`\min_Q \|\dot X - \dot Y Q\|_F^2`
      over orthogonal Q (Eqs 7.2-7.6), normalised as in Ding, Denain & Steinhardt 2021 (Eq 7.7).

    Matrices wider than n are first rotated onto their row space (a QR factorisation), which
    leaves the similarity unchanged and bounds the SVD at (n, n).

    Parameters
    ----------
    X, Y : array, shapes (n, p1), (n, p2)
    constant : {"raise", "nan"}
        Policy for a matrix constant over the examples (see :func:`linear_cka`).

    Choosing parameters
    -------------------
    Procrustes overestimates the similarity of unrelated matrices more than CKA when n is
    small (thesis Sec. 7.2.2, Fig 7.1(c)); where the two disagree the thesis keeps the smaller.

    Returns
    -------
    float
        In [0, 1]; 1 iff ``Y`` is a rotated, scaled, translated copy of ``X``.

    Examples
    --------
    For single columns it is the absolute Pearson correlation:

    >>> x = np.array([[1.], [2.], [3.], [4.]])
    >>> y = np.array([[1.], [3.], [2.], [4.]])
    >>> round(procrustes_similarity(x, y), 12)
    0.8

    References
    ----------
    [1] F. Ding, J.-S. Denain, J. Steinhardt, "Grounding representation similarity with
        statistical testing", NeurIPS 2021.
    [2] L. Bonheme, thesis 2023, Section 7.2.1, Eqs 7.2-7.8.
    """
    func = "procrustes_similarity"
    check_choice(constant, _CONSTANT, name="constant", func=func)
    X = _activation(X, "X", func)
    Y = _activation(Y, "Y", func)
    check_same_length(func=func, X=X, Y=Y)
    Xc = _centre(X, "X", func, constant)
    Yc = _centre(Y, "Y", func, constant)
    if Xc is None or Yc is None:
        return float("nan")
    # By Cauchy-Schwarz the nuclear norm of a product of unit-norm matrices is <= 1; the clip
    # only removes rounding above 1.
    return min(_nuclear(_procrustes_factor(Xc), _procrustes_factor(Yc)), 1.0)


def _layer_factors(acts: Mapping[str, Any], names: Sequence[str], metric: str, n: int | None,
                   func: str, side: str) -> tuple[list, list[str], int]:
    """One factor per layer (None for a constant layer), the constant layers' names and the
    number of examples (``n``, or the first layer's when ``n`` is None)."""
    factors, dead = [], []
    for name in names:
        X = _activation(acts[name], f"{side}[{name!r}]", func)
        n = len(X) if n is None else n
        if len(X) != n:
            raise ValueError(f"{func}: every activation must hold the same examples; "
                             f"`{side}[{name!r}]` has {len(X)} rows, the first layer {n}.")
        Xc = _centre(X, f"{side}[{name!r}]", func, "nan")
        if Xc is None:
            factors.append(None)
            dead.append(name)
        elif metric == "cka":
            factors.append(_cka_factor(Xc, "features" if X.shape[1] <= n else "gram"))
        else:
            factors.append(_procrustes_factor(Xc))
    return factors, dead, n


def similarity_matrix(acts_a: Mapping[str, Any], acts_b: Mapping[str, Any], *,
                      metric: str = "cka", layers_a: Sequence[str] | None = None,
                      layers_b: Sequence[str] | None = None, debiased: bool = False,
                      constant: str = "nan") -> np.ndarray:
    r"""Similarity of every layer of one model with every layer of another, shape (La, Lb).

    .. math::
        S_{jk} = {\rm sim}(M^A_j, M^B_k)

    with ``sim`` = :func:`linear_cka` or :func:`procrustes_similarity`, and :math:`M^A_j` the
    flattened activations (n, p_j) of layer j of model A on n shared examples.  Each layer is
    centred (and, for CKA, reduced to its features when p <= n, else to its Gram matrix) once,
    so the cost is dominated by the La + Lb preparations, not the La x Lb products.

    Parameters
    ----------
    acts_a, acts_b : mapping name -> array (n, p)
        Activations, e.g. from :func:`layer_activations`, on the same examples.
    metric : {"cka", "procrustes"}
    layers_a, layers_b : sequence of str, optional
        Layers and order (default: every key, in order).
    debiased : bool
        Debiased CKA (ignored for Procrustes).
    constant : {"nan", "raise"}
        Layers constant over the examples (dead ReLUs of a collapsed model) give NaN rows or
        columns with a warning naming them (default), or an error.

    Returns
    -------
    ndarray, shape (La, Lb)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = {"x": rng.normal(size=(50, 3)), "y": rng.normal(size=(50, 4))}
    >>> np.round(np.diag(similarity_matrix(a, a)), 12).tolist()
    [1.0, 1.0]
    """
    func = "similarity_matrix"
    check_choice(metric, ("cka", "procrustes"), name="metric", func=func)
    check_choice(constant, _CONSTANT, name="constant", func=func)
    for acts, side in ((acts_a, "acts_a"), (acts_b, "acts_b")):
        if not isinstance(acts, Mapping):
            raise TypeError(f"{func}: `{side}` must be a mapping layer name -> activations (n, p), "
                            f"e.g. from layer_activations(); got {type(acts).__name__}. Wrap "
                            f"a single matrix as {{'name': matrix}}.")
    names_a = list(acts_a) if layers_a is None else list(layers_a)
    names_b = list(acts_b) if layers_b is None else list(layers_b)
    if not names_a or not names_b:
        raise ValueError(f"{func}: no layers to compare (got {len(names_a)} and "
                         f"{len(names_b)}).")
    for acts, names, side in ((acts_a, names_a, "acts_a"), (acts_b, names_b, "acts_b")):
        missing = [name for name in names if name not in acts]
        if missing:
            raise ValueError(f"{func}: layer(s) {missing} not among the activations of {side} "
                             f"({list(acts)}).")
    fa, dead_a, n = _layer_factors(acts_a, names_a, metric, None, func, "acts_a")
    fb, dead_b, _ = _layer_factors(acts_b, names_b, metric, n, func, "acts_b")
    dead = [f"acts_a[{d!r}]" for d in dead_a] + [f"acts_b[{d!r}]" for d in dead_b]
    if dead:
        msg = (f"{func}: {', '.join(dead)} constant over the examples; their similarities are "
               f"undefined")
        if constant == "raise":
            raise ValueError(msg + ". Drop these layers or pass constant='nan'.")
        warnings.warn(msg + " and set to NaN.", stacklevel=2)
    if debiased and metric == "cka" and n < 4:
        raise ValueError(f"{func}: the debiased estimator needs at least 4 examples; got {n}.")
    out = np.full((len(fa), len(fb)), np.nan)
    for j, a in enumerate(fa):
        for k, b in enumerate(fb):
            if a is None or b is None:
                continue
            out[j, k] = (_cka_value(a, b, n, debiased) if metric == "cka"
                         else min(_nuclear(a, b), 1.0))
    return out


@dataclass(frozen=True)
class SimilarityMatrix:
    """Layer-by-layer similarities averaged over seed pairs (:func:`average_similarity`).

    Attributes
    ----------
    mean, std : ndarray, shape (La, Lb)
        Mean (thesis Eq 7.9) and standard deviation (ddof=0) over the pairs.
    layers_a, layers_b : tuple of str
    n_pairs : int
    metric : str
    """
    mean: np.ndarray
    std: np.ndarray
    layers_a: tuple
    layers_b: tuple
    n_pairs: int
    metric: str


def average_similarity(runs_a: Sequence[Mapping[str, Any]], runs_b: Sequence[Mapping[str, Any]],
                       *, metric: str = "cka", layers_a: Sequence[str] | None = None,
                       layers_b: Sequence[str] | None = None, debiased: bool = False,
                       constant: str = "nan") -> SimilarityMatrix:
    r"""Layer-by-layer similarity of two model configurations, averaged over all seed pairs.

    .. math::
        {\rm CKA}_{\rm avg}(M^A_j, M^B_k) = \frac{1}{|A||B|}\sum_{i=1}^{|A|}\sum_{l=1}^{|B|}
        {\rm CKA}(M^{A_i}_j, M^{B_l}_k)

    (thesis Eq 7.9, Sec. 7.4: 5 x 5 seeds), where :math:`A_i` is the i-th seed of configuration A
    (A and B may be the same configuration at two epochs; every pair, same seed included, is
    used as the equation says).

    Parameters
    ----------
    runs_a, runs_b : sequence of mapping name -> array (n, p)
        One activation dictionary per seed, all on the same n examples.
    metric, layers_a, layers_b, debiased, constant
        As in :func:`similarity_matrix`.

    Returns
    -------
    SimilarityMatrix

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> runs = [{"h": rng.normal(size=(40, 3))} for _ in range(2)]
    >>> res = average_similarity(runs, runs)
    >>> res.n_pairs, res.mean.shape
    (4, (1, 1))
    """
    func = "average_similarity"
    runs_a, runs_b = list(runs_a), list(runs_b)
    if not runs_a or not runs_b:
        raise ValueError(f"{func}: give at least one run on each side; got {len(runs_a)} and "
                         f"{len(runs_b)}.")
    names_a = list(runs_a[0]) if layers_a is None else list(layers_a)
    names_b = list(runs_b[0]) if layers_b is None else list(layers_b)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mats = np.stack([similarity_matrix(a, b, metric=metric, layers_a=names_a,
                                           layers_b=names_b, debiased=debiased,
                                           constant=constant)
                         for a in runs_a for b in runs_b])
    for msg in sorted({str(w.message) for w in caught}):
        warnings.warn(msg, stacklevel=2)
    return SimilarityMatrix(mean=mats.mean(axis=0), std=mats.std(axis=0),
                            layers_a=tuple(names_a), layers_b=tuple(names_b),
                            n_pairs=len(mats), metric=metric)


# ---------------------------------------------------------------------------------------------
# Collecting activations from Keras models


def _flatten(x) -> np.ndarray:
    x = np.asarray(x)
    return x.reshape(len(x), -1)


def _is_graph(model) -> bool:
    """A functional Keras model or a built Sequential (a graph we can walk)."""
    try:
        return bool(getattr(model, "inputs", None)) and hasattr(model, "layers")
    except (AttributeError, ValueError):  # subclassed models raise on `.inputs`
        return False


def _record(acts: dict, name: str, outputs: list) -> None:
    if len(outputs) == 1:
        acts[name] = _flatten(outputs[0])
    else:
        acts.update({f"{name}/{i}": _flatten(v) for i, v in enumerate(outputs)})


def _run_graph(model, inputs: list, prefix: str, expand: bool) -> tuple[dict, list]:
    """Evaluate a Keras graph operation by operation on concrete inputs, recording every
    operation's outputs; returns (activations, the model's outputs).

    Running the graph ourselves, rather than a multi-output ``keras.Model`` per nesting level,
    makes every layer see the values recorded for its inputs: a decoder nested after a
    sampling layer decodes the very z that is reported as the sampled activation.
    """
    import keras

    acts: dict[str, np.ndarray] = {}
    if isinstance(model, keras.Sequential):
        h = inputs[0]
        for layer in model.layers:
            if expand and _is_graph(layer):
                sub, outs = _run_graph(layer, keras.tree.flatten(h), f"{prefix}{layer.name}/",
                                       expand)
                acts.update(sub)
                h = outs[0] if len(outs) == 1 else outs
            else:
                h = layer(h)
                _record(acts, prefix + layer.name, keras.tree.flatten(h))
        return acts, keras.tree.flatten(h)
    values = {id(t): v for t, v in zip(model.inputs, inputs)}
    for op in model.operations:
        if isinstance(op, keras.layers.InputLayer):
            continue
        # the call of `op` inside this graph (a layer may also have been called elsewhere);
        # Keras' own Functional evaluation walks the same Node records
        node = next(nd for nd in op._inbound_nodes
                    if all(id(t) in values for t in nd.input_tensors))
        args, kwargs = node.arguments.fill_in(values)
        if expand and _is_graph(op):
            sub, outs = _run_graph(op, keras.tree.flatten(args), f"{prefix}{op.name}/", expand)
            acts.update(sub)
        else:
            outs = keras.tree.flatten(op(*args, **kwargs))
            _record(acts, prefix + op.name, outs)
        values.update({id(t): v for t, v in zip(node.outputs, outs)})
    return acts, [values[id(t)] for t in model.outputs]


def _batched(fn: Callable[[np.ndarray], Mapping[str, Any]], inputs: np.ndarray,
             batch_size: int) -> dict[str, np.ndarray]:
    parts: dict[str, list] = {}
    for start in range(0, len(inputs), batch_size):
        for name, value in fn(inputs[start:start + batch_size]).items():
            parts.setdefault(name, []).append(_flatten(value))
    return {name: np.concatenate(v) for name, v in parts.items()}


def layer_activations(model, inputs, *, batch_size: int = 256, include_input: bool = True,
                      expand_nested: bool = True,
                      layers: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Activations of every layer of a model on a batch of inputs, flattened to (n, p).

    Four kinds of ``model`` are accepted:

    * a functional Keras 3 model (``keras.Model(inputs, outputs)`` or a built ``Sequential``):
      every layer's output, in the model's order, with nested functional sub-models (an
      encoder and a decoder inside a VAE) expanded as ``"encoder/<layer>"`` when
      ``expand_nested``; a layer with several outputs gives ``"<layer>/0"``, ``"<layer>/1"``...;
    * an object with a method ``layer_activations(x, batch_size=...) -> Mapping[str, array]``
      that batches by itself (the project's VAEs, :meth:`latentdims.models.vaes.ThesisVAE.
      layer_activations`); its outputs are flattened;
    * an object with a method ``activations(x) -> Mapping[str, tensor]`` (for subclassed
      models, e.g. a VAE whose sampling layer draws fresh noise): it is called batch by batch;
    * a sequence of layers or callables applied one after another (``"<name>"`` from each
      layer's ``name``, else ``"layer_<i>"``).

    The input itself is included as ``"input"`` when ``include_input``.  Flattening is
    ``x.reshape(n, -1)`` (the thesis does not say; the author's public code does the
    same).

    Parameters
    ----------
    model : keras.Model, object with ``layer_activations`` or ``activations``, or sequence of
        callables
    inputs : array, shape (n, ...)
    batch_size : int
    include_input, expand_nested : bool
    layers : sequence of str, optional
        Keep only these names, in this order (e.g. to drop Reshape layers, as the thesis' heat
        maps do).

    Returns
    -------
    dict name -> ndarray, shape (n, p_name)
    """
    func = "layer_activations"
    batch_size = check_int(batch_size, name="batch_size", func=func, minimum=1)
    x = np.asarray(inputs)
    if x.ndim < 1 or len(x) == 0:
        raise ValueError(f"{func}: `inputs` must hold at least one example; got shape {x.shape}.")
    if _is_graph(model):
        import keras

        n_in = len(model.inputs)
        if n_in != 1:
            raise ValueError(f"{func}: models with {n_in} inputs are not supported; give an "
                             f"`activations(x)` method instead.")

        def run(batch):
            acts, _ = _run_graph(model, [keras.ops.convert_to_tensor(batch)], "", expand_nested)
            return {k: keras.ops.convert_to_numpy(v) for k, v in acts.items()}

        acts = _batched(run, x, batch_size)
        if include_input:
            acts = {"input": _flatten(x), **acts}
    elif callable(getattr(model, "layer_activations", None)):
        # the project's VAEs (latentdims.models) collect their own layers, batch by batch
        acts = {k: _flatten(v) for k, v in
                model.layer_activations(x, batch_size=batch_size).items()}
        if include_input:
            acts = {"input": acts.pop("input", _flatten(x)), **acts}
        else:
            acts.pop("input", None)
    elif callable(getattr(model, "activations", None)):
        acts = _batched(lambda b: model.activations(b), x, batch_size)
        if include_input:
            acts = {"input": _flatten(x), **acts}
    elif isinstance(model, Sequence) and model and all(callable(s) for s in model):
        def chain(b):
            out, h = {}, b
            for i, stage in enumerate(model):
                h = stage(h)
                out[getattr(stage, "name", None) or f"layer_{i}"] = np.asarray(h)
            return out
        acts = _batched(chain, x, batch_size)
        if include_input:
            acts = {"input": _flatten(x), **acts}
    else:
        raise TypeError(f"{func}: `model` must be a functional Keras model, an object with a "
                        f"`layer_activations(x, batch_size=...)` or `activations(x)` method "
                        f"returning a mapping, or a sequence of callables; got "
                        f"{type(model).__name__}.")
    if layers is None:
        return acts
    missing = [name for name in layers if name not in acts]
    if missing:
        raise ValueError(f"{func}: unknown layer(s) {missing}; the model gives "
                         f"{list(acts)}.")
    return {name: acts[name] for name in layers}


# ---------------------------------------------------------------------------------------------
# Fig 7.1: synthetic matrices sharing a fraction of their features


@dataclass(frozen=True)
class SyntheticSimilarity:
    """Curves of :func:`synthetic_similarity_curves`.

    Attributes
    ----------
    ns : ndarray, shape (N,)
        Numbers of examples.
    shared : tuple of float, length S
        Fractions of A's features kept by each compared matrix (B, C, D).
    cka, procrustes : ndarray, shape (R, S, N)
        Scores per repeat, compared matrix and n.
    """
    ns: np.ndarray
    shared: tuple
    cka: np.ndarray
    procrustes: np.ndarray


def synthetic_similarity_curves(ns=tuple(range(50, 1000, 40)), *, n_features: int = 50,
                                shared=(0.8, 0.5, 0.0), n_repeats: int = 1,
                                seed: int = 0) -> SyntheticSimilarity:
    r"""CKA and Procrustes similarity of a random matrix A with matrices that keep a fraction
    of its features, against the number of examples n (thesis Sec. 7.2.2, Fig 7.1).

    .. math::
        A_{ij} \sim U[0, 1),\qquad B = [A_{:, 1..s}\ |\ U_{:, s+1..p}],\quad s = {\rm round}(fp)

    for each fraction f in ``shared`` (B keeps 80%, C 50%, D 0% of A's p = 50 features) with
    the remaining columns drawn afresh.  Expected at large n: both scores near f for B and C,
    while for D CKA falls like p/n and Procrustes stays well above it (the overestimation of
    Fig 7.1(c)).  The thesis gives neither the distribution nor the n grid; U[0, 1) and
    n = 50, 90, ..., 970 follow the author's public code.

    Parameters
    ----------
    ns : sequence of int
        Numbers of examples (each >= 2).
    n_features : int
        Features p of every matrix.
    shared : sequence of float in [0, 1]
    n_repeats : int
        Independent draws (for a spread).
    seed : int

    Returns
    -------
    SyntheticSimilarity

    Examples
    --------
    >>> res = synthetic_similarity_curves([900], shared=(0.8, 0.0))
    >>> bool(abs(res.cka[0, 0, 0] - 0.8) < 0.05), bool(res.procrustes[0, 1, 0] > res.cka[0, 1, 0])
    (True, True)
    """
    func = "synthetic_similarity_curves"
    ns = np.array([check_int(n, name="ns", func=func, minimum=2) for n in ns], dtype=int)
    if len(ns) == 0:
        raise ValueError(f"{func}: `ns` is empty; give at least one number of examples.")
    p = check_int(n_features, name="n_features", func=func, minimum=1)
    shared = tuple(float(f) for f in shared)
    if not shared or any(not 0 <= f <= 1 for f in shared):
        raise ValueError(f"{func}: `shared` must be fractions in [0, 1]; got {shared!r}.")
    reps = check_int(n_repeats, name="n_repeats", func=func, minimum=1)
    rng = np.random.default_rng(seed)
    cka = np.empty((reps, len(shared), len(ns)))
    proc = np.empty_like(cka)
    for r in range(reps):
        for j, n in enumerate(ns):
            A = rng.random((n, p))
            for s, f in enumerate(shared):
                keep = int(round(f * p))
                M = np.concatenate([A[:, :keep], rng.random((n, p - keep))], axis=1)
                cka[r, s, j] = linear_cka(A, M)
                proc[r, s, j] = procrustes_similarity(A, M)
    return SyntheticSimilarity(ns=ns, shared=shared, cka=cka, procrustes=proc)
