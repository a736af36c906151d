r"""Pictures of the EMD-VAE's latent spaces (NeurIPS/ICLR Figs 1, 2 and 8; the talks' top-jet and
mixed-sample slides).

Everything here needs only a *decode callable* ``decode(z) -> (weights, points)`` mapping latent
codes ``z`` of shape (M, n) to jets (weights (M, P) summing to 1, points (M, P, 2) as (eta, phi)),
so the figures can be tested with a closed-form decoder and used with any model, e.g.
``lambda z: decode_latents(model, z)``.

* :func:`decode_grid` decodes a regular grid over two latent directions, the others held at a
  base code (default 0, the prior's mean);
* :func:`latent_density` draws KDE contours of encoded data (highest-density regions);
* :func:`draw_latent_grid` puts each decoded jet, as discs of area proportional to pT in its own
  small (eta, phi) window, at its latent coordinates, in squares (Fig. 1) or circles (Fig. 2);
* :func:`draw_zoom` redraws one cell of the grid large (Fig. 1, right);
* :func:`outside_window` measures the pT share of decoded jets that falls outside the windows
  the insets show; the grid and the zoom write it on the figure whenever it is not zero;
* :func:`quantity_contours` overlays contours of a physical quantity (e.g. the truth W decay
  angles) measured on encoded jets, periodic quantities without a spurious seam (Fig. 2 draws
  them by eye; we compute them);
* :func:`rp2_hemisphere` draws the decay directions on the upper hemisphere (antipodes
  identified, the RP^2 of Fig. 2, right) coloured by a latent coordinate;
* :func:`plot_schedule`, :func:`plot_kl_curves`, :func:`plot_dimensions` draw an annealed run: the
  schedule (NeurIPS Fig. 4 / ICLR Fig. 6), per-latent KL against beta (ICLR Fig. 7) and D1, D2,
  D_corr (NeurIPS Fig. 3 / ICLR Fig. 3).  A D1 or D2 value outside its physical range
  (:func:`latentdims.maths.dimensionality.out_of_range`: negative, above the number of latents,
  or not finite) is never drawn silently: it is drawn hollow and grey (at the axis edge, not to
  scale, when it is far off) and a note under the axes gives its value and its beta.
* one function per figure of notebooks 20-25, each returning the figure (:func:`schedule_figure`,
  :func:`kl_curves_figure`, :func:`annealing_overview_figure`, :func:`position_latents_figure`,
  :func:`further_directions_figure`, :func:`latent_rows_figure`, :func:`decay_plane_figure`,
  :func:`dimensions_figure`, :func:`dimensions_dcorr_figure`, :func:`dimensions_overlay_figure`,
  :func:`latent_panels_figure`, :func:`dimension_comparison_figure`,
  :func:`category_latents_figure`, :func:`classifier_figure`).

The grid's coordinates are the latent means in the prior's units (a standard normal prior, so
``z = 2`` is two prior standard deviations); by default it spans the 1-99 % quantiles of the
encoded data along each direction, which the notebooks state.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable

import matplotlib.colors as mcolors
import matplotlib.patches as mpatches
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from scipy.ndimage import gaussian_filter
from scipy.stats import gaussian_kde

from latentdims.core.validation import check_array, check_int, check_positive
from latentdims.data.jetobs import wrap_phi
from latentdims.maths.dimensionality import out_of_range
from latentdims.maths.latent_measures import fold_decay_angles, latent_order
from latentdims.plotting.jet_samples import draw_jet
from latentdims.plotting.style import COLORS, palette

__all__ = ["LatentGrid", "decode_grid", "grid_extent", "latent_density", "draw_latent_grid",
           "draw_zoom", "outside_window", "OUT_OF_RANGE_NOTE", "OUTSIDE_WINDOW_NOTE",
           "ROLE_NOT_FOUND", "quantity_contours", "rp2_hemisphere", "plot_schedule",
           "plot_kl_curves",
           "plot_dimensions", "DETECTOR_WINDOW", "schedule_figure", "kl_curves_figure",
           "annealing_overview_figure", "position_latents_figure", "further_directions_figure",
           "latent_rows_figure", "decay_plane_figure", "dimensions_figure",
           "dimensions_dcorr_figure", "dimensions_overlay_figure", "latent_panels_figure",
           "dimension_comparison_figure", "category_latents_figure", "classifier_figure"]


@dataclass(frozen=True)
class LatentGrid:
    """Jets decoded on a grid over two latent directions.

    Attributes
    ----------
    dims : (int, int)
        The latent indices on the horizontal and vertical axes.
    xs, ys : ndarray, shape (nx,), (ny,)
        Grid values of ``z[dims[0]]`` and ``z[dims[1]]``.
    weights : ndarray, shape (ny, nx, P)
        Decoded pT fractions; ``weights[i, j]`` is the jet at ``(xs[j], ys[i])``.
    points : ndarray, shape (ny, nx, P, 2)
        Decoded (eta, phi).
    codes : ndarray, shape (ny, nx, n)
        The latent codes decoded.
    """
    dims: tuple[int, int]
    xs: np.ndarray
    ys: np.ndarray
    weights: np.ndarray
    points: np.ndarray
    codes: np.ndarray

    @property
    def spacing(self) -> float:
        """The smaller of the two grid spacings (latent units)."""
        def step(v):
            return float(np.min(np.diff(v))) if len(v) > 1 else 1.0
        return min(step(self.xs), step(self.ys))


def _check_dims(dims, n_latent: int, func: str) -> tuple[int, int]:
    try:
        a, b = (int(d) for d in dims)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{func}: `dims` must be two latent indices; got {dims!r}.") from exc
    if a == b or not (0 <= a < n_latent and 0 <= b < n_latent):
        raise ValueError(f"{func}: `dims` must be two different indices in [0, {n_latent}); "
                         f"got {dims!r}.")
    return a, b


def decode_grid(decode: Callable, dims, xs, ys, *, n_latent: int, base=None) -> LatentGrid:
    r"""Decode the codes :math:`z = z_{\rm base} + x\,e_{d_0} + y\,e_{d_1}` on a grid.

    .. math::
        \rho_{ij} = \rho\big(z_{\rm base} + x_j e_{d_0} + y_i e_{d_1}\big)

    where
        - :math:`\rho` : the decoder, ``decode(z (M, n)) -> (weights (M, P), points (M, P, 2))``;
        - :math:`d_0, d_1` : the two latent directions ``dims``;
        - :math:`x_j, y_i` : grid values ``xs`` (nx,) and ``ys`` (ny,), latent (prior) units;
        - :math:`z_{\rm base}` : ``base`` (n,), default 0 (the prior's mean); the coordinates
          ``dims`` of ``base`` are replaced by the grid values.

    Choosing parameters: 7 x 7 as in the papers; span the encoded data (:func:`grid_extent`) so
    the decoded jets show what the data occupies rather than the empty prior tails.

    Returns
    -------
    LatentGrid
        ``weights[i, j]`` and ``points[i, j]`` are the jet at ``(xs[j], ys[i])``.

    Examples
    --------
    A decoder that puts a single particle at eta = z0, phi = z1:

    >>> def decode(z):
    ...     return np.ones((len(z), 1)), z[:, None, :2]
    >>> g = decode_grid(decode, (0, 1), [-1, 0, 1], [0.5, 2], n_latent=3)
    >>> g.points[1, 2, 0].tolist()
    [1.0, 2.0]
    """
    func = "decode_grid"
    n_latent = check_int(n_latent, name="n_latent", func=func, minimum=2)
    d0, d1 = _check_dims(dims, n_latent, func)
    xs = check_array(xs, name="xs", func=func, ndim=1, min_rows=1)
    ys = check_array(ys, name="ys", func=func, ndim=1, min_rows=1)
    base = (np.zeros(n_latent) if base is None
            else check_array(base, name="base", func=func, shape=(n_latent,)))
    codes = np.broadcast_to(base, (len(ys), len(xs), n_latent)).copy()
    codes[:, :, d0] = xs[None, :]
    codes[:, :, d1] = ys[:, None]
    flat = codes.reshape(-1, n_latent)
    out = decode(flat)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError(f"{func}: `decode` must return a pair (weights, points); got "
                        f"{type(out).__name__}.")
    w = check_array(out[0], name="decode(z)[0] (weights)", func=func, ndim=2)
    p = check_array(out[1], name="decode(z)[1] (points)", func=func, ndim=3)
    if w.shape[0] != len(flat) or p.shape != w.shape + (2,):
        raise ValueError(f"{func}: `decode` must map {len(flat)} codes to weights (M, P) and "
                         f"points (M, P, 2); got weights {w.shape} and points {p.shape}.")
    ny, nx = len(ys), len(xs)
    return LatentGrid((d0, d1), xs, ys, w.reshape(ny, nx, -1), p.reshape(ny, nx, -1, 2), codes)


def grid_extent(encoded, *, quantiles=(0.01, 0.99), n: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Grid values spanning the ``quantiles`` of encoded data along two latent coordinates.

    Parameters
    ----------
    encoded : array, shape (N, 2)
        Latent means of data jets along the two plotted directions.
    quantiles : (float, float)
    n : int
        Grid points per axis.

    Returns
    -------
    xs, ys : ndarray, shape (n,)

    Examples
    --------
    >>> xs, ys = grid_extent(np.stack([np.linspace(0, 1, 101), np.linspace(-2, 2, 101)], 1),
    ...                      quantiles=(0, 1), n=3)
    >>> xs.tolist(), ys.tolist()
    ([0.0, 0.5, 1.0], [-2.0, 0.0, 2.0])
    """
    func = "grid_extent"
    encoded = check_array(encoded, name="encoded", func=func, shape=(None, 2), min_rows=2)
    n = check_int(n, name="n", func=func, minimum=1)
    lo, hi = (float(q) for q in quantiles)
    if not 0 <= lo < hi <= 1:
        raise ValueError(f"{func}: `quantiles` must satisfy 0 <= low < high <= 1; got "
                         f"{quantiles!r}.")
    q = np.quantile(encoded, [lo, hi], axis=0)                       # (2, 2): [lo/hi, axis]
    return tuple(np.linspace(q[0, k], q[1, k], n) for k in range(2))  # type: ignore[return-value]


def latent_density(ax, encoded, *, fractions=(0.3, 0.6, 0.9), n_mesh: int = 80,
                   color=None, filled: bool = True, bw_method=None, max_points: int = 5000,
                   seed: int = 0, **contour_kw):
    r"""Contours of a Gaussian KDE of encoded data enclosing the given probability ``fractions``.

    .. math::
        \hat p(z) = \frac1N \sum_k \mathcal N(z;\, z_k, h^2 \Sigma), \qquad
        \text{level}(f):\ \int_{\hat p > \text{level}} \hat p = f

    where :math:`z_k` (N, 2) are the encoded means, :math:`\Sigma` their covariance and
    :math:`h` Scott's bandwidth (``bw_method``).  The levels are highest-density regions, so the
    outermost contour encloses ``max(fractions)`` of the encoded jets (the papers' blue contours).

    Returns
    -------
    matplotlib ContourSet, or None (with a warning) when the points lie on a line
    """
    func = "latent_density"
    encoded = check_array(encoded, name="encoded", func=func, shape=(None, 2), min_rows=3)
    fr = np.sort(check_array(fractions, name="fractions", func=func, ndim=1, min_rows=1))[::-1]
    if fr[0] >= 1 or fr[-1] <= 0:
        raise ValueError(f"{func}: `fractions` must lie in (0, 1); got {fractions!r}.")
    if len(encoded) > max_points:     # the KDE costs N x mesh; a subsample draws the same contours
        keep = np.random.default_rng(seed).choice(len(encoded), max_points, replace=False)
        encoded = encoded[keep]
    if np.any(np.std(encoded, axis=0) < 1e-12):
        raise ValueError(f"{func}: `encoded` has no spread along one axis (std "
                         f"{np.std(encoded, axis=0).tolist()}); is that latent uninformative?")
    try:
        kde = gaussian_kde(encoded.T, bw_method=bw_method)
    except np.linalg.LinAlgError:
        # perfectly correlated coordinates (e.g. two dead latents in a barely trained model):
        # no density to draw, which the figure should show rather than crash on
        warnings.warn(f"{func}: the encoded points lie on a line (singular covariance); no "
                      "density contours drawn. Are both latents informative?", stacklevel=2)
        return None
    lo, hi = encoded.min(0), encoded.max(0)
    pad = 0.15 * (hi - lo)
    gx, gy = (np.linspace(lo[k] - pad[k], hi[k] + pad[k], n_mesh) for k in range(2))
    xx, yy = np.meshgrid(gx, gy)
    dens = kde(np.vstack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    # Levels from the density at the data: a level enclosing a fraction f of the jets is the
    # (1 - f) quantile of p(z_k).
    at_data = kde(encoded.T)
    levels = np.quantile(at_data, 1 - fr)
    levels = np.unique(np.append(levels, dens.max() * 1.0001)) if filled else np.unique(levels)
    color = color or COLORS["mean"]
    if filled:
        base = np.array(mcolors.to_rgba(color))
        shades = [tuple(base[:3]) + (a,) for a in np.linspace(0.12, 0.45, len(levels) - 1)]
        return ax.contourf(xx, yy, dens, levels=levels, colors=shades, **contour_kw)
    return ax.contour(xx, yy, dens, levels=levels, colors=[color], **contour_kw)


OUT_OF_RANGE_NOTE = "out-of-range-note"
"""``gid`` of the text that a dimension plot writes about its D values outside the physical range."""
OUTSIDE_WINDOW_NOTE = "outside-window-note"
"""``gid`` of the text that a grid or zoom writes about decoded pT outside its windows."""


def outside_window(weights, points, *, window_centre=(0.0, 0.0), half_width: float,
                   shape: str = "square") -> np.ndarray:
    r"""pT share of each decoded jet that falls outside the (eta, phi) window its inset shows.

    .. math::
        f_{\rm out} = \sum_p w_p\,[\text{particle } p \text{ outside the window}], \qquad
        \text{square: } \max(|\eta_p - \eta_c|, |\Delta\phi_p|) > h, \quad
        \text{circle: } \sqrt{(\eta_p - \eta_c)^2 + \Delta\phi_p^2} > h

    where :math:`w_p` are the pT fractions (summing to 1 per jet), :math:`(\eta_c, \phi_c)` the
    ``window_centre``, :math:`\Delta\phi_p = \mathrm{wrap}(\phi_p - \phi_c)` (as the jets are
    drawn, across the :math:`\phi = \pm\pi` seam) and :math:`h` the ``half_width``; the circle is
    the disc the circular insets (NeurIPS Fig. 2) clip to.  Such particles are not drawn, so a
    figure of decoded jets must say how much is missing.

    Parameters
    ----------
    weights : array, shape (..., P)
    points : array, shape (..., P, 2)
        (eta, phi) in radians.

    Returns
    -------
    ndarray, shape (...)
        The pT share outside, per jet (the weights need not sum to 1: the share is of their sum).

    Examples
    --------
    >>> w = np.array([[0.75, 0.25], [0.5, 0.5]])
    >>> p = np.array([[[0.0, 0.0], [0.7, 0.0]], [[0.1, 3.0], [0.1, -3.0]]])
    >>> outside_window(w, p, window_centre=(0.0, 0.0), half_width=0.5).tolist()
    [0.25, 1.0]
    >>> outside_window(w, p, window_centre=(0.0, np.pi), half_width=0.5).tolist()
    [1.0, 0.0]
    """
    func = "outside_window"
    w = check_array(weights, name="weights", func=func, ndim=(1, 2, 3, 4))
    pts = check_array(points, name="points", func=func, shape=w.shape + (2,))
    h = check_positive(half_width, name="half_width", func=func)
    if shape not in ("square", "circle"):
        raise ValueError(f"{func}: `shape` must be 'square' or 'circle'; got {shape!r}.")
    c = check_array(window_centre, name="window_centre", func=func, shape=(2,))
    d_eta = pts[..., 0] - c[0]
    d_phi = wrap_phi(pts[..., 1] - c[1])
    if shape == "square":
        out = np.maximum(np.abs(d_eta), np.abs(d_phi)) > h
    else:
        out = np.hypot(d_eta, d_phi) > h
    total = w.sum(axis=-1)
    lost = np.where(out, w, 0.0).sum(axis=-1)
    return np.divide(lost, total, out=np.zeros_like(lost), where=total > 0)


def _note_outside(ax, weights, points, *, window_centre, half_width, shape, where: str,
                  what: str = "windows"):
    """Write on ``ax`` the share of decoded pT outside the window (nothing if none); return the
    per-jet shares."""
    frac = outside_window(weights, points, window_centre=window_centre, half_width=half_width,
                          shape=shape)
    if not np.any(frac > 0):
        return frac
    n_jets = int(np.count_nonzero(frac > 0))
    text = (f"{100 * frac.mean():.2g}% of the decoded pT lies outside the {what}, not drawn"
            + (f" ({n_jets} of {frac.size} jets, up to {100 * frac.max():.2g}% of one)"
               if frac.size > 1 else ""))
    if where == "right":
        ax.annotate(text.replace(", not drawn", ",\nnot drawn").replace(" (", "\n("),
                    xy=(1.01, 0.5), xycoords="axes fraction", ha="left", va="center",
                    fontsize=7, color="0.25", gid=OUTSIDE_WINDOW_NOTE, annotation_clip=False)
    else:
        ax.text(0.01, 0.01, text, transform=ax.transAxes, ha="left", va="bottom", fontsize=7,
                color="0.15", zorder=20, gid=OUTSIDE_WINDOW_NOTE,
                bbox=dict(facecolor="white", edgecolor="none", alpha=0.85, pad=1.5))
    return frac


def draw_latent_grid(ax, decode: Callable, dims=(0, 1), *, n_latent: int, encoded=None,
                     xs=None, ys=None, n_grid: int = 7, base=None, shape: str = "square",
                     window_centre=(0.0, 0.0), half_width: float = 0.5,
                     inset_fraction: float = 0.9, jet_color=None, area: float = 120.0,
                     merge_radius: float = 0.0, frame_color: str = "0.6",
                     density: bool = True, note_where: str = "inside") -> LatentGrid:
    """Decode a grid over two latent directions and draw each jet at its latent coordinates.

    Each decoded jet is drawn with :func:`latentdims.plotting.jet_samples.draw_jet` (discs of area
    proportional to pT, inset axes eta horizontal, phi vertical) in a window of half-width
    ``half_width`` around ``window_centre``, inside a square (NeurIPS Fig. 1) or a circle
    (Fig. 2) of ``inset_fraction`` times the grid spacing, centred at the code it decodes.  The
    encoded data's density (:func:`latent_density`) is drawn underneath.

    Parameters
    ----------
    ax : matplotlib axes
        The latent plane (its data coordinates are the latent values).
    decode : callable
        ``decode(z (M, n)) -> (weights (M, P), points (M, P, 2))``.
    dims : (int, int)
        Latent directions on the horizontal and vertical axes.
    n_latent : int
        Dimension n of the latent space.
    encoded : array, shape (N, 2), optional
        Encoded means of data jets along ``dims``: the density contours and, when ``xs``/``ys``
        are not given, the grid's span (:func:`grid_extent`, 1-99 % quantiles).
    xs, ys : arrays, optional
        Explicit grid values (latent units); default from ``encoded``, else -2..2.
    shape : {'square', 'circle'}
    window_centre, half_width
        The (eta, phi) window every inset shows: fixed, so that translations are visible (for
        the uncentred VAE use a window covering the detector, e.g. half-width pi).  Decoded
        particles outside it are not drawn; the share of pT they carry
        (:func:`outside_window`) is then written on ``ax`` (text ``gid``
        :data:`OUTSIDE_WINDOW_NOTE`), in its lower left corner (``note_where='inside'``) or to
        its right (``'right'``, for a single row of insets).

    Returns
    -------
    LatentGrid
        The decoded jets (for a zoom, :func:`draw_zoom`).
    """
    func = "draw_latent_grid"
    if shape not in ("square", "circle"):
        raise ValueError(f"{func}: `shape` must be 'square' or 'circle'; got {shape!r}.")
    if note_where not in ("inside", "right"):
        raise ValueError(f"{func}: `note_where` must be 'inside' or 'right'; got {note_where!r}.")
    check_positive(half_width, name="half_width", func=func)
    n_grid = check_int(n_grid, name="n_grid", func=func, minimum=1)
    if encoded is not None:
        encoded = check_array(encoded, name="encoded", func=func, shape=(None, 2), min_rows=3)
    if xs is None or ys is None:
        if encoded is not None:
            gx, gy = grid_extent(encoded, n=n_grid)
        else:
            gx = gy = np.linspace(-2.0, 2.0, n_grid)
        xs = gx if xs is None else xs
        ys = gy if ys is None else ys
    grid = decode_grid(decode, dims, xs, ys, n_latent=n_latent, base=base)
    if density and encoded is not None:
        latent_density(ax, encoded, zorder=0)
    dx, dy = _spacings(grid)
    ax.set_xlim(grid.xs[0] - dx / 2, grid.xs[-1] + dx / 2)
    ax.set_ylim(grid.ys[0] - dy / 2, grid.ys[-1] + dy / 2)
    # one y unit is displayed dx/dy times as long as an x unit: every cell (and so every inset,
    # circle or square) is square on screen whatever the two directions' spans
    ax.set_aspect(dx / dy, adjustable="box")
    color = jet_color or COLORS["production"]
    for i, y in enumerate(grid.ys):
        for j, x in enumerate(grid.xs):
            inset = ax.inset_axes([x - inset_fraction * dx / 2, y - inset_fraction * dy / 2,
                                   inset_fraction * dx, inset_fraction * dy],
                                  transform=ax.transData)
            _style_inset(inset, shape, frame_color)
            draw_jet(inset, grid.weights[i, j], grid.points[i, j], merge_radius=merge_radius,
                     centre=window_centre, half_width=half_width, area=area, color=color,
                     axes_off=True)
            inset.set_aspect("auto")
            if shape == "circle":
                for coll in inset.collections:
                    coll.set_clip_path(inset.patches[0])
    ax.grid(False)             # the style's grid lines would cross the insets
    _note_outside(ax, grid.weights, grid.points, window_centre=window_centre,
                  half_width=half_width, shape=shape, where=note_where,
                  what="circles" if shape == "circle" else "frames")
    ax.set_xlabel(f"$z_{{{grid.dims[0]}}}$")
    ax.set_ylabel(f"$z_{{{grid.dims[1]}}}$")
    return grid


def _spacings(grid: LatentGrid) -> tuple[float, float]:
    """Cell sizes along x and y; a single row or column takes the other axis' spacing."""
    steps = [np.ptp(v) / (len(v) - 1) if len(v) > 1 else None for v in (grid.xs, grid.ys)]
    known = [s for s in steps if s]
    fallback = known[0] if known else 1.0
    return tuple(s if s else fallback for s in steps)    # type: ignore[return-value]


def _style_inset(inset, shape: str, frame_color: str) -> None:
    inset.set_xticks([])
    inset.set_yticks([])
    inset.patch.set_alpha(0.0)
    if shape == "circle":
        for spine in inset.spines.values():
            spine.set_visible(False)
        inset.add_patch(mpatches.Circle((0.5, 0.5), 0.5, transform=inset.transAxes,
                                        facecolor=(1, 1, 1, 0.75), edgecolor=frame_color,
                                        linewidth=0.6, zorder=0))
    else:
        for spine in inset.spines.values():
            spine.set_edgecolor(frame_color)
            spine.set_linewidth(0.5)


def draw_zoom(ax, grid: LatentGrid, cell, *, grid_ax=None, window_centre=(0.0, 0.0),
              half_width: float = 0.5, area: float = 600.0, color=None,
              merge_radius: float = 0.0, names=None):
    """Draw the jet of one grid ``cell = (i, j)`` large, with labelled (eta, phi) axes (Fig. 1,
    right), and outline that cell on ``grid_ax`` if given.  ``names``: how the title calls the
    two directions (default ``z<index>``).  The pT share outside the window
    (:func:`outside_window`), if any, is written on ``ax``."""
    func = "draw_zoom"
    try:
        i, j = (int(c) for c in cell)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{func}: `cell` must be a pair (row i, column j); got {cell!r}.") from exc
    ny, nx = grid.weights.shape[:2]
    if not (0 <= i < ny and 0 <= j < nx):
        raise ValueError(f"{func}: `cell` must be in [0, {ny}) x [0, {nx}); got {cell!r}.")
    draw_jet(ax, grid.weights[i, j], grid.points[i, j], merge_radius=merge_radius,
             centre=window_centre, half_width=half_width, area=area,
             color=color or COLORS["production"])
    _note_outside(ax, grid.weights[i, j], grid.points[i, j], window_centre=window_centre,
                  half_width=half_width, shape="square", where="inside", what="window")
    n0, n1 = names or (f"$z_{{{d}}}$" for d in grid.dims)
    ax.set_title(f"{n0} = {grid.xs[j]:.2f}, {n1} = {grid.ys[i]:.2f}")
    if grid_ax is not None:
        dx, dy = _spacings(grid)
        grid_ax.add_patch(mpatches.Rectangle((grid.xs[j] - dx / 2, grid.ys[i] - dy / 2), dx, dy,
                                             fill=False, edgecolor="k", linewidth=1.2,
                                             zorder=5))
    return ax


def _smoothed_field(xy, values, edges_x, edges_y, smooth: float, min_count: float):
    """Binned mean of ``values`` (N, k) on a grid, Gaussian-smoothed; NaN where data is sparse."""
    nx, ny = len(edges_x) - 1, len(edges_y) - 1
    count, _, _ = np.histogram2d(xy[:, 0], xy[:, 1], bins=[edges_x, edges_y])
    sums = np.stack([np.histogram2d(xy[:, 0], xy[:, 1], bins=[edges_x, edges_y], weights=v)[0]
                     for v in values.T], axis=-1)
    if smooth > 0:
        count = gaussian_filter(count, smooth)
        sums = np.stack([gaussian_filter(sums[..., k], smooth) for k in range(sums.shape[-1])],
                        axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / count[..., None]
    mean[count < min_count] = np.nan
    assert mean.shape == (nx, ny, values.shape[1])
    return mean.transpose(1, 0, 2)                 # (ny, nx, k) for contour(X, Y, Z)


def quantity_contours(ax, encoded, values, *, levels, period: float | None = None,
                      bins: int = 30, smooth: float = 1.0, min_count: float = 3.0,
                      colors=None, label: str | None = None, **contour_kw):
    r"""Contours, over a latent plane, of the mean of a physical quantity of the encoded jets.

    .. math::
        \bar v(z) = \frac{\sum_k K(z - z_k)\, v_k}{\sum_k K(z - z_k)}, \qquad
        \bar v_{\rm periodic}(z) = \arg \sum_k K(z - z_k)\, e^{2\pi i v_k / T}\ \frac{T}{2\pi}

    where :math:`z_k` (N, 2) are the encoded means, :math:`v_k` (N,) the quantity (e.g. the
    truth W decay angles in radians), :math:`K` a histogram of ``bins`` cells per axis smoothed by
    a Gaussian of ``smooth`` cells, and :math:`T` the ``period`` (None: not periodic).  Cells with
    a smoothed count below ``min_count`` are left blank rather than extrapolated.

    A periodic field jumps by :math:`T` somewhere; contouring it naively draws every level along
    the jump.  We draw each level from the copy of the field whose seam is at least a quarter
    period away from it (values in :math:`[-T/2, T/2)` for levels within :math:`T/4` of 0, in
    :math:`[0, T)` otherwise), masking an eighth of a period around that copy's seam, so every
    level stays at least :math:`T/8` from the masked band.

    Choosing parameters: ``bins`` about sqrt(N)/3 keeps a few jets per cell; ``smooth`` 1 cell.

    Returns
    -------
    list of matplotlib ContourSet
    """
    func = "quantity_contours"
    encoded = check_array(encoded, name="encoded", func=func, shape=(None, 2), min_rows=3)
    values = check_array(values, name="values", func=func, shape=(len(encoded),))
    levels = np.sort(check_array(levels, name="levels", func=func, ndim=1, min_rows=1))
    bins = check_int(bins, name="bins", func=func, minimum=2)
    lo, hi = encoded.min(0), encoded.max(0)
    pad = 1e-9 + 0.02 * (hi - lo)
    ex, ey = (np.linspace(lo[k] - pad[k], hi[k] + pad[k], bins + 1) for k in range(2))
    cx, cy = 0.5 * (ex[1:] + ex[:-1]), 0.5 * (ey[1:] + ey[:-1])
    colors = colors or COLORS["theory"]
    if period is None:
        field = _smoothed_field(encoded, values[:, None], ex, ey, smooth, min_count)[..., 0]
        sets = [ax.contour(cx, cy, field, levels=levels, colors=colors, **contour_kw)]
    else:
        T = check_positive(period, name="period", func=func)
        ang = 2 * np.pi * values / T
        vec = _smoothed_field(encoded, np.stack([np.cos(ang), np.sin(ang)], 1), ex, ey, smooth,
                              min_count)
        centred = np.arctan2(vec[..., 1], vec[..., 0]) * T / (2 * np.pi)   # in [-T/2, T/2)
        shifted = np.mod(centred, T)                                        # in [0, T)
        wrapped = (levels + T / 2) % T - T / 2
        near_zero = np.abs(wrapped) <= T / 4
        sets = []
        for field, lv, seam in ((centred, wrapped[near_zero], T / 2),
                                (shifted, np.mod(wrapped[~near_zero], T), 0.0)):
            if len(lv) == 0:
                continue
            dist = np.abs((field - seam + T / 2) % T - T / 2)      # distance to this copy's seam
            masked = np.where(dist < T / 8, np.nan, field)
            sets.append(ax.contour(cx, cy, masked, levels=np.unique(lv), colors=colors,
                                   **contour_kw))
    if label:
        ax.add_artist(Line2D([], [], color=colors if isinstance(colors, str) else colors[0],
                             label=label))
    return sets


def rp2_hemisphere(ax, theta, phi, color_values, *, cmap: str = "coolwarm", s: float = 4.0,
                   max_points: int = 3000, seed: int = 0, label: str = ""):
    r"""Decay directions on the upper hemisphere, antipodes identified, coloured by a latent.

    .. math::
        \hat n = (\sin\theta\cos\phi,\ \sin\theta\sin\phi,\ \cos\theta), \qquad
        \hat n \sim -\hat n \ \Rightarrow\ \text{use } \operatorname{sign}(\cos\theta)\,\hat n

    where :math:`(\theta, \phi)` (N,) are the truth decay angles of one quark in the W rest
    frame (radians, :func:`latentdims.data.jetobs.rest_frame_angles`).  The two quarks are
    back to back there, so a decay is a line through the origin: a point of the real projective
    plane RP^2, which the upper hemisphere covers once except on its rim (NeurIPS Fig. 2, right).
    The pole (:math:`\theta = 0`) is the most asymmetric decay, the rim the balanced one.

    Parameters
    ----------
    ax : a 3-D matplotlib axes (``projection='3d'``)
    color_values : array, shape (N,)
        The colouring (e.g. an encoded latent coordinate); colours are symmetric about 0.

    Returns
    -------
    the scatter's PathCollection (for a colour bar)
    """
    func = "rp2_hemisphere"
    theta = check_array(theta, name="theta", func=func, ndim=1, min_rows=1)
    phi = check_array(phi, name="phi", func=func, shape=theta.shape)
    color_values = check_array(color_values, name="color_values", func=func, shape=theta.shape)
    if not hasattr(ax, "zaxis"):
        raise TypeError(f"{func}: `ax` must be a 3-D axes (fig.add_subplot(..., "
                        f"projection='3d')); got {type(ax).__name__}.")
    th, ph = fold_decay_angles(theta, phi)
    if len(th) > max_points:
        keep = np.random.default_rng(seed).choice(len(th), max_points, replace=False)
        th, ph, color_values = th[keep], ph[keep], color_values[keep]
    # a grey upper hemisphere under the points, as in the figure
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, 40), np.linspace(0, np.pi / 2, 12))
    ax.plot_surface(np.sin(v) * np.cos(u), np.sin(v) * np.sin(u), np.cos(v), color="0.8",
                    alpha=0.25, linewidth=0)
    ax.plot(np.cos(u[0]), np.sin(u[0]), 0 * u[0], color="0.4", lw=0.8)
    lim = float(np.max(np.abs(color_values))) or 1.0
    r = 1.01      # just outside the surface so the points are not hidden by it
    sc = ax.scatter(r * np.sin(th) * np.cos(ph), r * np.sin(th) * np.sin(ph), r * np.cos(th),
                    c=color_values, cmap=cmap, vmin=-lim, vmax=lim, s=s, depthshade=False)
    ax.set_xlabel(r"$\sin\theta\cos\phi$")
    ax.set_ylabel(r"$\sin\theta\sin\phi$")
    ax.set_zlabel(r"$|\cos\theta|$")
    ax.set_box_aspect((1, 1, 0.5))
    ax.view_init(elev=35, azim=-60)
    if label:
        ax.set_title(label)
    return sc


def plot_schedule(ax, run, *, unit: str = "GeV"):
    """beta of every annealing step against the step number, priming and production marked.

    ``unit``: ``'GeV'`` (beta = <H_T> beta-hat) or ``'hat'`` (the dimensionless beta-hat, as the
    papers' figure).
    """
    if unit not in ("GeV", "hat"):
        raise ValueError(f"plot_schedule: `unit` must be 'GeV' or 'hat'; got {unit!r}.")
    key = "beta_gev" if unit == "GeV" else "beta_hat"
    steps = run.steps
    x = np.array([s["index"] for s in steps])
    y = np.array([s[key] for s in steps])
    ax.plot(x, y, color=COLORS["data"], lw=0.8, zorder=1)
    for phase, colour, label in (("priming", COLORS["priming"], "priming run"),
                                 ("zigzag", "black", "zig-zag"),
                                 ("production", COLORS["production"], "production run")):
        sel = np.array([s["phase"] == phase for s in steps])
        if sel.any():
            ax.scatter(x[sel], y[sel], s=14, color=colour, label=label, zorder=2)
    ax.set_yscale("log")
    ax.set_xlabel("annealing step")
    ax.set_ylabel(r"$\beta$ [GeV]" if unit == "GeV" else r"$\hat\beta$")
    ax.legend(fontsize=8)
    return ax


def plot_kl_curves(ax, beta, kl, *, n_highlight: int = 6, title: str | None = None):
    """KL of every latent direction against beta (log x), the ``n_highlight`` most informative
    (by summed KL) in colour and labelled z0, z1, ... by that order, the others in grey."""
    beta = np.asarray(beta)
    kl = np.asarray(kl)
    order = np.argsort(-kl.sum(axis=0), kind="stable")
    sort = np.argsort(beta, kind="stable")
    for i in order[n_highlight:]:
        ax.plot(beta[sort], kl[sort, i], color=COLORS["data"], lw=0.5, alpha=0.5)
    for rank, (i, colour) in enumerate(zip(order[:n_highlight], palette(n_highlight, "plasma"))):
        ax.plot(beta[sort], kl[sort, i], marker="o", ms=3, lw=1.2, color=colour,
                label=f"z{rank} (unit {i})")
    ax.set_xscale("log")
    ax.set_xlabel(r"$\beta$ [GeV]")
    ax.set_ylabel(r"$D_{\rm KL}$ per latent [nats]")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    return ax


def _physical_line(ax, beta, values, fmt, *, upper, **plot_kw):
    """Plot a D curve through its physical values only (gaps elsewhere); return its
    :class:`~latentdims.maths.dimensionality.OutOfRange`."""
    flags = out_of_range(beta, values, upper=upper)
    ax.plot(beta, np.where(flags.physical, values, np.nan), fmt, **plot_kw)
    return flags


def _d_limits(curves, dcorrs=(), *, upper=None) -> tuple[float, float]:
    """y limits of dimension panels: 0 and every physical D1, D2 value of ``curves`` (with
    ``upper`` the number of latents, one per curve or shared) and the valid D_corr estimates
    and bands of ``dcorrs``, padded by 6 %.  Out-of-range values do not stretch the axis."""
    uppers = upper if isinstance(upper, (list, tuple)) else [upper] * len(curves)
    vals = [np.zeros(1)]
    for curve, up in zip(curves, uppers):
        for v in (curve.d1, curve.d2):
            vals.append(np.asarray(v, dtype=float)[out_of_range(curve.beta, v, upper=up).physical])
    for d in dcorrs:
        if d is not None:
            vals += [np.asarray(a, dtype=float)[d.valid] for a in (d.dcorr, d.lower, d.upper)]
    allv = np.concatenate(vals)
    allv = allv[np.isfinite(allv)]
    lo, hi = float(allv.min()), float(allv.max())
    if hi - lo < 1e-9:
        hi = lo + 1.0
    pad = 0.06 * (hi - lo)
    return lo - pad, hi + pad


def _reason_lines(flagged) -> list[str]:
    """Why the flagged values are out of range, one line per kind present."""
    out = []
    if any(f.below.any() for _, f, _ in flagged):
        out.append(r"D < 0: R rose or D fell with $\beta$ between neighbouring steps "
                   "(a step not converged)")
    above = [f.upper for _, f, _ in flagged if f.above.any()]
    if above:
        out.append(f"D > {max(above):g}: more than the {max(above):g} latents")
    if any(f.nonfinite.any() for _, f, _ in flagged):
        out.append("not finite (a step without the metric): not drawn")
    return out


def _mark_out_of_range(ax, flagged, ylim) -> None:
    """Draw the out-of-range points of ``flagged`` (``(name, OutOfRange, marker)``) hollow and
    grey: at their value when inside ``ylim``, else as triangles at the axis edge (not to
    scale); then fix ``ylim`` and, if anything was out of range, write a note under ``ax``
    (text ``gid`` :data:`OUT_OF_RANGE_NOTE`) whose numbers are the flagged values and betas."""
    lo, hi = ylim
    ax.set_ylim(lo, hi)
    flagged = [item for item in flagged if item[1].count]
    if not flagged:
        return
    grey = dict(facecolors="none", edgecolors="0.45", linewidths=1.0, zorder=4, clip_on=False)
    span = hi - lo
    lines, n_edge = [], 0
    for name, f, marker in flagged:
        fin = np.isfinite(f.values)
        inside = fin & (f.values >= lo) & (f.values <= hi)
        low, high = fin & (f.values < lo), fin & (f.values > hi)
        ax.scatter(f.beta[inside], f.values[inside], marker=marker, s=22, **grey)
        ax.scatter(f.beta[low], np.full(low.sum(), lo + 0.025 * span), marker="v", s=30, **grey)
        ax.scatter(f.beta[high], np.full(high.sum(), hi - 0.025 * span), marker="^", s=30, **grey)
        n_edge += int(low.sum() + high.sum())
        items = [f"{v:.3g} at $\\beta$ = {b:.3g} GeV" + (" (edge)" if (e1 or e2) else "")
                 for v, b, e1, e2 in zip(f.values, f.beta, low, high)]
        items = items[:4] + ([f"{len(items) - 4} more"] if len(items) > 4 else [])
        for k in range(0, len(items), 2):        # two values a line keeps the note narrow
            lines.append((f"{name} = " if k == 0 else "      ") + "; ".join(items[k:k + 2]))
    ranges = "/".join(dict.fromkeys(f.range_text for _, f, _ in flagged))
    head = (f"{sum(f.count for _, f, _ in flagged)} value(s) outside {ranges}, drawn hollow"
            + (f" ({n_edge} at the axis edge: not to scale)" if n_edge else "") + ":")
    text = "\n".join([head] + lines + _reason_lines(flagged))
    # under the axes, below the beta label, where it covers no point
    ax.annotate(text, xy=(0.0, 0.0), xycoords=("axes fraction", ax.xaxis.label),
                xytext=(0, -3), textcoords="offset points", ha="left", va="top",
                fontsize=6.5, color="0.2", gid=OUT_OF_RANGE_NOTE, annotation_clip=False)


def plot_dimensions(ax, curve, dcorr=None, *, title: str | None = None,
                    n_latent: int | None = None, ylim=None):
    """D1, D2 (a :class:`~latentdims.maths.dimensionality.DimensionCurve` with beta in GeV) and,
    optionally, D_corr on the beta axis with its band (a
    :class:`~latentdims.maths.latent_measures.JetDcorr`).

    D1, D2 values outside ``0..n_latent`` (:func:`~latentdims.maths.dimensionality.out_of_range`;
    ``n_latent`` None: only ``>= 0``) break the lines and are drawn hollow and grey, at the axis
    edge when beyond ``ylim`` (default: 0 and the physical values, :func:`_d_limits`), with a
    note giving their values and betas."""
    f1 = _physical_line(ax, curve.beta, curve.d1, "o-", upper=n_latent, ms=4,
                        color=COLORS["mean"], label="$D_1$")
    f2 = _physical_line(ax, curve.beta, curve.d2, "s-", upper=n_latent, ms=4,
                        color=COLORS["sampled"], label="$D_2$")
    if dcorr is not None:
        v = dcorr.valid
        ax.plot(dcorr.beta[v], dcorr.dcorr[v], color=COLORS["dcorr"],
                label=r"$D_{\rm corr}(Q = 2\beta)$")
        ax.fill_between(dcorr.beta[v], dcorr.lower[v], dcorr.upper[v], color=COLORS["dcorr"],
                        alpha=0.25, lw=0)
    ax.axhline(0, color=COLORS["theory"], lw=0.5)
    ax.set_xscale("log")
    ax.set_xlabel(r"$\beta$ [GeV]")
    ax.set_ylabel("dimensionality")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    _mark_out_of_range(ax, [("$D_1$", f1, "o"), ("$D_2$", f2, "s")],
                       _d_limits([curve], [dcorr], upper=n_latent) if ylim is None else ylim)
    return ax


def _latents_of(n_latent, name):
    """``n_latent`` may be one number for every run or ``{name: number}``."""
    if isinstance(n_latent, dict):
        return n_latent.get(name)
    return n_latent


# ------------------------------------------------------------------------ notebook figures
# One function per figure of notebooks 20-25, each returning the figure.  ``profile`` is a label
# for the titles only.  A *run* is an AnnealRun (``steps``, ``ht_mean``); ``decode`` a decode
# callable as above (e.g. :func:`latentdims.models.jet_vae.decoder_of`).

DETECTOR_WINDOW = dict(window_centre=(0.0, 0.0), half_width=np.pi, area=40.0)
"""Inset window of the uncentred VAEs' grids: the whole (eta, phi) detector (translations show)."""


def schedule_figure(run, *, profile: str, name: str = "VAE_uncent"):
    """NeurIPS Fig. 4 / ICLR Fig. 6: the schedule in :math:`\\hat\\beta` (left) and in GeV."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    plot_schedule(axes[0], run, unit="hat")
    plot_schedule(axes[1], run, unit="GeV")
    fig.suptitle(f"beta-annealing schedule of {name} (profile {profile})")
    fig.tight_layout()
    return fig


def kl_curves_figure(curves: dict, *, profile: str):
    """ICLR Fig. 7: one panel per ``name -> (beta, kl)`` of :func:`plot_kl_curves`."""
    fig, axes = plt.subplots(1, len(curves), figsize=(13, 3.8), sharey=True)
    for ax, (name, (beta, kl)) in zip(np.atleast_1d(axes), curves.items()):
        plot_kl_curves(ax, beta, kl, title=f"VAE_{name} run")
    fig.suptitle(f"KL per latent direction on validation jets at the end of each step "
                 f"(profile {profile})")
    fig.tight_layout()
    return fig


def annealing_overview_figure(run, *, profile: str, name: str = "VAE_uncent"):
    """The talks' annealing slide: the schedule above a heat map of every step's KL per latent
    (latents ordered by their KL summed over the production run)."""
    kl_all = np.array([s["metrics"]["kl_per_latent"] for s in run.steps])[:, latent_order(run)]
    fig, axes = plt.subplots(2, 1, figsize=(9, 6), sharex=True,
                             gridspec_kw={"height_ratios": [1, 2]})
    plot_schedule(axes[0], run)
    im = axes[1].imshow(np.log10(kl_all.T + 1e-3), aspect="auto", origin="lower", cmap="magma",
                        vmin=-3, extent=(-0.5, len(run.steps) - 0.5, -0.5, kl_all.shape[1] - 0.5))
    axes[1].set_ylabel("latent (by production KL)")
    axes[1].set_xlabel("annealing step")
    fig.colorbar(im, ax=axes, label=r"$\log_{10}$ KL [nats]", shrink=0.6)
    axes[0].set_title(f"Annealing {name}: schedule and KL per latent (profile {profile})",
                      fontsize=10)
    return fig


ROLE_NOT_FOUND = "role not found"
"""What an axis says of a latent whose role was looked for and not found."""


def _latent_label(name: str, latent: int, roles: dict | None) -> str:
    """``'$z_0$ (latent 3)'``, with the role the checks found for it:
    ``'$z_0$ (latent 3): $\\eta$'``, or, where ``roles`` maps the latent to None (its role was
    looked for and not found), ``'$z_0$ (latent 3): role not found'``.  A latent absent from
    ``roles`` was not looked at and gets no statement.

    >>> _latent_label("$z_2$", 7, {7: None, 4: "boost"})
    '$z_2$ (latent 7): role not found'
    >>> _latent_label("$z_3$", 4, {7: None, 4: "boost"}), _latent_label("$z_4$", 5, None)
    ('$z_3$ (latent 4): boost', '$z_4$ (latent 5)')
    """
    roles = roles or {}
    label = f"{name} (latent {latent})"
    if int(latent) not in roles:
        return label
    role = roles[int(latent)]
    return f"{label}: {role if role else ROLE_NOT_FOUND}"


def position_latents_figure(decode, means, dims, *, n_latent: int, n_grid: int, beta_gev: float,
                            profile: str, roles: dict | None = None):
    """NeurIPS / ICLR Fig. 1: grids over :math:`(z_0, z_1)` and :math:`(z_1, z_2)` (``dims``, the
    three leading latents) over the density of ``means`` (N, n), and a zoom into one cell.

    ``roles``: ``{latent: label}`` for the latents whose role (e.g. ``r"$\\eta$"``) the
    notebook's checks found, ``{latent: None}`` for those whose role they looked for and did
    not find; the axes name a role only in the first case and say "role not found" in the
    second."""
    z0, z1, z2 = (int(d) for d in dims)
    fig = plt.figure(figsize=(15, 5.2))
    ax_a, ax_b = fig.add_subplot(1, 3, 1), fig.add_subplot(1, 3, 2)
    ax_zoom = fig.add_subplot(1, 3, 3)
    grid_a = draw_latent_grid(ax_a, decode, (z0, z1), n_latent=n_latent,
                              encoded=means[:, [z0, z1]], n_grid=n_grid, **DETECTOR_WINDOW)
    draw_latent_grid(ax_b, decode, (z1, z2), n_latent=n_latent, encoded=means[:, [z1, z2]],
                     n_grid=n_grid, **DETECTOR_WINDOW)
    cell = (n_grid // 2, n_grid - 2)
    draw_zoom(ax_zoom, grid_a, cell, grid_ax=ax_a, window_centre=(0.0, 0.0), half_width=np.pi,
              area=300.0, names=("$z_0$", "$z_1$"))
    ax_a.set_xlabel(_latent_label("$z_0$", z0, roles))
    ax_a.set_ylabel(_latent_label("$z_1$", z1, roles))
    ax_b.set_xlabel(_latent_label("$z_1$", z1, roles))
    ax_b.set_ylabel(_latent_label("$z_2$", z2, roles))
    fig.suptitle(f"VAE_uncent at $\\beta$ = {beta_gev:.0f} GeV (profile {profile})")
    fig.tight_layout()
    return fig


def further_directions_figure(decode, means, picked, *, n_latent: int, n_grid: int, centre,
                              beta_gev: float, profile: str, roles: dict | None = None,
                              not_found=()):
    """ICLR Fig. 8: grids over the pairs (z2, z3) and (z4, z5) of the four ``picked`` latents,
    in windows of half-width 0.8 around ``centre`` (empty panels if fewer than four; the pT
    the windows cut off is written on each panel, :func:`outside_window`).
    ``roles``: as :func:`position_latents_figure` (e.g. ``{7: "boost", 9: None}``);
    ``not_found``: the roles looked for among these directions and not found (e.g.
    ``["third prong"]``), named under the title."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.2))
    pairs = [(picked[0], picked[1]), (picked[2], picked[3])] if len(picked) >= 4 else []
    for ax, (a, b), names in zip(axes, pairs, (("$z_2$", "$z_3$"), ("$z_4$", "$z_5$"))):
        draw_latent_grid(ax, decode, (a, b), n_latent=n_latent, encoded=means[:, [a, b]],
                         n_grid=n_grid, window_centre=centre, half_width=0.8, area=60.0)
        ax.set_xlabel(_latent_label(names[0], a, roles))
        ax.set_ylabel(_latent_label(names[1], b, roles))
    missing = [str(r) for r in not_found]
    fig.suptitle(f"VAE_uncent at $\\beta$ = {beta_gev:.1f} GeV: directions after the position "
                 f"ones (profile {profile})"
                 + (f"\nroles looked for and not found among them: {', '.join(missing)}"
                    if missing else ""))
    fig.tight_layout()
    return fig


def latent_rows_figure(decode, rows, kl, *, n_latent: int, centre, beta_gev: float):
    """The talks' traversals: one row per latent of ``rows``, decoded from -2 to 2 prior standard
    deviations (the others at 0), labelled with its KL (``kl``, per latent)."""
    fig, axes = plt.subplots(len(rows), 1, figsize=(8, 1.5 * len(rows)))
    axes = np.atleast_1d(axes)
    for ax, k in zip(axes, rows):
        other = (k + 1) % n_latent
        draw_latent_grid(ax, decode, (k, other), n_latent=n_latent, xs=np.linspace(-2, 2, 7),
                         ys=[0.0], density=False, window_centre=centre, half_width=0.8,
                         area=60.0, note_where="right")
        ax.set_yticks([])
        ax.set_ylabel(f"latent {k}\nKL {kl[k]:.1f}", rotation=0, ha="right", va="center")
        ax.set_xlabel("")
    axes[-1].set_xlabel("latent value (prior units)")
    fig.suptitle(f"VAE_uncent, $\\beta$ = {beta_gev:.1f} GeV: one direction per row")
    fig.tight_layout()
    return fig


def decay_plane_figure(decode, means, dims, theta, phi, decay_theta, decay_phi, *, n_latent: int,
                       n_grid: int, beta_gev: float, profile: str):
    """NeurIPS / ICLR Fig. 2: decoded jets in circles over :math:`(z_0, z_1)` (``dims``) with
    contours of the folded truth decay angles ``theta``, ``phi`` (radians, of the jets encoded at
    ``means``), and the unfolded ``decay_theta``, ``decay_phi`` on the RP^2 hemisphere coloured by
    each latent."""
    z0, z1 = (int(d) for d in dims)
    fig = plt.figure(figsize=(15, 6))
    ax = fig.add_axes([0.04, 0.08, 0.5, 0.84])
    draw_latent_grid(ax, decode, (z0, z1), n_latent=n_latent, encoded=means[:, [z0, z1]],
                     n_grid=n_grid, shape="circle", window_centre=(0.0, 0.0), half_width=0.5,
                     area=150.0)
    xy = means[:, [z0, z1]]
    bins = max(8, int(np.sqrt(len(xy)) / 3))
    quantity_contours(ax, xy, np.degrees(theta), levels=[30, 50, 70, 85], bins=bins, colors="k",
                      linewidths=1.2, zorder=4)
    quantity_contours(ax, xy, np.degrees(phi), levels=np.arange(-180, 180, 45), period=360.0,
                      bins=bins, colors=COLORS["production"], linewidths=1.0, linestyles="--",
                      zorder=4)
    ax.set_xlabel(f"$z_0$ (latent {z0})")
    ax.set_ylabel(f"$z_1$ (latent {z1})")
    ax.set_title(f"VAE_cent at $\\beta$ = {beta_gev:.1f} GeV (profile {profile}); "
                 r"black: $\theta$, red dashed: $\phi$")
    for k, (latent, name) in enumerate(((z0, "$z_0$"), (z1, "$z_1$"))):
        ax3 = fig.add_axes([0.55 + 0.22 * k, 0.12, 0.22, 0.76], projection="3d")
        sc = rp2_hemisphere(ax3, decay_theta, decay_phi, means[:, latent],
                            label=f"coloured by {name}")
        fig.colorbar(sc, ax=ax3, orientation="horizontal", shrink=0.6, pad=0.02)
    return fig


def dimensions_figure(curves: dict, *, profile: str, n_latent=None):
    """NeurIPS Fig. 3: D1 and D2 of each run (``name -> DimensionCurve``), one panel each, on a
    shared y axis spanning the physical values; values outside ``0..n_latent`` (the number of
    latents, one int or ``name -> int``; None: only ``>= 0``) are flagged
    (:func:`plot_dimensions`)."""
    fig, axes = plt.subplots(1, len(curves), figsize=(10, 3.8), sharey=True)
    ylim = _d_limits(list(curves.values()),
                     upper=[_latents_of(n_latent, name) for name in curves])
    for ax, (name, curve) in zip(np.atleast_1d(axes), curves.items()):
        plot_dimensions(ax, curve, title=f"VAE_{name}", n_latent=_latents_of(n_latent, name),
                        ylim=ylim)
    fig.suptitle(f"Dimensionality of the learnt representation (profile {profile})")
    fig.tight_layout()
    return fig


def dimensions_dcorr_figure(curves: dict, dcorr: dict, *, centred: dict, n_jets: int,
                            profile: str, n_latent=None):
    """ICLR Fig. 3: D1, D2 and :math:`D_{\\rm corr}(Q = 2\\beta)` of each run's jets (``name ->``
    DimensionCurve, JetDcorr, whether the jets are centred), computed from ``n_jets`` jets;
    ``n_latent`` as :func:`dimensions_figure`."""
    fig, axes = plt.subplots(1, len(curves), figsize=(10, 3.8), sharey=True)
    ylim = _d_limits([curves[name] for name in curves], [dcorr[name] for name in curves],
                     upper=[_latents_of(n_latent, name) for name in curves])
    for ax, name in zip(np.atleast_1d(axes), curves):
        plot_dimensions(ax, curves[name], dcorr[name], n_latent=_latents_of(n_latent, name),
                        ylim=ylim,
                        title=f"VAE_{name} ({'centred' if centred[name] else 'uncentred'} jets)")
    fig.suptitle(f"$D_1$, $D_2$ and $D_{{\\rm corr}}(Q=2\\beta)$ (profile {profile}, "
                 f"{n_jets} jets for $D_{{\\rm corr}}$)")
    fig.tight_layout()
    return fig


def dimensions_overlay_figure(curves: dict, dcorr: dict, counts: dict, *, profile: str,
                              n_latent=None):
    """The talks' W-jet dimensionality: D1, D2, D_corr of VAE_uncent (solid) and VAE_cent
    (dashed) overlaid, and the number of informative latents (``name -> (beta, count)``);
    D values outside ``0..n_latent`` flagged as in :func:`plot_dimensions`."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    flagged = []
    for name, ls in (("uncent", "-"), ("cent", "--")):
        c, d = curves[name], dcorr[name]
        up = _latents_of(n_latent, name)
        flagged.append((f"$D_1$ VAE_{name}", _physical_line(
            axes[0], c.beta, c.d1, ls, upper=up, marker="o", ms=3, color=COLORS["mean"],
            label=f"$D_1$ VAE_{name}"), "o"))
        flagged.append((f"$D_2$ VAE_{name}", _physical_line(
            axes[0], c.beta, c.d2, ls, upper=up, marker="s", ms=3, color=COLORS["sampled"],
            label=f"$D_2$ VAE_{name}"), "s"))
        axes[0].plot(d.beta[d.valid], d.dcorr[d.valid], ls, color=COLORS["dcorr"],
                     label=f"$D_{{corr}}$ {name} jets")
        axes[1].plot(*counts[name], ls, marker="o", ms=3, color=COLORS["theory"],
                     label=f"VAE_{name}")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel(r"$\beta$ [GeV]")
        ax.legend(fontsize=7)
    names = ("uncent", "cent")
    _mark_out_of_range(axes[0], flagged, _d_limits(
        [curves[k] for k in names], [dcorr[k] for k in names],
        upper=[_latents_of(n_latent, k) for k in names]))
    axes[0].set_ylabel("dimensionality")
    axes[1].set_ylabel("latents with KL > 0.1 nat")
    fig.suptitle(f"Dimensionality of W jets (profile {profile})")
    fig.tight_layout()
    return fig


def latent_panels_figure(decode, means, panels, kl, *, n_latent: int, n_grid: int, title: str):
    """Grids over latent pairs, one panel per ``(dims, window)`` of ``panels`` (``window``: the
    keywords of :func:`draw_latent_grid`'s inset window, None for :data:`DETECTOR_WINDOW`), axes
    labelled with each latent's KL (``kl``).  One panel: ``title`` above it; more: a suptitle."""
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 5.5))
    axes = np.atleast_1d(axes)
    for ax, (dims, window) in zip(axes, panels):
        dims = [int(d) for d in dims]
        draw_latent_grid(ax, decode, tuple(dims), n_latent=n_latent, encoded=means[:, dims],
                         n_grid=n_grid, **(DETECTOR_WINDOW if window is None else window))
        ax.set_xlabel(f"latent {dims[0]} (KL {kl[dims[0]]:.1f})")
        ax.set_ylabel(f"latent {dims[1]} (KL {kl[dims[1]]:.1f})")
    if len(panels) == 1:
        axes[0].set_title(title)
    else:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def dimension_comparison_figure(curves: dict, counts: dict, *, profile: str, n_latent=None):
    """The talks' top-jet dimensionality: D1 and D2 of each run (``name -> DimensionCurve``) and
    its informative latents (``name -> (beta, count)``), top in red, W in blue; D values
    outside ``0..n_latent`` flagged as in :func:`plot_dimensions`."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    flagged = []
    for (name, c), color in zip(curves.items(), (COLORS["production"], COLORS["mean"])):
        up = _latents_of(n_latent, name)
        flagged.append((f"{name}: $D_1$", _physical_line(
            ax1, c.beta, c.d1, "o-", upper=up, color=color, label=f"{name}: $D_1$"), "o"))
        flagged.append((f"{name}: $D_2$", _physical_line(
            ax1, c.beta, c.d2, "s--", upper=up, color=color, alpha=0.7,
            label=f"{name}: $D_2$"), "s"))
        ax2.plot(*counts[name], "o-", color=color, label=name)
    _mark_out_of_range(ax1, flagged, _d_limits(
        list(curves.values()), upper=[_latents_of(n_latent, k) for k in curves]))
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_xlabel(r"$\beta$ [GeV]")
        ax.legend(fontsize=8)
    ax1.set_ylabel("dimension")
    ax2.set_ylabel("informative latents (KL > 0.1 nats)")
    fig.suptitle(f"Dimensionality of top and W jets (production runs, profile {profile})")
    fig.tight_layout()
    return fig


def category_latents_figure(decoders: dict, latents, *, n_latent: int, n_grid: int,
                            beta_gev: float, profile: str):
    """The talks' mixed sample: each category's decoder over the same two latents and its own
    truth class' encoded jets, and the per-latent KL of both.

    ``decoders``: ``{"top": (category, decode), "light": (category, decode)}``; ``latents``: the
    per-category measurements (``rate_top``, ``rate_light``, ``order``, ``dims``, ``means_top``,
    ``means_light``; :class:`latentdims.studies.jet_vae.CategoryLatents`).
    """
    dims = tuple(int(d) for d in latents.dims)
    fig, axes = plt.subplots(1, 3, figsize=(16, 5.2), gridspec_kw={"width_ratios": [1, 1, 0.8]})
    for ax, name, means in ((axes[0], "top", latents.means_top),
                            (axes[1], "light", latents.means_light)):
        c, decode = decoders[name]
        draw_latent_grid(ax, decode, dims, n_latent=n_latent, encoded=means[:, list(dims)],
                         n_grid=n_grid, window_centre=(0.0, 0.0), half_width=1.0, area=80.0)
        ax.set_title(f"category {c} ('{name}'): its decoder, over its "
                     f"{'top' if name == 'top' else 'QCD'} jets")
        ax.set_xlabel(f"latent {dims[0]}")
        ax.set_ylabel(f"latent {dims[1]}")
    order = latents.order
    k = np.arange(min(8, n_latent))
    axes[2].bar(k - 0.2, latents.rate_top[order[k]], 0.4, color=COLORS["production"],
                label="top jets, top category")
    axes[2].bar(k + 0.2, latents.rate_light[order[k]], 0.4, color=COLORS["mean"],
                label="QCD jets, light category")
    axes[2].set_xticks(k, [str(int(i)) for i in order[k]])
    axes[2].set_xlabel("latent (by KL of the top category)")
    axes[2].set_ylabel("KL [nats]")
    axes[2].legend(fontsize=8)
    fig.suptitle(f"Mixed top + light sample, $\\beta$ = {beta_gev:.0f} GeV (profile {profile})")
    fig.tight_layout()
    return fig


def classifier_figure(perf, score, is_top, *, profile: str):
    """The talks' learnt classifier: the ROC curve of ``perf``
    (:class:`latentdims.maths.latent_measures.CategoryPerformance`) and the distribution of the
    top-jet ``score`` (N,) for truth top (``is_top``) and QCD jets."""
    score, is_top = np.asarray(score), np.asarray(is_top, dtype=bool)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2))
    ax1.plot(perf.fpr, perf.tpr, color=COLORS["production"], label=f"q(c|x): AUC = {perf.auc:.3f}")
    ax1.plot([0, 1], [0, 1], color=COLORS["theory"], lw=0.8, ls=":", label="random")
    ax1.set_xlabel("QCD jets accepted (false-positive rate)")
    ax1.set_ylabel("top jets accepted (true-positive rate)")
    ax1.legend(fontsize=8)
    bins = np.linspace(0, 1, 21)
    ax2.hist(score[is_top], bins=bins, histtype="step", color=COLORS["production"],
             label="truth top", density=True)
    ax2.hist(score[~is_top], bins=bins, histtype="step", color=COLORS["mean"], label="truth QCD",
             density=True)
    ax2.set_xlabel(r"$q(c_{\rm top}\,|\,x)$")
    ax2.set_ylabel("density")
    ax2.set_yscale("log")
    ax2.legend(fontsize=8)
    fig.suptitle(f"Learnt classifier (accuracy {perf.accuracy:.3f}, profile {profile})")
    fig.tight_layout()
    return fig
