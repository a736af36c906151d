"""Drawing helpers for the toy and background notebooks (00-05): dimensionality curves, latent
and reconstruction spaces of small VAEs, and the boxes-and-arrows of the thesis' schematics
(graphviz's ``dot`` is not assumed to be installed, so schematics are plain matplotlib).
"""
from __future__ import annotations

import numpy as np

from latentdims.plotting.style import COLORS

__all__ = ["plot_dimensions", "plot_ae_packing", "plot_latent_space", "plot_reconstruction_space",
           "draw_box", "draw_arrow", "draw_trapezoid", "draw_graph"]


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
    that the latent decodes to (a :class:`~latentdims.studies.toys.DecodedCurve`)."""
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
    (their size is ~beta / sigma: the talks' "Size = beta / sigma", ``002:L244``)."""
    from matplotlib.patches import Circle, Ellipse

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
    from matplotlib.patches import Circle

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
    from matplotlib.patches import FancyBboxPatch, Rectangle

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
    from matplotlib.patches import Polygon

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
