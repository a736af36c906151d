"""Measurements for the EMD-VAE notebooks 21, 22, 24, 25 (latentdims.maths.latent_measures;
category_rates in latentdims.models.jet_vae)."""
import numpy as np
import pytest

from latentdims.maths.latent_measures import (category_performance, decoder_sensitivity,
                                              fold_decay_angles, position_ranking,
                                              reflection_symmetry, rp2_embedding, smooth_fit_r2)
from latentdims.models.jet_vae import JetVAE, JetVAEConfig, category_rates, encode_jets


def test_fold_decay_angles_identifies_antipodes():
    rng = np.random.default_rng(0)
    cos_t = rng.uniform(-1, 1, 500)
    theta, phi = np.arccos(cos_t), rng.uniform(-np.pi, np.pi, 500)
    t1, p1 = fold_decay_angles(theta, phi)
    t2, p2 = fold_decay_angles(np.pi - theta, phi + np.pi)       # the other quark
    assert np.all((t1 >= 0) & (t1 <= np.pi / 2 + 1e-12))
    np.testing.assert_allclose(t1, t2, atol=1e-12)
    np.testing.assert_allclose(np.exp(1j * p1), np.exp(1j * p2), atol=1e-12)
    with pytest.raises(ValueError, match=r"fold_decay_angles: `phi` must have shape \(3\)"):
        fold_decay_angles([0.1, 0.2, 0.3], [0.1])


def test_rp2_embedding_is_invariant_and_separating():
    rng = np.random.default_rng(1)
    theta, phi = np.arccos(rng.uniform(-1, 1, 200)), rng.uniform(-np.pi, np.pi, 200)
    a = rp2_embedding(theta, phi)
    np.testing.assert_allclose(a, rp2_embedding(np.pi - theta, phi + np.pi), atol=1e-12)
    # n_z^2 + (n_x^2 - n_y^2)... : the monomials reconstruct n n^T, hence the line
    t, p = fold_decay_angles(theta, phi)
    n = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], 1)
    np.testing.assert_allclose(a[:, 0], n[:, 2] ** 2)
    np.testing.assert_allclose(a[:, 2], 2 * n[:, 0] * n[:, 1])
    # different lines give different points
    d = np.linalg.norm(a[:, None] - a[None], axis=-1)
    assert np.min(d[np.triu_indices(len(a), 1)]) > 0


def test_smooth_fit_r2_smooth_vs_noise_and_errors():
    rng = np.random.default_rng(2)
    z = rng.normal(size=(800, 2))
    y = np.stack([np.cos(z[:, 0]) + z[:, 1] ** 2, rng.normal(size=800)], 1)
    r2 = smooth_fit_r2(z, y, n_neighbors=15)
    assert r2[0] > 0.85 and abs(r2[1]) < 0.15
    # a quantity of the *other* latents is not predicted from this one
    assert smooth_fit_r2(z[:, 0], z[:, 1] ** 3)[0] < 0.1
    with pytest.raises(ValueError, match="smooth_fit_r2: `latents` and `targets` must have the "
                                         "same number"):
        smooth_fit_r2(z, y[:10])
    with pytest.raises(ValueError, match="smooth_fit_r2: need at least"):
        smooth_fit_r2(z[:20], y[:20], n_neighbors=10)
    with pytest.raises(ValueError, match="constant"):
        smooth_fit_r2(z, np.ones(800))


def test_category_performance_resolves_permutation():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 1000)
    score = np.clip(0.5 + 0.35 * (1 - 2 * y) + rng.normal(0, 0.2, 1000), 0, 1)  # category 0 = light
    q = np.stack([score, 1 - score], 1)
    perf = category_performance(q, y)
    assert perf.positive_category == 1 and perf.assignment == (0, 1)
    manual = np.mean((q[:, 1] > q[:, 0]) == (y == 1))
    assert perf.accuracy == pytest.approx(manual)
    assert perf.auc > 0.9 and perf.confusion.sum() == 1000
    # swapping the columns swaps the category, not the result
    swapped = category_performance(q[:, ::-1], y)
    assert swapped.positive_category == 0
    assert swapped.accuracy == pytest.approx(perf.accuracy)
    assert swapped.auc == pytest.approx(perf.auc)
    # a random classifier: AUC near 0.5
    noise = rng.uniform(size=1000)
    assert abs(category_performance(np.stack([noise, 1 - noise], 1), y).auc - 0.5) < 0.06


def test_category_performance_errors():
    q = np.array([[0.5, 0.5], [0.2, 0.8]])
    with pytest.raises(ValueError, match="category_performance: `labels` must be 0"):
        category_performance(q, [0, 2])
    with pytest.raises(ValueError, match="must contain both classes"):
        category_performance(q, [1, 1])
    with pytest.raises(ValueError, match="must be probabilities"):
        category_performance(q * 2, [0, 1])
    with pytest.raises(ValueError, match="at least two categories"):
        category_performance(np.ones((2, 1)), [0, 1])


def _translating_decoder(z):
    """Two prongs at eta = +-0.2 translated to phi = z0; z1 unused."""
    z = np.asarray(z, dtype=float)
    w = np.full((len(z), 2), 0.5)
    pts = np.zeros((len(z), 2, 2))
    pts[:, 0, 0], pts[:, 1, 0] = 0.2, -0.2
    pts[:, :, 1] = z[:, :1]
    return w, pts


def test_decoder_sensitivity_is_the_travelled_emd():
    sens = decoder_sensitivity(_translating_decoder, [0, 1], n_latent=2, span=1.0, n_steps=4)
    # translating the jet by 2 in phi in four steps of 0.5: EMD 0.5 each
    assert sens[0] == pytest.approx(2.0, rel=1e-9)
    assert sens[1] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="decoder_sensitivity: `dims` must index the 2"):
        decoder_sensitivity(_translating_decoder, [2], n_latent=2)


def test_category_rates_matches_posterior_kl():
    cfg = JetVAEConfig(latent_dim=3, pfn_widths=(8,), encoder_widths=(8,), decoder_widths=(8,),
                       n_categories=2)
    model = JetVAE(cfg)
    model.ensure_built()
    rng = np.random.default_rng(5)
    w = rng.uniform(size=(20, 50))
    w /= w.sum(1, keepdims=True)
    pts = rng.normal(0, 0.3, size=(20, 50, 2))
    rates = category_rates(model, w, pts, n_categories=2)
    assert rates.shape == (2, 3) and np.all(rates >= 0)
    mu, lv = encode_jets(model, w, pts, category=1)
    np.testing.assert_allclose(rates[1], np.mean(0.5 * (mu**2 + np.exp(lv) - lv - 1), 0),
                               rtol=1e-6)


def test_reflection_symmetry_rp2_decoder_vs_translation():
    def rp2_decoder(z):
        """Two equal prongs at +-(z0, z1): a line through the origin, so z and -z coincide."""
        pts = np.stack([z[:, :2], -z[:, :2]], 1)
        return np.full((len(z), 2), 0.5), pts

    codes = np.array([[0.3, 0.1, 5.0], [-0.2, 0.25, -1.0]])
    np.testing.assert_allclose(reflection_symmetry(rp2_decoder, codes, (0, 1)), 0.0, atol=1e-12)
    # a translating decoder moves the jet by 2|z| under reflection, sqrt(2)|z| under a quarter turn
    ratio = reflection_symmetry(_translating_2d, codes, (0, 1))
    np.testing.assert_allclose(ratio, np.sqrt(2), rtol=1e-9)
    with pytest.raises(ValueError, match="reflection_symmetry: `dims` must be two different"):
        reflection_symmetry(rp2_decoder, codes, (0, 0))


def _translating_2d(z):
    w = np.full((len(z), 1), 1.0)
    return w, z[:, None, :2].copy()


class _Jets:
    """The fields of a JetSample that the correlation table reads."""

    def __init__(self, rng, n):
        self.jet_eta = rng.uniform(-2, 2, n)
        self.jet_phi = rng.uniform(-np.pi, np.pi, n)
        self.jet_pt = rng.uniform(500, 600, n)
        self.jet_mass = rng.uniform(75, 110, n)
        self.decay_theta = self.decay_phi = self.tau = None

    def __len__(self):
        return len(self.jet_eta)


def test_position_ranking_puts_substructure_first():
    rng = np.random.default_rng(6)
    jets = _Jets(rng, 600)
    means = np.stack([jets.jet_eta + 0.01 * rng.normal(size=600),       # z0: eta
                      np.cos(jets.jet_phi),                               # z1: phi
                      (jets.jet_pt - 550) / 30,                           # z2: boost
                      rng.normal(size=600)], 1)                           # z3: nothing
    table = position_ranking(means, jets, [0, 1, 2, 3])
    assert set(table.index[:2]) == {"z2", "z3"} and set(table.index[2:]) == {"z0", "z1"}
    assert table.loc["z2", "pT"] == pytest.approx(1.0)
    assert table.loc["z0", "position"] > 0.95 and table.loc["z1", "position"] > 0.95


# ------------------------------------------------------------ the study's selections (no training)
def _view(means, kl):
    from types import SimpleNamespace

    from latentdims.studies.jet_vae import LatentView
    order = np.argsort(-np.asarray(kl), kind="stable")
    model = SimpleNamespace(config=SimpleNamespace(latent_dim=means.shape[1]))   # no training
    return LatentView(step=0, beta_gev=5.0, model=model, order=order, kl=np.asarray(kl),
                      means=means, metrics={})


def test_study_selections_of_latents():
    from latentdims.studies import jet_vae as study

    rng = np.random.default_rng(7)
    jets = _Jets(rng, 600)
    means = np.stack([jets.jet_eta + 0.01 * rng.normal(size=600), np.cos(jets.jet_phi),
                      (jets.jet_pt - 550) / 30, rng.normal(size=600)], 1)
    # KL order: z1, z0, z2, z3; z3 below the 0.1-nat cut
    view = _view(means, [2.0, 3.0, 1.0, 0.05])
    leading, table, picked = study.further_directions(view, jets, n_leading=4, n_pick=1)
    assert leading == [1, 0, 2] and picked == [2] and list(table.index)[0] == "z2"
    pos, ranked, table = study.position_split(view, jets, k=4)
    assert pos == [1, 0] and set(ranked[:2]) == {2, 3}
    panels = study.traversal_panels(view, pos, ranked, centre=(0.1, 0.2))
    assert panels[0][0] == [1, 0] and panels[0][1]["half_width"] == pytest.approx(np.pi)
    assert panels[1][1]["window_centre"] == (0.1, 0.2)
    assert study.traversal_panels(view, [], [], centre=(0, 0))[1][0] == [2, 3]
    r2, one = study.phi_ring_fit(view, jets, (0, 1), study.settings("smoke").figures)
    assert r2.shape == (2,) and one <= 1.0


def _scaled_decoder(z):
    """One particle at phi = z0 + 0.5 z1 (z2 unused): the latents move the jet by 1, 0.5 and 0
    per prior unit."""
    z = np.asarray(z, dtype=float)
    pts = np.zeros((len(z), 1, 2))
    pts[:, 0, 1] = z[:, 0] + 0.5 * z[:, 1]
    return np.ones((len(z), 1)), pts


def test_direction_scales_orders_directions_by_the_emd_they_travel():
    from latentdims.studies import jet_vae as study

    view = _view(np.zeros((5, 3)), [3.0, 2.0, 1.0])
    scales = study.direction_scales(view, [0, 1, 2], _scaled_decoder, ht_mean=100.0)
    # from -2 to 2 prior units: 4 and 2 in phi (times <H_T> = 100 GeV), nothing along z2
    np.testing.assert_allclose(scales.emd_gev, [400.0, 200.0, 0.0], atol=1e-9)
    assert scales.rho == pytest.approx(1.0) and scales.kl.tolist() == [3.0, 2.0, 1.0]
    reversed_kl = study.direction_scales(_view(np.zeros((5, 3)), [1.0, 2.0, 3.0]), [0, 1, 2],
                                         _scaled_decoder, ht_mean=100.0)
    assert reversed_kl.rho == pytest.approx(-1.0)        # the hierarchy upside down fails
    flat = study.direction_scales(view, [2], _scaled_decoder, ht_mean=100.0)
    assert np.isnan(flat.rho)
