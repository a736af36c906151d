r"""Active, mixed and passive latent variables of a VAE (thesis Sect. 6.4.1).

In the polarised regime each latent variable of a VAE with a standard Gaussian prior is, for a
given input, either *active* (posterior variance :math:`\sigma_j \ll 1`, the mean carries
information) or *passive* (:math:`\sigma_j \approx 1`, :math:`\mu_j \approx 0`: it follows the
prior) (thesis Def. 4.1.1).  Over many inputs a variable can be active for some and
passive for others: it is then *mixed* (Def. 6.3.1).  The thesis detects the three
types from the **variance representation** :math:`S` (rows = inputs, columns = latents; the
thesis' :math:`\sigma` is a variance, not a standard deviation), and uses the same indices for the
mean and sampled representations (Sect. 6.4.1).

This rule assumes a standard-normal prior: it does not apply to the iVAE of Chapter 5, whose
passive variables follow a learned prior variance close to 0 (thesis Sect. 5.3).

:func:`polarised_trace_gap` is what the types predict for the gap between the traces of the
sampled and mean representations' covariances (thesis Sec. 8.3.1, Props 8.3.1-8.3.3).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentdims.core.validation import check_array, check_choice, check_in_interval

__all__ = ["VARIABLE_TYPES", "RULES", "VariableTypes", "classify_variables", "variable_types",
           "count_variable_types", "type_indices", "type_combinations", "polarised_trace_gap"]

VARIABLE_TYPES = ("active", "mixed", "passive")
RULES = ("thesis", "code")


@dataclass(frozen=True)
class VariableTypes:
    """The classification of each latent variable and the statistics it was based on.

    Attributes
    ----------
    types : ndarray of str, shape (d,)
        ``"active"``, ``"mixed"`` or ``"passive"`` per latent variable.
    mean : ndarray, shape (d,)
        :math:`\\bar S_j`, the mean over inputs of the posterior variance of latent j.
    variance : ndarray, shape (d,)
        :math:`\\mathrm{Var}(S_j)`, its population variance over inputs (ddof = 0).
    alpha : float
    rule : str
    """

    types: np.ndarray
    mean: np.ndarray
    variance: np.ndarray
    alpha: float
    rule: str

    @property
    def active(self) -> np.ndarray:
        """Indices of the active variables (int64)."""
        return type_indices(self.types, "active")

    @property
    def mixed(self) -> np.ndarray:
        return type_indices(self.types, "mixed")

    @property
    def passive(self) -> np.ndarray:
        return type_indices(self.types, "passive")

    @property
    def counts(self) -> dict[str, int]:
        return count_variable_types(self.types)


def classify_variables(variances, alpha: float = 0.1, *, rule: str = "thesis") -> VariableTypes:
    r"""Classify latent variables as active, mixed or passive from their posterior variances.

    With :math:`\bar S_j = \frac1n \sum_i \sigma^{(i)}_j` and
    :math:`\mathrm{Var}(S_j) = \frac1n \sum_i (\sigma^{(i)}_j - \bar S_j)^2`, the rule of
    Sect. 6.4.1 (``rule="thesis"``, bounds inclusive) is

    .. math::
        \text{passive:}\; |\bar S_j - 1| \le \alpha \;\wedge\; \mathrm{Var}(S_j) \le \alpha,
        \qquad
        \text{active:}\; |\bar S_j| \le \alpha \;\wedge\; \mathrm{Var}(S_j) \le \alpha,

    and *mixed* otherwise.  ``rule="code"`` is the original code's variant (tc_study
    ``variables_filter.py`` in the author's public code): the variance bound is strict,
    :math:`\mathrm{Var}(S_j) < \alpha`, and the active mean has no lower bound
    (:math:`\bar S_j \le \alpha`, the same thing for variances).  The two rules differ only for a
    variance exactly equal to :math:`\alpha`.

    Parameters
    ----------
    variances : array, shape (n_examples, n_latents)
        Posterior variances :math:`\sigma^{(i)}_j \ge 0` of one model on many inputs (the thesis
        and its code use 10,000).  Networks usually output log-variances: pass ``np.exp(logvar)``.
    alpha : float in [0, 0.5)
        Tolerance; "in all our experiments, α is set to 0.1" (thesis Sect. 6.4.1).  At 0.5 or
        more the passive and active bands would overlap.
    rule : {'thesis', 'code'}

    Returns
    -------
    VariableTypes

    Choosing parameters
    -------------------
    Keep ``alpha = 0.1`` to compare with the thesis.  Use enough inputs for
    :math:`\mathrm{Var}(S_j)` to be stable (thousands); the classification of mixed variables
    depends on how many inputs put them in each regime.

    Examples
    --------
    Columns that are always 1, always 0, and half 0 / half 1:

    >>> s = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 1.0]] * 50)
    >>> classify_variables(s).types.tolist()
    ['passive', 'active', 'mixed']

    References
    ----------
    [1] Bonheme 2023, thesis Sect. 6.4.1, Prop. 6.3.2 (Sect. 6.3.1).
    """
    func = "classify_variables"
    s = check_array(variances, name="variances", func=func, ndim=2, min_rows=2)
    if s.shape[1] == 0:
        raise ValueError(f"{func}: `variances` has no latent variable (shape {s.shape}).")
    if s.min() < 0:
        row, col = np.argwhere(s < 0)[0]
        raise ValueError(f"{func}: `variances` must be non-negative; got {s[row, col]:g} at "
                         f"example {row}, latent {col}. If these are log-variances, pass "
                         f"np.exp(logvar).")
    alpha = check_in_interval(alpha, name="alpha", func=func, low=0.0, high=0.5,
                              hint="Beyond it the passive (mean near 1) and active (mean near 0) "
                                   "bands overlap; the thesis uses 0.1.")
    check_choice(rule, RULES, name="rule", func=func)
    with np.errstate(over="ignore"):   # huge variances overflow to inf, rightly "mixed"
        mean = s.mean(axis=0)
        var = s.var(axis=0)
    if rule == "thesis":
        low_var = var <= alpha
        passive = low_var & (np.abs(mean - 1) <= alpha)
        active = low_var & (np.abs(mean) <= alpha)
    else:
        low_var = var < alpha
        passive = low_var & (mean >= 1 - alpha) & (mean <= 1 + alpha)
        active = low_var & (mean <= alpha)
    types = np.where(passive, "passive", np.where(active, "active", "mixed"))
    return VariableTypes(types=types, mean=mean, variance=var, alpha=alpha, rule=rule)


def variable_types(variances, alpha: float = 0.1, *, rule: str = "thesis") -> np.ndarray:
    """Per latent variable, ``"active"``, ``"mixed"`` or ``"passive"`` (thesis Sect. 6.4.1).

    The types of :func:`classify_variables` (see there for the thresholds: passive
    :math:`|\\bar S_j - 1| \\le \\alpha`, active :math:`|\\bar S_j| \\le \\alpha`, both with
    :math:`\\mathrm{Var}(S_j) \\le \\alpha`; ``rule="code"`` uses a strict variance bound).

    Parameters
    ----------
    variances : array, shape (n_examples, n_latents)
        Posterior variances (not log-variances, not standard deviations).
    alpha : float, default 0.1 (thesis Sect. 6.4.1)
    rule : {'thesis', 'code'}

    Returns
    -------
    ndarray of str, shape (n_latents,)

    Examples
    --------
    >>> variable_types(np.array([[1.02, 0.01], [0.98, 0.03]])).tolist()
    ['passive', 'active']
    """
    return classify_variables(variances, alpha, rule=rule).types


def _check_types(types, func: str) -> np.ndarray:
    """``types`` as a 1-D array of str; bytes (a TensorFlow string tensor's NumPy form) are
    decoded."""
    if types is None:
        raise TypeError(f"{func}: `types` is missing (got None); pass the types from "
                        f"variable_types().")
    if isinstance(types, (str, bytes)):
        raise TypeError(f"{func}: `types` must be a sequence of variable types, not a single "
                        f"string ({types!r}); wrap it in a list.")
    t = np.asarray(types)
    if t.dtype.kind in "SO":
        t = np.array([v.decode() if isinstance(v, bytes) else v for v in t.ravel()],
                     dtype=object).reshape(t.shape)
    if t.ndim != 1:
        raise ValueError(f"{func}: `types` must be a 1-D array of variable types; got shape "
                         f"{t.shape}.")
    unknown = sorted(set(t.tolist()) - set(VARIABLE_TYPES))
    if unknown:
        raise ValueError(f"{func}: unknown variable type(s) {unknown}; expected "
                         f"{', '.join(map(repr, VARIABLE_TYPES))}.")
    return t


def count_variable_types(types) -> dict[str, int]:
    """Number of active, mixed and passive variables (the bars of thesis Fig 6.5).

    >>> count_variable_types(["active", "passive", "passive"])
    {'active': 1, 'mixed': 0, 'passive': 2}
    """
    t = _check_types(types, "count_variable_types")
    return {kind: int(np.sum(t == kind)) for kind in VARIABLE_TYPES}


def type_indices(types, *kinds: str) -> np.ndarray:
    """Sorted indices of the variables whose type is one of ``kinds`` (int64).

    >>> type_indices(["mixed", "active", "passive", "active"], "active", "passive").tolist()
    [1, 2, 3]
    """
    func = "type_indices"
    t = _check_types(types, func)
    if not kinds:
        raise ValueError(f"{func}: name at least one type among "
                         f"{', '.join(map(repr, VARIABLE_TYPES))}.")
    for kind in kinds:
        check_choice(kind, VARIABLE_TYPES, name="kinds", func=func)
    return np.flatnonzero(np.isin(t, kinds)).astype(np.int64)


def type_combinations(types) -> dict[str, np.ndarray]:
    """Index sets of the variable-type combinations compared in thesis Fig 6.4.

    Keys, in the figure's order: ``full``, ``active``, ``mixed``, ``passive``,
    ``active+mixed``, ``active+passive``, ``mixed+passive``.  A combination is left out when one
    of its types has no variable (it would repeat a smaller one, and an empty set cannot be
    scored; the thesis code skips empty sets too); ``full`` is always there.

    >>> sorted(type_combinations(["active", "passive"]))
    ['active', 'active+passive', 'full', 'passive']
    """
    t = _check_types(types, "type_combinations")
    combos = {"full": (), "active": ("active",), "mixed": ("mixed",),
              "passive": ("passive",), "active+mixed": ("active", "mixed"),
              "active+passive": ("active", "passive"), "mixed+passive": ("mixed", "passive")}
    present = set(t.tolist())
    out = {"full": np.arange(len(t), dtype=np.int64)}
    for key, kinds in combos.items():
        if kinds and present.issuperset(kinds):
            out[key] = np.flatnonzero(np.isin(t, kinds)).astype(np.int64)
    return out


def polarised_trace_gap(variance, *, alpha: float = 0.1) -> float:
    r"""The trace gap Props 8.3.1-8.3.3 predict from the types of the latents (thesis Sec.
    8.3.1): 0 for an active latent, 1 for a passive one, :math:`1 - w_i` for a mixed one,

    .. math:: {\rm Tr}({\rm Var}[Z]) - {\rm Tr}({\rm Var}[M]) = \#{\rm passive}
              + \sum_{i\,{\rm mixed}} (1 - w_i),

    with the types of :func:`classify_variables` (``alpha``) and
    :math:`w_i` the share of examples on which the mixed latent i is active (its posterior
    variance nearer 0 than 1, i.e. below 1/2).  The equality is the thesis' limit
    :math:`\gamma \to 0`, where every posterior variance is exactly 0 or 1; the measured gap
    departs from it by what the not yet polarised variances add (the law of total variance,
    :func:`latentdims.maths.fondue.expected_trace_gap`, holds for any model).

    >>> S = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 1.0]] * 50)   # passive, active, mixed w = 1/2
    >>> polarised_trace_gap(S)
    1.5
    """
    types = classify_variables(variance, alpha)
    S = np.asarray(variance, dtype=np.float64)
    w = (S < 0.5).mean(axis=0)
    mixed = types.types == "mixed"
    return float(np.sum(types.types == "passive") + np.sum(1.0 - w[mixed]))
