"""The GPUs TensorFlow sees, and how the models use them.

Importing :mod:`latentdims.models` (any model, the training loop) calls
:func:`allow_memory_growth` once, before the package runs a TensorFlow op: each GPU's memory is
then allocated as the models need it, instead of TensorFlow's default of taking nearly all of
it at the first op (which would leave nothing to a second process, e.g. a notebook kernel beside
a Dask worker on the same card).  Without a GPU nothing happens.

:func:`gpu_available` is what the training loop asks before it XLA-compiles its steps
(:func:`latentdims.models.training.xla_steps`); it lists the physical devices, which does not
start TensorFlow's runtime, so the memory setting can still follow it.
"""
from __future__ import annotations

import warnings

import tensorflow as tf

__all__ = ["gpus", "gpu_available", "allow_memory_growth"]

_grown: list[str] | None = None     # the GPUs set by the first call (None: not called yet)


def gpus() -> list:
    """TensorFlow's physical GPUs (an empty list on a CPU-only machine or TensorFlow build)."""
    return tf.config.list_physical_devices("GPU")


def gpu_available() -> bool:
    """True when TensorFlow sees at least one GPU.

    >>> isinstance(gpu_available(), bool)
    True
    """
    return bool(gpus())


def allow_memory_growth() -> list[str]:
    """Let TensorFlow grow each GPU's memory on demand (``tf.config.experimental.set_memory_growth``).

    Runs once per process (later calls return the first call's answer); called when
    :mod:`latentdims.models` is imported.  The setting must come before TensorFlow's runtime
    starts (the first op, or ``tf.config.list_logical_devices``): if something ran first, the
    GPUs keep TensorFlow's default and a ``RuntimeWarning`` says how to get the setting
    (import ``latentdims.models`` first, or set ``TF_FORCE_GPU_ALLOW_GROWTH=true`` in the
    environment before Python starts).

    Returns
    -------
    list of str
        The names of the GPUs whose memory grows on demand; empty without a GPU.

    >>> allow_memory_growth() == [g.name for g in gpus()]      # [] on a CPU-only machine
    True
    """
    global _grown
    if _grown is not None:
        return list(_grown)
    grown = []
    for gpu in gpus():
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except (RuntimeError, ValueError) as exc:
            # RuntimeError: the runtime already started; ValueError: virtual devices configured
            if not tf.config.experimental.get_memory_growth(gpu):
                warnings.warn(f"allow_memory_growth: could not let {gpu.name} grow its memory on "
                              f"demand ({exc}); TensorFlow may take nearly all of it. Import "
                              f"latentdims.models before running TensorFlow ops, or set "
                              f"TF_FORCE_GPU_ALLOW_GROWTH=true before Python starts.",
                              RuntimeWarning, stacklevel=2)
                continue
        grown.append(gpu.name)
    _grown = grown
    return list(grown)
