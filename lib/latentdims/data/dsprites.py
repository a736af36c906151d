"""dSprites rendered procedurally from its factors, and its colour, noisy and scream variants.

The public dSprites file (Matthey et al. 2017, ``dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz``)
holds one binary 64x64 image for every combination of five factors, in a fixed order:

==============  =====  ===================================  =========================
factor          size   value (as in ``latents_values``)     class (``latents_classes``)
==============  =====  ===================================  =========================
shape           3      1 square, 2 ellipse, 3 heart          0, 1, 2
scale           6      ``linspace(0.5, 1, 6)``               0 ... 5
orientation     40     ``linspace(0, 2 pi, 40)`` (radians)   0 ... 39
pos_x           32     ``linspace(0, 1, 32)``                0 ... 31
pos_y           32     ``linspace(0, 1, 32)``                0 ... 31
==============  =====  ===================================  =========================

(plus a constant ``color`` factor, dropped here as the thesis does: "dSprites have ... 5
generative factors", thesis Sec. 8.4.1).  Image ``i`` of the file has the factors
``numpy.unravel_index(i, (3, 6, 40, 32, 32))``: ``pos_y`` varies fastest (dSprites README).
:func:`render_dsprites` follows these values and this order, so factor labels and indices are
interchangeable with the file's.  The pixels are *not* those of the file (which cannot be fetched
here): the shapes are drawn from analytic outlines (a square, a 2:1 ellipse and the implicit heart
curve), which is enough for the thesis' qualitative claims but will not reproduce numbers such as
the posterior-mean range of Fig 5.2.  :func:`latentdims.data.images.load_image_dataset` uses the
real file whenever it is present.

The variants follow Locatello et al. (2019) as the thesis uses them (thesis Sec. 6.3.2):
colour (sprite times a random colour, each channel ~ U(0.5, 1)), noisy (the background replaced by
uniform noise), scream (the background a random crop of Munch's *The Scream*; here a procedural
stand-in texture unless the painting is supplied, see :func:`scream_stand_in_texture`).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from latentdims.core.validation import check_array, check_choice, check_int

__all__ = ["FACTOR_NAMES", "FACTOR_SIZES", "N_IMAGES", "SHAPE_NAMES", "IMAGE_SIZE", "VARIANTS",
           "grid_index_to_classes", "grid_classes_to_index", "dsprites_factor_values",
           "dsprites_classes_to_values", "render_dsprites", "colour_dsprites", "noisy_dsprites",
           "scream_dsprites", "scream_stand_in_texture", "DSprites"]

FACTOR_NAMES = ("shape", "scale", "orientation", "pos_x", "pos_y")
FACTOR_SIZES = (3, 6, 40, 32, 32)
N_IMAGES = 737_280  # = 3 * 6 * 40 * 32 * 32
SHAPE_NAMES = ("square", "ellipse", "heart")
IMAGE_SIZE = 64
VARIANTS = ("binary", "colour", "noisy", "scream")

# Geometry of the procedural sprites, in pixels.  A sprite of scale s fits in a disc of radius
# _RADIUS * s around its centre at every orientation, and the centres run over
# [_MARGIN, 64 - _MARGIN] so that the largest sprite is never clipped (one pixel of clearance).
# With these values one position step is 1.35 px and one scale step 1 px, so neighbouring factor
# values give different images (the property the dSprites README states for its own values).
_RADIUS = 10.0
_MARGIN = 11.0
# Outlines in units of the sprite radius (u to the right, v upwards, before rotation).
_SQUARE_HALF_SIDE = 0.7     # circumradius 0.99
_ELLIPSE_AXES = (0.95, 0.5)  # the public ellipse is elongated, roughly 2:1
# The heart is the implicit curve (x^2 + y^2 - 1)^3 - x^2 y^3 = 0, which spans
# x in [-1.139, 1.139], y in [-1, 1.236]; shifting y by 0.118 and dividing by 1.27 centres it in
# the unit disc (farthest point at radius 0.99).
_HEART_SHIFT = 0.118
_HEART_SCALE = 1.27
_CHUNK = 2048  # images rendered per vectorised block (about 34 MB of float32 temporaries)


# --------------------------------------------------------------------------- factor grids
def grid_index_to_classes(indices, sizes: Sequence[int], *, func: str = "grid_index_to_classes"
                          ) -> np.ndarray:
    """Factor classes of positions in a full factor grid stored with the last factor fastest.

    Parameters
    ----------
    indices : int array, shape (N,)
        Positions in ``[0, prod(sizes))``.
    sizes : sequence of int, length K
        Number of values of each factor (dSprites: :data:`FACTOR_SIZES`).

    Returns
    -------
    ndarray of int64, shape (N, K)

    Examples
    --------
    >>> grid_index_to_classes([0, 1, 32, 737279], FACTOR_SIZES).tolist()
    [[0, 0, 0, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 1, 0], [2, 5, 39, 31, 31]]
    """
    idx = _check_indices(indices, int(np.prod(sizes)), func=func)
    return np.stack(np.unravel_index(idx, tuple(sizes)), axis=1).astype(np.int64)


def grid_classes_to_index(classes, sizes: Sequence[int], *, func: str = "grid_classes_to_index"
                          ) -> np.ndarray:
    """Inverse of :func:`grid_index_to_classes`: positions of factor classes (N, K) -> (N,)."""
    cls = check_array(classes, name="classes", func=func, ndim=2, dtype=None)
    if cls.shape[1] != len(sizes):
        raise ValueError(f"{func}: `classes` must have {len(sizes)} columns (one per factor, "
                         f"sizes {tuple(sizes)}); got shape {cls.shape}.")
    if not np.issubdtype(cls.dtype, np.integer):
        if not np.all(np.mod(cls, 1) == 0):
            raise TypeError(f"{func}: `classes` must hold integers (factor classes); got "
                            f"dtype {cls.dtype} with non-integer values.")
        cls = cls.astype(np.int64)
    bad = (cls < 0) | (cls >= np.asarray(sizes))
    if np.any(bad):
        row, col = np.argwhere(bad)[0]
        raise ValueError(f"{func}: factor {col} of row {row} is {cls[row, col]}; it must lie in "
                         f"[0, {sizes[col] - 1}] (factor sizes {tuple(sizes)}).")
    return np.ravel_multi_index(tuple(cls.T), tuple(sizes)).astype(np.int64)


def _check_indices(indices, n_total: int, *, func: str) -> np.ndarray:
    idx = np.asarray(indices)
    if idx.ndim == 0:
        idx = idx[None]
    if idx.ndim != 1:
        raise ValueError(f"{func}: `indices` must be a 1-D array of image indices; got shape "
                         f"{idx.shape}.")
    if idx.size and not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"{func}: `indices` must be integers; got dtype {idx.dtype}.")
    idx = idx.astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= n_total):
        bad = idx[(idx < 0) | (idx >= n_total)][0]
        raise ValueError(f"{func}: image index {bad} is out of range; indices must lie in "
                         f"[0, {n_total - 1}].")
    return idx


# --------------------------------------------------------------------------- factor values
def dsprites_factor_values() -> dict[str, np.ndarray]:
    """The values of each dSprites factor, as in the public file's ``latents_values``.

    Returns
    -------
    dict of str -> ndarray of float64
        ``shape`` [1, 2, 3]; ``scale`` ``linspace(0.5, 1, 6)``; ``orientation``
        ``linspace(0, 2 pi, 40)`` in radians (so classes 0 and 39 draw the same image, as in the
        public file); ``pos_x`` and ``pos_y`` ``linspace(0, 1, 32)``.

    Examples
    --------
    >>> v = dsprites_factor_values()
    >>> [len(v[k]) for k in FACTOR_NAMES], float(v["scale"][1])
    ([3, 6, 40, 32, 32], 0.6)
    """
    return {"shape": np.array([1.0, 2.0, 3.0]),
            "scale": np.linspace(0.5, 1.0, 6),
            "orientation": np.linspace(0.0, 2.0 * np.pi, 40),
            "pos_x": np.linspace(0.0, 1.0, 32),
            "pos_y": np.linspace(0.0, 1.0, 32)}


def dsprites_classes_to_values(classes) -> np.ndarray:
    """Factor values (N, 5) in the public file's units from factor classes (N, 5)."""
    func = "dsprites_classes_to_values"
    cls = grid_index_to_classes(grid_classes_to_index(classes, FACTOR_SIZES, func=func),
                                FACTOR_SIZES, func=func)
    values = dsprites_factor_values()
    return np.stack([values[name][cls[:, k]] for k, name in enumerate(FACTOR_NAMES)], axis=1)


# --------------------------------------------------------------------------- rendering
def render_dsprites(classes) -> np.ndarray:
    r"""Binary dSprites images for factor classes, drawn from analytic outlines.

    Pixel :math:`(r, c)` (row, column; centre at :math:`(c + 1/2, r + 1/2)` px) is 1 when its
    centre lies inside the sprite:

    .. math::
        \begin{pmatrix} u \\ v \end{pmatrix} = \frac{1}{R s}
        \begin{pmatrix} \cos\theta & \sin\theta \\ -\sin\theta & \cos\theta \end{pmatrix}
        \begin{pmatrix} c + \tfrac12 - x_0 \\ y_0 - r - \tfrac12 \end{pmatrix},
        \qquad x_0 = m + p_x (64 - 2m),\; y_0 = m + p_y (64 - 2m),

    and the shape tests are :math:`\max(|u|, |v|) \le 0.7` (square),
    :math:`(u/0.95)^2 + (v/0.5)^2 \le 1` (ellipse) and :math:`(x^2 + y^2 - 1)^3 \le x^2 y^3` with
    :math:`(x, y) = 1.27\,(u, v) + (0, 0.118)` (heart), where

    * :math:`s \in [0.5, 1]` is the scale, :math:`\theta \in [0, 2\pi]` the orientation (radians,
      counter-clockwise on screen), :math:`p_x, p_y \in [0, 1]` the positions (:math:`p_x` to the
      right, :math:`p_y` downwards, i.e. along image columns and rows);
    * :math:`R = 10` px is the radius of the disc holding a sprite of scale 1 and
      :math:`m = 11` px the margin that keeps it inside the 64x64 frame, one pixel clear of
      the border.

    Parameters
    ----------
    classes : int array, shape (N, 5)
        Factor classes (shape, scale, orientation, pos_x, pos_y), e.g. from
        :func:`grid_index_to_classes` with :data:`FACTOR_SIZES`.

    Returns
    -------
    ndarray of uint8, shape (N, 64, 64)
        0/1 images, like the public file's ``imgs``.

    Choosing parameters
    -------------------
    Render by batch (a training batch of 64 images takes about a millisecond); rendering the full
    grid is possible in blocks but needs about 3 GB as uint8.

    Examples
    --------
    A centred, unrotated square of scale 1 is a 14x14 block of ones:

    >>> img = render_dsprites([[0, 5, 0, 15, 15]])[0]
    >>> int(img.sum()), img[32, 32], img[0, 0]
    (196, np.uint8(1), np.uint8(0))

    References
    ----------
    [1] Matthey, Higgins, Hassabis & Lerchner 2017, dSprites (github.com/deepmind/dsprites-dataset).
    [2] Bonheme 2023, thesis Sec. 5.3 (Ch. 5) and thesis Sec. 6.3.2 (Ch. 6) use dSprites.
    """
    func = "render_dsprites"
    cls = grid_index_to_classes(grid_classes_to_index(classes, FACTOR_SIZES, func=func),
                                FACTOR_SIZES, func=func)
    out = np.empty((len(cls), IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    for start in range(0, len(cls), _CHUNK):
        out[start:start + _CHUNK] = _render_block(cls[start:start + _CHUNK])
    return out


def _render_block(cls: np.ndarray) -> np.ndarray:
    values = dsprites_factor_values()
    shape = cls[:, 0]
    # float32 throughout: the outlines are tested at pixel centres, far from float32 rounding
    scale = values["scale"][cls[:, 1]].astype(np.float32)
    theta = values["orientation"][cls[:, 2]].astype(np.float32)
    span = IMAGE_SIZE - 2 * _MARGIN
    x0 = (_MARGIN + span * values["pos_x"][cls[:, 3]]).astype(np.float32)
    y0 = (_MARGIN + span * values["pos_y"][cls[:, 4]]).astype(np.float32)
    centres = np.arange(IMAGE_SIZE, dtype=np.float32) + 0.5
    dx = centres[None, None, :] - x0[:, None, None]          # (N, 1, 64): columns
    dy = y0[:, None, None] - centres[None, :, None]          # (N, 64, 1): rows, upwards
    cos = (np.cos(theta) / (_RADIUS * scale))[:, None, None]
    sin = (np.sin(theta) / (_RADIUS * scale))[:, None, None]
    u = cos * dx + sin * dy                                  # (N, 64, 64), rotated by -theta
    v = cos * dy - sin * dx
    inside = np.zeros(u.shape, dtype=bool)
    for k in range(3):
        sel = shape == k
        if np.any(sel):
            inside[sel] = _SHAPE_TESTS[k](u[sel], v[sel])
    return inside.astype(np.uint8)


def _inside_square(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.maximum(np.abs(u), np.abs(v)) <= _SQUARE_HALF_SIDE


def _inside_ellipse(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return (u / _ELLIPSE_AXES[0]) ** 2 + (v / _ELLIPSE_AXES[1]) ** 2 <= 1.0


def _inside_heart(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    x = _HEART_SCALE * u
    y = _HEART_SCALE * v + _HEART_SHIFT
    return (x * x + y * y - 1.0) ** 3 <= x * x * y ** 3


_SHAPE_TESTS = (_inside_square, _inside_ellipse, _inside_heart)


# --------------------------------------------------------------------------- variants
def _as_rng(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(check_int(rng, name="rng", func="dsprites variant", minimum=0))


def _check_binary(images, func: str) -> np.ndarray:
    imgs = check_array(images, name="images", func=func, ndim=3, dtype=np.float32)
    if imgs.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"{func}: `images` must have shape (N, 64, 64) (binary dSprites); got "
                         f"{imgs.shape}.")
    if imgs.size and not np.all((imgs == 0) | (imgs == 1)):
        raise ValueError(f"{func}: `images` must be binary (0/1) dSprites images; got values in "
                         f"[{imgs.min():g}, {imgs.max():g}] that are not all 0 or 1.")
    return imgs


def colour_dsprites(images, rng) -> np.ndarray:
    r"""Colour-dSprites: each binary sprite times a random colour.

    .. math:: x_{rc\,k} = b_{rc}\, c_k, \qquad c_k \sim U(0.5, 1),\; k \in \{R, G, B\},

    one colour per image (Locatello et al. 2019, as used in thesis Sec. 6.3.2).

    Parameters
    ----------
    images : array, shape (N, 64, 64)
        Binary dSprites (0/1).
    rng : numpy Generator or int
        Source of the colours (an int seeds a new Generator).

    Returns
    -------
    ndarray of float32, shape (N, 64, 64, 3), in [0, 1]

    Examples
    --------
    >>> x = colour_dsprites(np.ones((2, 64, 64)), rng=0)
    >>> x.shape, bool(x.min() >= 0.5), bool(np.all(x[:, 0, 0] == x[:, 5, 7]))
    ((2, 64, 64, 3), True, True)
    """
    imgs = _check_binary(images, "colour_dsprites")
    colour = _as_rng(rng).uniform(0.5, 1.0, size=(len(imgs), 1, 1, 3)).astype(np.float32)
    return imgs[..., None] * colour


def noisy_dsprites(images, rng) -> np.ndarray:
    r"""Noisy-dSprites: the sprite stays white and the background becomes uniform noise.

    .. math:: x_{rc\,k} = \min(b_{rc} + n_{rc\,k}, 1), \qquad n_{rc\,k} \sim U(0, 1)

    independently per pixel and channel (Locatello et al. 2019; thesis Sec. 6.3.2).

    Returns
    -------
    ndarray of float32, shape (N, 64, 64, 3), in [0, 1]
    """
    imgs = _check_binary(images, "noisy_dsprites")
    noise = _as_rng(rng).uniform(0.0, 1.0, size=imgs.shape + (3,)).astype(np.float32)
    return np.minimum(imgs[..., None] + noise, 1.0)


def scream_dsprites(images, rng, texture=None) -> np.ndarray:
    r"""Scream-dSprites: a textured background with the sprite drawn in its inverse colours.

    .. math::
        g_{rc\,k} = \tfrac12 (T_{r_0 + r,\, c_0 + c,\, k} + a_k), \qquad
        x_{rc\,k} = \begin{cases} 1 - g_{rc\,k} & b_{rc} = 1 \\ g_{rc\,k} & b_{rc} = 0 \end{cases}

    with a random 64x64 crop :math:`(r_0, c_0)` of the texture :math:`T` and one random colour
    :math:`a \sim U(0, 1)^3` per image (Locatello et al. 2019; thesis Sec. 6.3.2).

    Parameters
    ----------
    images : array, shape (N, 64, 64)
        Binary dSprites.
    rng : numpy Generator or int
    texture : array, shape (H, W, 3), H, W >= 64, values in [0, 1], optional
        The painting (Locatello et al. use *The Scream* thumbnailed to 350x274,
        :func:`latentdims.data.images.load_scream_texture`).  ``None`` uses
        :func:`scream_stand_in_texture`, a procedural **stand-in**, not the painting.

    Returns
    -------
    ndarray of float32, shape (N, 64, 64, 3), in [0, 1]
    """
    func = "scream_dsprites"
    imgs = _check_binary(images, func)
    tex = scream_stand_in_texture() if texture is None else check_array(
        texture, name="texture", func=func, ndim=3, dtype=np.float32)
    if tex.shape[2] != 3 or tex.shape[0] < IMAGE_SIZE or tex.shape[1] < IMAGE_SIZE:
        raise ValueError(f"{func}: `texture` must have shape (H, W, 3) with H, W >= 64; got "
                         f"{tex.shape}.")
    if tex.size and (tex.min() < 0 or tex.max() > 1):
        raise ValueError(f"{func}: `texture` values must lie in [0, 1]; got [{tex.min():g}, "
                         f"{tex.max():g}] (divide an 8-bit image by 255).")
    gen = _as_rng(rng)
    n = len(imgs)
    r0 = gen.integers(0, tex.shape[0] - IMAGE_SIZE + 1, size=n)
    c0 = gen.integers(0, tex.shape[1] - IMAGE_SIZE + 1, size=n)
    offsets = np.arange(IMAGE_SIZE)
    crops = tex[(r0[:, None] + offsets)[:, :, None], (c0[:, None] + offsets)[:, None, :]]
    background = 0.5 * (crops + gen.uniform(0.0, 1.0, size=(n, 1, 1, 3)).astype(np.float32))
    return np.where(imgs[..., None] == 1, 1.0 - background, background).astype(np.float32)


def scream_stand_in_texture(seed: int = 0) -> np.ndarray:
    r"""A procedural **stand-in** for *The Scream* (not the painting): 274x350 RGB swirls.

    Wavy bands of a warped radial coordinate, coloured along an orange/yellow/blue/green palette
    reminiscent of the painting's sky and fjord, plus a little seeded grain:

    .. math::
        w = \sqrt{(x - 0.35)^2 + (y - 0.3)^2} + 0.08 \sin(9 x) \cos(7 y)
        + 0.04 \sin(23 (x + y)), \qquad t = \tfrac12 (1 + \sin(40 w)),

    with :math:`x, y \in [0, 1]` across the columns and rows.  Only its role matters here: a
    colourful, locally varying background whose random crops differ from image to image.

    Returns
    -------
    ndarray of float32, shape (274, 350, 3), in [0, 1]
    """
    seed = check_int(seed, name="seed", func="scream_stand_in_texture", minimum=0)
    y, x = np.meshgrid(np.linspace(0, 1, 274), np.linspace(0, 1, 350), indexing="ij")
    w = (np.hypot(x - 0.35, y - 0.3) + 0.08 * np.sin(9 * x) * np.cos(7 * y)
         + 0.04 * np.sin(23 * (x + y)))
    t = 0.5 * (1 + np.sin(40 * w))
    palette = np.array([[0.85, 0.35, 0.10], [0.95, 0.75, 0.25],
                        [0.20, 0.35, 0.65], [0.25, 0.45, 0.30]])
    # the lower half drifts from the sky colours (first two) to the water colours (last two)
    sky = (1 - t)[..., None] * palette[0] + t[..., None] * palette[1]
    water = (1 - t)[..., None] * palette[2] + t[..., None] * palette[3]
    mix = np.clip((y - 0.35) / 0.3, 0, 1)[..., None]
    grain = np.random.default_rng(seed).normal(0, 0.03, size=x.shape + (3,))
    return np.clip((1 - mix) * sky + mix * water + grain, 0, 1).astype(np.float32)


# --------------------------------------------------------------------------- lazy dataset
class DSprites:
    """The procedural dSprites grid, rendered lazily by index (nothing is stored).

    Parameters
    ----------
    variant : {'binary', 'colour', 'noisy', 'scream'}
        ``binary`` gives (N, 64, 64, 1) images, the others (N, 64, 64, 3).
    texture : array (H, W, 3), optional
        The Scream painting for ``variant='scream'`` (default: the procedural stand-in).

    Attributes
    ----------
    factor_names, factor_sizes : tuple
        :data:`FACTOR_NAMES`, :data:`FACTOR_SIZES`.
    channels : int

    Examples
    --------
    >>> ds = DSprites()
    >>> len(ds), ds.images([0, 1]).shape
    (737280, (2, 64, 64, 1))
    >>> x, y = ds.sample(4, rng=0)
    >>> x.shape, y.shape
    ((4, 64, 64, 1), (4, 5))
    """

    factor_names = FACTOR_NAMES
    factor_sizes = FACTOR_SIZES

    def __init__(self, variant: str = "binary", *, texture=None):
        self.variant = check_choice(variant, VARIANTS, name="variant", func="DSprites")
        self.channels = 1 if variant == "binary" else 3
        if variant == "scream" and texture is None:
            texture = scream_stand_in_texture()   # built once, not at every batch
        self._texture = None if texture is None else np.asarray(texture, dtype=np.float32)

    def __len__(self) -> int:
        return N_IMAGES

    def classes(self, indices) -> np.ndarray:
        """Factor classes (N, 5) of images ``indices`` (the public file's order)."""
        return grid_index_to_classes(indices, FACTOR_SIZES, func="DSprites.classes")

    def images(self, indices, *, rng=None) -> np.ndarray:
        """Images (N, 64, 64, C) float32 in [0, 1] of ``indices``.

        ``rng`` (Generator or int) draws the colours, noise or crops of the variants; it is
        required for them and ignored for ``binary``.
        """
        binary = render_dsprites(self.classes(indices))
        if self.variant == "binary":
            return binary[..., None].astype(np.float32)
        if rng is None:
            raise ValueError(f"DSprites.images: variant {self.variant!r} draws random colours or "
                             f"noise; pass `rng` (a numpy Generator or an int seed).")
        if self.variant == "colour":
            return colour_dsprites(binary, rng)
        if self.variant == "noisy":
            return noisy_dsprites(binary, rng)
        return scream_dsprites(binary, rng, texture=self._texture)

    def sample(self, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
        """``n`` images of uniformly drawn factor combinations (with replacement) and their classes.

        Returns
        -------
        images : float32 (n, 64, 64, C); classes : int64 (n, 5)
        """
        n = check_int(n, name="n", func="DSprites.sample", minimum=1)
        gen = _as_rng(rng)
        indices = gen.integers(0, N_IMAGES, size=n)
        return self.images(indices, rng=gen), self.classes(indices)
