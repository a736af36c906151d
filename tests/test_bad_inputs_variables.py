"""Bad inputs of the active/mixed/passive classification (issue 16): array-likes of variances and
of types (DataFrames, lists, TensorFlow tensors, string tensors) are accepted and left unchanged;
wrong kinds, shapes, values and options get errors naming the argument."""
import warnings

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from latentdims.maths.variables import (classify_variables, count_variable_types,
                                        type_combinations, type_indices, variable_types)


@pytest.fixture(scope="module")
def variances():
    rng = np.random.default_rng(5)
    passive = 1.0 + 0.01 * rng.normal(size=(300, 2))
    active = 0.02 * rng.random((300, 2))
    mixed = np.where(rng.random((300, 1)) < 0.5, 0.01, 1.0)
    return np.concatenate([passive, active, mixed], axis=1)


WANT = ["passive", "passive", "active", "active", "mixed"]


def test_array_likes_give_the_ndarray_types_and_stay_unchanged(variances):
    assert variable_types(variances).tolist() == WANT
    for kind, form in {"list": variances.tolist(), "DataFrame": pd.DataFrame(variances.copy()),
                       "float32": variances.astype(np.float32), "tf.Tensor": tf.constant(variances),
                       "tf.Variable": tf.Variable(variances)}.items():
        before = np.asarray(form.numpy() if hasattr(form, "numpy") else form).copy()
        assert variable_types(form).tolist() == WANT, kind
        after = np.asarray(form.numpy() if hasattr(form, "numpy") else form)
        np.testing.assert_array_equal(after, before, err_msg=kind)


def test_types_as_array_likes():
    want = {"active": 1, "mixed": 1, "passive": 0}
    for form in (["active", "mixed"], np.array(["active", "mixed"]), pd.Series(["active", "mixed"]),
                 tf.constant(["active", "mixed"]), np.array([b"active", b"mixed"]),
                 ("active", "mixed")):
        assert count_variable_types(form) == want, type(form)
    assert type_indices(tf.constant(["mixed", "active"]), "active").tolist() == [1]
    assert sorted(type_combinations(pd.Series(["active", "passive"]))) == [
        "active", "active+passive", "full", "passive"]


def test_huge_variances_are_mixed_without_warnings(variances):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = classify_variables(np.abs(variances) * 1e300)
    assert res.types.tolist() == ["mixed"] * 5


def test_symbolic_tensors_get_a_clear_error(variances):
    @tf.function
    def traced(s):
        return classify_variables(s).mean
    with pytest.raises(TypeError, match="classify_variables: `variances` is a symbolic tensor"):
        traced(tf.constant(variances))


@pytest.mark.parametrize("bad, error, match", [
    (None, TypeError, "`variances` is missing"),
    (lambda s: s.astype(str), TypeError, "`variances` must hold numbers; got text"),
    (lambda s: s.astype(complex), TypeError, "`variances` must hold real numbers"),
    (lambda s: pd.DataFrame({"a": s[:, 0], "b": ["x"] * len(s)}), TypeError,
     "`variances` must hold numbers; got text"),
    (lambda s: s[:, 0], ValueError, "`variances` must have 2 dimensions"),
    (lambda s: s[None], ValueError, "`variances` must have 2 dimensions"),
    (lambda s: s[:1], ValueError, "`variances` needs at least 2 rows; got 1"),
    (lambda s: s[:0], ValueError, "`variances` needs at least 2 rows; got 0"),
    (lambda s: s[:, :0], ValueError, r"`variances` has no latent variable \(shape \(300, 0\)\)"),
    (lambda s: -s, ValueError, "`variances` must be non-negative.*np.exp"),
    (lambda s: np.where(s > 1.02, np.nan, s), ValueError, "`variances` contains .* non-finite"),
    (lambda s: np.where(s > 1.02, np.inf, s), ValueError, "`variances` contains .* non-finite"),
])
def test_bad_variances_name_the_argument(variances, bad, error, match):
    value = bad(variances) if callable(bad) else bad
    with pytest.raises(error, match="classify_variables: " + match):
        classify_variables(value)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(alpha=0.5), ValueError, r"`alpha` must lie in \[0, 0.5\); got 0.5"),
    (dict(alpha=float("nan")), ValueError, r"`alpha` must lie in \[0, 0.5\)"),
    (dict(alpha=-0.1), ValueError, r"`alpha` must lie in \[0, 0.5\)"),
    (dict(alpha=True), TypeError, "`alpha` must be a number"),
    (dict(alpha=[0.1]), TypeError, "`alpha` must be a number"),
    (dict(rule="paper"), ValueError, "unknown `rule` 'paper'"),
])
def test_bad_options_name_the_argument(variances, kwargs, error, match):
    with pytest.raises(error, match="classify_variables: " + match):
        classify_variables(variances, **kwargs)


@pytest.mark.parametrize("call, error, match", [
    (lambda: count_variable_types(None), TypeError, "count_variable_types: `types` is missing"),
    (lambda: count_variable_types("active"), TypeError,
     "count_variable_types: `types` must be a sequence of variable types, not a single string"),
    (lambda: count_variable_types([["active"]]), ValueError,
     r"count_variable_types: `types` must be a 1-D array .*\(1, 1\)"),
    (lambda: count_variable_types(["activ"]), ValueError,
     r"count_variable_types: unknown variable type\(s\) \['activ'\]"),
    (lambda: count_variable_types([0, 1]), ValueError, "count_variable_types: unknown variable"),
    (lambda: type_indices(["active"]), ValueError, "type_indices: name at least one type"),
    (lambda: type_indices(["active"], "dead"), ValueError, "type_indices: unknown `kinds` 'dead'"),
    (lambda: type_combinations(b"active"), TypeError, "type_combinations: `types` must be a "
                                                      "sequence"),
])
def test_bad_types_name_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
