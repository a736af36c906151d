r"""The terms of the thesis' learning objectives (thesis Section 4.3.3 and Eq 5.1), as functions.

Every model of :mod:`latentdims.models.vaes` minimises

.. math::
    L = \underbrace{\frac1B\sum_b -\log p_\theta(x^{(b)}|z^{(b)})}_{\rm reconstruction}
        + R(\mu, \log\sigma, z)

with a Bernoulli decoder on logits and a regulariser R per family.  The functions here take
TensorFlow tensors (or NumPy arrays) and are used both by the models and by the tests, which check
them against closed forms and brute-force NumPy computations.

Conventions: B is the batch size, n the number of latent variables, ``log_var`` the log of the
posterior *variance* sigma (the thesis' notation); all logs are natural (nats).
"""
from __future__ import annotations

import math

import tensorflow as tf

from latentdims.models.base import posterior

__all__ = ["bernoulli_reconstruction", "gaussian_kl", "gaussian_log_density",
           "total_correlation_mws", "dip_covariance", "dip_penalty", "annealed_capacity"]


def bernoulli_reconstruction(x, logits) -> tf.Tensor:
    r"""Negative Bernoulli log-likelihood of images given the decoder's logits, per example.

    .. math::
        -\log p(x|z) = -\sum_{p} \left[x_p \log s(\ell_p) + (1 - x_p)\log(1 - s(\ell_p))\right]

    where s is the logistic sigmoid, x_p in [0, 1] are the pixels (all channels) and
    ell_p the logits.  This is the binary cross-entropy of thesis Eq 2.6 with its missing minus
    sign restored (the thesis prints it with the sign flipped), computed stably on logits.

    Parameters
    ----------
    x : (B, 64, 64, C) pixels in [0, 1]
    logits : (B, 64, 64, C)

    Returns
    -------
    (B,) float32, nats per image.

    Examples
    --------
    A logit of 0 is a fair coin: log 2 nats per pixel whatever the pixel.

    >>> import numpy as np
    >>> round(float(bernoulli_reconstruction(np.ones((1, 2, 2, 1)), np.zeros((1, 2, 2, 1)))[0]), 6)
    2.772589
    """
    x = tf.convert_to_tensor(x, tf.float32)
    logits = tf.convert_to_tensor(logits, tf.float32)
    per_pixel = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits)
    return tf.reduce_sum(tf.reshape(per_pixel, (tf.shape(x)[0], -1)), axis=-1)


def gaussian_kl(mean, log_var, prior_mean=None, prior_log_var=None) -> tf.Tensor:
    r"""KL divergence of each latent of a diagonal Gaussian posterior to a diagonal Gaussian prior.

    .. math::
        D_{\rm KL}(q(z_i|x)\,\|\,p(z_i)) = \frac12\left(\frac{\sigma_i}{\sigma^\dagger_i}
        + \frac{(\mu^\dagger_i - \mu_i)^2}{\sigma^\dagger_i} + \log\sigma^\dagger_i
        - \log\sigma_i - 1\right)

    (thesis Eq 5.1, diagonal case; with mu-dagger = 0 and sigma-dagger = 1 it is Eq 2.19, the
    standard prior of every model but the iVAE).

    Parameters
    ----------
    mean, log_var : (B, n)
        mu and log sigma of the posterior (sigma a variance).
    prior_mean, prior_log_var : (B, n) or None
        mu-dagger and log sigma-dagger of the prior; ``None`` means 0 (the standard normal).

    Returns
    -------
    (B, n) float32, nats.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(gaussian_kl(np.array([[1.0]]), np.array([[0.0]]))[0, 0]), 6)   # mu^2 / 2
    0.5
    """
    mean = tf.convert_to_tensor(mean, tf.float32)
    log_var = tf.convert_to_tensor(log_var, tf.float32)
    prior_mean = tf.zeros_like(mean) if prior_mean is None else tf.convert_to_tensor(prior_mean, tf.float32)
    prior_log_var = (tf.zeros_like(log_var) if prior_log_var is None
                     else tf.convert_to_tensor(prior_log_var, tf.float32))
    return posterior(mean, log_var).kl_divergence(posterior(prior_mean, prior_log_var))


def gaussian_log_density(z, mean, log_var) -> tf.Tensor:
    r"""Log density of N(mean, exp(log_var)) at z, elementwise (broadcasting).

    .. math::
        \log \mathcal N(z; \mu, \sigma) = -\frac12\left(\frac{(z - \mu)^2}{\sigma} + \log\sigma
        + \log 2\pi\right)
    """
    z, mean, log_var = (tf.convert_to_tensor(a, tf.float32) for a in (z, mean, log_var))
    return -0.5 * (tf.square(z - mean) * tf.exp(-log_var) + log_var + math.log(2.0 * math.pi))


def total_correlation_mws(z, mean, log_var, *, dataset_size: int | None = None) -> tf.Tensor:
    r"""Minibatch-weighted-sampling estimate of the total correlation of q(z) (beta-TC VAE).

    .. math::
        {\rm TC} = \mathbb E_{q(z)}\left[\log q(z) - \sum_j \log q(z_j)\right], \qquad
        \log q(z^{(i)}) \approx \log\frac{1}{N B}\sum_{k=1}^{B} q(z^{(i)}|x^{(k)})

    (thesis Eq 4.29, Chen et al. 2018 Eq 4), and the same for each marginal q(z_j), averaged over
    the B samples z^(i) of the batch.  The log(N B) terms of log q(z) and of the n marginals leave
    a constant (n - 1) log(N B) in the TC; like disentanglement_lib's ``total_correlation`` (and
    Locatello et al.'s models, which the thesis uses) it is dropped unless ``dataset_size`` is
    given.  The constant does not change the gradients.

    Parameters
    ----------
    z : (B, n)
        One sample of q(z|x^(b)) per example.
    mean, log_var : (B, n)
        The posteriors of the same batch.
    dataset_size : int, optional
        N.  When given, the constant (n - 1) log(N B) is included, so the value is Eq 4.29's
        estimate itself.

    Returns
    -------
    Scalar float32, nats.

    Choosing parameters
    -------------------
    The estimator is biased for small batches; the thesis (and disentanglement_lib) use B = 64.
    """
    z, mean, log_var = (tf.convert_to_tensor(a, tf.float32) for a in (z, mean, log_var))
    # log q(z_j^(i) | x^(k)) for all pairs (i, k): (B, B, n)
    log_q = gaussian_log_density(z[:, None, :], mean[None, :, :], log_var[None, :, :])
    log_qz = tf.reduce_logsumexp(tf.reduce_sum(log_q, axis=2), axis=1)              # (B,)
    log_qz_marginals = tf.reduce_sum(tf.reduce_logsumexp(log_q, axis=1), axis=1)    # (B,)
    tc = tf.reduce_mean(log_qz - log_qz_marginals)
    if dataset_size is not None:
        n = tf.cast(tf.shape(z)[1], tf.float32)
        b = tf.cast(tf.shape(z)[0], tf.float32)
        tc += (n - 1.0) * tf.math.log(float(dataset_size) * b)
    return tc


def dip_covariance(mean, log_var) -> tf.Tensor:
    r"""The covariance of q(z) that DIP-VAE II regularises, over a batch (thesis Eq 4.30).

    .. math::
        {\rm Cov}_{q(z)}[z] = {\rm Cov}_{p(x)}[\mu] + \mathbb E_{p(x)}[{\rm diag}\,\sigma]

    with the batch as p(x) and the biased (1/B) covariance, as in Kumar et al. (2018) and
    disentanglement_lib.

    Parameters
    ----------
    mean, log_var : (B, n)

    Returns
    -------
    (n, n) float32.
    """
    mean = tf.convert_to_tensor(mean, tf.float32)
    log_var = tf.convert_to_tensor(log_var, tf.float32)
    centred = mean - tf.reduce_mean(mean, axis=0, keepdims=True)                    # (B, n)
    cov_mean = tf.matmul(centred, centred, transpose_a=True) / tf.cast(tf.shape(mean)[0], tf.float32)
    return cov_mean + tf.linalg.diag(tf.reduce_mean(tf.exp(log_var), axis=0))      # (n, n)


def dip_penalty(cov, lambda_od: float, lambda_d: float) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    r"""DIP-VAE's moment-matching penalty of a covariance matrix (thesis Sec. 4.3.3).

    .. math::
        \lambda_{od}\sum_{i\neq j} C_{ij}^2 + \lambda_d \sum_i (C_{ii} - 1)^2

    Returns
    -------
    penalty, off_diagonal, diagonal : scalar tensors
        The weighted penalty and its two unweighted sums.
    """
    cov = tf.convert_to_tensor(cov, tf.float32)
    diag = tf.linalg.diag_part(cov)                                                 # (n,)
    off_diagonal = tf.reduce_sum(tf.square(cov)) - tf.reduce_sum(tf.square(diag))
    diagonal = tf.reduce_sum(tf.square(diag - 1.0))
    return lambda_od * off_diagonal + lambda_d * diagonal, off_diagonal, diagonal


def annealed_capacity(step, c_max: float, iteration_threshold: int) -> tf.Tensor:
    r"""The Annealed VAE's channel capacity at a training step (thesis Eq 4.26, thesis Sec. 4.3.3).

    .. math::
        C(t) = \min\left(C_{\max},\; C_{\max}\,\frac{t}{T}\right)

    a linear ramp from 0 at the first step (t = 0) to C_max at the iteration threshold T
    (the thesis only says C grows from 0 to C_max; the linear ramp is disentanglement_lib's,
    the author's public code).

    Examples
    --------
    >>> [float(annealed_capacity(t, 25.0, 100_000)) for t in (0, 50_000, 100_000, 300_000)]
    [0.0, 12.5, 25.0, 25.0]
    """
    t = tf.cast(step, tf.float32)
    return tf.minimum(float(c_max), float(c_max) * t / float(iteration_threshold))
