"""Bad inputs of the representational-similarity measures (issue 16): array-likes (DataFrames,
lists, TensorFlow tensors) are accepted and never modified, although the measures centre their
input in place; wrong kinds, shapes and values get errors naming the argument; extreme scales give
the same value as ordinary ones (both measures are scale invariant)."""
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from latentdims.maths.similarity import (average_similarity, linear_cka, procrustes_similarity,
                                         similarity_matrix)

MEASURES = {"cka": linear_cka, "procrustes": procrustes_similarity}


@pytest.fixture(scope="module")
def xy():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(40, 5)) + 3.0          # an offset, so that centring changes values
    Y = X[:, :3] @ rng.normal(size=(3, 4)) + rng.normal(size=(40, 4))
    return X, Y


# --- array-likes: accepted, unchanged, same result ----------------------------------------------
def _forms(X):
    return {"ndarray": X.copy(), "float32": X.astype(np.float32), "list": X.tolist(),
            "DataFrame": pd.DataFrame(X.copy()), "tf.Tensor": tf.constant(X),
            "tf.Variable": tf.Variable(X), "Fortran": np.asfortranarray(X)}


def _as_array(v):
    return np.asarray(v.numpy() if hasattr(v, "numpy") else v)


@pytest.mark.parametrize("metric", sorted(MEASURES))
def test_array_likes_give_the_ndarray_value_and_are_not_modified(xy, metric):
    X, Y = xy
    fn = MEASURES[metric]
    want = fn(X, Y)
    for kind, form in _forms(X).items():
        before = _as_array(form).copy()
        got = fn(form, Y)
        rtol = 1e-6 if kind == "float32" else 1e-12
        assert got == pytest.approx(want, rel=rtol), kind
        np.testing.assert_array_equal(_as_array(form), before, err_msg=kind)


def test_similarity_matrix_leaves_every_layer_unchanged(xy):
    X, Y = xy
    forms = _forms(X)
    kept = {k: _as_array(v).copy() for k, v in forms.items()}
    for metric in MEASURES:
        out = similarity_matrix(forms, {"y": pd.DataFrame(Y)}, metric=metric)
        want = MEASURES[metric](X, Y)
        np.testing.assert_allclose(out[:, 0], want, rtol=1e-6)
        res = average_similarity([forms, forms], [{"y": tf.constant(Y)}], metric=metric)
        np.testing.assert_allclose(res.mean[:, 0], want, rtol=1e-6)
    for k, v in forms.items():
        np.testing.assert_array_equal(_as_array(v), kept[k], err_msg=k)


@pytest.mark.parametrize("metric", sorted(MEASURES))
@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_extreme_scales_give_the_ordinary_value(xy, metric, scale):
    # before: the sums of squares overflowed (or underflowed) and the matrix was called constant
    X, Y = xy
    fn = MEASURES[metric]
    assert fn(X * scale, Y) == pytest.approx(fn(X, Y), rel=1e-9)


def test_symbolic_tensors_get_a_clear_error(xy):
    X, Y = xy

    @tf.function
    def traced(x):
        return linear_cka(x, Y)
    with pytest.raises(TypeError, match="linear_cka: `X` is a symbolic tensor.*eagerly"):
        traced(tf.constant(X))


# --- kinds, shapes and values -------------------------------------------------------------------
@pytest.mark.parametrize("metric", sorted(MEASURES))
@pytest.mark.parametrize("bad, error, match", [
    (None, TypeError, "`X` is missing"),
    ("abc", TypeError, "`X` must hold numbers; got text"),
    (lambda X: X.astype(str), TypeError, "`X` must hold numbers; got text"),
    (lambda X: X.astype(complex), TypeError, "`X` must hold real numbers; got complex"),
    (lambda X: X.astype(object), None, None),                       # numbers in objects: fine
    (lambda X: [[1.0, 2.0], [3.0]] * 20, TypeError, "`X` must be an array of numbers"),
    (lambda X: pd.DataFrame({"a": X[:, 0], "b": ["x"] * len(X)}), TypeError,
     "`X` must hold numbers; got text"),
    (lambda X: X[:, 0], ValueError, r"`X` must be a 2-D array .*reshape"),
    (lambda X: X.reshape(len(X), 5, 1), ValueError, r"`X` must be a 2-D array"),
    (lambda X: X[:, :0], ValueError, r"`X` has no features \(shape \(40, 0\)\)"),
    (lambda X: X[:1], ValueError, "`X` needs at least 2 rows; got 1"),
    (lambda X: X[:0], ValueError, "`X` needs at least 2 rows; got 0"),
    (lambda X: X[:30], ValueError,
     "the arguments must have the same number of examples .*`X` has 30, `Y` has 40"),
    (lambda X: np.where(X > 4.5, np.nan, X), ValueError, "`X` contains .* non-finite.*NaN"),
    (lambda X: np.where(X > 4.5, -np.inf, X), ValueError, "`X` contains .* non-finite.*infinite"),
    (lambda X: np.ones_like(X), ValueError, "`X` is constant over the examples"),
])
def test_bad_matrices_name_the_argument(xy, metric, bad, error, match):
    X, Y = xy
    value = bad(X) if callable(bad) else bad
    fn = MEASURES[metric]
    if error is None:
        assert fn(value, Y) == pytest.approx(fn(X, Y), rel=1e-12)
        return
    with pytest.raises(error, match=f"{fn.__name__}: {match}"):
        fn(value, Y)


def test_bad_options(xy):
    X, Y = xy
    with pytest.raises(ValueError, match="linear_cka: unknown `method` 'svd'"):
        linear_cka(X, Y, method="svd")
    with pytest.raises(ValueError, match="procrustes_similarity: unknown `constant` 'zero'"):
        procrustes_similarity(X, Y, constant="zero")
    with pytest.raises(ValueError, match="linear_cka: the debiased estimator needs at least 4 "
                                         "examples; got 3"):
        linear_cka(X[:3], Y[:3], debiased=True)


def test_bad_activation_dictionaries(xy):
    X, Y = xy
    with pytest.raises(TypeError, match="similarity_matrix: `acts_a` must be a mapping .*Wrap a "
                                        "single matrix"):
        similarity_matrix([X], {"y": Y})
    with pytest.raises(TypeError, match="similarity_matrix: `acts_b` must be a mapping"):
        similarity_matrix({"x": X}, Y)
    with pytest.raises(TypeError, match=r"similarity_matrix: `acts_a\['x'\]` is missing"):
        similarity_matrix({"x": None}, {"y": Y})
    with pytest.raises(TypeError, match=r"`acts_b\['y'\]` must hold numbers; got text"):
        similarity_matrix({"x": X}, {"y": Y.astype(str)})
    with pytest.raises(ValueError, match=r"`acts_b\['y'\]` has 10 rows, the first layer 40"):
        similarity_matrix({"x": X}, {"y": Y[:10]})
    with pytest.raises(ValueError, match=r"layer\(s\) \['z'\] not among the activations of "
                                         r"acts_a"):
        similarity_matrix({"x": X}, {"y": Y}, layers_a=["z"])
    with pytest.raises(ValueError, match="average_similarity: give at least one run on each side"):
        average_similarity([], [{"y": Y}])
    with pytest.raises(TypeError, match="similarity_matrix: `acts_a` must be a mapping"):
        average_similarity([X], [{"y": Y}], layers_a=["x"])
