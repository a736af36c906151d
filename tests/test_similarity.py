"""Linear CKA and Procrustes similarity: invariances, closed forms, a plain NumPy reference, the
Fig 7.1 synthetic curves, layer-by-layer comparisons of a tiny Keras model (Eq 7.9), errors and
the heat-map/curve plots."""
import doctest
import os

import matplotlib

matplotlib.use("agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from latentdims.maths import similarity  # noqa: E402
from latentdims.maths.similarity import (average_similarity, layer_activations, linear_cka,  # noqa: E402
                                         procrustes_similarity, similarity_matrix,
                                         synthetic_similarity_curves)
from latentdims.plotting import thesis_ch7 as plots  # noqa: E402


def rotation(p, seed=0):
    return np.linalg.qr(np.random.default_rng(seed).normal(size=(p, p)))[0]


def reference_cka(X, Y):
    """Thesis Eq 2.2 with n x n Gram matrices, written as plainly as possible."""
    H = np.eye(len(X)) - 1.0 / len(X)
    K, L = H @ X @ X.T @ H, H @ Y @ Y.T @ H
    return np.sum(K * L) / np.sqrt(np.sum(K * K) * np.sum(L * L))


@pytest.fixture(scope="module")
def xy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 12))
    Y = np.tanh(X @ rng.normal(size=(12, 30))) + 0.5 * rng.normal(size=(80, 30))
    return X, Y


def test_doctests():
    assert doctest.testmod(similarity).failed == 0


def test_cka_forms_agree_with_reference(xy):
    X, Y = xy
    ref = reference_cka(X, Y)
    assert 0 < ref < 1
    for method in ("auto", "features", "gram"):
        assert linear_cka(X, Y, method=method) == pytest.approx(ref, rel=1e-12)
    assert linear_cka(X, Y, debiased=True, method="features") == pytest.approx(
        linear_cka(X, Y, debiased=True, method="gram"), rel=1e-12)
    assert linear_cka(Y, X) == pytest.approx(ref, rel=1e-12)


def test_cka_invariances(xy):
    X, Y = xy
    base = linear_cka(X, Y)
    assert linear_cka(X, X) == pytest.approx(1.0)
    # CKA(X, aXB + c) = 1 for orthogonal B (thesis Sec. 2.5) ...
    assert linear_cka(X, -3.0 * X @ rotation(12) + 7.0) == pytest.approx(1.0)
    # ... and invariance of CKA(X, Y) to rotating/scaling/translating either side
    assert linear_cka(X @ rotation(12, 1) * 0.1 + 4, Y @ rotation(30, 2) * 9) == pytest.approx(base)
    # but not to a non-orthogonal map: the counter-example of thesis Sec. 7.4.4 drops a direction
    T = np.diag([0.0] + [1.0] * 11)
    assert linear_cka(X, X @ T) < 0.99


def test_cka_of_single_columns_is_squared_correlation(xy):
    x, y = xy[0][:, :1], xy[1][:, :1]
    r = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
    assert linear_cka(x, y) == pytest.approx(r**2)
    assert procrustes_similarity(x, y) == pytest.approx(abs(r))


def test_debiased_cka_removes_the_independence_bias():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(200, 50)), rng.normal(size=(200, 50))
    assert linear_cka(X, Y) > 0.15                      # about p / n for independent matrices
    assert abs(linear_cka(X, Y, debiased=True)) < 0.03


def test_procrustes_properties(xy):
    X, Y = xy
    assert procrustes_similarity(X, 2.5 * X @ rotation(12) - 1.0) == pytest.approx(1.0)
    base = procrustes_similarity(X, Y)
    assert 0 < base < 1
    assert procrustes_similarity(X @ rotation(12, 3) * 4, Y + 2) == pytest.approx(base)
    assert procrustes_similarity(Y, X) == pytest.approx(base)


def test_procrustes_wide_matrices_match_the_direct_svd():
    # p > n goes through a QR reduction; compare with Eq 7.8 computed directly
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(15, 60)), rng.normal(size=(15, 40))

    def direct(A, B):
        A, B = A - A.mean(0), B - B.mean(0)
        A, B = A / np.linalg.norm(A), B / np.linalg.norm(B)
        return 1 - 0.5 * (2 - 2 * np.linalg.svd(B.T @ A, compute_uv=False).sum())

    assert procrustes_similarity(X, Y) == pytest.approx(direct(X, Y), rel=1e-12)


def test_synthetic_curves_match_the_computed_table():
    # computed with the author's public code at n = 970: P(A,B)=0.825, CKA(A,B)=0.813,
    # P(A,C)=0.581, CKA(A,C)=0.532, P(A,D)=0.197, CKA(A,D)=0.051 (another random stream here)
    res = synthetic_similarity_curves([50, 970], n_repeats=2)
    assert res.cka.shape == (2, 3, 2)
    p, c = res.procrustes.mean(0)[:, 1], res.cka.mean(0)[:, 1]
    assert p == pytest.approx([0.825, 0.581, 0.197], abs=0.03)
    assert c == pytest.approx([0.813, 0.532, 0.051], abs=0.03)
    # Procrustes overestimates unrelated matrices, most at small n (Fig 7.1(c))
    assert np.all(res.procrustes[:, 2] > res.cka[:, 2] + 0.1)
    assert res.procrustes[:, 2, 0].mean() > 0.6 and res.cka[:, 2, 0].mean() > 0.4


def test_errors_name_the_argument(xy):
    X, Y = xy
    with pytest.raises(ValueError, match="linear_cka: the arguments must have the same number of "
                                         "examples.*`X` has 80, `Y` has 79"):
        linear_cka(X, Y[:79])
    with pytest.raises(ValueError, match="procrustes_similarity: the arguments must have the same"):
        procrustes_similarity(X, Y[:79])
    bad = Y.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"linear_cka: `Y` contains 1 non-finite .*\(3, 2\)"):
        linear_cka(X, bad)
    with pytest.raises(ValueError, match=r"`X` must be a 2-D array.*reshape"):
        linear_cka(X.reshape(80, 3, 4), Y)
    with pytest.raises(ValueError, match="unknown `method`"):
        linear_cka(X, Y, method="kernel")
    with pytest.raises(ValueError, match="at least 4 examples"):
        linear_cka(X[:3], Y[:3], debiased=True)
    const = np.ones((80, 4))
    with pytest.raises(ValueError, match="`Y` is constant over the examples"):
        linear_cka(X, const)
    with pytest.raises(ValueError, match="`X` is constant over the examples"):
        procrustes_similarity(const, Y)
    assert np.isnan(linear_cka(X, const, constant="nan"))
    assert np.isnan(procrustes_similarity(X, np.zeros((80, 2)), constant="nan"))


@pytest.fixture(scope="module")
def runs():
    rng = np.random.default_rng(4)
    out = []
    for _ in range(2):
        h = rng.normal(size=(40, 6))
        out.append({"input": h, "dense": np.maximum(h @ rng.normal(size=(6, 9)), 0),
                    "wide": h @ rng.normal(size=(6, 70))})   # p > n: Gram form
    return out


@pytest.mark.parametrize("metric, fn", [("cka", linear_cka), ("procrustes", procrustes_similarity)])
def test_similarity_matrix_matches_pairwise(runs, metric, fn):
    a, b = runs
    m = similarity_matrix(a, b, metric=metric, layers_b=["wide", "input"])
    assert m.shape == (3, 2)
    for j, la in enumerate(a):
        for k, lb in enumerate(["wide", "input"]):
            assert m[j, k] == pytest.approx(fn(a[la], b[lb]), rel=1e-10)


def test_average_similarity_is_eq_7_9(runs):
    res = average_similarity(runs, runs[::-1])
    pairs = [similarity_matrix(a, b) for a in runs for b in runs[::-1]]
    assert res.n_pairs == 4 and res.layers_a == ("input", "dense", "wide")
    assert np.allclose(res.mean, np.mean(pairs, axis=0))
    assert np.allclose(res.std, np.std(pairs, axis=0))
    deb = average_similarity(runs, runs, debiased=True)
    expect = np.mean([linear_cka(a["wide"], b["dense"], debiased=True) for a in runs for b in runs])
    assert deb.mean[2, 1] == pytest.approx(expect, rel=1e-10)


def test_dead_layers_give_nan_with_a_warning(runs):
    a = dict(runs[0], dead=np.zeros((40, 5)))
    with pytest.warns(UserWarning, match=r"acts_a\['dead'\] constant over the examples"):
        m = similarity_matrix(a, runs[1])
    assert np.all(np.isnan(m[-1])) and np.all(np.isfinite(m[:-1]))
    with pytest.raises(ValueError, match="Drop these layers"):
        similarity_matrix(a, runs[1], constant="raise")
    with pytest.warns(UserWarning, match="constant over the examples"):
        average_similarity([a, a], runs)
    with pytest.raises(ValueError, match=r"layer\(s\) \['nope'\] not among"):
        similarity_matrix(a, runs[1], layers_b=["nope"])
    with pytest.raises(ValueError, match="has 39 rows, the first layer 40"):
        similarity_matrix(a, {"x": np.ones((39, 2))})
    with pytest.raises(ValueError, match="at least one run"):
        average_similarity([], runs)


# --- Keras models --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_vae():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    class Sampling(keras.layers.Layer):
        def __init__(self, seed=0, **kwargs):
            super().__init__(**kwargs)
            self.noise = keras.random.SeedGenerator(seed)

        def call(self, inputs):
            mean, log_var = inputs
            eps = keras.random.normal(keras.ops.shape(mean), seed=self.noise)
            return mean + keras.ops.exp(0.5 * log_var) * eps

    keras.utils.set_random_seed(0)
    x_in = keras.Input((4, 4, 1))
    h = keras.layers.Conv2D(3, 2, strides=2, activation="relu", name="conv")(x_in)
    h = keras.layers.Flatten(name="flat")(h)
    mean = keras.layers.Dense(2, name="mean")(h)
    log_var = keras.layers.Dense(2, name="log_var")(h)
    z = Sampling(name="sampled")([mean, log_var])
    encoder = keras.Model(x_in, [mean, log_var, z], name="encoder")
    decoder = keras.Sequential([keras.Input((2,)), keras.layers.Dense(8, name="d1"),
                                keras.layers.Dense(16, name="d2"),
                                keras.layers.Reshape((4, 4, 1), name="out")], name="decoder")
    x = keras.Input((4, 4, 1), name="x")
    _, _, z_out = encoder(x)
    vae = keras.Model(x, decoder(z_out), name="vae")
    data = np.random.default_rng(0).random((12, 4, 4, 1)).astype("float32")
    return vae, encoder, decoder, data


def test_layer_activations_of_a_nested_functional_model(tiny_vae):
    vae, encoder, decoder, data = tiny_vae
    acts = layer_activations(vae, data, batch_size=5)
    assert list(acts) == ["input", "encoder/conv", "encoder/flat", "encoder/mean",
                          "encoder/log_var", "encoder/sampled", "decoder/d1", "decoder/d2",
                          "decoder/out"]
    assert acts["encoder/conv"].shape == (12, 12) and acts["decoder/out"].shape == (12, 16)
    assert np.allclose(acts["input"], data.reshape(12, -1))
    mean, log_var, _ = encoder.predict(data, verbose=0)
    assert np.allclose(acts["encoder/mean"], mean, atol=1e-6)
    # the decoder ran on the very z that was recorded as "sampled"
    assert np.allclose(acts["decoder/d2"], decoder.predict(acts["encoder/sampled"], verbose=0)
                       .reshape(12, -1), atol=1e-5)
    picked = layer_activations(vae, data, layers=["encoder/mean", "input"])
    assert list(picked) == ["encoder/mean", "input"]
    flat = layer_activations(vae, data, expand_nested=False, include_input=False)
    assert list(flat) == ["encoder/0", "encoder/1", "encoder/2", "decoder"]
    with pytest.raises(ValueError, match=r"unknown layer\(s\) \['encoder/dense'\]"):
        layer_activations(vae, data, layers=["encoder/dense"])
    # and the whole pipeline: a model compared with itself has ones on the diagonal
    m = similarity_matrix(acts, acts, layers_a=["encoder/mean", "decoder/d1"],
                          layers_b=["encoder/mean", "decoder/d1"])
    assert np.allclose(np.diag(m), 1.0)


def test_layer_activations_of_other_models(tiny_vae):
    _, encoder, decoder, data = tiny_vae

    class Subclassed:
        def activations(self, x):
            mean, log_var, z = encoder(x)
            return {"mean": mean, "variance": np.exp(log_var)}

    class CollectsItsOwn:          # the interface of latentdims.models.vaes.ThesisVAE
        def layer_activations(self, x, *, batch_size=256):
            mean = encoder.predict(x, batch_size=batch_size, verbose=0)[0]
            return {"input": x, "mean": mean, "decoder/1": np.ones((len(x), 2, 2))}

    own = layer_activations(CollectsItsOwn(), data)
    assert list(own) == ["input", "mean", "decoder/1"] and own["input"].shape == (12, 16)
    assert list(layer_activations(CollectsItsOwn(), data, include_input=False)) == \
        ["mean", "decoder/1"]
    acts = layer_activations(Subclassed(), data, batch_size=5)
    assert list(acts) == ["input", "mean", "variance"] and acts["variance"].shape == (12, 2)
    chain = layer_activations([lambda x: x.reshape(len(x), -1) * 2, np.tanh], data,
                              include_input=False)
    assert list(chain) == ["layer_0", "layer_1"]
    assert np.allclose(chain["layer_1"], np.tanh(2 * data.reshape(12, -1)))
    seq = layer_activations(decoder, np.zeros((3, 2), "float32"))
    assert list(seq) == ["input", "d1", "d2", "out"]
    with pytest.raises(TypeError, match="must be a functional Keras model"):
        layer_activations(object(), data)
    with pytest.raises(ValueError, match="at least one example"):
        layer_activations(decoder, np.zeros((0, 2)))


# --- plots ---------------------------------------------------------------------------------------


def test_similarity_plots(runs):
    res = average_similarity(runs, runs)
    fig = plots.similarity_heatmap(res, split_a=1, split_b=1, annotate=True, title="CKA")
    assert fig.axes[0].get_xticklabels()[2].get_text() == "wide"
    curves = synthetic_similarity_curves([50, 90], n_repeats=2)
    fig2 = plots.synthetic_similarity_figure(curves, suptitle="Fig 7.1")
    assert len(fig2.axes) == 3 and fig2._suptitle.get_text() == "Fig 7.1"
    fig3 = plots.layer_similarity_lines([1, 10, 410], np.random.default_rng(0).random((5, 3, 2)),
                                        ["encoder/1", "encoder/2"])
    assert len(fig3.axes[0].lines) == 2
    with pytest.raises(ValueError, match=r"2 x 2 layer names for a \(3, 3\) matrix"):
        plots.similarity_heatmap(res.mean, ["a", "b"], ["a", "b"])
    with pytest.raises(ValueError, match=r"`scores` must have shape \(n_seeds, 3, 2\)"):
        plots.layer_similarity_lines([1, 2, 3], np.zeros((3, 3)), ["a", "b"])
    plt.close("all")
