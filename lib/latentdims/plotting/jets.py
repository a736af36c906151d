"""Drawing jets: particles as discs whose area is proportional to their pT share (ICLR Fig. 4,
the decoded jets of Figs 1, 2 and 8), in the (eta, phi) plane, and insets placed on another
axes (latent-space grids).
"""
from __future__ import annotations

import numpy as np

from . import COLORS

__all__ = ["draw_jet", "jet_inset"]


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
    from ..data.jetobs import merge_nearby, weighted_centroid, wrap_phi

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
