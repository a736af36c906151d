"""Pieces shared by every VAE of the project: the diagonal-Gaussian posterior, its per-latent KL
to the standard normal prior, a metric that averages vectors (the KL of every latent direction),
and the three representations the thesis compares (mean, variance, sampled).

Distributions come from ``tensorflow_probability.distributions`` used inside our own Keras 3
layers (``tfp.layers`` refuses Keras 3 layers).
"""
from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from latentdims.core.validation import check_int

tfd = tfp.distributions

__all__ = ["tfd", "posterior", "sample_posterior", "kl_per_latent", "VectorMean", "Representations",
           "representations", "apply_gradients"]


def posterior(mean: tf.Tensor, log_var: tf.Tensor) -> tfd.Normal:
    """The diagonal Gaussian ``q(z|x) = N(mean, exp(log_var))``, batch shape (B, n)."""
    return tfd.Normal(loc=mean, scale=tf.exp(0.5 * log_var))


def sample_posterior(mean: tf.Tensor, log_var: tf.Tensor, seed_generator: keras.random.SeedGenerator
                     ) -> tf.Tensor:
    """``z = mean + exp(log_var / 2) * eps`` with ``eps ~ N(0, 1)`` (reparameterisation).

    The randomness comes from the model's own ``SeedGenerator``, whose state is a variable of the
    model: it is checkpointed, so a resumed training draws the same noise.
    """
    seed = tf.cast(seed_generator.next(), tf.int32)   # TFP wants an int32 stateless seed
    return posterior(mean, log_var).sample(seed=seed)


def kl_per_latent(mean: tf.Tensor, log_var: tf.Tensor) -> tf.Tensor:
    r"""KL divergence of each latent direction to the standard normal prior, shape (B, n).

    .. math::
        D_{\rm KL}\left(\mathcal N(\mu_i, \sigma_i^2)\,\|\,\mathcal N(0, 1)\right)
        = \tfrac12\left(\mu_i^2 + \sigma_i^2 - \log\sigma_i^2 - 1\right)

    (the KL term of ICLR paper Eq. 1; thesis Eq. 3.5 with a standard normal prior), in nats.
    """
    prior = tfd.Normal(tf.zeros_like(mean), tf.ones_like(mean))
    return tfd.kl_divergence(posterior(mean, log_var), prior)


def apply_gradients(optimizer, grads, variables, *, xla: bool = True) -> None:
    """``optimizer.apply(grads, variables)``, the update compiled by XLA into a few fused loops.

    Keras' Adam updates every variable with about a dozen element-wise TensorFlow ops (moments,
    bias correction, square root, division), each a full pass over the variable and a kernel
    launch; XLA fuses them into one loop per variable.  On a CPU this is most of the gain XLA
    gives the fully-connected VAEs (15 M parameters: Adam is about a third of a plain step),
    while the convolutions of the forward and backward passes stay with TensorFlow's oneDNN
    kernels, which are faster than XLA's on a CPU (benchmarks/bench_thesis_training.py).  The
    update is the optimizer's own (same variables, same formula; inside an XLA-compiled step it
    is simply inlined), so checkpoints, resume and NaN recovery are unchanged.

    The compiled update is made once per optimizer and list of variables and kept on the
    optimizer (nothing global).  ``xla=False``, or an optimizer not built yet, applies the
    update as plain TensorFlow ops.
    """
    if not xla or not getattr(optimizer, "built", False):
        optimizer.apply(grads, variables)
        return
    store = optimizer.__dict__.setdefault("_latentdims_xla_apply", {})
    key = tuple(id(v) for v in variables)
    if key not in store:
        variables = list(variables)
        store[key] = tf.function(lambda g: optimizer.apply(g, variables), jit_compile=True)
    store[key](list(grads))


class VectorMean(keras.metrics.Metric):
    """Running mean of a vector over batches (e.g. the KL of every latent direction)."""

    def __init__(self, size: int, name: str = "vector_mean", **kwargs):
        super().__init__(name=name, **kwargs)
        self.size = int(size)
        self.total = self.add_variable(shape=(self.size,), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, values, sample_weight=None):
        values = tf.reshape(tf.cast(values, self.dtype), (-1, self.size))   # (B, size)
        self.total.assign_add(tf.reduce_sum(values, axis=0))
        self.count.assign_add(tf.cast(tf.shape(values)[0], self.dtype))

    def result(self):
        return self.total / tf.maximum(self.count, 1.0)


@dataclass(frozen=True)
class Representations:
    """Mean, variance and sampled representations of a batch, each (N, n) NumPy arrays.

    The thesis' M (means), the posterior variances (used to type variables as active, mixed,
    passive; thesis Section 6.4.1) and Z = M + eps * sqrt(variances) (thesis Section 6.3).
    """
    mean: np.ndarray
    variance: np.ndarray
    sampled: np.ndarray


def representations(encode, x, *, batch_size: int = 1000, seed: int = 0,
                    func: str = "representations") -> Representations:
    """Encode ``x`` in batches with ``encode(batch) -> (mean, log_var)`` and sample once.

    The sampling uses a NumPy generator seeded with ``seed`` so that representations are
    repeatable independently of the model's training sampler.  ``x`` is anything with
    ``len()`` and slicing (pandas objects are converted to NumPy first); ``func`` names the
    caller in messages.

    Raises
    ------
    ValueError
        If ``x`` is empty, ``batch_size`` < 1, or the encoder gives non-finite means or NaN or
        infinite log-variances (NaN in ``x``, or a diverged model): never NaN representations.
        A log-variance of ``-inf`` is a variance of 0 (the autoencoder).
    """
    batch_size = check_int(batch_size, name="batch_size", func=func, minimum=1)
    if hasattr(x, "to_numpy"):              # pandas: slicing by position, not by label
        x = x.to_numpy()
    if len(x) == 0:
        raise ValueError(f"{func}: `x` is empty (0 examples); give at least one example.")
    means, log_vars = [], []
    for start in range(0, len(x), batch_size):
        m, lv = encode(x[start:start + batch_size])
        means.append(np.asarray(m, dtype=np.float64))
        log_vars.append(np.asarray(lv, dtype=np.float64))
    mean, log_var = np.concatenate(means), np.concatenate(log_vars)
    # log-variance -inf is a variance of exactly 0 (the autoencoder); NaN and +inf are not
    bad = ~np.isfinite(mean) | np.isnan(log_var) | (log_var == np.inf)
    if bad.any():
        rows = np.unique(np.argwhere(bad)[:, 0])
        raise ValueError(f"{func}: the encoder gave non-finite means or log-variances for "
                         f"{len(rows)} example(s), the first at row {int(rows[0])}; check `x` "
                         f"for NaN or infinite values, or the model's weights for divergence.")
    var = np.exp(log_var)
    eps = np.random.default_rng(seed).standard_normal(mean.shape)
    return Representations(mean=mean, variance=var, sampled=mean + eps * np.sqrt(var))
