"""Latent-space pictures of the EMD-VAE, checked with a closed-form decoder (no training)."""
import matplotlib

matplotlib.use("agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from latentdims.plotting.jet_vae import (decode_grid, draw_latent_grid, draw_zoom,  # noqa: E402
                                         grid_extent, latent_density, quantity_contours,
                                         rp2_hemisphere)

N_LATENT = 4
P = 5


def two_prong_decode(z):
    """A jet whose two prongs sit at eta = +-(0.2 + 0.05 z0) and whose leading prong carries
    0.5 + 0.2 tanh(z1) of the pT; the whole jet is translated to phi = z2. Three padding slots."""
    z = np.asarray(z, dtype=float)
    m = len(z)
    w = np.zeros((m, P))
    w[:, 0] = 0.5 + 0.2 * np.tanh(z[:, 1])
    w[:, 1] = 1.0 - w[:, 0]
    pts = np.zeros((m, P, 2))
    half = 0.2 + 0.05 * z[:, 0]
    pts[:, 0, 0], pts[:, 1, 0] = half, -half
    pts[:, :, 1] = z[:, 2:3]
    return w, pts


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_decode_grid_places_each_code():
    xs, ys = np.array([-2.0, 0.0, 2.0]), np.array([-1.0, 1.0])
    g = decode_grid(two_prong_decode, (0, 1), xs, ys, n_latent=N_LATENT, base=[0, 0, 0.3, 0])
    assert g.weights.shape == (2, 3, P) and g.points.shape == (2, 3, P, 2)
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            assert g.codes[i, j].tolist() == [x, y, 0.3, 0.0]
            np.testing.assert_allclose(g.points[i, j, 0], [0.2 + 0.05 * x, 0.3])
            np.testing.assert_allclose(g.weights[i, j, 0], 0.5 + 0.2 * np.tanh(y))
    assert g.spacing == pytest.approx(2.0)


def test_decode_grid_errors():
    with pytest.raises(ValueError, match="decode_grid: `dims` must be two different"):
        decode_grid(two_prong_decode, (1, 1), [0], [0], n_latent=N_LATENT)
    with pytest.raises(ValueError, match=r"decode_grid: `dims`.*\[0, 4\)"):
        decode_grid(two_prong_decode, (0, 7), [0], [0], n_latent=N_LATENT)
    with pytest.raises(TypeError, match="decode_grid: `decode` must return a pair"):
        decode_grid(lambda z: z, (0, 1), [0], [0], n_latent=N_LATENT)
    with pytest.raises(ValueError, match=r"decode_grid: `decode` must map 1 codes"):
        decode_grid(lambda z: (np.ones((1, 3)), np.ones((1, 4, 2))), (0, 1), [0], [0],
                    n_latent=N_LATENT)
    with pytest.raises(ValueError, match="decode_grid: `base` must have shape"):
        decode_grid(two_prong_decode, (0, 1), [0], [0], n_latent=N_LATENT, base=[0, 0])


def test_grid_extent_quantiles_and_errors():
    enc = np.stack([np.linspace(-1, 3, 201), np.linspace(0, 10, 201)], 1)
    xs, ys = grid_extent(enc, quantiles=(0.0, 1.0), n=5)
    np.testing.assert_allclose(xs, np.linspace(-1, 3, 5))
    np.testing.assert_allclose(ys, np.linspace(0, 10, 5))
    with pytest.raises(ValueError, match="grid_extent: `quantiles`"):
        grid_extent(enc, quantiles=(0.9, 0.1))


@pytest.mark.parametrize("shape", ["square", "circle"])
def test_draw_latent_grid_puts_insets_at_their_codes(shape):
    rng = np.random.default_rng(0)
    encoded = rng.normal(size=(400, 2))
    fig, ax = plt.subplots()
    g = draw_latent_grid(ax, two_prong_decode, (0, 1), n_latent=N_LATENT, encoded=encoded,
                         n_grid=3, shape=shape, half_width=0.5)
    insets = ax.child_axes
    assert len(insets) == 9
    fig.canvas.draw()
    inv = ax.transData.inverted()
    centres = sorted(tuple(np.round(inv.transform(a.get_window_extent().get_points()).mean(0),
                                    6)) for a in insets)
    expect = sorted((round(x, 6), round(y, 6)) for y in g.ys for x in g.xs)
    np.testing.assert_allclose(centres, expect, atol=1e-3 * np.ptp(g.xs))
    # each inset holds the two real prongs only (padding has no weight) ...
    for a in insets:
        offsets = a.collections[-1].get_offsets()
        assert len(offsets) == 2
        if shape == "circle":          # ... clipped to the circle drawn behind it
            assert a.collections[-1].get_clip_path() is not None
    # density contours underneath
    assert any(type(c).__name__ in ("QuadContourSet", "ContourSet") for c in ax.collections)


def test_draw_latent_grid_errors():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="draw_latent_grid: `shape` must be"):
        draw_latent_grid(ax, two_prong_decode, n_latent=N_LATENT, shape="hexagon")
    with pytest.raises(ValueError, match="draw_latent_grid: `encoded` must have shape"):
        draw_latent_grid(ax, two_prong_decode, n_latent=N_LATENT, encoded=np.zeros((10, 3)))


def test_draw_zoom_shows_the_cell_jet():
    fig, (ax, az) = plt.subplots(1, 2)
    g = draw_latent_grid(ax, two_prong_decode, (0, 2), n_latent=N_LATENT, n_grid=3,
                         half_width=3.2, density=False)
    draw_zoom(az, g, (2, 0), grid_ax=ax, half_width=3.2)
    pts = az.collections[-1].get_offsets()
    # cell (2, 0): z0 = xs[0] = -2 (prongs at +-0.1 in eta), z2 = ys[2] = 2 (phi = 2)
    np.testing.assert_allclose(np.sort(pts[:, 0]), [-0.1, 0.1], atol=1e-9)
    np.testing.assert_allclose(pts[:, 1], [2.0, 2.0], atol=1e-9)
    assert len(ax.patches) == 1                # the outlined cell
    with pytest.raises(ValueError, match=r"draw_zoom: `cell` must be in \[0, 3\)"):
        draw_zoom(az, g, (3, 0))


def test_latent_density_levels_enclose_fractions():
    rng = np.random.default_rng(1)
    enc = rng.normal(size=(3000, 2))
    fig, ax = plt.subplots()
    cs = latent_density(ax, enc, fractions=(0.5,), filled=False)
    # for a standard normal the 50 % highest-density region is the disc r^2 < 2 log 2
    verts = np.concatenate([p.vertices for p in cs.get_paths()])
    r = np.hypot(*verts.T)
    assert abs(np.median(r) - np.sqrt(2 * np.log(2))) < 0.12
    with pytest.raises(ValueError, match="latent_density: `fractions` must lie in"):
        latent_density(ax, enc, fractions=(1.5,))
    with pytest.raises(ValueError, match="no spread along one axis"):
        latent_density(ax, np.stack([enc[:, 0], np.zeros(len(enc))], 1))


def test_quantity_contours_linear_field():
    rng = np.random.default_rng(2)
    enc = rng.uniform(-1, 1, size=(6000, 2))
    fig, ax = plt.subplots()
    (cs,) = quantity_contours(ax, enc, enc[:, 0] + 0.5 * enc[:, 1], levels=[0.0], bins=20)
    v = np.concatenate([p.vertices for p in cs.get_paths()])
    assert np.max(np.abs(v[:, 0] + 0.5 * v[:, 1])) < 0.1


def test_quantity_contours_periodic_has_no_seam():
    """The azimuth around the origin: every level is one ray; no lines along the +-pi cut."""
    rng = np.random.default_rng(3)
    enc = rng.uniform(-1, 1, size=(8000, 2))
    ang = np.arctan2(enc[:, 1], enc[:, 0])
    fig, ax = plt.subplots()
    levels = np.array([-np.pi / 2, 0.0, np.pi / 2, np.pi])
    sets = quantity_contours(ax, enc, ang, levels=levels, period=2 * np.pi, bins=24)
    drawn = {}
    for cs in sets:
        for lev, path in zip(cs.levels, cs.get_paths()):
            if len(path.vertices):
                drawn[round(float(np.mod(lev, 2 * np.pi)), 6)] = path.vertices
    assert len(drawn) == 4
    for lev, v in drawn.items():
        far = np.hypot(*v.T) > 0.3          # the centre is where all directions meet
        direction = np.arctan2(v[far, 1], v[far, 0])
        miss = np.abs(np.angle(np.exp(1j * (direction - lev))))
        assert np.max(miss) < 0.35, (lev, np.max(miss))
    # a naive contour of the wrapped angle would put the 0 level on the cut (x < 0) as well
    naive = ax.contour(np.linspace(-1, 1, 24), np.linspace(-1, 1, 24),
                       np.arctan2(*np.meshgrid(np.linspace(-1, 1, 24), np.linspace(-1, 1, 24))[::-1]),
                       levels=[0.0])
    assert np.min(np.concatenate([p.vertices for p in naive.get_paths()])[:, 0]) < -0.5


def test_quantity_contours_errors():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"quantity_contours: `values` must have shape \(10\); got \(9,\)"):
        quantity_contours(ax, np.zeros((10, 2)), np.zeros(9), levels=[0])
    with pytest.raises(ValueError, match="quantity_contours: `period`"):
        quantity_contours(ax, np.random.default_rng(0).normal(size=(10, 2)), np.zeros(10),
                          levels=[0], period=-1.0)


def test_rp2_hemisphere_folds_antipodes():
    theta = np.array([0.2, np.pi - 0.2, 1.2])
    phi = np.array([0.5, 0.5 - np.pi, -2.0])
    fig = plt.figure()
    ax = fig.add_subplot(projection="3d")
    sc = rp2_hemisphere(ax, theta, phi, np.array([1.0, 1.0, -1.0]))
    x, y, z = sc._offsets3d
    assert np.all(np.asarray(z) > 0)                  # all on the upper hemisphere
    np.testing.assert_allclose([x[0], y[0], z[0]], [x[1], y[1], z[1]])   # antipodes coincide
    with pytest.raises(TypeError, match="rp2_hemisphere: `ax` must be a 3-D axes"):
        rp2_hemisphere(plt.subplots()[1], theta, phi, theta)


def test_single_row_grid_and_degenerate_density():
    fig, ax = plt.subplots()
    g = draw_latent_grid(ax, two_prong_decode, (0, 1), n_latent=N_LATENT,
                         xs=np.linspace(-2, 2, 5), ys=[0.0], density=False)
    assert len(ax.child_axes) == 5
    assert ax.get_ylim() == pytest.approx((-0.5, 0.5))     # the row is as tall as a cell is wide
    assert g.weights.shape == (1, 5, P)
    line = np.stack([np.linspace(0, 1, 50), np.linspace(0, 2, 50)], 1)
    with pytest.warns(UserWarning, match="latent_density: the encoded points lie on a line"):
        assert latent_density(ax, line) is None


# ------------------------------------------------------------------ the notebooks' figures
class _Run:
    """The reader API the figures use (AnnealRun's ``steps``), on a five-step schedule."""

    def __init__(self):
        phases = ["priming", "priming", "zigzag", "production", "production"]
        beta_hat = [0.05, 0.5, 0.05, 0.05, 0.5]
        kl = [[1.0, 0.2, 0.0, 0.0], [0.3, 0.1, 0.0, 0.0], [1.2, 0.4, 0.1, 0.0],
              [2.0, 0.5, 0.2, 0.0], [0.5, 0.01, 0.0, 0.0]]
        self.steps = [{"index": i, "phase": p, "segment": {"priming": 0, "zigzag": 1,
                                                           "production": 2}[p],
                       "beta_hat": b, "beta_gev": 500 * b, "metrics": {"kl_per_latent": k}}
                      for i, (p, b, k) in enumerate(zip(phases, beta_hat, kl))]
        self.ht_mean = 500.0

    def indices(self, phase=None, segment=None):
        return np.array([s["index"] for s in self.steps
                         if (phase is None or s["phase"] == phase)
                         and (segment is None or s["segment"] == segment)], dtype=int)


def _titles(fig):
    return [fig._suptitle.get_text() if fig._suptitle else ""] + [a.get_title() for a in fig.axes]


def test_schedule_and_annealing_figures():
    from latentdims.plotting.jet_vae import annealing_overview_figure, schedule_figure
    run = _Run()
    fig = schedule_figure(run, profile="smoke")
    assert len(fig.axes) == 2 and "profile smoke" in _titles(fig)[0]
    assert fig.axes[0].get_ylabel() == r"$\hat\beta$" and fig.axes[1].get_yscale() == "log"
    fig = annealing_overview_figure(run, profile="smoke")
    image = fig.axes[1].images[0].get_array()
    assert image.shape == (4, 5)            # latents x steps, ordered by production KL
    np.testing.assert_allclose(image[0], np.log10(np.array([1.0, 0.3, 1.2, 2.0, 0.5]) + 1e-3))


def test_kl_and_dimension_figures():
    from latentdims.maths.dimensionality import DimensionCurve
    from latentdims.maths.latent_measures import JetDcorr
    from latentdims.plotting.jet_vae import (dimension_comparison_figure, dimensions_dcorr_figure,
                                             dimensions_figure, dimensions_overlay_figure,
                                             kl_curves_figure)
    beta = np.array([1.0, 10.0, 100.0])
    kl = np.array([[3.0, 1.0], [1.0, 0.2], [0.1, 0.0]])
    fig = kl_curves_figure({"a": (beta, kl), "b": (beta, kl), "c": (beta, kl)}, profile="quick")
    assert [a.get_title() for a in fig.axes] == ["VAE_a run", "VAE_b run", "VAE_c run"]
    curve = DimensionCurve(np.array([3.0, 30.0]), np.array([2.0, 1.0]), np.array([2.1, 0.9]))
    dc = JetDcorr(beta, np.array([2.0, 1.5, 1.0]), np.zeros(3), np.full(3, 3.0),
                  np.array([True, True, False]))
    curves, dcorr = {"uncent": curve, "cent": curve}, {"uncent": dc, "cent": dc}
    fig = dimensions_figure(curves, profile="quick")
    assert [a.get_title() for a in fig.axes] == ["VAE_uncent", "VAE_cent"]
    fig = dimensions_dcorr_figure(curves, dcorr, centred={"uncent": False, "cent": True},
                                  n_jets=40, profile="quick")
    assert fig.axes[1].get_title() == "VAE_cent (centred jets)" and "40 jets" in _titles(fig)[0]
    assert len(fig.axes[0].lines[2].get_xdata()) == 2          # only the valid D_corr scales
    counts = {"uncent": (beta, np.array([3, 2, 1])), "cent": (beta, np.array([2, 1, 0]))}
    fig = dimensions_overlay_figure(curves, dcorr, counts, profile="quick")
    assert len(fig.axes[0].lines) == 6 and len(fig.axes[1].lines) == 2
    fig = dimension_comparison_figure({"top": curve, "W": curve},
                                      {"top": counts["uncent"], "W": counts["cent"]},
                                      profile="quick")
    np.testing.assert_array_equal(fig.axes[1].lines[1].get_ydata(), [2, 1, 0])


def test_latent_grid_figures():
    from latentdims.plotting.jet_vae import (DETECTOR_WINDOW, further_directions_figure,
                                             latent_panels_figure, latent_rows_figure,
                                             position_latents_figure)
    rng = np.random.default_rng(0)
    means = rng.normal(size=(200, N_LATENT))
    kl = np.array([2.0, 1.5, 1.0, 0.5])
    fig = position_latents_figure(two_prong_decode, means, (0, 1, 2), n_latent=N_LATENT, n_grid=3,
                                  beta_gev=50.0, profile="smoke")
    assert fig.axes[0].get_xlabel() == "$z_0$ (latent 0)" and "50 GeV" in _titles(fig)[0]
    fig = further_directions_figure(two_prong_decode, means, [0, 1, 2, 3], n_latent=N_LATENT,
                                    n_grid=3, centre=(0.0, 0.0), beta_gev=5.0, profile="smoke")
    assert fig.axes[1].get_ylabel() == "$z_5$ (latent 3)"
    fig = further_directions_figure(two_prong_decode, means, [0], n_latent=N_LATENT, n_grid=3,
                                    centre=(0.0, 0.0), beta_gev=5.0, profile="smoke")
    assert fig.axes[0].get_xlabel() == ""                      # fewer than four: empty panels
    fig = latent_rows_figure(two_prong_decode, [0, 2], kl, n_latent=N_LATENT, centre=(0.0, 0.0),
                             beta_gev=5.0)
    assert fig.axes[0].get_ylabel() == "latent 0\nKL 2.0"
    panels = [([0, 1], None), ([2, 3], dict(window_centre=(0.0, 0.0), half_width=0.8, area=60.0))]
    fig = latent_panels_figure(two_prong_decode, means, panels, kl, n_latent=N_LATENT, n_grid=3,
                               title="two panels")
    assert fig._suptitle.get_text() == "two panels"
    fig = latent_panels_figure(two_prong_decode, means, [([0, 1], DETECTOR_WINDOW)], kl,
                               n_latent=N_LATENT, n_grid=3, title="one panel")
    assert fig.axes[0].get_title() == "one panel" and fig._suptitle is None
    assert fig.axes[0].get_xlabel() == "latent 0 (KL 2.0)"


def test_decay_plane_figure_has_the_hemispheres():
    from latentdims.plotting.jet_vae import decay_plane_figure
    rng = np.random.default_rng(1)
    theta, phi = np.arccos(rng.uniform(-1, 1, 300)), rng.uniform(-np.pi, np.pi, 300)
    means = np.stack([np.cos(theta), np.sin(theta) * np.cos(phi), rng.normal(size=300),
                      rng.normal(size=300)], 1)
    fig = decay_plane_figure(two_prong_decode, means, (0, 1), np.abs(theta), phi, theta, phi,
                             n_latent=N_LATENT, n_grid=3, beta_gev=6.0, profile="smoke")
    assert sum(hasattr(a, "zaxis") for a in fig.axes) == 2
    assert "6.0 GeV" in fig.axes[0].get_title()


def test_category_and_classifier_figures():
    from types import SimpleNamespace

    from latentdims.maths.latent_measures import category_performance
    from latentdims.plotting.jet_vae import category_latents_figure, classifier_figure
    rng = np.random.default_rng(2)
    rates = SimpleNamespace(rate_top=np.array([2.0, 1.0, 0.5, 0.1]),
                            rate_light=np.array([0.5, 0.2, 0.1, 0.0]),
                            order=np.array([0, 1, 2, 3]), dims=(0, 1),
                            means_top=rng.normal(size=(100, N_LATENT)),
                            means_light=rng.normal(size=(100, N_LATENT)))
    decoders = {"top": (1, two_prong_decode), "light": (0, two_prong_decode)}
    fig = category_latents_figure(decoders, rates, n_latent=N_LATENT, n_grid=3, beta_gev=40.0,
                                  profile="smoke")
    assert fig.axes[0].get_title().startswith("category 1 ('top')")
    heights = [p.get_height() for p in fig.axes[2].patches]
    np.testing.assert_allclose(heights, [2.0, 1.0, 0.5, 0.1, 0.5, 0.2, 0.1, 0.0])
    y = rng.integers(0, 2, 200)
    score = np.clip(0.5 + 0.3 * (2 * y - 1) + rng.normal(0, 0.2, 200), 0, 1)
    perf = category_performance(np.stack([1 - score, score], 1), y)
    fig = classifier_figure(perf, score, y == 1, profile="smoke")
    assert f"AUC = {perf.auc:.3f}" in fig.axes[0].get_legend().get_texts()[0].get_text()
    assert fig.axes[1].get_yscale() == "log"


def test_latent_axes_name_a_role_only_when_given():
    """The notebooks pass ``roles`` only for the roles their checks found."""
    from latentdims.plotting.jet_vae import further_directions_figure, position_latents_figure
    means = np.random.default_rng(1).normal(size=(200, N_LATENT))
    fig = position_latents_figure(two_prong_decode, means, (0, 1, 2), n_latent=N_LATENT, n_grid=3,
                                  beta_gev=50.0, profile="smoke", roles={1: r"$\phi$"})
    labels = [fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel(), fig.axes[1].get_xlabel()]
    assert labels == ["$z_0$ (latent 0)", r"$z_1$ (latent 1): $\phi$", r"$z_1$ (latent 1): $\phi$"]
    fig = further_directions_figure(two_prong_decode, means, [0, 1, 2, 3], n_latent=N_LATENT,
                                    n_grid=3, centre=(0.0, 0.0), beta_gev=5.0, profile="smoke",
                                    roles={0: "boost"})
    assert fig.axes[0].get_xlabel() == "$z_2$ (latent 0): boost"
    assert fig.axes[1].get_ylabel() == "$z_5$ (latent 3)"
