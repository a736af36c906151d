r"""The EMD-VAE of the jet papers: a Particle Flow Network encoder, a dense decoder emitting a jet,
and the sharp Sinkhorn EMD as the reconstruction error.

Loss (NeurIPS paper Eq. 1, ICLR paper Eq. 1):

.. math::
    L = \frac{\hat S(x, \rho(z))^2}{2\hat\beta^2}
        + \sum_i \tfrac12\left(\mu_i(x)^2 + \sigma_i(x)^2 - \log\sigma_i(x)^2 - 1\right),
    \qquad z \sim \mathcal N(\mu(x), \operatorname{diag}\sigma(x)^2)

where
    - :math:`x` : a jet of :math:`P` particles, weights :math:`p_T/H_T` (B, P) summing to 1 and
      points :math:`(\eta, \phi)` (B, P, 2), zero weights being padding;
    - :math:`\rho(z)` : the decoded jet, same structure (weights by a softmax over the P
      particles, :math:`\phi = \operatorname{atan2}(\sin, \cos)`);
    - :math:`\hat S` : the sharp Sinkhorn EMD (:func:`latentdims.maths.sinkhorn.sinkhorn_emd`, float64),
      dimensionless; :math:`S = H_T \hat S` in GeV;
    - :math:`\hat\beta` : the resolution, a non-trainable variable (annealed by
      :mod:`latentdims.models.annealing`); :math:`\beta = \langle H_T\rangle\hat\beta` in GeV.

The distortion is :math:`D = \langle\hat S^2\rangle` and the rate :math:`R = \langle
\mathrm{KL}\rangle`; the KL of every latent direction is tracked as well (ICLR Fig. 7).

Optional categorical latent (the talks' mixed sample, talk 'The Learnt Geometry of Collider Events', slide 'Mixed Samples', talk 'Autoencoder introduction', slide 'A Mixed Sample'): with
``n_categories = C > 0`` the encoder also gives :math:`q(c|x)` and the posterior and decoder are
conditioned on the category, :math:`q(z|x, c)`, :math:`\rho(z, c)`.  The category is summed over
exactly rather than sampled:

.. math::
    L = \sum_c q(c|x)\left[\frac{\hat S(x, \rho(z_c, c))^2}{2\hat\beta^2}
        + \mathrm{KL}(q(z|x,c)\,\|\,N(0, I))\right] + \mathrm{KL}(q(c|x)\,\|\,U(C))

Float32 network, float64 Sinkhorn ("double precision is required", ICLR A.1.3); the distortion
is cast back to float32 before it meets the KL, and the gradient flows through both casts.
"""
from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from latentdims.core.validation import check_array, check_int, check_positive
from latentdims.maths.sinkhorn import sinkhorn_emd
from latentdims.models.base import VectorMean, kl_per_latent

__all__ = ["JetVAEConfig", "JetVAE", "jet_inputs", "jet_batch", "encode_jets", "decode_latents",
           "classify_jets", "config_from_dict", "decoder_of", "category_rates", "traversal_grid"]


@dataclass(frozen=True)
class JetVAEConfig:
    """Architecture and loss settings; the defaults are the papers' (ICLR appendix A.1.3).

    Attributes
    ----------
    n_particles : int
        Particles per jet, in and out (the papers keep the 50 hardest subjets).
    latent_dim : int
        Latent directions (256, more than the 150 numbers of a jet, so that the rate and not a
        bottleneck limits the information).
    pfn_widths : tuple of int
        Per-particle layers of the Particle Flow Network (four 1-D convolutions of 1024 filters,
        kernel size 1: a dense layer applied to every particle).
    encoder_widths : tuple of int
        Dense layers after the sum over particles (four of 1024).
    decoder_widths : tuple of int
        Dense layers of the decoder (five of 1024), followed by a linear layer giving
        ``n_particles x (logit, eta, sin phi, cos phi)``.
    leaky_slope : float
        Negative slope of LeakyReLU, used everywhere except the linear heads (0.1).
    eps_start, eps_end, n_eps, iters_per_eps : float, float, int, int
        The Sinkhorn schedule (epsilon 1 -> 0.01 in ten log-uniform scales of ten iterations).
    n_categories : int
        0: the papers' plain Gaussian latent.  C > 0: a categorical latent ahead of the Gaussian
        one (the talks' mixed sample); the decoder runs once per category.
    seed : int
        Seeds the initialisers and the posterior sampler.
    """
    n_particles: int = 50                                     # ICLR A.1.2: the 50 hardest
    latent_dim: int = 256                                     # ICLR A.1.3
    pfn_widths: tuple[int, ...] = (1024, 1024, 1024, 1024)    # ICLR A.1.3: 4 conv1d, kernel 1
    encoder_widths: tuple[int, ...] = (1024, 1024, 1024, 1024)   # ICLR A.1.3: 4 dense
    decoder_widths: tuple[int, ...] = (1024, 1024, 1024, 1024, 1024)   # ICLR A.1.3: 5 dense
    leaky_slope: float = 0.1                                  # ICLR A.1.3
    eps_start: float = 1.0                                    # ICLR A.1.3: epsilon 1 -> 0.01,
    eps_end: float = 0.01                                     # ten log-uniform steps,
    n_eps: int = 10                                           # ten iterations per step
    iters_per_eps: int = 10
    n_categories: int = 0                                     # talks (mixed sample): 2
    seed: int = 0

    def __post_init__(self) -> None:
        func = "JetVAEConfig"
        check_int(self.n_particles, name="n_particles", func=func, minimum=1)
        check_int(self.latent_dim, name="latent_dim", func=func, minimum=1)
        check_int(self.n_categories, name="n_categories", func=func, minimum=0)
        check_int(self.n_eps, name="n_eps", func=func, minimum=1)
        check_int(self.iters_per_eps, name="iters_per_eps", func=func, minimum=1)
        check_positive(self.eps_start, name="eps_start", func=func)
        check_positive(self.eps_end, name="eps_end", func=func)
        check_positive(self.leaky_slope, name="leaky_slope", func=func, strict=False)
        for name in ("pfn_widths", "encoder_widths", "decoder_widths"):
            widths = getattr(self, name)
            if not isinstance(widths, tuple) or not all(
                    isinstance(w, (int, np.integer)) and not isinstance(w, bool) and w >= 1
                    for w in widths):
                raise ValueError(f"JetVAEConfig: `{name}` must be a tuple of integers >= 1; "
                                 f"got {widths!r}.")
        if not self.pfn_widths:
            raise ValueError("JetVAEConfig: `pfn_widths` needs at least one layer (the PFN "
                             "sums per-particle features).")

    @property
    def n_slots(self) -> int:
        """Copies of the decoder run per jet: one per category (one without categories)."""
        return max(self.n_categories, 1)

    @property
    def sinkhorn_kwargs(self) -> dict:
        return dict(eps_start=self.eps_start, eps_end=self.eps_end, n_eps=self.n_eps,
                    iters_per_eps=self.iters_per_eps)


def jet_inputs(weights, points) -> tf.Tensor:
    """Per-particle encoder inputs ``(pT/H_T, eta, sin phi, cos phi)``, shape (B, P, 4), float32.

    The trigonometric form of phi spares the network the discontinuity at phi = +-pi (ICLR
    A.1.3).
    """
    w = tf.cast(weights, tf.float32)                           # (B, P)
    p = tf.cast(points, tf.float32)                            # (B, P, 2)
    return tf.stack([w, p[..., 0], tf.sin(p[..., 1]), tf.cos(p[..., 1])], axis=-1)


def jet_batch(weights, points) -> dict[str, np.ndarray]:
    """The training-data dictionary the model's steps take: ``{"weights", "points"}``, float64.

    Parameters
    ----------
    weights : array, shape (N, P)
        ``pT / H_T``, rows summing to 1, padding 0.
    points : array, shape (N, P, 2)
        ``(eta, phi)``.
    """
    w = check_array(weights, name="weights", func="jet_batch", ndim=2)
    p = check_array(points, name="points", func="jet_batch", shape=(w.shape[0], w.shape[1], 2))
    if w.min() < 0:
        raise ValueError(f"jet_batch: `weights` must be non-negative (padding is 0); got min "
                         f"{w.min():.3g}.")
    sums = w.sum(axis=1)
    if np.any(np.abs(sums - 1) > 1e-5):
        bad = int(np.argmax(np.abs(sums - 1)))
        raise ValueError(f"jet_batch: every jet's `weights` must sum to 1 (pT / H_T); jet {bad} "
                         f"sums to {sums[bad]:.6g}.")
    return {"weights": w, "points": p}


class JetVAE(keras.Model):
    """PFN encoder -> diagonal Gaussian posterior (optionally per category) -> dense decoder.

    Parameters
    ----------
    config : JetVAEConfig
    beta_hat : float
        Initial :math:`\\hat\\beta` (dimensionless; :math:`\\beta = \\langle H_T\\rangle
        \\hat\\beta` in GeV).  A non-trainable variable: assign to ``model.beta_hat``.
    """

    def __init__(self, config: JetVAEConfig = JetVAEConfig(), beta_hat: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        check_positive(beta_hat, name="beta_hat", func="JetVAE")
        self.config = config
        c = config
        seeds = iter(range(c.seed * 1000, c.seed * 1000 + 1000))
        init = lambda: keras.initializers.GlorotUniform(seed=next(seeds))   # noqa: E731

        def leaky(width, name):
            return keras.layers.Dense(width, activation=None, kernel_initializer=init(), name=name)
        # Activations are applied explicitly (LeakyReLU(0.1), ICLR A.1.3).
        self.activation = keras.layers.LeakyReLU(negative_slope=c.leaky_slope)
        # A Dense layer on (B, P, features) is the papers' Conv1D with kernel size 1.
        self.pfn_layers = [leaky(w, f"pfn_{i}") for i, w in enumerate(c.pfn_widths)]
        self.encoder_layers = [leaky(w, f"enc_{i}") for i, w in enumerate(c.encoder_widths)]
        self.mean_head = keras.layers.Dense(c.latent_dim, kernel_initializer=init(), name="mean")
        # Zero kernel: every posterior starts at sigma = 1 (uninformative), as in the toy VAE.
        self.log_var_head = keras.layers.Dense(c.latent_dim, kernel_initializer="zeros",
                                               name="log_var")
        self.category_head = (keras.layers.Dense(c.n_categories, kernel_initializer=init(),
                                                 name="category") if c.n_categories else None)
        self.decoder_layers = [leaky(w, f"dec_{i}") for i, w in enumerate(c.decoder_widths)]
        self.output_layer = keras.layers.Dense(c.n_particles * 4, kernel_initializer=init(),
                                               name="particles")
        self.seed_generator = keras.random.SeedGenerator(c.seed)
        self.beta_hat = self.add_weight(shape=(), initializer=keras.initializers.Constant(beta_hat),
                                        trainable=False, name="beta_hat")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.distortion_tracker = keras.metrics.Mean(name="distortion")
        self.rate_tracker = keras.metrics.Mean(name="rate")
        self.kl_tracker = VectorMean(c.latent_dim, name="kl_per_latent")
        self.category_kl_tracker = keras.metrics.Mean(name="category_kl")

    @property
    def metrics(self):
        return [self.loss_tracker, self.distortion_tracker, self.rate_tracker, self.kl_tracker,
                self.category_kl_tracker]

    # ------------------------------------------------------------------------------ encoder
    def features(self, weights, points):
        """The PFN summary of each jet, shape (B, H): per-particle MLP, masked sum, dense MLP."""
        h = jet_inputs(weights, points)                       # (B, P, 4)
        for layer in self.pfn_layers:
            h = self.activation(layer(h))                     # (B, P, W)
        # Padding particles (weight 0) are masked out of the sum: their positions are arbitrary
        # (the original put them on the jet axis) and must not change the encoding.
        # The masked sum as a matrix-vector product: the same sum, and its gradient is an outer
        # product rather than a broadcast (TensorFlow's Tile, several ms a step on a CPU).
        mask = tf.cast(tf.cast(weights, tf.float32) > 0, tf.float32)              # (B, P)
        h = tf.linalg.matvec(h, mask, transpose_a=True)       # (B, W) = sum_p mask_p h_p
        for layer in self.encoder_layers:
            h = self.activation(layer(h))                     # (B, H)
        return h

    def _onehots(self, batch: tf.Tensor) -> tf.Tensor:
        """One-hot codes of every category broadcast over the batch, (B, C, C)."""
        eye = tf.eye(self.config.n_categories, dtype=tf.float32)
        return tf.broadcast_to(eye[None], tf.stack([batch, self.config.n_categories,
                                                    self.config.n_categories]))

    def posterior_params(self, h):
        """Means and log-variances per category slot, each (B, K, n) with K = max(C, 1)."""
        if self.config.n_categories:
            codes = self._onehots(tf.shape(h)[0])                                 # (B, C, C)
            h = tf.concat([tf.broadcast_to(h[:, None, :], tf.concat(
                [tf.shape(codes)[:2], tf.shape(h)[1:]], 0)), codes], axis=-1)     # (B, C, H+C)
        else:
            h = h[:, None, :]                                                      # (B, 1, H)
        return self.mean_head(h), self.log_var_head(h)

    def category_probs(self, h):
        """:math:`q(c|x)`, shape (B, K); all ones without categories."""
        if not self.config.n_categories:
            return tf.ones(tf.stack([tf.shape(h)[0], 1]), tf.float32)
        return tf.nn.softmax(self.category_head(h), axis=-1)

    def encode(self, weights, points, category=None):
        """Posterior means and log-variances, each (B, n).

        With categories, those of ``category`` (an int), or of each jet's most probable one.
        """
        h = self.features(weights, points)
        mean, log_var = self.posterior_params(h)                   # (B, K, n)
        if not self.config.n_categories:
            return mean[:, 0], log_var[:, 0]
        if category is None:
            index = tf.argmax(self.category_probs(h), axis=-1, output_type=tf.int32)
        else:
            index = tf.fill(tf.shape(h)[:1], tf.constant(int(category), tf.int32))
        return (tf.gather(mean, index, axis=1, batch_dims=1),
                tf.gather(log_var, index, axis=1, batch_dims=1))

    def classify(self, weights, points):
        """:math:`q(c|x)` for a batch of jets, (B, C) (requires ``n_categories > 0``)."""
        if not self.config.n_categories:
            raise ValueError("JetVAE.classify: this model has no categorical latent "
                             "(JetVAEConfig(n_categories=0)).")
        return self.category_probs(self.features(weights, points))

    # ------------------------------------------------------------------------------ decoder
    def decode(self, z, category=None):
        """Decoded jets: weights (..., P) (softmax, summing to 1) and points (..., P, 2).

        ``z`` is (..., n); with categories, ``category`` (an int) or a one-hot (..., C) tensor
        is appended to it.
        """
        h = tf.convert_to_tensor(z, tf.float32)
        if self.config.n_categories:
            if category is None:
                raise ValueError("JetVAE.decode: this model has a categorical latent; pass "
                                 "`category` (an int in [0, n_categories) or one-hot codes).")
            if isinstance(category, (int, np.integer)):
                code = tf.one_hot(int(category), self.config.n_categories)
                category = tf.broadcast_to(code, tf.concat([tf.shape(h)[:-1],
                                                            [self.config.n_categories]], 0))
            h = tf.concat([h, tf.cast(category, tf.float32)], axis=-1)
        for layer in self.decoder_layers:
            h = self.activation(layer(h))
        out = self.output_layer(h)                                           # (..., 4P)
        out = tf.reshape(out, tf.concat([tf.shape(out)[:-1], [self.config.n_particles, 4]], 0))
        weights = tf.nn.softmax(out[..., 0], axis=-1)                        # (..., P)
        # phi from (sin, cos): no discontinuity for the network to learn (ICLR A.1.3)
        phi = tf.atan2(out[..., 2], out[..., 3])
        return weights, tf.stack([out[..., 1], phi], axis=-1)                # (..., P, 2)

    def call(self, inputs, training=False):
        """Reconstruct from the posterior means (of the most probable category)."""
        mean, _ = self.encode(inputs["weights"], inputs["points"])
        if not self.config.n_categories:
            return self.decode(mean)
        h = self.features(inputs["weights"], inputs["points"])
        index = tf.argmax(self.category_probs(h), axis=-1)
        return self.decode(mean, tf.one_hot(index, self.config.n_categories))

    # ------------------------------------------------------------------------------ loss
    def _sample(self, mean, log_var):
        seed = tf.cast(self.seed_generator.next(), tf.int32)
        eps = tf.random.stateless_normal(tf.shape(mean), seed=seed, dtype=mean.dtype)
        return mean + tf.exp(0.5 * log_var) * eps

    def loss_terms(self, weights, points, noise=None):
        """Per-jet terms of Eq. 1: ``(loss (B,), distortion (B,), kl (B, n), category_kl (B,))``.

        ``noise`` (B, K, n) replaces the model's own sampler (for evaluations with fixed noise).
        """
        c = self.config
        h = self.features(weights, points)                                   # (B, H)
        mean, log_var = self.posterior_params(h)                             # (B, K, n)
        if noise is None:
            z = self._sample(mean, log_var)
        else:
            z = mean + tf.exp(0.5 * log_var) * tf.cast(noise, tf.float32)
        if c.n_categories:
            out_w, out_p = self.decode(z, self._onehots(tf.shape(h)[0]))     # (B, C, P), (B, C, P, 2)
        else:
            out_w, out_p = self.decode(z)                                    # (B, 1, P), (B, 1, P, 2)
        k = c.n_slots
        # Each input jet is compared with the decoding of each category slot: (B K) pairs.
        x_w = tf.repeat(tf.cast(weights, tf.float64), k, axis=0)             # (B K, P)
        x_p = tf.repeat(tf.cast(points, tf.float64), k, axis=0)              # (B K, P, 2)
        # A diverging decoder gives NaN costs (invalid="nan"), so that train() sees a NaN loss and
        # recovers; NaN input jets are refused before the first step (models.training.train).
        s_hat = sinkhorn_emd(x_w, x_p, tf.reshape(out_w, (-1, c.n_particles)),
                             tf.reshape(out_p, (-1, c.n_particles, 2)), invalid="nan",
                             **c.sinkhorn_kwargs)
        # S^2 in float64, then float32 for the rest of the loss.
        distortion = tf.reshape(tf.cast(tf.square(s_hat), tf.float32), (-1, k))   # (B, K)
        kl = kl_per_latent(mean, log_var)                                     # (B, K, n)
        q = self.category_probs(h)                                            # (B, K)
        beta2 = tf.square(self.beta_hat)
        per_slot = distortion / (2.0 * beta2) + tf.reduce_sum(kl, axis=-1)    # (B, K)
        if c.n_categories:
            log_q = tf.math.log(tf.maximum(q, 1e-12))
            category_kl = tf.reduce_sum(q * (log_q + np.log(c.n_categories)), axis=-1)
        else:
            category_kl = tf.zeros_like(q[:, 0])
        loss = tf.reduce_sum(q * per_slot, axis=-1) + category_kl             # (B,)
        return (loss, tf.reduce_sum(q * distortion, axis=-1),
                tf.einsum("bk,bkn->bn", q, kl), category_kl)

    def _update(self, loss, distortion, kl, category_kl):
        self.loss_tracker.update_state(loss)
        self.distortion_tracker.update_state(distortion)
        self.rate_tracker.update_state(tf.reduce_sum(kl, axis=-1) + category_kl)
        self.kl_tracker.update_state(kl)
        self.category_kl_tracker.update_state(category_kl)
        return {"loss": self.loss_tracker.result(), "distortion": self.distortion_tracker.result(),
                "rate": self.rate_tracker.result(),
                "category_kl": self.category_kl_tracker.result()}

    def train_step(self, data):
        with tf.GradientTape() as tape:
            loss, distortion, kl, category_kl = self.loss_terms(data["weights"], data["points"])
            mean_loss = tf.reduce_mean(loss)
        grads = tape.gradient(mean_loss, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        return self._update(loss, distortion, kl, category_kl)

    def test_step(self, data):
        return self._update(*self.loss_terms(data["weights"], data["points"]))

    def measure(self, data, *, batch_size: int = 100, seed: int = 0) -> dict:
        """Distortion, rate and per-latent statistics on ``data`` with fixed posterior noise.

        The noise of jet ``j`` is drawn from ``(seed, j)`` and is the same at every ``beta``
        (common random numbers: the finite differences of D and R between neighbouring steps
        of an annealing run then do not carry the sampling noise of two independent draws), and
        the model's own sampler is left untouched (a resumed training draws what an
        uninterrupted one would).

        Parameters
        ----------
        data : dict
            ``{"weights": (N, P), "points": (N, P, 2)}`` (:func:`jet_batch`).
        batch_size : int
            Jets per Sinkhorn call; the last partial batch is padded to this size (one compiled
            shape).

        Returns
        -------
        dict
            ``loss``, ``distortion`` (:math:`\\langle\\hat S^2\\rangle`), ``emd``
            (:math:`\\langle\\hat S\\rangle`), ``rate`` (nats), ``category_kl`` (floats);
            ``kl_per_latent`` and ``log_sigma`` (mean of :math:`\\log\\sigma_i` over jets), lists
            of ``latent_dim`` floats.
        """
        batch_size = check_int(batch_size, name="batch_size", func="JetVAE.measure", minimum=1)
        n = len(data["weights"])
        if n < 1:
            raise ValueError("JetVAE.measure: `data` holds no jets.")
        k, dim = self.config.n_slots, self.config.latent_dim
        sums = {"loss": 0.0, "distortion": 0.0, "emd": 0.0, "category_kl": 0.0}
        kl_sum, log_sigma_sum = np.zeros(dim), np.zeros(dim)
        for start in range(0, n, batch_size):
            index = np.arange(start, start + batch_size)
            live = index < n
            index = np.where(live, index, start)     # pad with copies of the batch's first jet
            noise = np.stack([np.random.default_rng([seed, j]).standard_normal((k, dim))
                              for j in index]).astype(np.float32)
            w, p = data["weights"][index], data["points"][index]
            loss, distortion, kl, category_kl = self.loss_terms(w, p, noise=noise)
            _, log_var = self.encode(w, p)
            live_f = live.astype(np.float64)
            sums["loss"] += float(np.sum(np.asarray(loss) * live_f))
            sums["distortion"] += float(np.sum(np.asarray(distortion) * live_f))
            sums["emd"] += float(np.sum(np.sqrt(np.asarray(distortion, np.float64)) * live_f))
            sums["category_kl"] += float(np.sum(np.asarray(category_kl) * live_f))
            kl_sum += np.asarray(kl, np.float64)[live].sum(axis=0)
            log_sigma_sum += 0.5 * np.asarray(log_var, np.float64)[live].sum(axis=0)
        out = {key: value / n for key, value in sums.items()}
        out["kl_per_latent"] = (kl_sum / n).tolist()
        out["log_sigma"] = (log_sigma_sum / n).tolist()
        out["rate"] = float(np.sum(kl_sum / n) + out["category_kl"])
        return out

    def ensure_built(self) -> "JetVAE":
        """Create every variable (one forward pass on a dummy jet) so weights can be loaded."""
        if not self.built or not self.output_layer.built:
            p = self.config.n_particles
            w = np.full((1, p), 1.0 / p)
            pts = np.zeros((1, p, 2))
            h = self.features(w, pts)
            mean, _ = self.posterior_params(h)
            self.category_probs(h)
            self.decode(mean, self._onehots(1) if self.config.n_categories else None)
            self.built = True
        return self


# ---------------------------------------------------------------------------------- helpers
def config_from_dict(values: dict) -> JetVAEConfig:
    """Rebuild a :class:`JetVAEConfig` from its ``dataclasses.asdict`` (lists back to tuples)."""
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in values.items()}
    return JetVAEConfig(**values)


def _batches(n: int, batch_size: int):
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def encode_jets(model: JetVAE, weights, points, *, batch_size: int = 1000,
                category: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means and log-variances of jets, in batches, as float64 arrays (N, n).

    Parameters
    ----------
    model : JetVAE
    weights : array, shape (N, P)
        ``pT / H_T`` (rows sum to 1; zero = padding).
    points : array, shape (N, P, 2)
        ``(eta, phi)``; centred or not as the model was trained.
    batch_size : int
    category : int, optional
        With a categorical latent, the category whose posterior is returned (default: each jet's
        most probable one).
    """
    data = jet_batch(weights, points)
    batch_size = check_int(batch_size, name="batch_size", func="encode_jets", minimum=1)
    means, log_vars = [], []
    for sl in _batches(len(data["weights"]), batch_size):
        m, lv = model.encode(data["weights"][sl], data["points"][sl], category=category)
        means.append(np.asarray(m, np.float64))
        log_vars.append(np.asarray(lv, np.float64))
    return np.concatenate(means), np.concatenate(log_vars)


def decode_latents(model: JetVAE, z, *, category=None, batch_size: int = 1000
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Decode latent vectors ``z`` (N, n) to jets: weights (N, P) summing to 1, points (N, P, 2).

    ``category`` (models with a categorical latent): an int for all rows, or one-hot codes (N, C).
    """
    z = check_array(z, name="z", func="decode_latents", ndim=2)
    if z.shape[1] != model.config.latent_dim:
        raise ValueError(f"decode_latents: `z` must have {model.config.latent_dim} columns (the "
                         f"model's latent_dim); got shape {z.shape}.")
    batch_size = check_int(batch_size, name="batch_size", func="decode_latents", minimum=1)
    ws, ps = [], []
    for sl in _batches(len(z), batch_size):
        cat = category
        if cat is not None and not isinstance(cat, (int, np.integer)):
            cat = np.asarray(cat)[sl]
        w, p = model.decode(z[sl].astype(np.float32), cat)
        ws.append(np.asarray(w, np.float64))
        ps.append(np.asarray(p, np.float64))
    return np.concatenate(ws), np.concatenate(ps)


def classify_jets(model: JetVAE, weights, points, *, batch_size: int = 1000) -> np.ndarray:
    """:math:`q(c|x)` of jets, (N, C), for a model with a categorical latent."""
    data = jet_batch(weights, points)
    batch_size = check_int(batch_size, name="batch_size", func="classify_jets", minimum=1)
    return np.concatenate([np.asarray(model.classify(data["weights"][sl], data["points"][sl]),
                                      np.float64)
                           for sl in _batches(len(data["weights"]), batch_size)])


def decoder_of(model: JetVAE, *, category: int | None = None):
    """``decode(z) -> (weights, points)`` of a trained JetVAE (:func:`decode_latents`), the decode
    callable that :mod:`latentdims.plotting.jet_vae` and :mod:`latentdims.maths.latent_measures`
    take (``category`` for a model with a categorical latent)."""
    def decode(z):
        return decode_latents(model, z, category=category)
    return decode


def category_rates(model: JetVAE, weights, points, *, n_categories: int, batch_size: int = 1000
                   ) -> np.ndarray:
    r"""Mean KL of the Gaussian posterior :math:`q(z|x, c)` of each category, per latent.

    .. math::
        R_{ci} = \frac1N\sum_k \tfrac12\left(\mu_{ci}(x_k)^2 + \sigma_{ci}(x_k)^2
                 - \log\sigma_{ci}(x_k)^2 - 1\right)

    over the jets given (e.g. those the classifier puts in category :math:`c`).  A category
    whose decoder ignores the substructure latents (the talks' light jets, talk 'The Learnt Geometry of Collider Events', slide 'Mixed Samples') has
    small :math:`R_{ci}` in them.

    Returns
    -------
    ndarray, shape (C, n), nats
    """
    n_categories = check_int(n_categories, name="n_categories", func="category_rates",
                             minimum=1)
    out = []
    for c in range(n_categories):
        mu, log_var = encode_jets(model, weights, points, batch_size=batch_size, category=c)
        out.append(np.mean(0.5 * (mu ** 2 + np.exp(log_var) - log_var - 1.0), axis=0))
    return np.array(out)


def traversal_grid(model: JetVAE, dims, values_x, values_y, *, category=None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Decode a grid over latent directions ``dims = (i, j)``, every other latent at 0.

    Returns weights (ny, nx, P) and points (ny, nx, P, 2): row ``r`` has ``z_j = values_y[r]``,
    column ``c`` has ``z_i = values_x[c]`` (image order for plotting).
    """
    vx = check_array(values_x, name="values_x", func="traversal_grid", ndim=1)
    vy = check_array(values_y, name="values_y", func="traversal_grid", ndim=1)
    n = model.config.latent_dim
    i, j = (check_int(d, name="dims", func="traversal_grid", minimum=0) for d in dims)
    if max(i, j) >= n or i == j:
        raise ValueError(f"traversal_grid: `dims` must be two different latent indices below "
                         f"{n}; got {tuple(dims)!r}.")
    z = np.zeros((len(vy), len(vx), n))
    z[..., i] = vx[None, :]
    z[..., j] = vy[:, None]
    w, p = decode_latents(model, z.reshape(-1, n), category=category)
    return (w.reshape(len(vy), len(vx), -1), p.reshape(len(vy), len(vx), -1, 2))
