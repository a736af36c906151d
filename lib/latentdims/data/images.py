"""The thesis' image datasets: loaders for the public files, labelled stand-ins, one entry point.

:func:`load_image_dataset` returns an :class:`ImageDataset` (images float32 in [0, 1] shaped
(N, 64, 64, C), factor classes (N, K), their names, ``stand_in`` and a description).  It reads the
real data when ``path`` is given or the default location under ``$LATENTDIMS_DATA`` exists, and
otherwise renders an openly labelled procedural stand-in.  Nothing is ever downloaded.

Real files, looked for in ``$LATENTDIMS_DATA/<folder>`` (stand-in when absent):

* ``dsprites`` (and ``colour_``, ``noisy_``, ``scream_dsprites``), folder ``dsprites``:
  ``dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz``; the scream variant also reads
  ``scream/scream.jpg``.  Stand-in: procedural dSprites (and a procedural texture).
* ``smallnorb``, folder ``smallnorb``: ``smallnorb-*-{dat,cat,info}.mat`` (NYU binary
  matrices).  Stand-in: box-built toys.
* ``cars3d``, folder ``cars3d`` (or ``cars3d/cars``): ``*.mat`` files holding ``im`` of shape
  (H, W, 3, 24, 4), and ``list.txt``.  Stand-in: box-built cars.
* ``celeba``, folder ``celeba``: ``img_align_celeba/*.jpg`` and ``list_attr_celeba.txt``.
  Stand-in: cartoon faces.
* ``symsol``, folder ``symsol``: ``symsol_reduced/*.png``, ``symsol_reduced.zip`` or an
  ``.npz``.  Stand-in: rendered solids.

:func:`data_identity` names what would be read (a stand-in and its renderer's version, or the
real files' :func:`file_identity`), for cache keys: a model trained on a stand-in is never reused
once the real files are there.  A damaged file (truncated, overwritten, not the format its name
says) is a ``ValueError`` naming the file and saying to replace it.

The pre-processing follows the author's public code where the thesis is silent: pixels / 255;
SmallNORB keeps the first camera of each stereo pair and is resized from 96x96 (Lanczos); Cars3D
and CelebA are thumbnailed to 64 px (Lanczos) and CelebA is padded to a square (its aspect ratio
is kept, as in the thesis code); SmallNORB's instance is a nuisance, not a reported factor
(Locatello et al. 2019).
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Mapping

import numpy as np

from latentdims.core import paths
from latentdims.core.validation import check_choice, check_int
from latentdims.data import dsprites as _ds
from latentdims.data import solids as _solids

__all__ = ["DATASETS", "ImageDataset", "has_real_data", "data_identity", "file_identity",
           "STAND_IN_VERSION", "load_image_dataset", "load_dsprites_npz",
           "read_norb_matrix", "load_smallnorb", "load_cars3d", "load_celeba", "load_symsol",
           "load_scream_texture", "render_faces", "FACE_ATTRIBUTES"]

DATASETS = ("dsprites", "colour_dsprites", "noisy_dsprites", "scream_dsprites", "smallnorb",
            "cars3d", "celeba", "symsol")
DSPRITES_FILE = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"
SYMSOL_SHAPE_TOKENS = MappingProxyType({"tet": 0, "tetrahedron": 0, "cube": 1, "icosa": 2,
                                        "icosahedron": 2, "cone": 3, "cyl": 4, "cylinder": 4})
SYMSOL_REDUCED_SIZE = 112_791   # thesis code config (symsol_reduced, data.kent.ac.uk/436)
CELEBA_SIZE = 202_599
# Largest float32 image array built when n=None (1 GiB): the full dSprites (12 GB as float32)
# or CelebA must be subsampled with `n`, or streamed in batches (latentdims.data.dsprites.DSprites).
_MAX_BYTES = 2 ** 30
STAND_IN_VERSION = 1             # bump when a stand-in renderer changes its pixels (cache key)
_REPLACE = "replace the file (download it again)"


@dataclass(frozen=True)
class ImageDataset:
    """Images with their ground-truth factors.

    Attributes
    ----------
    name : str
        One of :data:`DATASETS`.
    images : ndarray of float32, shape (N, 64, 64, C)
        Pixels in [0, 1]; C = 1 (dSprites, SmallNORB, Symsol) or 3.
    factor_classes : ndarray of int64, shape (N, K)
        Class of each factor (0-based); K = 0 when the data carry no labels.
    factor_names : tuple of str, length K
    factor_sizes : tuple of int, length K
        Number of classes of each factor.
    indices : ndarray of int64, shape (N,)
        Position of each image in the full data set (file order or factor grid), for splits.
    stand_in : bool
        True when the images are a procedural stand-in, not the real data.
    source : str
        The file(s) read, or the generator used.
    description : str
        What the data are and, for stand-ins, how they differ from the real set.
    """

    name: str
    images: np.ndarray
    factor_classes: np.ndarray
    factor_names: tuple[str, ...]
    factor_sizes: tuple[int, ...]
    indices: np.ndarray
    stand_in: bool
    source: str
    description: str

    def __post_init__(self):
        n = len(self.images)
        if self.images.ndim != 4 or self.images.shape[1:3] != (64, 64):
            raise ValueError(f"ImageDataset: `images` must have shape (N, 64, 64, C); got "
                             f"{self.images.shape}.")
        if self.factor_classes.shape != (n, len(self.factor_names)):
            raise ValueError(f"ImageDataset: `factor_classes` must have shape ({n}, "
                             f"{len(self.factor_names)}); got {self.factor_classes.shape}.")
        if len(self.factor_sizes) != len(self.factor_names) or self.indices.shape != (n,):
            raise ValueError("ImageDataset: `factor_sizes` must match `factor_names` and "
                             "`indices` must have one entry per image.")

    def __len__(self) -> int:
        return len(self.images)


# --------------------------------------------------------------------------- helpers
def _choose(n_total: int, n: int | None, seed: int, *, name: str, channels: int) -> np.ndarray:
    """Indices of the images to return: all (file order) or ``n`` drawn without replacement."""
    func = "load_image_dataset"
    if n is None:
        nbytes = n_total * 64 * 64 * channels * 4
        if nbytes > _MAX_BYTES:
            raise ValueError(f"{func}: the whole {name!r} data set ({n_total} images) would take "
                             f"{nbytes / 2 ** 30:.1f} GiB as float32; pass `n` (e.g. n=10000) "
                             f"to load a random subset.")
        return np.arange(n_total, dtype=np.int64)
    n = check_int(n, name="n", func=func, minimum=1)
    if n > n_total:
        raise ValueError(f"{func}: `n` = {n} exceeds the {n_total} images of {name!r}.")
    return np.random.default_rng(seed).choice(n_total, size=n, replace=False).astype(np.int64)


def _to_float(images_u8: np.ndarray) -> np.ndarray:
    return images_u8.astype(np.float32) / np.float32(255)


def _pil():
    try:
        from PIL import Image, ImageOps
    except ImportError as exc:   # pragma: no cover - Pillow ships with matplotlib
        raise ImportError("Reading image files needs Pillow (`pip install pillow`).") from exc
    return Image, ImageOps


def _resize(image_u8: np.ndarray, *, pad: bool = False) -> np.ndarray:
    """An (H, W[, 3]) uint8 image resized to 64x64 (Lanczos); ``pad`` keeps the aspect ratio."""
    Image, ImageOps = _pil()
    pic = Image.fromarray(image_u8)
    if pad:
        pic.thumbnail((64, 64), Image.LANCZOS)
        pic = ImageOps.pad(pic, (64, 64), method=Image.LANCZOS)
    elif pic.size != (64, 64):
        pic = pic.resize((64, 64), Image.LANCZOS)
    return np.asarray(pic)


def _require_file(path: Path, func: str, what: str) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"{func}: {what} {str(path)!r} does not exist.")
    return path


# --------------------------------------------------------------------------- dSprites
def _npz_member_rows(zf: zipfile.ZipFile, key: str, rows: np.ndarray | None, *, path: Path,
                     func: str) -> tuple[np.ndarray, tuple[int, ...]]:
    """Rows of one array of an .npz and its full shape, streamed so that a subset never loads
    the whole array (``rows=None`` reads everything)."""
    try:
        f = zf.open(key + ".npy")
    except KeyError:
        raise ValueError(f"{func}: {str(path)!r} has no array {key!r}; the dSprites file holds "
                         f"'imgs', 'latents_classes' and 'latents_values'.") from None
    with f:
        try:
            version = np.lib.format.read_magic(f)
            reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                      else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = reader(f)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
            raise
        except Exception as exc:     # NumPy's words for a damaged .npy header (ValueError,
            #                          SyntaxError, tokenize's TokenError...)
            raise ValueError(f"{func}: array {key!r} of {str(path)!r} has a damaged header "
                             f"({exc}); {_REPLACE}.") from exc
        if fortran or dtype.hasobject:
            raise ValueError(f"{func}: array {key!r} of {str(path)!r} must be a C-ordered "
                             f"numeric array (object arrays are never unpickled); "
                             f"{_REPLACE}.")
        row_shape = shape[1:]
        row_bytes = int(np.prod(row_shape, dtype=np.int64)) * dtype.itemsize
        if rows is None:
            buf = f.read(shape[0] * row_bytes)
            if len(buf) != shape[0] * row_bytes:
                raise ValueError(f"{func}: {str(path)!r} is truncated (array {key!r}); "
                             f"{_REPLACE}.")
            return np.frombuffer(buf, dtype=dtype).reshape(shape), shape
        wanted = rows
        if wanted.size and wanted.max() >= shape[0]:
            raise ValueError(f"{func}: array {key!r} of {str(path)!r} has {shape[0]} rows; row "
                             f"{wanted.max()} was requested.")
        order = np.argsort(wanted, kind="stable")
        out = np.empty((len(wanted),) + row_shape, dtype=dtype)
        position = 0
        for k in order:
            target = int(wanted[k])
            if target > position:
                f.seek((target - position) * row_bytes, 1)   # forward skip: decompress, discard
                position = target
            if target == position:
                buf = f.read(row_bytes)
                if len(buf) != row_bytes:
                    raise ValueError(f"{func}: {str(path)!r} is truncated (array {key!r} ends "
                                     f"before row {target}); {_REPLACE}.")
                last = np.frombuffer(buf, dtype=dtype).reshape(row_shape)
                position += 1
            out[k] = last   # repeated rows reuse the last one read
        return out, shape


def load_dsprites_npz(path, *, n: int | None = None, seed: int = 0) -> ImageDataset:
    """Read the public dSprites ``.npz`` (keys ``imgs``, ``latents_classes``, ``latents_values``).

    ``imgs`` is (737280, 64, 64) uint8 with values 0/1; ``latents_classes`` (737280, 6) holds the
    classes of (color, shape, scale, orientation, pos_x, pos_y).  The constant colour column is
    dropped, leaving :data:`latentdims.data.dsprites.FACTOR_NAMES`.  A subset (``n``) is streamed
    from the archive, so the 3 GB image array is never held in memory.

    Returns
    -------
    ImageDataset
        Images (N, 64, 64, 1) float32 in {0, 1}.
    """
    func = "load_dsprites_npz"
    path = _require_file(Path(path), func, "the dSprites file")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValueError(f"{func}: {str(path)!r} is not a readable .npz archive ({exc}); "
                         f"{_REPLACE}.") from exc
    with zf:
        try:
            classes, cshape = _npz_member_rows(zf, "latents_classes", None, path=path, func=func)
            _, vshape = _npz_member_rows(zf, "latents_values", np.arange(0), path=path,
                                         func=func)
            total = cshape[0]
            if len(cshape) != 2 or cshape[1] not in (5, 6) or vshape[0] != total:
                raise ValueError(f"{func}: `latents_classes` must be (N, 6) (or (N, 5) without "
                                 f"colour) with `latents_values` of the same length; got "
                                 f"{cshape} and {vshape}.")
            idx = _choose(total, n, seed, name="dsprites", channels=1)
            imgs, ishape = _npz_member_rows(zf, "imgs", idx, path=path, func=func)
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
            raise ValueError(f"{func}: {str(path)!r} is corrupted ({exc}); {_REPLACE}."
                             ) from exc
    if ishape != (total, 64, 64):
        raise ValueError(f"{func}: `imgs` must have shape ({total}, 64, 64); got {ishape}.")
    if not np.all((imgs == 0) | (imgs == 1)):
        raise ValueError(f"{func}: `imgs` must be binary (0/1); got values up to {imgs.max()}.")
    cls = classes[idx][:, -5:].astype(np.int64)
    _ds.grid_classes_to_index(cls, _ds.FACTOR_SIZES, func=func)   # range check
    return ImageDataset("dsprites", imgs[..., None].astype(np.float32), cls, _ds.FACTOR_NAMES,
                        _ds.FACTOR_SIZES, idx, False, str(path),
                        "dSprites (Matthey et al. 2017), the public file.")


# --------------------------------------------------------------------------- SmallNORB
_NORB_DTYPES = MappingProxyType({0x1E3D4C55: np.uint8, 0x1E3D4C54: np.int32,
                                 0x1E3D4C51: np.float32, 0x1E3D4C53: np.float64,
                                 0x1E3D4C56: np.int16})


def read_norb_matrix(path, *, mmap: bool = False) -> np.ndarray:
    """Read a NORB binary matrix file (``*-dat.mat``, ``*-cat.mat``, ``*-info.mat``).

    Layout (little-endian int32 words): a magic number giving the element type
    (0x1E3D4C55 uint8, 0x1E3D4C54 int32, 0x1E3D4C51 float32, 0x1E3D4C53 float64,
    0x1E3D4C56 int16), the number of dimensions ``ndim``, then ``max(3, ndim)`` sizes (unused
    ones are 1), then the data in C order.  SmallNORB's ``-dat`` is (24300, 2, 96, 96) uint8,
    ``-cat`` (24300,) int32 and ``-info`` (24300, 4) int32 (instance, elevation, azimuth,
    lighting).

    Parameters
    ----------
    mmap : bool
        Memory-map the data instead of reading it (the -dat files are 448 MB).

    Raises
    ------
    ValueError
        Unknown magic number, impossible sizes, or a file size that does not match its header
        (a truncated or corrupted download).
    """
    func = "read_norb_matrix"
    path = _require_file(Path(path), func, "the NORB file")
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise ValueError(f"{func}: {str(path)!r} is too short to be a NORB matrix; "
                             f"{_REPLACE}.")
        magic, ndim = struct.unpack("<ii", head)
        if magic & 0xFFFFFFFF not in _NORB_DTYPES:
            raise ValueError(f"{func}: {str(path)!r} has magic number {magic & 0xFFFFFFFF:#x}, "
                             f"not a NORB matrix type ({', '.join(hex(k) for k in _NORB_DTYPES)}); "
                             f"is it still gzipped (gunzip it) or damaged ({_REPLACE})?")
        if not 1 <= ndim <= 8:
            raise ValueError(f"{func}: {str(path)!r} declares {ndim} dimensions; expected 1-8 "
                             f"(a damaged header: {_REPLACE}).")
        n_words = max(3, ndim)
        raw = f.read(4 * n_words)
        if len(raw) < 4 * n_words:
            raise ValueError(f"{func}: {str(path)!r} ends inside its header; {_REPLACE}.")
        dims = struct.unpack(f"<{n_words}i", raw)[:ndim]
    if any(d < 0 for d in dims):
        raise ValueError(f"{func}: {str(path)!r} declares negative sizes {dims} (a damaged "
                         f"header: {_REPLACE}).")
    dtype = np.dtype(_NORB_DTYPES[magic & 0xFFFFFFFF]).newbyteorder("<")
    offset = 8 + 4 * n_words
    count = 1
    for d in dims:                   # Python integers: a damaged header must not overflow
        count *= d
    expected = offset + count * dtype.itemsize
    actual = path.stat().st_size
    if actual != expected:
        raise ValueError(f"{func}: {str(path)!r} has {actual} bytes but its header "
                         f"(shape {dims}, {dtype.name}) implies {expected}; the file is truncated "
                         f"or corrupted: {_REPLACE}.")
    if mmap:
        return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=tuple(dims))
    return np.fromfile(path, dtype=dtype, offset=offset).reshape(dims)


def load_smallnorb(folder, *, n: int | None = None, seed: int = 0) -> ImageDataset:
    """Read SmallNORB's binary matrices (training and/or testing chunks) from ``folder``.

    Every ``smallnorb-*-dat.mat`` with its ``-cat.mat`` and ``-info.mat`` is used (training
    first, as disentanglement_lib concatenates both chunks).  Images: camera 0, resized
    96 -> 64 (Lanczos), / 255.  Factors: category (5), elevation (9), azimuth (18; the file's
    0, 2, ..., 34 halved) and lighting (6); the instance is dropped.

    Returns
    -------
    ImageDataset
        Images (N, 64, 64, 1).
    """
    func = "load_smallnorb"
    folder = Path(folder)
    dats = sorted(folder.glob("smallnorb-*-dat.mat"), key=lambda p: ("testing" in p.name, p.name))
    if not dats:
        raise FileNotFoundError(f"{func}: no 'smallnorb-*-dat.mat' file in {str(folder)!r}.")
    chunks, labels = [], []
    for dat in dats:
        stem = str(dat)[:-len("-dat.mat")]
        images = read_norb_matrix(dat, mmap=True)
        cat = read_norb_matrix(_require_file(Path(stem + "-cat.mat"), func, "the category file"))
        info = read_norb_matrix(_require_file(Path(stem + "-info.mat"), func, "the info file"))
        m = len(images)
        if images.ndim != 4 or images.shape[1] != 2 or cat.shape[0] != m or info.shape != (m, 4):
            raise ValueError(f"{func}: {dat.name}: expected images (N, 2, H, W), categories (N,)"
                             f" and info (N, 4); got {images.shape}, {cat.shape}, {info.shape}.")
        lab = np.column_stack([cat.reshape(m), info[:, 1], info[:, 2] // 2, info[:, 3]])
        bad = (lab < 0) | (lab >= np.array([5, 9, 18, 6])) | (info[:, 2:3] % 2 == 1)
        if np.any(bad):
            row = int(np.argwhere(bad)[0, 0])
            raise ValueError(f"{func}: {dat.name}: labels of row {row} (category "
                             f"{cat.reshape(m)[row]}, info {info[row].tolist()}) are outside "
                             f"SmallNORB's ranges.")
        chunks.append(images)
        labels.append(lab)
    sizes = np.cumsum([0] + [len(c) for c in chunks])
    idx = _choose(int(sizes[-1]), n, seed, name="smallnorb", channels=1)
    out = np.empty((len(idx), 64, 64, 1), dtype=np.float32)
    for j, i in enumerate(idx):
        c = int(np.searchsorted(sizes, i, side="right") - 1)
        out[j, ..., 0] = _to_float(_resize(np.asarray(chunks[c][i - sizes[c], 0])))
    classes = np.concatenate(labels)[idx].astype(np.int64)
    return ImageDataset("smallnorb", out, classes, _solids.SmallNORBStandIn.factor_names,
                        (5, 9, 18, 6), idx, False, ", ".join(str(d) for d in dats),
                        "SmallNORB (LeCun et al. 2004), the NYU files; camera 0, 64x64.")


# --------------------------------------------------------------------------- Cars3D
def load_cars3d(folder, *, n: int | None = None, seed: int = 0) -> ImageDataset:
    """Read Cars3D's ``*.mat`` files (Reed et al. 2015) from ``folder`` (or ``folder/cars``).

    Each file holds ``im``, uint8 of shape (H, W, 3, 24, 4): 24 azimuths x 4 elevations of one
    car.  Objects are numbered in the order of ``list.txt`` when present, else of sorted file
    names.  Images are thumbnailed to 64x64 (Lanczos), / 255.  Factors (disentanglement_lib's
    order): elevation (4), azimuth (24), object (number of files, 183 in the real set).

    Returns
    -------
    ImageDataset
        Images (N, 64, 64, 3).
    """
    import scipy.io   # only the real Cars3D files need it; kept out of the light data layer's import

    func = "load_cars3d"
    folder = Path(folder)
    if (folder / "cars").is_dir():
        folder = folder / "cars"
    listing = folder / "list.txt"
    if listing.is_file():
        names = [ln.strip() for ln in listing.read_text().splitlines() if ln.strip()]
        files = [folder / (nm if nm.endswith(".mat") else nm + ".mat") for nm in names]
    else:
        files = sorted(folder.glob("*.mat"))
    if not files:
        raise FileNotFoundError(f"{func}: no Cars3D '*.mat' file in {str(folder)!r}.")
    per_object = 24 * 4
    idx = _choose(len(files) * per_object, n, seed, name="cars3d", channels=3)
    obj, view = np.divmod(idx, per_object)
    azimuth, elevation = np.divmod(view, 4)   # flattened (azimuth, elevation), elevation fastest
    out = np.empty((len(idx), 64, 64, 3), dtype=np.float32)
    for o in np.unique(obj):
        path = _require_file(files[o], func, "the Cars3D file")
        try:
            im = scipy.io.loadmat(path)["im"]
        except KeyError:
            raise ValueError(f"{func}: {str(path)!r} has no array 'im' (is it a Cars3D file?); "
                             f"remove it from the folder or {_REPLACE}.") from None
        except Exception as exc:   # scipy raises several types on damaged files
            raise ValueError(f"{func}: {str(path)!r} is not a readable .mat file ({exc}); "
                             f"{_REPLACE}.") from exc
        if im.ndim != 5 or im.shape[2:] != (3, 24, 4) or im.dtype != np.uint8:
            raise ValueError(f"{func}: {path.name}: 'im' must be uint8 of shape (H, W, 3, 24, 4); "
                             f"got {im.dtype} {im.shape}.")
        for j in np.flatnonzero(obj == o):
            out[j] = _to_float(_resize(np.ascontiguousarray(im[:, :, :, azimuth[j], elevation[j]]),
                                       pad=True))
    classes = np.column_stack([elevation, azimuth, obj]).astype(np.int64)
    return ImageDataset("cars3d", out, classes, _solids.Cars3DStandIn.factor_names,
                        (4, 24, len(files)), idx, False, str(folder),
                        "Cars3D (Reed et al. 2015), the .mat files; thumbnailed to 64x64.")


# --------------------------------------------------------------------------- CelebA
def load_celeba(folder, *, n: int | None = None, seed: int = 0) -> ImageDataset:
    """Read CelebA's aligned JPEGs and 40 binary attributes from ``folder``.

    ``folder`` holds ``img_align_celeba/`` and ``list_attr_celeba.txt`` (a count line, a line of
    40 attribute names, then one ``<file> <40 x {-1, 1}>`` line per image).  Images are
    thumbnailed to 64 px and padded to 64x64 (aspect ratio kept, as in the thesis code), / 255.
    Factors: the 40 attributes with -1 -> 0.

    Returns
    -------
    ImageDataset
        Images (N, 64, 64, 3).
    """
    func = "load_celeba"
    folder = Path(folder)
    attr_file = _require_file(folder / "list_attr_celeba.txt", func, "the attribute file")
    try:
        lines = attr_file.read_text().splitlines()
    except UnicodeDecodeError as exc:
        raise ValueError(f"{func}: {str(attr_file)!r} is not a text file ({exc}); {_REPLACE}."
                         ) from exc
    try:
        count = int(lines[0].strip())
        names = tuple(lines[1].split())
        rows = [ln.split() for ln in lines[2:2 + count]]
        files = [r[0] for r in rows]
        attrs = np.array([[int(v) for v in r[1:]] for r in rows], dtype=np.int64)
    except (IndexError, ValueError) as exc:
        raise ValueError(f"{func}: {str(attr_file)!r} is not in the CelebA attribute format "
                         f"(count, names, then '<file> <attributes>' lines): {exc}; "
                         f"{_REPLACE}.") from exc
    if len(rows) != count or attrs.shape != (count, len(names)):
        raise ValueError(f"{func}: {str(attr_file)!r} announces {count} images with "
                         f"{len(names)} attributes; found {len(rows)} rows of shape "
                         f"{attrs.shape} (truncated or edited: {_REPLACE}).")
    if not np.all(np.isin(attrs, (-1, 1))):
        raise ValueError(f"{func}: attributes must be -1 or 1 in {str(attr_file)!r}.")
    idx = _choose(count, n, seed, name="celeba", channels=3)
    Image, _ = _pil()
    out = np.empty((len(idx), 64, 64, 3), dtype=np.float32)
    for j, i in enumerate(idx):
        path = _require_file(folder / "img_align_celeba" / files[i], func, "the image")
        try:
            with Image.open(path) as pic:
                rgb = np.asarray(pic.convert("RGB"))
        except OSError as exc:
            raise ValueError(f"{func}: cannot decode {str(path)!r} ({exc}); {_REPLACE}."
                             ) from exc
        out[j] = _to_float(_resize(rgb, pad=True))
    classes = (attrs[idx] > 0).astype(np.int64)
    return ImageDataset("celeba", out, classes, names, (2,) * len(names), idx, False,
                        str(folder), "CelebA (Liu et al. 2015), aligned images; 64x64 padded.")


# --------------------------------------------------------------------------- Symsol
def _symsol_label(name: str) -> int:
    tokens = re.split(r"[^a-z]+", Path(name).stem.lower())
    tokens += [Path(name).parent.name.lower()]
    hits = {SYMSOL_SHAPE_TOKENS[t] for t in tokens if t in SYMSOL_SHAPE_TOKENS}
    return hits.pop() if len(hits) == 1 else -1


def load_symsol(path, *, n: int | None = None, seed: int = 0) -> ImageDataset:
    """Read the thesis' Symsol-reduced images (grey 64x64 PNGs) or an equivalent ``.npz``.

    The thesis' ``symsol_reduced.zip`` (data.kent.ac.uk/436) unpacks to ``symsol_reduced/*.png``
    (its format is only known from the thesis code).  ``path`` may be that folder, its parent, the
    zip itself, or an ``.npz`` with ``images`` (N, 64, 64[, 1], uint8 or [0, 1] floats) and
    optionally ``labels`` (N,).  Images of another size are converted to grey and resized to 64x64
    (Lanczos).  The shape label (tetrahedron, cube, icosahedron, cone, cylinder) is read from the
    file names (tokens ``tet``, ``cube``, ``icosa``, ``cone``, ``cyl``) when every file carries
    one; otherwise no factor is reported (the thesis says the labels were removed, Sec. 8.4.1).
    The TFDS ``symmetric_solids`` TFRecords are not supported.
    """
    func = "load_symsol"
    path = Path(path)
    if path.suffix == ".npz":
        return _load_symsol_npz(_require_file(path, func, "the Symsol archive"), n, seed)
    if path.suffix == ".zip":
        _require_file(path, func, "the Symsol archive")
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ValueError(f"{func}: {str(path)!r} is not a readable zip ({exc}); "
                             f"{_REPLACE}.") from exc
        names = sorted(nm for nm in zf.namelist() if nm.lower().endswith(".png"))
        opener: Callable[[str], object] = zf.open
    else:
        folder = path / "symsol_reduced" if (path / "symsol_reduced").is_dir() else path
        names = sorted(str(p) for p in folder.glob("*.png"))
        opener, zf = (lambda nm: open(nm, "rb")), None
    if not names:
        raise FileNotFoundError(f"{func}: no PNG image found in {str(path)!r}.")
    labels = np.array([_symsol_label(nm) for nm in names])
    labelled = labels >= 0
    if labelled.any() and not labelled.all():
        raise ValueError(f"{func}: only {int(labelled.sum())} of {len(names)} file names carry a "
                         f"shape ({', '.join(sorted(SYMSOL_SHAPE_TOKENS))}); e.g. "
                         f"{names[int(np.flatnonzero(~labelled)[0])]!r} does not.")
    idx = _choose(len(names), n, seed, name="symsol", channels=1)
    Image, _ = _pil()
    out = np.empty((len(idx), 64, 64, 1), dtype=np.float32)
    try:
        for j, i in enumerate(idx):
            try:
                with opener(names[i]) as fh, Image.open(fh) as pic:
                    out[j, ..., 0] = _to_float(_resize(np.asarray(pic.convert("L"))))
            except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
                where = f"{names[i]!r} in {str(path)!r}" if zf is not None else repr(names[i])
                raise ValueError(f"{func}: cannot decode {where} ({exc}); {_REPLACE}.") from exc
    finally:
        if zf is not None:
            zf.close()
    if labelled.all():
        classes, fnames, fsizes = labels[idx, None].astype(np.int64), ("shape",), (5,)
    else:
        classes, fnames, fsizes = np.zeros((len(idx), 0), np.int64), (), ()
    return ImageDataset("symsol", out, classes, fnames, fsizes, idx, False, str(path),
                        "Symsol reduced (Murphy et al. 2021, reduced in thesis Sec. 8.4.1).")


def _load_symsol_npz(path: Path, n: int | None, seed: int) -> ImageDataset:
    func = "load_symsol"
    try:
        with np.load(path, allow_pickle=False) as data:
            if "images" not in data.files:
                raise ValueError(f"{func}: {str(path)!r} must hold an array 'images'; found "
                                 f"{data.files}.")
            images = data["images"]
            labels = data["labels"] if "labels" in data.files else None
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{func}: {str(path)!r} is not a readable .npz ({exc}); "
                         f"{_REPLACE}.") from exc
    except ValueError as exc:
        if str(exc).startswith(func):
            raise
        # np.load's words for bytes that are no .npz, or for object arrays ("allow_pickle"):
        # never unpickled here
        what = ("its bytes are not an .npz archive" if "pickled" in str(exc) else
                "it holds object arrays, which are never unpickled here")
        raise ValueError(f"{func}: {str(path)!r} is not an .npz of plain arrays ({what}); "
                         f"{_REPLACE}, or save it with numeric arrays only.") from exc
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or images.shape[1:] != (64, 64):
        raise ValueError(f"{func}: 'images' must have shape (N, 64, 64) or (N, 64, 64, 1); got "
                         f"{images.shape}.")
    idx = _choose(len(images), n, seed, name="symsol", channels=1)
    x = images[idx]
    x = _to_float(x) if x.dtype == np.uint8 else x.astype(np.float32)
    if not np.all(np.isfinite(x)) or x.min() < 0 or x.max() > 1:
        raise ValueError(f"{func}: 'images' must be uint8 or floats in [0, 1].")
    if labels is None:
        classes, fnames, fsizes = np.zeros((len(idx), 0), np.int64), (), ()
    else:
        if labels.shape != (len(images),) or not np.all(np.isin(labels, np.arange(5))):
            raise ValueError(f"{func}: 'labels' must be (N,) shape indices in 0..4.")
        classes, fnames, fsizes = labels[idx, None].astype(np.int64), ("shape",), (5,)
    return ImageDataset("symsol", x[..., None], classes, fnames, fsizes, idx, False, str(path),
                        "Symsol reduced (Murphy et al. 2021, reduced in thesis Sec. 8.4.1), .npz.")


# --------------------------------------------------------------------------- Scream texture
def load_scream_texture(path) -> np.ndarray:
    """*The Scream* as Locatello et al. use it: thumbnailed to fit 350x274, RGB / 255.

    Returns
    -------
    ndarray of float32, shape (H, W, 3) with H, W <= (274, 350) and >= 64.
    """
    func = "load_scream_texture"
    path = _require_file(Path(path), func, "the painting")
    Image, _ = _pil()
    try:
        with Image.open(path) as pic:
            pic = pic.convert("RGB")
            pic.thumbnail((350, 274), Image.LANCZOS)
            tex = _to_float(np.asarray(pic))
    except OSError as exc:
        raise ValueError(f"{func}: cannot decode {str(path)!r} ({exc}); {_REPLACE}.") from exc
    if min(tex.shape[:2]) < 64:
        raise ValueError(f"{func}: the painting is {tex.shape[1]}x{tex.shape[0]} after "
                         f"thumbnailing; it must be at least 64x64.")
    return tex


# --------------------------------------------------------------------------- CelebA stand-in
FACE_ATTRIBUTES = ("Bald", "Black_Hair", "Blond_Hair", "Brown_Hair", "Eyeglasses", "Male",
                   "Mouth_Slightly_Open", "Pale_Skin", "Smiling", "Wearing_Hat")


def render_faces(n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Cartoon faces with ten CelebA-named binary attributes: the **CelebA stand-in**.

    Each face is an ellipse (skin tone, pale or not) on a random background colour, with hair
    (black, blond or brown; long unless ``Male``; none if ``Bald``), eyes, optional glasses and
    hat, and a mouth that is straight, smiling and/or open.  Continuous nuisances (position,
    head size, all colours) vary freely, so the data are far richer than the attributes, as for
    real faces; they are still far simpler than photographs.

    Returns
    -------
    images : float32 (n, 64, 64, 3) in [0, 1]
    attributes : int64 (n, 10), columns :data:`FACE_ATTRIBUTES`
    """
    n = check_int(n, name="n", func="render_faces", minimum=0)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    hair = gen.integers(0, 3, n)                            # black, blond, brown
    # probabilities of bald, glasses, male, mouth open, pale, smiling, hat
    rates = np.array([0.1, 0.3, 0.5, 0.3, 0.3, 0.5, 0.2])[:, None]
    bald, glasses, male, mouth_open, pale, smiling, hat = gen.random((7, n)) < rates
    attrs = np.column_stack([bald, (hair == 0) & ~bald, (hair == 1) & ~bald, (hair == 2) & ~bald,
                             glasses, male, mouth_open, pale, smiling, hat]).astype(np.int64)
    rows, cols = np.mgrid[0:64, 0:64].astype(np.float32) + 0.5
    cx = (32 + gen.uniform(-4, 4, n))[:, None, None]
    cy = (34 + gen.uniform(-3, 3, n))[:, None, None]
    a = gen.uniform(12, 16, n)[:, None, None] * np.where(male, 1.1, 1.0)[:, None, None]
    b = gen.uniform(16, 20, n)[:, None, None]
    dx, dy = (cols - cx) / a, (rows - cy) / b
    img = np.broadcast_to(gen.uniform(0, 1, (n, 1, 1, 3)), (n, 64, 64, 3)).copy()

    def paint(mask, colour):
        np.copyto(img, np.broadcast_to(colour, img.shape), where=mask[..., None])

    hair_rgb = np.array([[0.08, 0.06, 0.05], [0.9, 0.8, 0.45], [0.45, 0.28, 0.12]])[hair]
    hair_rgb = np.clip(hair_rgb * gen.uniform(0.85, 1.15, (n, 1)), 0, 1)[:, None, None]
    long_hair = (((cols - cx) / (a + 4)) ** 2 + ((rows - cy + 2) / (b + 4)) ** 2 <= 1) & \
        (rows < cy + np.where(male, -0.2, 0.6)[:, None, None] * b)
    paint(long_hair & ~bald[:, None, None], hair_rgb)
    skin = np.where(pale[:, None], [0.95, 0.85, 0.78], [0.75, 0.55, 0.4]) * gen.uniform(
        0.85, 1.1, (n, 1))
    paint(dx ** 2 + dy ** 2 <= 1, np.clip(skin, 0, 1)[:, None, None])
    eye_y = cy - 0.15 * b
    for side in (-1, 1):
        ex = cx + side * 0.4 * a
        eye = ((cols - ex) / 2.2) ** 2 + ((rows - eye_y) / 1.6) ** 2 <= 1
        paint(eye, np.array([0.1, 0.1, 0.15]))
        frame = (np.abs(cols - ex) <= 4.5) & (np.abs(rows - eye_y) <= 3.2) & \
            ~((np.abs(cols - ex) <= 3.3) & (np.abs(rows - eye_y) <= 2.2))
        paint(frame & glasses[:, None, None], np.array([0.05, 0.05, 0.05]))
    bridge = (np.abs(cols - cx) <= 0.4 * a - 4.5) & (np.abs(rows - eye_y) <= 0.6)
    paint(bridge & glasses[:, None, None], np.array([0.05, 0.05, 0.05]))
    mouth_y = cy + 0.5 * b
    mx = (cols - cx) / (0.35 * a)
    smile = np.where(smiling, 3.0, 0.0)[:, None, None]
    curve = mouth_y + smile * (1 - mx ** 2) - smile / 2   # rows run downwards: centre lower
    lips = (np.abs(mx) <= 1) & (np.abs(rows - curve) <= 0.9)
    opened = (mx ** 2 + ((rows - mouth_y + 1) / 2.2) ** 2 <= 1) & mouth_open[:, None, None]
    paint(lips | opened, np.array([0.45, 0.1, 0.1]))
    hat_rgb = gen.uniform(0, 1, (n, 1, 1, 3))
    brim = (rows < cy - 0.55 * b) & (np.abs(cols - cx) <= a + 5) & (rows > cy - 1.25 * b)
    paint(brim & hat[:, None, None], hat_rgb)
    return img.astype(np.float32), attrs


# --------------------------------------------------------------------------- stand-ins
def _stand_in_description(name: str) -> str:
    base = {
        "dsprites": "procedural dSprites: the public factor grid and values, shapes drawn from "
                    "analytic outlines (not the DeepMind pixels)",
        "smallnorb": "box-built toys (animal, human, airplane, truck, car) x 10 instances x 9 "
                     "elevations x 18 azimuths x 6 lights, grey, flat shading, no stereo or "
                     "shadows (not the NORB photographs)",
        "cars3d": "183 box-built cars of random proportions and colours x 4 elevations x 24 "
                  "azimuths on white (not the CAD renders)",
        "symsol": "tetrahedron, cube, icosahedron, cone (32-gon pyramid), cylinder (32-gon prism)"
                  " at uniform random rotations, grey on black, orthographic, flat shading, no "
                  "deduplication (not the Symsol renders)",
        "celeba": "cartoon faces with 10 CelebA-named binary attributes and random colours "
                  "(not photographs)",
    }[name]
    return f"STAND-IN ({base}); the real data were not found."


def _dsprites_variant(name: str, binary: np.ndarray, seed: int, texture) -> np.ndarray:
    rng = np.random.default_rng([seed, 1])   # a stream apart from the subset draw
    if name == "colour_dsprites":
        return _ds.colour_dsprites(binary, rng)
    if name == "noisy_dsprites":
        return _ds.noisy_dsprites(binary, rng)
    return _ds.scream_dsprites(binary, rng, texture=texture)


def _load_dsprites_family(name: str, n, path: Path | None, seed: int, allow: bool
                          ) -> ImageDataset:
    if path is not None:
        base = load_dsprites_npz(path, n=n, seed=seed)
    else:
        if not allow:
            raise FileNotFoundError(_missing(name, paths.data_dir() / "dsprites" / DSPRITES_FILE))
        idx = _choose(_ds.N_IMAGES, n, seed, name=name, channels=1 if name == "dsprites" else 3)
        cls = _ds.grid_index_to_classes(idx, _ds.FACTOR_SIZES)
        base = ImageDataset("dsprites", _ds.render_dsprites(cls)[..., None].astype(np.float32),
                            cls, _ds.FACTOR_NAMES, _ds.FACTOR_SIZES, idx, True,
                            "latentdims.data.dsprites.render_dsprites",
                            _stand_in_description("dsprites"))
    if name == "dsprites":
        return base
    texture, stand_in, source, desc = None, base.stand_in, base.source, base.description
    if name == "scream_dsprites":
        painting = paths.data_dir() / "scream" / "scream.jpg"
        if painting.is_file():
            texture, source = load_scream_texture(painting), f"{source} + {painting}"
        else:
            stand_in = True
            desc += (" Background: STAND-IN procedural texture "
                     "(latentdims.data.dsprites.scream_stand_in_texture), not The Scream.")
    images = _dsprites_variant(name, base.images[..., 0], seed, texture)
    return ImageDataset(name, images, base.factor_classes, base.factor_names, base.factor_sizes,
                        base.indices, stand_in, source,
                        f"{name.replace('_', '-')} (Locatello et al. 2019) from: {desc}")


def _render_solid_stand_in(name: str, n, seed: int) -> dict[str, np.ndarray]:
    if name == "symsol":
        idx = _choose(SYMSOL_REDUCED_SIZE, n, seed, name=name, channels=1)
        gen = np.random.default_rng([seed, 2])
        shapes = gen.integers(0, 5, len(idx))
        images = _solids.render_symsol(shapes, _solids.random_rotations(len(idx), gen))
        return {"images": images, "classes": shapes[:, None].astype(np.int64), "indices": idx}
    grid = _solids.SmallNORBStandIn(seed) if name == "smallnorb" else _solids.Cars3DStandIn(seed)
    idx = _choose(len(grid), n, seed, name=name, channels=grid.channels)
    return {"images": grid.images(idx), "classes": grid.classes(idx), "indices": idx}


def _missing(name: str, where: Path) -> str:
    return (f"load_image_dataset: the real {name!r} data were not found at {str(where)!r} and "
            f"`allow_stand_in` is False; put the files there (see data/README for sources) or "
            f"pass `path`.")


_LOADERS = MappingProxyType({"smallnorb": load_smallnorb, "cars3d": load_cars3d,
                             "celeba": load_celeba, "symsol": load_symsol})


def _default_path(name: str) -> Path | None:
    """The real data under ``$LATENTDIMS_DATA`` if present, else None."""
    root = paths.data_dir()
    if name.endswith("dsprites"):
        f = root / "dsprites" / DSPRITES_FILE
        return f if f.is_file() else None
    folder = root / name
    candidates = {"smallnorb": ["smallnorb-*-dat.mat"], "cars3d": ["*.mat", "cars/*.mat"],
                  "celeba": ["list_attr_celeba.txt"],
                  "symsol": ["symsol_reduced/*.png", "*.png", "*.zip", "*.npz"]}[name]
    for pattern in candidates:
        found = sorted(folder.glob(pattern))
        if found:
            return found[0] if name == "symsol" and pattern in ("*.zip", "*.npz") else folder
    return None


def has_real_data(name: str) -> bool:
    """Whether the real files of ``name`` are under ``$LATENTDIMS_DATA`` (else loaders and
    trainings use its labelled stand-in)."""
    check_choice(name, DATASETS, name="dataset", func="has_real_data")
    return _default_path(name) is not None


_HEAD_BYTES = 2 ** 20


@functools.lru_cache(maxsize=512)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    """SHA-256 (16 hex digits) of the first MiB of a file, kept per (path, size, mtime)."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read(_HEAD_BYTES)).hexdigest()[:16]


def file_identity(path) -> str:
    """A short identity of a data file or folder for cache keys, the same on any machine.

    A file: its name, size and the SHA-256 of its first MiB (a copy or another mtime gives the
    same identity; another download of another size or content does not).  A folder: its name,
    the number of files under it and a SHA-256 of their relative names (not their contents:
    an image replaced in place under the same name keeps the identity).

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.bin"
    >>> _ = f.write_bytes(b"abc")
    >>> file_identity(f)
    'a.bin (3 bytes, sha256 of the first MiB ba7816bf8f01cfea)'
    """
    path = Path(path)
    if path.is_dir():
        names = sorted(os.path.relpath(os.path.join(top, nm), path)
                       for top, _, files in os.walk(path) for nm in files)
        digest = hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]
        return f"{path.name}/ ({len(names)} files, sha256 of their names {digest})"
    st = path.stat()
    return (f"{path.name} ({st.st_size} bytes, sha256 of the first MiB "
            f"{_file_digest(str(path.resolve()), st.st_size, st.st_mtime_ns)})")


def _real_files(name: str, found: Path) -> list[Path]:
    """The files (and folders) of the real ``name`` data at ``found`` that identify them."""
    if found.is_file():
        return [found]
    if name == "smallnorb":
        return sorted(found.glob("smallnorb-*.mat"))
    if name == "celeba":
        return [found / "list_attr_celeba.txt", found / "img_align_celeba"]
    if name == "cars3d" and (found / "cars").is_dir():
        return [found / "cars"]
    if name == "symsol" and (found / "symsol_reduced").is_dir():
        return [found / "symsol_reduced"]
    return [found]


def data_identity(name: str, *, path=None) -> str:
    """What :func:`load_image_dataset` would read for ``name`` (and ``path``), as one line for a
    cache key: ``'<name>: stand-in v<STAND_IN_VERSION>'`` or the real files'
    :func:`file_identity` (``'dsprites: dsprites_ndarray_...npz (26214 bytes, sha256 ...)'``).

    Deterministic for a stand-in; changes when real files appear, disappear or are replaced, so
    that nothing trained on one is reused with the other.

    >>> data_identity("cars3d") if not has_real_data("cars3d") else "cars3d: stand-in v1"
    'cars3d: stand-in v1'
    """
    func = "data_identity"
    check_choice(name, DATASETS, name="name", func=func)
    stand_in = f"stand-in v{STAND_IN_VERSION}"
    if path is not None:
        path = Path(path).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"{func}: `path` {str(path)!r} does not exist.")
    found = path if path is not None else _default_path(name)
    if name.endswith("dsprites") and found is not None and found.is_dir():
        found = found / DSPRITES_FILE
    parts = [stand_in] if found is None else [file_identity(p) for p in _real_files(name, found)
                                              if p.exists()]
    if name == "scream_dsprites":
        painting = paths.data_dir() / "scream" / "scream.jpg"
        parts.append("background " + (file_identity(painting) if painting.is_file()
                                      else stand_in))
    return f"{name}: " + "; ".join(parts)


def load_image_dataset(name: str, *, n: int | None = None, path=None, seed: int = 0,
                       allow_stand_in: bool = True,
                       cache: Callable[..., Mapping[str, np.ndarray]] | None = None) -> ImageDataset:
    """Load one of the thesis' image datasets: the real files if present, else a stand-in.

    Parameters
    ----------
    name : str
        One of :data:`DATASETS`.
    n : int, optional
        Number of images, drawn without replacement (seeded); ``None`` loads all, refused when
        the float32 array would exceed 1 GiB (dSprites, CelebA, Symsol).
    path : str or Path, optional
        The real data (file or folder, see the module table).  When given it must exist: a
        missing path is an error, never a silent stand-in.  ``None`` looks in
        ``$LATENTDIMS_DATA/<name>/`` (``dsprites/`` for the dSprites variants).
    seed : int
        Chooses the subset and draws the variants' colours/noise and the stand-ins' random
        content; the same seed gives the same arrays.
    allow_stand_in : bool
        When False, missing real data raise ``FileNotFoundError`` instead.
    cache : callable, optional
        Where rendered 3-D stand-ins (SmallNORB, Cars3D, Symsol) are kept: called as
        ``cache(f"stand_in_{name}", config, render)`` with ``config`` =
        ``{"name", "n", "seed", "version"}`` (the renderer's version) and ``render()`` returning
        the arrays ``images``, ``classes``, ``indices``; it returns those arrays.  ``None``
        renders them every time.  The studies pass :func:`latentdims.core.cache.cached_arrays`
        (:func:`latentdims.studies.thesis_runs.cached_image_dataset`).

    Returns
    -------
    ImageDataset
        Check ``stand_in`` (and ``description``) before comparing with the thesis' numbers.

    Examples
    --------
    Eight dSprites images (the real file if present, else the procedural stand-in):

    >>> data = load_image_dataset("dsprites", n=8, seed=0)
    >>> data.images.shape, data.factor_names
    ((8, 64, 64, 1), ('shape', 'scale', 'orientation', 'pos_x', 'pos_y'))
    """
    func = "load_image_dataset"
    check_choice(name, DATASETS, name="name", func=func)
    seed = check_int(seed, name="seed", func=func, minimum=0)
    if path is not None:
        path = Path(path).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"{func}: `path` {str(path)!r} does not exist; give the "
                                    f"real {name!r} data or path=None for the default location "
                                    f"(falling back to the labelled stand-in).")
    found = path if path is not None else _default_path(name)
    if name.endswith("dsprites"):
        if found is not None and found.is_dir():
            found = _require_file(found / DSPRITES_FILE, func, "the dSprites file")
        return _load_dsprites_family(name, n, found, seed, allow_stand_in)
    if found is not None:
        return _LOADERS[name](found, n=n, seed=seed)
    if not allow_stand_in:
        raise FileNotFoundError(_missing(name, paths.data_dir() / name))
    if name == "celeba":
        idx = _choose(CELEBA_SIZE, n, seed, name=name, channels=3)
        images, attrs = render_faces(len(idx), np.random.default_rng([seed, 3]))
        return ImageDataset(name, images, attrs, FACE_ATTRIBUTES, (2,) * len(FACE_ATTRIBUTES),
                            idx, True, "latentdims.data.images.render_faces",
                            _stand_in_description(name))
    if cache is not None:
        arrays = cache(f"stand_in_{name}",
                       {"name": name, "n": n, "seed": seed, "version": STAND_IN_VERSION},
                       lambda: _render_solid_stand_in(name, n, seed))
    else:
        arrays = _render_solid_stand_in(name, n, seed)
    if name == "symsol":
        fnames, fsizes = ("shape",), (5,)
    else:
        grid = _solids.SmallNORBStandIn if name == "smallnorb" else _solids.Cars3DStandIn
        fnames = grid.factor_names
        fsizes = tuple(grid.grid_sizes[k] for k in grid.latent)
    return ImageDataset(name, arrays["images"], arrays["classes"], fnames, fsizes,
                        arrays["indices"], True, f"latentdims.data.solids ({name} stand-in)",
                        _stand_in_description(name))
