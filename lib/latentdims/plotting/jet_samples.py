"""Drawing jets: particles as discs whose area is proportional to their pT share (ICLR Fig. 4,
the decoded jets of Figs 1, 2 and 8), in the (eta, phi) plane, and insets placed on another
axes (latent-space grids).
"""
from __future__ import annotations

import numpy as np

from latentdims.plotting.style import COLORS

__all__ = ["draw_jet", "jet_inset", "draw_transport_plan", "draw_jet_image"]


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
    from latentdims.data.jetobs import merge_nearby, weighted_centroid, wrap_phi

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
    from latentdims.data.jetobs import wrap_phi

    plan = np.asarray(plan, dtype=float)
    x = np.asarray(x_points, dtype=float)
    y = np.asarray(y_points, dtype=float)
    color = color or COLORS["theory"]
    from matplotlib.patches import FancyArrowPatch

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
