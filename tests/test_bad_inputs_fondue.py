"""Bad inputs of FONDUE and its scores (issue 16): array-likes of representations are accepted and
left unchanged; wrong kinds, shapes and values, overflowing representations, badly normalised Gram
matrices, continuous or missing labels, and bad search options get errors naming the argument,
never a NaN or infinite score that travels on."""
import warnings

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from latentdims.maths.fondue import (TrainingOutput, binary_search, covariance_traces,
                                     downstream_accuracy, expected_trace_gap, fondue, ib_scores,
                                     rbf_gram, renyi_entropy, renyi_mutual_information,
                                     stable_epochs)


@pytest.fixture(scope="module")
def reps():
    rng = np.random.default_rng(11)
    mean = np.concatenate([rng.normal(size=(60, 2)), 0.01 * rng.normal(size=(60, 2))], axis=1)
    variance = np.concatenate([np.full((60, 2), 0.01), np.ones((60, 2))], axis=1)
    return mean, variance


def _forms(X):
    return {"list": X.tolist(), "DataFrame": pd.DataFrame(X.copy()), "tf.Tensor": tf.constant(X),
            "tf.Variable": tf.Variable(X), "float32": X.astype(np.float32)}


def _np(v):
    return np.asarray(v.numpy() if hasattr(v, "numpy") else v)


def test_array_likes_give_the_ndarray_scores_and_stay_unchanged(reps):
    mean, variance = reps
    want = covariance_traces(mean, variance, seed=1)
    gap = expected_trace_gap(variance)
    gram = rbf_gram(mean)
    for (kind, m), v in zip(_forms(mean).items(), _forms(variance).values()):
        before = _np(m).copy(), _np(v).copy()
        got = covariance_traces(m, v, seed=1)
        tol = 1e-5 if kind == "float32" else 1e-12
        assert got.sampled == pytest.approx(want.sampled, rel=tol), kind
        assert got.mean == pytest.approx(want.mean, rel=tol), kind
        assert expected_trace_gap(v) == pytest.approx(gap, rel=tol), kind
        np.testing.assert_allclose(rbf_gram(m), gram, rtol=1e-4 if kind == "float32" else 1e-12)
        np.testing.assert_array_equal(_np(m), before[0], err_msg=kind)
        np.testing.assert_array_equal(_np(v), before[1], err_msg=kind)


def test_fondue_takes_training_outputs_of_any_array_kind(reps):
    mean, variance = reps

    def train_as(convert):
        def train(n, epochs):
            # n latents: the first two active, the rest passive (a gap of n - 2)
            m = np.concatenate([mean[:, :2], np.zeros((60, max(n - 2, 0)))], axis=1)[:, :n]
            v = np.concatenate([variance[:, :2], np.ones((60, max(n - 2, 0)))], axis=1)[:, :n]
            return TrainingOutput(mean=convert(m), variance=convert(v))
        return train

    want = fondue(train_as(np.asarray), 2, max_n=16)
    for convert in (pd.DataFrame, tf.constant, lambda a: a.tolist()):
        got = fondue(train_as(convert), 2, max_n=16)
        assert (got.n, [e.n for e in got.evaluations]) == (want.n, [e.n for e in want.evaluations])


def test_overflowing_representations_are_errors_not_infinite_traces(reps):
    mean, variance = reps
    with pytest.raises(ValueError, match="covariance_traces: the variances of `mean` overflow "
                                         "float64.*diverged"):
        covariance_traces(mean * 1e200, variance)
    with pytest.raises(ValueError, match="covariance_traces: the variances of `sampled` overflow"):
        covariance_traces(mean, sampled=mean * 1e200)
    with pytest.raises(ValueError, match="TrainingOutput.from_log_variance: `log_variance` "
                                         "reaches 800, whose exponential overflows"):
        TrainingOutput.from_log_variance(mean, np.full_like(mean, 800.0))
    # the Gram matrix is scale invariant: 1e200 is no different
    np.testing.assert_allclose(rbf_gram(mean * 1e200), rbf_gram(mean), rtol=1e-9)


@pytest.mark.parametrize("call, error, match", [
    (lambda m, v: covariance_traces(None, v), TypeError, "covariance_traces: `mean` is missing"),
    (lambda m, v: covariance_traces(m.astype(str), v), TypeError,
     "covariance_traces: `mean` must hold numbers; got text"),
    (lambda m, v: covariance_traces(m, v.astype(complex)), TypeError,
     "covariance_traces: `variance` must hold real numbers"),
    (lambda m, v: covariance_traces(m[:, :0], v[:, :0]), ValueError,
     r"covariance_traces: `mean` needs at least 1 column\(s\)"),
    (lambda m, v: covariance_traces(m[:1], v[:1]), ValueError,
     "covariance_traces: `mean` needs at least 2 rows; got 1"),
    (lambda m, v: covariance_traces(m, v[:30]), ValueError,
     r"covariance_traces: `variance` must have shape \(60, 4\); got \(30, 4\)"),
    (lambda m, v: covariance_traces(m, sampled=m[:, :3]), ValueError,
     r"covariance_traces: `sampled` must have shape \(60, 4\)"),
    (lambda m, v: covariance_traces(m, -v), ValueError,
     "covariance_traces: `variance` must be >= 0 .*from_log_variance"),
    (lambda m, v: covariance_traces(np.where(m > 1, np.nan, m), v), ValueError,
     "covariance_traces: `mean` contains .* non-finite"),
    (lambda m, v: covariance_traces(m), ValueError, "covariance_traces: give `variance`"),
    (lambda m, v: covariance_traces(m, v, seed="a"), TypeError,
     "covariance_traces: `seed` must be an integer"),
    (lambda m, v: covariance_traces(m, v, precision=2.5), TypeError,
     "covariance_traces: `precision` must be an integer"),
    (lambda m, v: expected_trace_gap(v[:, :0]), ValueError,
     r"expected_trace_gap: `variance` needs at least 1 column\(s\)"),
    (lambda m, v: expected_trace_gap(-v), ValueError,
     "expected_trace_gap: `variance` must be >= 0"),
    (lambda m, v: rbf_gram(m[:, :0]), ValueError, r"rbf_gram: `X` has no features"),
    (lambda m, v: rbf_gram(m[:1]), ValueError, "rbf_gram: `X` needs at least 2 rows"),
    (lambda m, v: renyi_entropy(np.zeros((3, 3))), ValueError,
     "renyi_entropy: `A` must be a normalised Gram matrix .*got trace 0"),
    (lambda m, v: renyi_entropy(-np.eye(3) / 3, alpha=1.0), ValueError,
     "renyi_entropy: `A` must be a normalised Gram matrix .*got trace -1"),
    (lambda m, v: renyi_entropy(np.eye(3)), ValueError, "renyi_entropy: `A` .*got trace 3"),
    (lambda m, v: renyi_entropy(np.zeros((0, 0))), ValueError,
     "renyi_entropy: `A` needs at least 1 rows"),
    (lambda m, v: renyi_entropy(np.ones((2, 3)) / 2), ValueError, "renyi_entropy: `A` must be "
                                                                  "square"),
    (lambda m, v: renyi_mutual_information(np.eye(2) / 2, np.array([[0, .5], [.5, 0]])),
     ValueError, "renyi_mutual_information: `B` must be a normalised Gram matrix"),
    (lambda m, v: renyi_mutual_information(np.eye(2) / 2, np.eye(3) / 3), ValueError,
     r"renyi_mutual_information: `A` and `B` must be Gram matrices of the same examples"),
    (lambda m, v: renyi_mutual_information(np.array([[1., 0.], [0., 0.]]),
                                           np.array([[0., 0.], [0., 1.]])), ValueError,
     "renyi_mutual_information: the joint Gram matrix A \\* B has trace 0"),
    (lambda m, v: ib_scores(m, m[:10], m[:10]), ValueError,
     r"ib_scores: the arguments must have the same number .*`inputs` has 10"),
    (lambda m, v: ib_scores(m, m.astype(str), m), TypeError, "ib_scores: `inputs` must hold "
                                                             "numbers"),
    (lambda m, v: ib_scores(m, m, m, batch_size=1), ValueError, "ib_scores: `batch_size` must "
                                                                "be >= 2"),
])
def test_bad_representations_name_the_argument(reps, call, error, match):
    with pytest.raises(error, match=match):
        call(*reps)


@pytest.mark.parametrize("classes, error, match", [
    (None, TypeError, "`classes` is missing"),
    (lambda y: np.where(y > 0, np.nan, 1.0), ValueError, r"`classes` contains \d+ NaN or "
                                                         r"infinite label"),
    (lambda y: y + 0.5, ValueError, "`classes` must hold discrete labels .*Bin continuous"),
    (lambda y: y[:, :, None], ValueError, r"`classes` must have shape \(h,\) or \(h, K\)"),
    (lambda y: y[:10], ValueError, "the arguments must have the same number .*`classes` has 10"),
    (lambda y: np.array([None, 1] * 30, dtype=object), ValueError, "`classes` contains missing"),
    (lambda y: y.astype(complex), TypeError, "`classes` must hold discrete labels; got complex"),
])
def test_bad_labels_name_the_argument(reps, classes, error, match):
    mean, _ = reps
    y = (mean[:, :1] > 0).astype(int)
    with pytest.raises(error, match="downstream_accuracy: " + match):
        downstream_accuracy(mean, classes(y) if callable(classes) else classes, iterations=2)


def test_labels_as_array_likes(reps):
    mean, _ = reps
    y = (mean[:, :2] > 0).astype(int)
    want = downstream_accuracy(mean, y, iterations=3)
    for form in (pd.DataFrame(y), y.astype(float), np.where(y > 0, "a", "b"), tf.constant(y)):
        assert downstream_accuracy(pd.DataFrame(mean), form, iterations=3) == pytest.approx(want)


def step(cut):
    return lambda n, epochs: (2.0 * (n > cut), 0.0)


@pytest.mark.parametrize("call, error, match", [
    (lambda: fondue(step(5), 2, threshold="high"), TypeError, "fondue: `threshold` must be a "
                                                              "number; got 'high'"),
    (lambda: fondue(step(5), 2, threshold=[1.0]), TypeError, "fondue: `threshold` must be a "
                                                             "number"),
    (lambda: fondue(step(5), 2, criterion=lambda r: (0, 0), threshold="x"), TypeError,
     "fondue: `threshold` must be a number"),
    (lambda: fondue(step(5), 2, threshold=float("inf")), ValueError, "fondue: `threshold` must "
                                                                     "be finite"),
    (lambda: fondue(step(5), 2, criterion="elbow"), ValueError, "fondue: unknown `criterion`"),
    (lambda: fondue(step(5), 0), ValueError, "fondue: `n_init` must be >= 1"),
    (lambda: fondue(step(5), 2.0), TypeError, "fondue: `n_init` must be an integer"),
    (lambda: fondue(step(5), 2, max_n=1), ValueError, "fondue: `max_n` must be >= 2"),
    (lambda: fondue(step(5), 2, epochs=0), ValueError, "fondue: `epochs` must be >= 1"),
    (lambda: fondue("train", 2), TypeError, "fondue: `train` must be callable"),
    (lambda: fondue(lambda n, e: (np.nan, 0.0), 2), ValueError,
     r"fondue: the training with n=2 latents gave non-finite scores"),
    (lambda: fondue(lambda n, e: ("a", "b"), 2), TypeError,
     r"fondue: `train\(2, 2\)` must return TrainingOutput or a pair of scores"),
    (lambda: fondue(lambda n, e: TrainingOutput(np.full((20, n), np.nan), np.ones((20, n))), 2),
     ValueError, "fondue: `mean` contains 40 non-finite"),
    (lambda: fondue(lambda n, e: TrainingOutput(np.zeros((20, n)), np.ones((20, n + 1))), 2),
     ValueError, r"fondue: `variance` must have shape \(20, 2\)"),
    (lambda: fondue(lambda n, e: TrainingOutput(np.zeros((20, n)), np.ones((20, n))), 2,
                    criterion="ib"), ValueError, "fondue: the 'ib' criterion needs"),
    (lambda: binary_search(step(5), lower=5, upper=5), ValueError,
     "binary_search: `upper` must be >= 6"),
    (lambda: binary_search(step(5), threshold="1"), TypeError, "binary_search: `threshold` must "
                                                               "be a number"),
    (lambda: stable_epochs(step(5), epochs=2, n_init=2), TypeError,
     "stable_epochs: `epochs` is what this function searches"),
    (lambda: stable_epochs(step(5), max_epochs=1, n_init=2), ValueError,
     "stable_epochs: `max_epochs` must be >= 2"),
])
def test_bad_search_options_name_the_argument(call, error, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error, match=match):
            call()
