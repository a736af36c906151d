r"""The EMD-VAE studies of notebooks 20-25: the cached beta-annealing runs on W, top and mixed jets,
the correlation dimension of their jets, and the bookkeeping the latent-space figures share.

A notebook resolves its profile once, ``cfg = settings(profile)``, and passes the parts down:
``annealing_run(cfg.uncent, seed=seed)`` (VAE_uncent; ``cfg.cent``: VAE_cent, ``cfg.top``: top
jets, ``cfg.mix``: the talks' mixed sample with a categorical latent),
``jet_correlation_dimension(run, cfg.dcorr)``, ``cfg.figures`` for the latent-space figures.

* :func:`settings` -- the only place that turns the profile into numbers (model, schedule,
  training and data sizes of each run; jets for :math:`D_{\rm corr}`; figure sizes).
* :func:`anneal_data` -- the jets of a run (``'mix'``: top + QCD with truth labels).
* :func:`annealing_run` -- a run trained through :func:`latentdims.models.annealing.train_annealing`
  and cached through :func:`latentdims.core.cache.cached`, keyed by the full configuration,
  returned as an :class:`~latentdims.models.annealing.AnnealRun` that can load its jets;
  :func:`annealing_runs` trains independent runs side by side (:func:`latentdims.core.sweeps.run_sweep`).
* :func:`jet_correlation_dimension` -- :math:`D_{\rm corr}(Q)` of a run's training jets from
  pairwise sharp-Sinkhorn EMDs in GeV, on the :math:`\beta` axis with :math:`Q = 2\beta` (ICLR
  Sec. 2 'Dimensionality', Eq. 3), cached.
* :func:`latent_view` and the helpers after it -- a model at one production step with its latents
  ordered by KL and the test jets encoded, and the selections the notebooks make from it.
* :func:`data_name`, :func:`substitution`, :func:`profile_note` -- what the claims ledger records
  about a run: its data, and how its model, training and grid differ from the papers' (computed
  from the settings, so the notebooks type none of them).
* :func:`organisation`, :func:`switch_off`, :func:`preserved_descents` -- the papers' statements on
  the annealing (ICLR Sec. 2 'Training'): all latents used in the priming run, few in the
  production run, one critical beta per direction, organised directions kept when beta is lowered.
* :func:`compare_dimensions`, :func:`dcorr_alignment`, :func:`direction_scales`,
  :func:`category_usage` -- the comparisons behind the claims of notebooks 21-25.

Units: :math:`\beta = \langle H_T\rangle\hat\beta` [GeV]; rates in nats.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from latentdims.core.cache import cached, cached_arrays
from latentdims.core.profiles import by_profile, capped, check_profile
from latentdims.core.sweeps import run_sweep
from latentdims.core.validation import check_array, check_choice, check_int
from latentdims.data.jets import JetSample, split_slice
from latentdims.maths.dimensionality import DimensionCurve, correlation_dimension
from latentdims.maths.latent_measures import (JetDcorr, dcorr_scales, decoder_sensitivity,
                                              kl_curves, latent_order, n_informative,
                                              position_ranking, run_dimensions, smooth_fit_r2)
from latentdims.maths.sinkhorn import pairwise_emd
from latentdims.models.annealing import (JET_PROCESSES, PHASES, RUNNER_VERSION, AnnealRun,
                                         AnnealSchedule, AnnealSettings, export_run,
                                         train_annealing)
from latentdims.models.jet_vae import (JetVAE, JetVAEConfig, category_rates, encode_jets,
                                       jet_batch)
from latentdims.models.training import TrainConfig
from latentdims.studies.jet_samples import (JetSampleSettings, jet_sample, jet_sample_identity,
                                            sample_settings)

__all__ = ["AnnealRunSettings", "DcorrSettings", "LatentFigureSettings", "JetVAESettings",
           "LADDER_KEYS", "ladder_anneal", "settings", "anneal_data", "annealing_run", "annealing_folder", "annealing_runs", "w_runs", "training_summary",
           "ScheduleShape", "schedule_shape", "jet_correlation_dimension", "informative_counts",
           "mean_over", "LatentView", "latent_view", "phi_ring_fit", "further_directions",
           "DirectionCheck", "FIG8_CHECKS", "DirectionRoles", "direction_roles",
           "position_split", "traversal_panels", "CategoryLatents", "category_latents",
           "DATA_KEYS", "data_name", "max_batches", "SUBSTITUTION_PARTS", "substitution",
           "substitutions", "profile_note", "Organisation", "organisation", "SwitchOff",
           "switch_off", "Preservation", "preserved_descents", "informative_at", "value_near",
           "dcorr_alignment", "DimensionComparison", "compare_dimensions", "DirectionScales",
           "direction_scales", "category_usage"]


# ----------------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class AnnealRunSettings:
    """One annealing run: its jets and its :class:`~latentdims.models.annealing.AnnealSettings`.

    Attributes
    ----------
    profile : str
        The profile it came from: a label in the cache key and the run's manifest (as before
        the settings objects), nothing branches on it.
    process : {'w', 'top', 'qcd', 'mix'}
        The jet sample (``'mix'``: top + QCD, :func:`anneal_data`).
    centred : bool
        False: VAE_uncent (jets at their (eta, phi)); True: VAE_cent (centred jets).
    anneal : AnnealSettings
        Model (``anneal.model.n_categories``: a categorical latent ahead of the Gaussian ones),
        schedule, training and data sizes.
    samples : JetSampleSettings
        The sizes of the jet samples it reads (:mod:`latentdims.studies.jet_samples`).
    """
    profile: str
    process: str
    centred: bool
    anneal: AnnealSettings
    samples: JetSampleSettings

    def __post_init__(self) -> None:
        func = "AnnealRunSettings"
        check_choice(self.process, JET_PROCESSES, name="process", func=func)
        if not isinstance(self.anneal, AnnealSettings):
            raise TypeError(f"{func}: `anneal` must be an AnnealSettings; got "
                            f"{type(self.anneal).__name__}.")
        if not isinstance(self.samples, JetSampleSettings):
            raise TypeError(f"{func}: `samples` must be a JetSampleSettings (from "
                            f"latentdims.studies.jet_samples.sample_settings); got "
                            f"{type(self.samples).__name__}.")


@dataclass(frozen=True)
class DcorrSettings:
    """Jets used for :math:`D_{\\rm corr}` (the papers: 1e4 training jets, ICLR Sec. 2) and the
    bootstrap resamples of its band."""
    n_jets: int
    n_boot: int


@dataclass(frozen=True)
class LatentFigureSettings:
    """Sizes of the latent-space figures and checks of notebooks 21, 22, 24 and 25.

    Attributes
    ----------
    split : str
        The jets encoded for the densities and the claims: the held-out ``test`` split (the
        ``valid`` split steered early stopping).
    n_jets : int or None
        At most this many of them (None: the whole split).
    n_grid : int
        Decoded jets per axis (the papers: 7).
    n_neighbors, n_folds : int
        The k-NN regression of :func:`latentdims.maths.latent_measures.smooth_fit_r2`.
    """
    split: str
    n_jets: int | None
    n_grid: int
    n_neighbors: int
    n_folds: int


@dataclass(frozen=True)
class JetVAESettings:
    """Everything notebooks 20-25 resolve from their profile (:func:`settings`).

    Attributes
    ----------
    profile : str
        A label (figure titles); nothing branches on it.
    samples : JetSampleSettings
    uncent, cent, top, mix : AnnealRunSettings
        VAE_uncent and VAE_cent (W jets), the top-jet run (uncentred) and the talks' mixed
        sample (top + QCD, centred, two categories).
    dcorr : DcorrSettings
    figures : LatentFigureSettings
    """
    profile: str
    samples: JetSampleSettings
    uncent: AnnealRunSettings
    cent: AnnealRunSettings
    top: AnnealRunSettings
    mix: AnnealRunSettings
    dcorr: DcorrSettings
    figures: LatentFigureSettings


def _paper_anneal(process: str, n_categories: int) -> AnnealSettings:
    """The papers' (ICLR App. A.1.3): widths 1024, 4/4/5 layers, 256 latents;
    :math:`\\hat\\beta` in :math:`10^{-5}..1`, four per decade; up to 50 epochs of 1000 batches of
    100 per step, early stopping after 10 epochs, LR 3e-5 reduced by :math:`\\sqrt{0.1}` after 5
    epochs without improvement."""
    return AnnealSettings(
        model=JetVAEConfig(n_categories=n_categories),
        schedule=AnnealSchedule(),
        train=TrainConfig(epochs=50, batch_size=100, steps_per_epoch=1000, learning_rate=3e-5,
                          early_stopping_patience=10, lr_patience=5, lr_factor=0.1 ** 0.5,
                          monitor="val_loss", max_nan_recoveries=3),
        epochs=(50, 50, 50), n_train=500_000, n_valid=10_000, measure_batch=500)


def _quick_anneal(process: str, n_categories: int) -> AnnealSettings:
    """Widths 128 (2/2/3 layers), 16 latents, :math:`\\hat\\beta` in 0.005..1 (about 3-550 GeV),
    three grid points per decade (8 steps each way, zig-zag runs of 2 steps starting 4 points
    lower: 20 steps), epochs of 100 batches, LR 3e-3 reset at each step.  The first step (from the
    random initialisation, at the smallest :math:`\\hat\\beta`) runs up to 16 epochs (12 for the
    mixed sample): measured, a 128-wide network decodes every centred W jet to the mean jet for
    the first ~1000 batches and learns the decay after ~1500.  Then up to 2 / 1 / 5 epochs per
    priming / zig-zag / production step for W and top jets (first step 12, then 1 / 1 / 4 for
    the mixed sample and QCD); 16k training W jets, 8000 top / QCD / mixed.  Measured CPU time
    (user+sys, training and data loading) of the four quick runs: VAE_cent 325 s, VAE_uncent
    317 s, top 325 s, mixed sample 402 s; about 14 minutes in all on a quiet 2-core CPU (CPU time
    / 1.6) one after another.  The local cluster trains VAE_uncent and VAE_cent side by side, one
    thread each: notebook 20 took 6.0 minutes of wall time in the quick run of commit 731efd2."""
    w = process == "w"
    # Top jets get the W runs' epochs per step (notebook 24 compares their dimensionalities, which
    # must not differ merely because one run trained longer); the two-category mixed sample, whose
    # every batch costs two decoder passes, and QCD get fewer.
    long = process in ("w", "top")
    width = (128, 128)
    return AnnealSettings(
        model=JetVAEConfig(latent_dim=16, pfn_widths=width, encoder_widths=width,
                           decoder_widths=width + (128,), n_categories=n_categories),
        schedule=AnnealSchedule(beta_min=0.005, beta_max=1.0, per_decade=3,
                                zigzag_drop=4, zigzag_length=2),
        train=TrainConfig(epochs=5, batch_size=100, steps_per_epoch=100, learning_rate=3e-3,
                          early_stopping_patience=2, lr_patience=1, lr_factor=0.1 ** 0.5,
                          monitor="val_loss", max_nan_recoveries=3),
        epochs=(2, 1, 5) if long else (1, 1, 4), first_epochs=16 if long else 12,
        n_train=16_000 if w else 8000, n_valid=500)


def _dry_anneal(process: str, n_categories: int) -> AnnealSettings:
    """The dry run: the papers' model, batches, learning rate and schedule (the range
    :math:`10^{-5}..1`, priming, zig-zag and production), with the counts capped: one grid point
    per decade (6 points, 21 steps), one epoch of one batch a step, 400 training and 100
    validation jets."""
    paper = _paper_anneal(process, n_categories)
    return capped(paper, schedule=capped(paper.schedule, per_decade=1),
                  train=capped(paper.train, epochs=1, steps_per_epoch=1),
                  epochs=(1, 1, 1), n_train=400, n_valid=100)


def _smoke_anneal(process: str, n_categories: int) -> AnnealSettings:
    """A few seconds."""
    return AnnealSettings(
        model=JetVAEConfig(latent_dim=6, pfn_widths=(16,), encoder_widths=(16,),
                           decoder_widths=(16,), n_categories=n_categories),
        schedule=AnnealSchedule(beta_min=0.02, beta_max=0.5, per_decade=1, zigzag_drop=1,
                                zigzag_length=1),
        train=TrainConfig(epochs=1, batch_size=50, steps_per_epoch=2, learning_rate=1e-3,
                          monitor="val_loss", max_nan_recoveries=3),
        epochs=(1, 1, 1), n_train=200, n_valid=50, measure_batch=50)


# ------------------------------------------------------------- the compute-to-claims ladder
LADDER_KEYS = ("latent_dim", "width", "epochs_scale", "steps_per_epoch", "learning_rate",
               "jets_scale", "per_decade")
r"""What a rung of the compute-to-claims study (``benchmarks/jet_claims_ladder.py``, issue 14) may
change in every annealing run of a profile: the latent count, the width of every layer (the layer
counts stay), a factor on the epochs of every step, the batches per epoch, the learning rate, a
factor on the training jets (above 1 the jet samples grow by the same factor, in files of their
own) and the grid points per decade of :math:`\hat\beta` (the schedule's range and phases
stay)."""


def _check_ladder(changes, func: str) -> dict:
    """A rung's changes, checked (keys of :data:`LADDER_KEYS`, positive numbers)."""
    if not isinstance(changes, dict):
        raise TypeError(f"{func}: `ladder` must be a dict of settings changes (keys "
                        f"{', '.join(LADDER_KEYS)}) or None; got {type(changes).__name__}.")
    unknown = sorted(set(changes) - set(LADDER_KEYS))
    if unknown:
        raise ValueError(f"{func}: ladder has no setting {', '.join(map(repr, unknown))}; a rung "
                         f"may change {', '.join(LADDER_KEYS)}.")
    out = {}
    for key, value in changes.items():
        integer = key in ("latent_dim", "width", "steps_per_epoch", "per_decade")
        ok = isinstance(value, (int, np.integer)) if integer else isinstance(
            value, (int, float, np.integer, np.floating))
        if isinstance(value, bool) or not ok or not np.isfinite(value) or value <= 0:
            kind = "a positive integer" if integer else "a positive number"
            raise ValueError(f"{func}: ladder[{key!r}] must be {kind}; got {value!r}.")
        out[key] = int(value) if integer else float(value)
    return out


def ladder_anneal(anneal: AnnealSettings, changes: dict, *, max_train: int | None = None
                  ) -> AnnealSettings:
    """``anneal`` with the changes of a ladder rung (keys of :data:`LADDER_KEYS`) applied.

    ``epochs_scale`` multiplies the epochs of every step, the first included (rounded, at least
    one), ``jets_scale`` the training jets; ``max_train``: the training jets the run's sample holds
    (:func:`settings` grows the samples by ``jets_scale`` when it is above 1).

    >>> a = ladder_anneal(settings("quick").uncent.anneal, {"latent_dim": 64, "width": 256,
    ...                                                     "epochs_scale": 2})
    >>> a.model.latent_dim, a.model.decoder_widths, a.epochs, a.first_epochs
    (64, (256, 256, 256), (4, 2, 10), 32)
    """
    changes = _check_ladder(changes, "ladder_anneal")
    model, sched, train, out = anneal.model, anneal.schedule, anneal.train, {}
    if "latent_dim" in changes:
        model = dataclasses.replace(model, latent_dim=changes["latent_dim"])
    if "width" in changes:
        w = changes["width"]
        model = dataclasses.replace(model, pfn_widths=(w,) * len(model.pfn_widths),
                                    encoder_widths=(w,) * len(model.encoder_widths),
                                    decoder_widths=(w,) * len(model.decoder_widths))
    if "epochs_scale" in changes:
        f = changes["epochs_scale"]
        out["epochs"] = tuple(max(1, round(e * f)) for e in anneal.epochs)
        if anneal.first_epochs is not None:
            out["first_epochs"] = max(1, round(anneal.first_epochs * f))
    if "steps_per_epoch" in changes:
        train = dataclasses.replace(train, steps_per_epoch=changes["steps_per_epoch"])
    if "learning_rate" in changes:
        train = dataclasses.replace(train, learning_rate=changes["learning_rate"])
    if "jets_scale" in changes:
        f = changes["jets_scale"]
        n = max(1, round(anneal.n_train * f))
        if max_train is not None and n > max_train:
            raise ValueError(f"ladder_anneal: ladder['jets_scale'] = {f:g} asks for {n} "
                             f"training jets; the run's sample holds {max_train}.")
        out["n_train"] = n
    if "per_decade" in changes:
        sched = dataclasses.replace(sched, per_decade=changes["per_decade"])
    return dataclasses.replace(anneal, model=model, schedule=sched, train=train, **out)


def settings(profile: str, *, ladder: dict | None = None) -> JetVAESettings:
    """The settings of notebooks 20-25 for ``profile``; ``ladder`` (a dict, keys of
    :data:`LADDER_KEYS`): a rung of the compute-to-claims study, applied to every annealing run
    (:func:`ladder_anneal`; the notebooks' ``ladder`` parameter, None for the profile as it is).

    * Annealing runs (:class:`~latentdims.models.annealing.AnnealSettings`): ``paper`` as the
      papers (ICLR A.1.3), ``quick`` a small model on a 2-core CPU
      (the quick top/QCD/mixed runs use fewer jets and, except top, fewer
      epochs per step), ``smoke`` a few seconds, ``paper-dry`` the papers' model and schedule
      with capped counts (:func:`_dry_anneal`).
    * :math:`D_{\\rm corr}`: ``smoke`` 40 jets; ``quick`` 500 jets (1.2e5 pairs, about a minute on
      2 cores); ``paper`` 1e4 (ICLR Sec. 2 'Dimensionality'); ``paper-dry`` 200.
    * Latent figures: ``smoke`` draws 5 x 5 grids from the smoke split (25 jets), ``quick`` and
      ``paper`` the papers' 7 x 7 over the whole test split (about 1700 W jets in quick).

    >>> cfg = settings("quick")
    >>> cfg.uncent.anneal.model.latent_dim, cfg.mix.anneal.model.n_categories, cfg.dcorr.n_jets
    (16, 2, 500)
    """
    check_profile(profile, func="jet_vae.settings")
    samples = sample_settings(profile)
    grow = 1.0 if ladder is None else _check_ladder(ladder, "jet_vae.settings").get("jets_scale",
                                                                                      1.0)
    if grow > 1:       # a larger training set needs larger samples (their own files)
        samples = dataclasses.replace(samples, profile=f"{samples.profile}-jets{grow:g}",
                                      n_w=round(samples.n_w * grow),
                                      n_other=round(samples.n_other * grow))
    build = by_profile(profile, smoke=_smoke_anneal, quick=_quick_anneal, paper=_paper_anneal,
                       dry=_dry_anneal)
    paper_dcorr = DcorrSettings(10_000, 200)
    paper_figures = LatentFigureSettings("test", 20_000, 7, 50, 5)

    def run(process: str, centred: bool, n_categories: int = 0) -> AnnealRunSettings:
        anneal = build(process, n_categories)
        if ladder is not None:
            n_train = split_slice(samples.n_jets("w" if process == "w" else "top"), "train").stop
            anneal = ladder_anneal(anneal, ladder,
                                   max_train=2 * n_train if process == "mix" else n_train)
        return AnnealRunSettings(profile, process, centred, anneal, samples)

    return JetVAESettings(
        profile=profile, samples=samples,
        uncent=run("w", False), cent=run("w", True), top=run("top", False),
        mix=run("mix", True, n_categories=2),
        dcorr=by_profile(profile, smoke=DcorrSettings(40, 20), quick=DcorrSettings(500, 100),
                         paper=paper_dcorr, dry=capped(paper_dcorr, n_jets=200, n_boot=20)),
        figures=by_profile(profile, smoke=LatentFigureSettings("test", None, 5, 3, 3),
                           quick=LatentFigureSettings("test", None, 7, 25, 5),
                           paper=paper_figures, dry=capped(paper_figures, n_jets=300)))


# ------------------------------------------------------------------- what the ledger records
DATA_KEYS = {"w": "w-jets", "top": "top-jets", "qcd": "qcd-jets", "mix": "mixed-jets"}
"""The claims ledger's ``data`` key of each process (:func:`latentdims.notebook.data_label`)."""


def data_name(run: AnnealRunSettings) -> str:
    """The ledger's ``data`` key of the jets ``run`` trains on (``'w-jets'``, ``'top-jets'``,
    ``'qcd-jets'``, ``'mixed-jets'``).

    >>> data_name(settings("smoke").mix)
    'mixed-jets'
    """
    return DATA_KEYS[_check_run(run, "data_name").process]


def _count(n: int) -> str:
    """3600000 -> '3.6M', 7400 -> '7.4k', 200 -> '200'."""
    for size, suffix in ((10**6, "M"), (10**3, "k")):
        if n >= size:
            return f"{n / size:.3g}{suffix}"
    return str(n)


def _number(x: float) -> str:
    return f"{x:g}".replace("e-0", "e-")


def max_batches(anneal: AnnealSettings) -> int:
    """The most training batches the whole schedule of ``anneal`` may run (every step to its
    maximum epochs, no early stopping)."""
    steps = anneal.schedule.grid_indices()
    epochs = sum(anneal.epochs_for(phase, i) for i, (phase, _, _) in enumerate(steps))
    return epochs * anneal.train.steps_per_epoch


def _describe(anneal: AnnealSettings) -> dict[str, str]:
    m, s = anneal.model, anneal.schedule
    width = max(tuple(m.pfn_widths) + tuple(m.encoder_widths) + tuple(m.decoder_widths))
    return {"latents": f"{m.latent_dim} latents", "widths": f"widths {width}",
            "batches": f"at most {_count(max_batches(anneal))} batches",
            "jets": f"{_count(anneal.n_train)} training jets",
            "grid": f"beta-hat {_number(s.beta_min)}-{_number(s.beta_max)} at {s.per_decade} "
                    f"per decade"}


SUBSTITUTION_PARTS = ("latents", "widths", "batches", "jets", "grid")


def substitution(run: AnnealRunSettings, parts=SUBSTITUTION_PARTS) -> str | None:
    """What the run's experiment changes from the papers' (ICLR App. A.1.3), for the ledger's
    ``substitution``; None when nothing among ``parts`` differs (the ``paper`` profile).

    ``parts``: any of ``'latents'``, ``'widths'`` (the widest layer), ``'batches'`` (the most
    the schedule may train), ``'jets'`` (training jets) and ``'grid'`` (the beta-hat grid).

    >>> substitution(settings("paper").uncent) is None
    True
    >>> substitution(settings("smoke").uncent, parts=("latents", "widths"))
    "6 latents, widths 16 in place of the papers' 256 latents, widths 1024"
    """
    run = _check_run(run, "substitution")
    unknown = sorted(set(parts) - set(SUBSTITUTION_PARTS))
    if unknown:
        raise ValueError(f"substitution: unknown `parts` {unknown}; use any of "
                         f"{SUBSTITUTION_PARTS}.")
    ours = _describe(run.anneal)
    papers = _describe(_paper_anneal(run.process, run.anneal.model.n_categories))
    differ = [k for k in SUBSTITUTION_PARTS if k in parts and ours[k] != papers[k]]
    if not differ:
        return None
    return (f"{', '.join(ours[k] for k in differ)} in place of the papers' "
            f"{', '.join(papers[k] for k in differ)}")


def substitutions(runs: dict) -> str | None:
    """:func:`substitution` of several runs behind one claim (``{"top": cfg.top, "W":
    cfg.uncent}``): one phrase if they agree, else ``"top: ...; W: ..."``; None if none
    differs from the papers."""
    subs = {name: substitution(r) for name, r in runs.items()}
    distinct = {v for v in subs.values() if v is not None}
    if not distinct:
        return None
    if len(set(subs.values())) == 1:
        return distinct.pop()
    return "; ".join(f"{name}: {v or 'as the papers'}" for name, v in subs.items())


def profile_note(run: AnnealRunSettings) -> str:
    """A Markdown sentence saying how the ``run``'s profile differs from the papers (shown by
    the notebooks instead of typed settings, which would go stale when the profile changes)."""
    run = _check_run(run, "profile_note")
    what = substitution(run)
    if what is None:
        return f"**The `{run.profile}` profile** trains the papers' model and schedule."
    return f"**Where the `{run.profile}` profile differs from the papers:** {what}."



# --------------------------------------------------------------------------------------- data
def anneal_data(process: str, samples: JetSampleSettings, *, centred: bool = False,
                split: str = "train", n: int | None = None, seed: int = 0
                ) -> tuple[JetSample, np.ndarray | None]:
    """The jets an annealing run uses: ``(JetSample, labels)``.

    ``process='mix'`` concatenates the top and QCD samples of the split (half each, shuffled
    with ``seed``); ``labels`` is then 1 for top and 0 for QCD, else None.  ``n`` keeps the first
    ``n`` jets (all of the split if None).  ``samples``: the jet-sample sizes
    (:func:`latentdims.studies.jet_samples.sample_settings`).
    """
    func = "anneal_data"
    check_choice(process, JET_PROCESSES, name="process", func=func)
    if n is not None:
        n = check_int(n, name="n", func=func, minimum=1)
    if process != "mix":
        sample = jet_sample(process, samples, split=split, centred=centred)
        return (sample if n is None else sample.take(slice(0, min(n, len(sample))))), None
    top = jet_sample("top", samples, split=split, centred=centred)
    qcd = jet_sample("qcd", samples, split=split, centred=centred)
    half = min(len(top), len(qcd)) if n is None else min(len(top), len(qcd), math.ceil(n / 2))
    top, qcd = top.take(slice(0, half)), qcd.take(slice(0, half))
    merged = {}
    for f in dataclasses.fields(top):
        a, b = getattr(top, f.name), getattr(qcd, f.name)
        if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
            merged[f.name] = np.concatenate([a, b])
        elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            merged[f.name] = None     # truth that only one process has (e.g. W decay angles)
    labels = np.concatenate([np.ones(half, np.int64), np.zeros(half, np.int64)])
    sample = dataclasses.replace(top, process="mix", **merged)
    order = np.random.default_rng([seed, 7]).permutation(len(labels))
    if n is not None:
        order = order[:n]
    return sample.take(order), labels[order]


# -------------------------------------------------------------------------------- cached runs
def _check_run(run: Any, func: str) -> AnnealRunSettings:
    if not isinstance(run, AnnealRunSettings):
        raise TypeError(f"{func}: `run` must be an AnnealRunSettings (e.g. settings(profile)"
                        f".uncent); got {type(run).__name__}.")
    return run


def _run_config(run: AnnealRunSettings, seed: int) -> dict:
    """The cache key's configuration (unchanged since the runs took a profile string)."""
    sources = ["top", "qcd"] if run.process == "mix" else [run.process]
    return {"version": RUNNER_VERSION, "profile": run.profile, "process": run.process,
            "centred": bool(run.centred), "seed": seed, "settings": run.anneal,
            "data": [jet_sample_identity(p, run.samples) for p in sources]}


def _sampler(run: AnnealRunSettings, seed: int):
    def sample(split: str, n: int | None):
        return anneal_data(run.process, run.samples, centred=run.centred, split=split, n=n,
                           seed=seed)
    return sample


def annealing_run(run: AnnealRunSettings, *, seed: int = 0, progress: bool = True) -> AnnealRun:
    """The trained annealing run ``run``, from the cache (trained if missing).

    Parameters
    ----------
    run : AnnealRunSettings
        One of :func:`settings`' runs (``cfg.uncent``, ``cfg.cent``, ``cfg.top``, ``cfg.mix``).
    seed : int
        Seeds the model, the batch order and the mixing of the mixed sample.
    progress : bool

    Returns
    -------
    AnnealRun
        Cached as ``jet_anneal/<key>`` with ``key`` a hash of the profile label, variant, seed,
        the full settings and the data files' names; the checkpoints of an unfinished build live
        in the cache's work folder, so an interrupted training resumes.  Its
        :meth:`~latentdims.models.annealing.AnnealRun.data` loads the run's jets.
    """
    func = "annealing_run"
    run = _check_run(run, func)
    seed = check_int(seed, name="seed", func=func, minimum=0)
    settings_ = run.anneal

    def build(out: Path, work: Path) -> None:
        train_sample, _ = anneal_data(run.process, run.samples, centred=run.centred,
                                      split="train", n=settings_.n_train, seed=seed)
        valid_sample, _ = anneal_data(run.process, run.samples, centred=run.centred,
                                      split="valid", n=settings_.n_valid, seed=seed)
        manifest = train_annealing(
            settings_, jet_batch(train_sample.weights, train_sample.points),
            jet_batch(valid_sample.weights, valid_sample.points), work_dir=work,
            ht_mean=float(np.mean(train_sample.ht)), seed=seed, progress=progress)
        export_run(manifest, work, out, profile=run.profile, process=run.process,
                   centred=bool(run.centred), seed=seed, n_train=len(train_sample),
                   n_valid=len(valid_sample))

    return AnnealRun(cached("jet_anneal", _run_config(run, seed), build),
                     sampler=_sampler(run, seed))


def annealing_folder(task: tuple[AnnealRunSettings, int, bool]) -> Path:
    """The cache folder of the annealing run ``(run, seed, progress)`` (trained if missing): the
    module-level task :func:`annealing_runs` sends to :func:`latentdims.core.sweeps.run_sweep`."""
    run, seed, progress = task
    return annealing_run(run, seed=seed, progress=progress).path


def annealing_runs(runs: dict[str, AnnealRunSettings], *, seed: int = 0,
                   progress: bool = True) -> dict[str, AnnealRun]:
    """:func:`annealing_run` of each of ``runs`` (name -> settings): the runs are independent,
    so those not cached yet train side by side through :func:`latentdims.core.sweeps.run_sweep`."""
    for run in runs.values():
        _check_run(run, "annealing_runs")
    seed = check_int(seed, name="seed", func="annealing_runs", minimum=0)
    folders = run_sweep(annealing_folder, [(run, seed, progress) for run in runs.values()],
                        desc="annealing runs", progress=progress)
    return {name: AnnealRun(folder, sampler=_sampler(run, seed))
            for (name, run), folder in zip(runs.items(), folders)}


def w_runs(cfg: JetVAESettings, *, seed: int = 0, progress: bool = True) -> dict[str, AnnealRun]:
    """VAE_uncent and VAE_cent: ``{"uncent": run, "cent": run}`` (:func:`annealing_runs`)."""
    return annealing_runs({"uncent": cfg.uncent, "cent": cfg.cent}, seed=seed, progress=progress)


def training_summary(runs: dict[str, AnnealRun]) -> str:
    """One line per run: steps, :math:`\\langle H_T\\rangle`, epochs and minutes of training."""
    lines = []
    for name, r in runs.items():
        minutes = sum(h["seconds"] for s in r.steps for h in s["history"]) / 60
        lines.append(f"VAE_{name}: {len(r.steps)} steps, <H_T> = {r.ht_mean:.0f} GeV, "
                     f"{sum(s['epochs'] for s in r.steps)} epochs, {minutes:.1f} min of training "
                     f"epochs")
    return "\n".join(lines)


@dataclass(frozen=True)
class ScheduleShape:
    """Steps per phase of a run and whether it has the papers' shape (:func:`schedule_shape`)."""
    n_priming: int
    n_zigzag: int
    n_production: int
    ok: bool


def schedule_shape(run: AnnealRun) -> ScheduleShape:
    """Does the run follow the papers' schedule: priming upwards, zig-zag runs each starting
    lower (the last at the smallest :math:`\\beta`), production repeating the priming values?"""
    segments = sorted({s["segment"] for s in run.steps if s["phase"] == "zigzag"})
    starts = [run.steps[run.indices("zigzag", seg)[0]]["beta_hat"] for seg in segments]
    ok = (list(run.beta_gev("priming")) == list(run.beta_gev("production"))
          and bool(np.all(np.diff(run.beta_gev("priming")) > 0))
          and bool(np.all(np.diff(starts) < 0))
          and np.isclose(starts[-1], run.steps[0]["beta_hat"]))
    return ScheduleShape(len(run.indices("priming")), len(run.indices("zigzag")),
                         len(run.indices("production")), bool(ok))


@dataclass(frozen=True)
class Organisation:
    """Informative directions (KL above a threshold) per step of a run's priming and production
    runs (:func:`organisation`; ICLR Sec. 2 'Training', Fig. 7).

    Attributes
    ----------
    n_latent : int
    threshold : float
        Nats.
    priming, production : ndarray of int
        Informative directions at the end of each step, in training order.
    """
    n_latent: int
    threshold: float
    priming: np.ndarray
    production: np.ndarray

    @property
    def priming_all_fraction(self) -> float:
        """Fraction of the priming steps at which every latent direction is informative."""
        return float(np.mean(self.priming == self.n_latent))

    @property
    def production_most(self) -> int:
        """The most informative directions at any production step."""
        return int(self.production.max())


def organisation(run: AnnealRun, *, threshold: float = 0.1) -> Organisation:
    """How many latent directions carry more than ``threshold`` nats at each step of the
    priming and the production run (``kl_per_latent`` on the validation jets)."""
    return Organisation(run.latent_dim, float(threshold),
                        n_informative(kl_curves(run, "priming")[1], threshold=threshold),
                        n_informative(kl_curves(run, "production")[1], threshold=threshold))


@dataclass(frozen=True)
class SwitchOff:
    """Each latent's critical :math:`\\beta` (:func:`switch_off`).

    Attributes
    ----------
    beta_crit : ndarray, shape (n,)
        The largest :math:`\\beta` [GeV] at which the latent is informative; NaN if never.
    clean : ndarray of bool, shape (n,)
        Informative at every step with :math:`\\beta \\le \\beta_{\\rm crit}` (and, by
        definition, at none above): a single critical value.  True for never-informative ones.
    beta_top : float
        The largest :math:`\\beta` of the steps: a direction with :math:`\\beta_{\\rm crit}`
        there never switches off on the grid.
    """
    beta_crit: np.ndarray
    clean: np.ndarray
    beta_top: float

    @property
    def n_directions(self) -> int:
        """Latents informative at some step."""
        return int(np.isfinite(self.beta_crit).sum())

    @property
    def n_clean(self) -> int:
        """Of those, the ones with a single critical beta."""
        return int(self.clean[np.isfinite(self.beta_crit)].sum())

    @property
    def n_switched(self) -> int:
        """Directions that switch off inside the grid (critical beta below its top)."""
        return int(np.sum(np.isfinite(self.beta_crit) & (self.beta_crit < self.beta_top)))


def switch_off(beta, kl, *, threshold: float = 0.1) -> SwitchOff:
    """Does each latent direction have a critical :math:`\\beta` above which it is uninformative
    and below which it is informative (ICLR Sec. 2 'Training')?

    Parameters
    ----------
    beta : array, shape (K,)
        The steps' :math:`\\beta` (any order; e.g. :func:`kl_curves` of the production run).
    kl : array, shape (K, n)
        KL per latent [nats].
    threshold : float
        Informative: KL above this many nats.

    Examples
    --------
    Latent 0 informative up to the second step, latent 1 switching on again, latent 2 never:

    >>> kl = np.array([[2.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    >>> res = switch_off([1.0, 2.0, 4.0], kl)
    >>> res.beta_crit.tolist()[:2], res.clean.tolist(), res.n_directions, res.n_clean
    ([2.0, 4.0], [True, False, True], 2, 1)
    >>> res.n_switched
    1
    """
    func = "switch_off"
    beta = check_array(beta, name="beta", func=func, ndim=1, min_rows=1)
    kl = check_array(kl, name="kl", func=func, shape=(len(beta), None))
    order = np.argsort(beta, kind="stable")
    beta, informative = beta[order], kl[order] > threshold
    crit, clean = np.full(kl.shape[1], np.nan), np.ones(kl.shape[1], dtype=bool)
    for i in range(kl.shape[1]):
        on = np.flatnonzero(informative[:, i])
        if len(on):
            crit[i] = beta[on[-1]]
            clean[i] = bool(np.all(informative[: on[-1] + 1, i]))
    return SwitchOff(crit, clean, float(beta[-1]))


def _leading(kl: np.ndarray, m: int) -> set:
    """The ``m`` latents of largest KL (ties: lower index first)."""
    return set(np.argsort(-kl, kind="stable")[:m].tolist())


@dataclass(frozen=True)
class Preservation:
    """Whether the leading directions survive each lowering of :math:`\\beta` in a schedule
    (:func:`preserved_descents`).

    Attributes
    ----------
    steps : list of (int, int)
        The global step indices (before, after) of every lowering that could be judged.
    preserved : ndarray of bool
        The ``m`` leading latents before (``m`` its informative directions) are the ``m``
        leading ones after.
    n_skipped : int
        Lowerings not judged: no informative direction before, or all of them (saturated).
    """
    steps: list
    preserved: np.ndarray
    n_skipped: int

    @property
    def n_preserved(self) -> int:
        return int(self.preserved.sum())


def preserved_descents(run: AnnealRun, *, threshold: float = 0.1) -> Preservation:
    """Over every step of the schedule that lowers :math:`\\beta` (into and along the zig-zag,
    and into the production run): are the directions informative before the step still the
    leading ones after it?

    With ``m`` the number of latents above ``threshold`` nats before the step (``0 < m < n``),
    the step preserves the organisation if the ``m`` latents of largest KL are the same set
    after it (ICLR Sec. 2 'Training': organised directions "have a tendency to be preserved if
    beta is subsequently gradually reduced").
    """
    kl = [np.asarray(st["metrics"]["kl_per_latent"]) for st in run.steps]
    beta = [st["beta_gev"] for st in run.steps]
    steps, preserved, skipped = [], [], 0
    for k in range(len(kl) - 1):
        if not beta[k + 1] < beta[k]:
            continue
        m = int(np.sum(kl[k] > threshold))
        if m == 0 or m == len(kl[k]):
            skipped += 1
            continue
        steps.append((k, k + 1))
        preserved.append(_leading(kl[k], m) == _leading(kl[k + 1], m))
    return Preservation(steps, np.array(preserved, dtype=bool), skipped)



# ----------------------------------------------------------------------------- dimensionality
def jet_correlation_dimension(run: AnnealRun, dcorr: DcorrSettings, *, n_jets: int | None = None,
                              q_per_step: int = 2, seed: int = 0,
                              progress: bool = True) -> JetDcorr:
    r"""Correlation dimension of a run's training jets, on the run's :math:`\beta` axis.

    .. math::
        D_{\rm corr}(Q) = \frac{d}{d\log Q}\log\sum_{i\ne j}\Theta\left(Q^2 - S^2(x_i, x_j)
        \right), \qquad S = \langle H_T\rangle\hat S,\quad Q = 2\beta

    (ICLR Sec. 2 'Dimensionality', Eq. 3: "arbitrarily plotted with Q = 2 beta").  The EMDs are the
    sharp Sinkhorn ones (:func:`latentdims.maths.sinkhorn.pairwise_emd`) on the first ``n_jets``
    training jets of the run's sample; the scales :math:`Q` cover the production run's
    :math:`2\beta` range with ``q_per_step`` points per grid interval
    (:func:`latentdims.maths.latent_measures.dcorr_scales`).  Cached as ``jet_dcorr`` keyed by the
    run's sample, ``n_jets`` and the scales.

    Parameters
    ----------
    run : AnnealRun
        From :func:`annealing_run` (it loads its jets).
    dcorr : DcorrSettings
        ``cfg.dcorr`` of :func:`settings`.
    n_jets : int, optional
        Default ``dcorr.n_jets``.
    q_per_step : int
        Scales per interval of the production grid (finer than the grid: D_corr is cheap once the
        distances exist).
    seed : int
        Bootstrap seed.
    """
    func = "jet_correlation_dimension"
    if not isinstance(dcorr, DcorrSettings):
        raise TypeError(f"{func}: `dcorr` must be a DcorrSettings (settings(profile).dcorr); got "
                        f"{type(dcorr).__name__}.")
    n_jets = dcorr.n_jets if n_jets is None else check_int(n_jets, name="n_jets", func=func,
                                                           minimum=2)
    q = dcorr_scales(run.beta_gev("production"), q_per_step)
    config = {"process": run.process, "profile": run.profile, "centred": run.centred,
              "seed": run.manifest["seed"], "n_jets": n_jets, "ht_mean": run.ht_mean,
              "q": q, "n_boot": dcorr.n_boot, "boot_seed": seed, "version": 1}

    def compute():
        jets = run.data("train", n=n_jets)
        stacked = np.concatenate([jets.weights[..., None], jets.points], axis=-1)
        dist = pairwise_emd(stacked, progress=progress) * run.ht_mean        # GeV
        res = correlation_dimension(dist, q, n_boot=dcorr.n_boot, seed=seed)
        return {"q": res.q, "dcorr": res.dcorr, "lower": res.lower, "upper": res.upper,
                "valid": res.valid}

    out = cached_arrays("jet_dcorr", config, compute)
    return JetDcorr(beta=out["q"] / 2, dcorr=out["dcorr"], lower=out["lower"],
                    upper=out["upper"], valid=out["valid"].astype(bool))


def informative_counts(run: AnnealRun, *, threshold: float = 0.1, phase: str = "production"
                       ) -> tuple[np.ndarray, np.ndarray]:
    """``(beta_gev, number of latents with KL > threshold nats)`` per step of ``phase``."""
    check_choice(phase, PHASES, name="phase", func="informative_counts")
    beta, kl = kl_curves(run, phase)
    return beta, n_informative(kl, threshold=threshold)


def mean_over(beta, values, lo: float, hi: float) -> float:
    """Mean of ``values`` where ``lo <= beta <= hi`` (NaN if none)."""
    beta, values = np.asarray(beta), np.asarray(values)
    sel = (beta >= lo) & (beta <= hi)
    return float(np.mean(values[sel])) if sel.any() else float("nan")


def informative_at(run: AnnealRun, beta_gev: float, *, threshold: float = 0.1) -> int:
    """Latent directions with KL above ``threshold`` nats at the production step closest to
    ``beta_gev``."""
    kl = np.asarray(run.steps[run.closest_step(beta_gev)]["metrics"]["kl_per_latent"])
    return int(np.sum(kl > threshold))


def value_near(beta, values, target: float) -> float:
    """``values`` at the ``beta`` closest to ``target`` on a log axis (e.g. D1 at ~10 GeV)."""
    beta, values = np.asarray(beta, dtype=float), np.asarray(values, dtype=float)
    return float(values[np.argmin(np.abs(np.log(beta / target)))])


def dcorr_alignment(curve: DimensionCurve, dcorr: JetDcorr) -> tuple[float, int]:
    """Spearman rank correlation of :math:`D_1(\\beta)` with :math:`D_{\\rm corr}(Q = 2\\beta)`
    interpolated (on :math:`\\log\\beta`) at :math:`D_1`'s midpoints inside the valid range of
    :math:`D_{\\rm corr}`, and the number of those points (NaN below 3 points or when either
    curve is constant there).

    >>> from latentdims.maths.dimensionality import DimensionCurve
    >>> b = np.array([1.0, 2.0, 4.0, 8.0])
    >>> jd = JetDcorr(b, 4 - np.log2(b), 0 * b, 0 * b, np.ones(4, bool))
    >>> dcorr_alignment(DimensionCurve(b, 5 - np.log2(b), 0 * b), jd)
    (1.0, 4)
    """
    v = np.asarray(dcorr.valid, dtype=bool)
    if v.sum() < 2:
        return float("nan"), 0
    lb = np.log(dcorr.beta[v])
    inside = (np.log(curve.beta) >= lb.min()) & (np.log(curve.beta) <= lb.max())
    if inside.sum() < 3:
        return float("nan"), int(inside.sum())
    d1 = np.asarray(curve.d1)[inside]
    dc = np.interp(np.log(curve.beta[inside]), lb, dcorr.dcorr[v])
    if np.ptp(d1) == 0 or np.ptp(dc) == 0:
        return float("nan"), int(inside.sum())
    return float(spearmanr(d1, dc).statistic), int(inside.sum())


@dataclass(frozen=True)
class DimensionComparison:
    """Two runs' dimensionalities over a :math:`\\beta` window (:func:`compare_dimensions`).

    Attributes
    ----------
    beta : ndarray
        The first run's production steps in the window [GeV].
    n_first, n_second : ndarray of int
        Informative latents of each run there (the second at its closest step).
    saturated : ndarray of bool
        Both runs use every latent: the architecture caps the count, which says nothing.
    d1_first, d1_second : float
        Mean :math:`D_1` of each run over the first run's midpoints in the window whose two
        steps are unsaturated (NaN if none).
    """
    beta: np.ndarray
    n_first: np.ndarray
    n_second: np.ndarray
    saturated: np.ndarray
    d1_first: float
    d1_second: float

    @property
    def decided(self) -> bool:
        """At least one unsaturated step and a finite D1 comparison."""
        return bool((~self.saturated).any() and np.isfinite(self.d1_first)
                    and np.isfinite(self.d1_second))

    @property
    def first_larger(self) -> bool:
        """Decided, a larger mean D1, and at least as many informative latents at every
        unsaturated step."""
        free = ~self.saturated
        return bool(self.decided and self.d1_first > self.d1_second
                    and np.all(self.n_first[free] >= self.n_second[free]))


def compare_dimensions(first: AnnealRun, second: AnnealRun, *, lo: float, hi: float,
                       threshold: float = 0.1) -> DimensionComparison:
    """Compare the production runs' :math:`D_1` and informative latents (KL above
    ``threshold`` nats) of two runs between ``lo`` and ``hi`` GeV, leaving out the steps where
    both use every latent (there the latent count, not the data, sets both numbers)."""
    n_latent = first.latent_dim
    beta_a, count_a = informative_counts(first, threshold=threshold)
    beta_b, count_b = informative_counts(second, threshold=threshold)
    order = np.argsort(beta_a, kind="stable")
    beta_a, count_a = beta_a[order], count_a[order]
    at_b = np.array([value_near(beta_b, count_b, b) for b in beta_a]).astype(int)
    saturated = (count_a >= n_latent) & (at_b >= second.latent_dim)
    keep = (beta_a >= lo) & (beta_a <= hi)
    curve_a, curve_b = run_dimensions(first), run_dimensions(second)
    # midpoint k lies between sorted steps k and k + 1; use it if both are in the window and
    # neither is saturated
    free = ~saturated
    mids = keep[:-1] & keep[1:] & free[:-1] & free[1:]
    d1_a = float(np.mean(curve_a.d1[mids])) if mids.any() else float("nan")
    d1_b = (float(np.mean(np.interp(np.log(curve_a.beta[mids]), np.log(curve_b.beta),
                                    curve_b.d1))) if mids.any() else float("nan"))
    return DimensionComparison(beta_a[keep], count_a[keep], at_b[keep], saturated[keep], d1_a,
                               d1_b)



# ------------------------------------------------------------------------------- latent views
@dataclass(frozen=True)
class LatentView:
    """A run's model at one production step, with the jets it is looked at through.

    Attributes
    ----------
    step : int
        Global step index.
    beta_gev : float
        :math:`\\beta` of the step [GeV].
    model : JetVAE
    order : ndarray, shape (n,)
        Latents by decreasing KL at the step.
    kl : ndarray, shape (n,)
        KL per latent at the step [nats] (validation jets).
    means : ndarray, shape (N, n)
        Posterior means of the jets given to :func:`latent_view`.
    metrics : dict
        The step's measurements (rate, distortion, ...).
    """
    step: int
    beta_gev: float
    model: JetVAE
    order: np.ndarray
    kl: np.ndarray
    means: np.ndarray
    metrics: dict

    @property
    def n_latent(self) -> int:
        return int(self.model.config.latent_dim)


def latent_view(run: AnnealRun, beta_gev: float, jets: JetSample, *,
                category: int | None = None) -> LatentView:
    """The model at the production step closest to ``beta_gev``, its latents by KL and the
    posterior means of ``jets`` (of ``category`` for a model with a categorical latent)."""
    step = run.closest_step(beta_gev)
    model = run.load_model(step)
    means, _ = encode_jets(model, jets.weights, jets.points, category=category)
    record = run.steps[step]
    return LatentView(step, float(record["beta_gev"]), model, latent_order(run, step),
                      np.asarray(record["metrics"]["kl_per_latent"]), means, record["metrics"])


def phi_ring_fit(view: LatentView, jets: JetSample, dims, figures: LatentFigureSettings, *,
                 seed: int = 0) -> tuple[np.ndarray, float]:
    """How well the latents ``dims`` together predict ``(cos phi, sin phi)`` of the jets
    (cross-validated :math:`R^2` per target,
    :func:`~latentdims.maths.latent_measures.smooth_fit_r2`), and the best mean :math:`R^2` of
    any one of them alone."""
    dims = [int(d) for d in dims]
    target = np.stack([np.cos(jets.jet_phi), np.sin(jets.jet_phi)], 1)
    kw = dict(n_neighbors=figures.n_neighbors, n_folds=figures.n_folds, seed=seed)
    r2 = smooth_fit_r2(view.means[:, dims], target, **kw)
    one = max(float(np.mean(smooth_fit_r2(view.means[:, [k]], target, **kw))) for k in dims)
    return r2, one


def further_directions(view: LatentView, jets: JetSample, *, n_leading: int = 12, n_pick: int = 4,
                       min_kl: float = 0.1):
    """The directions after the position ones (ICLR Fig. 8): among the ``n_leading`` most
    informative latents with KL above ``min_kl`` nats, the ``n_pick`` that track the jet's
    position least (:func:`~latentdims.maths.latent_measures.position_ranking`), in KL order.

    Returns
    -------
    leading : list of int
    table : pandas.DataFrame
        The position ranking of ``leading``.
    picked : list of int
    """
    leading = [int(i) for i in view.order[: min(n_leading, view.n_latent)] if view.kl[i] > min_kl]
    table = position_ranking(view.means, jets, leading)
    least = set(table.index[:n_pick])
    return leading, table, [k for k in leading if f"z{k}" in least]


@dataclass(frozen=True)
class DirectionCheck:
    """One ICLR Fig. 8 check: the claim, the column of the position table it reads, the
    |Spearman| it must exceed, what the column is, and the role it names on the figure."""
    claim_id: str
    column: str
    threshold: float
    what: str
    role: str


# ICLR App. A.2 (boost, third prong) and NeurIPS Sec. 3 (the W decay); the thresholds are ours:
# the papers describe the directions by eye
FIG8_CHECKS = (
    DirectionCheck("uncent-next-direction-boost", "pT", 0.4, "jet pT (boost)", "boost"),
    DirectionCheck("uncent-next-direction-decay", "cos theta_W", 0.4,
                   "cos theta of the W decay (prong balance)", "decay"),
    DirectionCheck("uncent-next-direction-third-prong", "tau32", 0.3, "tau32 (third prong)",
                   "third prong"))


@dataclass(frozen=True)
class DirectionRoles:
    """What the checks found among some directions (:func:`direction_roles`).

    Attributes
    ----------
    found : dict
        ``claim_id -> (latent name or None, |Spearman|)``: the direction that tracks the check's
        column best, and how well.
    roles : dict
        ``latent -> role`` for every direction looked at; None where no check passed.
    not_found : list of str
        The roles of the checks that failed.
    """
    found: dict
    roles: dict
    not_found: list

    def passed(self, check: DirectionCheck) -> bool:
        return bool(self.found[check.claim_id][1] > check.threshold)


def direction_roles(table, directions, checks=FIG8_CHECKS) -> DirectionRoles:
    """Name the roles of ``directions`` (latent indices, rows ``z<k>`` of ``table``) from the
    ``checks``: a direction takes a check's role when it tracks the check's column best and
    above its threshold (a direction may take several); the roles no direction reaches are
    listed, so the figure names a role only where its check passed.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"pT": [0.9, 0.1], "cos theta_W": [0.2, 0.3], "tau32": [0.1, 0.5]},
    ...                  index=["z3", "z7"])
    >>> r = direction_roles(t, [3, 7])
    >>> r.roles, r.not_found
    ({3: 'boost', 7: 'third prong'}, ['decay'])
    >>> r.found["uncent-next-direction-boost"]
    ('z3', 0.9)
    """
    sub = table.loc[[f"z{int(k)}" for k in directions]]
    found = {c.claim_id: (sub[c.column].idxmax(), float(sub[c.column].max())) if len(sub)
             else (None, 0.0) for c in checks}
    roles = {int(k): None for k in directions}
    for c in checks:
        best, value = found[c.claim_id]
        if value > c.threshold:
            k = int(best[1:])
            roles[k] = c.role if roles[k] is None else f"{roles[k]}, {c.role}"
    return DirectionRoles(found, roles,
                          [c.role for c in checks if found[c.claim_id][1] <= c.threshold])


def position_split(view: LatentView, jets: JetSample, *, k: int = 12, threshold: float = 0.5):
    """Among the ``k`` leading latents: those that track the jet's position (score above
    ``threshold``) by decreasing KL, and all ``k`` by increasing position score (the
    substructure candidates first), with the table."""
    order = view.order
    table = position_ranking(view.means, jets, order[:k])
    pos = [int(i) for i in order[:k] if table.loc[f"z{int(i)}", "position"] > threshold]
    return pos, [int(s[1:]) for s in table.index], table


def traversal_panels(view: LatentView, position, substructure, *, centre) -> list[tuple]:
    """The two panels of the top-jet traversal at 40 GeV: ``[(dims, window), ...]``.

    Left, the two leading position latents (else the two leading ones) in a detector-wide window;
    right, the two substructure candidates (else latents 3 and 4 by KL) in a window of half-width
    0.8 around ``centre`` (the jet decoded at the origin).
    """
    order = [int(i) for i in view.order]
    return [(list(position[:2]) if len(position) >= 2 else order[:2],
             dict(window_centre=(0.0, 0.0), half_width=np.pi, area=40.0)),
            (list(substructure[:2]) if len(substructure) >= 2 else order[2:4],
             dict(window_centre=centre, half_width=0.8, area=60.0))]


@dataclass(frozen=True)
class DirectionScales:
    """How far the decoded jet moves along each of some latents, against their KL
    (:func:`direction_scales`).

    Attributes
    ----------
    latents : list of int
    kl : ndarray
        Their KL at the step [nats].
    emd_gev : ndarray
        EMD travelled by the decoded jet from -2 to 2 prior standard deviations along each
        (the others at 0) [GeV].
    rho : float
        Spearman correlation of ``kl`` with ``emd_gev`` (NaN if either is constant).
    """
    latents: list
    kl: np.ndarray
    emd_gev: np.ndarray
    rho: float


def direction_scales(view: LatentView, latents, decode, *, ht_mean: float) -> DirectionScales:
    """The EMD scale of each latent direction of ``view`` (``decode``: its decoder, e.g.
    :func:`latentdims.models.jet_vae.decoder_of`), in GeV with :math:`\\langle H_T\\rangle` =
    ``ht_mean``: a hierarchically organised representation orders its directions by scale
    (:func:`latentdims.maths.latent_measures.decoder_sensitivity`)."""
    latents = [int(k) for k in latents]
    emd = decoder_sensitivity(decode, latents, n_latent=view.n_latent) * float(ht_mean)
    kl = np.asarray(view.kl)[latents]
    rho = (float(spearmanr(kl, emd).statistic) if np.ptp(kl) > 0 and np.ptp(emd) > 0
           else float("nan"))
    return DirectionScales(latents, kl, emd, rho)


@dataclass(frozen=True)
class CategoryLatents:
    """Each category's posterior on the jets of its own truth class (:func:`category_latents`).

    Attributes
    ----------
    rate_top, rate_light : ndarray, shape (n,)
        KL per latent of top jets in the top category and QCD jets in the light one [nats].
    order : ndarray, shape (n,)
        Latents by decreasing ``rate_top``.
    dims : (int, int)
        The top category's two most informative latents.
    means_top, means_light : ndarray
        Posterior means of the top (QCD) jets in the top (light) category.
    """
    rate_top: np.ndarray
    rate_light: np.ndarray
    order: np.ndarray
    dims: tuple[int, int]
    means_top: np.ndarray
    means_light: np.ndarray


def category_latents(model: JetVAE, jets: JetSample, labels, *, c_top: int,
                     c_light: int) -> CategoryLatents:
    """Per-latent KL and posterior means of each category on its truth class (top jets in
    category ``c_top``, QCD jets in ``c_light``;
    :func:`latentdims.models.jet_vae.category_rates`)."""
    is_top = np.asarray(labels) == 1
    n_cat = model.config.n_categories
    rate_top = category_rates(model, jets.weights[is_top], jets.points[is_top],
                              n_categories=n_cat)[c_top]
    rate_light = category_rates(model, jets.weights[~is_top], jets.points[~is_top],
                                n_categories=n_cat)[c_light]
    order = np.argsort(-rate_top, kind="stable")
    means_top, _ = encode_jets(model, jets.weights[is_top], jets.points[is_top], category=c_top)
    means_light, _ = encode_jets(model, jets.weights[~is_top], jets.points[~is_top],
                                 category=c_light)
    return CategoryLatents(rate_top, rate_light, order, (int(order[0]), int(order[1])),
                           means_top, means_light)


def category_usage(run: AnnealRun) -> str:
    """A Markdown sentence on how much the categorical latent carries across the run: its KL
    (at most :math:`\\log C` nats) after the first step and at each production step."""
    if not run.steps or "category_kl" not in run.steps[0]["metrics"]:
        raise ValueError("category_usage: the run's steps record no `category_kl`; is it a "
                         "run with a categorical latent (settings(profile).mix)?")
    n_cat = int(run.manifest["model"].get("n_categories", 0))
    first = run.steps[0]
    prod = [run.steps[i] for i in run.indices("production")]
    along = ", ".join(f"{st['metrics']['category_kl']:.2f} at {st['beta_gev']:.0f} GeV"
                      for st in prod)
    return (f"The categorical latent's KL (at most log {n_cat} = {math.log(max(n_cat, 1)):.2f} "
            f"nats): {first['metrics']['category_kl']:.2f} after the first step at "
            f"{first['beta_gev']:.1f} GeV; in the production run {along}.")
