r"""The factor classifier of thesis Fig C.1: the conv encoder (Table C.3) up to its FC 256 layer,
then one softmax layer per ground-truth factor, trained with the summed cross-entropies.

.. math::
    \mathcal L = -\sum_{k=1}^{K} \log p_k\big(y_k \mid \mathbf x\big)

where :math:`K` is the number of factors that take more than one value and :math:`p_k` the
softmax output of head ``class_<k>``.

The thesis only says "the convolutional architecture of an encoder for classification, replacing
the mean and variance layers by the final classifier layers" (thesis App. C.3); the loss and the training
(Adam with beta_1 0.9, beta_2 0.999, epsilon 1e-8, batches drawn without replacement, the VAEs'
steps) follow the author's public code.  The cached training lives in
:mod:`latentdims.studies.thesis_ch7`.

Layers (names as in the VAEs' conv encoder, :mod:`latentdims.models.architectures`):
``encoder_1``-``encoder_4`` (convolutions), ``encoder_5`` (flatten), ``encoder_6`` (FC 256,
ReLU), ``class_0`` ... ``class_<K-1>`` (softmax heads).
"""
from __future__ import annotations

from typing import Sequence

import keras
import numpy as np

from latentdims.core.validation import check_int, check_positive
from latentdims.models.architectures import CONV_DENSE, CONV_FILTERS, CONV_KERNELS, IMAGE_SIZE, seeded

__all__ = ["build_classifier", "fit_classifier", "classifier_accuracy"]


def build_classifier(channels: int, factor_sizes: Sequence[int], *, seed: int = 0) -> keras.Model:
    """The functional Keras classifier for 64x64 images with ``channels`` channels.

    Parameters
    ----------
    channels : int
        Image channels (1 for dSprites, 3 for Cars3D).
    factor_sizes : sequence of int
        Number of classes of each head (one head per factor).
    seed : int
        Seeds every layer's initial weights (:func:`~latentdims.models.architectures.seeded`).

    Returns
    -------
    keras.Model
        Input (B, 64, 64, channels); one output (B, factor_sizes[k]) per head.

    Examples
    --------
    >>> model = build_classifier(1, (3, 6), seed=0)
    >>> [layer.name for layer in model.layers][-2:], model.output_shape
    (['class_0', 'class_1'], [(None, 3), (None, 6)])
    """
    func = "build_classifier"
    channels = check_int(channels, name="channels", func=func, minimum=1)
    sizes = [check_int(s, name="factor_sizes", func=func, minimum=1) for s in factor_sizes]
    if not sizes:
        raise ValueError(f"{func}: `factor_sizes` is empty; give the number of classes of at "
                         f"least one factor.")
    x = keras.Input((IMAGE_SIZE, IMAGE_SIZE, channels), name="input")
    h = x
    for i, (f, k) in enumerate(zip(CONV_FILTERS, CONV_KERNELS)):
        # (B, 64, 64, C) -> (B, 32, 32, 32) -> ... -> (B, 4, 4, 64)
        h = keras.layers.Conv2D(f, k, strides=2, padding="same", activation="relu",
                                kernel_initializer=seeded(seed, i), name=f"encoder_{i + 1}")(h)
    h = keras.layers.Flatten(name="encoder_5")(h)                          # (B, 1024)
    h = keras.layers.Dense(CONV_DENSE, activation="relu", kernel_initializer=seeded(seed, 10),
                           name="encoder_6")(h)                            # (B, 256)
    outputs = [keras.layers.Dense(size, activation="softmax", kernel_initializer=seeded(seed, 20 + j),
                                  name=f"class_{j}")(h) for j, size in enumerate(sizes)]
    return keras.Model(x, outputs, name="classifier")


def fit_classifier(images, classes, factor_sizes: Sequence[int], *, steps: int,
                   batch_size: int = 64, learning_rate: float = 1e-3,
                   seed: int = 0) -> tuple[keras.Model, list[float]]:
    """Build (:func:`build_classifier`) and train a classifier; returns it and its loss per step.

    Each step takes ``batch_size`` images of a seeded permutation of the training set (sorted
    indices; a new permutation when it runs out), so ``seed`` fixes the initial weights and the
    batch order.

    Parameters
    ----------
    images : array (n, 64, 64, channels)
    classes : int array (n, K)
        The class of each factor, in ``range(factor_sizes[k])``.
    factor_sizes : sequence of int, length K
    steps, batch_size : int
    learning_rate : float
        Adam's learning rate (the VAEs').
    seed : int

    Returns
    -------
    model : keras.Model
    losses : list of float, length ``steps``
        The summed cross-entropy of each training batch.
    """
    func = "fit_classifier"
    steps = check_int(steps, name="steps", func=func, minimum=1)
    batch_size = check_int(batch_size, name="batch_size", func=func, minimum=1)
    check_positive(learning_rate, name="learning_rate", func=func)
    classes = np.asarray(classes)
    if classes.ndim != 2 or classes.shape != (len(images), len(factor_sizes)):
        raise ValueError(f"{func}: `classes` must have shape (n_images, n_factors) = "
                         f"({len(images)}, {len(factor_sizes)}); got {classes.shape}.")
    if batch_size > len(images):
        raise ValueError(f"{func}: `batch_size` {batch_size} exceeds the {len(images)} training "
                         f"images; lower it or give more images.")
    keras.utils.set_random_seed(seed)
    model = build_classifier(images.shape[-1], factor_sizes, seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.9, beta_2=0.999,
                                                  epsilon=1e-8),
                  loss=["sparse_categorical_crossentropy"] * len(factor_sizes))
    rng = np.random.default_rng(seed)
    losses = []
    order = rng.permutation(len(images))
    pos = 0
    for _ in range(steps):
        if pos + batch_size > len(order):
            order, pos = rng.permutation(len(images)), 0
        idx = np.sort(order[pos:pos + batch_size])
        pos += batch_size
        out = model.train_on_batch(images[idx], [classes[idx, j] for j in range(len(factor_sizes))])
        losses.append(float(np.ravel(out)[0]))
    return model, losses


def classifier_accuracy(model: keras.Model, images, classes, *,
                        batch_size: int = 256) -> list[float]:
    """Share of ``images`` whose class each head predicts right (argmax of its softmax).

    Parameters
    ----------
    model : keras.Model
        From :func:`build_classifier` (or :func:`fit_classifier`).
    images : array (n, 64, 64, channels)
    classes : int array (n, K)

    Returns
    -------
    list of float, length K, each in [0, 1]
    """
    probs = model.predict(images, batch_size=batch_size, verbose=0)
    probs = probs if isinstance(probs, list) else [probs]
    classes = np.asarray(classes)
    if classes.ndim != 2 or classes.shape[1] != len(probs):
        raise ValueError(f"classifier_accuracy: `classes` must have one column per head "
                         f"({len(probs)}); got shape {classes.shape}.")
    return [float(np.mean(np.argmax(p, axis=1) == classes[:, j])) for j, p in enumerate(probs)]
