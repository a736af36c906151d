r"""The linear VAE in closed form: the jet papers' toy (ICLR appendix A.3) and the thesis' Section 4.2.

* The jet papers' optimum (ICLR appendix A.3, Eqs 4-9; NeurIPS appendix A.2): per principal
  direction of standard deviation ``sigma``, ``D = beta^2`` and ``R = -log(beta / sigma)`` for
  ``beta < sigma``, and the uninformative optimum (``D = sigma^2``, ``R = 0``) above
  (:func:`linear_vae_optimum`); the best linear reconstruction for comparison
  (:func:`pca_distortion`).
* The thesis (Section 4.2): the ELBO of Eq. 4.5 for any posterior, its optimal posterior
  (Eqs 4.6 and 4.8, diagonal Eq. 4.11, beta-weighted Eqs 4.23-4.24), the PPCA objective it
  reduces to (Eq. 4.10), the PPCA maximiser (Tipping and Bishop 1999, Eq. 7) and the ELBO under
  rotations of the latent space (:func:`rotated_elbos`).
* :func:`linear_vae_parameters`: the matrices of a trained linear
  :class:`~latentdims.models.dense_vae.DenseVAE` in the thesis' notation.

Notation of the thesis: ``x`` in R^m, ``z`` in R^n, decoder ``N(W z + b, gamma I_m)``, posterior
``N(mu, Sigma)`` with Sigma a *covariance* (the thesis' sigma is a variance).  With the jet papers'
loss ``|x - rho(z)|^2 / 2 beta^2 + KL`` the decoder variance is ``gamma = beta^2``; the thesis'
own beta (Eq. 4.22) multiplies gamma, so only the product ``beta_thesis * gamma`` matters.

Note on the ICLR text: A.3 says the data have "variance sigma-bar" but every formula uses
sigma-bar as the standard deviation (e.g. ``sigma(x) = beta / sigma-bar``); we follow the formulas.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentdims.core.validation import check_array, check_int, check_positive
from latentdims.maths.divergences import cholesky_factor

__all__ = ["LinearVAEOptimum", "linear_vae_optimum", "pca_distortion", "LinearVAEPosterior",
           "linear_vae_posterior", "linear_vae_elbo", "ppca_objective", "ppca_decoder",
           "RotationScan", "rotated_elbos", "LinearVAEParameters", "linear_vae_parameters"]


# ------------------------------------------------------------------ the jet papers' toy (A.3)
@dataclass(frozen=True)
class LinearVAEOptimum:
    """The optimum of the linear VAE at each ``beta`` (arrays over betas, and directions).

    Attributes
    ----------
    rate, distortion : (K,)
        ``R = sum_i max(0, -log(beta / sigma_i))`` nats and ``D = sum_i min(beta, sigma_i)^2``.
    rate_per_direction : (K, d)
    encoder_slope, decoder_slope, posterior_std : (K, d)
        ``mu(x) = a x``, ``rho(z) = b z`` and ``sigma(x)`` of ICLR Eq. 6 (Eq. 5 above sigma_i).
    """
    rate: np.ndarray
    distortion: np.ndarray
    rate_per_direction: np.ndarray
    encoder_slope: np.ndarray
    decoder_slope: np.ndarray
    posterior_std: np.ndarray


def linear_vae_optimum(sigmas, betas, *, latent_dim: int | None = None) -> LinearVAEOptimum:
    r"""Closed-form optimum of the linear VAE on centred Gaussian data (ICLR appendix A.3).

    For one direction of standard deviation :math:`\bar\sigma` and :math:`\beta < \bar\sigma`
    (Eqs 6-8):

    .. math::
        \mu(x) = \frac{\sqrt{\bar\sigma^2-\beta^2}}{\bar\sigma^2}x,\quad
        \rho(z) = \sqrt{\bar\sigma^2-\beta^2}\,z,\quad \sigma(x) = \beta/\bar\sigma,\quad
        D = \beta^2,\quad R = -\log(\beta/\bar\sigma)

    and above :math:`\bar\sigma` the uninformative optimum (Eq. 5): :math:`D = \bar\sigma^2`,
    :math:`R = 0`.  Independent directions add (Eq. 9), so
    :math:`D_1 = D_2 = \sum_i \Theta(\bar\sigma_i - \beta)`.

    Parameters
    ----------
    sigmas : array, shape (d,)
        Standard deviations of the principal directions (> 0).
    betas : array, shape (K,)
        Resolutions (> 0), same units as ``sigmas``.
    latent_dim : int, optional
        Number of latent directions ``n``.  A linear VAE with ``n < d`` latents can encode at most
        the ``n`` widest directions (the PPCA solution, thesis Eq. 4.10); the others stay
        uninformative at every ``beta``.  Default: as many latents as directions.

    Examples
    --------
    >>> opt = linear_vae_optimum([1.0], [0.5, 2.0])
    >>> np.round(opt.distortion, 3).tolist(), np.round(opt.rate, 3).tolist()
    ([0.25, 1.0], [0.693, 0.0])
    >>> linear_vae_optimum([2.0, 1.0], [0.5], latent_dim=1).distortion.tolist()  # 0.5^2 + 1^2
    [1.25]
    """
    func = "linear_vae_optimum"
    s = check_array(sigmas, name="sigmas", func=func, ndim=1, min_rows=1)
    b = check_array(betas, name="betas", func=func, ndim=1, min_rows=1)
    if np.any(s <= 0) or np.any(b <= 0):
        raise ValueError(f"{func}: `sigmas` and `betas` must be > 0.")
    n = len(s) if latent_dim is None else check_int(latent_dim, name="latent_dim", func=func,
                                                     minimum=1)
    encodable = np.zeros(len(s), dtype=bool)
    encodable[np.argsort(-s, kind="stable")[:n]] = True     # the n widest directions
    S, B = s[None, :], b[:, None]
    informative = (B < S) & encodable[None, :]
    rate_i = np.where(informative, np.log(S / B), 0.0)
    dist_i = np.where(informative, B**2, S**2)
    root = np.where(informative, np.sqrt(np.clip(S**2 - B**2, 0.0, None)), 0.0)
    return LinearVAEOptimum(rate=rate_i.sum(axis=1), distortion=dist_i.sum(axis=1),
                            rate_per_direction=rate_i, encoder_slope=root / S**2,
                            decoder_slope=root, posterior_std=np.where(informative, B / S, 1.0))


def pca_distortion(x, k: int) -> float:
    r"""Mean squared error of the best rank-``k`` linear reconstruction (PCA) of ``x``.

    .. math::
        D_{\rm PCA}(k) = \sum_{i > k} \lambda_i

    with :math:`\lambda_1 \ge \lambda_2 \ge \dots` the eigenvalues of the (biased) covariance of
    ``x``: the distortion a *linear* autoencoder with ``k`` latents reaches.

    >>> x = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [0.0, -0.5]])
    >>> pca_distortion(x, 1)   # the second eigenvalue, 0.5^2 / 2
    0.125
    """
    func = "pca_distortion"
    x = check_array(x, name="x", func=func, ndim=2, min_rows=2)
    k = check_int(k, name="k", func=func, minimum=0)
    eig = np.sort(np.linalg.eigvalsh(np.cov(x, rowvar=False, bias=True).reshape(x.shape[1], -1)))
    return float(max(eig[: max(x.shape[1] - k, 0)].sum(), 0.0))


# ------------------------------------------------------------------ thesis Section 4.2
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
    The worked example of thesis Sec. 4.2.2, :math:`\Lambda^2 = \mathrm{diag}[4, 1]`:

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
    chol = cholesky_factor(cov, "cov", func)
    resid = x - mean @ W.T - b
    return -(m * np.log(gamma) + np.sum(resid**2, axis=1) / gamma
             + np.trace(cov @ W.T @ W) / gamma + np.trace(cov) + np.sum(mean**2, axis=1)
             - 2 * np.log(np.diag(chol)).sum())


def ppca_objective(x, W, b, gamma: float) -> np.ndarray:
    r"""The PPCA objective the linear VAE reduces to (thesis Eq. 4.10), per input.

    .. math::
        \mathcal L = -\log\det(WW^T + \gamma I_m) - (x-b)^T(WW^T + \gamma I_m)^{-1}(x-b)

    Invariant to :math:`W \to WR` for any orthogonal R (thesis Sec. 4.2.1, Eq 4.10).

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
    Bishop (1999, Eq. 7); the thesis cites it (Sec. 4.2.1) without writing it out.

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
    r"""The ELBO of a linear VAE under rotations of its latent space (thesis Sec. 4.2.1-4.2.2).

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


# ------------------------------------------------------------------- trained linear VAEs
@dataclass(frozen=True)
class LinearVAEParameters:
    """The matrices of a trained linear VAE, in the thesis' notation (Section 4.2.1).

    Attributes
    ----------
    W : (m, n)
        Decoder matrix, ``rho(z) = W z + b``.
    b : (m,)
    encoder : (n, m)
        Posterior-mean matrix, ``mu(x) = encoder @ x + encoder_bias``.
    encoder_bias : (n,)
    log_var_weight : (n, m)
        How the log-variance depends on ``x`` (zero at the optimum, where Sigma is constant).
    log_var_bias : (n,)
    """
    W: np.ndarray
    b: np.ndarray
    encoder: np.ndarray
    encoder_bias: np.ndarray
    log_var_weight: np.ndarray
    log_var_bias: np.ndarray


def linear_vae_parameters(model) -> LinearVAEParameters:
    """Read the matrices of a :class:`~latentdims.models.dense_vae.DenseVAE` with ``hidden=()``."""
    if tuple(model.config.hidden) != ():
        raise ValueError(f"linear_vae_parameters: the model must be linear (hidden=()); got "
                         f"hidden={tuple(model.config.hidden)}.")
    (dec,) = model.decoder_layers
    arr = lambda v: np.asarray(v.numpy() if hasattr(v, "numpy") else v, dtype=np.float64)
    # Keras kernels are (inputs, outputs); the thesis' matrices act on column vectors
    return LinearVAEParameters(W=arr(dec.kernel).T, b=arr(dec.bias),
                               encoder=arr(model.mean_head.kernel).T,
                               encoder_bias=arr(model.mean_head.bias),
                               log_var_weight=arr(model.log_var_head.kernel).T,
                               log_var_bias=arr(model.log_var_head.bias))
