r"""The thesis' VAE family on 64x64 images: beta-VAE, beta-TC VAE, DIP-VAE II, Annealed VAE and a
deterministic autoencoder (FactorVAE in :mod:`.factor_vae`, the iVAE in :mod:`.ivae`).

Every model minimises a Bernoulli reconstruction term on logits plus its regulariser
(thesis Section 4.3.3; hyper-parameters of the author's public code):

.. math::
    L = \frac1B\sum_{b=1}^B -\log p_\theta(x^{(b)}|z^{(b)}) + R, \qquad
    z^{(b)} = \mu^{(b)} + \sigma^{(b)\,1/2}\odot\epsilon^{(b)}

==================  ====================================================  ==================
model               R                                                     thesis
==================  ====================================================  ==================
``beta_vae``        beta KL                                               Eq 4.25
``annealed_vae``    gamma abs(KL - C(t)), C(t) = min(C_max, C_max t / T)  Eq 4.26
``beta_tc_vae``     KL + (beta - 1) TC (minibatch-weighted sampling)      Eqs 4.28, 4.29
``dip_vae_ii``      KL + l_od sum_(i!=j) C_ij^2 + l_d sum_i (C_ii - 1)^2  thesis Sec. 4.3.3, Eq 4.30
``factor_vae``      KL + gamma TC (density-ratio discriminator)           Eqs 4.27, 4.28
``ivae``            beta KL(q(z|x,u) || N(mu_dag(u), sigma_dag(u)))       Eqs 4.31, 5.1
``autoencoder``     0 (no sampling)                                       Fig 8.6
==================  ====================================================  ==================

where KL = (1/B) sum_b sum_i KL(q(z_i|x^(b)) || N(0, 1)) (Eq 2.19, diagonal case), C = Cov_q(z)[z]
over the batch, and the batch average follows disentanglement_lib, which the thesis' models come
from.  Each model

* is a ``keras.Model`` with explicit ``train_step``/``test_step`` (used by the project's single
  loop :func:`latentdims.models.training.train`) and metric trackers ``loss``, ``reconstruction``,
  ``kl``, ``kl_per_latent`` (a vector, logged as ``kl_per_latent/0`` ...) and its objective's
  extra terms;
* owns a ``SeedGenerator`` for the reparameterisation noise (checkpointed with the weights);
* applies its optimizer's updates XLA-fused (:func:`latentdims.models.base.apply_gradients`;
  the class attribute ``xla_optimizer = False`` gives the plain updates, the same maths);
* gives the mean, variance and sampled representations of a data set (:meth:`ThesisVAE.
  representations`) and every layer's activations (:meth:`ThesisVAE.layer_activations`, the
  layers compared in chapter 7).

A batch is an image array (B, 64, 64, C) with pixels in [0, 1], or a tuple whose first element is
the images (further elements, e.g. labels, are ignored; the iVAE reads ``u`` from the second).
Build a model by name with :func:`make_model`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from latentdims.core.validation import check_array, check_int, check_positive
from latentdims.models.architectures import ARCHITECTURES, Decoder, Encoder, check_image_shape
from latentdims.models.base import (Representations, VectorMean, apply_gradients, representations,
                                    sample_posterior)
from latentdims.models.objectives import (annealed_capacity, bernoulli_reconstruction, dip_covariance, dip_penalty,
                         gaussian_kl, total_correlation_mws)

__all__ = ["VAEConfig", "BetaVAEConfig", "BetaTCVAEConfig", "DIPVAEIIConfig",
           "AnnealedVAEConfig", "AutoencoderConfig", "ThesisVAE", "BetaVAE", "BetaTCVAE",
           "DIPVAEII", "AnnealedVAE", "Autoencoder"]


# ----------------------------------------------------------------------------------- configs
@dataclass(frozen=True)
class VAEConfig:
    """What every model of the family shares: architecture, sizes and seed."""
    latent_dim: int = 10          # n; Table C.1 (chapter 7); Table A.1: 30 (iVAE); Table D.1 sweeps 3-200
    channels: int = 1             # C; 1 for dSprites, SmallNORB, Symsol, 3 for the others (thesis Sec. 8.4.1)
    architecture: str = "conv"    # "conv": Tables A.2/C.3/D.2; "fc": Tables C.4/D.3 (Section 7.4.3, 8.7)
    seed: int = 0                 # initial weights and the sampler; the thesis uses seeds 0-4 (thesis App. C.1, thesis App. D.1)

    def __post_init__(self) -> None:
        func = type(self).__name__
        check_int(self.latent_dim, name="latent_dim", func=func, minimum=1)
        check_int(self.channels, name="channels", func=func, minimum=1)
        check_int(self.seed, name="seed", func=func, minimum=0)
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"{func}: unknown `architecture` {self.architecture!r}; expected one "
                             f"of {', '.join(repr(a) for a in ARCHITECTURES)}.")


@dataclass(frozen=True)
class BetaVAEConfig(VAEConfig):
    beta: float = 1.0             # Eq 4.25; 1 = the ELBO (Eq 3.5, Table D.1); sweeps [1, 2, 4, 6, 8] (Table C.2)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive(self.beta, name="beta", func=type(self).__name__)


@dataclass(frozen=True)
class BetaTCVAEConfig(VAEConfig):
    beta: float = 2.0             # Eq 4.28; Table C.5 (FC models) and Fig 7.2a use 2; Table C.2 sweeps [1, 2, 4, 6, 8]

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive(self.beta, name="beta", func=type(self).__name__)


@dataclass(frozen=True)
class DIPVAEIIConfig(VAEConfig):
    lambda_od: float = 1.0        # thesis Sec. 4.3.3; Table C.2 sweeps [1, 2, 5, 10, 20]
    lambda_d: float | None = None  # None: lambda_d = lambda_od (Table C.2; disentanglement_lib's factor 1 for type ii)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive(self.lambda_od, name="lambda_od", func=type(self).__name__, strict=False)
        if self.lambda_d is not None:
            check_positive(self.lambda_d, name="lambda_d", func=type(self).__name__, strict=False)

    @property
    def diagonal_weight(self) -> float:
        return self.lambda_od if self.lambda_d is None else self.lambda_d


@dataclass(frozen=True)
class AnnealedVAEConfig(VAEConfig):
    c_max: float = 5.0            # C_max (nats); Tables C.2 [5, 10, 25, 50, 75] and C.5 [5]
    gamma: float = 1000.0         # the alpha of Eq 4.26; Table C.2
    iteration_threshold: int = 100_000  # steps to reach C_max; Table C.2

    def __post_init__(self) -> None:
        super().__post_init__()
        func = type(self).__name__
        check_positive(self.c_max, name="c_max", func=func, strict=False)
        check_positive(self.gamma, name="gamma", func=func)
        check_int(self.iteration_threshold, name="iteration_threshold", func=func, minimum=1)


@dataclass(frozen=True)
class AutoencoderConfig(VAEConfig):
    """The deterministic autoencoder of Fig 8.6 ("equivalent architectures", thesis Sec. 8.5.2): the encoder
    keeps only its mean head and the loss is the Bernoulli reconstruction alone (not stated in the
    thesis, which gives no AE loss; the author's public code has no AE)."""


# ----------------------------------------------------------------------------------- models
class ThesisVAE(keras.Model):
    """Base of the family: encoder, sampling, decoder, Bernoulli loss, trackers, representations.

    Subclasses set ``config_class`` and ``model_name`` and override :meth:`regulariser` (and, for
    other priors, :meth:`kl_terms`).
    """

    config_class: type = VAEConfig
    model_name = "vae"
    extra_terms: tuple[str, ...] = ()   # names of the objective's extra logged terms
    stochastic = True                   # False: deterministic autoencoder
    aux_dim = 0                         # size of the auxiliary input u (iVAE)
    xla_optimizer = True                # XLA-fused optimizer updates (base.apply_gradients)

    def __init__(self, config: VAEConfig | None = None, **kwargs):
        config = self.config_class() if config is None else config
        if not isinstance(config, self.config_class):
            raise TypeError(f"{type(self).__name__}: `config` must be a {self.config_class.__name__};"
                            f" got {type(config).__name__}. Use make_model({self.model_name!r}, ...).")
        super().__init__(name=kwargs.pop("name", self.model_name), **kwargs)
        self.config = config
        self.encoder = Encoder(config.architecture, config.latent_dim, config.channels,
                               aux_dim=self.aux_dim, variance_head=self.stochastic, seed=config.seed,
                               name="encoder")
        self.decoder = Decoder(config.architecture, config.channels, seed=config.seed, name="decoder")
        self.seed_generator = keras.random.SeedGenerator(config.seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.kl_latent_tracker = VectorMean(config.latent_dim, name="kl_per_latent")
        self.extra_trackers = [keras.metrics.Mean(name=t) for t in self.extra_terms]

    @property
    def metrics(self):
        base = [self.loss_tracker, self.reconstruction_tracker]
        if self.stochastic:
            base += [self.kl_tracker, self.kl_latent_tracker]
        return base + list(self.extra_trackers)

    # ------------------------------------------------------------------------ forward pass
    def _unpack(self, batch, func: str):
        """Images and auxiliary variable of a batch (array, tuple/list or dict)."""
        if isinstance(batch, dict):
            x, u = batch.get("x", batch.get("images")), batch.get("u")
        elif isinstance(batch, (tuple, list)):
            x, u = batch[0], (batch[1] if len(batch) > 1 else None)
        else:
            x, u = batch, None
        if x is None:
            raise ValueError(f"{func}: a dict batch needs the images under 'x'; got keys "
                             f"{sorted(batch)}.")
        check_image_shape(x.shape, self.config.channels, func=func)
        return x, (u if self.aux_dim else None)

    def encode(self, x, u=None):
        """Posterior parameters ``(mean, log_var)``, each (B, n), of images x (B, 64, 64, C)."""
        return self.encoder(x, u)

    def decode(self, z):
        """Bernoulli logits (B, 64, 64, C) of latent codes z (B, n)."""
        return self.decoder(z)

    def call(self, inputs, training=False):
        """Logits of the reconstruction: from a sample of q(z|x) if training, else from the mean."""
        x, u = self._unpack(inputs, f"{type(self).__name__}.call")
        if not self.stochastic:
            return self.decode(self.encode(x, u))
        mean, log_var = self.encode(x, u)
        return self.decode(sample_posterior(mean, log_var, self.seed_generator) if training else mean)

    def kl_terms(self, mean, log_var, u):
        """KL of every latent to the prior, (B, n): the standard normal (Eq 2.19)."""
        return gaussian_kl(mean, log_var)

    def regulariser(self, terms: dict[str, tf.Tensor]) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
        """R and the extra terms to log, from ``terms`` (mean, log_var, z, kl (B, n), u)."""
        raise NotImplementedError

    def _objective(self, batch, func: str) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
        x, u = self._unpack(batch, func)
        x = tf.cast(x, tf.float32)
        if self.stochastic:
            mean, log_var = self.encode(x, u)                                   # (B, n) each
            z = sample_posterior(mean, log_var, self.seed_generator)            # (B, n)
            kl = self.kl_terms(mean, log_var, u)                                # (B, n)
        else:
            mean = z = self.encode(x, u)
            log_var, kl = None, tf.zeros_like(mean)
        reconstruction = bernoulli_reconstruction(x, self.decode(z))           # (B,)
        terms = {"mean": mean, "log_var": log_var, "z": z, "kl": kl, "u": u}
        reg, extras = self.regulariser(terms)
        loss = tf.reduce_mean(reconstruction) + reg
        return loss, {"reconstruction": reconstruction, "kl": kl, **extras}

    def _update_metrics(self, loss, terms) -> dict[str, tf.Tensor]:
        self.loss_tracker.update_state(loss)
        self.reconstruction_tracker.update_state(terms["reconstruction"])
        if self.stochastic:
            self.kl_tracker.update_state(tf.reduce_sum(terms["kl"], axis=-1))
            self.kl_latent_tracker.update_state(terms["kl"])
        for tracker in self.extra_trackers:
            tracker.update_state(terms[tracker.name])
        logs = {m.name: m.result() for m in self.metrics if m is not self.kl_latent_tracker}
        if self.stochastic:
            # one scalar per latent, so that the loop's history keeps them (it keeps scalars)
            per_latent = self.kl_latent_tracker.result()
            logs.update({f"kl_per_latent/{i}": per_latent[i] for i in range(self.config.latent_dim)})
        return logs

    def _apply(self, tape, loss, variables) -> None:
        grads = tape.gradient(loss, variables)
        apply_gradients(self.optimizer, grads, variables, xla=self.xla_optimizer)

    def train_step(self, batch):
        with tf.GradientTape() as tape:
            loss, terms = self._objective(batch, f"{type(self).__name__}.train_step")
        self._apply(tape, loss, self.trainable_variables)
        return self._update_metrics(loss, terms)

    def test_step(self, batch):
        return self._update_metrics(*self._objective(batch, f"{type(self).__name__}.test_step"))

    def kl_per_latent_values(self) -> np.ndarray:
        """The running mean of the KL of every latent (n,), since the metrics were last reset."""
        return np.asarray(self.kl_latent_tracker.result())

    def ensure_built(self) -> "ThesisVAE":
        """Create every variable (one evaluation step on zeros), e.g. before loading weights."""
        x = np.zeros((2, 64, 64, self.config.channels), np.float32)
        self.test_step((x, np.zeros((2, self.aux_dim), np.float32)) if self.aux_dim else x)
        self.reset_metrics()
        return self

    # ------------------------------------------------------------------- representations
    def _numpy_inputs(self, data, func: str) -> tuple[np.ndarray, np.ndarray | None]:
        if isinstance(data, dict):
            data = (data.get("x", data.get("images")), data.get("u"))
        x, u = (data[0], data[1] if len(data) > 1 else None) if isinstance(data, (tuple, list)) \
            else (data, None)
        x = check_array(x, name="x", func=func, dtype=np.float32)
        check_image_shape(x.shape, self.config.channels, func=func)
        if not self.aux_dim:
            return x, None
        if u is None:
            raise ValueError(f"{func}: the iVAE needs the auxiliary variable; pass (x, u) with u "
                             f"of shape ({len(x)}, {self.aux_dim}).")
        u = check_array(u, name="u", func=func, dtype=np.float32, shape=(len(x), self.aux_dim))
        return x, u

    def _moments(self, x, u) -> tuple[np.ndarray, np.ndarray]:
        mean, log_var = self.encode(x, u)
        return np.asarray(mean), np.asarray(log_var)

    def representations(self, data, *, batch_size: int = 500, seed: int = 0) -> Representations:
        r"""Mean, variance and sampled representations of a data set (thesis Sections 6.3, 8.3).

        .. math::
            M = [\mu^{(i)}], \qquad S = [\sigma^{(i)}], \qquad Z = M + E\odot S^{1/2}

        with one draw E ~ N(0, I) from a NumPy generator seeded with ``seed``.

        Parameters
        ----------
        data : (N, 64, 64, C) images in [0, 1], or (x, u) for the iVAE
        batch_size : int
        seed : int

        Returns
        -------
        Representations
            ``mean``, ``variance``, ``sampled``: (N, n) float64 arrays.  The autoencoder's
            variance is 0 and its sampled representation equals its mean (its code).
        """
        func = f"{type(self).__name__}.representations"
        x, u = self._numpy_inputs(data, func)
        batch_size = check_int(batch_size, name="batch_size", func=func, minimum=1)
        index = np.arange(len(x))
        return representations(lambda i: self._moments(x[i], None if u is None else u[i]), index,
                               batch_size=batch_size, seed=seed)

    def layer_activations(self, data, *, seed: int = 0, log_variance: bool = False,
                          batch_size: int = 256) -> dict[str, np.ndarray]:
        """Every layer's output for a batch, in order, as compared in chapter 7 (thesis Sec. 7.3).

        Keys: ``input``, ``encoder/1`` ..., ``mean``, ``variance`` (or ``log_var`` with
        ``log_variance=True``, what the author's 2022 code compared), ``sampled``,
        ``decoder/1`` ... (the last is the logits); the decoder runs on the sampled code, drawn with
        a NumPy generator seeded with ``seed``.  The autoencoder has no variance or sampled entry
        and decodes its code.  See :mod:`.architectures` for the names and shapes.

        Returns
        -------
        dict of str to float32 arrays, each (N, ...) with the layer's own shape.
        """
        func = f"{type(self).__name__}.layer_activations"
        x, u = self._numpy_inputs(data, func)
        rng = np.random.default_rng(seed)
        parts: dict[str, list[np.ndarray]] = {}
        for start in range(0, len(x), check_int(batch_size, name="batch_size", func=func, minimum=1)):
            xb = x[start:start + batch_size]
            acts = dict(self.encoder.trace(xb, None if u is None else u[start:start + batch_size]))
            layers = {"input": xb, **{k: v for k, v in acts.items() if k.startswith("encoder/")},
                      "mean": acts["mean"]}
            code = np.asarray(acts["mean"])
            if self.stochastic:
                log_var = np.asarray(acts["log_var"])
                layers["log_var" if log_variance else "variance"] = (
                    log_var if log_variance else np.exp(log_var))
                code = code + rng.standard_normal(code.shape).astype(np.float32) * np.exp(0.5 * log_var)
                layers["sampled"] = code
            layers.update(self.decoder.trace(code.astype(np.float32)))
            for k, v in layers.items():
                parts.setdefault(k, []).append(np.asarray(v, dtype=np.float32))
        return {k: np.concatenate(v) for k, v in parts.items()}


class BetaVAE(ThesisVAE):
    """beta-VAE (Higgins et al. 2017; thesis Eq 4.25): R = beta KL."""
    config_class = BetaVAEConfig
    model_name = "beta_vae"

    def regulariser(self, terms):
        return self.config.beta * tf.reduce_mean(tf.reduce_sum(terms["kl"], axis=-1)), {}


class BetaTCVAE(ThesisVAE):
    """beta-TC VAE (Chen et al. 2018; thesis Eqs 4.28-4.29): R = KL + (beta - 1) TC.

    TC is :func:`.objectives.total_correlation_mws` on the batch (constants dropped, as in
    disentanglement_lib); it is logged as ``tc``.
    """
    config_class = BetaTCVAEConfig
    model_name = "beta_tc_vae"
    extra_terms = ("tc",)

    def regulariser(self, terms):
        tc = total_correlation_mws(terms["z"], terms["mean"], terms["log_var"])
        kl = tf.reduce_mean(tf.reduce_sum(terms["kl"], axis=-1))
        return kl + (self.config.beta - 1.0) * tc, {"tc": tc}


class DIPVAEII(ThesisVAE):
    """DIP-VAE II (Kumar et al. 2018; thesis Sec. 4.3.3): R = KL + DIP penalty of Cov_q(z)[z].

    Logs the unweighted ``dip_off_diagonal`` (sum of squared off-diagonal covariances) and
    ``dip_diagonal`` (sum of squared deviations of the variances from 1).
    """
    config_class = DIPVAEIIConfig
    model_name = "dip_vae_ii"
    extra_terms = ("dip_off_diagonal", "dip_diagonal")

    def regulariser(self, terms):
        cov = dip_covariance(terms["mean"], terms["log_var"])                   # (n, n)
        penalty, off, diag = dip_penalty(cov, self.config.lambda_od, self.config.diagonal_weight)
        kl = tf.reduce_mean(tf.reduce_sum(terms["kl"], axis=-1))
        return kl + penalty, {"dip_off_diagonal": off, "dip_diagonal": diag}


class AnnealedVAE(ThesisVAE):
    """Annealed VAE (Burgess et al. 2018; thesis Eq 4.26): R = gamma |KL - C(t)|.

    The step t is a non-trainable model variable (checkpointed with the weights) counting the
    training steps taken; C(t) is logged as ``capacity``.
    """
    config_class = AnnealedVAEConfig
    model_name = "annealed_vae"
    extra_terms = ("capacity",)

    def __init__(self, config: AnnealedVAEConfig | None = None, **kwargs):
        super().__init__(config, **kwargs)
        self.step = self.add_weight(shape=(), initializer="zeros", dtype="int64", trainable=False,
                                    name="step")

    def regulariser(self, terms):
        c = annealed_capacity(self.step, self.config.c_max, self.config.iteration_threshold)
        kl = tf.reduce_mean(tf.reduce_sum(terms["kl"], axis=-1))
        return self.config.gamma * tf.abs(kl - c), {"capacity": c}

    def train_step(self, batch):
        logs = super().train_step(batch)
        self.step.assign_add(1)
        return logs


class Autoencoder(ThesisVAE):
    """Deterministic autoencoder with the same architecture (Fig 8.6): no sampling, no KL."""
    config_class = AutoencoderConfig
    model_name = "autoencoder"
    stochastic = False

    def regulariser(self, terms):
        return tf.constant(0.0), {}

    def _moments(self, x, u):
        code = np.asarray(self.encode(x, u))
        # log-variance -inf: variance exactly 0 and sampled == mean in `representations`
        return code, np.full(code.shape, -np.inf)


