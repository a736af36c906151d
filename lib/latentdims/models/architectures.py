r"""The encoders and decoders of the thesis' appendix tables, with every layer's output by name.

Two families, for 64x64 images with ``channels`` channels (pixels in [0, 1]) and ``n`` latents:

``"conv"`` (thesis Tables A.2, C.3, D.2; disentanglement_lib's ``conv_encoder``/``deconv_decoder``)
    ======================  =========================  =======================================
    name                    layer                      output shape
    ======================  =========================  =======================================
    ``encoder/1``           Conv 32, k4, s2, ReLU      (B, 32, 32, 32)
    ``encoder/2``           Conv 32, k4, s2, ReLU      (B, 16, 16, 32)
    ``encoder/3``           Conv 64, k2, s2, ReLU      (B, 8, 8, 64)
    ``encoder/4``           Conv 64, k2, s2, ReLU      (B, 4, 4, 64)
    ``encoder/5``           Flatten (+ concat u)       (B, 1024 + k)
    ``encoder/6``           FC 256 + k, ReLU           (B, 256 + k)
    ``mean``, ``log_var``   two FC n heads             (B, n), (B, n)
    ``decoder/1``           FC 256, ReLU               (B, 256)
    ``decoder/2``           FC 1024, ReLU + reshape    (B, 4, 4, 64)
    ``decoder/3``           Deconv 64, k4, s2, ReLU    (B, 8, 8, 64)
    ``decoder/4``           Deconv 32, k4, s2, ReLU    (B, 16, 16, 32)
    ``decoder/5``           Deconv 32, k4, s2, ReLU    (B, 32, 32, 32)
    ``decoder/6``           Deconv C, k4, s2, linear   (B, 64, 64, C): Bernoulli logits
    ======================  =========================  =======================================

``"fc"`` (thesis Tables C.4, D.3; disentanglement_lib's ``fc_encoder``/``fc_decoder``)
    ``encoder/1`` Flatten (+ concat u) (B, 4096 C + k), ``encoder/2`` and ``encoder/3`` FC 1200
    ReLU, heads ``mean``/``log_var`` (B, n); ``decoder/1``-``decoder/3`` FC 1200 tanh,
    ``decoder/4`` FC 4096 C linear reshaped to (B, 64, 64, C): Bernoulli logits.

``k`` is the size of the iVAE's auxiliary variable ``u`` (thesis Table A.2: u in R^5, hence the
printed "FC 261" = 256 + 5), 0 for the other models.

Where the printed tables and the code differ (the thesis' Tables C.1 and D.1 against the author's public code), this
module follows the code the thesis ran, since that is what produced its figures:

* input 64x64xC, not "64x63xC" (a typo in Tables C.3/C.4/D.2/D.3);
* the third and fourth convolutions have 2x2 kernels (disentanglement_lib and the author's Keras
  code), not 4x4 as printed; ``kernel_sizes=(4, 4, 4, 4)`` gives the printed variant;
* every convolution uses ``padding="same"`` (not stated in the tables);
* "FC, strides=2" in Tables C.3/D.2 is meaningless and ignored;
* the decoder of Table A.2 jumps from FC 256 to the first deconvolution: the FC 4x4x64 layer of
  Tables C.3/D.2 (FC 1024 and a reshape) is used for every model;
* the last deconvolution (and the FC decoder's output layer) is linear: its outputs are Bernoulli
  logits, not ReLU outputs as printed;
* the FC decoder has three FC 1200 tanh layers and a linear output layer (code), not "256, 1200,
  1200" without an output layer (Tables C.4/D.3); ``fc_decoder_widths=(256, 1200, 1200)`` gives
  the printed widths;
* "FC, output shape 2 x n" is two separate FC n heads: the mean and the log-variance.

The variance representation is ``exp(log_var)`` (the thesis' sigma is a
*variance*, as in its notation section).
"""
from __future__ import annotations

from typing import Sequence

import keras
import numpy as np
import tensorflow as tf

__all__ = ["ARCHITECTURES", "IMAGE_SIZE", "Encoder", "Decoder", "check_image_shape", "seeded"]

ARCHITECTURES = ("conv", "fc")
IMAGE_SIZE = 64
CONV_FILTERS = (32, 32, 64, 64)        # Tables C.3 / D.2 / A.2
CONV_KERNELS = (4, 4, 2, 2)            # the code; the tables print 4, 4, 4, 4
DECONV_FILTERS = (64, 32, 32)          # then `channels` filters for the logits
CONV_DENSE = 256                       # FC 256 (Table A.2: 256 + 5 with u)
FC_ENCODER_WIDTHS = (1200, 1200)       # Tables C.4 / D.3
FC_DECODER_WIDTHS = (1200, 1200, 1200)  # the code; the tables print 256, 1200, 1200


def seeded(seed: int, index: int) -> keras.initializers.Initializer:
    """Glorot-uniform initialiser (the Keras and TF1 default) with a seed derived from (seed, index).

    Every layer gets its own stream, so that one model seed fixes every initial weight without
    touching Keras' global random state.
    """
    derived = int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1)[0] >> 1)
    return keras.initializers.GlorotUniform(seed=derived)


def check_image_shape(shape: Sequence, channels: int, *, func: str, name: str = "x") -> None:
    """Raise a ``ValueError`` unless ``shape`` is (batch, 64, 64, channels).

    Works on NumPy shapes and on the static shapes of tensors being traced (unknown sizes are
    ``None`` and only the batch size may be unknown).
    """
    shape = tuple(None if s is None else int(s) for s in shape)
    want = (IMAGE_SIZE, IMAGE_SIZE, int(channels))
    if len(shape) != 4 or shape[1:] != want:
        got = "(" + ", ".join("?" if s is None else str(s) for s in shape) + ")"
        raise ValueError(
            f"{func}: `{name}` must be a batch of {IMAGE_SIZE}x{IMAGE_SIZE} images with {channels} "
            f"channel(s), shape (batch, {IMAGE_SIZE}, {IMAGE_SIZE}, {channels}); got {got}. "
            f"Resize the images to 64x64 (the thesis' input, thesis Sec. 8.4.1) or build the model with "
            f"the images' number of channels.")


def _check_architecture(architecture: str, func: str) -> str:
    if architecture not in ARCHITECTURES:
        raise ValueError(f"{func}: unknown `architecture` {architecture!r}; expected one of "
                         f"{', '.join(repr(a) for a in ARCHITECTURES)}.")
    return architecture


class Encoder(keras.layers.Layer):
    """Image (and auxiliary variable) to the posterior's mean and log-variance.

    Parameters
    ----------
    architecture : {"conv", "fc"}
    latent_dim : int
        n, the number of latent variables.
    channels : int
        C, the images' channels.
    aux_dim : int
        k, the size of the iVAE's auxiliary input u (0: no u).  Concatenated to the flattened
        features; the conv encoder's FC layer then has 256 + k units (Table A.2's "261").
    variance_head : bool
        False for the deterministic autoencoder: only the ``mean`` head (the code).
    kernel_sizes : tuple of 4 ints
        Conv kernels; ``(4, 4, 2, 2)`` as in the code, ``(4, 4, 4, 4)`` as printed.
    seed : int
        Seeds the initial weights.
    """

    def __init__(self, architecture: str, latent_dim: int, channels: int, *, aux_dim: int = 0,
                 variance_head: bool = True, kernel_sizes: Sequence[int] = CONV_KERNELS,
                 seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.architecture = _check_architecture(architecture, "Encoder")
        self.latent_dim, self.channels, self.aux_dim = int(latent_dim), int(channels), int(aux_dim)
        self.variance_head = bool(variance_head)
        if architecture == "conv":
            self.convs = [keras.layers.Conv2D(f, k, strides=2, padding="same", activation="relu",
                                              kernel_initializer=seeded(seed, i))
                          for i, (f, k) in enumerate(zip(CONV_FILTERS, kernel_sizes))]
            widths = (CONV_DENSE + self.aux_dim,)
        else:
            self.convs = []
            widths = FC_ENCODER_WIDTHS
        self.dense = [keras.layers.Dense(w, activation="relu", kernel_initializer=seeded(seed, 10 + i))
                      for i, w in enumerate(widths)]
        self.mean_head = keras.layers.Dense(self.latent_dim, kernel_initializer=seeded(seed, 20))
        self.log_var_head = (keras.layers.Dense(self.latent_dim, kernel_initializer=seeded(seed, 21))
                             if self.variance_head else None)

    def trace(self, x, u=None) -> list[tuple[str, tf.Tensor]]:
        """Every layer's output in order: ``encoder/1`` ... , ``mean`` (and ``log_var``)."""
        out, h = [], x                                         # (B, 64, 64, C)
        for layer in self.convs:
            h = layer(h)                                       # (B, 32..4, 32..4, 32|64)
            out.append(h)
        h = tf.reshape(h, (tf.shape(h)[0], -1))                # (B, 1024) or (B, 4096 C)
        if self.aux_dim:
            h = tf.concat([h, tf.cast(u, h.dtype)], axis=-1)   # (B, 1024 + k)
        out.append(h)
        for layer in self.dense:
            h = layer(h)                                       # (B, 256 + k) or (B, 1200)
            out.append(h)
        names = [f"encoder/{i + 1}" for i in range(len(out))]
        out.append(self.mean_head(h))                          # (B, n)
        names.append("mean")
        if self.log_var_head is not None:
            out.append(self.log_var_head(h))                   # (B, n)
            names.append("log_var")
        return list(zip(names, out))

    def call(self, x, u=None):
        outputs = dict(self.trace(x, u))
        if self.log_var_head is None:
            return outputs["mean"]
        return outputs["mean"], outputs["log_var"]


class Decoder(keras.layers.Layer):
    """Latent code (B, n) to Bernoulli logits (B, 64, 64, C).

    Parameters
    ----------
    architecture : {"conv", "fc"}
    channels : int
    fc_decoder_widths : tuple of int
        The FC decoder's hidden widths: ``(1200, 1200, 1200)`` as in the code,
        ``(256, 1200, 1200)`` as printed in Tables C.4/D.3.
    seed : int
    """

    def __init__(self, architecture: str, channels: int, *,
                 fc_decoder_widths: Sequence[int] = FC_DECODER_WIDTHS, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.architecture = _check_architecture(architecture, "Decoder")
        self.channels = int(channels)
        if architecture == "conv":
            self.dense = [keras.layers.Dense(w, activation="relu", kernel_initializer=seeded(seed, 30 + i))
                          for i, w in enumerate((256, 4 * 4 * 64))]
            self.deconvs = [keras.layers.Conv2DTranspose(f, 4, strides=2, padding="same",
                                                         activation=a,
                                                         kernel_initializer=seeded(seed, 40 + i))
                            for i, (f, a) in enumerate(zip(DECONV_FILTERS + (self.channels,),
                                                           ("relu",) * 3 + (None,)))]
        else:
            self.dense = [keras.layers.Dense(w, activation="tanh", kernel_initializer=seeded(seed, 30 + i))
                          for i, w in enumerate(fc_decoder_widths)]
            self.dense.append(keras.layers.Dense(IMAGE_SIZE * IMAGE_SIZE * self.channels,
                                                 kernel_initializer=seeded(seed, 39)))
            self.deconvs = []

    def trace(self, z) -> list[tuple[str, tf.Tensor]]:
        """Every layer's output in order, ``decoder/1`` ... ; the last one is the logits."""
        out, h = [], z                                         # (B, n)
        for layer in self.dense:
            h = layer(h)                                       # (B, 256 | 1024 | 1200 | 4096 C)
            out.append(h)
        if self.deconvs:
            h = tf.reshape(h, (-1, 4, 4, 64))                  # (B, 4, 4, 64)
            out[-1] = h
            for layer in self.deconvs:
                h = layer(h)                                   # (B, 8..64, 8..64, 64|32|C)
                out.append(h)
        else:
            out[-1] = tf.reshape(h, (-1, IMAGE_SIZE, IMAGE_SIZE, self.channels))  # (B, 64, 64, C)
        return [(f"decoder/{i + 1}", h) for i, h in enumerate(out)]

    def call(self, z):
        return self.trace(z)[-1][1]
