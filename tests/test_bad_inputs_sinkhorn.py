"""Bad inputs of the Sinkhorn EMD and its ground distance (issue 16), eagerly, inside traced graphs
(``tf.function``, a Keras ``train_step``) and under XLA.

Eagerly a bad value is a ``ValueError`` naming the first bad entry; in a graph it is a
``tf.errors.InvalidArgumentError`` naming the function, the argument and the remedy; under a
caller's ``jit_compile=True`` (where TensorFlow compiles checks away) the cost of a bad pair is NaN.
Never a finite wrong number: before the fix a NaN coordinate became a distance of 0 inside graphs.

All pairs here have 3 pairs of 5 particles, so that the compiled solver is traced once.
"""
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from latentdims.maths.jet_geometry import ground_distance, translate_jets
from latentdims.maths.sinkhorn import (delta_r, eps_schedule, pairwise_emd, sinkhorn_emd,
                                       sinkhorn_plan, toy_two_prong_jets, wrap_phi)

B, N = 3, 5


@pytest.fixture(scope="module")
def clouds():
    rng = np.random.default_rng(4)
    a, b = rng.random((B, N)) + 0.1, rng.random((B, N)) + 0.1
    return (a / a.sum(1, keepdims=True), rng.normal(size=(B, N, 2)) * 0.4,
            b / b.sum(1, keepdims=True), rng.normal(size=(B, N, 2)) * 0.4)


NAMES = ("x_weights", "x_points", "y_weights", "y_points")


def spoil(clouds, name, how):
    """The clouds with one entry of pair 1 of ``name`` made bad."""
    args = [np.array(t) for t in clouds]
    k = NAMES.index(name)
    t = args[k]
    if how == "nan":
        t[(1, 2) + (0,) * (t.ndim - 2)] = np.nan
    elif how == "inf":
        t[(1, 2) + (0,) * (t.ndim - 2)] = np.inf
    elif how == "negative":
        t[1, 2] = -t[1, 2]
        t[1] /= t[1].sum()
    elif how == "zero":
        t[1] = 0.0
    elif how == "sum2":
        t[1] *= 2.0
    return args


_TRACED = {}


def graph(jit=False, **kw):
    """A traced (or XLA-compiled) sinkhorn_emd, one per option set: traced once per shape."""
    key = (jit, tuple(sorted(kw.items())))
    if key not in _TRACED:
        _TRACED[key] = tf.function(lambda *t: sinkhorn_emd(*t, **kw), jit_compile=jit)
    return _TRACED[key]


POINT_CASES = [(name, how) for name in ("x_points", "y_points") for how in ("nan", "inf")]
WEIGHT_CASES = [(name, how) for name in ("x_weights", "y_weights")
                for how in ("nan", "inf", "negative", "zero", "sum2")]


# --- values inside traced graphs --------------------------------------------------------------
@pytest.mark.parametrize("name, how", POINT_CASES + WEIGHT_CASES)
def test_bad_values_are_errors_eagerly(clouds, name, how):
    with pytest.raises(ValueError, match=f"sinkhorn_emd: `{name}`"):
        sinkhorn_emd(*spoil(clouds, name, how))


@pytest.mark.parametrize("name, how", POINT_CASES)
def test_non_finite_points_are_errors_in_graphs(clouds, name, how):
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=f"sinkhorn_emd: `{name}` must be finite .*tf.function.*Remove or "
                             f"impute"):
        graph()(*[tf.constant(t) for t in spoil(clouds, name, how)])


@pytest.mark.parametrize("name, how", WEIGHT_CASES)
def test_bad_weights_are_errors_in_graphs(clouds, name, how):
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=f"sinkhorn_emd: `{name}` must be finite, non-negative and sum to 1 "
                             f"in every pair .*normalize=True"):
        graph()(*[tf.constant(t) for t in spoil(clouds, name, how)])


def test_graph_checks_pass_good_inputs_and_normalize(clouds):
    want = sinkhorn_emd(*clouds).numpy()
    np.testing.assert_allclose(graph()(*[tf.constant(t) for t in clouds]).numpy(), want,
                               rtol=1e-12)
    # normalize=True accepts any positive sums, in graphs too, but still refuses negatives
    scaled = spoil(clouds, "x_weights", "sum2")
    got = graph(normalize=True)(*[tf.constant(t) for t in scaled]).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="`x_weights` must be finite, non-negative, with a positive sum"):
        graph(normalize=True)(*[tf.constant(t) for t in spoil(clouds, "x_weights", "negative")])


@pytest.mark.parametrize("name, how", POINT_CASES + WEIGHT_CASES)
def test_under_xla_a_bad_batch_costs_nan_never_a_finite_number(clouds, name, how):
    # XLA drops tf.debugging checks (documented): the whole batch must cost NaN (its pairs share
    # the solver's stopping test, so the good pairs' values would be cut short too).
    got = graph(jit=True)(*[tf.constant(t) for t in spoil(clouds, name, how)]).numpy()
    assert np.all(np.isnan(got))
    want = sinkhorn_emd(*clouds).numpy()
    np.testing.assert_allclose(graph(jit=True)(*[tf.constant(t) for t in clouds]).numpy(), want,
                               rtol=1e-9)


def test_one_check_per_input_and_none_in_the_solver(clouds):
    """The graph checks are cheap: one op per input tensor, none per iteration or in the
    gradient."""
    def step(a, x, b, y):
        with tf.GradientTape() as tape:
            tape.watch([x, b])
            loss = tf.reduce_sum(sinkhorn_emd(a, x, b, y))
        return loss, tape.gradient(loss, [x, b])

    concrete = tf.function(step).get_concrete_function(*[tf.constant(t) for t in clouds])
    gdef = concrete.graph.as_graph_def()
    ops = [n.op for n in gdef.node] + [n.op for f in gdef.library.function for n in f.node_def]
    assert ops.count("CheckNumerics") == 2           # x_points, y_points
    assert ops.count("Assert") == 2                  # x_weights, y_weights


def test_a_keras_train_step_stops_at_a_nan_target(clouds, emd_decoder):
    _, _, b, y = clouds
    model = emd_decoder(N)
    model.compile(optimizer="adam", jit_compile=False)
    z = np.zeros((B, 2), np.float32)
    bad = y.copy()
    bad[2, 0, 1] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError, match="sinkhorn_emd: `x_points` must be "
                                                              "finite"):
        model.fit(z, (b, bad), batch_size=B, epochs=1, verbose=0)


# --- the ground distance ----------------------------------------------------------------------
def test_delta_r_nan_is_never_a_distance_of_zero():
    x = np.array([[0.0, 0.0], [np.nan, 0.3]])
    y = np.array([[0.1, 0.2]])
    with pytest.raises(ValueError, match=r"delta_r: `x_points` contains 1 non-finite value.*"
                                         r"NaN at index \(1, 0\)"):
        delta_r(x, y)
    with pytest.raises(tf.errors.InvalidArgumentError, match="delta_r: `y_points` must be finite"):
        tf.function(delta_r)(tf.constant(y), tf.constant(x))
    got = tf.function(delta_r, jit_compile=True)(tf.constant(x), tf.constant(y)).numpy()
    assert np.isnan(got[1, 0]) and got[0, 0] == pytest.approx(np.hypot(0.1, 0.2))


def test_wrap_phi_refuses_non_finite_angles():
    with pytest.raises(ValueError, match="wrap_phi: `dphi` contains 1 non-finite"):
        wrap_phi([0.0, np.inf])
    with pytest.raises(tf.errors.InvalidArgumentError, match="wrap_phi: `dphi` must be finite"):
        tf.function(wrap_phi)(tf.constant([np.nan]))
    with pytest.raises(TypeError, match="wrap_phi: `dphi` must hold real numbers"):
        wrap_phi(["a"])


def test_delta_r_shapes_and_dtypes():
    with pytest.raises(ValueError, match=r"delta_r: `x_points` must have shape \(\.\.\., n, 2\)"):
        delta_r(np.zeros((3, 3)), np.zeros((2, 2)))
    with pytest.raises(TypeError, match="delta_r: `y_points` must hold real numbers"):
        delta_r(np.zeros((3, 2)), np.zeros((2, 2), dtype=complex))


def test_numpy_ground_distance_and_translation():
    with pytest.raises(ValueError, match="ground_distance: `x_points` contains 1 non-finite"):
        ground_distance([[np.nan, 0.0]], [[0.0, 0.0]])
    with pytest.raises(ValueError, match=r"ground_distance: `y_points` must have shape "
                                         r"\(\.\.\., n, 2\)"):
        ground_distance([[0.0, 0.0]], [[1.0, 0.0, 0.0]])     # (weight, eta, phi) rows
    with pytest.raises(ValueError, match=r"translate_jets: `shift` must have shape \(2,\)"):
        translate_jets(np.zeros((2, 3, 2)), [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"translate_jets: `points` must have shape"):
        translate_jets(np.zeros((2, 3, 3)), [0.1, 0.2])


# --- array-likes, kinds and shapes ------------------------------------------------------------
def test_array_likes_give_the_ndarray_result_and_stay_unchanged(clouds):
    a, x, b, y = clouds
    want = sinkhorn_emd(a, x, b, y).numpy()
    frames = pd.DataFrame(a), pd.DataFrame(b)
    kept = [t.copy() for t in clouds]
    for args, rtol in (((frames[0], x, frames[1], y), 1e-12),
                       ((a.tolist(), x.tolist(), b.tolist(), y.tolist()), 1e-12),
                       (tuple(tf.Variable(t) for t in clouds), 1e-12),
                       (tuple(tf.constant(t, tf.float32) for t in clouds), 1e-5)):
        np.testing.assert_allclose(sinkhorn_emd(*args).numpy(), want, rtol=rtol)
    for before, after in zip(kept, clouds):
        np.testing.assert_array_equal(before, after)
    np.testing.assert_array_equal(frames[0].to_numpy(), a)


@pytest.mark.parametrize("bad, error, match", [
    (np.array([["a"] * N] * B), TypeError, "`x_weights` must hold real numbers.*dtype <U1"),
    (np.array([[None] * N] * B, dtype=object), TypeError, "`x_weights` must hold real numbers"),
    ([[0.2] * N, [0.5] * 2], TypeError, "`x_weights` must be an array of real numbers"),
    (tf.constant([["a"] * N] * B), TypeError, "`x_weights` must hold real numbers.*string"),
    (np.ones((B, 0)), ValueError, r"`x_points` must have shape \(B, n, 2\) = \(3, 0, 2\)"),
    (np.full((B, N + 1), 1 / (N + 1)), ValueError, r"`x_points` must have shape \(B, n, 2\) = "
                                                   r"\(3, 6, 2\)"),
])
def test_wrong_kinds_and_shapes_of_weights(clouds, bad, error, match):
    _, x, b, y = clouds
    with pytest.raises(error, match="sinkhorn_emd: " + match):
        sinkhorn_emd(bad, x, b, y)


def test_empty_clouds_and_empty_batches(clouds):
    a, x, b, y = clouds
    with pytest.raises(ValueError, match=r"sinkhorn_emd: `y_weights` must have at least one "
                                         r"point"):
        sinkhorn_emd(a, x, b[:, :0], y[:, :0])
    # no pairs is no work, eagerly and in graphs (a last, empty batch)
    assert sinkhorn_emd(a[:0], x[:0], b[:0], y[:0]).shape == (0,)
    assert graph(jit_compile=False)(*[tf.constant(t[:0]) for t in clouds]).shape == (0,)


def test_numpy_companions_refuse_graphs_and_bad_jets(clouds):
    a, x, b, y = clouds
    with pytest.raises(RuntimeError, match="sinkhorn_plan returns NumPy arrays and must be called "
                                           "eagerly.*use sinkhorn_emd"):
        tf.function(lambda: sinkhorn_plan(a, x, b, y).cost, autograph=False)()
    jets = toy_two_prong_jets(3, N, min_particles=3, seed=1)
    with pytest.raises(RuntimeError, match="pairwise_emd returns NumPy arrays"):
        tf.function(lambda: pairwise_emd(jets, progress=False), autograph=False)()
    bad = jets.copy()
    bad[1, 0, 2] = np.nan
    with pytest.raises(ValueError, match=r"pairwise_emd: `jets\[\.\.\., 1:\] \(points\)` contains "
                                         r"1 non-finite"):
        pairwise_emd(bad, progress=False)
    with pytest.raises(ValueError, match=r"pairwise_emd: `jets` must have shape \(N, n, 3\)"):
        pairwise_emd(jets[..., 1:], progress=False)
    with pytest.raises(ValueError, match="pairwise_emd: `jets` needs at least 2 jets; got 1"):
        pairwise_emd(jets[:1], progress=False)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(eps_end=float("nan")), ValueError, "`eps_end` must be finite and > 0"),
    (dict(eps_start=0.01, eps_end=1.0), ValueError, "`eps_end` must not exceed `eps_start`"),
    (dict(n_eps="10"), TypeError, "`n_eps` must be an integer"),
    (dict(eps_start="fast"), TypeError, "`eps_start` must be a number"),
])
def test_bad_schedules(kwargs, error, match):
    with pytest.raises(error, match="eps_schedule: " + match):
        eps_schedule(**{"eps_start": 1.0, "eps_end": 0.01, "n_eps": 10, **kwargs})


@pytest.mark.parametrize("name, how", POINT_CASES + WEIGHT_CASES)
def test_invalid_nan_gives_nan_costs_eagerly_and_in_graphs(clouds, name, how):
    """For training loops that recover from non-finite losses (a diverging decoder)."""
    args = spoil(clouds, name, how)
    assert np.all(np.isnan(sinkhorn_emd(*args, invalid="nan").numpy()))
    got = graph(invalid="nan")(*[tf.constant(t) for t in args]).numpy()
    assert np.all(np.isnan(got))


def test_invalid_nan_keeps_good_batches_and_checks_its_option(clouds):
    want = sinkhorn_emd(*clouds).numpy()
    np.testing.assert_allclose(sinkhorn_emd(*clouds, invalid="nan").numpy(), want, rtol=1e-12)
    with pytest.raises(ValueError, match="sinkhorn_emd: unknown `invalid` 'ignore'"):
        sinkhorn_emd(*clouds, invalid="ignore")
    # shapes are still checked
    a, x, b, y = clouds
    with pytest.raises(ValueError, match=r"`y_points` must have shape \(B, n, 2\)"):
        sinkhorn_emd(a, x, b, y[:, :2], invalid="nan")
