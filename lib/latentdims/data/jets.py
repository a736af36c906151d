"""Real jet samples for the EMD-VAE: files read into one ready-to-use form.

(The samples of a profile, generated once and kept under ``data_dir() / "jets"``, are
:func:`latentdims.studies.jet_samples.jet_sample`.)

* :func:`load_jets` -- a generated HDF5 file as a :class:`JetSample`: weights ``pT / H_T`` that
  sum to 1, (eta, phi) points, masks, ``H_T`` and the per-jet truth.
* :func:`read_jetnet`, :func:`read_pandas_jets` -- the public JetNet files and the original
  analysis' pandas-HDF layout, as the same :class:`JetSample`.
* :func:`jet_file_layout`, :func:`read_jet_file` -- which of the three layouts a file holds, and
  any of them read by the right reader.

A damaged file (truncated, not HDF5, or with data that no longer match their checksums) raises
:class:`DamagedFileError`, a ``ValueError`` naming the file and saying what to do.  The files this
project writes carry HDF5's Fletcher-32 checksum on every dataset, so a flipped byte is found on
reading; files written elsewhere without checksums (JetNet's, pandas') are only checked where
they are compressed, and a flipped byte in uncompressed data of such a file cannot be detected.
* Observables (re-exported from :mod:`latentdims.data.jetobs`): :func:`jet_kinematics`,
  :func:`centre_jets`, :func:`n_subjettiness`, :func:`merge_nearby`, :func:`rest_frame_angles`.

Generation (Pythia 8 + FastJet) lives in :mod:`latentdims.data.jetgen`; its command line is
this module's::

    python -m latentdims.data.jets generate --process w --n 20000 --out w.h5 --workers 2 --seed 0
    python -m latentdims.data.jets info w.h5

The file format and the physics settings are described in the data card ``data/README.md``.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import h5py
import numpy as np

from latentdims.core import paths
from latentdims.core.validation import check_choice, check_finite, check_int
from latentdims.data.jetgen import (N_SUBJETS, PROCESSES, SPLIT_FRACTIONS, GeneratorConfig, generate_jets,
                     generator_config)
from latentdims.data.jetobs import (centre_jets, jet_kinematics, merge_nearby, n_subjettiness,
                     rest_frame_angles, weighted_centroid, wrap_phi)

__all__ = ["JetSample", "load_jets", "split_slice", "read_jetnet", "read_pandas_jets",
           "DamagedFileError", "jet_file_layout", "read_jet_file", "LAYOUTS",
           "generate_jets", "PROCESSES", "SPLITS", "SPLIT_FRACTIONS",
           "jet_kinematics", "centre_jets", "weighted_centroid", "n_subjettiness",
           "merge_nearby", "rest_frame_angles", "wrap_phi", "main"]

SPLITS = ("train", "valid", "test", "all")
LAYOUTS = ("latentdims", "jetnet", "pandas")
_ADVICE = ("if it is a generated sample, delete it and generate it again (jet_sample does so by "
           "itself for a profile's samples); if you downloaded it, download it again")


class DamagedFileError(ValueError):
    """A jet file that cannot be read: truncated, not HDF5, or data that do not match their
    checksums (or their compression); the message names the file and what to do."""


@dataclass(frozen=True)
class JetSample:
    """Jets as weighted point clouds, with their per-jet metadata.

    Attributes
    ----------
    weights : ndarray, shape (N, P), float64
        ``pT / H_T`` of each particle (subjet); each row sums to 1, padding slots are 0.
    points : ndarray, shape (N, P, 2), float64
        (eta, phi) of each particle.  Padding sits at the jet axis (uncentred) or at (0, 0)
        (centred), as in the original analysis.
    masks : ndarray, shape (N, P), bool
        True for real particles.
    ht : ndarray, shape (N,)
        :math:`H_T = \\sum_i p_{T,i}` [GeV] of the stored particles; the papers convert
        :math:`\\hat\\beta` to GeV with :math:`\\langle H_T\\rangle`.
    jet_pt, jet_eta, jet_phi, jet_mass : ndarray, shape (N,)
        The R = 1.0 jet (all constituents) [GeV, -, rad, GeV]; ``jet_phi`` is None for JetNet.
    energies : ndarray, shape (N, P) or None
        Particle energies [GeV] where the source stores them.
    n_constituents : ndarray, shape (N,) or None
        Particles in the R = 1.0 jet before reclustering.
    tau : ndarray, shape (N, 3) or None
        N-subjettiness tau_1, tau_2, tau_3 of all constituents (see ``jetobs.n_subjettiness``).
    decay_theta, decay_phi : ndarray, shape (N,) or None
        Truth W decay angles of the quark in the W rest frame (W and top jets).
    partons : ndarray, shape (N, 4, 4) or None
        Truth parton four-momenta (px, py, pz, E) [GeV]; rows named by ``info["parton_roles"]``.
    parton_ids : ndarray, shape (N, 4) or None
        Their PDG ids (0: empty row).
    pthat : ndarray, shape (N,) or None
        pT of the generated hard process [GeV] (the generator cut is 500 < pTHat < 700).
    process, split : str
    centred : bool
    info : dict
        The source file's attributes (generator settings, cuts, seeds, counts).
    """
    weights: np.ndarray
    points: np.ndarray
    masks: np.ndarray
    ht: np.ndarray
    jet_pt: np.ndarray
    jet_eta: np.ndarray
    jet_phi: np.ndarray | None
    jet_mass: np.ndarray
    energies: np.ndarray | None = None
    n_constituents: np.ndarray | None = None
    tau: np.ndarray | None = None
    decay_theta: np.ndarray | None = None
    decay_phi: np.ndarray | None = None
    partons: np.ndarray | None = None
    parton_ids: np.ndarray | None = None
    pthat: np.ndarray | None = None
    process: str = ""
    split: str = "all"
    centred: bool = False
    info: Mapping[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.weights)

    @property
    def pt(self) -> np.ndarray:
        """Particle pT [GeV], shape (N, P)."""
        return self.weights * self.ht[:, None]

    @property
    def multiplicity(self) -> np.ndarray:
        """Stored particles per jet (at most P), shape (N,)."""
        return self.masks.sum(axis=1)

    @property
    def tau21(self) -> np.ndarray | None:
        """:math:`\\tau_2/\\tau_1`, shape (N,), or None without ``tau``."""
        return None if self.tau is None else self.tau[:, 1] / self.tau[:, 0]

    def take(self, index) -> "JetSample":
        """The jets at ``index`` (an integer array, a boolean mask or a slice)."""
        changes = {f.name: getattr(self, f.name)[index] for f in dataclasses.fields(self)
                   if isinstance(getattr(self, f.name), np.ndarray)}
        return dataclasses.replace(self, **changes)


def _sample_from_particles(pt, eta, phi, *, energies=None, centred: bool, axis=None,
                           recentre: bool | None = None, **meta) -> JetSample:
    """Build a :class:`JetSample`: normalise the weights, mask and place the padding.

    ``recentre`` (default: ``centred``) moves the weighted centroids to (0, 0); without it the
    padding goes to ``axis`` (default: the centroid).
    """
    func = meta.pop("source_func", "load_jets")
    for name, arr in (("pT", pt), ("eta", eta), ("phi", phi)):
        check_finite(np.asarray(arr), name=name, func=func)       # a corrupt file, not a NaN later
    masks = pt > 0                    # zero (or negative) pT: padding
    empty = ~masks.any(axis=1)
    if np.any(empty):
        raise ValueError(f"{func}: jet {int(np.argmax(empty))} has no particle with pT > 0 "
                         f"({int(empty.sum())} empty jet(s)); remove empty rows from the file.")
    pt = np.where(masks, pt, 0.0)
    ht = pt.sum(axis=1)
    weights = pt / ht[:, None]
    points = np.stack([eta, phi], axis=-1)
    if centred if recentre is None else recentre:
        points = centre_jets(weights, points, masks)
    else:
        if axis is None:
            axis = weighted_centroid(weights, points, masks)
        points = np.where(masks[..., None], points, axis[:, None, :])
    return JetSample(weights=weights, points=points, masks=masks, ht=ht, energies=energies,
                     centred=centred, **meta)


def _open_h5(path: Path, func: str) -> h5py.File:
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise DamagedFileError(f"{func}: {str(path)!r} is not a readable HDF5 file ({exc}); "
                               f"{_ADVICE}.") from exc


@contextlib.contextmanager
def _reading(path: Path, func: str):
    """Turn HDF5's read errors (a Fletcher-32 checksum or a compressed block that does not
    match, a truncated dataset) into a :class:`DamagedFileError` naming ``path``."""
    try:
        yield
    except OSError as exc:
        raise DamagedFileError(f"{func}: reading {str(path)!r} failed ({exc}): the file is "
                               f"damaged (its data do not match their checksum or compression, "
                               f"or it is truncated); {_ADVICE}.") from exc


def _check_file(path, func: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{func}: no file {str(path)!r}. Generate one with `python -m latentdims.data.jets "
            f"generate --process w --n N --out {path}` or ask for a profile with `jet_sample`.")
    return path


def split_slice(n_total: int, split: str) -> slice:
    """The contiguous range of ``split`` in a file of ``n_total`` jets.

    Train is the first 5/6, then validation and test 1/12 each (the papers: 5e5 of 6e5 for
    training, the rest for validation and testing).

    >>> split_slice(600_000, "train"), split_slice(600_000, "test")
    (slice(0, 500000, None), slice(550000, 600000, None))
    """
    check_choice(split, SPLITS, name="split", func="split_slice")
    n_train = int(round(n_total * SPLIT_FRACTIONS["train"]))
    n_valid = int(round(n_total * (SPLIT_FRACTIONS["train"] + SPLIT_FRACTIONS["valid"]))) - n_train
    return {"train": slice(0, n_train), "valid": slice(n_train, n_train + n_valid),
            "test": slice(n_train + n_valid, n_total), "all": slice(0, n_total)}[split]


def _take_first(sl: slice, n: int | None, func: str, what: str) -> slice:
    available = sl.stop - sl.start
    if n is None:
        return sl
    n = check_int(n, name="n", func=func, minimum=1)
    if n > available:
        raise ValueError(f"{func}: asked for n = {n} jets but {what} holds {available}; ask for "
                         f"at most {available}, or generate a larger sample.")
    return slice(sl.start, sl.start + n)


_REQUIRED = ("particles", "jet_pt", "jet_eta", "jet_phi", "jet_mass")


def load_jets(path, n: int | None = None, split: str = "train", centred: bool = False
              ) -> JetSample:
    """Load a generated jet file (``python -m latentdims.data.jets generate``) for the VAE.

    Parameters
    ----------
    path : path
        The HDF5 file.
    n : int, optional
        The first ``n`` jets of the split (default: all of it).
    split : {'train', 'valid', 'test', 'all'}
        Contiguous ranges: the first 5/6 of the file, then 1/12 and 1/12 (the papers keep 5e5
        of 6e5 jets for training, ICLR paper App. A.1).
    centred : bool
        Translate each jet's pT-weighted centroid to (0, 0) (the VAE_cent input).

    Returns
    -------
    JetSample
        ``weights`` (N, 50) sum to 1, ``points`` (N, 50, 2) (eta, phi), ``masks`` (N, 50),
        ``ht`` (N,) and the per-jet metadata.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file lacks a dataset of the format or has a wrong shape, or ``n`` exceeds the
        split.
    """
    func = "load_jets"
    path = _check_file(path, func)
    check_choice(split, SPLITS, name="split", func=func)
    with _open_h5(path, func) as f, _reading(path, func):
        missing = [k for k in _REQUIRED if k not in f]
        if missing:
            raise ValueError(f"{func}: {str(path)!r} lacks the dataset(s) {missing} (it holds "
                             f"{sorted(f.keys())}); is it a JetNet or pandas file? Use "
                             f"read_jetnet / read_pandas_jets for those.")
        shape = f["particles"].shape
        if len(shape) != 3 or shape[2] != 4:
            raise ValueError(f"{func}: dataset 'particles' in {str(path)!r} must have shape "
                             f"(N, P, 4) (pT, eta, phi, E); got {shape}.")
        n_total = shape[0]
        sl = _take_first(split_slice(n_total, split), n, func, f"the {split!r} split")
        data = {k: f[k][sl] for k in f.keys()}
        info = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in f.attrs.items()}
    for key in ("cuts", "config", "cutflow", "pythia_settings", "versions", "parton_roles",
                "split_fractions"):
        if isinstance(info.get(key), str):
            try:
                info[key] = json.loads(info[key])
            except ValueError as exc:
                raise DamagedFileError(f"{func}: the attribute {key!r} of {str(path)!r} is not "
                                       f"JSON ({exc}); {_ADVICE}.") from exc
    part = data["particles"].astype(np.float64)
    meta = {k: data[k] for k in ("jet_pt", "jet_eta", "jet_phi", "jet_mass")}
    for key in ("n_constituents", "tau", "decay_theta", "decay_phi", "partons", "parton_ids",
                "pthat"):
        meta[key] = data.get(key)
    energies = np.where(part[..., 0] > 0, part[..., 3], 0.0)
    axis = np.stack([data["jet_eta"], data["jet_phi"]], axis=-1)   # the original's padding
    return _sample_from_particles(part[..., 0], part[..., 1], part[..., 2], energies=energies,
                                  centred=centred, axis=axis, process=str(info.get("process", "")),
                                  split=split, info=info, **meta)


def _pad_hardest(pt, eta, phi, n_particles: int, energies=None):
    """Keep the ``n_particles`` hardest of each jet, zero-padded, hardest first."""
    order = np.argsort(-pt, axis=1, kind="stable")[:, :n_particles]
    take = lambda a: np.take_along_axis(a, order, axis=1)          # noqa: E731
    out = [take(a) for a in (pt, eta, phi)] + ([None] if energies is None else [take(energies)])
    if out[0].shape[1] < n_particles:
        width = n_particles - out[0].shape[1]
        out = [None if a is None else np.pad(a, ((0, 0), (0, width))) for a in out]
    keep = out[0] > 0
    return [None if a is None else np.where(keep, a, 0.0) for a in out]


def read_jetnet(path, n: int | None = None, *, n_particles: int = N_SUBJETS) -> JetSample:
    """Read a public JetNet HDF5 file (Kansal et al. 2021; Zenodo record 6975118 for 30
    particles per jet, and the 150-particle version with the same layout).

    The files hold ``particle_features`` (N, 30 or 150, 4) = (eta_rel, phi_rel, pT_rel, mask)
    and ``jet_features`` (N, 4) = (pT, eta, mass, n_particles) (a fifth leading column, the
    jet type, as written by the ``jetnet`` package, is accepted).  The particles are relative to
    the jet axis, so the sample is centred; the jet azimuth is not stored (``jet_phi`` None).

    Parameters
    ----------
    path : path
    n : int, optional
        The first ``n`` jets.
    n_particles : int
        Particles per jet in the result: the hardest are kept, or zeros padded (the VAE takes 50).
    """
    func = "read_jetnet"
    path = _check_file(path, func)
    n_particles = check_int(n_particles, name="n_particles", func=func, minimum=1)
    with _open_h5(path, func) as f, _reading(path, func):
        for key in ("particle_features", "jet_features"):
            if key not in f:
                raise ValueError(f"{func}: {str(path)!r} lacks the dataset {key!r} of the JetNet "
                                 f"format (it holds {sorted(f.keys())}).")
        pf, jf = f["particle_features"], f["jet_features"]
        if pf.ndim != 3 or pf.shape[2] != 4:
            raise ValueError(f"{func}: 'particle_features' must have shape (N, P, 4) "
                             f"(eta_rel, phi_rel, pT_rel, mask); got {pf.shape}.")
        if jf.ndim != 2 or jf.shape[1] not in (4, 5) or jf.shape[0] != pf.shape[0]:
            raise ValueError(f"{func}: 'jet_features' must have shape ({pf.shape[0]}, 4) "
                             f"(pT, eta, mass, n_particles) or ({pf.shape[0]}, 5) with the jet "
                             f"type first; got {jf.shape}.")
        sl = _take_first(slice(0, pf.shape[0]), n, func, "the file")
        parts = np.asarray(pf[sl], dtype=np.float64)
        jets = np.asarray(jf[sl], dtype=np.float64)[:, -4:]
    jet_pt = jets[:, 0]
    pt = np.where(parts[..., 3] > 0.5, parts[..., 2], 0.0) * jet_pt[:, None]
    pt, eta, phi, _ = _pad_hardest(pt, parts[..., 0], parts[..., 1], n_particles)
    # Already relative to the jet axis: keep JetNet's coordinates, padding on the axis.
    return _sample_from_particles(pt, eta, phi, centred=True, recentre=False,
                                  axis=np.zeros((len(pt), 2)), source_func=func,
                                  jet_pt=jet_pt, jet_eta=jets[:, 1], jet_phi=None,
                                  jet_mass=jets[:, 2], n_constituents=jets[:, 3].astype(np.int32),
                                  process="jetnet", split="all",
                                  info={"source": str(path), "format": "JetNet"})


def read_pandas_jets(path, n: int | None = None, *, key: str = "particles",
                     centred: bool = False) -> JetSample:
    """Read the original analysis' pandas-HDF layout: one row per jet, columns
    ``pT0, eta0, phi0, E0, ..., pT49, eta49, phi49, E49`` under the key ``particles``.

    Jet pT, eta, phi and mass are computed from the stored particles' four-momenta.

    Parameters
    ----------
    path : path
    n : int, optional
        The first ``n`` jets.
    key : str
        The pandas key.
    centred : bool
        Translate each jet's pT-weighted centroid to (0, 0).
    """
    func = "read_pandas_jets"
    path = _check_file(path, func)
    # pandas' HDFStore needs PyTables (the optional `jets` extra): imported only for this layout
    try:
        import pandas as pd
        import tables
    except ImportError as exc:   # pragma: no cover - PyTables is in the dependencies
        raise ImportError(f"{func}: reading pandas-HDF files needs PyTables (`pip install "
                          f"tables`); {exc}") from exc
    _open_h5(path, func).close()     # not HDF5 at all, or truncated: the same message as h5py's
    try:
        with pd.HDFStore(path, mode="r") as store:
            keys = [k.lstrip("/") for k in store.keys()]
            if key.lstrip("/") not in keys:
                hint = ("Pass key=... ." if keys else "It holds no pandas table: is it in "
                        "another layout? jet_file_layout(path) says which.")
                raise ValueError(f"{func}: {str(path)!r} has no key {key!r}; it holds {keys}. "
                                 f"{hint}")
            df = store[key]
    except (OSError, tables.HDF5ExtError) as exc:
        raise DamagedFileError(f"{func}: reading {str(path)!r} failed ({str(exc).strip()[:300]})"
                               f": the file is damaged or truncated; {_ADVICE}.") from exc
    except (TypeError, AttributeError, KeyError) as exc:   # a group that is no pandas object
        raise ValueError(f"{func}: the key {key!r} of {str(path)!r} is not a pandas table "
                         f"({type(exc).__name__}: {exc}); is the file in another layout? "
                         f"jet_file_layout(path) says which.") from exc
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{func}: the key {key!r} of {str(path)!r} holds a "
                         f"{type(df).__name__}, not a DataFrame of particle columns.")
    n_part = sum(1 for c in df.columns if str(c).startswith("pT") and str(c)[2:].isdigit())
    cols = {q: [f"{q}{i}" for i in range(n_part)] for q in ("pT", "eta", "phi", "E")}
    missing = [c for cs in cols.values() for c in cs if c not in df.columns]
    if n_part == 0 or missing:
        raise ValueError(f"{func}: the table {key!r} must have columns pT0, eta0, phi0, E0, ..., "
                         f"E{max(n_part - 1, 0)}; missing {missing[:8] or ['pT0', '...']} "
                         f"(found {list(df.columns)[:8]}...).")
    sl = _take_first(slice(0, len(df)), n, func, "the file")
    arr = {q: df[c].to_numpy(dtype=np.float64)[sl] for q, c in cols.items()}
    pt, eta, phi, e = _pad_hardest(arr["pT"], arr["eta"], arr["phi"], n_part, arr["E"])
    kin = jet_kinematics(pt, eta, phi, e)
    axis = np.stack([kin.eta, kin.phi], axis=-1)
    return _sample_from_particles(pt, eta, phi, energies=e, centred=centred, axis=axis,
                                  source_func=func, jet_pt=kin.pt, jet_eta=kin.eta,
                                  jet_phi=kin.phi, jet_mass=kin.mass, process="pandas",
                                  split="all", info={"source": str(path), "key": key})


def _pandas_rows(group: h5py.Group) -> int | None:
    """Rows of a pandas object stored by HDFStore (fixed or table format), read with h5py."""
    if "table" in group:
        return len(group["table"])
    if "axis1" in group:
        return len(group["axis1"])
    return None


def jet_file_layout(path) -> tuple[str, int | None]:
    """Which of :data:`LAYOUTS` the HDF5 file ``path`` holds, and its number of jets.

    * ``'latentdims'``: this project's files (``python -m latentdims.data.jets generate``),
      read by :func:`load_jets`;
    * ``'jetnet'``: ``particle_features`` and ``jet_features`` (:func:`read_jetnet`);
    * ``'pandas'``: the original analysis' pandas table under the key ``particles``
      (:func:`read_pandas_jets`).

    The number of jets is None where it cannot be read without pandas.

    Raises
    ------
    DamagedFileError
        If the file is no readable HDF5 file.
    ValueError
        If it holds none of the layouts (the message lists what it holds).
    """
    func = "jet_file_layout"
    path = _check_file(path, func)
    with _open_h5(path, func) as f, _reading(path, func):
        keys = sorted(f.keys())
        if "particle_features" in f and "jet_features" in f:
            return "jetnet", int(f["particle_features"].shape[0])
        part = f.get("particles")
        if isinstance(part, h5py.Dataset) and all(k in f for k in _REQUIRED):
            return "latentdims", int(part.shape[0])
        if isinstance(part, h5py.Group) and "pandas_type" in part.attrs:
            return "pandas", _pandas_rows(part)
    raise ValueError(f"{func}: {str(path)!r} holds {keys}, none of the layouts {LAYOUTS} "
                     f"(this project's datasets {list(_REQUIRED)}; JetNet's 'particle_features' "
                     f"and 'jet_features'; a pandas table under 'particles'); see data/README.md.")


def read_jet_file(path, *, n: int | None = None, centred: bool = False) -> JetSample:
    """Read the first ``n`` jets (at most: all of a smaller file) of a file in any of
    :data:`LAYOUTS`, with the reader :func:`jet_file_layout` points to.

    ``info`` of the result gains ``layout``, ``source`` (the path) and ``jets_in_file``; its
    ``split`` is ``'all'``.  JetNet files store particles relative to the jet axis: their jets are
    centred whatever ``centred`` says (a warning says so when ``centred`` is False).
    """
    func = "read_jet_file"
    if n is not None:
        n = check_int(n, name="n", func=func, minimum=1)
    layout, total = jet_file_layout(path)
    take = n if total is None or n is None else min(n, total)
    if layout == "latentdims":
        sample = load_jets(path, n=take, split="all", centred=centred)
    elif layout == "jetnet":
        if not centred:
            warnings.warn(f"{func}: {str(path)!r} is a JetNet file, whose particles are relative "
                          f"to the jet axis: its jets are centred although `centred` is False.",
                          stacklevel=2)
        sample = read_jetnet(path, n=take)
    else:
        sample = read_pandas_jets(path, centred=centred, n=take)
    info = {**sample.info, "layout": layout, "source": str(path),
            "jets_in_file": total if total is not None else len(sample)}
    return dataclasses.replace(sample, info=info)


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------

def _describe(path: Path) -> str:
    path = _check_file(path, "info")
    with _open_h5(path, "info") as f:
        lines = [f"{path}: {f.attrs.get('n_jets', '?')} {f.attrs.get('process', '?')} jets"]
        for key in ("seed", "chunk_size", "n_events", "sigma_gen_mb", "cuts", "cutflow",
                    "versions", "pythia_settings"):
            if key in f.attrs:
                lines.append(f"  {key}: {f.attrs[key]}")
        lines += [f"  dataset {k}: {f[k].shape} {f[k].dtype}" for k in f.keys()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m latentdims.data.jets generate|info ...``."""
    parser = argparse.ArgumentParser(prog="python -m latentdims.data.jets",
                                     description="Generate or inspect jet samples (Pythia 8 + "
                                                 "FastJet); see data/README.md.")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="generate N selected jets into an HDF5 file "
                                          "(resumes an interrupted run)")
    gen.add_argument("--process", required=True, choices=PROCESSES)
    gen.add_argument("--n", type=int, required=True, help="jets to keep")
    gen.add_argument("--out", required=True, type=Path, help="HDF5 file to write")
    gen.add_argument("--workers", type=int, default=None,
                     help="worker processes (default: all CPUs); does not change the file")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--chunk-size", type=int, default=None,
                     help="jets per independently seeded chunk (default 500); changes the file")
    gen.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    gen.add_argument("--no-progress", action="store_true")
    info = sub.add_parser("info", help="print a sample's size, settings and counts")
    info.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "info":
            print(_describe(args.path))
            return 0
        out = generate_jets(args.process, args.n, args.out, seed=args.seed, workers=args.workers,
                            chunk_size=args.chunk_size, progress=not args.no_progress,
                            overwrite=args.overwrite)
    except (OSError, ValueError, TypeError) as exc:     # FileExistsError and PermissionError too
        parser.error(str(exc))
    print(_describe(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
