"""Shared test set-up: every test writes its data, cache and figures under a temporary folder."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "agg")

import pytest


@pytest.fixture(autouse=True)
def _isolated_outputs(tmp_path, monkeypatch):
    """Point data, cache, figures and build folders at ``tmp_path`` (the manifest stays real)."""
    for var, sub in (("LATENTDIMS_DATA", "data"), ("LATENTDIMS_CACHE", "cache"),
                     ("LATENTDIMS_FIGURES", "figures"), ("LATENTDIMS_BUILD", "build")):
        monkeypatch.setenv(var, str(tmp_path / sub))
    yield


@pytest.fixture
def emd_decoder():
    """A factory of small Keras models, noise -> (softmax weights, positions) of ``n`` particles,
    whose ``train_step`` minimises the mean Sinkhorn EMD to the target clouds."""
    import keras
    import tensorflow as tf

    from latentdims.maths.sinkhorn import sinkhorn_emd

    class Decoder(keras.Model):
        def __init__(self, n, hidden=None, scale=1.0):
            super().__init__()
            self.n, self.scale = n, scale
            self.hidden = keras.layers.Dense(hidden, activation="tanh") if hidden else None
            self.out = keras.layers.Dense(3 * n)

        def call(self, z):
            h = self.out(z if self.hidden is None else self.hidden(z))      # (B, 3n)
            h = keras.ops.reshape(h, (-1, self.n, 3))
            return keras.ops.softmax(h[..., 0], axis=-1), self.scale * h[..., 1:]

        def train_step(self, data):
            z, (w, p) = data
            with tf.GradientTape() as tape:
                w_hat, p_hat = self(z, training=True)
                loss = tf.reduce_mean(sinkhorn_emd(w, p, w_hat, p_hat))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            return {"emd": loss}

    return Decoder
