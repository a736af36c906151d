"""Bad inputs of the intrinsic-dimension estimators (issue 16): array-likes are accepted and left
unchanged, extreme scales give the ordinary estimate (they depend on distance ratios only), and
wrong kinds, shapes, values and options get errors naming the argument."""
import warnings

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from latentdims.maths.intrinsic_dim import (local_mle, mle, repeated_id, select_ide, twonn,
                                            unique_rows)

ESTIMATORS = {"mle": lambda X, **kw: mle(X, k=5, **kw), "twonn": twonn,
              "local_mle": lambda X, **kw: float(np.mean(local_mle(X, k=5, **kw)))}


@pytest.fixture(scope="module")
def cloud():
    rng = np.random.default_rng(3)
    return rng.random((200, 2)) @ rng.normal(size=(2, 4)) + 10.0


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_array_likes_give_the_ndarray_estimate_and_stay_unchanged(cloud, name):
    fn = ESTIMATORS[name]
    want = fn(cloud)
    for kind, form in {"list": cloud.tolist(), "DataFrame": pd.DataFrame(cloud.copy()),
                       "tf.Tensor": tf.constant(cloud), "tf.Variable": tf.Variable(cloud),
                       "ndarray": cloud.copy()}.items():
        before = np.asarray(form.numpy() if hasattr(form, "numpy") else form).copy()
        assert fn(form) == pytest.approx(want, rel=1e-12), kind
        after = np.asarray(form.numpy() if hasattr(form, "numpy") else form)
        np.testing.assert_array_equal(after, before, err_msg=kind)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_extreme_scales_give_the_ordinary_estimate(cloud, name, scale):
    # before: 1e200 broke the neighbour search ("cannot reshape ...") and 1e-200 made every
    # distance 0 (squares underflow)
    fn = ESTIMATORS[name]
    assert fn(cloud * scale) == pytest.approx(fn(cloud), rel=1e-9)


def test_symbolic_tensors_get_a_clear_error(cloud):
    @tf.function
    def traced(x):
        return mle(x, k=5)
    with pytest.raises(TypeError, match="mle: `X` is a symbolic tensor.*eagerly"):
        traced(tf.constant(cloud))


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
@pytest.mark.parametrize("bad, error, match", [
    (None, TypeError, "`X` is missing"),
    (lambda X: X.astype(str), TypeError, "`X` must hold numbers; got text"),
    (lambda X: X.astype(complex), TypeError, "`X` must hold real numbers; got complex"),
    (lambda X: [[0.0, 1.0], [2.0]] * 10, TypeError, "`X` must be an array of numbers"),
    (lambda X: X[:, 0], ValueError, "`X` must have 2 dimensions; got shape"),
    (lambda X: X[:, :0], ValueError, r"`X` needs at least 1 column\(s\)"),
    (lambda X: X[:0], ValueError, "`X` needs at least 1 rows; got 0"),
    (lambda X: np.where(X > X.max() - 0.1, np.nan, X), ValueError, "`X` contains .* non-finite"),
    (lambda X: np.where(X > X.max() - 0.1, np.inf, X), ValueError, "`X` contains .* non-finite"),
    (lambda X: np.ones((40, 3)), ValueError, ".*needs at least .* distinct points; got 1"),
])
def test_bad_points_name_the_argument(cloud, name, bad, error, match):
    fn = {"mle": mle, "twonn": twonn, "local_mle": local_mle}[name]
    value = bad(cloud) if callable(bad) else bad
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # merged duplicates of the constant cloud
        with pytest.raises(error, match=f"{name}: {match}"):
            fn(value)


@pytest.mark.parametrize("call, error, match", [
    (lambda X: mle(X, k="5"), TypeError, "mle: `k` must be an integer"),
    (lambda X: mle(X, k=True), TypeError, "mle: `k` must be an integer"),
    (lambda X: mle(X, k=300), ValueError, "mle: k=300 neighbours needs at least 301 distinct"),
    (lambda X: mle(X, queries=np.array([0.0, 1.0])), TypeError, "mle: `queries` must be a "
                                                                "non-empty 1-D array"),
    (lambda X: mle(X, queries=[[0, 1]]), TypeError, "mle: `queries` must be a non-empty 1-D"),
    (lambda X: twonn(X, queries=[-1, 3]), ValueError, "twonn: `queries` must index the 200"),
    (lambda X: twonn(X, discard=float("nan")), ValueError,
     r"twonn: `discard` must lie in \[0, 1\)"),
    (lambda X: twonn(X, discard="most"), TypeError, "twonn: `discard` must be a number"),
    (lambda X: mle(X, duplicates="keep"), ValueError, "mle: unknown `duplicates` 'keep'"),
    (lambda X: repeated_id(X, fraction=0.001, k=5), ValueError,
     "repeated_id: `fraction`=0.001 of 200 distinct points leaves 0 per run"),
    (lambda X: repeated_id(X[:30], subsample="points", fraction=0.1, k=5), ValueError,
     "repeated_id: `fraction`=0.1 of 30 distinct points leaves 3 per run; subsample='points' "
     "needs at least 6"),
    (lambda X: repeated_id(X, fraction=float("nan")), ValueError,
     "repeated_id: `fraction` must be finite and > 0"),
    (lambda X: repeated_id(X, fraction=1.5), ValueError, r"repeated_id: `fraction` must lie in "
                                                         r"\(0, 1\]"),
    (lambda X: repeated_id(X, kk=5), TypeError,
     r"repeated_id: unknown option\(s\) \['kk'\] for method='mle'; it takes k, averaging"),
    (lambda X: repeated_id(X, "twonn", k=5), TypeError,
     r"repeated_id: unknown option\(s\) \['k'\] for method='twonn'; it takes discard"),
    (lambda X: repeated_id(X, n_runs=0), ValueError, "repeated_id: `n_runs` must be >= 1"),
    (lambda X: select_ide(X, ks=(10, 5)), ValueError, "select_ide: `ks` must hold at least two "
                                                     "strictly increasing"),
    (lambda X: select_ide(X, rtol=-0.1), ValueError, "select_ide: `rtol` must be finite and > 0"),
    (lambda X: select_ide(X.astype(str)), TypeError, "select_ide: `X` must hold numbers"),
    (lambda X: unique_rows(X[:, :0]), ValueError, r"unique_rows: `X` needs at least 1 column"),
])
def test_bad_options_name_the_argument(cloud, call, error, match):
    with pytest.raises(error, match=match):
        call(cloud)


def test_repeated_id_accepts_array_likes(cloud):
    want = repeated_id(cloud, k=5, n_runs=2)
    got = repeated_id(pd.DataFrame(cloud), k=5, n_runs=2)
    np.testing.assert_allclose(got.values, want.values, rtol=1e-12)
