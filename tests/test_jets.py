"""Jet samples: Pythia 8 + FastJet generation, resumption, loaders, readers and observables.

The generation tests use samples of a few tens of jets (a few seconds each); the physics
checks recompute the selection from what is stored.
"""
import filecmp
import json
import shutil
import signal
import subprocess
import sys
import time
import warnings

import h5py
import numpy as np
import pandas as pd
import pytest

from latentdims.data import jetgen, jets
from latentdims.data.jetobs import wrap_phi
from latentdims.studies import jet_samples

W_ARGS = dict(n=40, seed=3, chunk_size=10)          # the reference W sample of this module


@pytest.fixture(scope="module")
def w_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("w") / "w.h5"
    return jetgen.generate_jets("w", out=out, workers=1, progress=False, **W_ARGS)


@pytest.fixture(scope="module")
def w_sample(w_file):
    return jets.load_jets(w_file, split="all")


@pytest.fixture(scope="module")
def qcd_top(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qt")
    return {p: jets.load_jets(jetgen.generate_jets(p, 20, folder / f"{p}.h5", seed=1,
                                                   chunk_size=20, workers=1, progress=False),
                              split="all") for p in ("qcd", "top")}


def _n_subjets(path):
    with h5py.File(path, "r") as f:
        return f["n_subjets"][:]


# ------------------------------------------------------------------ generated jets: physics

def test_w_jets_pass_the_cuts_recomputed_from_the_stored_subjets(w_file, w_sample):
    s = w_sample
    assert len(s) == 40 and s.weights.shape == (40, 50) and s.points.shape == (40, 50, 2)
    assert s.weights.dtype == np.float64 and s.masks.dtype == bool
    np.testing.assert_allclose(s.weights.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all((s.weights > 0) == s.masks)
    # The stored R = 1.0 jet passes the papers' selection...
    assert np.all((s.jet_pt > 500) & (s.jet_pt < 600) & (np.abs(s.jet_eta) < 2))
    assert np.all((s.jet_mass > 75) & (s.jet_mass < 110))
    # ... and the four-momentum sum of the stored subjets reproduces it (exactly when nothing
    # was cut by the truncation to 50 subjets; float32 storage).
    k = jets.jet_kinematics(s.pt, s.points[..., 0], s.points[..., 1], s.energies)
    full = _n_subjets(w_file) <= 50
    assert full.sum() >= 30
    np.testing.assert_allclose(k.pt[full], s.jet_pt[full], rtol=1e-5)
    np.testing.assert_allclose(k.eta[full], s.jet_eta[full], atol=1e-5)
    np.testing.assert_allclose(wrap_phi(k.phi - s.jet_phi)[full], 0, atol=1e-5)
    np.testing.assert_allclose(k.mass[full], s.jet_mass[full], atol=0.02)
    # Truncated jets lose only their softest subjets.
    np.testing.assert_allclose(k.pt, s.jet_pt, rtol=0.03)
    # Subjets are sorted by pT and, being made of the jet's constituents, lie within R = 1.0 of
    # its axis in (rapidity, phi), the distance anti-kT uses.  (In pseudorapidity a very soft
    # massive hadron can sit far away: y and eta differ when pT << m.)
    assert np.all(np.diff(s.pt, axis=1) <= 1e-9)

    def rapidity(pt, eta, e):
        pz = pt * np.sinh(eta)
        with np.errstate(invalid="ignore", divide="ignore"):    # padding: 0 / 0
            return 0.5 * np.log((e + pz) / (e - pz))
    jet_e = np.sqrt(s.jet_mass**2 + (s.jet_pt * np.cosh(s.jet_eta))**2)
    dy = rapidity(s.pt, s.points[..., 0], s.energies) - rapidity(s.jet_pt, s.jet_eta, jet_e)[:, None]
    d = np.hypot(dy, wrap_phi(s.points[..., 1] - s.jet_phi[:, None]))
    assert np.all(d[s.masks] < 1.0 + 1e-3)
    # Padding sits on the jet axis, as in the original analysis.
    np.testing.assert_allclose(s.points[~s.masks][:, 0], np.broadcast_to(s.jet_eta[:, None], s.masks.shape)[~s.masks])
    assert np.all(s.n_constituents >= s.multiplicity)
    assert np.all((s.pthat > 500) & (s.pthat < 700))            # the generator cut
    np.testing.assert_allclose(s.ht, s.pt.sum(axis=1))


def test_w_truth_partons_and_decay_angles(w_sample):
    s = w_sample
    w, q, qbar = s.partons[:, 0], s.partons[:, 1], s.partons[:, 2]
    assert np.all(np.abs(s.parton_ids[:, 0]) == 24) and np.all(s.parton_ids[:, 3] == 0)
    assert np.all(s.parton_ids[:, 1] > 0) and np.all(s.parton_ids[:, 2] < 0)
    # W+ -> up-type quark + down-type antiquark: the charges add up.
    charge = {1: -1, 2: 2, 3: -1, 4: 2, 5: -1}
    total = [np.sign(a) * charge[abs(a)] + np.sign(b) * charge[abs(b)]
             for a, b in s.parton_ids[:, 1:3]]
    np.testing.assert_array_equal(np.array(total) / 3, np.sign(s.parton_ids[:, 0]))
    np.testing.assert_allclose(q + qbar, w, atol=1e-6)
    m_w = np.sqrt(w[:, 3]**2 - np.sum(w[:, :3]**2, axis=1))
    assert np.median(np.abs(m_w - 80.4)) < 2.1             # Breit-Wigner, width 2.1 GeV
    # theta*: the quark's energy fraction z = (1 + beta cos theta*) / 2 (massless quarks; the
    # charm/bottom masses make it approximate).
    beta = np.linalg.norm(w[:, :3], axis=1) / w[:, 3]
    np.testing.assert_allclose(q[:, 3] / w[:, 3], (1 + beta * np.cos(s.decay_theta)) / 2,
                               atol=0.02)
    # phi*: the direction of the quark's prong from the W in the (eta, phi) plane.
    def eta_phi(p):
        return np.arcsinh(p[:, 2] / np.hypot(p[:, 0], p[:, 1])), np.arctan2(p[:, 1], p[:, 0])
    (eq, pq), (ew, pw) = eta_phi(q), eta_phi(w)
    seen = np.arctan2(wrap_phi(pq - pw), eq - ew)
    assert np.median(np.abs(wrap_phi(seen - s.decay_phi))) < 0.05
    # The W is the jet: within R of its axis.
    assert np.all(np.hypot(ew - s.jet_eta, wrap_phi(pw - s.jet_phi)) < 1.0)


def test_top_and_qcd_jets(qcd_top):
    qcd, top = qcd_top["qcd"], qcd_top["top"]
    for s in (qcd, top):
        assert len(s) == 20
        assert np.all((s.jet_pt > 500) & (s.jet_pt < 600) & (np.abs(s.jet_eta) < 2))
    # No mass window: top jets sit above the W window, QCD jets spread below it.
    assert np.median(top.jet_mass) > 120 and np.any(qcd.jet_mass < 75)
    assert qcd.decay_theta is None and top.decay_theta is not None
    assert np.all(np.abs(top.parton_ids[:, 0]) == 6)
    assert np.all(np.sign(top.parton_ids[:, 1]) == np.sign(top.parton_ids[:, 0]))
    light = np.isin(np.abs(qcd.parton_ids[:, :2]), [1, 2, 3, 4, 5, 21])
    assert light.all() and np.all(qcd.parton_ids[:, 2:] == 0)
    assert qcd.info["parton_roles"][0] == "parton nearest the jet"


def test_tau21_separates_two_pronged_w_jets_from_qcd(w_sample, qcd_top):
    assert np.median(w_sample.tau21) < np.median(qcd_top["qcd"].tau21) - 0.1
    # From the stored subjets the same ordering holds.
    tw = jets.n_subjettiness(w_sample.weights, w_sample.points)
    tq = jets.n_subjettiness(qcd_top["qcd"].weights, qcd_top["qcd"].points)
    assert np.median(tw[:, 1] / tw[:, 0]) < np.median(tq[:, 1] / tq[:, 0])


def test_file_records_provenance(w_file):
    with h5py.File(w_file, "r") as f:
        a = dict(f.attrs)
    assert a["process"] == "w" and a["n_jets"] == 40 and a["seed"] == 3
    assert len(a["chunk_seeds"]) == 4 and len(set(a["chunk_seeds"].tolist())) == 4
    settings = " ".join(json.loads(a["pythia_settings"]))
    assert "PhaseSpace:pTHatMin = 500" in settings and "WeakDoubleBoson:ffbar2ZW = on" in settings
    assert '"pythia8mc": "8.317.2"' in a["versions"]
    cutflow = json.loads(a["cutflow"])
    assert cutflow["events"] == a["n_events"] >= cutflow["mass window"] >= 40


# ------------------------------------------------------------ determinism and resumption

def test_same_seed_same_file_for_any_worker_count(tmp_path, w_file):
    out = jetgen.generate_jets("w", out=tmp_path / "w2.h5", workers=2, progress=False, **W_ARGS)
    assert filecmp.cmp(out, w_file, shallow=False)
    assert not jetgen.parts_dir(out).exists()
    other = jets.load_jets(jetgen.generate_jets("w", 10, tmp_path / "s4.h5", seed=4,
                                                chunk_size=10, workers=1, progress=False),
                           split="all")
    first = jets.load_jets(w_file, split="all", n=10)
    assert not np.allclose(other.jet_pt, first.jet_pt)


def test_resume_after_the_process_is_killed(tmp_path, w_file):
    out = tmp_path / "killed.h5"
    parts = jetgen.parts_dir(out)
    cmd = [sys.executable, "-m", "latentdims.data.jets", "generate", "--process", "w",
           "--n", str(W_ARGS["n"]), "--seed", str(W_ARGS["seed"]), "--chunk-size",
           str(W_ARGS["chunk_size"]), "--workers", "1", "--no-progress", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not list(parts.glob("chunk_*.h5")):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "no chunk written within 120 s"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()                      # never a partial result under the final name
    written = sorted(parts.glob("chunk_*.h5"))
    assert 1 <= len(written) < 4
    jetgen.generate_jets("w", out=out, workers=1, progress=False, **W_ARGS)
    assert filecmp.cmp(out, w_file, shallow=False)
    assert not parts.exists()


def test_resume_after_an_exception_reuses_finished_chunks(tmp_path, w_file, monkeypatch):
    out = tmp_path / "w.h5"
    real = jetgen.generate_chunk
    calls = []

    def flaky(config, n_jets, seed):
        calls.append(seed)
        if len(calls) == 3:
            raise RuntimeError("injected failure")
        return real(config, n_jets, seed)

    monkeypatch.setattr(jetgen, "generate_chunk", flaky)
    with pytest.raises(RuntimeError, match="injected failure"):
        jetgen.generate_jets("w", out=out, workers=1, progress=False, **W_ARGS)
    assert not out.exists()
    assert len(list(jetgen.parts_dir(out).glob("chunk_*.h5"))) == 2
    # Another run's arguments are refused rather than mixed with these chunks.
    with pytest.raises(ValueError, match="holds chunks of another run"):
        jetgen.generate_jets("w", out=out, workers=1, progress=False,
                             **{**W_ARGS, "seed": 99})
    monkeypatch.setattr(jetgen, "generate_chunk", real)
    calls.clear()
    jetgen.generate_jets("w", out=out, workers=1, progress=False, **W_ARGS)
    assert filecmp.cmp(out, w_file, shallow=False)


def test_existing_output_and_bad_arguments_are_refused(tmp_path, w_file):
    with pytest.raises(FileExistsError, match="overwrite"):
        jetgen.generate_jets("w", 10, w_file, progress=False)
    with pytest.raises(ValueError, match="unknown `process` 'z'.*'w', 'top', 'qcd'"):
        jetgen.generate_jets("z", 10, tmp_path / "z.h5")
    with pytest.raises(ValueError, match="`n` must be >= 1"):
        jetgen.generate_jets("w", 0, tmp_path / "z.h5")
    with pytest.raises(TypeError, match="unknown field"):
        jetgen.generator_config("w", pthat=3)
    with pytest.raises(SystemExit):
        jets.main(["generate", "--process", "z", "--n", "5", "--out", str(tmp_path / "z.h5")])


def test_cli_info(w_file, capsys):
    assert jets.main(["info", str(w_file)]) == 0
    text = capsys.readouterr().out
    assert "40 w jets" in text and "particles: (40, 50, 4)" in text


# ------------------------------------------------------------------------ loading

def test_splits_partition_the_file(w_file):
    parts = [jets.load_jets(w_file, split=s) for s in ("train", "valid", "test")]
    assert [len(p) for p in parts] == [33, 4, 3]
    whole = jets.load_jets(w_file, split="all")
    np.testing.assert_array_equal(np.concatenate([p.jet_pt for p in parts]), whole.jet_pt)
    assert len(jets.load_jets(w_file, split="train", n=5)) == 5
    assert jets.split_slice(600_000, "train") == slice(0, 500_000)
    with pytest.raises(ValueError, match="asked for n = 34 jets but the 'train' split holds 33"):
        jets.load_jets(w_file, n=34)
    with pytest.raises(ValueError, match="unknown `split` 'training'"):
        jets.load_jets(w_file, split="training")


def test_centred_loading(w_file, w_sample):
    c = jets.load_jets(w_file, split="all", centred=True)
    centroid = np.einsum("np,npk->nk", c.weights, c.points)
    np.testing.assert_allclose(centroid, 0, atol=1e-12)
    assert np.all(c.points[~c.masks] == 0) and c.centred
    # Centring is a translation: pairwise (eta, phi) differences are unchanged.
    d0 = w_sample.points[:, 0] - w_sample.points[:, 1]
    d1 = c.points[:, 0] - c.points[:, 1]
    np.testing.assert_allclose(d1[:, 0], d0[:, 0], atol=1e-12)
    np.testing.assert_allclose(wrap_phi(d1[:, 1] - d0[:, 1]), 0, atol=1e-12)


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="load_jets: no file .*generate"):
        jets.load_jets(tmp_path / "missing.h5")
    bad = tmp_path / "bad.h5"
    with h5py.File(bad, "w") as f:
        f["foo"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"lacks the dataset\(s\) \['particles'"):
        jets.load_jets(bad)
    with h5py.File(bad, "w") as f:
        f["particles"] = np.ones((6, 50, 3))
        for k in ("jet_pt", "jet_eta", "jet_phi", "jet_mass"):
            f[k] = np.ones(6)
    with pytest.raises(ValueError, match=r"must have shape \(N, P, 4\).*got \(6, 50, 3\)"):
        jets.load_jets(bad)
    with h5py.File(bad, "w") as f:
        part = np.zeros((6, 50, 4))
        part[:, 0] = [500.0, 0.0, 0.0, 500.0]
        part[2, 0, 1] = np.nan
        f["particles"] = part
        for k in ("jet_pt", "jet_eta", "jet_phi", "jet_mass"):
            f[k] = np.ones(6)
    with pytest.raises(ValueError, match=r"load_jets: `eta` contains 1 non-finite value.*\(2, 0\)"):
        jets.load_jets(bad, split="all")
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(ValueError, match="not a readable HDF5 file"):
        jets.load_jets(tmp_path / "text.h5")


def _jetnet_file(path, n_part, n_jets=4, type_column=False):
    rng = np.random.default_rng(0)
    pf = np.zeros((n_jets, n_part, 4), dtype=np.float32)
    for j in range(n_jets):
        k = min(5 + 3 * j, n_part)
        pt = np.sort(rng.uniform(0.01, 0.3, k))[::-1]
        pf[j, :k] = np.stack([rng.normal(0, .2, k), rng.normal(0, .2, k), pt / pt.sum(),
                              np.ones(k)], axis=1)
    jf = np.stack([rng.uniform(500, 600, n_jets), rng.normal(0, 1, n_jets),
                   rng.uniform(50, 100, n_jets), (5 + 3 * np.arange(n_jets))], axis=1)
    if type_column:
        jf = np.concatenate([np.full((n_jets, 1), 3.0), jf], axis=1)
    with h5py.File(path, "w") as f:
        f["particle_features"] = pf
        f["jet_features"] = jf
    return pf, jf[:, -4:]


@pytest.mark.parametrize("n_part,type_column", [(30, False), (150, True)])
def test_read_jetnet(tmp_path, n_part, type_column):
    pf, jf = _jetnet_file(tmp_path / "t.hdf5", n_part, type_column=type_column)
    s = jets.read_jetnet(tmp_path / "t.hdf5")
    assert s.weights.shape == (4, 50) and s.centred and s.jet_phi is None
    np.testing.assert_allclose(s.weights.sum(axis=1), 1.0)
    np.testing.assert_allclose(s.ht, jf[:, 0], rtol=1e-6)       # pT_rel summed to 1
    np.testing.assert_array_equal(s.multiplicity, 5 + 3 * np.arange(4))
    np.testing.assert_allclose(s.points[0, :5], pf[0, :5, :2], rtol=1e-6)
    np.testing.assert_allclose(s.jet_mass, jf[:, 2])
    assert len(jets.read_jetnet(tmp_path / "t.hdf5", n=2, n_particles=6)) == 2
    assert jets.read_jetnet(tmp_path / "t.hdf5", n_particles=6).weights.shape == (4, 6)


def test_read_jetnet_errors(tmp_path):
    with h5py.File(tmp_path / "x.h5", "w") as f:
        f["particle_features"] = np.zeros((2, 30, 3))
        f["jet_features"] = np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"'particle_features' must have shape \(N, P, 4\)"):
        jets.read_jetnet(tmp_path / "x.h5")
    with h5py.File(tmp_path / "y.h5", "w") as f:
        f["jets"] = np.zeros((2, 4))
    with pytest.raises(ValueError, match="lacks the dataset 'particle_features'"):
        jets.read_jetnet(tmp_path / "y.h5")


def _pandas_file(path, key="particles", n=3):
    # n jets in the original layout: pT0, eta0, phi0, E0, ..., E49; two massless particles
    # of 50 GeV at eta = 0, phi = +-0.5, then zero padding.
    cols = {}
    for i in range(50):
        on = i < 2
        cols[f"pT{i}"] = [50.0 if on else 0.0] * n
        cols[f"eta{i}"] = [0.0] * n
        cols[f"phi{i}"] = [(0.5 if i == 0 else -0.5) if on else 0.0] * n
        cols[f"E{i}"] = [50.0 if on else 0.0] * n
    pd.DataFrame(cols).to_hdf(path, key=key)


def test_read_pandas_jets(tmp_path):
    _pandas_file(tmp_path / "orig.h5")
    s = jets.read_pandas_jets(tmp_path / "orig.h5")
    assert len(s) == 3 and s.weights.shape == (3, 50)
    np.testing.assert_allclose(s.weights[:, :2], 0.5)
    np.testing.assert_allclose(s.jet_mass, np.sqrt(2 * 50 * 50 * (1 - np.cos(1.0))))
    np.testing.assert_allclose(s.jet_pt, 100 * np.cos(0.5))
    np.testing.assert_allclose(s.points[0, 2:], 0.0, atol=1e-12)     # padding on the jet axis
    c = jets.read_pandas_jets(tmp_path / "orig.h5", centred=True, n=1)
    np.testing.assert_allclose(c.points[0, :2], [[0, 0.5], [0, -0.5]], atol=1e-12)


def test_read_pandas_errors(tmp_path):
    _pandas_file(tmp_path / "orig.h5", key="jets")
    with pytest.raises(ValueError, match=r"has no key 'particles'; it holds \['jets'\]"):
        jets.read_pandas_jets(tmp_path / "orig.h5")
    pd.DataFrame({"pT0": [1.0], "eta0": [0.0]}).to_hdf(tmp_path / "cols.h5", key="particles")
    with pytest.raises(ValueError, match="missing .*phi0"):
        jets.read_pandas_jets(tmp_path / "cols.h5")
    with pytest.raises(FileNotFoundError, match="read_pandas_jets: no file"):
        jets.read_pandas_jets(tmp_path / "nope.h5")


# ------------------------------------------------------------------------ profiles

def test_jet_sample_generates_once_then_reuses(monkeypatch, tmp_path):
    tiny = jet_samples.JetSampleSettings("smoke", n_w=12, n_other=12, chunk_size=6)
    s = jet_samples.jet_sample("w", tiny, seed=2, split="all", workers=1, progress=False)
    path = jet_samples.jet_sample_path("w", tiny, seed=2)
    assert path.parent == tmp_path / "data" / "jets" and path.exists() and len(s) == 12

    def refuse(*args, **kwargs):
        raise AssertionError("regenerated a cached sample")

    monkeypatch.setattr(jet_samples, "generate_jets", refuse)
    again = jet_samples.jet_sample("w", tiny, seed=2, split="all")
    np.testing.assert_array_equal(again.weights, s.weights)
    assert jet_samples.jet_sample_path("w", tiny, seed=3) != path
    with pytest.raises(TypeError, match="`samples` must be a JetSampleSettings"):
        jet_samples.jet_sample("w", "smoke")
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        jet_samples.sample_settings("fast")


def test_generated_files_carry_checksums_and_a_flipped_byte_is_an_error(tmp_path, w_file):
    with h5py.File(w_file, "r") as f:
        assert all(f[k].fletcher32 for k in f.keys())
        chunk = f["particles"].id.get_chunk_info(0)
    damaged = tmp_path / "w.h5"
    raw = bytearray(w_file.read_bytes())
    raw[chunk.byte_offset + chunk.size // 2] ^= 0x01
    damaged.write_bytes(bytes(raw))
    with pytest.raises(jets.DamagedFileError, match=r"load_jets: reading '.*w.h5' failed .*"
                                                    r"damaged.*generate it again"):
        jets.load_jets(damaged, split="all")


def test_a_damaged_generated_sample_is_set_aside_and_generated_again(tmp_path):
    tiny = jet_samples.JetSampleSettings("smoke", n_w=6, n_other=6, chunk_size=6)
    first = jet_samples.jet_sample("w", tiny, split="all", workers=1, progress=False)
    path = jet_samples.jet_sample_path("w", tiny)
    path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])        # a truncated copy
    with pytest.warns(UserWarning, match=r"not a readable HDF5 file.*moved aside to "
                                         r"'.*\.damaged-.*generated again"):
        again = jet_samples.jet_sample("w", tiny, split="all", workers=1, progress=False)
    np.testing.assert_array_equal(again.weights, first.weights)
    assert len(list(path.parent.glob(path.name + ".damaged-*"))) == 1


def _refuse(*args, **kwargs):
    raise AssertionError("generated a sample although a real file is there")


@pytest.mark.parametrize("layout,name", [("latentdims", "w-paper.h5"), ("latentdims", "w.h5"),
                                         ("pandas", "w.h5"), ("jetnet", "w150.hdf5"),
                                         ("jetnet", "w.hdf5")])
def test_jet_sample_uses_a_real_file_of_every_layout(tmp_path, monkeypatch, capsys, w_file,
                                                    layout, name):
    folder = tmp_path / "data" / "jets"        # $LATENTDIMS_DATA/jets in the tests (conftest)
    folder.mkdir(parents=True)
    real = folder / name
    if layout == "latentdims":
        shutil.copyfile(w_file, real)          # 40 jets in this project's layout
    elif layout == "pandas":
        _pandas_file(real, n=40)
    else:
        _jetnet_file(real, 150 if "150" in name else 30, n_jets=40)
    tiny = jet_samples.JetSampleSettings("smoke", n_w=24, n_other=24, chunk_size=6)
    monkeypatch.setattr(jet_samples, "generate_jets", _refuse)
    assert jet_samples.real_jet_file("w") == real and jet_samples.real_jet_file("top") is None
    assert jet_samples.jet_sample_path("w", tiny) == real
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # JetNet: "centred although `centred` is False"
        train = jet_samples.jet_sample("w", tiny, split="train")
        every = jet_samples.jet_sample("w", tiny, split="all")
        test = jet_samples.jet_sample("w", tiny, split="test", n=2)
    said = capsys.readouterr().out
    assert said.count("jet_sample: 'w' jets from the real file") == 1       # said once
    assert f"'{real}' ({layout} layout, the first 24 of 40 jets)" in said
    assert (len(train), len(every), len(test)) == (20, 24, 2)
    assert train.info["layout"] == layout and train.process == "w" and train.split == "train"
    np.testing.assert_array_equal(train.weights, every.weights[:20])
    np.testing.assert_array_equal(test.weights, every.weights[22:24])
    if layout == "latentdims":
        np.testing.assert_array_equal(every.weights, jets.load_jets(w_file, n=24, split="all").weights)
    with pytest.raises(ValueError, match="asked for n = 5 jets but the 'test' split of .* holds 2"
                       ), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        jet_samples.jet_sample("w", tiny, split="test", n=5)
    # the other processes are still generated
    assert jet_samples.jet_sample_path("top", tiny).name.startswith("top-smoke-seed0-")


def test_jet_cache_keys_record_the_data_source(tmp_path, w_file):
    from latentdims.core.cache import config_key
    from latentdims.studies import jet_vae
    cfg = jet_vae.settings("smoke")
    generated = jet_samples.jet_sample_identity("w", cfg.samples)
    assert generated == "w-smoke-seed0-6f9d745d2b.h5"      # deterministic, the keys' old spelling
    key = config_key(jet_vae._run_config(cfg.uncent, 0))
    folder = tmp_path / "data" / "jets"
    folder.mkdir(parents=True)
    shutil.copyfile(w_file, folder / "w.h5")
    real = jet_samples.jet_sample_identity("w", cfg.samples)
    assert real.startswith("real file w.h5 (") and "sha256 of the first MiB" in real
    assert config_key(jet_vae._run_config(cfg.uncent, 0)) != key
    (folder / "w.h5").unlink()
    _pandas_file(folder / "w.h5", n=40)                  # replaced by another file, same name
    assert jet_samples.jet_sample_identity("w", cfg.samples) != real


def test_profile_sizes():
    assert jet_samples.sample_settings("paper").n_jets("w") == 600_000
    assert jet_samples.sample_settings("quick").n_jets("w") == 20_000
    assert jet_samples.sample_settings("quick").n_jets("qcd") == 10_000
    assert jet_samples.sample_settings("smoke").n_jets("top") <= 500


def test_smoke_sample_file_names_are_stable():
    """The smoke samples' names (hash of generator configuration, size and seed) as generated before
    the settings objects: a change here re-generates every sample, so it must be deliberate."""
    smoke = jet_samples.sample_settings("smoke")
    names = {p: jet_samples.jet_sample_path(p, smoke).name for p in ("w", "top", "qcd")}
    assert names == {"w": "w-smoke-seed0-6f9d745d2b.h5", "top": "top-smoke-seed0-8d29d2e3f1.h5",
                     "qcd": "qcd-smoke-seed0-08ecde1478.h5"}


# ------------------------------------------------------------------------ observables

def test_centring_is_invariant_to_translations_across_the_seam():
    rng = np.random.default_rng(1)
    w = rng.uniform(0.1, 1, (5, 8))
    base = np.stack([rng.normal(0, 0.3, (5, 8)), rng.normal(0, 0.3, (5, 8))], axis=-1)
    shifted = base + np.array([1.3, np.pi - 0.05])             # straddles phi = pi
    shifted[..., 1] = wrap_phi(shifted[..., 1])
    np.testing.assert_allclose(jets.centre_jets(w, shifted), jets.centre_jets(w, base),
                               atol=1e-12)
    c = jets.weighted_centroid(w, shifted)
    np.testing.assert_allclose(wrap_phi(c[:, 1] - (np.pi - 0.05))
                               - jets.weighted_centroid(w, base)[:, 1], 0, atol=1e-12)


def test_observable_errors():
    with pytest.raises(ValueError, match="weights` must be non-negative; got min -1"):
        jets.centre_jets([[1.0, -1.0]], [[[0, 0], [0, 0]]])
    with pytest.raises(ValueError, match="jet 1 has no particle with positive weight"):
        jets.n_subjettiness([[1.0, 0.0], [0.0, 0.0]], np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match=r"`points` must have shape \(1, 2, 2\)"):
        jets.merge_nearby([[1.0, 1.0]], np.zeros((1, 3, 2)))
    with pytest.raises(ValueError, match="must be massive"):
        jets.rest_frame_angles([[1.0, 0, 0, 1.0]], [[1.0, 0, 0, 1.0]])


def test_merge_nearby_conserves_weight_and_separates_merged_particles():
    rng = np.random.default_rng(2)
    w = rng.uniform(0, 1, (3, 50))
    p = rng.normal(0, 0.05, (3, 50, 2))
    mw, mp, mm = jets.merge_nearby(w, p, radius=0.02)
    np.testing.assert_allclose(mw.sum(axis=1), w.sum(axis=1))
    assert np.all(mm.sum(axis=1) < 50) and np.all(np.diff(mw, axis=1) <= 0)
    for j in range(3):
        q = mp[j, mm[j]]
        d = np.hypot(*(q[:, None] - q[None]).transpose(2, 0, 1))
        # Merged centres are not all farther apart than the radius (greedy, weighted means),
        # but none of them coincide, and a zero radius merges nothing.
        assert np.all(d[np.triu_indices(len(q), 1)] > 0)
    assert np.all(jets.merge_nearby(w, p, radius=0.0)[2].sum(axis=1) == 50)


def test_n_subjettiness_closed_forms():
    # Three equal particles on a line at -0.3, 0, 0.3: one axis at the middle gives
    # tau1 = (0.3 + 0 + 0.3) / 3 = 0.2; with three axes tau3 = 0.
    w = np.ones((2, 3))
    p = np.zeros((2, 3, 2))
    p[0, :, 1] = [-0.3, 0.0, 0.3]
    p[1, :, 0] = [-0.3, 0.0, 0.3]
    tau = jets.n_subjettiness(w, p, n_axes=(1, 3))
    np.testing.assert_allclose(tau, [[0.2, 0.0], [0.2, 0.0]], atol=1e-6)
    # R0 normalises: tau scales as 1 / R0.
    np.testing.assert_allclose(jets.n_subjettiness(w, p, n_axes=1, r0=0.5), 2 * tau[:, :1],
                               atol=1e-6)


def test_rest_frame_angles_of_back_to_back_daughters():
    # A random massive parent decaying into two massless daughters: in its rest frame they are
    # back to back, so theta1 + theta2 = pi and their azimuths differ by pi.
    rng = np.random.default_rng(3)
    n, m = 20, 80.0
    direction = rng.normal(size=(n, 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    star = np.concatenate([m / 2 * direction, np.full((n, 1), m / 2)], axis=1)
    pvec = rng.normal(0, 300, (n, 3))
    e = np.sqrt(m**2 + np.sum(pvec**2, axis=1))
    b = pvec / e[:, None]
    gamma = e / m

    def boost(p4):          # rest frame -> lab, velocity b
        bp = np.sum(b * p4[:, :3], axis=1)
        vec = p4[:, :3] + (gamma**2 / (gamma + 1) * bp + gamma * p4[:, 3])[:, None] * b
        return np.concatenate([vec, (gamma * (p4[:, 3] + bp))[:, None]], axis=1)

    d1, d2 = boost(star), boost(star * np.array([-1, -1, -1, 1]))
    parent = np.concatenate([pvec, e[:, None]], axis=1)
    np.testing.assert_allclose(d1 + d2, parent, atol=1e-9)
    t1, p1 = jets.rest_frame_angles(parent, d1)
    t2, p2 = jets.rest_frame_angles(parent, d2)
    np.testing.assert_allclose(t1 + t2, np.pi, atol=1e-9)
    np.testing.assert_allclose(np.abs(wrap_phi(p1 - p2)), np.pi, atol=1e-7)
    np.testing.assert_allclose(np.cos(t1), np.sum(direction * pvec, axis=1)
                               / np.linalg.norm(pvec, axis=1), atol=1e-9)


def test_a_failing_worker_is_reported_and_its_log_shown(tmp_path):
    config = jetgen.generator_config("w", extra_settings=("NoSuch:setting = 1",), chunk_size=2)
    with pytest.raises(RuntimeError, match="Pythia refused the setting 'NoSuch:setting = 1'"):
        jetgen.generate_jets(config, 2, tmp_path / "a.h5", workers=1, progress=False)
    with pytest.raises(RuntimeError, match=r"(?s)worker \d failed.*NoSuch:setting.*resume"):
        jetgen.generate_jets(config, 4, tmp_path / "b.h5", workers=2, progress=False)
    assert not (tmp_path / "b.h5").exists()


@pytest.mark.parametrize("process", ["w", "qcd"])     # qcd: often two jets above 500 GeV
def test_vectorised_batch_analysis_matches_a_per_event_reference(process):
    # _analyse_batch works on flat NumPy columns of the whole batch (issue 14: speed); an
    # independent per-event reference with FastJet's classic PseudoJet interface must select
    # the same events, the same leading jet and constituents, and the same 50 hardest subjets.
    import awkward as ak
    from latentdims.data.jetobs import import_fastjet
    fastjet = import_fastjet()
    config = jetgen.generator_config(process)
    cuts = config.cuts
    batch = jetgen._make_pythia(config, 11).nextBatch(40, 10.0)
    arrays, flow = jetgen._analyse_batch(config, batch, ak, fastjet)
    assert flow["events"] == 40 and arrays is not None and len(arrays["jet_pt"]) == flow["mass window"]

    def p4s(jets):
        return np.array([[j.px(), j.py(), j.pz(), j.E()] for j in jets])

    fat = fastjet.JetDefinition(fastjet.antikt_algorithm, config.jet_radius)
    sub = fastjet.JetDefinition(fastjet.antikt_algorithm, config.subjet_radius)
    rows = []
    for event in batch["prt"]:
        pid, status = np.asarray(event["id"]), np.asarray(event["status"])
        p = np.stack([np.asarray(event["p"][c]) for c in ("px", "py", "pz", "e")], axis=1)
        pt = np.hypot(p[:, 0], p[:, 1])
        visible = [i for i in range(len(pid)) if status[i] > 0 and abs(pid[i]) not in (12, 14, 16)
                   and pt[i] > 0 and abs(np.arcsinh(p[i, 2] / pt[i])) < 5.0]
        cs = fastjet.ClusterSequence([fastjet.PseudoJet(*map(float, p[i])) for i in visible], fat)
        hard = fastjet.sorted_by_pt(cs.inclusive_jets(config.cuts.pt_min))
        if not hard:
            continue
        lead = hard[0]
        if not (lead.pt() < cuts.pt_max and abs(lead.eta()) < cuts.abs_eta_max
                and (cuts.mass_min is None or cuts.mass_min < lead.m() < cuts.mass_max)):
            continue
        const = lead.constituents()
        subjets = fastjet.sorted_by_pt(fastjet.ClusterSequence(
            [fastjet.PseudoJet(c.px(), c.py(), c.pz(), c.E()) for c in const], sub).inclusive_jets())
        rows.append((lead, len(const), p4s(subjets)))
    assert len(rows) == len(arrays["jet_pt"]) >= 5
    for j, (lead, n_const, s) in enumerate(rows):
        np.testing.assert_allclose([arrays["jet_pt"][j], arrays["jet_mass"][j]], [lead.pt(), lead.m()],
                                   rtol=1e-9)
        assert arrays["n_constituents"][j] == n_const and arrays["n_subjets"][j] == len(s)
        s_pt = np.hypot(s[:, 0], s[:, 1])[:50]
        np.testing.assert_allclose(arrays["particles"][j, :len(s_pt), 0], s_pt, rtol=1e-6)
        np.testing.assert_allclose(arrays["particles"][j, :len(s_pt), 3], s[:50, 3], rtol=1e-6)
        assert np.all(arrays["particles"][j, len(s_pt):] == 0)
