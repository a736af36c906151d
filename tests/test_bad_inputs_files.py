"""Bad inputs of the cache and the data readers: damaged files of every format the project reads
(npz, JSON, HDF5 in this project's layout and the pandas layout, JetNet, NORB matrices, Cars3D
.mat, CelebA's attribute list and JPEGs, Symsol PNG/zip/npz, dSprites npz), wrong layouts, missing
keys and interrupted writes.  Each must be an error naming the file and what to do (or, for a
cache entry, a rebuild that says so), never NumPy/zip/HDF5 internals or a silently wrong number.
"""
import dataclasses
import json
import struct
import warnings
import zipfile

import h5py
import numpy as np
import pandas as pd
import pytest
import scipy.io
from PIL import Image

from latentdims.core import cache, paths
from latentdims.data import images, jets
from latentdims.data.images import DSPRITES_FILE, data_identity, file_identity
from latentdims.studies import thesis_runs

NOT_INTERNALS = ("allow_pickle", "HDF5 error back trace", "Errno")


def _clean(message: str) -> None:
    for word in NOT_INTERNALS:
        assert word not in message, message


def _truncate(path, fraction=0.5):
    raw = path.read_bytes()
    path.write_bytes(raw[:int(len(raw) * fraction)])


def _flip(path, offset, count=1):
    raw = bytearray(path.read_bytes())
    for i in range(offset, offset + count):
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))


# =========================================================================== the run cache
def _arrays(calls):
    def compute():
        calls.append(1)
        return {"x": np.arange(50_000, dtype=np.float64)}
    return compute


def _damaged_copies(entry):
    return sorted(p.name for p in entry.parent.iterdir() if ".damaged-" in p.name)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "flipped", "deleted", "empty"])
def test_damaged_arrays_npz_is_moved_aside_and_computed_again(damage):
    calls = []
    cache.cached_arrays("demo", {"n": 1}, _arrays(calls))
    entry = cache.entry_path("demo", {"n": 1})
    npz = entry / "arrays.npz"
    if damage == "truncated":
        _truncate(npz)
    elif damage == "garbage":
        npz.write_bytes(b"not an npz" * 100)      # NumPy: "pickled data ... allow_pickle"
    elif damage == "flipped":                     # same size: found by the zip's CRC
        _flip(npz, npz.stat().st_size // 2, 8)
    elif damage == "deleted":
        npz.unlink()
    else:
        npz.write_bytes(b"")
    with pytest.warns(UserWarning, match=r"cache entry .*demo.* moved aside to .*\.damaged-") as rec:
        out = cache.cached_arrays("demo", {"n": 1}, _arrays(calls))
    _clean(str(rec[0].message))
    np.testing.assert_array_equal(out["x"], np.arange(50_000))
    assert len(calls) == 2 and len(_damaged_copies(entry)) == 1
    assert cache.is_cached("demo", {"n": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # the rebuilt entry is read without a word
        cache.cached_arrays("demo", {"n": 1}, _arrays(calls))
    assert len(calls) == 2


def _build_files(out, work):
    (out / "model.npz").write_bytes(b"0123456789" * 10)
    (out / "sub").mkdir()
    (out / "sub" / "log.json").write_text("[]")


@pytest.mark.parametrize("damage,reason", [
    ("bad_json", "config.json is not valid JSON"),
    ("no_config", "no config.json"),
    ("missing_file", "'sub/log.json' is missing"),
    ("truncated_file", "'model.npz' has 50 bytes, not the 100"),
    ("other_key", "does not record the key"),
    ("other_config", "records another configuration"),
])
def test_cached_finds_a_damaged_entry_and_rebuilds_it(damage, reason):
    builds = []

    def build(out, work):
        builds.append(1)
        _build_files(out, work)

    entry = cache.cached("model", {"n": 1}, build)
    record = json.loads((entry / "config.json").read_text())
    assert record["files"] == {"model.npz": 100, "sub/log.json": 2}
    if damage == "bad_json":
        (entry / "config.json").write_text('{"name": "model", "key"')      # cut off
    elif damage == "no_config":
        (entry / "config.json").unlink()                                  # a partial folder
    elif damage == "missing_file":
        (entry / "sub" / "log.json").unlink()
    elif damage == "truncated_file":
        _truncate(entry / "model.npz")
    elif damage == "other_key":
        (entry / "config.json").write_text(json.dumps({**record, "key": "0" * 16}))
    else:
        (entry / "config.json").write_text(json.dumps({**record, "config": {"n": 2}}))
    assert not cache.is_cached("model", {"n": 1})
    assert reason in cache.entry_problem("model", {"n": 1})
    with pytest.warns(UserWarning, match=reason.replace("(", r"\(")):
        again = cache.cached("model", {"n": 1}, build)
    assert again == entry and len(builds) == 2 and cache.is_cached("model", {"n": 1})
    [aside] = _damaged_copies(entry)
    assert aside.startswith(f"{entry.name}.damaged-")


def test_rebuild_flag_rebuilds_a_good_entry():
    builds = []

    def build(out, work):
        builds.append(1)
        (out / "x.txt").write_text(str(len(builds)))

    cache.cached("model", {"n": 3}, build)
    entry = cache.cached("model", {"n": 3}, build, rebuild=True)
    assert (entry / "x.txt").read_text() == "2" and _damaged_copies(entry) == []


def test_readers_of_an_entry_name_the_file_move_it_aside_and_say_what_to_do():
    entry = cache.cached("model", {"n": 4}, _build_files)
    (entry / "sub" / "log.json").write_text("[1, 2")
    with pytest.raises(cache.DamagedEntryError,
                       match=r"my_loader: 'sub/log.json' of the cache entry .* cannot be read "
                             r".*moved aside to .*\.damaged-.*my_function\(\) rebuilds it") as err:
        cache.read_entry_json(entry, "sub/log.json", func="my_loader",
                              again="my_function() rebuilds it.")
    assert err.value.aside.is_dir() and not entry.exists()
    assert cache.entry_problem("model", {"n": 4}) == "the entry does not exist"
    # the next call of the high-level function builds it afresh, without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        entry = cache.cached("model", {"n": 4}, _build_files)
    with pytest.raises(cache.DamagedEntryError, match=r"'model.npz' .*not an .npz archive") as err:
        cache.read_entry_npz(entry, "model.npz")
    _clean(str(err.value))
    entry = cache.cached("model", {"n": 4}, _build_files)
    with pytest.raises(cache.DamagedEntryError, match="'missing.npz' .*No such file"):
        cache.read_entry_npz(entry, "missing.npz")
    with pytest.raises(FileNotFoundError, match="there is no cache entry"):
        cache.read_entry_json(paths.cache_dir() / "model" / "nope", "config.json")


def test_leftovers_of_a_killed_build_are_removed_before_the_next_build():
    entry = cache.entry_path("model", {"n": 5})
    entry.parent.mkdir(parents=True)
    dead = entry.parent / f".tmp-{entry.name}-abc123"        # atomic_dir's folder, process killed
    dead.mkdir()
    (dead / "half.npz").write_bytes(b"PK")
    old = entry.parent / f".old-{entry.name}-def456"
    old.mkdir()
    other = entry.parent / ".tmp-0123456789abcdef-xyz"       # another entry's: left alone
    other.mkdir()
    cache.cached("model", {"n": 5}, _build_files)
    assert not dead.exists() and not old.exists() and other.exists()


def test_thesis_run_folder_with_damaged_files_is_moved_aside_by_load_run():
    run = thesis_runs.thesis_run("beta_vae", thesis_runs.settings("smoke"), seed=0)

    def fake_training(out, work):       # the files of train_run, without training
        (out / "model.npz").write_bytes(b"")
        (out / "meta.json").write_text('{"channels": 1')                  # cut off
        (out / "history.json").write_text("[]")

    folder = cache.cached(thesis_runs.CACHE_NAME, run, fake_training)
    assert thesis_runs.read_run(folder) == run
    with pytest.raises(cache.DamagedEntryError,
                       match=r"load_run: 'meta.json' of the cache entry .* cannot be read .*"
                             r"train_run\(run\) trains it again"):
        thesis_runs.load_run(folder)
    assert not folder.exists() and not cache.is_cached(thesis_runs.CACHE_NAME, run)
    def fake_truncated_model(out, work):
        fake_training(out, work)
        (out / "meta.json").write_text('{"channels": 1}')
        np.savez(out / "representations.npz", mean=np.zeros((2, 3)), variance=np.ones((2, 3)),
                 sampled=np.zeros((2, 3)))
        (out / "model.npz").write_bytes(b"PK\x03\x04 cut off")

    folder = cache.cached(thesis_runs.CACHE_NAME, run, fake_truncated_model)
    with pytest.raises(cache.DamagedEntryError, match="load_run: 'model.npz' of the cache entry"):
        thesis_runs.load_run(folder)
    folder = cache.cached(thesis_runs.CACHE_NAME, run, fake_training)
    (folder / "config.json").write_text("{")
    with pytest.raises(cache.DamagedEntryError, match="read_run: 'config.json'"):
        thesis_runs.read_run(folder)


# =========================================================================== jet files
def _project_file(path, n=24, **attrs):
    """A file in this project's layout (what `generate` writes), with checksums or not."""
    rng = np.random.default_rng(1)
    part = np.zeros((n, 50, 4))
    k = 6
    part[:, :k, 0] = np.sort(rng.uniform(5, 100, (n, k)), axis=1)[:, ::-1]
    part[:, :k, 1] = rng.normal(0, 0.2, (n, k))
    part[:, :k, 2] = rng.normal(0, 0.2, (n, k))
    part[:, :k, 3] = part[:, :k, 0] * 1.1
    fletcher = attrs.pop("fletcher32", True)
    with h5py.File(path, "w") as f:
        f.create_dataset("particles", data=part, fletcher32=fletcher)
        for key in ("jet_pt", "jet_eta", "jet_phi", "jet_mass"):
            f.create_dataset(key, data=rng.uniform(1, 2, n), fletcher32=fletcher)
        f.attrs["process"] = "w"
        for key, value in attrs.items():
            f.attrs[key] = value
    return part


def _chunk_offset(path, name):
    with h5py.File(path, "r") as f:
        info = f[name].id.get_chunk_info(0)
        return info.byte_offset, info.size


def test_a_flipped_byte_in_checksummed_data_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "w.h5"
    _project_file(path)                       # uncompressed, Fletcher-32 checksums
    offset, size = _chunk_offset(path, "particles")
    _flip(path, offset + size // 3)
    with pytest.raises(jets.DamagedFileError,
                       match=r"load_jets: reading '.*w.h5' failed .*damaged .*checksum.*generate "
                             r"it again.*download it again"):
        jets.load_jets(path, split="all")
    with pytest.raises(jets.DamagedFileError, match="read_jet_file|load_jets"):
        jets.read_jet_file(path)


def test_without_checksums_a_flipped_byte_goes_unnoticed(tmp_path):
    """The documented limit: files written elsewhere without checksums (nor compression)."""
    path = tmp_path / "w.h5"
    part = _project_file(path, fletcher32=False)
    with h5py.File(path, "r") as f:
        offset = f["particles"].id.get_offset()
    _flip(path, offset + 7)                    # the top byte of particles[0, 0, 0] (float64)
    assert jets.load_jets(path, split="all").ht[0] != part[0, :, 0].sum()


def _jetnet(path, n=24):
    rng = np.random.default_rng(2)
    pf = np.zeros((n, 30, 4), np.float32)
    pf[:, :5] = np.stack([rng.normal(0, .2, (n, 5)), rng.normal(0, .2, (n, 5)),
                          np.full((n, 5), 0.2), np.ones((n, 5))], axis=-1)
    jf = np.stack([rng.uniform(500, 600, n), rng.normal(0, 1, n), rng.uniform(50, 100, n),
                   np.full(n, 5.0)], axis=1)
    with h5py.File(path, "w") as f:
        f["particle_features"] = pf
        f["jet_features"] = jf


def _pandas(path, n=24, fmt="fixed"):
    cols = {}
    for i in range(50):
        on = i < 2
        cols[f"pT{i}"] = np.full(n, 50.0 if on else 0.0)
        cols[f"eta{i}"] = np.zeros(n)
        cols[f"phi{i}"] = np.full(n, (0.5 if i == 0 else -0.5) if on else 0.0)
        cols[f"E{i}"] = np.full(n, 50.0 if on else 0.0)
    pd.DataFrame(cols).to_hdf(path, key="particles", format=fmt)


READERS = {"latentdims": (_project_file, jets.load_jets),
           "jetnet": (_jetnet, jets.read_jetnet),
           "pandas": (_pandas, jets.read_pandas_jets)}


@pytest.mark.parametrize("layout", sorted(READERS))
@pytest.mark.parametrize("damage", ["truncated", "text", "empty"])
def test_damaged_hdf5_of_every_layout_is_a_clear_error(tmp_path, layout, damage):
    write, read = READERS[layout]
    path = tmp_path / "jets.h5"
    write(path)
    if damage == "truncated":
        _truncate(path)
    elif damage == "text":
        path.write_text("pT,eta,phi\n1,2,3\n")
    else:
        path.write_bytes(b"")
    for reader in (read, jets.read_jet_file, jets.jet_file_layout):
        with pytest.raises(jets.DamagedFileError,
                           match=rf"'.*jets.h5' is not a readable HDF5 file .*download it again"
                           ) as err:
            reader(path)
        _clean(str(err.value))


def test_layouts_are_detected_and_wrong_layouts_named(tmp_path):
    _project_file(tmp_path / "a.h5")
    _jetnet(tmp_path / "b.h5")
    _pandas(tmp_path / "c.h5")
    _pandas(tmp_path / "d.h5", fmt="table")
    assert jets.jet_file_layout(tmp_path / "a.h5") == ("latentdims", 24)
    assert jets.jet_file_layout(tmp_path / "b.h5") == ("jetnet", 24)
    assert jets.jet_file_layout(tmp_path / "c.h5") == ("pandas", 24)
    assert jets.jet_file_layout(tmp_path / "d.h5") == ("pandas", 24)
    for name, layout in (("a", "latentdims"), ("b", "jetnet"), ("c", "pandas"), ("d", "pandas")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # JetNet's are centred whatever we ask
            sample = jets.read_jet_file(tmp_path / f"{name}.h5", n=10)
        assert len(sample) == 10 and sample.info["layout"] == layout
        assert sample.info["jets_in_file"] == 24
    assert len(jets.read_jet_file(tmp_path / "c.h5", n=100)) == 24       # at most n
    with pytest.warns(UserWarning, match="JetNet file.*centred although `centred` is False"):
        jets.read_jet_file(tmp_path / "b.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["images"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"holds \['images'\], none of the layouts"):
        jets.read_jet_file(tmp_path / "other.h5")
    # the pandas reader on a group that pandas did not write
    with h5py.File(tmp_path / "group.h5", "w") as f:
        f.create_group("particles")["x"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"read_pandas_jets: .* has no key 'particles'; it holds "
                                         r"\[\]. It holds no pandas table.*jet_file_layout"):
        jets.read_pandas_jets(tmp_path / "group.h5")
    # a pandas Series instead of a table
    pd.Series([1.0, 2.0]).to_hdf(tmp_path / "series.h5", key="particles")
    with pytest.raises(ValueError, match="holds a Series, not a DataFrame"):
        jets.read_pandas_jets(tmp_path / "series.h5")


def test_missing_keys_and_bad_attributes(tmp_path):
    with h5py.File(tmp_path / "jn.h5", "w") as f:
        f["particle_features"] = np.zeros((2, 30, 4))
    with pytest.raises(ValueError, match="lacks the dataset 'jet_features' of the JetNet format"):
        jets.read_jetnet(tmp_path / "jn.h5")
    with pytest.raises(ValueError, match="none of the layouts"):
        jets.jet_file_layout(tmp_path / "jn.h5")
    _project_file(tmp_path / "attrs.h5", cuts='{"pt_min": 500')          # cut-off JSON
    with pytest.raises(jets.DamagedFileError, match=r"the attribute 'cuts' of '.*attrs.h5' is "
                                                    r"not JSON"):
        jets.load_jets(tmp_path / "attrs.h5", split="all")
    pd.DataFrame({"pT0": [1.0], "eta0": [0.0], "phi0": [0.0]}).to_hdf(tmp_path / "p.h5",
                                                                       key="particles")
    with pytest.raises(ValueError, match="must have columns pT0, eta0, phi0, E0.*missing"):
        jets.read_pandas_jets(tmp_path / "p.h5")


def test_a_leftover_chunk_folder_of_an_interrupted_generation_is_refused_when_foreign(tmp_path):
    from latentdims.data import jetgen
    out = tmp_path / "w.h5"
    parts = jetgen.parts_dir(out)
    parts.mkdir()
    (parts / "manifest.json").write_text(json.dumps({"process": "top", "n": 3}))
    with pytest.raises(ValueError, match="holds chunks of another run"):
        jetgen.generate_jets("w", 3, out, progress=False)


# =========================================================================== image files
def _dsprites(path, n=12):
    rng = np.random.default_rng(0)
    classes = np.column_stack([np.zeros(n, int), rng.integers(0, 3, n), rng.integers(0, 6, n),
                               rng.integers(0, 40, n), rng.integers(0, 32, n),
                               rng.integers(0, 32, n)])
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, imgs=rng.integers(0, 2, (n, 64, 64)).astype(np.uint8),
             latents_classes=classes, latents_values=classes.astype(float))


@pytest.mark.parametrize("damage", ["truncated", "garbage", "flipped_header", "empty", "object"])
def test_damaged_dsprites_npz(tmp_path, damage):
    path = tmp_path / DSPRITES_FILE
    _dsprites(path)
    if damage == "truncated":
        _truncate(path, 0.9)
    elif damage == "garbage":
        path.write_bytes(b"\x80\x04garbage" * 50)
    elif damage == "flipped_header":
        _flip(path, path.read_bytes().find(b"{'descr'"), 12)     # the first .npy header
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        np.savez(path, imgs=np.array([None] * 2, dtype=object),
                 latents_classes=np.zeros((2, 6), int), latents_values=np.zeros((2, 6)))
    with pytest.raises(ValueError, match=f"load_dsprites_npz: .*'.*{DSPRITES_FILE}'.*replace "
                                         f"the file") as err:
        images.load_dsprites_npz(path)
    _clean(str(err.value))


def _norb(path, magic, ndim, dims, payload=b""):
    path.write_bytes(struct.pack("<ii", magic, ndim) + struct.pack(f"<{len(dims)}i", *dims)
                     + payload)


@pytest.mark.parametrize("header,match", [
    ((0x12345678, 1, (4, 1, 1)), "magic number 0x12345678.*gunzip"),
    ((0x1E3D4C55, 0, (1, 1, 1)), "declares 0 dimensions.*damaged header"),
    ((0x1E3D4C55, 9, (1,) * 9), "declares 9 dimensions"),
    ((0x1E3D4C55, 2, (-4, 3, 1)), "negative sizes"),
    ((0x1E3D4C55, 4, (2 ** 30, 2 ** 30, 96, 96)), "implies 1062532458645670173084.*truncated"),
    ((0x1E3D4C55, 4, (2, 2)), "ends inside its header"),
    ((0x1E3D4C54, 1, (5, 1, 1)), "has 44 bytes but its header .*implies 40.*replace the file"),
])
def test_damaged_norb_headers(tmp_path, header, match):
    path = tmp_path / "smallnorb-x-cat.mat"
    magic, ndim, dims = header
    payload = bytes(24) if dims == (5, 1, 1) else b""      # 5 int32 and 4 stray bytes
    _norb(path, magic, ndim, dims, payload)
    with pytest.raises(ValueError, match=f"read_norb_matrix: '.*smallnorb-x-cat.mat' .*{match}"):
        images.read_norb_matrix(path)


def test_damaged_norb_data_in_a_folder_names_the_file(tmp_path):
    stem = tmp_path / "smallnorb-5x46789x9x18x6x2x96x96-training"
    _norb(tmp_path / f"{stem.name}-dat.mat", 0x1E3D4C55, 4, (2, 2, 96, 96), bytes(2 * 2 * 96 * 96))
    _norb(tmp_path / f"{stem.name}-cat.mat", 0x1E3D4C54, 1, (2, 1, 1), bytes(8))
    _norb(tmp_path / f"{stem.name}-info.mat", 0x1E3D4C54, 2, (2, 4, 1), bytes(16)[:12])
    with pytest.raises(ValueError, match="training-info.mat' has .* bytes but its header"):
        images.load_smallnorb(tmp_path)


@pytest.mark.parametrize("damage,match", [
    ("truncated", "not a readable .mat file.*replace the file"),
    ("garbage", "not a readable .mat file"),
    ("no_im", "has no array 'im'.*remove it from the folder"),
    ("shape", r"'im' must be uint8 of shape \(H, W, 3, 24, 4\)"),
    ("dtype", r"'im' must be uint8"),
])
def test_damaged_cars3d_mat(tmp_path, damage, match):
    path = tmp_path / "car.mat"
    im = np.zeros((64, 64, 3, 24, 4), np.uint8)
    scipy.io.savemat(path, {"im": im})
    if damage == "truncated":
        _truncate(path)
    elif damage == "garbage":
        path.write_bytes(b"MATLAB 5.0" + bytes(50))
    elif damage == "no_im":
        scipy.io.savemat(path, {"images": im})
    elif damage == "shape":
        scipy.io.savemat(path, {"im": np.zeros((64, 64, 3, 24), np.uint8)})
    else:
        scipy.io.savemat(path, {"im": im.astype(np.float64)})
    with pytest.raises(ValueError, match=f"load_cars3d: .*car.mat.*{match}"):
        images.load_cars3d(tmp_path, n=2)


def _celeba(folder, text):
    (folder / "img_align_celeba").mkdir(parents=True)
    Image.new("RGB", (178, 218), (200, 30, 30)).save(folder / "img_align_celeba" / "000001.jpg")
    path = folder / "list_attr_celeba.txt"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())


@pytest.mark.parametrize("text,match", [
    (b"\xff\xfe\x00\x81 binary", "is not a text file"),
    ("", "is not in the CelebA attribute format"),
    ("two\nSmiling Male\n000001.jpg 1 -1\n", "is not in the CelebA attribute format"),
    ("1\nSmiling Male\n000001.jpg 1 x\n", "is not in the CelebA attribute format"),
    ("3\nSmiling Male\n000001.jpg 1 -1\n", "announces 3 images .*truncated or edited"),
    ("1\nSmiling Male\n000001.jpg 1 0\n", "must be -1 or 1"),
])
def test_damaged_celeba_attribute_file(tmp_path, text, match):
    _celeba(tmp_path, text)
    with pytest.raises(ValueError, match=f"load_celeba: .*{match}") as err:
        images.load_celeba(tmp_path)
    assert "list_attr_celeba.txt" in str(err.value) or "-1 or 1" in match


def test_damaged_celeba_jpeg(tmp_path):
    _celeba(tmp_path, "1\nSmiling Male\n000001.jpg 1 -1\n")
    _truncate(tmp_path / "img_align_celeba" / "000001.jpg", 0.3)
    with pytest.raises(ValueError, match="cannot decode '.*000001.jpg' .*replace the file"):
        images.load_celeba(tmp_path)


def _png(path, value=10):
    Image.fromarray(np.full((64, 64), value, np.uint8)).save(path)


def test_damaged_symsol_png_zip_and_npz(tmp_path):
    folder = tmp_path / "symsol_reduced"
    folder.mkdir()
    _png(folder / "cube_1.png")
    _png(folder / "cone_2.png")
    _truncate(folder / "cone_2.png")
    with pytest.raises(ValueError, match="load_symsol: cannot decode '.*cone_2.png'.*replace"):
        images.load_symsol(tmp_path)
    archive = tmp_path / "symsol_reduced.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(folder / "cube_1.png", "symsol_reduced/cube_1.png")
        zf.writestr("symsol_reduced/cone_2.png", b"\x89PNG broken")
    with pytest.raises(ValueError, match=r"cannot decode 'symsol_reduced/cone_2.png' in "
                                         r"'.*symsol_reduced.zip'"):
        images.load_symsol(archive)
    # a member whose stored bytes were flipped: the zip's CRC
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(folder / "cube_1.png", "symsol_reduced/cube_1.png")
    raw = archive.read_bytes()
    _flip(archive, raw.find(b"IDAT") + 8, 4)
    with pytest.raises(ValueError, match=r"cannot decode 'symsol_reduced/cube_1.png' in "):
        images.load_symsol(archive)
    _truncate(archive)
    with pytest.raises(ValueError, match="is not a readable zip .*replace the file"):
        images.load_symsol(archive)
    npz = tmp_path / "s.npz"
    npz.write_bytes(b"\x80\x04 pickled?" * 20)
    with pytest.raises(ValueError, match="not an .npz of plain arrays .*bytes are not an .npz") as e:
        images.load_symsol(npz)
    _clean(str(e.value))
    np.savez(npz, images=np.array([None, None], dtype=object))
    with pytest.raises(ValueError, match="object arrays, which are never unpickled") as e:
        images.load_symsol(npz)
    _clean(str(e.value))
    np.savez(npz, images=np.zeros((4, 64, 64), np.uint8))
    _flip(npz, npz.stat().st_size // 2, 4)
    with pytest.raises(ValueError, match="not a readable .npz .*CRC"):
        images.load_symsol(npz)
    np.savez(npz, pictures=np.zeros((4, 64, 64), np.uint8))
    with pytest.raises(ValueError, match=r"must hold an array 'images'; found \['pictures'\]"):
        images.load_symsol(npz)


def test_damaged_scream_painting(tmp_path):
    path = tmp_path / "scream.jpg"
    Image.new("RGB", (700, 548), (200, 120, 40)).save(path)
    _truncate(path, 0.2)
    with pytest.raises(ValueError, match="load_scream_texture: cannot decode .*replace the file"):
        images.load_scream_texture(path)


def test_a_damaged_real_file_in_the_data_folder_is_named_by_the_entry_point(tmp_path):
    path = tmp_path / "data" / "dsprites" / DSPRITES_FILE
    _dsprites(path)
    _truncate(path)
    with pytest.raises(ValueError, match=f"load_dsprites_npz: '.*{DSPRITES_FILE}' is not a "
                                         f"readable .npz archive"):
        images.load_image_dataset("dsprites", n=3)


# =========================================================================== data identity
def test_file_identity_follows_the_content_not_the_copy(tmp_path):
    a = tmp_path / "a" / "x.npz"
    a.parent.mkdir()
    a.write_bytes(b"1" * 3000)
    b = tmp_path / "b" / "x.npz"
    b.parent.mkdir()
    b.write_bytes(b"1" * 3000)
    assert file_identity(a) == file_identity(b)                 # a copy elsewhere
    b.write_bytes(b"2" * 3000)
    assert file_identity(a) != file_identity(b)                 # same size, other content
    b.write_bytes(b"1" * 3001)
    assert file_identity(a) != file_identity(b)
    assert file_identity(tmp_path / "a") == "a/ (1 files, sha256 of their names " + \
        file_identity(tmp_path / "a").split("names ")[1]


def test_data_identity_of_stand_in_and_real_files(tmp_path):
    assert data_identity("dsprites") == "dsprites: stand-in v1"
    assert data_identity("scream_dsprites") == "scream_dsprites: stand-in v1; background stand-in v1"
    _dsprites(tmp_path / "data" / "dsprites" / DSPRITES_FILE)
    real = data_identity("dsprites")
    assert real.startswith(f"dsprites: {DSPRITES_FILE} (") and "sha256" in real
    _dsprites(tmp_path / "data" / "dsprites" / DSPRITES_FILE, n=13)   # another download
    assert data_identity("dsprites") != real
    (tmp_path / "data" / "celeba").mkdir(parents=True)
    _celeba(tmp_path / "data" / "celeba", "1\nSmiling Male\n000001.jpg 1 -1\n")
    celeba = data_identity("celeba")
    assert "list_attr_celeba.txt (" in celeba and "img_align_celeba/ (1 files" in celeba
    with pytest.raises(FileNotFoundError, match="data_identity: `path`"):
        data_identity("cars3d", path=tmp_path / "nowhere")


def test_thesis_run_keys_record_the_data_source(tmp_path):
    training = thesis_runs.settings("smoke")
    stand_in = thesis_runs.thesis_run("beta_vae", training)
    assert stand_in.data_source == "dsprites: stand-in v1"                 # deterministic
    assert thesis_runs.thesis_run("beta_vae", training) == stand_in
    _dsprites(tmp_path / "data" / "dsprites" / DSPRITES_FILE, n=400)       # real files appear
    real = thesis_runs.thesis_run("beta_vae", training)
    assert real.data_source.startswith(f"dsprites: {DSPRITES_FILE} (")
    name = thesis_runs.CACHE_NAME
    assert cache.entry_path(name, real) != cache.entry_path(name, stand_in)
    # a run made for the stand-in is never given the real images (nor trained on them)
    for func in (thesis_runs.run_data, thesis_runs.evaluation_data):
        with pytest.raises(ValueError, match=rf"{func.__name__}: the run was made for the data "
                                             r"\[dsprites: stand-in v1\] but the data folder now "
                                             r"holds \[dsprites: dsprites_ndarray"):
            func(stand_in)
    assert len(thesis_runs.run_data(real).evaluation) == 64
    # another data set through dataclasses.replace gets its own identity
    assert dataclasses.replace(real, dataset="cars3d").data_source == "cars3d: stand-in v1"
    # a run read back from its entry keeps the identity it was trained with
    folder = cache.cached(name, stand_in, lambda out, work: (out / "model.npz").write_bytes(b""))
    assert thesis_runs.read_run(folder).data_source == "dsprites: stand-in v1"
