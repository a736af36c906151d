"""Tests of latentdims.maths.jet_geometry (exact EMD and its gradients, jet images, prongs, the
Fig. 5 transformations, example-jet selection, the Sinkhorn error study) and of the studies and
figures of notebooks 10-13 built on it (latentdims.studies.jet_samples and
latentdims.plotting.jet_samples, on toy jets; small sizes, seconds)."""
import matplotlib

matplotlib.use("agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import ot  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from latentdims.data.jetobs import jet_kinematics, weighted_centroid  # noqa: E402
from latentdims.data.jets import JetSample  # noqa: E402
from latentdims.maths import jet_geometry as ja  # noqa: E402
from latentdims.maths.sinkhorn import delta_r, toy_two_prong_jets  # noqa: E402
from latentdims.plotting import jet_samples as plot  # noqa: E402
from latentdims.studies import jet_samples as study  # noqa: E402


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


# ---------------------------------------------------------------- settings of notebooks 10-13
def test_settings_per_profile():
    for profile in ("smoke", "quick", "paper"):
        cfg = study.settings(profile)
        assert cfg.profile == profile and cfg.samples == study.sample_settings(profile)
        assert cfg.analysis == study.analysis_settings(profile)
        s = cfg.analysis
        assert 0.01 in s.eps_ends and 10 in s.iters_per_eps   # the paper's schedule is in every grid
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        study.settings("fast")
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        study.analysis_settings("fast")


def test_studies_take_settings_not_a_profile():
    for func in (study.sample_validation, study.example_jets, study.emd_scales,
                 study.sinkhorn_convergence):
        with pytest.raises(TypeError, match=rf"{func.__name__}: `cfg` must be a JetStudySettings"):
            func("smoke")


# ---------------------------------------------------------------- studies of notebooks 10-13, on toy jets
def toy_sample(n_jets=60, n_particles=24, *, centred=True, seed=3):
    """A JetSample of toy two-prong jets (H_T = 550 GeV, massless particles), with tau chosen so
    that the jets whose prong axis lies along eta or phi are the clean two-pronged ones."""
    j = toy_two_prong_jets(n_jets, n_particles, centred=centred, min_particles=12, seed=seed)
    w, p = j[..., 0], j[..., 1:]
    masks = w > 0
    ht = np.full(n_jets, 550.0)
    pt = w * ht[:, None]
    energies = pt * np.cosh(p[..., 0])
    kin = jet_kinematics(pt, p[..., 0], p[..., 1], energies)
    alpha = ja.split_prongs(w, p, masks).orientation
    aligned = np.minimum(np.abs(np.sin(alpha)), np.abs(np.cos(alpha))) < 0.9 * np.sin(np.pi / 8)
    rng = np.random.default_rng(seed)
    t21 = np.where(aligned, rng.uniform(0.1, 0.2, n_jets), rng.uniform(0.3, 0.9, n_jets))
    t32 = np.where(aligned, 0.95, rng.uniform(0.2, 0.8, n_jets))
    tau = np.stack([np.ones(n_jets), t21, t21 * t32], axis=1)
    return JetSample(weights=w, points=p, masks=masks, ht=ht, jet_pt=kin.pt, jet_eta=kin.eta,
                     jet_phi=kin.phi, jet_mass=kin.mass, energies=energies,
                     n_constituents=masks.sum(1) + 10, tau=tau, process="w", centred=centred)


TINY = study.JetStudySettings(
    samples=study.JetSampleSettings("smoke", 60, 60, 30),
    analysis=study.JetAnalysisSettings(None, 25, 30, 3, (0.1, 0.01), (10,), False))


@pytest.fixture
def toy_samples(monkeypatch):
    """study.jet_sample answers with toy jets (no files, no generation)."""
    calls = []

    def fake(process, samples, *, seed=0, split="train", centred=False, n=None, workers=None,
             progress=True):
        calls.append(dict(process=process, samples=samples, seed=seed, split=split,
                          centred=centred, n=n))
        s = toy_sample(centred=centred, seed=3 + study.VALIDATION_PROCESSES.index(process))
        return s if n is None else s.take(slice(0, n))

    monkeypatch.setattr(study, "jet_sample", fake)
    return calls


def test_mass_mode_and_trimmed_mass():
    assert study.mass_mode([76.0, 80.1, 80.4, 81.0, 95.0], 75, 110) == 81.25
    s = toy_sample(n_jets=5)
    # no particle below a share of 0: the "trimmed" mass is the mass of all stored particles
    np.testing.assert_allclose(study.trimmed_mass(s, min_share=0.0), s.jet_mass, rtol=1e-12)
    assert np.all(study.trimmed_mass(s) <= s.jet_mass + 1e-9)


def test_sample_validation(toy_samples):
    v = study.sample_validation(TINY, seed=0)
    assert list(v.samples) == ["w", "top", "qcd"] and set(v.trimmed_mass) == set(v.samples)
    assert all(c["split"] == "all" and c["n"] is None and c["samples"] is TINY.samples
               for c in toy_samples)
    w = v.samples["w"]
    assert v.w_mass_peak == study.mass_mode(w.jet_mass, 75, 110)
    assert v.median_tau21["w"] == pytest.approx(np.median(w.tau21))
    outside = (w.jet_pt <= 500) | (w.jet_pt >= 600) | (np.abs(w.jet_eta) >= 2)
    assert v.cut_violations["w"] == int(np.sum(outside))
    assert v.cut_violations["w_mass"] == int(np.sum((w.jet_mass <= 75) | (w.jet_mass >= 110)))
    assert set(v.cut_violations) == {"w", "top", "qcd", "w_mass"}
    assert v.max_weight_error < 1e-12 and v.n_particles == 24


def test_example_jets_and_training_data(toy_samples):
    ex = study.example_jets(TINY, seed=0)
    assert toy_samples[-1]["centred"] and toy_samples[-1]["split"] == "all"
    assert len(set(ex.examples.indices)) == 3
    td = study.training_data(ex.jets, TINY, seed=0)
    assert td.n_images == 25 and td.mean_image.shape == (50, 50)
    assert len(set(td.shown.tolist())) == 4
    # centred toy jets hold all their weight within |eta|, |phi| < 1
    assert td.mean_image.sum() == pytest.approx(1.0)
    sep = ja.split_prongs(ex.jets.weights, ex.jets.points, ex.jets.masks).separation
    assert td.prong_separation == pytest.approx(np.median(sep))
    assert study.training_data(ex.jets.take(slice(0, 10)), TINY).n_images == 10


def test_emd_scales(toy_samples):
    res = study.emd_scales(TINY, seed=0)
    assert toy_samples[-1]["n"] == 30 and not toy_samples[-1]["centred"]
    assert res.n_jets == 30 and len(res.scales.ht) == 30
    assert res.translation_deviation < 1e-6
    assert res.medians["translation"] == pytest.approx(np.median(res.scales.translation))
    assert res.medians["translation"] > res.medians["decay"] > res.medians["shower"]


def test_emd_scales_half_turn_costs_pi_ht(toy_samples):
    res = study.emd_scales(TINY, seed=0)
    ratio = res.half_turn / (np.pi * res.scales.ht)
    # a half turn never costs more than pi H_T (the other way round the phi circle is as long),
    # and compact jets (toy prongs within ~0.5 of the axis) lose little of it
    assert res.half_turn.shape == (30,) and np.all(ratio <= 1 + 1e-9) and np.all(ratio > 0.8)
    one = ja.exact_emd([[1.0]], [[[0.3, 2.0]]], [[1.0]], ja.translate_jets([[[0.3, 2.0]]], [0.0, np.pi]))
    assert one[0] == pytest.approx(np.pi)


def brute_d2(w, p, beta=1.0):
    r = ja.ground_distance(p, p) ** beta
    n = len(w)
    e2 = sum(w[i] * w[j] * r[i, j] for i in range(n) for j in range(i + 1, n))
    e3 = sum(w[i] * w[j] * w[k] * r[i, j] * r[i, k] * r[j, k]
             for i in range(n) for j in range(i + 1, n) for k in range(j + 1, n))
    return e3 / e2**3


def test_energy_correlation_d2_is_the_triple_sum_and_separates_two_from_three_prongs():
    xw, xp, _, _ = random_clouds(3, 9, 9, seed=2)
    xw[0, -2:] = 0.0                                # padding contributes nothing
    for beta in (1.0, 2.0):
        got = ja.energy_correlation_d2(xw, xp, beta=beta, chunk=2)
        np.testing.assert_allclose(got, [brute_d2(w, p, beta) for w, p in zip(xw, xp)], rtol=1e-10)
    rng = np.random.default_rng(0)

    centres = np.array([[0.0, 0.0], [0.3, 0.0], [0.15, 0.26]])
    points = np.repeat(centres, 10, axis=0) + rng.normal(0, 0.01, (30, 2))
    two = np.where(np.arange(30) < 20, 1 / 20, 0.0)      # the third blob padded away
    d2 = ja.energy_correlation_d2([two, np.full(30, 1 / 30)], [points, points])
    assert d2[0] < 0.5 * d2[1]                            # two prongs: low D2
    assert ja.energy_correlation_d2([[1.0, 0.0]], [[[0.0, 0.0], [0.1, 0.0]]])[0] == np.inf
    with pytest.raises(ValueError, match="energy_correlation_d2: `weights` must have shape"):
        ja.energy_correlation_d2(xw[0], xp[0])
    with pytest.raises(ValueError, match="energy_correlation_d2: `weights` must be finite"):
        ja.energy_correlation_d2(np.full((1, 2), np.nan), xp[:1, :2])


def test_prong_measures_are_not_the_selection_quantities():
    s = toy_sample(n_jets=20)
    m = study.prong_measures(s)
    np.testing.assert_allclose(m.d2, ja.energy_correlation_d2(s.weights, s.points))
    third = ja.split_prongs(s.weights, s.points, s.masks, n_prongs=3).fractions[:, 2]
    np.testing.assert_allclose(m.third_share, third)
    assert np.all((m.third_share >= 0) & (m.third_share <= 1 / 3 + 1e-12))


def test_pixel_triplets_measure_real_jets():
    s = toy_sample(n_jets=12)
    t = study.pixel_triplets(s, TINY, seed=1)
    assert t.l1_ab.shape == t.emd_bc.shape == (30,)
    assert np.all((t.l1_ab >= 0) & (t.l1_ab <= 2 + 1e-9)) and 0 <= t.discordant <= 1
    rng = np.random.default_rng(1)
    a, b, c = rng.choice(12, 3, replace=False)       # the first triplet drawn
    img = ja.jet_images(s.weights[[a, b]], s.points[[a, b]], s.masks[[a, b]], n_pixels=80,
                        half_width=1.6, centre=(0.0, 0.0))
    assert t.l1_ab[0] == pytest.approx(float(ja.pixel_distance(img[0], img[1], norm="l1")))
    emd = ja.exact_emd(s.weights[[b]], s.points[[b]], s.weights[[c]], s.points[[c]])[0]
    assert t.emd_bc[0] == pytest.approx(550.0 * emd)
    flipped = study.PixelTriplets(l1_ab=np.array([2.0, 1.0]), l1_bc=np.array([1.0, 0.5]),
                                  emd_ab=np.array([10.0, 30.0]), emd_bc=np.array([20.0, 20.0]))
    assert flipped.discordant == 0.5 and flipped.maximal == 0.25
    with pytest.raises(ValueError, match="pixel_triplets: need at least 3 jets"):
        study.pixel_triplets(s.take(slice(0, 2)), TINY)
    with pytest.raises(TypeError, match="pixel_triplets: `cfg` must be a JetStudySettings"):
        study.pixel_triplets(s, "smoke")


def test_transport_pair_moves_all_the_weight():
    """What the claim `emd-plan-marginals` of notebook 12 recorded before: the exact plan moves
    all of jet 1's pT onto jet 2."""
    s = toy_sample(n_jets=4)
    pair = study.transport_pair(s, 1, 3)
    plan = pair.exact.plan[0]
    marg = np.abs(plan.sum(axis=1) - s.weights[1]).sum() + np.abs(plan.sum(axis=0) - s.weights[3]).sum()
    assert marg < 1e-9
    assert pair.exact.cost[0] == pytest.approx(ja.exact_emd(s.weights[[1]], s.points[[1]],
                                                            s.weights[[3]], s.points[[3]])[0])
    assert pair.ht == 550.0 and pair.relative_error < 0.05


def test_garbage_images():
    s = toy_sample(n_jets=3)
    g = study.garbage_images(s, 0)
    assert g.images.shape == (3, 80, 80) and g.half_width == 1.6
    assert g.l1["(a)-(b)"] == pytest.approx(2.0, abs=1e-9)
    assert g.emd["(a)-(b)"] == pytest.approx(g.triplet.shift, abs=1e-9)
    assert list(g.table.columns) == ["pair", "EMD [GeV]", "pixel L1", "pixel L2"]
    assert g.table["EMD [GeV]"].iloc[0] == round(550.0 * g.emd["(a)-(b)"], 1)


def test_schedule_row_and_sinkhorn_convergence(toy_samples):
    errors = pd.DataFrame({"eps_end": [0.1, 0.01], "n_eps": [10, 10], "iters_per_eps": [10, 10]})
    assert study.schedule_row(errors, {"eps_end": 0.01, "n_eps": 10}).name == 1
    with pytest.raises(ValueError, match="schedule_row: no row of `errors` has the schedule"):
        study.schedule_row(errors, {"eps_end": 0.5})
    conv = study.sinkhorn_convergence(TINY, seed=0)
    assert conv.n_pairs == 3 and conv.iters_per_eps == (10,)
    # the grid's (0.01, 10 x 10) is the paper's schedule: solved once; the refined one is added
    assert len(conv.errors) == 3 and len(conv.grid) == 2
    assert conv.paper.eps_end == 0.01 and conv.refined.eps_end == 1e-3
    assert conv.refined.mean_rel_error < conv.grid.mean_rel_error.iloc[0]
    assert list(conv.most_iterations.eps_end) == [0.1, 0.01]


# ---------------------------------------------------------------- figures of notebooks 10-13
@pytest.fixture
def close_figures():
    yield
    plt.close("all")


def test_sample_validation_figure(close_figures):
    samples = {p: toy_sample(n_jets=20, seed=k) for k, p in enumerate(("w", "top", "qcd"))}
    trimmed = {p: study.trimmed_mass(s) for p, s in samples.items()}
    fig = plot.sample_validation_figure(samples, trimmed, profile="smoke")
    assert len(fig.axes) == 4 and "profile smoke" in fig.get_suptitle()
    assert fig.axes[0].get_xlabel().startswith("jet mass [GeV]")
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["W", "top", "QCD (light q/g)"]


def test_example_jets_and_training_data_figures(close_figures):
    s = toy_sample(n_jets=20)
    fig = plot.example_jets_figure(s, [0, 1, 2])
    assert len(fig.axes) == 3 and fig.axes[1].get_title().startswith("two prongs along $\\phi$")
    image = ja.jet_images(s.weights, s.points, s.masks, n_pixels=50).mean(axis=0)
    fig = plot.training_data_figure(s, image, [3, 4, 5, 6], n_images=20, profile="smoke")
    # the mean image with its colour bar, four jets, the rank and Delta R panels
    assert len(fig.axes) == 8
    assert fig.axes[0].get_title() == "mean of 20 centred W jets"
    assert [ax.get_title() for ax in fig.axes[2:6]] == ["jet 3", "jet 4", "jet 5", "jet 6"]
    assert fig.axes[6].get_yscale() == "log" and "20 jets, profile smoke" in fig.get_suptitle()


def test_emd_scales_figure(close_figures):
    s = toy_sample(n_jets=12, centred=False)
    scales = ja.generative_scales(s.weights, s.points, s.ht, s.masks)
    fig = plot.emd_scales_figure(scales, profile="quick")
    assert len(fig.axes) == 2 and fig.axes[0].get_xscale() == "log"
    assert len(fig.axes[0].get_legend().get_texts()) == 5
    assert "on 12 W jets" in fig.get_suptitle() and "profile quick" in fig.get_suptitle()


def test_emd_illustration_and_garbage_figures(close_figures):
    s = toy_sample(n_jets=4)
    pair = study.transport_pair(s, 0, 1)
    fig = plot.emd_illustration_figure(s, pair)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_title().startswith("exact EMD") and fig.axes[1].get_title().startswith("sharp Sinkhorn")
    assert all(len(ax.patches) > 0 for ax in fig.axes)     # the flows are drawn as arrows
    g = study.garbage_images(s, 1)
    fig = plot.jet_images_garbage_figure(g.images, g.table, shift=g.triplet.shift, half_width=g.half_width)
    assert len(fig.axes) == 4 and [ax.get_title() for ax in fig.axes[:3]] == ["(a)", "(b)", "(c)"]
    assert len(fig.axes[3].tables) == 1


def test_sinkhorn_convergence_figure(close_figures):
    grid = pd.DataFrame({"eps_end": [0.1, 0.01, 0.1, 0.01], "iters_per_eps": [5, 5, 10, 10]})
    for col in ("mean_rel_error", "point_grad_error", "point_fd_error", "weight_grad_error"):
        grid[col] = [0.05, 0.02, 0.04, 0.01]
    paper = grid.iloc[3]
    refined = paper.copy()
    refined["eps_end"] = 1e-3
    fig = plot.sinkhorn_convergence_figure(grid, paper, refined, iters_per_eps=(5, 10), n_pairs=7,
                                           profile="smoke")
    assert len(fig.axes) == 4
    # two grid lines, two schedule stars and the dashed 1% per panel
    assert all(len(ax.lines) == 5 for ax in fig.axes)
    assert fig.axes[0].get_yscale() == "log" and "on 7 pairs" in fig.get_suptitle()
