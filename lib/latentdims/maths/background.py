r"""Background results of the thesis that can be computed rather than drawn (Chapters 2 and 4).

* Divergences (Section 2.6): the KL divergence between Gaussians (Eq. 2.18) and fits of one
  Gaussian to a multimodal density by minimising the forward or the reverse KL divergence on a
  quadrature grid (Figure 2.2: the forward KL covers every mode, the reverse one picks a mode).
* Independence (Section 2.4, Figure 2.1): samples of the three linear-Gaussian graphs that
  illustrate statistical versus conditional independence (collider, chain, fork) and the partial
  correlation that tells them apart.
* The linear VAE (Section 4.2): the ELBO of Eq. 4.5 for any posterior, its optimal posterior
  (Eqs 4.6 and 4.8, diagonal Eq. 4.11, beta-weighted Eqs 4.23-4.24), the PPCA objective it
  reduces to (Eq. 4.10) and the PPCA maximiser (Tipping and Bishop 1999, Eq. 7).

Notation of the thesis: ``x`` in R^m, ``z`` in R^n, decoder ``N(W z + b, gamma I_m)``, posterior
``N(mu, Sigma)`` with Sigma a *covariance* (the thesis' sigma is a variance).  With the jet papers'
loss ``|x - rho(z)|^2 / 2 beta^2 + KL`` the decoder variance is ``gamma = beta^2``; the thesis'
own beta (Eq. 4.22) multiplies gamma, so only the product ``beta_thesis * gamma`` matters.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentdims.core.validation import check_array, check_choice, check_int, check_positive

__all__ = ["gaussian_kl", "GaussianMixture", "quadrature_grid", "GaussianFit", "fit_gaussian_kl",
           "INDEPENDENCE_GRAPHS", "independence_samples", "partial_correlation",
           "LinearVAEPosterior", "linear_vae_posterior", "linear_vae_elbo", "ppca_objective",
           "ppca_decoder", "RotationScan", "rotated_elbos"]


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
    l0, l1 = _cholesky(c0, "cov0", func), _cholesky(c1, "cov1", func)
    inv1 = np.linalg.inv(c1)
    diff = m1 - m0
    logdet = 2 * (np.log(np.diag(l1)).sum() - np.log(np.diag(l0)).sum())
    return float(0.5 * (np.trace(inv1 @ c0) + diff @ inv1 @ diff + logdet - d))


def _cholesky(cov: np.ndarray, name: str, func: str) -> np.ndarray:
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError as exc:
        raise ValueError(f"{func}: `{name}` must be symmetric positive definite; got eigenvalues "
                         f"{np.round(np.linalg.eigvalsh((cov + cov.T) / 2), 6).tolist()}.") from exc


def _gaussian_log_pdf(points: np.ndarray, mean: np.ndarray, chol: np.ndarray) -> np.ndarray:
    """log N(points; mean, L L^T) for points (N, d), via the Cholesky factor L."""
    from scipy.linalg import solve_triangular

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
            _cholesky(c[k], f"covs[{k}]", func)
        for name, value in (("weights", w), ("means", m), ("covs", c)):
            object.__setattr__(self, name, value)

    def log_pdf(self, points) -> np.ndarray:
        """``log p`` at ``points`` (N, d), shape (N,)."""
        from scipy.special import logsumexp

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
    where it starts (thesis L586-588, Figure 2.2).

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
    import warnings

    from scipy.optimize import minimize

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
    l0 = _cholesky(cov0, "init_cov", func)
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


# ----------------------------------------------------------------------------- linear VAE
@dataclass(frozen=True)
class LinearVAEPosterior:
    """The optimal posterior of a linear VAE for a batch of inputs.

    Attributes
    ----------
    mean : (N, n)
        :math:`\\mu^*(x)` for every input.
    cov : (n, n)
        :math:`\\Sigma^*` (the same for every input).
    """
    mean: np.ndarray
    cov: np.ndarray


def _linear_vae_args(func, x, W, b, gamma):
    W = check_array(W, name="W", func=func, ndim=2)
    m, n = W.shape
    x = check_array(x, name="x", func=func, ndim=(1, 2))
    x = x[None, :] if x.ndim == 1 else x
    if x.shape[1] != m:
        raise ValueError(f"{func}: `x` must have {m} columns (the rows of W); got shape {x.shape}.")
    b = check_array(b, name="b", func=func, shape=(m,))
    gamma = check_positive(gamma, name="gamma", func=func)
    return x, W, b, gamma, m, n


def linear_vae_posterior(x, W, b, gamma: float, *, diagonal: bool = False,
                         beta: float = 1.0) -> LinearVAEPosterior:
    r"""The posterior that maximises the linear-VAE ELBO for a fixed decoder (thesis Sec. 4.2).

    .. math::
        \Sigma^* = \left(\tfrac{1}{\beta\gamma}W^TW + I_n\right)^{-1},\qquad
        \mu^* = (\beta\gamma I_n + W^TW)^{-1}W^T(x-b) = W^T(\beta\gamma I_m + WW^T)^{-1}(x-b)

    (Eqs 4.6 and 4.8 with :math:`\beta = 1`; Eqs 4.23-4.24 with :math:`\beta`), and with a
    diagonal posterior (Eq. 4.11) :math:`\Sigma^* = (\tfrac{1}{\beta\gamma}\mathrm{diag}[\mathrm{diag}
    [W^TW]] + I_n)^{-1}`; the mean's optimum does not depend on :math:`\Sigma`, so it is the same.

    Parameters
    ----------
    x : array, shape (N, m) or (m,)
    W : array, shape (m, n)
        Decoder matrix.
    b : array, shape (m,)
        Decoder bias.
    gamma : float
        Decoder variance (``beta_jets^2`` for the jet papers' loss).
    diagonal : bool
        Restrict :math:`\Sigma` to be diagonal (the "standard" VAE, Section 4.2.2).
    beta : float
        The thesis' KL weight (Eq. 4.22); it only enters through :math:`\beta\gamma`.

    Examples
    --------
    The worked example of thesis L835-837, :math:`\Lambda^2 = \mathrm{diag}[4, 1]`:

    >>> W = np.diag([2.0, 1.0])
    >>> np.round(np.diag(linear_vae_posterior(np.zeros(2), W, np.zeros(2), 0.1).cov), 4).tolist()
    [0.0244, 0.0909]
    >>> np.round(np.diag(linear_vae_posterior(np.zeros(2), W, np.zeros(2), 100.0).cov), 4).tolist()
    [0.9615, 0.9901]
    """
    func = "linear_vae_posterior"
    x, W, b, gamma, m, n = _linear_vae_args(func, x, W, b, gamma)
    bg = check_positive(beta, name="beta", func=func) * gamma
    wtw = W.T @ W
    precision = (np.diag(np.diag(wtw)) if diagonal else wtw) / bg + np.eye(n)
    cov = np.linalg.inv(precision)
    mean = np.linalg.solve(bg * np.eye(n) + wtw, W.T @ (x - b).T).T      # (N, n)
    return LinearVAEPosterior(mean=mean, cov=cov)


def linear_vae_elbo(x, W, b, gamma: float, mean, cov) -> np.ndarray:
    r"""The linear-VAE ELBO of thesis Eq. 4.5 (factor 1/2 and constants dropped), per input.

    .. math::
        \mathcal L = -\left(m\log\gamma + \tfrac1\gamma\lVert x - W\mu - b\rVert^2
        + \tfrac1\gamma\mathrm{Tr}(\Sigma W^TW) + \mathrm{Tr}\,\Sigma + \lVert\mu\rVert^2
        - \log\det\Sigma\right)

    Parameters
    ----------
    x : array, shape (N, m)
    W, b, gamma : decoder (see :func:`linear_vae_posterior`)
    mean : array, shape (N, n)
        Posterior means.
    cov : array, shape (n, n)
        Posterior covariance (positive definite).

    Returns
    -------
    elbo : ndarray, shape (N,)
        At the optimal posterior it equals Eq. 4.10 minus ``n``.
    """
    func = "linear_vae_elbo"
    x, W, b, gamma, m, n = _linear_vae_args(func, x, W, b, gamma)
    mean = check_array(mean, name="mean", func=func, shape=(len(x), n))
    cov = check_array(cov, name="cov", func=func, shape=(n, n))
    chol = _cholesky(cov, "cov", func)
    resid = x - mean @ W.T - b
    return -(m * np.log(gamma) + np.sum(resid**2, axis=1) / gamma
             + np.trace(cov @ W.T @ W) / gamma + np.trace(cov) + np.sum(mean**2, axis=1)
             - 2 * np.log(np.diag(chol)).sum())


def ppca_objective(x, W, b, gamma: float) -> np.ndarray:
    r"""The PPCA objective the linear VAE reduces to (thesis Eq. 4.10), per input.

    .. math::
        \mathcal L = -\log\det(WW^T + \gamma I_m) - (x-b)^T(WW^T + \gamma I_m)^{-1}(x-b)

    Invariant to :math:`W \to WR` for any orthogonal R (thesis L796).

    Returns
    -------
    ndarray, shape (N,)
    """
    func = "ppca_objective"
    x, W, b, gamma, m, n = _linear_vae_args(func, x, W, b, gamma)
    c = W @ W.T + gamma * np.eye(m)
    sign, logdet = np.linalg.slogdet(c)
    centred = x - b
    return -logdet - np.einsum("ij,ij->i", centred, np.linalg.solve(c, centred.T).T)


def ppca_decoder(covariance, gamma: float, latent_dim: int) -> np.ndarray:
    r"""The decoder matrix that maximises the expected PPCA objective (Eq. 4.10) on data of
    covariance ``covariance``.

    .. math::
        W = U_n\,\mathrm{diag}\left[\sqrt{\max(\lambda_i - \gamma, 0)}\right]

    with :math:`\lambda_1 \ge \dots` the eigenvalues of the covariance and :math:`U_n` their top
    ``n`` eigenvectors (up to a rotation of the latent space, Eq. 4.10's invariance; a diagonal
    posterior fixes it up to signed permutations, Eqs 4.12-4.14).  This maximiser is Tipping and
    Bishop (1999, Eq. 7); the thesis cites it (L796) without writing it out.

    Returns
    -------
    W : ndarray, shape (m, n)

    >>> ppca_decoder(np.diag([4.0, 1.0]), 0.5, 1).round(6).tolist()   # sqrt(4 - 0.5)
    [[1.870829], [0.0]]
    """
    func = "ppca_decoder"
    c = check_array(covariance, name="covariance", func=func, ndim=2)
    if c.shape[0] != c.shape[1] or not np.allclose(c, c.T):
        raise ValueError(f"{func}: `covariance` must be a symmetric square matrix; got shape "
                         f"{c.shape}.")
    gamma = check_positive(gamma, name="gamma", func=func)
    n = check_int(latent_dim, name="latent_dim", func=func, minimum=1)
    eig, vec = np.linalg.eigh(c)
    top = np.argsort(-eig)[:n]
    w = vec[:, top] * np.sqrt(np.clip(eig[top] - gamma, 0.0, None))
    if n > len(eig):
        w = np.concatenate([w, np.zeros((len(eig), n - len(eig)))], axis=1)
    # a deterministic sign: the largest entry of every column is positive
    signs = np.sign(w[np.argmax(np.abs(w), axis=0), np.arange(w.shape[1])])
    return w * np.where(signs == 0, 1.0, signs)


@dataclass(frozen=True)
class RotationScan:
    """Expected ELBOs of a linear VAE whose decoder is rotated in one latent plane.

    Attributes
    ----------
    angles : (A,)
        Rotation angles (radians).
    full : (A,)
        With a full-covariance posterior: Eq. 4.10 minus n, averaged over the data (constant).
    diagonal : (A,)
        With a diagonal posterior (Eq. 4.11 in Eq. 4.5), averaged over the data (largest where
        ``W^T W`` is diagonal, Eq. 4.13).
    """
    angles: np.ndarray
    full: np.ndarray
    diagonal: np.ndarray


def rotated_elbos(x, W, b, gamma: float, angles, *, plane=(0, 1)) -> RotationScan:
    r"""The ELBO of a linear VAE under rotations of its latent space (thesis L796 and L826).

    .. math::
        W_\theta = W R_\theta,\qquad R_\theta = \text{rotation by } \theta
        \text{ in the latent plane } (i, j)

    The full-covariance ELBO (Eq. 4.10 - n) is the same for every :math:`\theta` (rotational
    non-identifiability); the diagonal-covariance ELBO is lower for every rotation that makes
    :math:`W_\theta^T W_\theta` non-diagonal (Hadamard's inequality, Eq. 4.13), which is why a
    "standard" VAE picks axis-aligned (polarised) latents.

    Parameters
    ----------
    x : array, shape (N, m)
    W : array, shape (m, n)
    b : array, shape (m,)
    gamma : float
    angles : array, shape (A,)
    plane : (int, int)
        The two latent axes rotated into each other.
    """
    func = "rotated_elbos"
    x, W, b, gamma, m, n = _linear_vae_args(func, x, W, b, gamma)
    angles = check_array(angles, name="angles", func=func, ndim=1, min_rows=1)
    i, j = (check_int(v, name="plane", func=func, minimum=0) for v in plane)
    if i == j or max(i, j) >= n:
        raise ValueError(f"{func}: `plane` must name two different latents below {n}; got {plane!r}.")
    full, diag = [], []
    for t in angles:
        rot = np.eye(n)
        rot[[i, i, j, j], [i, j, i, j]] = np.cos(t), -np.sin(t), np.sin(t), np.cos(t)
        wr = W @ rot
        post = linear_vae_posterior(x, wr, b, gamma, diagonal=True)
        diag.append(linear_vae_elbo(x, wr, b, gamma, post.mean, post.cov).mean())
        full.append(ppca_objective(x, wr, b, gamma).mean() - n)
    return RotationScan(angles=angles, full=np.asarray(full), diagonal=np.asarray(diag))
