r"""A small dense VAE with a Euclidean distortion, for the toy studies of the jet papers and talks.

Loss (ICLR paper Eq. 1 with the Euclidean distance in place of the EMD):

.. math::
    L = \frac{\lVert x - \hat x(z)\rVert^2}{2\beta^2} + \sum_i D_{\rm KL}(q(z_i|x)\,\|\,N(0,1)),
    \qquad z \sim q(z|x)

so ``beta`` is a length in data units (the decoder is a Gaussian of standard deviation ``beta``).
With ``hidden=()`` encoder and decoder are linear: the linear VAE of the papers' appendix (ICLR
A.3), for which ``D = beta^2`` and ``R = -log(beta / sigma)`` per direction with ``sigma > beta``.
With ``deterministic=True`` it is a plain autoencoder (no sampling, no KL), as in the talks'
"dense packing" example.  ``beta`` is a non-trainable variable, so one model can be annealed.
"""
from __future__ import annotations

from dataclasses import dataclass

import keras
import tensorflow as tf

from latentdims.models.base import VectorMean, kl_per_latent, sample_posterior

__all__ = ["DenseVAEConfig", "DenseVAE"]


@dataclass(frozen=True)
class DenseVAEConfig:
    input_dim: int
    latent_dim: int
    hidden: tuple[int, ...] = (64, 64)   # widths of the encoder's and the decoder's hidden layers
    activation: str = "tanh"
    deterministic: bool = False          # True: plain autoencoder
    seed: int = 0


class DenseVAE(keras.Model):
    """Dense encoder (x -> mean, log-variance), Gaussian posterior, dense decoder (z -> x-hat)."""

    def __init__(self, config: DenseVAEConfig, beta: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        init = lambda i: keras.initializers.GlorotUniform(seed=config.seed * 1000 + i)
        # plain lists of layers (Keras tracks them): an empty list gives the linear VAE
        self.encoder_layers = [keras.layers.Dense(w, activation=config.activation,
                                                  kernel_initializer=init(i))
                               for i, w in enumerate(config.hidden)]
        self.mean_head = keras.layers.Dense(config.latent_dim, kernel_initializer=init(100), name="mean")
        self.log_var_head = keras.layers.Dense(config.latent_dim, kernel_initializer="zeros",
                                               name="log_var")
        self.decoder_layers = (
            [keras.layers.Dense(w, activation=config.activation, kernel_initializer=init(200 + i))
             for i, w in enumerate(reversed(config.hidden))]
            + [keras.layers.Dense(config.input_dim, kernel_initializer=init(300))])
        self.seed_generator = keras.random.SeedGenerator(config.seed)
        self.beta = self.add_weight(shape=(), initializer=keras.initializers.Constant(beta),
                                    trainable=False, name="beta")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.distortion_tracker = keras.metrics.Mean(name="distortion")
        self.rate_tracker = keras.metrics.Mean(name="rate")
        self.kl_tracker = VectorMean(config.latent_dim, name="kl_per_latent")

    @property
    def metrics(self):
        return [self.loss_tracker, self.distortion_tracker, self.rate_tracker, self.kl_tracker]

    def encode(self, x):
        h = x                                            # (B, input_dim)
        for layer in self.encoder_layers:
            h = layer(h)                                 # (B, hidden)
        return self.mean_head(h), self.log_var_head(h)   # (B, n), (B, n)

    def decode(self, z):
        h = z                                            # (B, n)
        for layer in self.decoder_layers:
            h = layer(h)
        return h                                         # (B, input_dim)

    def call(self, x, training=False):
        mean, log_var = self.encode(x)
        if self.config.deterministic or not training:
            return self.decode(mean)
        return self.decode(sample_posterior(mean, log_var, self.seed_generator))

    def _terms(self, x, training: bool):
        x = tf.convert_to_tensor(x, tf.float32)
        mean, log_var = self.encode(x)
        z = mean if self.config.deterministic else sample_posterior(mean, log_var, self.seed_generator)
        distortion = tf.reduce_sum(tf.square(x - self.decode(z)), axis=-1)        # (B,)
        if self.config.deterministic:
            kl = tf.zeros_like(mean)
            loss = tf.reduce_mean(distortion)
        else:
            kl = kl_per_latent(mean, log_var)                                    # (B, n)
            loss = tf.reduce_mean(distortion / (2.0 * tf.square(self.beta))
                                  + tf.reduce_sum(kl, axis=-1))
        return loss, distortion, kl

    def _update(self, loss, distortion, kl):
        self.loss_tracker.update_state(loss)
        self.distortion_tracker.update_state(distortion)
        self.rate_tracker.update_state(tf.reduce_sum(kl, axis=-1))
        self.kl_tracker.update_state(kl)
        return {"loss": self.loss_tracker.result(), "distortion": self.distortion_tracker.result(),
                "rate": self.rate_tracker.result()}

    def train_step(self, x):
        with tf.GradientTape() as tape:
            loss, distortion, kl = self._terms(x, training=True)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        return self._update(loss, distortion, kl)

    def test_step(self, x):
        return self._update(*self._terms(x, training=False))
