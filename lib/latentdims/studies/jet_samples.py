"""The jet studies of notebooks 10-13: the samples, their validation, the example jets (ICLR
Fig. 4), the EMD scales of the generative processes (Fig. 5), the EMD illustrations of the talks
and the convergence of the sharp Sinkhorn EMD.

The samples are generated once per profile with Pythia 8 + FastJet, kept under
``data_dir() / "jets"`` and loaded with :func:`latentdims.data.jets.load_jets`; the jet VAE's
notebooks use them too (through :func:`sample_settings` and :func:`jet_sample`).  Real files put
in ``data_dir() / "jets"`` under the names of :data:`REAL_FILE_NAMES` are used instead of
generated samples (:func:`real_jet_file`; the data card ``data/README.md`` lists the names).

A notebook resolves its profile once, ``cfg = settings(profile)``, and passes ``cfg`` (or
``cfg.samples``) down: ``jet_sample("w", cfg.samples, split="valid")``,
``sample_validation(cfg, seed=seed)``, ``sinkhorn_convergence(cfg, seed=seed)``.  The maths
behind each study is profile-free, in :mod:`latentdims.maths.jet_geometry`.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from latentdims.core import paths
from latentdims.core.cache import config_key
from latentdims.core.profiles import DRY_RUN_PROFILE, by_profile, capped, check_profile
from latentdims.core.validation import check_choice, check_int
from latentdims.data.jetgen import PROCESSES, GeneratorConfig, generate_jets, generator_config
from latentdims.data.images import file_identity
from latentdims.data.jetobs import jet_kinematics
from latentdims.data.jets import (DamagedFileError, JetSample, load_jets, read_jet_file,
                                  split_slice)
from latentdims.maths.jet_geometry import (ExactTransport, ExampleJets, GarbageTriplet,
                                           GenerativeScales, exact_emd, exact_transport,
                                           energy_correlation_d2, garbage_triplet, generative_scales,
                                           jet_images, pixel_distance, select_example_jets,
                                           sinkhorn_errors, split_prongs, translate_jets)
from latentdims.maths.sinkhorn import SinkhornPlan, sinkhorn_plan

__all__ = ["JetSampleSettings", "sample_settings", "REAL_FILE_NAMES", "real_jet_file",
           "jet_sample_path", "jet_sample_identity", "ensure_jet_sample", "jet_sample", "JetAnalysisSettings", "analysis_settings", "JetStudySettings", "settings",
           "VALIDATION_PROCESSES", "trimmed_mass", "mass_mode", "SampleValidation",
           "sample_validation", "ExampleJetSample", "example_jets",
           "ProngMeasures", "prong_measures", "TrainingData",
           "training_data", "ScaleStudy", "emd_scales", "TransportPair", "transport_pair",
           "GarbageImages", "GARBAGE_PAIRS", "garbage_images", "PixelTriplets",
           "pixel_triplets", "PAPER_SCHEDULE", "REFINED_SCHEDULE", "schedule_row",
           "SinkhornConvergence", "sinkhorn_convergence"]


@dataclass(frozen=True)
class JetSampleSettings:
    """Sizes of a profile's jet samples.

    ``profile`` names the profile they came from (it is part of the file name, nothing branches
    on it). ``chunk_size`` is part of a sample's definition (each chunk has its own seed); small
    chunks spread a small sample over both CI cores at the cost of one Pythia initialisation
    (about 0.4 s) per chunk.
    """
    profile: str
    n_w: int            # W jets
    n_other: int        # top and QCD jets each
    chunk_size: int

    def n_jets(self, process: str) -> int:
        """Jets kept for ``process`` (one of ``'w'``, ``'top'``, ``'qcd'``)."""
        check_choice(process, PROCESSES, name="process", func="JetSampleSettings.n_jets")
        return self.n_w if process == "w" else self.n_other

    def generator(self, process: str) -> GeneratorConfig:
        """The generator configuration of ``process``'s sample."""
        return generator_config(process, chunk_size=self.chunk_size)


def sample_settings(profile: str) -> JetSampleSettings:
    """The jet-sample sizes of ``profile``.

    * smoke: 300 jets of each process in chunks of 75 (seconds on two cores; CI generates them
      from a clean clone);
    * quick: 20 000 W jets (16 667 for training: enough for a small VAE on a 2-core CPU, ~170
      batches of 100 per pass), 10 000 top and 10 000 QCD jets; about 10 minutes on 2 cores;
    * paper: 6e5 jets (the papers' W sample; the same size for top and QCD);
    * paper-dry: the paper's generator and chunks, 3,600 jets of each process (3,000 for
      training, 300 validation, 300 test: enough for the latent figures' k-NN fits; about two
      CPU minutes each).

    >>> sample_settings("quick").n_jets("top")
    10000
    """
    check_profile(profile, func="sample_settings")
    paper = JetSampleSettings("paper", 600_000, 600_000, 2000)
    return by_profile(profile, smoke=JetSampleSettings("smoke", 300, 300, 75),
                      quick=JetSampleSettings("quick", 20_000, 10_000, 1000), paper=paper,
                      dry=capped(paper, profile=DRY_RUN_PROFILE, n_w=3600, n_other=3600))


def _check_settings(samples, func: str) -> JetSampleSettings:
    if not isinstance(samples, JetSampleSettings):
        raise TypeError(f"{func}: `samples` must be a JetSampleSettings (from "
                        f"sample_settings(profile)); got {type(samples).__name__} {samples!r}.")
    return samples


#: Real jet files looked for in ``data_dir() / "jets"``, per process, first found first: this
#: project's format made by hand (``<process>-paper.h5``, the data card's example, or
#: ``<process>.h5``; either may instead hold the original analysis' pandas table), then JetNet's
#: own file names (150 particles, then 30; ``q`` are JetNet's light-quark jets).  The layout is
#: read from the file (:func:`latentdims.data.jets.jet_file_layout`), not from its name.
REAL_FILE_NAMES = {"w": ("w-paper.h5", "w.h5", "w150.hdf5", "w.hdf5"),
                   "top": ("top-paper.h5", "top.h5", "t150.hdf5", "t.hdf5"),
                   "qcd": ("qcd-paper.h5", "qcd.h5", "q150.hdf5", "q.hdf5")}
_log = logging.getLogger(__name__)
_announced: set = set()


def real_jet_file(process: str) -> Path | None:
    """The real file of ``process`` in ``data_dir() / "jets"`` (the first of
    :data:`REAL_FILE_NAMES` that exists), or None: then the samples are generated."""
    check_choice(process, PROCESSES, name="process", func="real_jet_file")
    folder = paths.data_dir() / "jets"
    for name in REAL_FILE_NAMES[process]:
        if (folder / name).is_file():
            return folder / name
    return None


def _generated_path(process: str, samples: JetSampleSettings, seed: int) -> Path:
    key = config_key({"config": samples.generator(process).to_dict(), "n": samples.n_jets(process),
                      "seed": seed})
    return paths.data_dir() / "jets" / f"{process}-{samples.profile}-seed{seed}-{key[:10]}.h5"


def jet_sample_path(process: str, samples: JetSampleSettings, *, seed: int = 0) -> Path:
    """The file :func:`jet_sample` reads for ``process``, ``samples`` and ``seed``: the real file
    (:func:`real_jet_file`) if there is one, else the generated sample.

    A generated sample's name carries a hash of the full generator configuration and size, so a
    change of settings (or of ``FORMAT_VERSION``) makes a new file rather than reusing a stale
    one.  A real file serves every seed (it has no generator seed).
    """
    _check_settings(samples, "jet_sample_path")
    real = real_jet_file(process)
    return real if real is not None else _generated_path(process, samples, seed)


def jet_sample_identity(process: str, samples: JetSampleSettings, *, seed: int = 0) -> str:
    """The identity of the jets :func:`jet_sample` reads, for cache keys: the generated file's
    name (it carries the generator configuration, size and seed; the same string as
    ``jet_sample_path(...).name``, so the keys of models trained on generated jets do not change)
    or, for a real file, ``'real file '`` and its :func:`latentdims.data.images.file_identity`
    (name, size, SHA-256 of its first MiB) and the number of jets taken from it.  Models trained
    on generated jets are therefore never reused once a real file is there, nor after the real
    file is replaced.

    >>> name = jet_sample_identity("w", sample_settings("smoke"))
    >>> name if real_jet_file("w") is None else "w-smoke-seed0-6f9d745d2b.h5"
    'w-smoke-seed0-6f9d745d2b.h5'
    """
    path = jet_sample_path(process, samples, seed=seed)
    if path == _generated_path(process, samples, seed):
        return path.name
    return f"real file {file_identity(path)}, first {samples.n_jets(process)} jets"


def ensure_jet_sample(process: str, samples: JetSampleSettings, *, seed: int = 0,
                      workers: int | None = None, progress: bool = True) -> Path:
    """The path of the sample (:func:`jet_sample_path`), generating (or finishing) it if it is
    missing; a real file is returned as it is."""
    check_choice(process, PROCESSES, name="process", func="ensure_jet_sample")
    _check_settings(samples, "ensure_jet_sample")
    seed = check_int(seed, name="seed", func="ensure_jet_sample", minimum=0)
    path = jet_sample_path(process, samples, seed=seed)
    if not path.exists():
        generate_jets(samples.generator(process), samples.n_jets(process), path, seed=seed,
                      workers=workers, progress=progress)
    return path


def _set_aside(path: Path) -> Path:
    aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    os.replace(path, aside)
    return aside


def _real_sample(process: str, samples: JetSampleSettings, path: Path, split: str,
                 centred: bool, n: int | None) -> JetSample:
    """The first ``samples.n_jets(process)`` jets of a real file, cut into ``split``."""
    func = "jet_sample"
    wanted = samples.n_jets(process)
    every = read_jet_file(path, n=wanted, centred=centred)
    layout, total = every.info["layout"], every.info["jets_in_file"]
    if path not in _announced:
        _announced.add(path)
        print(f"jet_sample: {process!r} jets from the real file {str(path)!r} ({layout} layout, "
              f"the first {len(every)} of {total} jets) instead of a generated sample; move it "
              f"out of {str(path.parent)!r} to use generated jets.")
    sample = every.take(split_slice(len(every), split))
    if n is not None:
        n = check_int(n, name="n", func=func, minimum=1)
        if n > len(sample):
            raise ValueError(f"{func}: asked for n = {n} jets but the {split!r} split of "
                             f"{str(path)!r} (first {len(every)} jets) holds {len(sample)}; "
                             f"ask for at most {len(sample)}.")
        sample = sample.take(slice(0, n))
    return dataclasses.replace(sample, process=process, split=split)


def jet_sample(process: str, samples: JetSampleSettings, *, seed: int = 0, split: str = "train",
               centred: bool = False, n: int | None = None, workers: int | None = None,
               progress: bool = True) -> JetSample:
    """The jets of ``process`` with the sizes ``samples``: a real file of
    ``data_dir()/jets`` if there is one, else the generated sample kept there (generated with
    Pythia 8 + FastJet if missing) and loaded with :func:`latentdims.data.jets.load_jets`.

    Real files (names in :data:`REAL_FILE_NAMES` and the data card): this project's layout, the
    original analysis' pandas table or JetNet's files, read with
    :func:`latentdims.data.jets.read_jet_file`; the first ``samples.n_jets(process)`` jets are
    taken (all of a smaller file) and cut into the splits as a generated sample is, for every
    ``seed``.  The first use of a real file prints which file it is.  JetNet's jets are centred
    whatever ``centred`` says (a warning says so).

    A damaged generated sample is moved aside (``<file>.damaged-<time>``) and generated again,
    with a warning; a damaged real file is an error that says so.

    Parameters
    ----------
    process : {'w', 'top', 'qcd'}
    samples : JetSampleSettings
        Sizes, from :func:`sample_settings`.
    seed : int
        Generator seed; each seed is its own cached file.
    split, centred, n
        As in :func:`load_jets`.
    workers : int, optional
        Generation processes (default: all CPUs); the file does not depend on it.
    progress : bool
        Progress bar while generating.
    """
    path = ensure_jet_sample(process, samples, seed=seed, workers=workers, progress=progress)
    if path != _generated_path(process, samples, seed):
        return _real_sample(process, samples, path, split, centred, n)
    _log.info("jet_sample: %r jets from the generated sample %s", process, path)
    try:
        return load_jets(path, n=n, split=split, centred=centred)
    except DamagedFileError as exc:
        aside = _set_aside(path)
        warnings.warn(f"{exc} It was moved aside to {str(aside)!r} and is generated again now.",
                      stacklevel=2)
    path = ensure_jet_sample(process, samples, seed=seed, workers=workers, progress=progress)
    return load_jets(path, n=n, split=split, centred=centred)


# --------------------------------------------------------------------------------------------
# settings of notebooks 10-13
@dataclass(frozen=True)
class JetAnalysisSettings:
    """Sizes of the jet-sample and EMD notebooks (10-13) per profile."""
    n_validation: int | None     # jets per process in the validation histograms (None: all)
    n_image_jets: int            # centred W jets averaged into the mean jet image
    n_scale_jets: int            # W jets per transformation in the Fig. 5 scale distributions
    n_convergence_pairs: int     # random pairs of W jets for the Sinkhorn convergence study
    eps_ends: tuple              # final regulators scanned (the paper: 0.01)
    iters_per_eps: tuple         # iterations per scale scanned (the paper: 10)
    jit_compile: bool            # XLA-compile the Sinkhorn solver (pays ~10 s once per shape)


def analysis_settings(profile: str) -> JetAnalysisSettings:
    """The :class:`JetAnalysisSettings` of ``profile`` ('smoke', 'quick' or 'paper').

    >>> analysis_settings("smoke").eps_ends
    (0.1, 0.01)
    """
    paper = JetAnalysisSettings(None, 20000, 10000, 1000, (0.1, 0.03, 0.01, 0.003, 0.001),
                                (5, 10, 20, 50, 100), True)
    return by_profile(
        profile,
        # smoke: a handful of pairs, the solver run eagerly (compiling would cost more than it saves)
        smoke=JetAnalysisSettings(None, 250, 100, 12, (0.1, 0.01), (10,), False),
        quick=JetAnalysisSettings(None, 5000, 1000, 200, (0.1, 0.03, 0.01, 0.003, 0.001),
                                  (5, 10, 20, 50), True),
        paper=paper,
        # the dry run: the paper's scans of the regulator and iterations on fewer jets and pairs
        dry=capped(paper, n_validation=1000, n_image_jets=500, n_scale_jets=200,
                   n_convergence_pairs=20))


@dataclass(frozen=True)
class JetStudySettings:
    """Everything notebooks 10-13 take from a profile: the sample sizes and the analysis sizes."""
    samples: JetSampleSettings
    analysis: JetAnalysisSettings

    @property
    def profile(self) -> str:
        """The profile's name (a label for figure titles; nothing branches on it)."""
        return self.samples.profile


def settings(profile: str) -> JetStudySettings:
    """The :class:`JetStudySettings` of ``profile`` ('smoke', 'quick' or 'paper').

    >>> cfg = settings("smoke")
    >>> cfg.profile, cfg.samples.n_w, cfg.analysis.n_convergence_pairs
    ('smoke', 300, 12)
    """
    check_profile(profile, func="settings")
    return JetStudySettings(samples=sample_settings(profile), analysis=analysis_settings(profile))


def _check_study(cfg, func: str) -> JetStudySettings:
    if not isinstance(cfg, JetStudySettings):
        raise TypeError(f"{func}: `cfg` must be a JetStudySettings (from "
                        f"latentdims.studies.jet_samples.settings(profile)); got "
                        f"{type(cfg).__name__} {cfg!r}.")
    return cfg


# --------------------------------------------------------------------------------------------
# notebook 10: validation of the samples
VALIDATION_PROCESSES = ("w", "top", "qcd")


def trimmed_mass(sample: JetSample, *, min_share: float = 0.01) -> np.ndarray:
    r"""Mass [GeV] of each jet's stored subjets with :math:`p_T > ` ``min_share`` :math:`H_T`
    (a crude trimming that removes most of the underlying event), shape (N,)."""
    hard = sample.weights > min_share
    return jet_kinematics(np.where(hard, sample.pt, 0), sample.points[..., 0],
                          sample.points[..., 1], np.where(hard, sample.energies, 0)).mass


def mass_mode(values, lo: float, hi: float, width: float = 2.5) -> float:
    """Centre of the fullest bin of ``width`` between ``lo`` and ``hi`` (the mode of a mass peak).

    >>> mass_mode([80.1, 80.4, 81.0, 95.0], 75, 110)
    81.25
    """
    counts, edges = np.histogram(values, bins=np.arange(lo, hi + 1e-9, width))
    return float(edges[np.argmax(counts)] + width / 2)


@dataclass(frozen=True)
class SampleValidation:
    r"""The samples of notebook 10's validation figure and the numbers its claims check.

    Attributes
    ----------
    samples : dict of JetSample
        ``'w'``, ``'top'``, ``'qcd'`` (uncentred, split ``'all'``).
    trimmed_mass : dict of ndarray
        :func:`trimmed_mass` of each sample [GeV].
    w_mass_peak, w_trimmed_peak : float
        :func:`mass_mode` of the W jets' ungroomed (75-110 GeV) and trimmed (50-110 GeV) mass.
    median_tau21 : dict of float
    cut_violations : dict of int
        Jets outside 500 < pT < 600 GeV or |eta| < 2 per process, and ``'w_mass'``: W jets
        outside 75 < m < 110 GeV.
    max_weight_error : float
        Largest :math:`|\sum_i w_i - 1|` over the W jets.
    n_particles : int
        Particle slots per W jet.
    """
    samples: dict
    trimmed_mass: dict
    w_mass_peak: float
    w_trimmed_peak: float
    median_tau21: dict
    cut_violations: dict
    max_weight_error: float
    n_particles: int


def sample_validation(cfg: JetStudySettings, *, seed: int = 0) -> SampleValidation:
    """Load the W, top and QCD samples of ``cfg`` and measure what notebook 10 checks."""
    _check_study(cfg, "sample_validation")
    samples = {p: jet_sample(p, cfg.samples, seed=seed, split="all", n=cfg.analysis.n_validation) for p in VALIDATION_PROCESSES}
    trimmed = {p: trimmed_mass(s) for p, s in samples.items()}
    w = samples["w"]
    viol = {p: int(np.sum((s.jet_pt <= 500) | (s.jet_pt >= 600) | (np.abs(s.jet_eta) >= 2)))
            for p, s in samples.items()}
    viol["w_mass"] = int(np.sum((w.jet_mass <= 75) | (w.jet_mass >= 110)))
    return SampleValidation(
        samples=samples, trimmed_mass=trimmed, w_mass_peak=mass_mode(w.jet_mass, 75, 110),
        w_trimmed_peak=mass_mode(trimmed["w"], 50, 110),
        median_tau21={p: float(np.median(s.tau21)) for p, s in samples.items()},
        cut_violations=viol, max_weight_error=float(np.abs(w.weights.sum(axis=1) - 1).max()),
        n_particles=w.weights.shape[1])


# --------------------------------------------------------------------------------------------
# notebooks 10 and 12: example jets (ICLR Fig. 4) and the training data
@dataclass(frozen=True)
class ExampleJetSample:
    """The centred W jets of a profile and the three example jets chosen among them."""
    jets: JetSample
    examples: ExampleJets


def example_jets(cfg: JetStudySettings, *, seed: int = 0) -> ExampleJetSample:
    """The centred W jets (split ``'all'``) and :func:`select_example_jets` on them (ICLR Fig. 4)."""
    _check_study(cfg, "example_jets")
    jets = jet_sample("w", cfg.samples, seed=seed, split="all", centred=True)
    return ExampleJetSample(jets=jets,
                            examples=select_example_jets(jets.weights, jets.points, jets.tau,
                                                         jets.masks))


@dataclass(frozen=True)
class ProngMeasures:
    r"""Prong measures of a sample that :func:`select_example_jets` does not select on, to check
    the document's description of the examples with something else than the chosen quantities.

    Attributes
    ----------
    d2 : ndarray, shape (N,)
        :func:`latentdims.maths.jet_geometry.energy_correlation_d2` (:math:`\beta = 1`): low for two-pronged jets.
    third_share : ndarray, shape (N,)
        The share of the jet's pT in the softest of three prongs (pT-weighted 3-means,
        :func:`split_prongs` with ``n_prongs=3``): large when a prominent third prong is there.
    """
    d2: np.ndarray
    third_share: np.ndarray


def prong_measures(jets: JetSample) -> ProngMeasures:
    """:class:`ProngMeasures` of every jet of ``jets``."""
    w = np.where(jets.masks, jets.weights, 0.0)
    third = split_prongs(w, jets.points, jets.masks, n_prongs=3).fractions[:, 2]
    return ProngMeasures(d2=energy_correlation_d2(w, jets.points), third_share=third)


@dataclass(frozen=True)
class TrainingData:
    r"""What the talks' "W jets (training data)" figure shows of a sample of centred jets.

    Attributes
    ----------
    mean_image : ndarray, shape (50, 50)
        The mean jet image (pixels 0.04 x 0.04 on the window |eta|, |phi| < 1).
    n_images : int
        Jets averaged.
    shown : ndarray of int, shape (4,)
        Four random jets to draw.
    prong_separation : float
        Median :math:`\Delta R` between the two prongs (:func:`split_prongs`).
    """
    mean_image: np.ndarray
    n_images: int
    shown: np.ndarray
    prong_separation: float


def training_data(jets: JetSample, cfg: JetStudySettings, *, seed: int = 0) -> TrainingData:
    """The mean image of the first ``cfg.analysis.n_image_jets`` centred ``jets``, four random
    jets (drawn with ``seed``) and the median prong separation."""
    _check_study(cfg, "training_data")
    n_img = min(cfg.analysis.n_image_jets, len(jets))
    images = jet_images(jets.weights[:n_img], jets.points[:n_img], jets.masks[:n_img],
                        n_pixels=50, half_width=1.0)
    rng = np.random.default_rng(seed)
    shown = rng.choice(len(jets), 4, replace=False)
    sep = float(np.median(split_prongs(jets.weights, jets.points, jets.masks).separation))
    return TrainingData(mean_image=images.mean(axis=0), n_images=n_img, shown=shown,
                        prong_separation=sep)


# --------------------------------------------------------------------------------------------
# notebook 11: the EMD scales of the generative processes (ICLR Fig. 5)
@dataclass(frozen=True)
class ScaleStudy:
    r"""The EMD scales of notebook 11 and the numbers its claims check.

    Attributes
    ----------
    n_jets : int
    scales : GenerativeScales
    medians : dict of float
        Median EMD [GeV] of ``'translation'``, ``'decay'``, ``'rotation'``, ``'shower'``.
    translation_deviation : float
        :math:`\max |\mathrm{EMD} / (H_T \Delta R) - 1|` over the translations with
        :math:`|\delta\phi| < 1` (exactly 0 in exact arithmetic).
    half_turn : ndarray, shape (N,)
        EMD [GeV] between each jet and its copy moved half-way around the detector
        (:math:`\delta\phi = \pi`): the largest translation along the barrel, the scale the
        papers call :math:`\pi H_T`.
    """
    n_jets: int
    scales: GenerativeScales
    medians: dict
    translation_deviation: float
    half_turn: np.ndarray


def emd_scales(cfg: JetStudySettings, *, seed: int = 0) -> ScaleStudy:
    """:func:`generative_scales` on ``cfg.analysis.n_scale_jets`` uncentred W jets, and their
    half turns around the detector."""
    _check_study(cfg, "emd_scales")
    jets = jet_sample("w", cfg.samples, seed=seed, split="all", n=cfg.analysis.n_scale_jets)
    scales = generative_scales(jets.weights, jets.points, jets.ht, jets.masks, seed=seed)
    ratio = scales.translation / (scales.ht * scales.translation_delta_r)
    safe = np.abs(scales.translation_dphi) < 1
    medians = {name: float(np.median(v)) for name, v in (
        ("translation", scales.translation), ("decay", scales.decay),
        ("rotation", scales.rotation), ("shower", scales.shower))}
    half_turn = jets.ht * exact_emd(jets.weights, jets.points, jets.weights,
                                    translate_jets(jets.points, [0.0, np.pi]))
    return ScaleStudy(n_jets=len(jets), scales=scales, medians=medians,
                      translation_deviation=float(np.max(np.abs(ratio[safe] - 1))),
                      half_turn=half_turn)


# --------------------------------------------------------------------------------------------
# notebook 12: the EMD between two jets, and why not jet images
@dataclass(frozen=True)
class TransportPair:
    """The exact and the sharp-Sinkhorn transport between jets ``first`` and ``second``.

    Attributes
    ----------
    first, second : int
        Indices of the two jets in the sample.
    exact : ExactTransport
    sinkhorn : SinkhornPlan
        At the paper's schedule (1 to 0.01 in ten scales of ten iterations).
    ht : float
        The pair's mean :math:`H_T` [GeV] (to quote EMDs in GeV).
    """
    first: int
    second: int
    exact: ExactTransport
    sinkhorn: SinkhornPlan
    ht: float

    @property
    def relative_error(self) -> float:
        r""":math:`|\hat S - \mathrm{EMD}| / \mathrm{EMD}` of the sharp Sinkhorn cost."""
        return abs(self.sinkhorn.cost[0] - self.exact.cost[0]) / self.exact.cost[0]


def transport_pair(jets: JetSample, first: int, second: int) -> TransportPair:
    """Exact plan (:func:`exact_transport`) and sharp Sinkhorn plan (:func:`sinkhorn_plan`, the
    paper's schedule) from jet ``first`` to jet ``second`` of ``jets``."""
    pair = dict(x_weights=jets.weights[[first]], x_points=jets.points[[first]],
                y_weights=jets.weights[[second]], y_points=jets.points[[second]])
    exact = exact_transport(**pair)
    # one pair: run the solver eagerly (an XLA compilation would cost more than it saves)
    sink = sinkhorn_plan(**pair, warn=False, jit_compile=False)
    return TransportPair(first=first, second=second, exact=exact, sinkhorn=sink,
                         ht=0.5 * (jets.ht[first] + jets.ht[second]))


@dataclass(frozen=True)
class GarbageImages:
    r"""The talks' "jet images are garbage" panel built from one real jet.

    Attributes
    ----------
    triplet : GarbageTriplet
    images : ndarray, shape (3, n_pixels, n_pixels)
        Images of (a), (b), (c) on one window centred at (0, 0).
    half_width : float
        Half the window's side.
    emd, l1, l2 : dict of float
        Exact EMD (units of :math:`\Delta R`) and pixel L1 / L2 distances of the pairs
        ``'(a)-(b)'``, ``'(b)-(c)'``, ``'(a)-(c)'``.
    table : pandas.DataFrame
        The pairs with EMD [GeV] (times the jet's :math:`H_T`), pixel L1 and L2, rounded.
    """
    triplet: GarbageTriplet
    images: np.ndarray
    half_width: float
    emd: dict
    l1: dict
    l2: dict
    table: pd.DataFrame


GARBAGE_PAIRS = {"(a)-(b)": (0, 1), "(b)-(c)": (1, 2), "(a)-(c)": (0, 2)}


def garbage_images(jets: JetSample, index: int, *, n_pixels: int = 80,
                   half_width: float = 1.6) -> GarbageImages:
    """:func:`garbage_triplet` from jet ``index`` of the centred ``jets``, its images and the
    pairs' EMDs and pixel distances.  The defaults give 0.04 x 0.04 pixels on a window that holds
    the whole R = 1.0 jet."""
    trip = garbage_triplet(jets.weights[index], jets.points[index], jets.masks[index],
                           n_pixels=n_pixels, half_width=half_width)
    centre = np.zeros(2)   # the jets are centred; one window for all three images
    images = jet_images(trip.weights, trip.points, n_pixels=n_pixels, half_width=half_width,
                        centre=centre)
    pairs = GARBAGE_PAIRS
    emd = {k: float(exact_transport(trip.weights[[u]], trip.points[[u]], trip.weights[[v]],
                                    trip.points[[v]]).cost[0]) for k, (u, v) in pairs.items()}
    l1 = {k: float(pixel_distance(images[u], images[v], norm="l1")) for k, (u, v) in pairs.items()}
    l2 = {k: float(pixel_distance(images[u], images[v])) for k, (u, v) in pairs.items()}
    table = pd.DataFrame({"pair": list(pairs),
                          "EMD [GeV]": [round(jets.ht[index] * emd[k], 1) for k in pairs],
                          "pixel L1": [round(l1[k], 3) for k in pairs],
                          "pixel L2": [round(l2[k], 3) for k in pairs]})
    return GarbageImages(triplet=trip, images=images, half_width=half_width, emd=emd, l1=l1,
                         l2=l2, table=table)


@dataclass(frozen=True)
class PixelTriplets:
    r"""Random triplets (a, b, c) of real jets: do pixel distances order the pairs (a, b) and
    (b, c) as the EMD does?  The talks' "jet images are garbage" on real jets rather than on a
    triplet built for it.

    Attributes
    ----------
    l1_ab, l1_bc : ndarray, shape (T,)
        Summed pixel intensity difference (L1 of the normalised images; 2 is the maximum).
    emd_ab, emd_bc : ndarray, shape (T,)
        Exact EMD [GeV] (times the mean :math:`H_T` of the pair).
    """
    l1_ab: np.ndarray
    l1_bc: np.ndarray
    emd_ab: np.ndarray
    emd_bc: np.ndarray

    @property
    def discordant(self) -> float:
        """Fraction of triplets whose two pairs the pixel L1 and the EMD order oppositely."""
        return float(np.mean((self.l1_ab - self.l1_bc) * (self.emd_ab - self.emd_bc) < 0))

    @property
    def maximal(self) -> float:
        """Fraction of the pairs that are pixel-wise maximally different (L1 = 2 to 1e-9)."""
        l1 = np.concatenate([self.l1_ab, self.l1_bc])
        return float(np.mean(np.abs(l1 - 2) < 1e-9))


def pixel_triplets(jets: JetSample, cfg: JetStudySettings, *, seed: int = 0, n_pixels: int = 80,
                   half_width: float = 1.6) -> PixelTriplets:
    """``cfg.analysis.n_scale_jets`` random triplets of distinct jets of the centred ``jets``
    (drawn with ``seed``), their pixel L1 distances on the window of :func:`garbage_images`
    (0.04 x 0.04 pixels holding the whole jet) and their exact EMDs."""
    _check_study(cfg, "pixel_triplets")
    if len(jets) < 3:
        raise ValueError(f"pixel_triplets: need at least 3 jets; got {len(jets)}.")
    rng = np.random.default_rng(seed)
    abc = np.stack([rng.choice(len(jets), 3, replace=False)
                    for _ in range(cfg.analysis.n_scale_jets)])

    def image(k):
        return jet_images(jets.weights[k], jets.points[k], jets.masks[k], n_pixels=n_pixels,
                          half_width=half_width, centre=np.zeros(2))

    def pair(u, v):
        l1 = np.concatenate([pixel_distance(image(u[lo:lo + 500]), image(v[lo:lo + 500]),
                                            norm="l1") for lo in range(0, len(u), 500)])
        emd = exact_emd(jets.weights[u], jets.points[u], jets.weights[v], jets.points[v])
        return l1, emd * 0.5 * (jets.ht[u] + jets.ht[v])

    (l1_ab, emd_ab), (l1_bc, emd_bc) = pair(abc[:, 0], abc[:, 1]), pair(abc[:, 1], abc[:, 2])
    return PixelTriplets(l1_ab=l1_ab, l1_bc=l1_bc, emd_ab=emd_ab, emd_bc=emd_bc)


# --------------------------------------------------------------------------------------------
# notebook 13: convergence of the sharp Sinkhorn EMD
PAPER_SCHEDULE = dict(eps_end=0.01, n_eps=10, iters_per_eps=10)     # ICLR 2022, App. A.1.3
REFINED_SCHEDULE = dict(eps_end=1e-3, n_eps=20, iters_per_eps=20)   # issue 3's "within 1%"


def schedule_row(errors: pd.DataFrame, schedule: Mapping[str, float]) -> pd.Series:
    """The row of a :func:`sinkhorn_errors` table that has the values of ``schedule``.

    >>> errors = pd.DataFrame({"eps_end": [0.1, 0.01], "iters_per_eps": [10, 10], "e": [1, 2]})
    >>> int(schedule_row(errors, {"eps_end": 0.01, "iters_per_eps": 10}).e)
    2
    """
    sel = np.ones(len(errors), bool)
    for k, v in schedule.items():
        sel &= np.isclose(errors[k], v)
    if not sel.any():
        raise ValueError(f"schedule_row: no row of `errors` has the schedule {dict(schedule)}; "
                         f"pass it to sinkhorn_errors (e.g. in `extra`).")
    return errors[sel].iloc[0]


@dataclass(frozen=True)
class SinkhornConvergence:
    """Errors of the sharp Sinkhorn EMD against the exact EMD (notebook 13).

    Attributes
    ----------
    errors : pandas.DataFrame
        :func:`sinkhorn_errors` over the grid of ``cfg.analysis`` and the two schedules.
    grid : pandas.DataFrame
        The grid's rows only (eps_end x iters_per_eps, ten scales each).
    paper, refined : pandas.Series
        The rows of :data:`PAPER_SCHEDULE` and :data:`REFINED_SCHEDULE`.
    iters_per_eps : tuple
        The grid's iterations per scale.
    n_pairs : int
    """
    errors: pd.DataFrame
    grid: pd.DataFrame
    paper: pd.Series
    refined: pd.Series
    iters_per_eps: tuple
    n_pairs: int

    @property
    def most_iterations(self) -> pd.DataFrame:
        """The grid's rows with the most iterations per scale (eps_end falling)."""
        return self.grid[self.grid.iters_per_eps == max(self.iters_per_eps)]


def sinkhorn_convergence(cfg: JetStudySettings, *, seed: int = 0) -> SinkhornConvergence:
    """:func:`sinkhorn_errors` on ``cfg.analysis.n_convergence_pairs`` random pairs of centred W
    jets (drawn with ``seed``), over the grid of ``cfg.analysis`` plus the paper's and the
    refined schedules."""
    _check_study(cfg, "sinkhorn_convergence")
    a = cfg.analysis
    jets = jet_sample("w", cfg.samples, seed=seed, split="all", centred=True)
    rng = np.random.default_rng(seed)
    first, second = rng.choice(len(jets), size=(2, a.n_convergence_pairs), replace=False)
    errors = sinkhorn_errors(jets.weights[first], jets.points[first], jets.weights[second],
                             jets.points[second], eps_ends=a.eps_ends,
                             iters_per_eps=a.iters_per_eps, n_eps=10,
                             extra=[PAPER_SCHEDULE, REFINED_SCHEDULE], jit_compile=a.jit_compile)
    return SinkhornConvergence(errors=errors,
                               grid=errors.iloc[:len(a.eps_ends) * len(a.iters_per_eps)],
                               paper=schedule_row(errors, PAPER_SCHEDULE),
                               refined=schedule_row(errors, REFINED_SCHEDULE),
                               iters_per_eps=tuple(a.iters_per_eps), n_pairs=len(first))
