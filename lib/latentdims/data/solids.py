"""Procedural 3-D stand-ins: Symsol-like solids, and SmallNORB- and Cars3D-like toys.

The thesis' 3-D datasets cannot be fetched here: Symmetric Solids (Murphy et al. 2021, reduced by
the thesis to the five featureless shapes, thesis Sec. 8.4.1), SmallNORB (LeCun et al. 2004) and
Cars3D (Reed et al. 2015).  This module renders **openly labelled stand-ins** with the same factor
structure, from one small ray caster for unions of convex polytopes:

* :func:`render_symsol` - a tetrahedron, cube, icosahedron, cone or cylinder (the cone and
  cylinder as 32-sided pyramids/prisms) at uniformly random 3-D rotations, grey, 64x64x1.
  Differs from the real renders: orthographic camera, flat (per-facet) Lambert shading, black
  background, no deduplication of symmetric views (the thesis removed duplicates, thesis Sec. 8.4.1).
* :class:`SmallNORBStandIn` - 5 categories of box-built toys (four-legged animal, human figure,
  airplane, truck, car) x 10 instances x 9 elevations (30-70 deg) x 18 azimuths (0-340 deg) x
  6 lightings, grey 64x64x1, the real grid's sizes.  Differs: toy shapes are crude unions of
  boxes, no stereo pair, no shadows, uniform dark-grey background, lighting = 6 light directions.
* :class:`Cars3DStandIn` - 183 box-built cars of random proportions and colours x 4 elevations
  x 24 azimuths, colour 64x64x3, the real grid's sizes.  Differs: the real set renders 183 CAD
  car models; the elevations here (0, 10, 20, 30 deg) are chosen, not taken from the data.

Geometry convention.  Camera coordinates are (x right, y up, z forward, away from the viewer);
the camera is orthographic and sees the square ``[-1, 1]^2`` of the (x, y) plane.  A convex part
is the set ``{p : n_j . p <= d_j for all j}`` of half-spaces stored as rows ``(n_x, n_y, n_z, d)``
with unit normals; objects are unions of up to K parts, padded with always-true rows
``(0, 0, 0, 1)`` and never-hit parts ``(0, 0, 0, -1)`` so that batches of different objects render
in one vectorised pass.
"""
from __future__ import annotations

import numpy as np

from latentdims.core.validation import check_array, check_int, check_positive
from latentdims.data.dsprites import grid_index_to_classes

__all__ = ["SOLID_NAMES", "SMALLNORB_CATEGORIES", "solid_halfspaces", "box_halfspaces",
           "random_rotations", "render_convex_objects", "render_symsol", "camera_rotation",
           "SmallNORBStandIn", "Cars3DStandIn"]

SOLID_NAMES = ("tetrahedron", "cube", "icosahedron", "cone", "cylinder")
SMALLNORB_CATEGORIES = ("four-legged animal", "human figure", "airplane", "truck", "car")
_FACETS = 32           # sides of the pyramid / prism standing in for the cone / cylinder
_FILL = 0.85           # an object of radius 1 fills 85 % of the half-frame (never clipped)
_ALWAYS = (0.0, 0.0, 0.0, 1.0)   # padding half-space: 0 . p <= 1 holds everywhere
_NEVER = (0.0, 0.0, 0.0, -1.0)   # padding part: 0 . p <= -1 holds nowhere
_DEFAULT_LIGHT = (-0.4, 0.5, -1.0)  # towards the light: upper left, in front of the object
_ELEMENTS_PER_BLOCK = 4_000_000  # images x parts x planes x pixels per vectorised block


# --------------------------------------------------------------------------- geometry
def _normalise_rows(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def solid_halfspaces(name: str) -> np.ndarray:
    r"""Half-spaces ``(n, d)`` of one Symsol solid, centred, inside the unit ball.

    * tetrahedron: faces opposite the vertices :math:`(\pm1, \pm1, \pm1)` with an even number of
      minus signs; :math:`-\hat v_i \cdot p \le 1/3` (inradius / circumradius = 1/3);
    * cube: :math:`|p_k| \le 1/\sqrt3`;
    * icosahedron: normals along the 20 vertices of the dual dodecahedron,
      :math:`\hat n \cdot p \le 0.79465` (inradius / circumradius);
    * cone: a 32-sided pyramid, height 1.4 and base radius 0.7, base at :math:`z = -0.525`
      (apex and rim both 0.875 from the centre);
    * cylinder: a 32-sided prism of radius 0.55 and half-height 0.75.

    Returns
    -------
    ndarray, shape (P, 4)
        Rows :math:`(n_x, n_y, n_z, d)` with :math:`|n| = 1`.

    Examples
    --------
    >>> solid_halfspaces("cube").shape, solid_halfspaces("cylinder").shape
    ((6, 4), (34, 4))
    """
    if name not in SOLID_NAMES:
        raise ValueError(f"solid_halfspaces: unknown solid {name!r}; expected one of "
                         f"{', '.join(map(repr, SOLID_NAMES))}.")
    phi = np.arange(_FACETS) * 2 * np.pi / _FACETS
    if name == "tetrahedron":
        verts = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=float)
        normals, d = -_normalise_rows(verts), np.full(4, 1 / 3)
    elif name == "cube":
        normals = np.vstack([np.eye(3), -np.eye(3)])
        d = np.full(6, 1 / np.sqrt(3))
    elif name == "icosahedron":
        g = (1 + np.sqrt(5)) / 2
        cube = np.array([[a, b, c] for a in (1, -1) for b in (1, -1) for c in (1, -1)], float)
        ring = []
        for s1 in (1, -1):
            for s2 in (1, -1):
                ring += [[0, s1 / g, s2 * g], [s1 / g, s2 * g, 0], [s1 * g, 0, s2 / g]]
        normals = _normalise_rows(np.vstack([cube, np.array(ring)]))
        d = np.full(20, 0.794654472291766)
    elif name == "cone":
        height, radius, base = 1.4, 0.7, -0.525
        side = np.stack([height * np.cos(phi), height * np.sin(phi),
                         np.full(_FACETS, radius)], axis=1)
        norm = np.hypot(height, radius)
        normals = np.vstack([side / norm, [[0, 0, -1]]])
        # the side plane through the base rim point (r cos phi, r sin phi, base)
        d = np.append(np.full(_FACETS, (height * radius + radius * base) / norm), -base)
    else:  # cylinder
        radius, half = 0.55, 0.75
        normals = np.vstack([np.stack([np.cos(phi), np.sin(phi), np.zeros(_FACETS)], axis=1),
                             [[0, 0, 1], [0, 0, -1]]])
        d = np.append(np.full(_FACETS, radius), [half, half])
    return np.column_stack([normals, d])


def box_halfspaces(centre, half_extent) -> np.ndarray:
    """Six half-spaces (6, 4) of the axis-aligned box ``|p - centre| <= half_extent``."""
    c = np.asarray(centre, dtype=float)
    h = np.asarray(half_extent, dtype=float)
    eye = np.eye(3)
    return np.column_stack([np.vstack([eye, -eye]), np.concatenate([c + h, -(c - h)])])


def _pad_object(parts: list[np.ndarray], n_parts: int, n_planes: int) -> np.ndarray:
    obj = np.tile(np.array(_NEVER), (n_parts, n_planes, 1))
    for k, part in enumerate(parts):
        obj[k, :, :] = _ALWAYS
        obj[k, :len(part)] = part
    return obj


def random_rotations(n: int, rng) -> np.ndarray:
    """``n`` rotation matrices drawn uniformly (Haar measure) on SO(3), shape (n, 3, 3).

    A uniformly random unit quaternion (a normalised 4-D standard normal draw) gives a uniformly
    random rotation (Shoemake 1992), the distribution of Symsol's viewpoints.
    """
    n = check_int(n, name="n", func="random_rotations", minimum=0)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    q = gen.normal(size=(n, 4))
    w, x, y, z = (q / np.linalg.norm(q, axis=1, keepdims=True)).T
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
        np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
        np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
    ], axis=1)


def camera_rotation(elevation_deg, azimuth_deg) -> np.ndarray:
    r"""World-to-camera rotations for a camera circling a standing object, shape (N, 3, 3).

    The world has z up; the object first turns by the azimuth :math:`a` about z, and the camera,
    raised by the elevation :math:`e`, looks at the origin:

    .. math::
        M = \begin{pmatrix} 1 & 0 & 0 \\ 0 & \sin e & \cos e \\ 0 & \cos e & -\sin e
        \end{pmatrix} R_z(a),

    whose rows are the camera's right, up and forward axes in world coordinates (forward
    :math:`(0, \cos e, -\sin e)` looks down onto the object when :math:`e > 0`).  The map is
    orthogonal with determinant -1 because the camera frame (right, up, forward) is left-handed;
    distances and the half-space tests are unaffected.
    """
    e = np.deg2rad(np.atleast_1d(np.asarray(elevation_deg, dtype=float)))
    a = np.deg2rad(np.atleast_1d(np.asarray(azimuth_deg, dtype=float)))
    e, a = np.broadcast_arrays(e, a)
    zeros, ones = np.zeros_like(e), np.ones_like(e)
    view = np.stack([np.stack([ones, zeros, zeros], -1),
                     np.stack([zeros, np.sin(e), np.cos(e)], -1),
                     np.stack([zeros, np.cos(e), -np.sin(e)], -1)], axis=1)
    rz = np.stack([np.stack([np.cos(a), -np.sin(a), zeros], -1),
                   np.stack([np.sin(a), np.cos(a), zeros], -1),
                   np.stack([zeros, zeros, ones], -1)], axis=1)
    return view @ rz


# --------------------------------------------------------------------------- ray caster
def render_convex_objects(objects, object_ids, rotations, *, light_dirs=None, colours=None,
                          background: float = 0.0, ambient: float = 0.25, size: int = 64,
                          supersample: int = 2) -> np.ndarray:
    r"""Render unions of convex polytopes with an orthographic camera and Lambert shading.

    A pixel ray :math:`p(t) = (x, y, t)` enters part :math:`k` at
    :math:`t_{in} = \max_{j: m_{jz} < 0} b_j / m_{jz}` and leaves at
    :math:`t_{out} = \min_{j: m_{jz} > 0} b_j / m_{jz}`, where :math:`m_j = M n_j` is the rotated
    normal and :math:`b_j = d_j - s^{-1}(m_{jx} x + m_{jy} y)`; it hits when
    :math:`t_{in} \le t_{out}` (and :math:`b_j \ge 0` for rays parallel to face :math:`j`).  The
    nearest hit over the parts is shaded

    .. math:: I = c \, \big(a + (1 - a) \max(0, m \cdot \hat\ell)\big)

    with :math:`m` the outward normal of the entry face, :math:`\hat\ell` the unit direction
    towards the light, :math:`a` the ambient level and
    :math:`c` the object colour; other pixels get the background.  Pixels are averaged over a
    ``supersample`` x ``supersample`` grid (anti-aliased edges, like resized photographs).

    Parameters
    ----------
    objects : array, shape (M, K, P, 4)
        Half-spaces of M objects (K parts of P planes, padded as in the module docstring), in
        object coordinates inside the unit ball.
    object_ids : int array, shape (N,)
        Object of each image.
    rotations : array, shape (N, 3, 3)
        Object-to-camera orthogonal maps.
    light_dirs : array, shape (N, 3) or (3,), optional
        Direction *towards* the light in camera coordinates (default: upper left, in front).
    colours : array, shape (M, 3), optional
        RGB of each object in [0, 1]; ``None`` renders grey images with one channel.
    background : float in [0, 1]
    ambient : float in [0, 1]
    size, supersample : int
        Output side in pixels and the anti-aliasing factor (1 = one ray per pixel).

    Returns
    -------
    ndarray of float32, shape (N, size, size, C) with C = 1 (grey) or 3, values in [0, 1]

    Examples
    --------
    A cube seen face-on covers a square of side :math:`2 \cdot 0.85/\sqrt3` of the frame's 2,
    31.4 of 64 pixels (31 on the 2x2-supersampled grid), lit head-on at full brightness:

    >>> cube = solid_halfspaces("cube")[None, None]
    >>> img = render_convex_objects(cube, [0], np.eye(3)[None], light_dirs=[0, 0, -1])[0, ..., 0]
    >>> round(float(img.sum()) ** 0.5, 1), float(img[32, 32])
    (31.0, 1.0)
    """
    func = "render_convex_objects"
    objs = check_array(objects, name="objects", func=func, ndim=4)
    if objs.shape[-1] != 4:
        raise ValueError(f"{func}: `objects` must have shape (M, K, P, 4); got {objs.shape}.")
    ids = np.asarray(object_ids)
    if ids.ndim != 1 or (ids.size and not np.issubdtype(ids.dtype, np.integer)):
        raise TypeError(f"{func}: `object_ids` must be a 1-D integer array; got {ids.dtype} "
                        f"shape {ids.shape}.")
    if ids.size and (ids.min() < 0 or ids.max() >= len(objs)):
        raise ValueError(f"{func}: `object_ids` must lie in [0, {len(objs) - 1}]; got range "
                         f"[{ids.min()}, {ids.max()}].")
    n = len(ids)
    rots = check_array(rotations, name="rotations", func=func, shape=(n, 3, 3))
    if n and not np.allclose(rots @ np.swapaxes(rots, 1, 2), np.eye(3), atol=1e-6):
        raise ValueError(f"{func}: `rotations` must be orthogonal matrices (R R^T = I).")
    light = np.asarray(_DEFAULT_LIGHT if light_dirs is None else light_dirs, dtype=float)
    light = check_array(np.broadcast_to(light, (n, 3)), name="light_dirs", func=func)
    light = _normalise_rows(light)
    if colours is None:
        cols = np.ones((len(objs), 1))
    else:
        cols = check_array(colours, name="colours", func=func, shape=(len(objs), 3))
        if cols.min() < 0 or cols.max() > 1:
            raise ValueError(f"{func}: `colours` must lie in [0, 1].")
    for value, name in ((background, "background"), (ambient, "ambient")):
        check_positive(value, name=name, func=func, strict=False)
        if value > 1:
            raise ValueError(f"{func}: `{name}` must lie in [0, 1]; got {value}.")
    size = check_int(size, name="size", func=func, minimum=1)
    ss = check_int(supersample, name="supersample", func=func, minimum=1)

    side = size * ss
    coords = (np.arange(side) + 0.5) / side * 2 - 1
    # pixel rays in object units (the object's unit ball fills _FILL of the half-frame)
    xs = np.tile(coords, side) / _FILL
    ys = np.repeat(-coords, side) / _FILL                   # image rows run downwards
    # every object lies in the unit ball, so rays outside the unit disc miss: skip them
    disc = xs ** 2 + ys ** 2 <= 1.0
    n_parts, n_planes = objs.shape[1:3]
    per_image = n_parts * n_planes * int(disc.sum())
    block = max(1, _ELEMENTS_PER_BLOCK // max(per_image, 1))
    out = np.empty((n, size, size, cols.shape[1]), dtype=np.float32)
    for start in range(0, n, block):
        sl = slice(start, start + block)
        rgb = np.full((len(ids[sl]), side * side, cols.shape[1]), background, dtype=np.float32)
        shade = _cast(objs[ids[sl]], rots[sl], light[sl], xs[disc], ys[disc], ambient)
        hit = ~np.isnan(shade)
        rgb[:, disc] = np.where(hit[..., None],
                                np.nan_to_num(shade)[..., None] * cols[ids[sl]][:, None],
                                background)
        out[sl] = rgb.reshape(-1, size, ss, size, ss, cols.shape[1]).mean(axis=(2, 4))
    return out


def _cast(objs: np.ndarray, rots: np.ndarray, light: np.ndarray, xs: np.ndarray,
          ys: np.ndarray, ambient: float) -> np.ndarray:
    """Shade (b, pixels) of a block of images; NaN where no part is hit."""
    m = np.einsum("bij,bkpj->bkpi", rots, objs[..., :3])          # rotated normals (b,K,P,3)
    # layout (b, K, pixels, P): the reductions over planes run along the contiguous last axis
    mx, my, mz = (m[:, :, None, :, i].astype(np.float32) for i in range(3))
    d = objs[:, :, None, :, 3].astype(np.float32)
    b = d - mx * xs[:, None] - my * ys[:, None]                    # (b, K, pixels, P)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = b / mz
    t_in = np.where(mz < 0, t, -np.inf)
    entry = np.argmax(t_in, axis=3)                                 # entry face (b, K, pixels)
    t_in = np.take_along_axis(t_in, entry[..., None], axis=3)[..., 0]
    t_out = np.where(mz > 0, t, np.inf).min(axis=3)
    # rays parallel to a face (exactly axis-aligned views) are inside it only where b >= 0
    parallel_ok = ~np.any((mz == 0) & (b < 0), axis=3)
    hit = (t_in <= t_out) & parallel_ok & np.isfinite(t_in)
    depth = np.where(hit, t_in, np.inf)
    part = np.argmin(depth, axis=1)                                 # nearest part (b, pixels)
    any_hit = np.isfinite(np.take_along_axis(depth, part[:, None], axis=1)[:, 0])
    face = np.take_along_axis(entry, part[:, None], axis=1)[:, 0]
    k_ids = part * m.shape[2] + face
    normal = np.take_along_axis(m.reshape(len(m), -1, 3), k_ids[..., None], axis=1)
    lambert = np.clip(np.einsum("bpi,bi->bp", normal, light), 0, None)
    shade = ambient + (1 - ambient) * lambert
    return np.where(any_hit, shade, np.nan).astype(np.float32)


# --------------------------------------------------------------------------- Symsol
def _symsol_objects() -> np.ndarray:
    parts = [solid_halfspaces(name) for name in SOLID_NAMES]
    n_planes = max(len(p) for p in parts)
    return np.stack([_pad_object([p], 1, n_planes) for p in parts])


def render_symsol(shapes, rotations, *, supersample: int = 2) -> np.ndarray:
    """Grey 64x64 renders of Symsol's five featureless solids (a **stand-in**, see module doc).

    Parameters
    ----------
    shapes : int array, shape (N,)
        Index into :data:`SOLID_NAMES` (tetrahedron, cube, icosahedron, cone, cylinder), the
        thesis code's label order ``["tet", "cube", "icosa", "cone", "cyl"]``.
    rotations : array, shape (N, 3, 3)
        Object orientations, e.g. :func:`random_rotations`.

    Returns
    -------
    ndarray of float32, shape (N, 64, 64, 1), in [0, 1] (background 0)

    References
    ----------
    [1] Murphy, Esteves, Jampani, Ramalingam & Makadia 2021 (ICML), the symmetric_solids data.
    [2] Bonheme 2023, thesis Sec. 8.4.1 (Symsol reduced, 64x64x1).
    """
    ids = np.asarray(shapes)
    if ids.ndim != 1 or (ids.size and (not np.issubdtype(ids.dtype, np.integer)
                                       or ids.min() < 0 or ids.max() > 4)):
        raise ValueError(f"render_symsol: `shapes` must be a 1-D array of integers in 0..4 "
                         f"({', '.join(SOLID_NAMES)}); got {ids.dtype} {ids.tolist()[:5]}...")
    return render_convex_objects(_symsol_objects(), ids, rotations, supersample=supersample)


# --------------------------------------------------------------------------- factor-grid stand-ins
def _toy_parts(category: int, gen: np.random.Generator) -> list[np.ndarray]:
    """Boxes (centre, half extent) of one SmallNORB-like toy with random proportions."""
    def jitter() -> np.ndarray:   # one proportion draw per box and axis
        return gen.uniform(0.8, 1.2, size=3)

    if category == 0:    # four-legged animal: body, four legs, head
        length = gen.uniform(0.4, 0.6)
        boxes = [((0, 0, 0.1), (length, 0.18, 0.15))]
        boxes += [((sx * (length - 0.1), sy * 0.12, -0.25), (0.05, 0.05, 0.2))
                  for sx in (1, -1) for sy in (1, -1)]
        boxes.append(((length + 0.12, 0, 0.3), (0.14, 0.1, 0.12)))
    elif category == 1:  # human figure: legs, torso, head, arms
        boxes = [((0, sy * 0.09, -0.45), (0.07, 0.07, 0.3)) for sy in (1, -1)]
        boxes += [((0, 0, 0.12), (0.1, 0.2, 0.28)), ((0, 0, 0.55), (0.1, 0.1, 0.12))]
        boxes += [((0, sy * 0.28, 0.1), (0.05, 0.05, 0.27)) for sy in (1, -1)]
    elif category == 2:  # airplane: fuselage, wings, fin, tailplane
        boxes = [((0, 0, 0), (0.75, 0.1, 0.1)), ((0.05, 0, 0), (0.16, gen.uniform(0.5, 0.8), 0.03)),
                 ((-0.65, 0, 0.18), (0.1, 0.02, 0.15)), ((-0.65, 0, 0.02), (0.08, 0.25, 0.02))]
    elif category == 3:  # truck: cab, cargo box, four wheels
        boxes = [((0.5, 0, -0.05), (0.15, 0.25, 0.22)), ((-0.15, 0, 0.02), (0.45, 0.27, 0.3))]
        boxes += [((sx, sy * 0.28, -0.3), (0.1, 0.04, 0.1))
                  for sx in (0.45, -0.4) for sy in (1, -1)]
    else:                # car: body, cabin, four wheels
        boxes = [((0, 0, -0.1), (0.6, 0.27, 0.13)), ((-0.05, 0, 0.1), (0.3, 0.24, 0.1))]
        boxes += [((sx, sy * 0.28, -0.25), (0.12, 0.04, 0.12))
                  for sx in (0.4, -0.4) for sy in (1, -1)]
    return [box_halfspaces(np.asarray(c) * jitter(), np.asarray(h) * jitter()) for c, h in boxes]


def _normalised_object(parts: list[np.ndarray], n_parts: int) -> np.ndarray:
    """Pad to (n_parts, 6, 4) and scale so that every box corner lies in the unit ball."""
    radius = 0.0
    for part in parts:
        hi, lo = part[:3, 3], -part[3:, 3]
        corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                            for z in (lo[2], hi[2])])
        radius = max(radius, np.linalg.norm(corners, axis=1).max())
    scaled = [np.column_stack([p[:, :3], p[:, 3] / radius]) for p in parts]
    return _pad_object(scaled, n_parts, 6)


class _GridStandIn:
    """Shared machinery: a full factor grid rendered lazily by index."""

    factor_names: tuple[str, ...]
    grid_sizes: tuple[int, ...]      # all factors, including nuisance ones
    latent: tuple[int, ...]          # columns of the grid that are reported as factors

    @property
    def factor_sizes(self) -> tuple[int, ...]:
        return tuple(self.grid_sizes[k] for k in self.latent)

    def __len__(self) -> int:
        return int(np.prod(self.grid_sizes))

    def grid(self, indices) -> np.ndarray:
        """All grid classes (N, len(grid_sizes)), including nuisance factors."""
        return grid_index_to_classes(indices, self.grid_sizes,
                                     func=f"{type(self).__name__}.classes")

    def classes(self, indices) -> np.ndarray:
        """Reported factor classes (N, K) of images ``indices``."""
        return self.grid(indices)[:, list(self.latent)]


class SmallNORBStandIn(_GridStandIn):
    """A SmallNORB-like grid of grey toys (a **stand-in**; see the module docstring).

    Grid (the real set's sizes, LeCun et al. 2004): category 5 x instance 10 x elevation 9
    (30, 35, ..., 70 deg) x azimuth 18 (0, 20, ..., 340 deg) x lighting 6 = 48,600 images.  As in
    Locatello et al. (2019) and the thesis code, the instance is a nuisance factor, not reported:
    ``factor_names = ("category", "elevation", "azimuth", "lighting")``.

    Parameters
    ----------
    seed : int
        Draws the proportions of the 50 toys (fixed per seed).
    """

    factor_names = ("category", "elevation", "azimuth", "lighting")
    grid_sizes = (5, 10, 9, 18, 6)
    latent = (0, 2, 3, 4)
    channels = 1
    background = 0.3

    def __init__(self, seed: int = 0):
        gen = np.random.default_rng(check_int(seed, name="seed", func="SmallNORBStandIn",
                                              minimum=0))
        self._objects = np.stack([_normalised_object(_toy_parts(c, gen), 6)
                                  for c in range(5) for _ in range(10)])
        # six light directions around the viewing axis, alternating strong and weak side light
        angles = np.arange(6) * np.pi / 3
        self._lights = np.stack([0.8 * np.cos(angles), 0.8 * np.sin(angles) + 0.3,
                                 -np.where(np.arange(6) % 2, 0.6, 1.2)], axis=1)

    def images(self, indices, *, supersample: int = 2) -> np.ndarray:
        """Images (N, 64, 64, 1) float32 in [0, 1] of grid ``indices``."""
        g = self.grid(indices)
        rot = camera_rotation(30 + 5 * g[:, 2], 20 * g[:, 3])
        return render_convex_objects(self._objects, g[:, 0] * 10 + g[:, 1], rot,
                                     light_dirs=self._lights[g[:, 4]],
                                     background=self.background, supersample=supersample)


class Cars3DStandIn(_GridStandIn):
    """A Cars3D-like grid of coloured box cars (a **stand-in**; see the module docstring).

    Grid in disentanglement_lib's factor order: elevation 4 x azimuth 24 (0, 15, ..., 345 deg) x
    object 183 = 17,568 images, colour on a white background.

    Parameters
    ----------
    seed : int
        Draws the 183 cars' proportions and colours.
    """

    factor_names = ("elevation", "azimuth", "object")
    grid_sizes = (4, 24, 183)
    latent = (0, 1, 2)
    channels = 3
    background = 1.0
    elevations_deg = (0.0, 10.0, 20.0, 30.0)

    def __init__(self, seed: int = 0):
        gen = np.random.default_rng(check_int(seed, name="seed", func="Cars3DStandIn", minimum=0))
        self._objects = np.stack([_normalised_object(_toy_parts(4, gen), 6) for _ in range(183)])
        self._colours = gen.uniform(0.1, 0.9, size=(183, 3))

    def images(self, indices, *, supersample: int = 2) -> np.ndarray:
        """Images (N, 64, 64, 3) float32 in [0, 1] of grid ``indices``."""
        g = self.grid(indices)
        rot = camera_rotation(np.asarray(self.elevations_deg)[g[:, 0]], 15 * g[:, 1])
        return render_convex_objects(self._objects, g[:, 2], rot, colours=self._colours,
                                     background=self.background, supersample=supersample)
