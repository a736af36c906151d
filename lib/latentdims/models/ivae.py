r"""The identifiable VAE (iVAE, Khemakhem et al. 2020) of thesis chapter 5: a VAE whose prior is
conditioned on an observed auxiliary variable u.

.. math::
    L = \frac1B\sum_b\left[-\log p(x^{(b)}|z^{(b)})
        + \beta\,D_{\rm KL}\left(\mathcal N(\mu, \sigma)\,\|\,
          \mathcal N(\mu^\dagger(u), \sigma^\dagger(u))\right)\right]

(thesis Eq 4.31 with the diagonal Gaussian KL of Eq 5.1; beta = 1 in the thesis), where

* the encoder sees (x, u): u is concatenated to the flattened features (Table A.2's input
  (R^{64x64xC}, R^5) and its "FC 261" = 256 + 5);
* sigma-dagger(u) = exp(prior log-variance network(u)), an MLP FC 50 LeakyReLU x 3, FC n
  (Table A.2 "Prior variance"; linear output read as a log-variance and LeakyReLU slope 0.1 as
  in the author's public code);
* mu-dagger(u) = 0 (``learn_prior_mean=False``: Section 5.3.1, the original iVAE) or the same MLP
  (``learn_prior_mean=True``: Section 5.3.2; the thesis does not give this network, the author's
  code uses the prior-variance class).

For dSprites, u holds the 5 factors scaled to [0, 1] (thesis: u in R^5, thesis App. A.1; the author's code
min-max scales the factor classes within each batch).
:func:`auxiliary_from_factors` scales each factor by its number of classes instead, so that an
example's u does not depend on the rest of its batch.
"""
from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from latentdims.core.validation import check_array, check_int, check_positive
from latentdims.models.architectures import seeded
from latentdims.models.objectives import gaussian_kl
from latentdims.models.vaes import ThesisVAE, VAEConfig

__all__ = ["IVAEConfig", "PriorNetwork", "IVAE", "auxiliary_from_factors"]


@dataclass(frozen=True)
class IVAEConfig(VAEConfig):
    latent_dim: int = 30          # Table A.1: "30 instead of 10 to ensure ... passive variables" (thesis Sec. 5.3)
    aux_dim: int = 5              # u in R^5: the dSprites factors (Table A.2)
    learn_prior_mean: bool = False  # False: Section 5.3.1 (mu-dagger = 0); True: Section 5.3.2
    beta: float = 1.0             # Eq 4.31 has none; the author's config uses 1
    prior_hidden: tuple[int, ...] = (50, 50, 50)   # Table A.2 "Prior variance"
    leaky_relu_slope: float = 0.1  # the author's code (Table A.2 only says Leaky ReLU)

    def __post_init__(self) -> None:
        super().__post_init__()
        func = type(self).__name__
        check_int(self.aux_dim, name="aux_dim", func=func, minimum=1)
        check_positive(self.beta, name="beta", func=func)
        check_positive(self.leaky_relu_slope, name="leaky_relu_slope", func=func, strict=False)
        if not self.prior_hidden or any(int(w) < 1 for w in self.prior_hidden):
            raise ValueError(f"{func}: `prior_hidden` must be a non-empty tuple of widths >= 1; "
                             f"got {self.prior_hidden!r}.")


def auxiliary_from_factors(classes, sizes) -> np.ndarray:
    """The iVAE's u from factor classes: each factor's class divided by (its size - 1), in [0, 1].

    Parameters
    ----------
    classes : (N, K) int
        Factor classes (0-based), e.g. ``ImageDataset.factor_classes``.
    sizes : sequence of K int
        Number of classes of each factor (a factor of size 1 gives 0).

    Returns
    -------
    (N, K) float32

    Examples
    --------
    >>> auxiliary_from_factors([[0, 5], [2, 0]], [3, 6]).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    func = "auxiliary_from_factors"
    sizes = check_array(sizes, name="sizes", func=func, ndim=1)
    classes = check_array(classes, name="classes", func=func, ndim=2, shape=(None, len(sizes)))
    if np.any(classes < 0) or np.any(classes > sizes - 1):
        raise ValueError(f"{func}: `classes` must lie in [0, size - 1] for each factor (sizes "
                         f"{sizes.astype(int).tolist()}); got values in [{classes.min():g}, "
                         f"{classes.max():g}].")
    return (classes / np.maximum(sizes - 1, 1)).astype(np.float32)


class PriorNetwork(keras.layers.Layer):
    """MLP u (B, k) -> (B, n): FC widths with LeakyReLU, then a linear FC n (Table A.2)."""

    def __init__(self, latent_dim: int, hidden=(50, 50, 50), *, slope: float = 0.1, seed: int = 0,
                 offset: int = 60, **kwargs):
        super().__init__(**kwargs)
        self.slope = float(slope)
        self.hidden = [keras.layers.Dense(int(w), kernel_initializer=seeded(seed, offset + i))
                       for i, w in enumerate(hidden)]
        self.out = keras.layers.Dense(int(latent_dim), kernel_initializer=seeded(seed, offset + 9))

    def call(self, u):
        h = tf.cast(u, tf.float32)                             # (B, k)
        for layer in self.hidden:
            h = tf.nn.leaky_relu(layer(h), alpha=self.slope)   # (B, 50)
        return self.out(h)                                     # (B, n)


class IVAE(ThesisVAE):
    """iVAE with the prior mean fixed to 0 or learned; batches are (x, u)."""
    config_class = IVAEConfig
    model_name = "ivae"

    def __init__(self, config: IVAEConfig | None = None, **kwargs):
        super().__init__(config, **kwargs)
        cfg = self.config
        self.prior_log_var_net = PriorNetwork(cfg.latent_dim, cfg.prior_hidden, slope=cfg.leaky_relu_slope,
                                              seed=cfg.seed, offset=60, name="prior_log_var")
        self.prior_mean_net = (PriorNetwork(cfg.latent_dim, cfg.prior_hidden, slope=cfg.leaky_relu_slope,
                                            seed=cfg.seed, offset=70, name="prior_mean")
                               if cfg.learn_prior_mean else None)

    @property
    def aux_dim(self) -> int:
        return self.config.aux_dim

    def _unpack(self, batch, func):
        x, u = super()._unpack(batch, func)
        if u is None:
            raise ValueError(f"{func}: the iVAE's batches are (x, u) with u of shape (batch, "
                             f"{self.aux_dim}); got images alone.")
        if u.shape[-1] is not None and int(u.shape[-1]) != self.aux_dim:
            raise ValueError(f"{func}: `u` must have shape (batch, {self.aux_dim}); got "
                             f"{tuple(u.shape)}.")
        return x, u

    def prior(self, u) -> tuple[tf.Tensor, tf.Tensor]:
        """Prior parameters ``(mu_dagger, log sigma_dagger)``, each (B, n), for u (B, k)."""
        log_var = self.prior_log_var_net(u)
        mean = tf.zeros_like(log_var) if self.prior_mean_net is None else self.prior_mean_net(u)
        return mean, log_var

    def kl_terms(self, mean, log_var, u):
        prior_mean, prior_log_var = self.prior(u)
        return gaussian_kl(mean, log_var, prior_mean, prior_log_var)

    def regulariser(self, terms):
        return self.config.beta * tf.reduce_mean(tf.reduce_sum(terms["kl"], axis=-1)), {}

    def prior_parameters(self, u, *, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
        """The prior's mean and *variance* for u (N, k), as (N, n) float64 arrays (Figs 5.1-5.4)."""
        func = "IVAE.prior_parameters"
        u = check_array(u, name="u", func=func, dtype=np.float32, shape=(None, self.aux_dim))
        batch_size = check_int(batch_size, name="batch_size", func=func, minimum=1)
        means, variances = [], []
        for start in range(0, len(u), batch_size):
            m, lv = self.prior(u[start:start + batch_size])
            means.append(np.asarray(m, np.float64))
            variances.append(np.exp(np.asarray(lv, np.float64)))
        return np.concatenate(means), np.concatenate(variances)
