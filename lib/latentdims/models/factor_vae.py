r"""FactorVAE (Kim & Mnih 2018; thesis Eqs 4.27-4.28): a VAE whose total correlation is estimated
by a discriminator between samples of q(z) and of the product of its marginals.

.. math::
    L = \frac1B\sum_b -\log p(x^{(b)}|z^{(b)}) + {\rm KL}
        + \gamma\,\frac1B\sum_b \log\frac{D(z^{(b)})}{1 - D(z^{(b)})}

where D(z) is the discriminator's probability that z comes from q(z) (thesis Sec. 4.3.3).  The
discriminator is trained at every step, from the same batch, to tell the codes z from codes
whose every dimension was shuffled across the batch (samples of prod_j q(z_j), thesis Sec. 4.3.3):

.. math::
    L_D = -\frac12\left(\frac1B\sum_b \log D(z^{(b)})
          + \frac1B\sum_b \log\left(1 - D(\tilde z^{(b)})\right)\right)

Both updates use the gradients of the same forward pass, as in disentanglement_lib (which
produced the thesis' chapter-6 FactorVAEs).  The discriminator (6 x FC 1000 LeakyReLU(0.2), 2
logits) and its Adam(1e-4, beta_1 0.5, beta_2 0.9) follow disentanglement_lib; its log-probabilities come from a log-softmax rather than disentanglement_lib's clipped
softmax (same value away from saturation, no clipping bias).

The model owns the discriminator's optimizer.  Its state is held in model variables, so the
project loop's checkpoints, resume and NaN recovery carry it with the weights; the model's
``trainable_variables`` are the VAE's alone, so the loop's optimizer holds no slots for the
discriminator.
"""
from __future__ import annotations

from dataclasses import dataclass

import keras
import tensorflow as tf

from latentdims.core.validation import check_positive
from latentdims.models.architectures import seeded
from latentdims.models.base import apply_gradients
from latentdims.models.vaes import ThesisVAE, VAEConfig

__all__ = ["FactorVAEConfig", "Discriminator", "FactorVAE", "shuffle_dimensions"]


@dataclass(frozen=True)
class FactorVAEConfig(VAEConfig):
    gamma: float = 10.0           # TC weight; disentanglement_lib sweep [10, 20, 30, 40, 50, 100] (chapter 6, thesis Sec. 6.3.2)
    discriminator_hidden: tuple[int, ...] = (1000,) * 6   # disentanglement_lib fc_discriminator
    discriminator_learning_rate: float = 1e-4             # disentanglement_lib, as the author's code
    discriminator_beta_1: float = 0.5                     # idem
    discriminator_beta_2: float = 0.9                     # idem
    discriminator_epsilon: float = 1e-8                   # idem

    def __post_init__(self) -> None:
        super().__post_init__()
        func = type(self).__name__
        check_positive(self.gamma, name="gamma", func=func, strict=False)
        check_positive(self.discriminator_learning_rate, name="discriminator_learning_rate", func=func)
        if not self.discriminator_hidden or any(int(w) < 1 for w in self.discriminator_hidden):
            raise ValueError(f"{func}: `discriminator_hidden` must be a non-empty tuple of widths "
                             f">= 1; got {self.discriminator_hidden!r}.")


def shuffle_dimensions(z, seed) -> tf.Tensor:
    """Permute every column of z (B, n) independently across the batch (thesis Sec. 4.3.3).

    ``seed`` is a stateless seed (a 2-vector, e.g. from a ``SeedGenerator``).
    """
    z = tf.convert_to_tensor(z)
    keys = tf.random.stateless_uniform(tf.shape(z), seed=tf.cast(seed, tf.int32))   # (B, n)
    order = tf.argsort(keys, axis=0)                                                 # (B, n)
    # column j of the result is column j of z in the order order[:, j]
    return tf.transpose(tf.gather(tf.transpose(z), tf.transpose(order), batch_dims=1))  # (B, n)


class Discriminator(keras.layers.Layer):
    """MLP z (B, n) -> 2 logits (B, 2): class 0 "from q(z)", class 1 "from prod_j q(z_j)"."""

    def __init__(self, hidden=(1000,) * 6, *, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.hidden = [keras.layers.Dense(int(w), kernel_initializer=seeded(seed, 50 + i))
                       for i, w in enumerate(hidden)]
        self.out = keras.layers.Dense(2, kernel_initializer=seeded(seed, 59))

    def call(self, z):
        h = z                                                  # (B, n)
        for layer in self.hidden:
            h = tf.nn.leaky_relu(layer(h), alpha=0.2)          # (B, width)
        return self.out(h)                                     # (B, 2)


class FactorVAE(ThesisVAE):
    """FactorVAE: R = KL + gamma TC, TC from the discriminator; logs ``tc`` and
    ``discriminator_loss``."""
    config_class = FactorVAEConfig
    model_name = "factor_vae"
    extra_terms = ("tc", "discriminator_loss")

    def __init__(self, config: FactorVAEConfig | None = None, **kwargs):
        super().__init__(config, **kwargs)
        cfg = self.config
        self.discriminator = Discriminator(cfg.discriminator_hidden, seed=cfg.seed, name="discriminator")
        self.discriminator(tf.zeros((1, cfg.latent_dim)))   # create its weights for the optimizer
        self.discriminator_optimizer = keras.optimizers.Adam(
            learning_rate=cfg.discriminator_learning_rate, beta_1=cfg.discriminator_beta_1,
            beta_2=cfg.discriminator_beta_2, epsilon=cfg.discriminator_epsilon)
        self.discriminator_optimizer.build(self.discriminator.trainable_variables)
        # Registering the optimizer's slots and step counter as (non-trainable) model variables
        # puts them in every checkpoint written by latentdims.models.training (which saves
        # model.variables), so a resumed FactorVAE continues exactly.
        self.discriminator_state = list(self.discriminator_optimizer.variables)

    @property
    def trainable_variables(self):
        """The encoder's and decoder's parameters (the discriminator has its own optimizer)."""
        own = {id(v) for v in self.discriminator.trainable_variables}
        return [v for v in super().trainable_variables if id(v) not in own]

    def regulariser(self, terms):
        logits = self.discriminator(terms["z"])                                # (B, 2)
        tc = tf.reduce_mean(logits[:, 0] - logits[:, 1])                       # log D / (1 - D)
        shuffled = shuffle_dimensions(tf.stop_gradient(terms["z"]), self.seed_generator.next())
        log_p = tf.nn.log_softmax(logits, axis=-1)                             # (B, 2)
        log_p_shuffled = tf.nn.log_softmax(self.discriminator(shuffled), axis=-1)
        discriminator_loss = -0.5 * (tf.reduce_mean(log_p[:, 0]) + tf.reduce_mean(log_p_shuffled[:, 1]))
        kl = tf.reduce_mean(tf.reduce_sum(terms["kl"], axis=-1))
        return kl + self.config.gamma * tc, {"tc": tc, "discriminator_loss": discriminator_loss}

    def train_step(self, batch):
        with tf.GradientTape(persistent=True) as tape:
            loss, terms = self._objective(batch, "FactorVAE.train_step")
        # gradients of both players from the same forward pass, then both updates
        disc_vars = self.discriminator.trainable_variables
        disc_grads = tape.gradient(terms["discriminator_loss"], disc_vars)
        self._apply(tape, loss, self.trainable_variables)
        apply_gradients(self.discriminator_optimizer, disc_grads, disc_vars, xla=self.xla_optimizer)
        del tape
        return self._update_metrics(loss, terms)
