"""Image loaders on small files written here in each public format, the entry point, and the
3-D stand-ins."""
import doctest
import struct
import zipfile

import numpy as np
import pytest
import scipy.io
from PIL import Image

import latentdims.data.images as images
import latentdims.data.solids as solids
from latentdims.core.cache import cached_arrays
from latentdims.data.dsprites import (FACTOR_SIZES, grid_classes_to_index,
                                      grid_index_to_classes, render_dsprites)
from latentdims.data.images import (DATASETS, DSPRITES_FILE, ImageDataset, load_cars3d,
                                    load_celeba, load_dsprites_npz, load_image_dataset,
                                    load_smallnorb, load_symsol, read_norb_matrix)
from latentdims.data.solids import (Cars3DStandIn, SmallNORBStandIn, camera_rotation,
                                    random_rotations, render_convex_objects, render_symsol,
                                    solid_halfspaces)
from latentdims.studies.thesis_runs import cached_image_dataset


def test_doctests():
    assert doctest.testmod(images).failed == 0
    assert doctest.testmod(solids).failed == 0


# --------------------------------------------------------------------------- dSprites files
def _write_dsprites(path, n=30, *, compressed=True, **override):
    idx = np.random.default_rng(0).choice(737_280, n, replace=False)
    classes = grid_index_to_classes(idx, FACTOR_SIZES)
    arrays = {"imgs": render_dsprites(classes),
              "latents_classes": np.column_stack([np.zeros(n, int), classes]),
              "latents_values": np.column_stack([np.ones(n), classes.astype(float)])}
    arrays.update(override)
    path.parent.mkdir(parents=True, exist_ok=True)
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    return arrays


@pytest.mark.parametrize("compressed", [True, False])
def test_dsprites_npz_round_trip(tmp_path, compressed):
    path = tmp_path / DSPRITES_FILE
    arrays = _write_dsprites(path, compressed=compressed)
    full = load_dsprites_npz(path)
    assert full.images.shape == (30, 64, 64, 1) and full.images.dtype == np.float32
    np.testing.assert_array_equal(full.images[..., 0], arrays["imgs"])
    np.testing.assert_array_equal(full.factor_classes, arrays["latents_classes"][:, 1:])
    assert not full.stand_in and full.factor_sizes == (3, 6, 40, 32, 32)
    sub = load_dsprites_npz(path, n=7, seed=3)
    assert len(set(sub.indices.tolist())) == 7
    np.testing.assert_array_equal(sub.images[..., 0], arrays["imgs"][sub.indices])
    np.testing.assert_array_equal(sub.factor_classes, arrays["latents_classes"][sub.indices, 1:])


def test_dsprites_npz_errors(tmp_path):
    good = tmp_path / "good.npz"
    _write_dsprites(good)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip at all" * 100)
    with pytest.raises(ValueError, match="not a readable .npz"):
        load_dsprites_npz(garbage)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ValueError, match="not a readable .npz|corrupted"):
        load_dsprites_npz(truncated)
    damaged = tmp_path / "damaged.npz"
    raw = bytearray(good.read_bytes())
    raw[len(raw) // 3: len(raw) // 3 + 200] = bytes(200)
    damaged.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="corrupted|not a readable|truncated"):
        load_dsprites_npz(damaged)
    with pytest.raises(ValueError, match="has no array 'latents_classes'"):
        np.savez(tmp_path / "nokey.npz", imgs=np.zeros((2, 64, 64), np.uint8))
        load_dsprites_npz(tmp_path / "nokey.npz")
    _write_dsprites(tmp_path / "small.npz", imgs=np.zeros((30, 32, 32), np.uint8))
    with pytest.raises(ValueError, match=r"`imgs` must have shape \(30, 64, 64\)"):
        load_dsprites_npz(tmp_path / "small.npz")
    _write_dsprites(tmp_path / "grey.npz", imgs=np.full((30, 64, 64), 255, np.uint8))
    with pytest.raises(ValueError, match="must be binary"):
        load_dsprites_npz(tmp_path / "grey.npz")
    _write_dsprites(tmp_path / "range.npz", latents_classes=np.full((30, 6), 7))
    with pytest.raises(ValueError, match=r"factor 0 of row 0 is 7"):
        load_dsprites_npz(tmp_path / "range.npz")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_dsprites_npz(tmp_path / "missing.npz")


# --------------------------------------------------------------------------- SmallNORB files
_NORB_MAGIC = {np.uint8: 0x1E3D4C55, np.int32: 0x1E3D4C54}


def _write_norb(path, array):
    """The NYU binary matrix layout, written independently of the reader."""
    array = np.ascontiguousarray(array)
    dims = list(array.shape) + [1] * max(0, 3 - array.ndim)
    with open(path, "wb") as f:
        f.write(struct.pack("<ii", _NORB_MAGIC[array.dtype.type], array.ndim))
        f.write(struct.pack(f"<{len(dims)}i", *dims))
        f.write(array.astype(array.dtype.newbyteorder("<")).tobytes())


def _write_smallnorb(folder, chunk, m, offset):
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"smallnorb-5x46789x9x18x6x2x96x96-{chunk}"
    dat = np.zeros((m, 2, 96, 96), np.uint8)
    dat[:, 0] = (offset + 10 * np.arange(m))[:, None, None]   # camera 0: one grey level each
    dat[:, 1] = 250                                           # camera 1 must be ignored
    rng = np.random.default_rng(offset)
    cat = rng.integers(0, 5, m).astype(np.int32)
    info = np.column_stack([rng.integers(0, 10, m), rng.integers(0, 9, m),
                            2 * rng.integers(0, 18, m), rng.integers(0, 6, m)]).astype(np.int32)
    _write_norb(f"{stem}-dat.mat", dat)
    _write_norb(f"{stem}-cat.mat", cat)
    _write_norb(f"{stem}-info.mat", info)
    return cat, info


def test_smallnorb_files(tmp_path):
    folder = tmp_path / "norb"
    cat_te, info_te = _write_smallnorb(folder, "testing", 3, offset=5)
    cat_tr, info_tr = _write_smallnorb(folder, "training", 8, offset=100)
    assert read_norb_matrix(folder / "smallnorb-5x46789x9x18x6x2x96x96-training-info.mat"
                            ).shape == (8, 4)
    data = load_smallnorb(folder)
    assert data.images.shape == (11, 64, 64, 1) and data.factor_sizes == (5, 9, 18, 6)
    # training chunk first; camera 0 resized (a constant image stays constant) and / 255
    levels = np.concatenate([100 + 10 * np.arange(8), 5 + 10 * np.arange(3)]) / 255
    np.testing.assert_allclose(data.images[:, 20, 30, 0], levels, atol=1e-6)
    np.testing.assert_allclose(data.images.std(axis=(1, 2, 3)), 0, atol=1e-6)
    cat = np.concatenate([cat_tr, cat_te])
    info = np.concatenate([info_tr, info_te])
    np.testing.assert_array_equal(data.factor_classes,
                                  np.column_stack([cat, info[:, 1], info[:, 2] // 2, info[:, 3]]))
    sub = load_smallnorb(folder, n=4, seed=1)
    np.testing.assert_array_equal(sub.factor_classes, data.factor_classes[sub.indices])


def test_smallnorb_errors(tmp_path):
    folder = tmp_path / "norb"
    _write_smallnorb(folder, "training", 4, offset=0)
    dat = folder / "smallnorb-5x46789x9x18x6x2x96x96-training-dat.mat"
    info = folder / "smallnorb-5x46789x9x18x6x2x96x96-training-info.mat"
    raw = dat.read_bytes()
    dat.write_bytes(raw[:-100])
    with pytest.raises(ValueError, match="truncated or corrupted"):
        load_smallnorb(folder)
    dat.write_bytes(b"\x00\x00\x00\x00" + raw[4:])
    with pytest.raises(ValueError, match="magic number 0x0"):
        load_smallnorb(folder)
    dat.write_bytes(raw)
    bad = read_norb_matrix(info).copy()
    bad[2, 2] = 3                                   # an odd azimuth is impossible
    _write_norb(info, bad)
    with pytest.raises(ValueError, match="outside SmallNORB's ranges"):
        load_smallnorb(folder)
    (folder / "smallnorb-5x46789x9x18x6x2x96x96-training-cat.mat").unlink()
    with pytest.raises(FileNotFoundError, match="category file"):
        load_smallnorb(folder)
    with pytest.raises(FileNotFoundError, match="no 'smallnorb-"):
        load_smallnorb(tmp_path)


# --------------------------------------------------------------------------- Cars3D files
def _car(side, obj):
    im = np.zeros((side, side, 3, 24, 4), np.uint8)
    az, el = np.meshgrid(np.arange(24), np.arange(4), indexing="ij")
    im[:, :, 0] = (10 * az + el)[None, None]
    im[:, :, 1] = 100 * obj
    return im


def test_cars3d_files(tmp_path):
    folder = tmp_path / "cars3d" / "cars"
    folder.mkdir(parents=True)
    scipy.io.savemat(folder / "car_a.mat", {"im": _car(64, 1)})
    scipy.io.savemat(folder / "car_b.mat", {"im": _car(128, 2)})
    (folder / "list.txt").write_text("car_b\ncar_a\n")          # object 0 is car_b
    data = load_cars3d(folder.parent)
    assert data.images.shape == (192, 64, 64, 3) and data.factor_sizes == (4, 24, 2)
    elevation, azimuth, obj = data.factor_classes.T
    np.testing.assert_allclose(data.images[:, 10, 10, 0] * 255, 10 * azimuth + elevation,
                               atol=1e-3)
    np.testing.assert_allclose(data.images[:, 10, 10, 1] * 255, np.where(obj == 0, 200, 100),
                               atol=1e-3)
    assert sorted(np.unique(data.factor_classes, axis=0).tolist()) == sorted(
        [e, a, o] for e in range(4) for a in range(24) for o in range(2))
    sub = load_cars3d(folder, n=10, seed=2)
    np.testing.assert_array_equal(sub.factor_classes, data.factor_classes[sub.indices])


def test_cars3d_errors(tmp_path):
    scipy.io.savemat(tmp_path / "flat.mat", {"im": np.zeros((64, 64, 3, 96), np.uint8)})
    with pytest.raises(ValueError, match=r"\(H, W, 3, 24, 4\)"):
        load_cars3d(tmp_path)
    (tmp_path / "flat.mat").unlink()
    scipy.io.savemat(tmp_path / "other.mat", {"mesh": np.zeros(3)})
    with pytest.raises(ValueError, match="no array 'im'"):
        load_cars3d(tmp_path)
    (tmp_path / "other.mat").write_bytes(b"garbage" * 50)
    with pytest.raises(ValueError, match="not a readable .mat"):
        load_cars3d(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no Cars3D"):
        load_cars3d(tmp_path / "empty")


# --------------------------------------------------------------------------- CelebA files
_COLOURS = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (220, 220, 40)]


def _write_celeba(folder, rows=None):
    (folder / "img_align_celeba").mkdir(parents=True)
    for i, colour in enumerate(_COLOURS):
        Image.new("RGB", (178, 218), colour).save(folder / "img_align_celeba" / f"{i + 1:06d}.jpg")
    rows = rows or [f"{i + 1:06d}.jpg  {a} {b} {c}" for i, (a, b, c) in
                    enumerate([(1, -1, -1), (-1, 1, -1), (-1, -1, 1), (1, 1, 1)])]
    (folder / "list_attr_celeba.txt").write_text(
        f"{len(rows)}\nSmiling Male Young \n" + "\n".join(rows) + "\n")


def test_celeba_files(tmp_path):
    _write_celeba(tmp_path / "celeba")
    data = load_celeba(tmp_path / "celeba")
    assert data.images.shape == (4, 64, 64, 3) and data.factor_names == ("Smiling", "Male",
                                                                        "Young")
    np.testing.assert_array_equal(data.factor_classes, [[1, 0, 0], [0, 1, 0], [0, 0, 1],
                                                        [1, 1, 1]])
    # 178x218 thumbnailed to 52x64 and padded: black side bars, the colour in the middle
    np.testing.assert_allclose(data.images[:, 32, 32] * 255, _COLOURS, atol=8)
    assert data.images[:, :, :4].max() == 0 and data.images[:, :, -4:].max() == 0


def test_celeba_errors(tmp_path):
    _write_celeba(tmp_path / "a", rows=["000001.jpg 1 2 1"])
    with pytest.raises(ValueError, match="-1 or 1"):
        load_celeba(tmp_path / "a")
    _write_celeba(tmp_path / "b", rows=["000001.jpg 1 1"])
    with pytest.raises(ValueError, match="announces 1 images with 3 attributes"):
        load_celeba(tmp_path / "b")
    _write_celeba(tmp_path / "c", rows=["000009.jpg 1 1 1"])
    with pytest.raises(FileNotFoundError, match="000009.jpg"):
        load_celeba(tmp_path / "c")
    _write_celeba(tmp_path / "d")
    (tmp_path / "d" / "img_align_celeba" / "000002.jpg").write_bytes(b"broken")
    with pytest.raises(ValueError, match="cannot decode"):
        load_celeba(tmp_path / "d")


# --------------------------------------------------------------------------- Symsol files
_SYMSOL = ["tet_0001.png", "cube_0002.png", "icosa_0003.png", "cone_0004.png", "cyl_0005.png",
           "cone_0006.png"]


def _write_symsol(folder, names=_SYMSOL, side=64):
    folder.mkdir(parents=True)
    for i, name in enumerate(names):
        Image.fromarray(np.full((side, side), 40 * i + 10, np.uint8)).save(folder / name)


def test_symsol_folder_zip_and_npz(tmp_path):
    _write_symsol(tmp_path / "symsol" / "symsol_reduced")
    data = load_symsol(tmp_path / "symsol")
    assert data.images.shape == (6, 64, 64, 1) and data.factor_names == ("shape",)
    # sorted file names: cone_0004, cone_0006, cube_0002, cyl_0005, icosa_0003, tet_0001
    assert data.factor_classes[:, 0].tolist() == [3, 3, 1, 4, 2, 0]
    np.testing.assert_allclose(data.images[:, 0, 0, 0] * 255, [130, 210, 50, 170, 90, 10],
                               atol=1e-4)
    archive = tmp_path / "symsol_reduced.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in _SYMSOL:
            zf.write(tmp_path / "symsol" / "symsol_reduced" / name, f"symsol_reduced/{name}")
    zipped = load_symsol(archive)
    np.testing.assert_array_equal(zipped.images, data.images)
    np.testing.assert_array_equal(zipped.factor_classes, data.factor_classes)
    np.savez(tmp_path / "s.npz", images=(data.images * 255).astype(np.uint8),
             labels=data.factor_classes[:, 0])
    from_npz = load_symsol(tmp_path / "s.npz")
    np.testing.assert_allclose(from_npz.images, data.images, atol=1e-6)


def test_symsol_labels_and_sizes(tmp_path):
    _write_symsol(tmp_path / "plain", names=["a1.png", "b2.png"], side=96)
    data = load_symsol(tmp_path / "plain")
    assert data.factor_classes.shape == (2, 0) and data.images.shape == (2, 64, 64, 1)
    _write_symsol(tmp_path / "mixed", names=["cone_1.png", "b2.png"])
    with pytest.raises(ValueError, match="only 1 of 2 file names carry a shape"):
        load_symsol(tmp_path / "mixed")
    np.savez(tmp_path / "bad.npz", images=np.zeros((3, 32, 32), np.uint8))
    with pytest.raises(ValueError, match=r"'images' must have shape \(N, 64, 64\)"):
        load_symsol(tmp_path / "bad.npz")
    np.savez(tmp_path / "lab.npz", images=np.zeros((3, 64, 64), np.uint8), labels=[0, 7, 1])
    with pytest.raises(ValueError, match="'labels' must be"):
        load_symsol(tmp_path / "lab.npz")


# --------------------------------------------------------------------------- entry point
def test_entry_point_prefers_real_files(tmp_path):
    data_root = tmp_path / "data"          # $LATENTDIMS_DATA in the tests (conftest)
    arrays = _write_dsprites(data_root / "dsprites" / DSPRITES_FILE)
    real = load_image_dataset("dsprites", n=5, seed=1)
    assert not real.stand_in and real.source.endswith(DSPRITES_FILE)
    np.testing.assert_array_equal(real.images[..., 0], arrays["imgs"][real.indices])
    colour = load_image_dataset("colour_dsprites", n=5, seed=1)
    assert not colour.stand_in and colour.images.shape == (5, 64, 64, 3)
    np.testing.assert_array_equal(colour.images.max(axis=-1) > 0, real.images[..., 0] > 0)
    scream = load_image_dataset("scream_dsprites", n=5, seed=1)
    assert scream.stand_in and "not The Scream" in scream.description
    (data_root / "scream").mkdir()
    Image.new("RGB", (700, 548), (200, 120, 40)).save(data_root / "scream" / "scream.jpg")
    painted = load_image_dataset("scream_dsprites", n=5, seed=1)
    assert not painted.stand_in
    explicit = load_image_dataset("dsprites", n=5, seed=1, path=data_root / "dsprites")
    np.testing.assert_array_equal(explicit.images, real.images)


def test_entry_point_finds_the_other_sets_in_the_data_folder(tmp_path):
    root = tmp_path / "data"
    _write_symsol(root / "symsol" / "symsol_reduced")
    _write_smallnorb(root / "smallnorb", "training", 5, offset=0)
    _write_celeba(root / "celeba")
    (root / "cars3d" / "cars").mkdir(parents=True)
    scipy.io.savemat(root / "cars3d" / "cars" / "car.mat", {"im": _car(64, 0)})
    for name, size in (("symsol", 6), ("smallnorb", 5), ("celeba", 4), ("cars3d", 96)):
        data = load_image_dataset(name, n=3, seed=0, allow_stand_in=False)
        assert not data.stand_in and data.name == name and len(data) == 3
        assert data.indices.max() < size


@pytest.mark.parametrize("name", DATASETS)
def test_stand_ins(name):
    data = load_image_dataset(name, n=6, seed=4)
    channels = 1 if name in ("dsprites", "smallnorb", "symsol") else 3
    assert isinstance(data, ImageDataset) and len(data) == 6
    assert data.images.shape == (6, 64, 64, channels) and data.images.dtype == np.float32
    assert 0 <= data.images.min() and data.images.max() <= 1
    assert data.stand_in and "STAND-IN" in data.description
    assert data.factor_classes.shape == (6, len(data.factor_names))
    assert np.all(data.factor_classes >= 0)
    assert np.all(data.factor_classes < np.array(data.factor_sizes))
    again = load_image_dataset(name, n=6, seed=4)
    np.testing.assert_array_equal(again.images, data.images)
    other = load_image_dataset(name, n=6, seed=5)
    assert not np.array_equal(other.images, data.images)


def test_stand_in_cache(tmp_path):
    # the data layer knows no cache: the study passes one in (cached_image_dataset)
    first = cached_image_dataset("symsol", n=4, seed=0)
    entries = list((tmp_path / "cache" / "stand_in_symsol").iterdir())
    assert len(entries) == 1 and (entries[0] / "arrays.npz").is_file()
    cached = load_image_dataset("symsol", n=4, seed=0, cache=cached_arrays)
    np.testing.assert_array_equal(cached.images, first.images)
    assert len(list((tmp_path / "cache" / "stand_in_symsol").iterdir())) == 1
    fresh = load_image_dataset("symsol", n=4, seed=0)
    np.testing.assert_array_equal(fresh.images, first.images)
    calls = []

    def hook(name, config, render):
        calls.append((name, config))
        return render()

    hooked = load_image_dataset("symsol", n=4, seed=0, cache=hook)
    np.testing.assert_array_equal(hooked.images, first.images)
    assert calls == [("stand_in_symsol", {"name": "symsol", "n": 4, "seed": 0, "version": 1})]


def test_entry_point_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown `name` 'mnist'"):
        load_image_dataset("mnist", n=2)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_image_dataset("smallnorb", path=tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="`allow_stand_in` is False"):
        load_image_dataset("cars3d", n=2, allow_stand_in=False)
    with pytest.raises(FileNotFoundError, match="`allow_stand_in` is False"):
        load_image_dataset("dsprites", n=2, allow_stand_in=False)
    with pytest.raises(ValueError, match="GiB as float32; pass `n`"):
        load_image_dataset("dsprites")
    with pytest.raises(ValueError, match="exceeds the 17568 images"):
        load_image_dataset("cars3d", n=20_000)
    with pytest.raises(ValueError, match="`n` must be >= 1"):
        load_image_dataset("celeba", n=0)
    with pytest.raises(ValueError, match=r"`images` must have shape \(N, 64, 64, C\)"):
        ImageDataset("x", np.zeros((2, 32, 32, 1), np.float32), np.zeros((2, 0), int), (), (),
                     np.arange(2), True, "", "")


# --------------------------------------------------------------------------- 3-D stand-ins
def test_cube_face_on_closed_form():
    cube = solid_halfspaces("cube")[None, None]
    ident = np.eye(3)[None]
    lit = render_convex_objects(cube, [0], ident, light_dirs=[0, 0, -1], supersample=4)[0, ..., 0]
    # side 2 * 0.85 / sqrt(3) of the frame's 2 = 31.4 px; full brightness head-on
    assert lit.sum() == pytest.approx((64 * 0.85 / np.sqrt(3)) ** 2, rel=0.03)
    assert lit[32, 32] == pytest.approx(1.0)
    behind = render_convex_objects(cube, [0], ident, light_dirs=[0, 0, 1], ambient=0.3)[0]
    assert behind[32, 32, 0] == pytest.approx(0.3)


def test_random_rotations_are_uniform_rotations():
    r = random_rotations(4000, np.random.default_rng(0))
    np.testing.assert_allclose(r @ np.swapaxes(r, 1, 2), np.broadcast_to(np.eye(3), r.shape),
                               atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(r), 1.0)
    assert np.abs(r.mean(axis=0)).max() < 0.05      # Haar measure: E[R] = 0


def test_symsol_shapes_are_distinguishable():
    rng = np.random.default_rng(1)
    rot = random_rotations(40, rng)
    areas = []
    for shape in range(5):
        x = render_symsol(np.full(40, shape), rot, supersample=1)
        assert x.shape == (40, 64, 64, 1) and x.min() >= 0 and x.max() <= 1
        areas.append((x > 0).sum(axis=(1, 2, 3)).mean())
    # tetrahedron < cube < icosahedron, all inside the unit sphere's disc of radius 27.2 px
    assert areas[0] < areas[1] < areas[2] < np.pi * 27.2 ** 2
    assert len(np.unique(np.round(areas))) == 5


def test_smallnorb_stand_in_lighting_keeps_the_silhouette():
    grid = SmallNORBStandIn()
    assert len(grid) == 48_600 and grid.factor_sizes == (5, 9, 18, 6)
    idx = grid_classes_to_index([[2, 3, 4, 5, light] for light in range(6)], grid.grid_sizes)
    x = grid.images(idx, supersample=1)[..., 0]
    masks = x != grid.background
    assert all(np.array_equal(masks[0], m) for m in masks[1:])
    assert len(np.unique(x.reshape(6, -1), axis=0)) == 6
    assert grid.classes(idx)[:, 3].tolist() == list(range(6))
    turned = grid.images(grid_classes_to_index([[2, 3, 4, 9, 0]], grid.grid_sizes))
    assert not np.allclose(turned[0, ..., 0], x[0])


def test_cars3d_stand_in_half_turn_mirrors_the_silhouette():
    grid = Cars3DStandIn()
    assert len(grid) == 17_568 and grid.factor_sizes == (4, 24, 183)
    front, back = grid.images(grid_classes_to_index([[0, 0, 7], [0, 12, 7]], grid.grid_sizes),
                              supersample=1)
    object_front = np.any(front != 1.0, axis=-1)
    object_back = np.any(back != 1.0, axis=-1)
    np.testing.assert_array_equal(object_front, object_back[:, ::-1])
    # a single colour per object, scaled by the shading
    pixels = front[object_front]
    ratios = pixels / pixels.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(ratios, np.broadcast_to(ratios[0], ratios.shape), atol=1e-5)
    assert camera_rotation([30], [0]).shape == (1, 3, 3)


def test_renderer_errors():
    cube = solid_halfspaces("cube")[None, None]
    with pytest.raises(ValueError, match="orthogonal"):
        render_convex_objects(cube, [0], 2 * np.eye(3)[None])
    with pytest.raises(ValueError, match=r"`object_ids` must lie in \[0, 0\]"):
        render_convex_objects(cube, [1], np.eye(3)[None])
    with pytest.raises(ValueError, match=r"`colours` must lie in \[0, 1\]"):
        render_convex_objects(cube, [0], np.eye(3)[None], colours=[[2.0, 0, 0]])
    with pytest.raises(ValueError, match=r"\(M, K, P, 4\)"):
        render_convex_objects(cube[..., :3], [0], np.eye(3)[None])
    with pytest.raises(ValueError, match="unknown solid 'sphere'"):
        solid_halfspaces("sphere")
    with pytest.raises(ValueError, match="`shapes` must be a 1-D array of integers in 0..4"):
        render_symsol([5], np.eye(3)[None])
    with pytest.raises(ValueError, match=r"`rotations` must have shape \(2, 3, 3\)"):
        render_symsol([0, 1], np.eye(3)[None])
