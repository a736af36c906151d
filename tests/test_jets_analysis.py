"""Tests of latentdims.maths.jet_geometry: exact EMD and its gradients, jet images, prongs, the Fig. 5
transformations, example-jet selection and the Sinkhorn error study (small sizes, seconds)."""
import numpy as np
import ot
import pytest

from latentdims.maths import jet_geometry as ja
from latentdims.maths.sinkhorn import delta_r, toy_two_prong_jets


def random_clouds(n_pairs, n, m, seed=0, spread=0.3):
    rng = np.random.default_rng(seed)
    xw = rng.uniform(0.1, 1, (n_pairs, n))
    yw = rng.uniform(0.1, 1, (n_pairs, m))
    xw /= xw.sum(1, keepdims=True)
    yw /= yw.sum(1, keepdims=True)
    return xw, rng.normal(0, spread, (n_pairs, n, 2)), yw, rng.normal(0, spread, (n_pairs, m, 2))


@pytest.fixture(scope="module")
def toy():
    jets = toy_two_prong_jets(40, 30, centred=False, min_particles=12, seed=3)
    return jets[..., 0], jets[..., 1:]


# ---------------------------------------------------------------- exact EMD
def test_ground_distance_matches_sinkhorn_delta_r_and_wraps_phi():
    _, xp, _, yp = random_clouds(3, 5, 4, spread=2.0)
    np.testing.assert_allclose(ja.ground_distance(xp, yp), delta_r(xp, yp).numpy(), atol=1e-12)
    assert ja.ground_distance([[0.0, np.pi - 0.05]], [[0.0, -np.pi + 0.05]])[0, 0] == pytest.approx(0.1)


def test_exact_transport_agrees_with_pot_and_has_the_marginals():
    xw, xp, yw, yp = random_clouds(4, 7, 5)
    res = ja.exact_transport(xw, xp, yw, yp)
    for k in range(4):
        assert res.cost[k] == pytest.approx(ot.emd2(xw[k], yw[k], ja.ground_distance(xp[k], yp[k])), rel=1e-10)
    np.testing.assert_allclose(res.plan.sum(2), xw, atol=1e-12)
    np.testing.assert_allclose(res.plan.sum(1), yw, atol=1e-12)
    np.testing.assert_allclose(ja.exact_emd(xw, xp, yw, yp), res.cost)


def test_exact_emd_is_symmetric_zero_on_itself_and_ignores_padding():
    xw, xp, yw, yp = random_clouds(2, 6, 6, seed=1)
    np.testing.assert_allclose(ja.exact_emd(xw, xp, yw, yp), ja.exact_emd(yw, yp, xw, xp), rtol=1e-10)
    np.testing.assert_allclose(ja.exact_emd(xw, xp, xw, xp), 0, atol=1e-12)
    pw = np.concatenate([xw, np.zeros((2, 3))], 1)
    pp = np.concatenate([xp, np.full((2, 3, 2), 5.0)], 1)
    np.testing.assert_allclose(ja.exact_emd(pw, pp, yw, yp), ja.exact_emd(xw, xp, yw, yp), rtol=1e-12)


def test_exact_gradients_match_finite_differences():
    xw, xp, yw, yp = random_clouds(1, 6, 5, seed=2)
    res = ja.exact_transport(xw, xp, yw, yp)
    h = 1e-7
    for i, d in ((0, 0), (3, 1)):
        step = np.zeros_like(xp)
        step[0, i, d] = h
        fd = (ja.exact_emd(xw, xp + step, yw, yp) - ja.exact_emd(xw, xp - step, yw, yp)) / (2 * h)
        assert res.point_gradient[0, i, d] == pytest.approx(fd[0], rel=1e-5)
    # weights along the simplex direction e_0 - e_1: the difference of the dual potentials
    step = np.zeros_like(xw)
    step[0, 0], step[0, 1] = h, -h
    fd = (ja.exact_emd(xw + step, xp, yw, yp) - ja.exact_emd(xw - step, xp, yw, yp)) / (2 * h)
    assert res.weight_gradient[0, 0] - res.weight_gradient[0, 1] == pytest.approx(fd[0], rel=1e-5)
    assert abs(res.weight_gradient.sum()) < 1e-12


def test_exact_transport_errors_name_the_problem():
    xw, xp, yw, yp = random_clouds(2, 4, 4)
    with pytest.raises(ValueError, match="exact_transport: `x_weights` and `y_weights` must hold the same"):
        ja.exact_transport(xw, xp, yw[:1], yp[:1])
    with pytest.raises(ValueError, match=r"exact_emd: each row of `y_weights` must sum to 1"):
        ja.exact_emd(xw, xp, 2 * yw, yp)
    with pytest.raises(ValueError, match="must be non-negative"):
        ja.exact_emd(-xw, xp, yw, yp)
    with pytest.raises(ValueError, match=r"`points` must have shape \(2, 4, 2\)"):
        ja.exact_emd(xw, xp[..., :1], yw, yp)


# ---------------------------------------------------------------- images
def test_jet_images_put_the_weight_in_the_right_pixels():
    w = np.array([[0.5, 0.3, 0.2]])
    p = np.array([[[0.05, 0.05], [-0.05, 0.15], [3.0, 0.0]]])   # the last one is outside
    img = ja.jet_images(w, p, n_pixels=4, half_width=0.2)
    assert img.shape == (1, 4, 4)
    assert img[0, 2, 2] == pytest.approx(0.5) and img[0, 1, 3] == pytest.approx(0.3)
    assert img.sum() == pytest.approx(0.8)


def test_jet_images_follow_a_jet_across_the_phi_seam():
    w = np.array([[0.5, 0.5]])
    p = np.array([[[0.0, np.pi - 0.05], [0.0, -np.pi + 0.05]]])
    img = ja.jet_images(w, p, n_pixels=8, half_width=0.4, centre=None)
    assert img.sum() == pytest.approx(1.0)


def test_pixel_distance_norms_and_errors():
    a = np.zeros((1, 3, 3))
    b = np.zeros((1, 3, 3))
    a[0, 0, 0], b[0, 2, 2] = 1.0, 1.0
    assert ja.pixel_distance(a, b, norm="l1")[0] == pytest.approx(2.0)
    assert ja.pixel_distance(a, b)[0] == pytest.approx(np.sqrt(2))
    with pytest.raises(ValueError, match="pixel_distance: unknown `norm` 'l3'"):
        ja.pixel_distance(a, b, norm="l3")
    with pytest.raises(ValueError, match="must have the same shape"):
        ja.pixel_distance(a, b[:, :2])


# ---------------------------------------------------------------- prongs and transformations
def two_blobs(n_jets=5, seed=0):
    """Jets of two tight blobs of 6 particles: 0.6 of the weight at the origin, 0.4 at 0.3 along
    a random direction."""
    rng = np.random.default_rng(seed)
    angles = rng.uniform(-np.pi, np.pi, n_jets)
    centres = np.stack([np.zeros((n_jets, 2)), 0.3 * np.stack([np.cos(angles), np.sin(angles)], 1)], 1)
    p = np.repeat(centres, 6, axis=1) + rng.normal(0, 0.01, (n_jets, 12, 2))
    w = np.concatenate([np.full((n_jets, 6), 0.1), np.full((n_jets, 6), 0.4 / 6)], 1)
    return w, p, angles


def test_split_prongs_recovers_two_blobs():
    w, p, angles = two_blobs()
    res = ja.split_prongs(w, p)
    np.testing.assert_array_equal(res.labels, np.repeat([[0, 1]], 6, axis=1).repeat(len(w), 0))
    np.testing.assert_allclose(res.fractions, [[0.6, 0.4]] * len(w))
    np.testing.assert_allclose(res.separation, 0.3, atol=0.02)
    np.testing.assert_allclose(np.cos(res.orientation - angles), 1, atol=1e-2)
    sk_w, sk_p = ja.prong_skeleton(w, p)
    np.testing.assert_allclose(sk_w, res.fractions)
    np.testing.assert_allclose(sk_p[:, 0], np.average(p[:, :6], axis=1, weights=w[0, :6]), atol=1e-12)


def test_translation_costs_exactly_delta_r(toy):
    w, p = toy
    shift = np.array([0.3, -0.4])
    np.testing.assert_allclose(ja.exact_emd(w, p, w, ja.translate_jets(p, shift)), 0.5, rtol=1e-9)


def test_rotation_keeps_the_centroid_and_distances():
    w, p, _ = two_blobs(seed=1)
    r = ja.rotate_jets(w, p, 0.7)
    from latentdims.data.jetobs import weighted_centroid
    c0, c1 = weighted_centroid(w, p), weighted_centroid(w, r)
    np.testing.assert_allclose(c0, c1, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(p - c0[:, None], axis=2), np.linalg.norm(r - c1[:, None], axis=2), atol=1e-12)
    np.testing.assert_allclose(ja.rotate_jets(w, p, 2 * np.pi), p, atol=1e-12)
    # rotating only the second prong about the jet centre leaves the first where it was
    only = ja.rotate_jets(w, p, np.pi / 2, masks=np.broadcast_to(np.arange(12) >= 6, w.shape), centre=c0)
    np.testing.assert_allclose(only[:, :6], p[:, :6])
    assert not np.allclose(only[:, 6:], p[:, 6:])


def test_rebalance_prongs_sets_the_share_and_checks_input():
    w, p, _ = two_blobs()
    labels = ja.split_prongs(w, p).labels
    new = ja.rebalance_prongs(w, labels, 0.5)
    np.testing.assert_allclose(np.sum(np.where(labels == 0, new, 0), 1), 0.5)
    np.testing.assert_allclose(new.sum(1), 1.0)
    # moving 0.1 of the weight between prongs 0.3 apart costs 0.03
    np.testing.assert_allclose(ja.exact_emd(w, p, new, p), 0.03, rtol=0.1)
    with pytest.raises(ValueError, match=r"rebalance_prongs: `z` must lie in \(0, 1\)"):
        ja.rebalance_prongs(w, labels, 1.0)
    with pytest.raises(ValueError, match="does not have two non-empty prongs"):
        ja.rebalance_prongs(w, np.zeros_like(labels), 0.5)


def test_generative_scales_on_toy_jets(toy):
    w, p = toy
    ht = np.full(len(w), 550.0)
    s = ja.generative_scales(w, p, ht, seed=1)
    safe = np.abs(s.translation_dphi) < 1
    assert safe.sum() >= 5
    np.testing.assert_allclose(s.translation[safe], ht[safe] * s.translation_delta_r[safe], rtol=1e-9)
    assert np.all(s.translation <= ht * s.translation_delta_r * (1 + 1e-9))
    for v in (s.rotation, s.rebalance, s.decay, s.shower):
        assert v.shape == (len(w),) and np.all(v >= 0)
    assert np.median(s.translation) > np.median(s.decay) > np.median(s.shower)
    with pytest.raises(ValueError, match="generative_scales: need at least 2 jets"):
        ja.generative_scales(w[:1], p[:1], ht[:1])


def test_garbage_triplet_orderings_disagree():
    w, p, _ = two_blobs(n_jets=1, seed=5)
    trip = ja.garbage_triplet(w[0], p[0], n_pixels=40, half_width=0.8)
    img = ja.jet_images(trip.weights, trip.points, n_pixels=40, half_width=0.8, centre=(0.0, 0.0))
    assert ja.pixel_distance(img[0], img[1], norm="l1") == pytest.approx(2.0)
    emd = ja.exact_emd(trip.weights[[0, 1]], trip.points[[0, 1]], trip.weights[[1, 2]], trip.points[[1, 2]])
    assert emd[0] == pytest.approx(trip.shift, rel=1e-9)
    assert emd[0] < emd[1]
    assert ja.pixel_distance(img[1], img[2]) < ja.pixel_distance(img[0], img[1])


def test_select_example_jets_follows_its_rule():
    w, p, angles = two_blobs(n_jets=40, seed=4)
    rng = np.random.default_rng(0)
    tau = np.stack([np.ones(40), rng.uniform(0.1, 0.9, 40), np.zeros(40)], 1)
    tau[:, 2] = tau[:, 1] * rng.uniform(0.3, 0.95, 40)
    ex = ja.select_example_jets(w, p, tau, quantile=0.5)
    t21, t32 = tau[:, 1], tau[:, 2] / tau[:, 1]
    for k in (ex.two_prong_a, ex.two_prong_b):
        assert t21[k] <= np.quantile(t21, 0.5) and t32[k] > np.median(t32)
    assert abs(np.sin(angles[ex.two_prong_a])) < np.sin(np.pi / 8)
    assert abs(np.cos(angles[ex.two_prong_b])) < np.sin(np.pi / 8)
    hard = t21 < np.median(t21)
    assert t32[ex.third_prong] == t32[hard].min()
    with pytest.raises(ValueError, match=r"`tau` must have shape \(40, 3\)"):
        ja.select_example_jets(w, p, tau[:, :2])


# ---------------------------------------------------------------- Sinkhorn errors
def test_sinkhorn_errors_small_grid():
    jets = toy_two_prong_jets(6, 12, seed=1)
    x, y = jets[:3], jets[3:]
    df = ja.sinkhorn_errors(x[..., 0], x[..., 1:], y[..., 0], y[..., 1:], eps_ends=[0.1, 1e-3],
                            iters_per_eps=[20], n_eps=20, jit_compile=False,
                            extra=[dict(eps_end=0.1, n_eps=20, iters_per_eps=20)])
    assert len(df) == 2   # the repeated schedule is solved once
    coarse, fine = df.iloc[0], df.iloc[1]
    assert fine.mean_rel_error < 0.01 < coarse.mean_rel_error
    assert coarse.mean_signed_error > 0   # entropic blur overestimates the EMD
    assert fine.point_fd_error < 0.02
    assert fine.point_grad_error < coarse.point_grad_error


def test_settings_per_profile():
    for profile in ("smoke", "quick", "paper"):
        s = ja.jet_analysis_settings(profile)
        assert 0.01 in s.eps_ends and 10 in s.iters_per_eps   # the paper's schedule is in every grid
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        ja.jet_analysis_settings("fast")
