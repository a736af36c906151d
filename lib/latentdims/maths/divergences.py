r"""Divergences and independence of the thesis' background (Chapter 2), computed rather than drawn.

* Divergences (Section 2.6): the KL divergence between Gaussians (Eq. 2.18) and fits of one
  Gaussian to a multimodal density by minimising the forward or the reverse KL divergence on a
  quadrature grid (Figure 2.2: the forward KL covers every mode, the reverse one picks a mode).
* Independence (Section 2.4, Figure 2.1): samples of the three linear-Gaussian graphs that
  illustrate statistical versus conditional independence (collider, chain, fork) and the partial
  correlation that tells them apart.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular
from scipy.optimize import minimize
from scipy.special import logsumexp

from latentdims.core.validation import check_array, check_choice, check_int, check_positive

__all__ = ["gaussian_kl", "cholesky_factor", "GaussianMixture", "quadrature_grid", "GaussianFit",
           "fit_gaussian_kl", "INDEPENDENCE_GRAPHS", "independence_samples", "partial_correlation"]


# ------------------------------------------------------------------------------ divergences
def gaussian_kl(mean0, cov0, mean1, cov1) -> float:
    r"""KL divergence between two multivariate Gaussians (thesis Eq. 2.18).

    .. math::
        D_{\rm KL}(\mathcal N_0\,\|\,\mathcal N_1) = \tfrac12\left(\mathrm{Tr}(\Sigma_1^{-1}\Sigma_0)
        + (\mu_1-\mu_0)^T\Sigma_1^{-1}(\mu_1-\mu_0) + \log\frac{\det\Sigma_1}{\det\Sigma_0} - d\right)

    where :math:`\mu_0, \mu_1` have shape (d,) and :math:`\Sigma_0, \Sigma_1` shape (d, d)
    (symmetric positive definite).  In nats.

    >>> round(gaussian_kl([0.0], [[1.0]], [1.0], [[1.0]]), 6)   # (mu1 - mu0)^2 / 2
    0.5
    """
    func = "gaussian_kl"
    m0 = check_array(mean0, name="mean0", func=func, ndim=1, min_rows=1)
    d = len(m0)
    m1 = check_array(mean1, name="mean1", func=func, shape=(d,))
    c0 = check_array(cov0, name="cov0", func=func, shape=(d, d))
    c1 = check_array(cov1, name="cov1", func=func, shape=(d, d))
    l0, l1 = cholesky_factor(c0, "cov0", func), cholesky_factor(c1, "cov1", func)
    inv1 = np.linalg.inv(c1)
    diff = m1 - m0
    logdet = 2 * (np.log(np.diag(l1)).sum() - np.log(np.diag(l0)).sum())
    return float(0.5 * (np.trace(inv1 @ c0) + diff @ inv1 @ diff + logdet - d))


def cholesky_factor(cov, name: str = "cov", func: str = "cholesky_factor") -> np.ndarray:
    """The lower Cholesky factor ``L`` of a covariance (``cov = L L^T``), shape (d, d).

    Raises a ``ValueError`` naming ``func`` and the argument ``name``, with the eigenvalues, if
    ``cov`` is not symmetric positive definite.

    >>> cholesky_factor([[4.0, 0.0], [0.0, 1.0]]).tolist()
    [[2.0, 0.0], [0.0, 1.0]]
    """
    cov = np.asarray(cov, dtype=float)
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError as exc:
        raise ValueError(f"{func}: `{name}` must be symmetric positive definite; got eigenvalues "
                         f"{np.round(np.linalg.eigvalsh((cov + cov.T) / 2), 6).tolist()}.") from exc


def _gaussian_log_pdf(points: np.ndarray, mean: np.ndarray, chol: np.ndarray) -> np.ndarray:
    """log N(points; mean, L L^T) for points (N, d), via the Cholesky factor L."""
    white = solve_triangular(chol, (points - mean).T, lower=True)          # (d, N)
    d = len(mean)
    return (-0.5 * np.sum(white**2, axis=0) - np.log(np.diag(chol)).sum()
            - 0.5 * d * np.log(2 * np.pi))


@dataclass(frozen=True)
class GaussianMixture:
    r"""A mixture of Gaussians :math:`p(x) = \sum_k w_k \mathcal N(x; \mu_k, \Sigma_k)`.

    Attributes
    ----------
    weights : (K,)
        Non-negative, summing to 1.
    means : (K, d)
    covs : (K, d, d)
    """
    weights: np.ndarray
    means: np.ndarray
    covs: np.ndarray

    def __post_init__(self):
        func = "GaussianMixture"
        w = check_array(self.weights, name="weights", func=func, ndim=1, min_rows=1)
        m = check_array(self.means, name="means", func=func, shape=(len(w), None))
        c = check_array(self.covs, name="covs", func=func, shape=(len(w), m.shape[1], m.shape[1]))
        if np.any(w < 0) or not np.isclose(w.sum(), 1.0):
            raise ValueError(f"{func}: `weights` must be >= 0 and sum to 1; got {w.tolist()}.")
        for k in range(len(w)):
            cholesky_factor(c[k], f"covs[{k}]", func)
        for name, value in (("weights", w), ("means", m), ("covs", c)):
            object.__setattr__(self, name, value)

    def log_pdf(self, points) -> np.ndarray:
        """``log p`` at ``points`` (N, d), shape (N,)."""
        x = check_array(points, name="points", func="GaussianMixture.log_pdf",
                        shape=(None, self.means.shape[1]))
        parts = [np.log(w) + _gaussian_log_pdf(x, m, np.linalg.cholesky(c))
                 for w, m, c in zip(self.weights, self.means, self.covs) if w > 0]
        return logsumexp(np.stack(parts), axis=0)

    @property
    def mean(self) -> np.ndarray:
        """The mixture's mean, (d,)."""
        return self.weights @ self.means

    @property
    def covariance(self) -> np.ndarray:
        """The mixture's covariance, (d, d): within-component plus between-component parts."""
        centred = self.means - self.mean
        return (np.einsum("k,kij->ij", self.weights, self.covs)
                + np.einsum("k,ki,kj->ij", self.weights, centred, centred))


def quadrature_grid(low, high, n_per_axis: int) -> tuple[np.ndarray, float]:
    """Cell centres of a regular grid over the box ``[low, high]`` and the cell volume.

    Returns
    -------
    points : (n_per_axis**d, d)
    cell_volume : float

    >>> pts, vol = quadrature_grid([0.0], [1.0], 4)
    >>> pts[:, 0].tolist(), vol
    ([0.125, 0.375, 0.625, 0.875], 0.25)
    """
    func = "quadrature_grid"
    lo = check_array(low, name="low", func=func, ndim=1, min_rows=1)
    hi = check_array(high, name="high", func=func, shape=(len(lo),))
    n = check_int(n_per_axis, name="n_per_axis", func=func, minimum=2)
    if np.any(hi <= lo):
        raise ValueError(f"{func}: every `high` must exceed `low`; got low={lo.tolist()}, "
                         f"high={hi.tolist()}.")
    step = (hi - lo) / n
    axes = [lo[i] + step[i] * (np.arange(n) + 0.5) for i in range(len(lo))]
    points = np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")], axis=1)
    return points, float(np.prod(step))


@dataclass(frozen=True)
class GaussianFit:
    """Result of :func:`fit_gaussian_kl`.

    Attributes
    ----------
    mean : (d,)
    cov : (d, d)
    kl : float
        The minimised divergence (nats), by quadrature.
    direction : str
        ``"forward"`` for KL(P || Q), ``"reverse"`` for KL(Q || P).
    converged : bool
    n_iter : int
    """
    mean: np.ndarray
    cov: np.ndarray
    kl: float
    direction: str
    converged: bool
    n_iter: int


def _unpack(theta: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and Cholesky factor (positive diagonal through an exp) from a flat vector."""
    mean = theta[:d]
    chol = np.zeros((d, d))
    chol[np.tril_indices(d)] = theta[d:]
    chol[np.diag_indices(d)] = np.exp(np.diag(chol))
    return mean, chol


def fit_gaussian_kl(log_p, points, cell_volume: float, *, direction: str = "forward",
                    init_mean=None, init_cov=None, max_iter: int = 500,
                    warn: bool = True) -> GaussianFit:
    r"""Fit one Gaussian Q to a density P by minimising a KL divergence on a quadrature grid.

    .. math::
        \text{forward: } D_{\rm KL}(P\|Q) = \int p \log\frac{p}{q}\,dx, \qquad
        \text{reverse: } D_{\rm KL}(Q\|P) = \int q \log\frac{q}{p}\,dx

    (thesis Eqs 2.4 and 2.13), both approximated by :math:`\sum_j f(x_j)\,\Delta V` over the grid.
    The forward fit is "zero-avoiding": its optimum matches the moments of P, so it spreads over
    every mode; the reverse fit is "mode-seeking": it settles on one mode, which one depending on
    where it starts (thesis Sec. 2.6, Figure 2.2).

    Parameters
    ----------
    log_p : array, shape (N,)
        :math:`\log p` at the grid points (finite; use a log-sum-exp for mixtures).
    points : array, shape (N, d)
        Grid cell centres (see :func:`quadrature_grid`).
    cell_volume : float
        Volume of a cell.
    direction : {"forward", "reverse"}
    init_mean, init_cov : arrays (d,), (d, d), optional
        Starting point (default: the origin and the identity).
    max_iter : int
        L-BFGS iterations.
    warn : bool
        Warn if the optimiser does not converge (the flag is in the result either way).

    Choosing parameters
    -------------------
    The grid must cover the mass of P and of every Q visited with cells much smaller than the
    narrowest scale (a few hundred cells per axis in 1-D, ~200 per axis in 2-D for modes of
    width ~0.5 in a box of size ~10).  For the reverse fit, start inside the mode you want.

    Returns
    -------
    GaussianFit

    Examples
    --------
    A Gaussian fitted to a Gaussian recovers it (KL 0) in either direction:

    >>> pts, vol = quadrature_grid([-8.0], [8.0], 800)
    >>> p = GaussianMixture([1.0], [[1.0]], [[[0.25]]])
    >>> fit = fit_gaussian_kl(p.log_pdf(pts), pts, vol, direction="reverse")
    >>> np.round([fit.mean[0], fit.cov[0, 0], fit.kl], 4).tolist()
    [1.0, 0.25, 0.0]

    References
    ----------
    [1] C. Bishop, *Pattern Recognition and Machine Learning*, 2006, Section 10.1.2 and Fig. 10.3.
    [2] L. Bonheme, thesis, Section 2.6 (Eqs 2.4, 2.13) and Figure 2.2.
    """
    func = "fit_gaussian_kl"
    x = check_array(points, name="points", func=func, ndim=2, min_rows=2)
    n, d = x.shape
    lp = check_array(log_p, name="log_p", func=func, shape=(n,))
    vol = check_positive(cell_volume, name="cell_volume", func=func)
    check_choice(direction, ("forward", "reverse"), name="direction", func=func)
    max_iter = check_int(max_iter, name="max_iter", func=func, minimum=1)
    mean0 = np.zeros(d) if init_mean is None else check_array(init_mean, name="init_mean",
                                                              func=func, shape=(d,))
    cov0 = np.eye(d) if init_cov is None else check_array(init_cov, name="init_cov", func=func,
                                                          shape=(d, d))
    l0 = cholesky_factor(cov0, "init_cov", func)
    theta0 = np.concatenate([mean0, np.where(np.eye(d, dtype=bool), np.log(np.abs(l0) + 1e-300),
                                             l0)[np.tril_indices(d)]])
    p = np.exp(lp)
    mass = p.sum() * vol
    if not 0.95 < mass < 1.05:
        raise ValueError(f"{func}: P integrates to {mass:.4f} on the grid; widen the grid or "
                         f"refine it so that it holds P's mass (expected ~1).")

    def objective(theta):
        mean, chol = _unpack(theta, d)
        lq = _gaussian_log_pdf(x, mean, chol)
        if direction == "forward":
            return float(np.sum(p * (lp - lq)) * vol)
        q = np.exp(lq)
        return float(np.sum(q * (lq - lp)) * vol)

    res = minimize(objective, theta0, method="L-BFGS-B", options={"maxiter": max_iter})
    mean, chol = _unpack(res.x, d)
    if not res.success and warn:
        warnings.warn(f"{func}: the {direction} fit did not converge after {res.nit} iterations "
                      f"({res.message}); increase `max_iter` or start closer (`init_mean`).",
                      RuntimeWarning, stacklevel=2)
    return GaussianFit(mean=mean, cov=chol @ chol.T, kl=float(res.fun), direction=direction,
                       converged=bool(res.success), n_iter=int(res.nit))


# ----------------------------------------------------------------------------- independence
INDEPENDENCE_GRAPHS = ("collider", "chain", "fork")


def independence_samples(graph: str, n: int, *, seed: int = 0) -> dict[str, np.ndarray]:
    r"""Samples (X, Y, Z) of a linear-Gaussian graph illustrating (conditional) independence.

    .. math::
        \text{collider } X \to Z \leftarrow Y:\ Z = X + Y + \epsilon_Z;\quad
        \text{chain } X \to Z \to Y:\ Z = X + \epsilon_Z,\ Y = Z + \epsilon_Y;\quad
        \text{fork } X \leftarrow Z \to Y:\ X = Z + \epsilon_X,\ Y = Z + \epsilon_Y

    with every root and noise term N(0, 1).  In the collider :math:`X \perp\!\!\!\perp Y` but
    :math:`X \not\perp\!\!\!\perp Y \mid Z`; in the chain and the fork the reverse (thesis
    Figure 2.1; the graphs are the standard ones satisfying its caption, the thesis does not draw
    them in its text).

    Returns
    -------
    dict with keys ``"x"``, ``"y"``, ``"z"``, each of shape (n,)
    """
    func = "independence_samples"
    check_choice(graph, INDEPENDENCE_GRAPHS, name="graph", func=func)
    n = check_int(n, name="n", func=func, minimum=3)
    e = np.random.default_rng(seed).standard_normal((3, n))
    if graph == "collider":
        x, y = e[0], e[1]
        z = x + y + e[2]
    elif graph == "chain":
        x = e[0]
        z = x + e[2]
        y = z + e[1]
    else:
        z = e[2]
        x, y = z + e[0], z + e[1]
    return {"x": x, "y": y, "z": z}


def partial_correlation(x, y, z) -> float:
    r"""Correlation of ``x`` and ``y`` after removing their linear dependence on ``z``.

    .. math::
        \rho_{XY\cdot Z} = \frac{\rho_{XY} - \rho_{XZ}\rho_{YZ}}
        {\sqrt{(1-\rho_{XZ}^2)(1-\rho_{YZ}^2)}}

    For jointly Gaussian variables it is zero exactly when :math:`X \perp\!\!\!\perp Y \mid Z`.

    Two variables that share only ``z`` (the fork of :func:`independence_samples`):

    >>> z = np.array([1.0, 1, -1, -1])
    >>> x, y = z + np.array([1.0, -1, 1, -1]), z + np.array([1.0, -1, -1, 1])
    >>> round(float(np.corrcoef(x, y)[0, 1]), 6), abs(round(partial_correlation(x, y, z), 6))
    (0.5, 0.0)
    """
    func = "partial_correlation"
    x = check_array(x, name="x", func=func, ndim=1, min_rows=3)
    y = check_array(y, name="y", func=func, shape=(len(x),))
    z = check_array(z, name="z", func=func, shape=(len(x),))
    c = np.corrcoef(np.stack([x, y, z]))
    if not np.all(np.isfinite(c)):
        raise ValueError(f"{func}: `x`, `y` and `z` must each vary (a constant has no correlation).")
    rxy, rxz, ryz = c[0, 1], c[0, 2], c[1, 2]
    if max(abs(rxz), abs(ryz)) > 1 - 1e-12:
        raise ValueError(f"{func}: `x` or `y` is a linear function of `z` (correlation "
                         f"{rxz:.6f}, {ryz:.6f}); nothing is left to correlate once z is removed.")
    return float((rxy - rxz * ryz) / np.sqrt((1 - rxz**2) * (1 - ryz**2)))
