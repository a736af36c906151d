"""Drawing jets: particles as discs whose area is proportional to their pT share (ICLR Fig. 4,
the decoded jets of Figs 1, 2 and 8), in the (eta, phi) plane, insets placed on another axes
(latent-space grids), transport plans and jet images; and the figures of notebooks 10-13
(mirroring :mod:`latentdims.studies.jet_samples`), each returned for ``run.save_figure``.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch

from latentdims.data.jetobs import merge_nearby, weighted_centroid, wrap_phi
from latentdims.maths.jet_geometry import M_W
from latentdims.plotting.style import COLORS, palette

__all__ = ["draw_jet", "jet_inset", "draw_transport_plan", "draw_jet_image",
           "sample_validation_figure", "example_jets_figure", "training_data_figure",
           "emd_scales_figure", "emd_illustration_figure", "jet_images_garbage_figure",
           "sinkhorn_convergence_figure"]


def draw_jet(ax, weights, points, mask=None, *, merge_radius: float = 0.02, centre=None,
             half_width: float = 1.0, area: float = 600.0, color=None, alpha: float = 0.8,
             axes_off: bool = False, **scatter_kw):
    """Draw one jet as discs with area proportional to pT (weights), at (eta, phi).

    Parameters
    ----------
    ax : matplotlib axes
    weights : array, shape (P,)
        pT fractions (padding 0).
    points : array, shape (P, 2)
        (eta, phi) in radians.
    mask : bool array, shape (P,), optional
        Real particles; default ``weights > 0``.
    merge_radius : float
        Particles closer than this are merged for display (the ICLR figure: about 0.02); 0 keeps
        them all.
    centre : (eta, phi), optional
        The window's centre; default the pT-weighted centroid.
    half_width : float
        Half the window size in eta and phi.
    area : float
        Marker area (points^2) of a particle carrying the whole jet's pT.
    """
    w = np.asarray(weights, dtype=float)[None]
    p = np.asarray(points, dtype=float)[None]
    m = None if mask is None else np.asarray(mask, dtype=bool)[None]
    if merge_radius > 0:
        w, p, m = merge_nearby(w, p, m, radius=merge_radius)
    else:
        m = w > 0 if m is None else m & (w > 0)
    w, p, m = w[0], p[0], m[0]
    c = weighted_centroid(w[None], p[None], m[None])[0] if centre is None else np.asarray(centre)
    d_phi = wrap_phi(p[m, 1] - c[1])      # draw across the phi = pi seam without a jump
    total = w[m].sum()
    ax.scatter(p[m, 0], c[1] + d_phi, s=area * w[m] / max(total, 1e-12),
               color=color or COLORS["data"], alpha=alpha, linewidths=0, **scatter_kw)
    ax.set_xlim(c[0] - half_width, c[0] + half_width)
    ax.set_ylim(c[1] - half_width, c[1] + half_width)
    ax.set_aspect("equal")
    if axes_off:
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        ax.set_xlabel(r"$\eta$")
        ax.set_ylabel(r"$\phi$")
    return ax


def jet_inset(ax, x: float, y: float, size: float, weights, points, mask=None, *,
              frame_color: str = "0.6", **draw_kw):
    """Draw a jet in a small inset axes centred at data coordinates (x, y) of ``ax``.

    ``size`` is the inset's width and height in ``ax``'s data units (e.g. the spacing of a
    latent-space grid).
    """
    inset = ax.inset_axes([x - size / 2, y - size / 2, size, size], transform=ax.transData)
    draw_jet(inset, weights, points, mask, axes_off=True, **draw_kw)
    for spine in inset.spines.values():
        spine.set_edgecolor(frame_color)
        spine.set_linewidth(0.5)
    inset.patch.set_alpha(0.7)
    return inset


def draw_transport_plan(ax, plan, x_points, y_points, *, min_flow: float = 1e-3,
                        width: float = 6.0, color=None, alpha: float = 0.7):
    r"""Draw a transport plan between two jets as arrows from :math:`x_i` to :math:`y_j`, with line
    width proportional to the flow :math:`P_{ij}` (the talks' EMD illustration).

    Parameters
    ----------
    ax : matplotlib axes
    plan : array, shape (n, m)
        :math:`P_{ij}`, e.g. ``exact_transport(...).plan[k]`` (total 1).
    x_points, y_points : arrays, shapes (n, 2) and (m, 2)
        (eta, phi) of the source and target particles; arrows follow the short way round in phi.
    min_flow : float
        Flows below this are not drawn.
    width : float
        Line width (points) of a flow carrying the whole jet.
    """
    plan = np.asarray(plan, dtype=float)
    x = np.asarray(x_points, dtype=float)
    y = np.asarray(y_points, dtype=float)
    color = color or COLORS["theory"]
    for i, j in zip(*np.nonzero(plan > min_flow)):
        d_eta, d_phi = y[j, 0] - x[i, 0], float(wrap_phi(y[j, 1] - x[i, 1]))
        # a patch (unlike an annotation) is clipped to the axes, so far flows do not stretch the figure
        ax.add_patch(FancyArrowPatch((x[i, 0], x[i, 1]), (x[i, 0] + d_eta, x[i, 1] + d_phi),
                                     arrowstyle="-|>", mutation_scale=6, color=color, alpha=alpha,
                                     lw=max(width * plan[i, j], 0.3), shrinkA=0, shrinkB=0))
    return ax


def draw_jet_image(ax, image, *, half_width: float = 1.0, centre=(0.0, 0.0), log: bool = False,
                   cmap: str = "Greys", vmin=None, vmax=None, colorbar: bool = False):
    """Show a jet image (``latentdims.maths.jet_geometry.jet_images``; axis 0 eta, axis 1 phi) on the
    (eta, phi) window it covers; ``log`` shows log10 of the non-zero pixels."""
    img = np.asarray(image, dtype=float)
    shown = np.where(img > 0, np.log10(np.where(img > 0, img, 1.0)), np.nan) if log else img
    extent = (centre[0] - half_width, centre[0] + half_width,
              centre[1] - half_width, centre[1] + half_width)
    mappable = ax.imshow(shown.T, origin="lower", extent=extent, cmap=cmap, vmin=vmin, vmax=vmax,
                         interpolation="nearest", aspect="equal")
    ax.set_xlabel(r"$\eta$")
    ax.set_ylabel(r"$\phi$")
    if colorbar:
        ax.figure.colorbar(mappable, ax=ax, label=r"$\log_{10}$ pT fraction" if log else "pT fraction",
                           shrink=0.8)
    return mappable


# --------------------------------------------------------------------------------------------
# the figures of notebooks 10-13
_PROCESS_COLOR = {"w": COLORS["mean"], "top": COLORS["production"], "qcd": COLORS["data"]}
_PROCESS_LABEL = {"w": "W", "top": "top", "qcd": "QCD (light q/g)"}


def sample_validation_figure(samples: Mapping, trimmed_mass: Mapping, *, profile: str):
    """Jet mass (solid: all constituents, dotted: ``trimmed_mass``), pT, multiplicity and
    :math:`\tau_{21}` of the samples (``companion/jet-sample-validation``, notebook 10).

    Parameters
    ----------
    samples : mapping of process ('w', 'top', 'qcd') to JetSample
    trimmed_mass : mapping of process to ndarray, shape (N,)
        The mass of the hard subjets [GeV] (``studies.jet_samples.trimmed_mass``).
    profile : str
        Named in the title.
    """
    fig, axes = plt.subplots(2, 2, figsize=(9, 6.5))
    for p, s in samples.items():
        kw = dict(histtype="step", density=True, color=_PROCESS_COLOR[p], label=_PROCESS_LABEL[p],
                  lw=1.3)
        axes[0, 0].hist(s.jet_mass, bins=np.arange(0, 301, 5), **kw)
        axes[0, 0].hist(trimmed_mass[p], bins=np.arange(0, 301, 5), ls=":", **{**kw, "label": None})
        axes[0, 1].hist(s.jet_pt, bins=np.arange(480, 621, 5), **kw)
        axes[1, 0].hist(s.n_constituents, bins=np.arange(0, 181, 5), **kw)
        axes[1, 0].hist(s.multiplicity, bins=np.arange(0, 181, 5), ls=":", **{**kw, "label": None})
        axes[1, 1].hist(s.tau21, bins=np.linspace(0, 1, 41), **kw)
    axes[0, 0].axvline(M_W, color=COLORS["theory"], lw=0.8, ls="--")
    axes[0, 0].set_xlabel("jet mass [GeV] (dotted: subjets with pT > 1% of $H_T$)")
    axes[0, 1].set_xlabel(r"jet $p_T$ [GeV]")
    axes[1, 0].set_xlabel("multiplicity (solid: constituents, dotted: subjets kept)")
    axes[1, 1].set_xlabel(r"$\tau_{21} = \tau_2/\tau_1$ (all constituents)")
    for ax in axes.flat:
        ax.set_ylabel("density")
    axes[0, 0].legend()
    fig.suptitle(f"Generated jets (Pythia 8 + FastJet), profile {profile}")
    fig.tight_layout()
    return fig


def example_jets_figure(jets, indices: Sequence[int]):
    """The three example W jets of ICLR Fig. 4 (``iclr2022/figure-4``): centred jets, particles
    within 0.02 merged, disc area proportional to pT, with their :math:`\tau_{21}`,
    :math:`\tau_{32}` and mass.

    Parameters
    ----------
    jets : JetSample
        Centred jets with ``tau``.
    indices : three ints
        Two-pronged along eta, along phi, and with a third prong (``ExampleJets.indices``).
    """
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
    titles = ("two prongs along $\\eta$", "two prongs along $\\phi$", "a prominent third prong")
    for ax, k, title in zip(axes, indices, titles):
        draw_jet(ax, jets.weights[k], jets.points[k], jets.masks[k], merge_radius=0.02,
                 centre=(0.0, 0.0), half_width=0.6, area=1500, color=COLORS["mean"])
        t = jets.tau[k]
        ax.set_title(f"{title}\n$\\tau_{{21}}$ = {t[1] / t[0]:.2f}, $\\tau_{{32}}$ = {t[2] / t[1]:.2f}, "
                     f"m = {jets.jet_mass[k]:.0f} GeV", fontsize=9)
    fig.suptitle("Training examples (ICLR Fig. 4): centred W jets, disc area $\\propto p_T$")
    fig.tight_layout()
    return fig


def training_data_figure(jets, mean_image, shown: Sequence[int], *, n_images: int, profile: str):
    """The talks' "W jets (training data)" (``talks/wjets-training-data``): the mean image of
    centred W jets (log scale), four of the jets, the mean pT share of the k-th hardest subjet,
    and the pT-weighted distance of particles from the jet centre.

    Parameters
    ----------
    jets : JetSample
        Centred jets.
    mean_image : array, shape (H, W)
        The mean jet image on the window |eta|, |phi| < 1.
    shown : four ints
        The jets drawn.
    n_images : int
        Jets averaged into ``mean_image`` (for the title).
    profile : str
        Named in the title.
    """
    fig = plt.figure(figsize=(11, 6))
    grid = fig.add_gridspec(2, 5)
    ax = fig.add_subplot(grid[:, :2])
    draw_jet_image(ax, mean_image, half_width=1.0, log=True, cmap="viridis", colorbar=True)
    ax.set_title(f"mean of {n_images} centred W jets")
    for k, idx in enumerate(shown):
        sub = fig.add_subplot(grid[k // 2, 2 + k % 2])
        draw_jet(sub, jets.weights[idx], jets.points[idx], jets.masks[idx], centre=(0.0, 0.0),
                 half_width=0.6, area=600, color=COLORS["mean"], axes_off=True)
        sub.set_title(f"jet {idx}", fontsize=8)
    ax = fig.add_subplot(grid[0, 4])
    ranked = -np.sort(-jets.weights, axis=1)
    ax.plot(np.arange(1, ranked.shape[1] + 1), ranked.mean(axis=0), color=COLORS["mean"])
    ax.set_yscale("log")
    ax.set_xlabel("subjet rank")
    ax.set_ylabel("mean pT / $H_T$")
    ax = fig.add_subplot(grid[1, 4])
    dr = np.hypot(jets.points[..., 0], jets.points[..., 1])
    ax.hist(dr[jets.masks], bins=np.linspace(0, 1, 41), weights=jets.weights[jets.masks],
            color=COLORS["mean"], alpha=0.7)
    ax.set_xlabel(r"$\Delta R$ to the jet centre")
    ax.set_ylabel("pT-weighted count")
    fig.suptitle(f"W jets used for training ({len(jets)} jets, profile {profile})")
    fig.tight_layout()
    return fig


def emd_scales_figure(scales, *, profile: str):
    """ICLR Fig. 5 computed (``iclr2022/figure-5``): distributions of the EMD between W jets and
    their transformed copies (left), and the translation EMD against :math:`H_T\\Delta R` (right).

    Parameters
    ----------
    scales : GenerativeScales
        From ``latentdims.maths.jet_geometry.generative_scales``.
    profile : str
        Named in the title.
    """
    series = [("production: translation", scales.translation, COLORS["production"]),
              ("decay: rotation", scales.rotation, COLORS["sampled"]),
              ("decay: rebalance", scales.rebalance, COLORS["mixed"]),
              ("decay: rotation + rebalance", scales.decay, COLORS["mean"]),
              ("showering: jet vs 2-prong skeleton", scales.shower, COLORS["dcorr"])]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [2, 1]})
    bins = np.geomspace(0.3, 5000, 70)
    for label, values, color in series:
        ax.hist(values, bins=bins, histtype="step", lw=1.5, color=color,
                label=f"{label} (median {np.median(values):.0f} GeV)")
    for x, text in ((np.pi * scales.ht.mean(), r"$\pi\langle H_T\rangle$"), (M_W, r"$m_W$"),
                    (10.0, "10 GeV")):
        ax.axvline(x, color=COLORS["theory"], ls="--", lw=0.8)
        ax.text(x, 0.05, text, rotation=90, va="bottom", ha="right", fontsize=8,
                transform=ax.get_xaxis_transform())
    ax.set_xscale("log")
    ax.set_xlabel("EMD between a jet and its transformed copy [GeV]")
    ax.set_ylabel("jets")
    ax.set_ylim(top=ax.get_ylim()[1] * 1.6)   # room for the legend above the histograms
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    ax2.scatter(scales.translation_delta_r, scales.translation / scales.ht, s=4,
                color=COLORS["production"], alpha=0.5)
    line = np.linspace(0, scales.translation_delta_r.max(), 10)
    ax2.plot(line, line, color=COLORS["theory"], lw=0.8, label=r"$\hat S = \Delta R$")
    ax2.set_xlabel(r"translation $\Delta R$")
    ax2.set_ylabel(r"exact EMD / $H_T$")
    ax2.legend(fontsize=8)
    ax2.set_title("production: EMD = $H_T\\Delta R$", fontsize=9)
    fig.suptitle(f"EMD scales of the generative processes on {len(scales.ht)} W jets "
                 f"(ICLR Fig. 5), profile {profile}")
    fig.tight_layout()
    return fig


def emd_illustration_figure(jets, pair):
    """The talks' EMD illustration (``talks/emd-illustration``): two jets with the exact optimal
    plan (left) and the sharp Sinkhorn plan (right) as arrows of width proportional to the flow.

    Parameters
    ----------
    jets : JetSample
        Centred jets.
    pair : TransportPair
        From ``latentdims.studies.jet_samples.transport_pair`` (``first``, ``second``, ``exact``,
        ``sinkhorn``, ``ht``).
    """
    i, j, ht = pair.first, pair.second, pair.ht
    exact, sink = pair.exact, pair.sinkhorn
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
    panels = ((axes[0], exact.plan[0],
               f"exact EMD: $\\hat S$ = {exact.cost[0]:.4f} ({ht * exact.cost[0]:.1f} GeV)"),
              (axes[1], sink.plan[0],
               f"sharp Sinkhorn (paper schedule): $\\hat S$ = {sink.cost[0]:.4f} "
               f"({ht * sink.cost[0]:.1f} GeV)"))
    for ax, plan, title in panels:
        for k, color, label in ((i, COLORS["mean"], "jet 1"), (j, COLORS["production"], "jet 2")):
            draw_jet(ax, jets.weights[k], jets.points[k], jets.masks[k], merge_radius=0,
                     centre=(0, 0), half_width=0.5, area=1200, color=color, alpha=0.6, label=label)
        draw_transport_plan(ax, plan, jets.points[i], jets.points[j], min_flow=2e-3, width=12)
        ax.set_title(title, fontsize=9)
    axes[0].legend(loc="lower left", fontsize=8, markerscale=0.3)
    fig.suptitle("Earth Mover's Distance: the cost to transform one jet into another = pT x distance")
    fig.tight_layout()
    return fig


def jet_images_garbage_figure(images, table, *, shift: float, half_width: float):
    """The talks' "jet images are garbage" (``talks/jet-images-garbage``): the images of jets
    (a), (b), (c) and the table of their EMDs and pixel distances.

    Parameters
    ----------
    images : array, shape (3, H, W)
        On one window of half side ``half_width`` centred at (0, 0).
    table : pandas.DataFrame
        Shown as a table beside the images.
    shift : float
        The displacement of (a) from (b) along eta (for the caption).
    half_width : float
    """
    centre = np.zeros(2)
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.6), gridspec_kw={"width_ratios": [1, 1, 1, 1.25]})
    for ax, img, name in zip(axes, images, "abc"):
        draw_jet_image(ax, img, half_width=half_width, centre=centre, log=True, cmap="Greys",
                       vmin=-3.5, vmax=0)
        ax.set_xlim(-0.5, 0.5)
        ax.set_ylim(-0.5, 0.5)
        ax.set_title(f"({name})")
    axes[3].axis("off")
    axes[3].table(cellText=table.values, colLabels=table.columns, loc="center",
                  cellLoc="center").scale(1, 1.6)
    axes[3].text(0.5, 0.12, f"(a) = (b) moved by {shift:.2f} in $\\eta$\n(c) = (b), softer prong "
                 f"turned by 90$^\\circ$\npixels 0.04 x 0.04, grey scale log$_{{10}}$ pT fraction",
                 ha="center", va="top", fontsize=8, transform=axes[3].transAxes)
    fig.suptitle("Jet images are garbage: pixel distances disagree with the EMD")
    fig.tight_layout()
    return fig


_CONVERGENCE_PANELS = (("mean_rel_error", "mean |S - EMD| / EMD"),
                       ("point_grad_error", "position gradient vs exact EMD's"),
                       ("point_fd_error", "position gradient vs finite differences of S"),
                       ("weight_grad_error", "weight gradient vs exact EMD's duals"))


def sinkhorn_convergence_figure(grid, paper, refined, *, iters_per_eps: Sequence[int],
                                n_pairs: int, profile: str):
    """Errors of the sharp Sinkhorn EMD against the exact EMD over the final regulator
    (``companion/sinkhorn-convergence``): one line per number of iterations per scale, stars for
    the paper's and the refined schedules, dashed 1%.

    Parameters
    ----------
    grid : pandas.DataFrame
        Rows of ``sinkhorn_errors`` over eps_end x iters_per_eps.
    paper, refined : pandas.Series
        The rows of the paper's (1 to 0.01, 10 x 10) and the refined (1 to 1e-3, 20 x 20)
        schedules.
    iters_per_eps : sequence of int
        The grid's iterations per scale (one line each).
    n_pairs : int
        Pairs of jets (for the title).
    profile : str
        Named in the title.
    """
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.8), sharex=True)
    colors = palette(len(iters_per_eps))
    for ax, (col, title) in zip(axes, _CONVERGENCE_PANELS):
        for color, it in zip(colors, iters_per_eps):
            sub = grid[grid.iters_per_eps == it]
            ax.plot(sub.eps_end, sub[col], "o-", ms=3, color=color, label=f"{it} it./scale")
        for row, marker, name in ((paper, "*", "paper (1 to 0.01, 10 x 10)"),
                                  (refined, "P", "refined (1 to 1e-3, 20 x 20)")):
            ax.plot(row["eps_end"], row[col], marker, ms=11, mec="k", mfc="none", label=name)
        ax.axhline(0.01, color="0.4", ls="--", lw=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(r"final regulator $\varepsilon_\mathrm{end}$")
        ax.set_title(title, fontsize=9)
    axes[0].set_ylabel("relative error (medians over pairs for gradients)")
    axes[0].legend(fontsize=7)
    fig.suptitle(f"Sharp Sinkhorn vs exact EMD on {n_pairs} pairs of centred W jets "
                 f"(profile {profile})")
    fig.tight_layout()
    return fig
