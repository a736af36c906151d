"""Drawing for the toy and background notebooks (00-05), mirroring :mod:`latentdims.studies.toys`:
one function per figure, returning it, and the helpers they share (dimensionality curves, latent
and reconstruction spaces of small VAEs, and the boxes-and-arrows of the thesis' schematics;
graphviz's ``dot`` is not assumed to be installed, so schematics are plain matplotlib).

The figure functions take what the studies computed (sweeps, curves, checks) and draw it; they
never compute a claim's number.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.offsetbox import AnnotationBbox, OffsetImage
from matplotlib.patches import Circle, Ellipse, FancyBboxPatch, Polygon, Rectangle

from latentdims.maths.divergences import GaussianMixture
from latentdims.maths.linear_vae import linear_vae_optimum
from latentdims.plotting.style import COLORS, palette

__all__ = ["SCHEMATIC_COLORS", "plot_dimensions", "plot_ae_packing", "plot_latent_space",
           "plot_reconstruction_space", "draw_box", "draw_arrow", "draw_trapezoid", "draw_graph",
           "draw_image", "plot_linear_vae_toys", "plot_ae_1d", "plot_bananas_regimes",
           "plot_bananas_dims", "plot_curse_of_dimensionality", "plot_kl_fits",
           "plot_rate_distortion_plane", "plot_linear_vae_solution", "plot_thesis_organisation",
           "plot_independence_graphs", "plot_vae_training", "plot_vae_uses", "plot_entanglement"]

# fills of the thesis' schematics (Figure 1.1's node colours, reused in Figures 2.1, 3.1, 3.2)
SCHEMATIC_COLORS = {"grey": "#d9d9d9", "blue": "#9ecae1", "orange": "#fdae6b"}
GREY, BLUE, ORANGE = SCHEMATIC_COLORS["grey"], SCHEMATIC_COLORS["blue"], SCHEMATIC_COLORS["orange"]


# --------------------------------------------------------------------------- measurements
def plot_dimensions(ax, curve, *, expected=None, label: str = "", markers=("o", "s"),
                    show_d2: bool = True):
    """D1 and D2 (a :class:`~latentdims.maths.dimensionality.DimensionCurve`) against beta.

    ``expected``: optional ``(beta_fine, counts)`` drawn as a step line (a closed form).
    """
    if expected is not None:
        ax.step(expected[0], expected[1], where="post", color=COLORS["theory"], lw=1,
                label="closed form")
    ax.plot(curve.beta, curve.d1, markers[0], ms=4, color=COLORS["mean"],
            label=f"$D_1 = -dR/d\\log\\beta$ {label}".strip())
    if show_d2:
        ax.plot(curve.beta, curve.d2, markers[1], ms=4, mfc="none", color=COLORS["sampled"],
                label=f"$D_2 = dD/d\\beta^2$ {label}".strip())
    ax.set_xscale("log")
    ax.set_xlabel(r"$\beta$")
    ax.set_ylabel("dimensionality")
    return ax


def plot_ae_packing(ax, curve, x, *, title: str = "", max_points: int = 3000):
    """A plain autoencoder with a 1-D latent: data coloured by their latent code, and the curve
    that the latent decodes to (a ``DecodedCurve`` of :mod:`latentdims.studies.toys`)."""
    n = min(len(x), max_points)
    sc = ax.scatter(x[:n, 0], x[:n, 1], c=curve.codes[:n], s=3, cmap="viridis", alpha=0.7,
                    rasterized=True)
    ax.plot(curve.points[:, 0], curve.points[:, 1], color=COLORS["production"], lw=1.2,
            label=f"decoded latent (length {curve.length:.1f})")
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return sc


def plot_latent_space(ax, mean, log_var, dims, colour, *, n_ellipses: int = 12, seed: int = 0,
                      max_points: int = 3000):
    """Posterior means in the plane of latents ``dims`` (the two most informative), coloured by
    ``colour``, with the prior's 1-sigma circle and the 1-sigma posterior ellipses of a few points
    (their size is ~beta / sigma: the talks' "Size = beta / sigma", slide 'Bananas')."""
    i, j = dims
    n = min(len(mean), max_points)
    ax.scatter(mean[:n, i], mean[:n, j], c=colour[:n], s=3, cmap="viridis", alpha=0.7,
               rasterized=True)
    ax.add_patch(Circle((0, 0), 1.0, fill=False, ls="--", color=COLORS["theory"], lw=1))
    pick = np.random.default_rng(seed).choice(len(mean), size=min(n_ellipses, len(mean)),
                                              replace=False)
    std = np.exp(0.5 * log_var)
    for k in pick:
        ax.add_patch(Ellipse((mean[k, i], mean[k, j]), 2 * std[k, i], 2 * std[k, j], fill=False,
                             color=COLORS["production"], lw=0.8))
    lim = max(1.3, 1.1 * float(np.max(np.abs(mean[:n][:, [i, j]]))))
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel(f"$z_{{{i}}}$")
    ax.set_ylabel(f"$z_{{{j}}}$")
    return ax


def plot_reconstruction_space(ax, x, reconstruction, colour, *, beta: float | None = None,
                              max_points: int = 3000):
    """Data (grey) and their reconstructions from the posterior means (coloured like the latent
    panel), with a circle of radius ``beta``: the resolution of the reconstruction."""
    n = min(len(x), max_points)
    ax.scatter(x[:n, 0], x[:n, 1], s=2, color=COLORS["data"], alpha=0.25, rasterized=True)
    ax.scatter(reconstruction[:n, 0], reconstruction[:n, 1], c=colour[:n], s=3, cmap="viridis",
               rasterized=True)
    if beta is not None:
        lo, hi = x[:n].min(axis=0), x[:n].max(axis=0)
        if beta < 0.25 * float(np.max(hi - lo)):
            ax.add_patch(Circle((lo[0] + beta, lo[1] + beta), beta, fill=False,
                                color=COLORS["production"], lw=1))
        else:   # a circle of radius beta would dwarf the data
            ax.text(0.03, 0.03, f"resolution $\\beta$ = {beta:.3g} > data size", fontsize=8,
                    transform=ax.transAxes, color=COLORS["production"])
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


# ----------------------------------------------------------------------------- schematics
def draw_box(ax, center, text, *, width: float = 1.6, height: float = 0.7, color="#ffffff",
             colors=None, fontsize: float = 9, edgecolor="#333333", rounded: bool = True):
    """A labelled box centred at ``center``; ``colors`` (several) splits its fill in vertical
    stripes (the thesis' multi-coloured nodes of Figure 1.1)."""
    x0, y0 = center[0] - width / 2, center[1] - height / 2
    style = "round,pad=0.02,rounding_size=0.12" if rounded else "square,pad=0.0"
    fills = list(colors) if colors else [color]
    stripe = width / len(fills)
    for k, c in enumerate(fills):
        ax.add_patch(Rectangle((x0 + k * stripe, y0), stripe, height, color=c, lw=0, zorder=1))
    ax.add_patch(FancyBboxPatch((x0, y0), width, height, boxstyle=style, fill=False,
                                edgecolor=edgecolor, lw=1.2, zorder=2))
    ax.text(center[0], center[1], text, ha="center", va="center", fontsize=fontsize, zorder=3)
    return (x0, y0, width, height)


def draw_arrow(ax, start, end, *, color="#333333", lw: float = 1.2, style: str = "-|>",
               connection: str = "arc3,rad=0.0", shrink: float = 0.0, text: str = "",
               fontsize: float = 8):
    """An arrow from ``start`` to ``end`` (data coordinates), optionally labelled at its middle."""
    ax.annotate("", xy=end, xytext=start,
                arrowprops=dict(arrowstyle=style, color=color, lw=lw, shrinkA=shrink,
                                shrinkB=shrink, connectionstyle=connection), zorder=2)
    if text:
        mid = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        ax.text(mid[0], mid[1], text, ha="center", va="bottom", fontsize=fontsize)


def draw_trapezoid(ax, center, text, *, width: float = 1.4, tall: float = 1.6,
                   short: float = 0.6, narrowing: str = "right", color="#dbe9f6",
                   fontsize: float = 9):
    """A trapezoid (the usual picture of an encoder, narrowing to the right, or a decoder,
    widening to the right) with a label."""
    cx, cy = center
    left, right = (tall, short) if narrowing == "right" else (short, tall)
    pts = [(cx - width / 2, cy - left / 2), (cx + width / 2, cy - right / 2),
           (cx + width / 2, cy + right / 2), (cx - width / 2, cy + left / 2)]
    ax.add_patch(Polygon(pts, closed=True, facecolor=color, edgecolor="#333333", lw=1.2))
    ax.text(cx, cy, text, ha="center", va="center", fontsize=fontsize)


def draw_graph(ax, nodes, edges, *, node_colors=None, width: float = 1.5, height: float = 0.6,
               fontsize: float = 8, curved=()):
    """Boxes at ``nodes`` (name -> (x, y)) and arrows along ``edges`` ((from, to) pairs), each
    arrow clipped to the boxes' borders.  ``node_colors``: name -> list of fill colours.
    ``curved``: edges drawn as arcs (to pass around other boxes)."""
    node_colors = node_colors or {}
    for name, xy in nodes.items():
        draw_box(ax, xy, name, width=width, height=height, colors=node_colors.get(name),
                 fontsize=fontsize)
    for a, b in edges:
        (xa, ya), (xb, yb) = nodes[a], nodes[b]
        start, end = _clip_to_box((xa, ya), (xb, yb), width, height), \
            _clip_to_box((xb, yb), (xa, ya), width, height)
        rad = 0.35 if (a, b) in curved else 0.0
        draw_arrow(ax, start, end, connection=f"arc3,rad={rad}")


def _clip_to_box(center, towards, width, height):
    """The point where the segment from ``center`` to ``towards`` leaves the box at ``center``."""
    dx, dy = towards[0] - center[0], towards[1] - center[1]
    if dx == 0 and dy == 0:
        return center
    scale = min(width / 2 / abs(dx) if dx else np.inf, height / 2 / abs(dy) if dy else np.inf)
    return (center[0] + dx * scale, center[1] + dy * scale)


def draw_image(ax, bounds, image, label: str = ""):
    """Draw ``image`` in the box ``bounds`` = (x0, y0, width, height) in ``ax``'s data
    coordinates (an inset without ticks), titled ``label``; returns the inset."""
    inset = ax.inset_axes(bounds, transform=ax.transData)
    inset.imshow(image, cmap="Greys", interpolation="nearest")
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_title(label, fontsize=10)
    return inset


# ------------------------------------------------------------- figures of notebooks 00-03
def plot_linear_vae_toys(sweeps, curves, sigmas, *, beta_range=(0.02, 5.0), profile: str = ""):
    """Rate, distortion, D1 and D2 of linear-VAE sweeps against the closed form (notebook 00,
    ``companion/toy-linear-vae``; ICLR appendix A.3, Eqs 7-9).

    ``sweeps``, ``curves``, ``sigmas``: data-set name -> ``ToySweep``, its
    :class:`~latentdims.maths.dimensionality.DimensionCurve` and its standard deviations.
    """
    fig, axes = plt.subplots(2, 2, figsize=(9, 6.5), sharex=True)
    fine = np.geomspace(beta_range[0], beta_range[1], 400)
    for name, marker in zip(sweeps, ("o", "s", "^", "v")):
        s, c, sig = sweeps[name], curves[name], np.asarray(sigmas[name])
        exact = linear_vae_optimum(sig, fine)
        label = f"{len(sig)}-D, $\\bar\\sigma$ = {', '.join(f'{v:g}' for v in sig)}"
        axes[0, 0].plot(fine, exact.rate, color=COLORS["theory"], lw=1)
        axes[0, 0].plot(s.betas, s.rate, marker, ms=4, label=label)
        axes[0, 1].plot(fine, exact.distortion, color=COLORS["theory"], lw=1)
        axes[0, 1].plot(s.betas, s.distortion, marker, ms=4, label=label)
        count = (sig[None, :] > fine[:, None]).sum(axis=1)
        for ax, values, name_d in ((axes[1, 0], c.d1, "$D_1$"), (axes[1, 1], c.d2, "$D_2$")):
            ax.step(fine, count, where="post", color=COLORS["theory"], lw=1)
            ax.plot(c.beta, values, marker, ms=4, label=label)
            ax.set_ylabel(name_d)
    axes[0, 0].set_ylabel("rate $R$ [nats]")
    axes[0, 1].set_ylabel("distortion $D$")
    axes[0, 1].set_yscale("log")
    for ax in axes.flat:
        ax.set_xscale("log")
    for ax in axes[1]:
        ax.set_xlabel(r"$\beta$")
        ax.set_ylim(-0.5, 4)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(f"Linear VAE on Gaussian data vs closed form (ICLR A.3), profile {profile}")
    fig.tight_layout()
    return fig


def plot_ae_1d(sweeps, curves, widths, valid, d_pca: float, *, profile: str = ""):
    """Plain autoencoders with a 1-D latent on the disc, one panel per network width (notebook
    01, ``talks/ae-1d``): the data coloured by their code and the decoded latent.

    ``sweeps``, ``curves``: name -> ``ToySweep`` and ``DecodedCurve``; ``widths``: name -> hidden
    layers; ``d_pca``: the best linear 1-D distortion, for the titles.
    """
    fig, axes = plt.subplots(1, len(widths), figsize=(10, 5))
    for ax, (name, hidden) in zip(np.atleast_1d(axes), widths.items()):
        d = float(sweeps[name].distortion[0])
        sc = plot_ae_packing(ax, curves[name], valid,
                             title=f"hidden layers {hidden}\n$D$ = {d:.3f} (linear PCA: {d_pca:.3f})")
        ax.legend(loc="lower center", fontsize=8, bbox_to_anchor=(0.5, -0.32))
    fig.colorbar(sc, ax=axes, label="latent code $z$", shrink=0.8)
    fig.suptitle(f"Plain autoencoder, 1-D latent, on a uniform disc (profile {profile})")
    return fig


def plot_bananas_regimes(sweep, regimes, n_active, *, seed: int = 0, profile: str = ""):
    """Latent space (top) and reconstruction space (bottom) of the bananas VAE in each regime
    (notebook 02, ``talks/bananas-regimes``).

    ``regimes``: label -> ``BananaRegime`` (from ``studies.toys.bananas_regimes``);
    ``n_active``: informative latents per step; ``seed`` picks the points with ellipses.
    """
    colour = sweep.valid[:, 0]
    fig, axes = plt.subplots(2, len(regimes), figsize=(11, 7.2), squeeze=False)
    for col, (label, r) in enumerate(regimes.items()):
        k = r.step
        plot_latent_space(axes[0, col], r.mean, r.log_var, r.order[:2], colour, seed=seed)
        axes[0, col].set_title(f"{label}: $\\beta$ = {sweep.betas[k]:.3g}\n{n_active[k]} informative "
                               f"latent(s), R = {sweep.rate[k]:.2f} nats", fontsize=9)
        plot_reconstruction_space(axes[1, col], sweep.valid, r.reconstruction, colour,
                                  beta=float(sweep.betas[k]))
    axes[0, 0].set_ylabel("latent space\n" + axes[0, 0].get_ylabel())
    axes[1, 0].set_ylabel("reconstruction space\n" + axes[1, 0].get_ylabel())
    fig.suptitle(f"Bananas: dense VAE with 10 latents (profile {profile})")
    fig.tight_layout()
    return fig


def plot_bananas_dims(sweep, curve, regimes, *, active_nats: float,
                      shaded=((1e-3, 0.1), (1.0, 1e3))):
    """D1 and D2 of the bananas against beta (left, the talk's regimes ``shaded``, labelled at
    the betas of ``regimes``: label -> beta) and the KL of every latent (right, with the
    threshold ``active_nats``) (notebook 02, ``talks/bananas-dims``)."""
    fig, (ax, ax_kl) = plt.subplots(1, 2, figsize=(11, 4.2))
    for lo, hi in shaded:
        ax.axvspan(lo, hi, color=COLORS["data"], alpha=0.12, lw=0)
    plot_dimensions(ax, curve)
    for level in (0, 1, 2):
        ax.axhline(level, color=COLORS["theory"], lw=0.6, ls=":")
    for label, b in regimes.items():
        ax.text(b, 3.3, label, ha="center", fontsize=9)
    ax.set_xlim(sweep.betas[0], sweep.betas[-1])
    ax.set_ylim(-0.3, 3.5)
    ax.legend(fontsize=8, loc="center left")
    ax.set_title("dimensionality of the bananas")
    n_latents = sweep.kl_per_latent.shape[1]
    for i, c in enumerate(palette(n_latents)):
        ax_kl.plot(sweep.betas, sweep.kl_per_latent[:, i], "o-", ms=3, color=c)
    ax_kl.axhline(active_nats, color=COLORS["theory"], lw=0.8, ls="--")
    ax_kl.set_xscale("log")
    ax_kl.set_yscale("symlog", linthresh=0.01)
    ax_kl.set_ylim(0, 1.5 * sweep.kl_per_latent.max())
    ax_kl.set_xlabel(r"$\beta$")
    ax_kl.set_ylabel("KL per latent [nats]")
    ax_kl.set_title(f"rate of each of the {n_latents} latents")
    fig.tight_layout()
    return fig


def plot_curse_of_dimensionality(dcorr, curve, sweep, sigmas, *, levels=(10, 11),
                                 profile: str = ""):
    """The correlation dimension of the curse toy with its band and sparse region (left) and the
    linear VAE's D1, D2 with the closed form (right) (notebook 03, ``talks/curse-of-dimensionality``).

    ``dcorr``: a ``ToyCorrelation``; ``sigmas``: the data's standard deviations (the smallest is
    marked, and they give the closed form); ``levels``: reference dimensionalities.
    """
    res = dcorr.result
    nn_median = float(np.median(dcorr.nearest_neighbour))
    sigmas = np.asarray(sigmas, dtype=float)
    fig, (ax_c, ax_v) = plt.subplots(1, 2, figsize=(11, 4.3), sharey=True)
    ok = res.valid
    ax_c.fill_between(res.q[ok], res.lower[ok], res.upper[ok], color=COLORS["dcorr"], alpha=0.3, lw=0)
    ax_c.plot(res.q[ok], res.dcorr[ok], "o-", ms=3, color=COLORS["dcorr"],
              label=f"$D_{{corr}}(Q)$, {dcorr.n_points} points")
    ax_c.axvspan(res.q[0] / 2, nn_median, color=COLORS["data"], alpha=0.15, lw=0,
                 label="Q < median neighbour distance")
    for ax in (ax_c, ax_v):
        ax.axvline(float(sigmas.min()), color=COLORS["theory"], ls=":", lw=1)
        for level in levels:
            ax.axhline(level, color=COLORS["theory"], lw=0.6, ls="--")
        ax.set_xscale("log")
    ax_c.set_xlim(res.q[0], res.q[-1])
    ax_c.set_ylim(-0.5, 14)
    ax_c.set_xlabel("scale $Q$")
    ax_c.set_ylabel("dimensionality")
    ax_c.legend(fontsize=8, loc="upper left")
    ax_c.set_title("correlation dimension of the data")
    fine = np.geomspace(sweep.betas[0], sweep.betas[-1], 400)
    count = (sigmas[None, :] > fine[:, None]).sum(axis=1)
    plot_dimensions(ax_v, curve, expected=(fine, count))
    ax_v.set_xlim(sweep.betas[0], sweep.betas[-1])
    ax_v.legend(fontsize=8, loc="lower left")
    ax_v.set_title(f"linear VAE ({sweep.kl_per_latent.shape[1]} latents) dimensionality")
    fig.suptitle(f"Ten N(0, 1) directions and one N(0, 0.1) (profile {profile})")
    fig.tight_layout()
    return fig


# -------------------------------------------------------------------- figures of notebook 04
def plot_kl_fits(kl):
    """Contours of the bimodal P and of each Gaussian fit Q, one panel per fit (notebook 04,
    thesis Figure 2.2); ``kl`` is a ``KLFits`` (from ``studies.toys.bimodal_kl_fits``)."""
    n = kl.n_per_axis
    fig, axes = plt.subplots(1, len(kl.fits), figsize=(11, 3.9), sharex=True, sharey=True)
    grid_x = kl.points[:, 0].reshape(n, n)
    grid_y = kl.points[:, 1].reshape(n, n)
    p = np.exp(kl.log_p)
    levels_p = p.max() * np.array([0.05, 0.25, 0.6])
    for ax, (title, fit) in zip(axes, kl.fits.items()):
        q = np.exp(GaussianMixture([1.0], [fit.mean], [fit.cov]).log_pdf(kl.points)).reshape(n, n)
        ax.contour(grid_x, grid_y, p.reshape(n, n), levels=levels_p, colors=COLORS["mean"])
        ax.contour(grid_x, grid_y, q, levels=q.max() * np.array([0.05, 0.25, 0.6]),
                   colors=COLORS["sampled"])
        ax.set_title(f"{title}\nKL = {fit.kl:.3f} nats")
        ax.set_aspect("equal")
        ax.set_xlim(-4.5, 4.5)
        ax.set_ylim(-4.5, 4.5)
        ax.set_xlabel("$x_1$")
    axes[0].set_ylabel("$x_2$")
    axes[0].plot([], [], color=COLORS["mean"], label="P (bimodal)")
    axes[0].plot([], [], color=COLORS["sampled"], label="Q (Gaussian fit)")
    axes[0].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def plot_rate_distortion_plane(curves, sweep, sigmas, *, marks=(0.1, 0.3, 1.0)):
    """Closed-form rate-distortion curves of linear VAEs with n = 1, 2, 3 latents, traced by beta,
    and a trained one (notebook 04, thesis Figure 4.1, after Alemi et al. 2018, Fig. 1).

    ``curves``: n -> ``LinearVAEOptimum`` over a fine beta grid; ``sweep``: the trained model's
    ``ToySweep``; ``sigmas``: the data's standard deviations; ``marks``: betas annotated on the
    largest model's curve.
    """
    sigmas = np.asarray(sigmas, dtype=float)
    styles = {1: ("--", COLORS["sampled"], "low rate, high distortion ($n$ = 1)"),
              2: ("-", COLORS["mean"], "in between ($n$ = 2)"),
              3: (":", COLORS["dcorr"], "high rate, low distortion ($n$ = 3)")}
    fig, ax = plt.subplots(figsize=(6, 4.4))
    for n, opt in curves.items():
        ls, color, label = styles[n]
        ax.plot(opt.rate, opt.distortion, ls, color=color, lw=2, label=label)
    for b in marks:
        opt = linear_vae_optimum(sigmas, [b], latent_dim=max(curves))
        ax.annotate(f"$\\beta$ = {b:g}", (opt.rate[0], opt.distortion[0]), textcoords="offset points",
                    xytext=(6, 6), fontsize=8)
    ax.plot(sweep.rate, sweep.distortion, "o", ms=4, color=COLORS["production"],
            label=f"trained linear VAE ($n$ = {sweep.config['latent_dim']})")
    ax.set_xlabel("rate $R$ [nats]")
    ax.set_ylabel("distortion $D$")
    ax.set_yscale("log")
    ax.set_xlim(0, 9)
    ax.legend(fontsize=8)
    ax.set_title("Rate-distortion plane of linear VAEs (data $\\bar\\sigma$ = "
                 f"{', '.join(f'{v:g}' for v in sigmas)})")
    return fig


def plot_linear_vae_solution(check, scan, beta_rot: float, *, profile: str = ""):
    """A trained linear VAE against thesis Section 4.2 (notebook 04,
    ``companion/linear-vae-solution``): (a) posterior variances, (b) posterior-mean matrix,
    (c) squared singular values of the decoder, (d) the ELBO under rotations of the latent plane.

    ``check``: a ``LinearVAECheck``; ``scan``: a
    :class:`~latentdims.maths.linear_vae.RotationScan` at ``beta_rot``.
    """
    n = check.trained_var.shape[1]
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    colors = palette(n, "viridis")
    ax = axes[0, 0]
    for i in range(n):
        ax.plot(check.betas, check.closed_form_var[:, i], color=colors[i], lw=1)
        ax.plot(check.betas, check.trained_var[:, i], "o", ms=4, color=colors[i],
                label=f"latent {i + 1} (trained)")
        ax.plot(check.betas, check.predicted_var[:, i], "x", ms=6, color=COLORS["theory"])
    ax.plot([], [], "x", color=COLORS["theory"], label="Eq. 4.15 with trained W")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$\beta$ ($\gamma = \beta^2$)")
    ax.set_ylabel(r"posterior variance $\Sigma_{ii}$")
    ax.set_title("(a) thresholding of the posterior variance")
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    pred, trained = check.predicted_encoder.ravel(), check.trained_encoder.ravel()
    ax.plot(pred, trained, ".", ms=3, color=COLORS["mean"])
    lim = 1.05 * np.max(np.abs(pred))
    ax.plot([-lim, lim], [-lim, lim], color=COLORS["theory"], lw=1)
    ax.set_xlabel(r"Eq. 4.8: $(\gamma I + W^TW)^{-1}W^T$ (trained W)")
    ax.set_ylabel("trained encoder weights")
    ax.set_title("(b) posterior mean")
    ax = axes[1, 0]
    for i in range(n):
        ax.plot(check.betas, check.ppca_singular_values2[:, i], color=colors[i], lw=1)
        ax.plot(check.betas, check.singular_values2[:, i], "o", ms=4, color=colors[i])
    ax.set_xscale("log")
    ax.set_xlabel(r"$\beta$")
    ax.set_ylabel(r"$\Lambda_{ii}^2$ of the trained $W$")
    ax.set_title(r"(c) decoder: $\Lambda^2 = \max(\bar\sigma^2 - \beta^2, 0)$")
    ax = axes[1, 1]
    ax.plot(np.degrees(scan.angles), scan.full, color=COLORS["theory"],
            label="full covariance (Eq. 4.10 - n)")
    ax.plot(np.degrees(scan.angles), scan.diagonal, "o-", ms=3, color=COLORS["production"],
            label="diagonal covariance (Eq. 4.11 in 4.5)")
    ax.set_xlabel("rotation of the latent plane [degrees]")
    ax.set_ylabel("expected ELBO (Eq. 4.5 scale)")
    ax.set_title(f"(d) rotations at $\\beta$ = {beta_rot:.2f}")
    ax.legend(fontsize=8)
    fig.suptitle(f"Linear VAE ($n$ = {n}, diagonal posterior) vs thesis Section 4.2, profile {profile}")
    fig.tight_layout()
    return fig


# -------------------------------------------------------------------- figures of notebook 05
def plot_thesis_organisation():
    """The organisation of the thesis (Figure 1.1): chapters as boxes coloured by topic, arrows
    from a chapter to those it informs, the three parts and a colour key (edges and colours read
    from Section 1.2; the caption of Figure 1.1 does not state them)."""
    chapters = {"1 Introduction": (0, 5), "2 Probability theory": (0, 4),
                "3 Variational autoencoders": (0, 3), "4 The polarised regime": (0, 2),
                "5 Generalisation of\nthe polarised regime": (-2.2, 0.9),
                "6 Impact of the\npolarised regime": (0, 0.9),
                "7 Similarity of the\nlatent representations": (2.2, 0.9),
                "8 Automating the choice\nof the number of latents": (1.1, -0.3),
                "9 Conclusion": (0, -1.4), "10 Future work": (0, -2.4)}
    name = {int(k.split()[0]): k for k in chapters}
    colours = {name[5]: [BLUE], name[6]: [BLUE, ORANGE], name[7]: [BLUE, ORANGE], name[8]: [ORANGE]}
    colours.update({name[i]: [GREY] for i in (1, 2, 3, 4, 9, 10)})
    edges = [(1, 2), (2, 3), (3, 4), (4, 5), (4, 6), (4, 7), (6, 8), (7, 8), (5, 9), (8, 9), (9, 10)]
    fig, ax = plt.subplots(figsize=(7.5, 8))
    draw_graph(ax, chapters, [(name[a], name[b]) for a, b in edges], node_colors=colours, width=2.0,
               height=0.62, fontsize=7.5)
    for label, (y0, y1) in {"Part I\nBackground": (1.7, 4.3), "Part II\nContributions": (-0.6, 1.2),
                            "Part III\nConclusion": (-2.7, -1.1)}.items():
        ax.plot([-3.5, -3.5], [y0, y1], color=COLORS["theory"], lw=1.5)
        ax.text(-3.6, (y0 + y1) / 2, label, ha="right", va="center", fontsize=8)
    for colour, text, y in ((GREY, "existing work", -3.2),
                            (BLUE, "extends / analyses the polarised regime", -3.55),
                            (ORANGE, "analyses / improves VAEs with it", -3.9)):
        draw_box(ax, (-2.6, y), "", width=0.3, height=0.22, color=colour, rounded=False)
        ax.text(-2.35, y, text, va="center", fontsize=7.5)
    ax.set_xlim(-4.7, 3.3)
    ax.set_ylim(-4.2, 5.5)
    ax.axis("off")
    ax.set_title("Organisation of the thesis (edges and colours read from Section 1.2)", fontsize=9)
    return fig


def plot_independence_graphs(stats, n_samples: int):
    """The collider, chain and fork of thesis Figure 2.1, each with its measured correlation and
    partial correlation (``stats``: graph -> values, from ``studies.toys.independence_stats``)."""
    node_xy = {"collider": {"X": (0, 1), "Y": (2, 1), "Z": (1, 0)},
               "chain": {"X": (0, 1), "Z": (1, 0.5), "Y": (2, 0)},
               "fork": {"X": (0, 0), "Z": (1, 1), "Y": (2, 0)}}
    arrows = {"collider": [("X", "Z"), ("Y", "Z")], "chain": [("X", "Z"), ("Z", "Y")],
              "fork": [("Z", "X"), ("Z", "Y")]}
    fig, axes = plt.subplots(1, len(stats), figsize=(10, 3.6))
    for ax, letter, graph in zip(axes, "abc", stats):
        for a, b in arrows[graph]:
            (xa, ya), (xb, yb) = node_xy[graph][a], node_xy[graph][b]
            r = 0.22 / np.hypot(xb - xa, yb - ya)      # stop the arrow at the nodes' circles
            draw_arrow(ax, (xa + r * (xb - xa), ya + r * (yb - ya)),
                       (xb - r * (xb - xa), yb - r * (yb - ya)), lw=1.5)
        for node, (x, y) in node_xy[graph].items():
            ax.add_patch(Circle((x, y), 0.2, facecolor=GREY if node == "Z" else "white",
                                edgecolor="#333333", lw=1.2))
            ax.text(x, y, f"${node}$", ha="center", va="center", fontsize=11)
        st = stats[graph]
        ax.text(1, -0.55, f"corr$(X,Y)$ = {st['corr(X,Y)']:+.3f}\npartial corr$(X,Y\\,|\\,Z)$ = "
                          f"{st['partial corr(X,Y|Z)']:+.3f}", ha="center", va="top", fontsize=8.5)
        ax.set_title(f"({letter}) {graph}", fontsize=10)
        ax.set_xlim(-0.5, 2.5)
        ax.set_ylim(-1.25, 1.4)
        ax.set_aspect("equal")
        ax.axis("off")
    fig.suptitle(f"Linear-Gaussian examples, {n_samples} samples each (Z shaded: the conditioning "
                 "variable)", fontsize=9)
    return fig


def plot_vae_training(sprite):
    """A VAE during training (thesis Figure 3.1): input image ``sprite``, encoder, posterior
    parameters, the reparameterised sample, decoder and reconstruction, with the ELBO (Eq. 3.5)."""
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 3.6)
    ax.axis("off")
    draw_image(ax, [0.2, 1.1, 1.1, 1.4], sprite, "$\\mathbf{x}$")
    draw_arrow(ax, (1.4, 1.8), (1.9, 1.8))
    draw_trapezoid(ax, (2.7, 1.8), "encoder\n$q_\\phi(\\mathbf{z}|\\mathbf{x})$", width=1.5, tall=2.2,
                   short=1.3)
    draw_box(ax, (4.35, 2.35), "$\\mu$", width=0.7, height=0.5, color=BLUE)
    draw_box(ax, (4.35, 1.25), "$\\sigma$", width=0.7, height=0.5, color=ORANGE)
    draw_arrow(ax, (3.45, 2.35), (4.0, 2.35))
    draw_arrow(ax, (3.45, 1.25), (4.0, 1.25))
    draw_box(ax, (5.8, 1.8), "$\\mathbf{z} = \\mu + \\sigma^{1/2} \\odot \\epsilon$", width=1.7,
             height=0.6, color=GREY)
    draw_arrow(ax, (4.7, 2.35), (4.95, 1.95))
    draw_arrow(ax, (4.7, 1.25), (4.95, 1.65))
    draw_box(ax, (5.8, 0.55), "$\\epsilon \\sim \\mathcal{N}(\\mathbf{0}, \\mathbf{I})$", width=1.5,
             height=0.45)
    draw_arrow(ax, (5.8, 0.78), (5.8, 1.5))
    draw_arrow(ax, (6.65, 1.8), (7.05, 1.8))
    draw_trapezoid(ax, (7.8, 1.8), "decoder\n$p_\\theta(\\mathbf{x}|\\mathbf{z})$", width=1.5,
                   tall=2.2, short=1.3, narrowing="left")
    draw_arrow(ax, (8.55, 1.8), (8.95, 1.8))
    draw_image(ax, [9.05, 1.1, 1.1, 1.4], sprite, "$\\hat{\\mathbf{x}}$")
    ax.text(5.0, 3.45, "ELBO (Eq. 3.5) $= \\mathbb{E}_{q_\\phi(\\mathbf{z}|\\mathbf{x})}"
            "[\\log p_\\theta(\\mathbf{x}|\\mathbf{z})] - D_{KL}(q_\\phi(\\mathbf{z}|\\mathbf{x}) "
            "\\,\\|\\, p(\\mathbf{z}))$", ha="center", fontsize=10)
    ax.text(4.35, 0.55, "posterior\n$\\mathcal{N}(\\mu, \\mathrm{diag}[\\sigma])$", ha="center",
            va="center", fontsize=8)
    return fig


def plot_vae_uses(sprite, generated):
    """Uses of a VAE after training (thesis Figure 3.2): (a) generation from the prior (output
    image ``generated``), (b) inference of the mean, variance and sampled representations of
    ``sprite``."""
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(11, 3.4), gridspec_kw={"width_ratios": [1, 1.25]})
    for ax in (ax_a, ax_b):
        ax.set_xlim(0, 6)
        ax.set_ylim(0, 3.4)
        ax.axis("off")
    ax_a.set_title("(a) generation", fontsize=10)
    draw_box(ax_a, (0.9, 1.7), "$\\mathbf{z} \\sim \\mathcal{N}(\\mathbf{0}, \\mathbf{I})$", width=1.6,
             height=0.6, color=GREY)
    draw_arrow(ax_a, (1.7, 1.7), (2.25, 1.7))
    draw_trapezoid(ax_a, (3.0, 1.7), "decoder", width=1.4, tall=2.0, short=1.1, narrowing="left")
    draw_arrow(ax_a, (3.7, 1.7), (4.3, 1.7))
    draw_image(ax_a, [4.4, 1.05, 1.3, 1.3], generated, "new $\\hat{\\mathbf{x}}$")
    ax_b.set_xlim(-0.9, 7.3)
    ax_b.set_title("(b) inference", fontsize=10)
    draw_image(ax_b, [-0.75, 1.1, 1.2, 1.2], sprite, "$\\mathbf{x}$")
    draw_arrow(ax_b, (0.5, 1.7), (1.05, 1.7))
    draw_trapezoid(ax_b, (1.8, 1.7), "encoder", width=1.4, tall=2.0, short=1.1)
    for y, text, colour in ((2.7, "mean representation $\\mu$", BLUE),
                            (1.7, "variance representation $\\sigma$", ORANGE),
                            (0.7, "sampled representation $\\mathbf{z}$", GREY)):
        draw_arrow(ax_b, (2.5, 1.7), (3.05, y))
        draw_box(ax_b, (4.4, y), text, width=2.6, height=0.5, color=colour, fontsize=8)
    draw_arrow(ax_b, (5.72, 2.7), (6.05, 2.7))
    ax_b.text(6.1, 2.7, "downstream\ntasks", va="center", fontsize=8)
    return fig


def plot_entanglement(example):
    """Sprites placed at their latent codes, one panel per map (thesis Figure 4.2: (a)
    disentangled, (b) entangled); ``example`` is an ``Entanglement`` (from
    ``studies.toys.entanglement_example``)."""
    fig, axes = plt.subplots(1, len(example.codes), figsize=(10, 4.8))
    for ax, (title, z) in zip(axes, example.codes.items()):
        for (z1, z2), img in zip(z, example.images):
            ax.add_artist(AnnotationBbox(OffsetImage(1.0 - img, cmap="gray", zoom=0.45), (z1, z2),
                                         frameon=True, pad=0.05,
                                         bboxprops=dict(edgecolor=COLORS["data"], lw=0.5)))
        ax.set_xlim(-2.6, 2.6)
        ax.set_ylim(-2.6, 2.6)
        ax.set_aspect("equal")
        ax.set_xlabel("$z_1$")
        ax.set_ylabel("$z_2$")
        ax.set_title(title, fontsize=10)
    fig.suptitle("Latent codes of sprites at a grid of (x, y) positions", fontsize=9)
    return fig
