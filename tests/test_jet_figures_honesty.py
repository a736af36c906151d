"""Figures that say what was found (issue #14, item 4): D values outside their physical range
are flagged with their own numbers, decoded pT cut off by the inset windows is reported, and a
latent whose role was looked for and not found is labelled so.  Tiny synthetic inputs only."""
import matplotlib

matplotlib.use("agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from latentdims.maths.dimensionality import (DimensionCurve, out_of_range,  # noqa: E402
                                             rate_distortion_dimensions)
from latentdims.maths.latent_measures import JetDcorr  # noqa: E402
from latentdims.plotting import jet_vae as pj  # noqa: E402

N_LATENT = 4
BETA = np.array([0.1, 1.0, 10.0, 100.0])


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _notes(ax, gid):
    return [t.get_text() for t in ax.texts if t.get_gid() == gid]


def _hollow_offsets(ax):
    """(x, y) of the hollow markers: scatters with no face colour."""
    out = [c.get_offsets() for c in ax.collections
           if len(c.get_offsets()) and len(c.get_facecolors()) == 0]
    return np.concatenate(out) if out else np.zeros((0, 2))


# ------------------------------------------------------------------ maths: the physical range
def test_out_of_range_flags_negative_large_and_nan():
    res = out_of_range(BETA, [-32.0, 3.0, 5.0, np.nan], upper=4)
    assert res.physical.tolist() == [False, True, False, False]
    assert res.beta.tolist() == [0.1, 10.0, 100.0]
    assert res.below.tolist() == [True, False, False]
    assert res.above.tolist() == [False, True, False]
    assert res.nonfinite.tolist() == [False, False, True]
    assert res.count == 3 and res.range_text == "0..4"
    free = out_of_range(BETA, [0.0, 3.0, 5.0, 1.0])          # no upper bound: 5 is fine
    assert free.count == 0 and free.physical.all() and free.range_text == ">= 0"


def test_out_of_range_on_a_curve_and_bad_input():
    b = np.array([0.1, 0.2, 0.4])
    curve = rate_distortion_dimensions(b, -np.log(b), b**2)   # D1 = D2 = 1 exactly
    assert all(f.count == 0 for f in curve.out_of_range(upper=1).values())
    rates = np.array([-np.log(0.1), -np.log(0.2) + 2.0, -np.log(0.4)])   # R rises: D1 < 0
    bad = rate_distortion_dimensions(b, rates, b**2).out_of_range()
    assert bad["d1"].count == 1 and bad["d1"].values[0] < 0 and bad["d2"].count == 0
    with pytest.raises(ValueError, match="out_of_range: `upper` must be a positive"):
        out_of_range(BETA, np.ones(4), upper=0)
    with pytest.raises(ValueError, match="values"):
        out_of_range(BETA, np.ones(3))


# -------------------------------------------------------------------- plots: the D curves
def _curves():
    mid = np.sqrt(BETA[1:] * BETA[:-1])
    good = DimensionCurve(mid, np.array([3.0, 2.0, 0.1]), np.array([2.9, 2.1, 0.0]))
    edge = DimensionCurve(mid, np.array([3.0, 2.0, 0.1]), np.array([-32.0, 2.1, 0.0]))
    return mid, good, edge


def test_unphysical_d_is_flagged_with_its_own_numbers():
    mid, good, edge = _curves()
    fig = pj.dimensions_figure({"uncent": edge, "cent": good}, profile="quick", n_latent=16)
    ax_bad, ax_good = fig.axes
    notes = _notes(ax_bad, pj.OUT_OF_RANGE_NOTE)
    assert len(notes) == 1 and _notes(ax_good, pj.OUT_OF_RANGE_NOTE) == []
    note = notes[0]
    assert f"{edge.d2[0]:.3g}" in note and f"{mid[0]:.3g} GeV" in note   # -32 at 0.316 GeV
    assert "1 value(s) outside 0..16" in note and "not to scale" in note and "D < 0" in note
    # the axis is not stretched to -32: the point sits, hollow, at the bottom edge
    lo, hi = ax_bad.get_ylim()
    assert -1 < lo < 0 and hi < 4
    hollow = _hollow_offsets(ax_bad)
    assert len(hollow) == 1 and hollow[0, 0] == pytest.approx(mid[0])
    assert lo < hollow[0, 1] < lo + 0.1 * (hi - lo)
    # and the D2 line has a gap there instead of a segment down to it
    d2_line = ax_bad.lines[1].get_ydata()
    assert np.isnan(d2_line[0]) and d2_line[1] == pytest.approx(2.1)


def test_all_physical_curves_get_no_note():
    mid, good, _ = _curves()
    dc = JetDcorr(mid, np.array([3.0, 2.0, 1.0]), np.full(3, 0.5), np.full(3, 3.5),
                  np.ones(3, bool))
    figs = [pj.dimensions_figure({"uncent": good, "cent": good}, profile="q", n_latent=4),
            pj.dimensions_dcorr_figure({"uncent": good, "cent": good}, {"uncent": dc, "cent": dc},
                                       centred={"uncent": False, "cent": True}, n_jets=10,
                                       profile="q", n_latent=4),
            pj.dimensions_overlay_figure({"uncent": good, "cent": good},
                                         {"uncent": dc, "cent": dc},
                                         {"uncent": (BETA, np.arange(4)),
                                          "cent": (BETA, np.arange(4))}, profile="q"),
            pj.dimension_comparison_figure({"top": good, "W": good},
                                           {"top": (BETA, np.arange(4)), "W": (BETA, np.arange(4))},
                                           profile="q")]
    for fig in figs:
        for ax in fig.axes:
            assert _notes(ax, pj.OUT_OF_RANGE_NOTE) == []
            assert len(_hollow_offsets(ax)) == 0
    ax = figs[1].axes[0]
    assert ax.get_ylim()[1] >= 3.5                       # the D_corr band is still in view


def test_upper_bound_is_the_number_of_latents():
    mid, good, _ = _curves()
    big = DimensionCurve(mid, np.array([20.0, 2.0, 0.1]), good.d2)
    fig = pj.dimension_comparison_figure({"top": big, "W": good},
                                         {"top": (BETA, np.arange(4)), "W": (BETA, np.arange(4))},
                                         profile="q", n_latent={"top": 16, "W": 16})
    note = _notes(fig.axes[0], pj.OUT_OF_RANGE_NOTE)
    assert len(note) == 1 and "20 at" in note[0] and "more than the 16 latents" in note[0]
    assert _hollow_offsets(fig.axes[0])[0, 1] > 2.1      # drawn at the top edge
    fig = pj.dimension_comparison_figure({"top": big, "W": good},
                                         {"top": (BETA, np.arange(4)), "W": (BETA, np.arange(4))},
                                         profile="q", n_latent=32)
    assert _notes(fig.axes[0], pj.OUT_OF_RANGE_NOTE) == []


def test_nan_and_slightly_negative_values_are_named_not_hidden():
    mid, good, _ = _curves()
    odd = DimensionCurve(mid, np.array([3.0, np.nan, 0.1]), np.array([2.9, 2.1, -0.02]))
    dc = JetDcorr(mid, np.ones(3), np.ones(3), np.ones(3), np.ones(3, bool))
    fig = pj.dimensions_overlay_figure({"uncent": odd, "cent": good}, {"uncent": dc, "cent": dc},
                                       {"uncent": (BETA, np.arange(4)),
                                        "cent": (BETA, np.arange(4))}, profile="q")
    note = _notes(fig.axes[0], pj.OUT_OF_RANGE_NOTE)[0]
    assert "2 value(s)" in note and "nan at" in note and "-0.02 at" in note
    assert "not to scale" not in note            # -0.02 is inside the axis, drawn at its value
    hollow = _hollow_offsets(fig.axes[0])
    assert hollow.tolist() == [[pytest.approx(mid[2]), pytest.approx(-0.02)]]


# ------------------------------------------------------- decoded jets outside their windows
def _decoder(far: float):
    """Three-quarters of the pT at the centre, a quarter at eta = ``far``."""
    def decode(z):
        m = len(z)
        w = np.tile([0.75, 0.25, 0.0], (m, 1))
        p = np.zeros((m, 3, 2))
        p[:, 1, 0] = far
        p[:, 0, 1] = 0.01 * z[:, 0]
        return w, p
    return decode


def test_outside_window_square_circle_and_seam():
    w = np.array([0.5, 0.5])
    p = np.array([[0.4, 0.4], [0.0, 0.0]])
    assert pj.outside_window(w, p, half_width=0.5) == 0.0
    assert pj.outside_window(w, p, half_width=0.5, shape="circle") == pytest.approx(0.5)
    seam = np.array([[0.0, np.pi - 0.1], [0.0, -np.pi + 0.1]])     # 0.2 apart across the seam
    assert pj.outside_window(w, seam, window_centre=(0.0, np.pi), half_width=0.3) == 0.0
    with pytest.raises(ValueError, match="outside_window: `shape`"):
        pj.outside_window(w, p, half_width=0.5, shape="hexagon")


def test_grid_reports_the_pt_outside_its_frames():
    fig, (a, b) = plt.subplots(1, 2)
    pj.draw_latent_grid(a, _decoder(2.0), (0, 1), n_latent=N_LATENT, n_grid=3, half_width=0.5)
    note = _notes(a, pj.OUTSIDE_WINDOW_NOTE)
    assert len(note) == 1
    assert note[0].startswith("25% of the decoded pT lies outside the frames")
    assert "9 of 9 jets, up to 25% of one" in note[0]
    pj.draw_latent_grid(b, _decoder(0.3), (0, 1), n_latent=N_LATENT, n_grid=3, half_width=0.5)
    assert _notes(b, pj.OUTSIDE_WINDOW_NOTE) == []
    # circles clip at the inscribed disc (radius 0.5): a particle 0.45 along eta is inside it
    fig, ax = plt.subplots()
    pj.draw_latent_grid(ax, _decoder(0.45), (0, 1), n_latent=N_LATENT, n_grid=2,
                        half_width=0.5, shape="circle")
    assert _notes(ax, pj.OUTSIDE_WINDOW_NOTE) == []


def test_zoom_and_figure_8_report_the_cut_off_pt():
    means = np.random.default_rng(0).normal(size=(100, N_LATENT))
    fig = pj.further_directions_figure(_decoder(1.5), means, [0, 1, 2, 3], n_latent=N_LATENT,
                                       n_grid=3, centre=(0.0, 0.0), beta_gev=5.0, profile="q")
    assert all(_notes(ax, pj.OUTSIDE_WINDOW_NOTE)[0].startswith("25% ") for ax in fig.axes[:2])
    fig = pj.further_directions_figure(_decoder(0.5), means, [0, 1, 2, 3], n_latent=N_LATENT,
                                       n_grid=3, centre=(0.0, 0.0), beta_gev=5.0, profile="q")
    assert all(_notes(ax, pj.OUTSIDE_WINDOW_NOTE) == [] for ax in fig.axes[:2])
    fig, (a, b) = plt.subplots(1, 2)
    grid = pj.draw_latent_grid(a, _decoder(1.5), (0, 1), n_latent=N_LATENT, n_grid=3,
                               half_width=2.0)
    assert _notes(a, pj.OUTSIDE_WINDOW_NOTE) == []
    pj.draw_zoom(b, grid, (1, 1), half_width=1.0)
    assert _notes(b, pj.OUTSIDE_WINDOW_NOTE) == ["25% of the decoded pT lies outside the window, "
                                                  "not drawn"]
    fig = pj.latent_rows_figure(_decoder(1.5), [0, 2], np.ones(N_LATENT), n_latent=N_LATENT,
                                centre=(0.0, 0.0), beta_gev=5.0)
    assert "25%" in _notes(fig.axes[0], pj.OUTSIDE_WINDOW_NOTE)[0]


# ------------------------------------------------------------------------- latent roles
def test_a_role_looked_for_and_not_found_is_said():
    means = np.random.default_rng(1).normal(size=(100, N_LATENT))
    decode = _decoder(0.0)
    fig = pj.position_latents_figure(decode, means, (0, 1, 2), n_latent=N_LATENT, n_grid=3,
                                     beta_gev=50.0, profile="q", roles={0: None, 1: r"$\phi$"})
    assert fig.axes[0].get_xlabel() == "$z_0$ (latent 0): role not found"
    assert fig.axes[0].get_ylabel() == r"$z_1$ (latent 1): $\phi$"
    assert fig.axes[1].get_ylabel() == "$z_2$ (latent 2)"          # not looked at: no claim
    fig = pj.further_directions_figure(decode, means, [0, 1, 2, 3], n_latent=N_LATENT, n_grid=3,
                                       centre=(0.0, 0.0), beta_gev=5.0, profile="q",
                                       roles={0: "boost", 1: None, 2: None, 3: None},
                                       not_found=["third prong"])
    assert fig.axes[0].get_xlabel() == "$z_2$ (latent 0): boost"
    assert fig.axes[1].get_ylabel() == "$z_5$ (latent 3): role not found"
    assert "not found among them: third prong" in fig._suptitle.get_text()
    fig = pj.further_directions_figure(decode, means, [0, 1, 2, 3], n_latent=N_LATENT, n_grid=3,
                                       centre=(0.0, 0.0), beta_gev=5.0, profile="q",
                                       roles={0: "boost"})
    assert "not found" not in fig._suptitle.get_text()
