"""The jet studies of notebooks 10-13: the samples, their validation, the example jets (ICLR
Fig. 4), the EMD scales of the generative processes (Fig. 5), the EMD illustrations of the talks
and the convergence of the sharp Sinkhorn EMD.

The samples are generated once per profile with Pythia 8 + FastJet, kept under
``data_dir() / "jets"`` and loaded with :func:`latentdims.data.jets.load_jets`; the jet VAE's
notebooks use them too (through :func:`sample_settings` and :func:`jet_sample`).

A notebook resolves its profile once, ``cfg = settings(profile)``, and passes ``cfg`` (or
``cfg.samples``) down: ``jet_sample("w", cfg.samples, split="valid")``,
``sample_validation(cfg, seed=seed)``, ``sinkhorn_convergence(cfg, seed=seed)``.  The maths
behind each study is profile-free, in :mod:`latentdims.maths.jet_geometry`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from latentdims.core import paths
from latentdims.core.cache import config_key
from latentdims.core.profiles import by_profile, check_profile
from latentdims.core.validation import check_choice, check_int
from latentdims.data.jetgen import PROCESSES, GeneratorConfig, generate_jets, generator_config
from latentdims.data.jetobs import jet_kinematics
from latentdims.data.jets import JetSample, load_jets
from latentdims.maths.jet_geometry import (ExactTransport, ExampleJets, GarbageTriplet,
                                           GenerativeScales, exact_transport, garbage_triplet,
                                           generative_scales, jet_images, pixel_distance,
                                           select_example_jets, sinkhorn_errors, split_prongs)
from latentdims.maths.sinkhorn import SinkhornPlan, sinkhorn_plan

__all__ = ["JetSampleSettings", "sample_settings", "jet_sample_path", "ensure_jet_sample",
           "jet_sample", "JetAnalysisSettings", "analysis_settings", "JetStudySettings", "settings",
           "VALIDATION_PROCESSES", "trimmed_mass", "mass_mode", "SampleValidation",
           "sample_validation", "ExampleJetSample", "example_jets", "TrainingData",
           "training_data", "ScaleStudy", "emd_scales", "TransportPair", "transport_pair",
           "GarbageImages", "GARBAGE_PAIRS", "garbage_images", "PAPER_SCHEDULE",
           "REFINED_SCHEDULE", "schedule_row", "SinkhornConvergence", "sinkhorn_convergence"]


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
    * paper: 6e5 jets (the papers' W sample; the same size for top and QCD).

    >>> sample_settings("quick").n_jets("top")
    10000
    """
    check_profile(profile, func="sample_settings")
    return by_profile(profile, smoke=JetSampleSettings("smoke", 300, 300, 75),
                      quick=JetSampleSettings("quick", 20_000, 10_000, 1000),
                      paper=JetSampleSettings("paper", 600_000, 600_000, 2000))


def _check_settings(samples, func: str) -> JetSampleSettings:
    if not isinstance(samples, JetSampleSettings):
        raise TypeError(f"{func}: `samples` must be a JetSampleSettings (from "
                        f"sample_settings(profile)); got {type(samples).__name__} {samples!r}.")
    return samples


def jet_sample_path(process: str, samples: JetSampleSettings, *, seed: int = 0) -> Path:
    """Where the sample of ``process`` with the sizes ``samples`` and ``seed`` lives.

    The name carries a hash of the full generator configuration and size, so a change of
    settings (or of ``FORMAT_VERSION``) makes a new file rather than reusing a stale one.
    """
    _check_settings(samples, "jet_sample_path")
    key = config_key({"config": samples.generator(process).to_dict(), "n": samples.n_jets(process),
                      "seed": seed})
    return paths.data_dir() / "jets" / f"{process}-{samples.profile}-seed{seed}-{key[:10]}.h5"


def ensure_jet_sample(process: str, samples: JetSampleSettings, *, seed: int = 0,
                      workers: int | None = None, progress: bool = True) -> Path:
    """The path of the sample, generating (or finishing) it if it is missing."""
    check_choice(process, PROCESSES, name="process", func="ensure_jet_sample")
    _check_settings(samples, "ensure_jet_sample")
    seed = check_int(seed, name="seed", func="ensure_jet_sample", minimum=0)
    path = jet_sample_path(process, samples, seed=seed)
    if not path.exists():
        generate_jets(samples.generator(process), samples.n_jets(process), path, seed=seed,
                      workers=workers, progress=progress)
    return path


def jet_sample(process: str, samples: JetSampleSettings, *, seed: int = 0, split: str = "train",
               centred: bool = False, n: int | None = None, workers: int | None = None,
               progress: bool = True) -> JetSample:
    """The jets of ``process`` with the sizes ``samples``: kept under ``data_dir()/jets``,
    generated (Pythia 8 + FastJet) if missing, then loaded with
    :func:`latentdims.data.jets.load_jets`.

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
    return by_profile(
        profile,
        # smoke: a handful of pairs, the solver run eagerly (compiling would cost more than it saves)
        smoke=JetAnalysisSettings(None, 250, 100, 12, (0.1, 0.01), (10,), False),
        quick=JetAnalysisSettings(None, 5000, 1000, 200, (0.1, 0.03, 0.01, 0.003, 0.001),
                                  (5, 10, 20, 50), True),
        paper=JetAnalysisSettings(None, 20000, 10000, 1000, (0.1, 0.03, 0.01, 0.003, 0.001),
                                  (5, 10, 20, 50, 100), True))


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
    samples = {p: jet_sample(p, cfg.samples, seed=seed, split="all", n=cfg.analysis.n_validation,
                             progress=False) for p in VALIDATION_PROCESSES}
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
    jets = jet_sample("w", cfg.samples, seed=seed, split="all", centred=True, progress=False)
    return ExampleJetSample(jets=jets,
                            examples=select_example_jets(jets.weights, jets.points, jets.tau,
                                                         jets.masks))


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
    """
    n_jets: int
    scales: GenerativeScales
    medians: dict
    translation_deviation: float


def emd_scales(cfg: JetStudySettings, *, seed: int = 0) -> ScaleStudy:
    """:func:`generative_scales` on ``cfg.analysis.n_scale_jets`` uncentred W jets."""
    _check_study(cfg, "emd_scales")
    jets = jet_sample("w", cfg.samples, seed=seed, split="all", n=cfg.analysis.n_scale_jets,
                      progress=False)
    scales = generative_scales(jets.weights, jets.points, jets.ht, jets.masks, seed=seed)
    ratio = scales.translation / (scales.ht * scales.translation_delta_r)
    safe = np.abs(scales.translation_dphi) < 1
    medians = {name: float(np.median(v)) for name, v in (
        ("translation", scales.translation), ("decay", scales.decay),
        ("rotation", scales.rotation), ("shower", scales.shower))}
    return ScaleStudy(n_jets=len(jets), scales=scales, medians=medians,
                      translation_deviation=float(np.max(np.abs(ratio[safe] - 1))))


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


# --------------------------------------------------------------------------------------------
# notebook 13: convergence of the sharp Sinkhorn EMD
PAPER_SCHEDULE = dict(eps_end=0.01, n_eps=10, iters_per_eps=10)     # ICLR A.1.3 (001:L142)
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
    jets = jet_sample("w", cfg.samples, seed=seed, split="all", centred=True, progress=False)
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
