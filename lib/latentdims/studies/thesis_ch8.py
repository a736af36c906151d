"""Thesis chapter 8 and appendix D: the experiment design per profile, the sweeps over the
number of latents n, the measurements taken on each trained model, the downstream task, and the
adapter that lets :func:`latentdims.maths.fondue.fondue` train through the project's cache.

* :class:`Ch8Settings` / :func:`settings`: which datasets, n, seeds, epochs and sizes each
  profile uses (``paper`` = the thesis: n = 3..42, 5 seeds, FONDUE over 10 seeds, 10,000
  examples; ``quick`` and ``smoke`` are reduced, see the function's docstring), with the
  training sizes of :mod:`latentdims.studies.thesis_runs`.  A notebook resolves its profile
  once (``cfg = settings(profile)``) and passes ``cfg`` to every function below.
* :func:`ch8_run`: a :class:`latentdims.studies.thesis_runs.ThesisRun` for one (model, dataset, n, seed),
  either fully trained (the profile's steps) or trained for ``epochs`` FONDUE epochs.
* :func:`sweep_over_n` and :func:`measure_run` / :func:`sweep_measures`: the trained models of a
  sweep and one row of numbers per model (reconstruction loss, downstream accuracy
  (:func:`latentdims.maths.fondue.downstream_accuracy`), the traces of Var[M] and Var[Z], the
  IDEs of M and Z, the counts of variable types); :func:`elbow_curves` for the elbow figures.
* :func:`fondue_trainer`, :func:`run_fondue`, :func:`run_binary_search`: FONDUE, FONDUE_IB,
  FONDUE_IDE and the supervised binary searches on cached trainings (one training per distinct
  (configuration, n, epochs, seed), shared by every search and notebook that asks for it).
* Notebook 51's searches as :class:`Search` (the result and the training it ran on):
  :func:`main_searches`, :func:`side_searches`, :func:`initialisation_searches`,
  :func:`supervised_searches`; the elbow panels of Figs 8.6-8.8 and D.1-D.4
  (:func:`side_elbow_panels`) and every FONDUE table (:func:`fondue_tables`).
* :func:`data_ides` (Fig 8.4, cached) and :func:`fondue_start`, the n every FONDUE search starts
  from: the data IDE that Fig 8.4 measures (thesis Sec. 8.5.1: MLE with k = 20), computed once
  and shared by notebooks 50 and 51; :func:`snapshot_folder` and :func:`layer_ides` (Fig 8.11).
* The checks of the claims: :func:`latentdims.maths.variables.polarised_trace_gap` (Props 8.3.1-8.3.3, thesis Sec. 8.3.1),
  :func:`elbow` / :func:`elbow_check` / :func:`figure_elbow_check` (Figs 8.5-8.8, D.1-D.4),
  :func:`full_training_seconds` / :func:`cost_check` (FONDUE against one full training of the
  same profile, Tables 8.1, 8.3, 8.7, D.5), :func:`ledger` (the kind, data and substitution of
  every record) and the computed notes of the notebooks (:func:`start_note`).
* :data:`THESIS_TABLES` and :func:`fondue_table`: Tables 8.1-8.8 and D.5 with our numbers beside
  the thesis' A100 numbers.

An "epoch" of a FONDUE training is ``Ch8Settings.epoch_steps`` optimiser steps: in ``paper`` one
pass over the 90 % training split of dSprites (663,552 images / 64 = 10,368 steps; thesis App.
D.1, Table D.1), in ``quick`` one pass over its 20,000 training images (312 steps, rounded to
300).
"""
from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.special import expit

from latentdims.core.cache import cached_arrays, entry_path
from latentdims.core.profiles import DRY_RUN_PROFILE, by_profile, capped
from latentdims.core.sweeps import run_sweep
from latentdims.core.validation import check_choice, check_int
from latentdims.data.images import data_identity, has_real_data
from latentdims.maths.fondue import (DATA_IDE, FondueResult, TrainingOutput, binary_search,
                                     covariance_traces, downstream_accuracy, expected_trace_gap,
                                     fondue)
from latentdims.maths.intrinsic_dim import mle, repeated_id
from latentdims.maths.variables import classify_variables, polarised_trace_gap
from latentdims.models import architectures
from latentdims.models.base import Representations
from latentdims.studies import thesis_runs
from latentdims.studies.thesis_runs import ThesisSettings, join_substitutions, training_substitution

__all__ = ["Ch8Settings", "settings", "ch8_run", "NSweep", "sweep_over_n", "measure_run",
           "sweep_measures", "ElbowCurves", "elbow_curves", "fondue_trainer", "run_fondue", "search_task",
           "run_binary_search", "Search", "FLAVOURS", "main_searches", "side_searches",
           "initialisation_searches", "supervised_searches", "mean_n", "chosen_n",
           "improvement_left", "thesis_value", "side_elbow_panels", "D_FIGURES",
           "search_training_seconds", "fondue_tables", "has_real_data", "init_datasets",
           "data_ides", "snapshot_folder", "layer_ides", "THESIS_TABLES", "fondue_table", "FIGURE_CONFIGS",
           "SIDE_SEARCHES", "by_seed", "settings_table", "timed", "architecture_table", "mle_table",
           "Panel", "fondue_start", "start_note", "MIN_ELBOW_POINTS", "elbow",
           "elbow_check", "figure_elbow_check", "ELBOW_FIGURES", "full_training_seconds",
           "cost_check", "cost_substitution", "init_check", "beta_pruning",
           "binary_search_cost_check", "ledger", "figure_substitution", "figure_data"]

# Regularisation hyper-parameter of each objective (Tables 8.2-8.3; the AE has none).
_DEFAULT_PARAMS = {"beta_vae": {"beta": 1.0}, "dip_vae_ii": {"lambda_od": 1.0}, "autoencoder": {}}


# The (model, params, architecture, dataset) behind each side elbow figure of chapter 8.
FIGURE_CONFIGS = {
    "figure-8.6": ("autoencoder", {}, "conv", "dsprites"),
    "figure-8.7a": ("beta_vae", {"beta": 4.0}, "conv", "symsol"),
    "figure-8.7b": ("dip_vae_ii", {"lambda_od": 0.5}, "conv", "dsprites"),
    "figure-8.8": ("beta_vae", {"beta": 1.0}, "fc", "dsprites"),
}

# The FONDUE searches on other objectives and architectures (seed 0): key ->
# (model, params, architecture, thesis table, thesis row, dataset).
SIDE_SEARCHES = {
    "beta4": ("beta_vae", {"beta": 4.0}, "conv", "8.2", "beta=4", "dsprites"),
    "dip05": ("dip_vae_ii", {"lambda_od": 0.5}, "conv", "8.3", "lambda_od=0.5", "dsprites"),
    "fc": ("beta_vae", {"beta": 1.0}, "fc", "8.7", "FONDUE", "dsprites"),
    "beta4-symsol": ("beta_vae", {"beta": 4.0}, "conv", "8.2", "beta=4", "symsol"),
    "dip05-symsol": ("dip_vae_ii", {"lambda_od": 0.5}, "conv", "8.3", "lambda_od=0.5", "symsol"),
}


@dataclass(frozen=True)
class Ch8Settings:
    """The chapter-8 design in one profile (from :func:`settings`).

    Attributes
    ----------
    profile : str
        The profile's name, a label for table captions (nothing branches on it).
    training : ThesisSettings
        How much a fully trained model trains (:func:`latentdims.studies.thesis_runs.settings`).
    datasets : tuple of str
        Data sets of the sweeps over n (Figs 8.1, 8.5, 8.9-8.12).
    ns, seeds : tuple of int
        Latent sizes and seeds of the main sweep (conv beta-VAE, beta = 1, fully trained).
    side_ns, side_seeds : tuple of int
        Latent sizes and seeds of the other sweeps (AE, beta, DIP-VAE II, FC: Figs 8.6-8.8,
        D.1-D.4), trained for ``side_epochs`` FONDUE epochs.
    side_epochs : int
    d_betas, d_lambdas : tuple of float
        beta and lambda_od values of Figs D.1-D.4.
    fondue_seeds : tuple of int
        Seeds of the FONDUE and FONDUE_IDE searches on the beta = 1 conv VAE (the thesis: 10).
    ib_seeds : tuple of int
        Seeds of its FONDUE_IB searches (the thesis: the same 10).
    side_searches : tuple of str
        Keys of :data:`SIDE_SEARCHES` run with seed 0: FONDUE on the beta = 4 conv VAE (Table
        8.2, Figs 8.7a, D.1, D.2), on DIP-VAE II with lambda_od = 0.5 (Table 8.3, Figs 8.7b,
        D.3, D.4) and on the FC VAE (Table 8.7, Fig 8.8); a figure panel whose search is not
        run shows the thesis' value, and its elbow claim cannot be decided.
    side_criteria : tuple of str
        Criteria of the search on the FC VAE: "trace" (FONDUE) and/or "ib" (FONDUE_IB).
    init_datasets : tuple of str
        Data sets of the initialisation tables (8.4 Symsol, 8.5 CelebA, 8.6 dSprites): FONDUE
        from the data IDE and from each n_init of ``random_inits``, seed 0.
    fondue_epochs : int
        e, epochs of every FONDUE training (the thesis finds it per data set: 1-6).
    epoch_steps : int
        Optimiser steps in one FONDUE epoch.
    max_n : int
        Upper limit of FONDUE's doubling (the thesis has none).
    random_inits : tuple of int
        n_init of Tables 8.4-8.6 (the thesis: 10 values drawn in [1, 200]).
    supervised_range : (int, int)
        l and u of the binary searches of Table D.5 (the thesis: 1 and 200).
    ide_points, ide_runs : int
        Examples and repeats of the data IDEs (Fig 8.4; the thesis: 10,000 and 5).
    ide_ks : tuple of int
        MLE neighbourhoods (Fig 8.4: 3, 5, 10, 20).
    rep_k : int
        MLE k for representations and layers (Figs 8.9, 8.11; the code: 20).
    layer_points : int
        Examples whose layer activations are measured (Fig 8.11).
    gbt_iterations : int
        Boosting iterations of the downstream classifiers (the code: 100).
    """
    profile: str
    training: ThesisSettings
    datasets: tuple
    ns: tuple
    seeds: tuple
    side_ns: tuple
    side_seeds: tuple
    side_epochs: int
    d_betas: tuple
    d_lambdas: tuple
    fondue_seeds: tuple
    ib_seeds: tuple
    side_searches: tuple
    side_criteria: tuple
    init_datasets: tuple
    fondue_epochs: int
    epoch_steps: int
    max_n: int
    random_inits: tuple
    supervised_range: tuple
    ide_points: int
    ide_runs: int
    ide_ks: tuple
    rep_k: int
    layer_points: int
    gbt_iterations: int


def settings(profile: str) -> Ch8Settings:
    """The chapter-8 design of ``profile``.

    ``paper`` is the thesis: Symsol, dSprites and CelebA; n = 3, 6, 8, 10, 12, 18, 24, 32, 42
    (thesis Sec. 8.4.1) and seeds 0-4; every other sweep the same; FONDUE over 10 seeds with
    e = 2 epochs ("generally just two", Sec. 8.3.2); 10 random n_init (Tables 8.4-8.6);
    l, u = 1, 200 (App. D.3); 10,000 examples for the IDEs with k = 3, 5, 10, 20 and 5 runs
    (Table D.4).
    ``quick`` keeps dSprites only for the trained figures, n = 3, 6, 10, 18 with one seed (the
    thesis' n = 10 model of chapters 6-8 is one of them, shared through the cache), side sweeps
    at the same four n trained for one epoch (four points, the fewest that let an elbow be
    found: :data:`MIN_ELBOW_POINTS`; beta in {0.5, 4} for Figs D.1-D.2, lambda_od = 0.5 for Figs
    D.3-D.4), e = 1 FONDUE epoch of 300 steps (about one pass over our 20,000 training images),
    FONDUE and FONDUE_IDE with seeds 0 and 1, FONDUE_IB with seed 0, FONDUE (seed 0) on
    beta = 4 and DIP-VAE II with lambda_od = 0.5 on dSprites and on the Symsol stand-in and on
    the FC VAE (Tables 8.2, 8.3 and 8.7; FONDUE_IB on the FC VAE keeps the thesis' value),
    n_init in {5, 40} on the Symsol stand-in and dSprites (Tables 8.4, 8.6; CelebA's Table 8.5
    only when the real files are present), l, u = 1, 64, and 2,000 examples for the data IDEs.
    Every search starts from the data IDE this profile measures (:func:`fondue_start`).  Every
    training is one short model, so the notebook's time is the number of distinct
    (configuration, n, seed) it visits; 150-step epochs would halve it but leave the latents
    unpolarised.
    ``smoke`` only proves the code runs (a handful of 4-step trainings; its sweeps have fewer
    than four n, so its elbow claims are recorded as undecidable).
    ``paper-dry`` runs the paper path with capped counts: the thesis' models at n = 3, 10, 24,
    42 (side sweeps: 3, 42) on dSprites with seed 0, the side searches on dSprites, 2-step
    FONDUE epochs doubling up to 64.

    >>> cfg = settings("quick")
    >>> cfg.ns, cfg.epoch_steps, cfg.training.steps
    ((3, 6, 10, 18), 300, 1500)
    """
    training = thesis_runs.settings(profile)
    paper = Ch8Settings(profile="paper", training=training,
                        datasets=("symsol", "dsprites", "celeba"),
                        ns=(3, 6, 8, 10, 12, 18, 24, 32, 42), seeds=(0, 1, 2, 3, 4),
                        side_ns=(3, 6, 8, 10, 12, 18, 24, 32, 42), side_seeds=(0, 1, 2, 3, 4),
                        side_epochs=29, d_betas=(0.5, 2.0, 4.0), d_lambdas=(0.5, 2.0),
                        fondue_seeds=tuple(range(10)), ib_seeds=tuple(range(10)),
                        side_searches=tuple(SIDE_SEARCHES), side_criteria=("trace", "ib"),
                        init_datasets=("symsol", "celeba", "dsprites"),
                        fondue_epochs=2, epoch_steps=10_368,
                        max_n=1024, random_inits=(5, 19, 22, 39, 74, 94, 116, 145, 180, 182),
                        supervised_range=(1, 200), ide_points=10_000, ide_runs=5,
                        ide_ks=(3, 5, 10, 20), rep_k=20, layer_points=10_000,
                        gbt_iterations=100)
    # the dry run: the thesis' models at four of its n (the fewest an elbow needs, the largest
    # among them; the side sweeps at the smallest and largest), dSprites, seed 0, the side
    # searches on dSprites, FONDUE epochs of 2 steps doubling up to 64
    dry = capped(paper, profile=DRY_RUN_PROFILE, datasets=("dsprites",), ns=(3, 10, 24, 42),
                 seeds=(0,), side_ns=(3, 42), side_seeds=(0,), side_epochs=1, d_betas=(4.0,),
                 d_lambdas=(0.5,), fondue_seeds=(0,), ib_seeds=(0,),
                 side_searches=tuple(k for k in SIDE_SEARCHES if SIDE_SEARCHES[k][5] == "dsprites"),
                 init_datasets=("dsprites",), fondue_epochs=1, epoch_steps=2, max_n=64,
                 random_inits=(5,), supervised_range=(1, 16), ide_points=1000, ide_runs=2,
                 layer_points=500, gbt_iterations=5)
    return by_profile(
        profile, paper=paper, dry=dry,
        smoke=Ch8Settings(profile="smoke", training=training, datasets=("dsprites",), ns=(2, 4),
                          seeds=(0,), side_ns=(2,),
                          side_seeds=(0,), side_epochs=1, d_betas=(4.0,), d_lambdas=(0.5,),
                          fondue_seeds=(0,), ib_seeds=(0,),
                          side_searches=tuple(SIDE_SEARCHES), side_criteria=("trace", "ib"),
                          init_datasets=("symsol", "dsprites"), fondue_epochs=1, epoch_steps=4,
                          max_n=2, random_inits=(1,), supervised_range=(1, 2), ide_points=300,
                          ide_runs=2, ide_ks=(3, 5, 10, 20), rep_k=5, layer_points=64,
                          gbt_iterations=5),
        quick=Ch8Settings(profile="quick", training=training, datasets=("dsprites",),
                          ns=(3, 6, 10, 18), seeds=(0,),
                          side_ns=(3, 6, 10, 18), side_seeds=(0,), side_epochs=1,
                          d_betas=(0.5, 4.0), d_lambdas=(0.5,), fondue_seeds=(0, 1),
                          ib_seeds=(0,), side_searches=tuple(SIDE_SEARCHES),
                          side_criteria=("trace",),
                          init_datasets=("symsol", "dsprites"),
                          fondue_epochs=1, epoch_steps=300, max_n=64, random_inits=(5, 40),
                          supervised_range=(1, 64), ide_points=2_000, ide_runs=3,
                          ide_ks=(3, 5, 10, 20), rep_k=20, layer_points=500,
                          gbt_iterations=30))


def _params(model: str, params: dict) -> dict:
    check_choice(model, sorted(_DEFAULT_PARAMS), name="model", func="ch8_run")
    return {**_DEFAULT_PARAMS[model], **params}


def _check_settings(cfg, func: str) -> Ch8Settings:
    if not isinstance(cfg, Ch8Settings):
        raise TypeError(f"{func}: `cfg` must be the chapter-8 settings (cfg = settings(profile) "
                        f"of latentdims.studies.thesis_ch8); got {type(cfg).__name__}.")
    return cfg


def ch8_run(cfg: Ch8Settings, *, model: str = "beta_vae", dataset: str = "dsprites",
            latent_dim: int = 10, seed: int = 0, architecture: str = "conv",
            epochs: int | None = None, **params: Any):
    """One chapter-8 training as a :class:`~latentdims.studies.thesis_runs.ThesisRun`.

    ``epochs=None`` gives the profile's full training (``cfg.training``), the same cache
    entry as ``thesis_run(model, training, beta=1, ...)`` in the other thesis notebooks;
    ``epochs=e`` a FONDUE training of ``e * epoch_steps`` steps.  The objective's
    hyper-parameter is always spelled out (beta = 1, lambda_od = 1 by default) so equal
    configurations share one entry.

    >>> ch8_run(settings("quick"), model="dip_vae_ii", latent_dim=5, epochs=2).steps
    600
    """
    s = _check_settings(cfg, "ch8_run")
    params = _params(model, params)
    if epochs is None:
        return thesis_runs.thesis_run(model, s.training, dataset=dataset, latent_dim=latent_dim,
                                      architecture=architecture, seed=seed, **params)
    e = check_int(epochs, name="epochs", func="ch8_run", minimum=1)
    return thesis_runs.thesis_run(model, s.training, dataset=dataset, latent_dim=latent_dim,
                                  architecture=architecture, seed=seed, steps=e * s.epoch_steps,
                                  steps_per_epoch=s.epoch_steps, **params)


# ------------------------------------------------------------------------------- sweeps over n
@dataclass(frozen=True)
class NSweep:
    """Trained models of a sweep over n: ``folders[i][j]`` is seed ``seeds[i]`` at ``ns[j]``."""
    ns: tuple
    seeds: tuple
    folders: tuple
    runs: tuple


def sweep_over_n(cfg: Ch8Settings, *, model: str = "beta_vae", dataset: str = "dsprites",
                 ns=None, seeds=None, epochs: int | None = None, architecture: str = "conv",
                 **params: Any) -> NSweep:
    """Train (or find in the cache) one model per (seed, n); defaults: the main sweep of
    ``cfg``.  The trainings go through :func:`latentdims.core.sweeps.run_sweep` (its scheduler:
    ``$LATENTDIMS_SCHEDULER``, else a local Dask cluster)."""
    s = _check_settings(cfg, "sweep_over_n")
    ns = tuple(int(n) for n in (s.ns if ns is None else ns))
    seeds = tuple(int(x) for x in (s.seeds if seeds is None else seeds))
    if not ns or not seeds:
        raise ValueError(f"sweep_over_n: `ns` and `seeds` must be non-empty; got {ns}, {seeds}.")
    runs = [ch8_run(s, model=model, dataset=dataset, latent_dim=n, seed=seed,
                    architecture=architecture, epochs=epochs, **params)
            for seed in seeds for n in ns]
    folders = run_sweep(thesis_runs.train_run, runs)
    k = len(ns)
    return NSweep(ns, seeds, tuple(tuple(folders[i * k:(i + 1) * k]) for i in range(len(seeds))),
                  tuple(runs))


def measure_run(folder, cfg: Ch8Settings, *, seed: int = 0) -> dict[str, float]:
    """The chapter-8 numbers of one trained model (one row of :func:`sweep_measures`).

    Keys: ``n``, ``seed``, ``reconstruction`` (Bernoulli loss per image on the evaluation set at
    the end of training), ``accuracy`` (:func:`~latentdims.maths.fondue.downstream_accuracy`
    on M with ``gbt_iterations``), ``trace_mean`` and ``trace_sampled`` (Tr Var[M],
    Tr Var[Z], unfloored), ``trace_gap``, ``expected_gap`` (its expectation over the sampling
    noise, the summed mean posterior variances: the law of total variance,
    :func:`latentdims.maths.fondue.expected_trace_gap`), ``polarised_gap`` (the gap the thesis
    predicts from the variable types, #passive + sum(1 - w_i):
    :func:`latentdims.maths.variables.polarised_trace_gap`; NaN
    for the deterministic AE), ``ide_mean`` and ``ide_sampled`` (MLE with ``rep_k``
    neighbours), ``active``, ``mixed``, ``passive`` (the rule of thesis Sec. 6.4.1,
    alpha = 0.1) and ``stand_in``.
    """
    s = _check_settings(cfg, "measure_run")
    res = _read_outputs(folder)
    reps = res["representations"]
    last = res["history"][-1]
    row: dict[str, Any] = {"n": res["run"].latent_dim, "seed": res["run"].seed,
                           "reconstruction": float(last.get("val_reconstruction", last["val_loss"])),
                           "accuracy": downstream_accuracy(reps.mean, res["arrays"]["eval_classes"],
                                                           iterations=s.gbt_iterations, seed=seed),
                           "stand_in": bool(res["meta"].get("stand_in", False))}
    tr = covariance_traces(reps.mean, sampled=reps.sampled)
    row.update(trace_mean=tr.mean, trace_sampled=tr.sampled, trace_gap=tr.difference,
               expected_gap=expected_trace_gap(reps.variance))
    k = min(s.rep_k, len(reps.mean) - 2)
    row.update(ide_mean=_safe_mle(reps.mean, k), ide_sampled=_safe_mle(reps.sampled, k))
    if res["run"].model != "autoencoder":
        row.update(classify_variables(reps.variance).counts)
        row["polarised_gap"] = polarised_trace_gap(reps.variance)
    else:   # the deterministic AE has no variance head: every latent counts as active
        row.update(active=res["run"].latent_dim, mixed=0, passive=0, polarised_gap=float("nan"))
    return row


def _read_outputs(folder) -> dict[str, Any]:
    """What a trained run's folder holds, without rebuilding its network (which
    :func:`~latentdims.studies.thesis_runs.load_run` does, at a few seconds per model): ``run``,
    ``history``, ``meta``, ``arrays`` (``representations.npz``) and ``representations``."""
    folder = Path(folder)
    if not (folder / "representations.npz").is_file():
        raise FileNotFoundError(f"_read_outputs: {str(folder)!r} is not a trained-run folder (no "
                                f"representations.npz); get one from train_run(...).")
    with np.load(folder / "representations.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    with open(folder / "history.json") as f:
        history = json.load(f)
    with open(folder / "meta.json") as f:
        meta = json.load(f)
    reps = Representations(mean=arrays["mean"], variance=arrays["variance"], sampled=arrays["sampled"])
    return {"run": thesis_runs.read_run(folder), "history": history, "meta": meta,
            "arrays": arrays, "representations": reps}


def _safe_mle(X, k: int) -> float:
    """MLE of a representation; NaN (recorded, never raised) when too few distinct points
    remain, e.g. a collapsed latent space."""
    try:
        return float(mle(np.asarray(X, dtype=np.float64), k=k))
    except ValueError:
        return float("nan")


def sweep_measures(sweep: NSweep, cfg: Ch8Settings):
    """:func:`measure_run` on every model of ``sweep``, as a pandas DataFrame."""
    return pd.DataFrame([measure_run(f, cfg) for row in sweep.folders for f in row])


def by_seed(frame, column: str, ns) -> np.ndarray:
    """``frame[column]`` as an array (n_seeds, len(ns)) for the plotting functions."""
    table = frame.pivot_table(index="seed", columns="n", values=column, aggfunc="mean")
    return table.reindex(columns=list(ns)).to_numpy(dtype=float)


class Panel(tuple):
    """One elbow panel, ``(ns, reconstruction, accuracy, lines)`` as
    :func:`latentdims.plotting.thesis_ch8.elbow_panels` takes it, that also knows its
    ``dataset`` (the elbow claims allow for the thesis' overestimation on Symsol)."""

    def __new__(cls, ns, reconstruction, accuracy, lines, *, dataset: str):
        panel = super().__new__(cls, (ns, reconstruction, accuracy, lines))
        panel.dataset = dataset
        return panel


@dataclass(frozen=True)
class ElbowCurves:
    """The elbow curves of one sweep over n (Figs 8.5-8.8, 8.12, D.1-D.4).

    Attributes
    ----------
    dataset : str
    ns : tuple of int
    reconstruction, accuracy : ndarray (n_seeds, len(ns))
        Bernoulli loss per image and downstream accuracy (:func:`measure_run`).
    stand_in : bool
        Whether the models trained on a labelled stand-in.
    """
    dataset: str
    ns: tuple
    reconstruction: np.ndarray
    accuracy: np.ndarray
    stand_in: bool

    @property
    def label(self) -> str:
        """The data set's name, marked ``(STAND-IN)`` where it is one."""
        return f"{self.dataset} (STAND-IN)" if self.stand_in else self.dataset

    def panel(self, lines: Mapping[str, float] | None = None) -> Panel:
        """``(ns, reconstruction, accuracy, lines)`` for
        :func:`latentdims.plotting.thesis_ch8.elbow_panels` (a :class:`Panel`)."""
        return Panel(self.ns, self.reconstruction, self.accuracy, lines, dataset=self.dataset)


def elbow_curves(sweep: NSweep, cfg: Ch8Settings) -> ElbowCurves:
    """The reconstruction and accuracy curves of a sweep (:func:`sweep_measures`)."""
    m = sweep_measures(sweep, cfg)
    return ElbowCurves(sweep.runs[0].dataset, sweep.ns, by_seed(m, "reconstruction", sweep.ns),
                       by_seed(m, "accuracy", sweep.ns), bool(m["stand_in"].any()))


# ------------------------------------------------------------------------------------- FONDUE
def fondue_trainer(cfg: Ch8Settings, *, model: str = "beta_vae", dataset: str = "dsprites",
                   seed: int = 0, architecture: str = "conv", reconstructions: bool = False,
                   **params: Any) -> Callable[[int, int], Any]:
    """``train(n, epochs)`` for :func:`latentdims.maths.fondue.fondue`: trains (or loads from the
    cache) a fresh model with n latents for ``epochs`` FONDUE epochs and returns its
    :class:`~latentdims.maths.fondue.TrainingOutput` on the run's evaluation set (the thesis: 10,000
    examples, Sec. 8.3.2).

    ``reconstructions=True`` adds the inputs x and the decoder's Bernoulli means
    sigmoid(logits) for the sampled z, which FONDUE_IB needs (the author's code passes the
    logits themselves; we compare x with a reconstruction on the same [0, 1] scale).
    """
    s = _check_settings(cfg, "fondue_trainer")

    def train(n: int, epochs: int):
        run = ch8_run(s, model=model, dataset=dataset, latent_dim=int(n), seed=seed,
                      architecture=architecture, epochs=epochs, **params)
        folder = thesis_runs.train_run(run)
        reps = _read_outputs(folder)["representations"]
        kwargs = {}
        if reconstructions:   # only FONDUE_IB needs the network itself (the decoder)
            x = thesis_runs.evaluation_data(run)
            logits = np.asarray(thesis_runs.load_run(folder).model.decode(reps.sampled.astype(np.float32)))
            kwargs = {"inputs": x, "reconstructions": expit(logits)}
        return TrainingOutput(mean=reps.mean, variance=reps.variance, sampled=reps.sampled,
                              **kwargs)

    return train


def run_fondue(cfg: Ch8Settings, *, model: str = "beta_vae", dataset: str = "dsprites",
               criterion: str = "trace", seed: int = 0, n_init: int | None = None,
               architecture: str = "conv", epochs: int | None = None, **params: Any):
    """FONDUE / FONDUE_IB / FONDUE_IDE (``criterion`` "trace", "ib", "ide") on cached trainings
    with the design's ``fondue_epochs`` and ``max_n``; ``n_init`` defaults to the data IDE this
    profile measures (:func:`fondue_start`, the value of Fig 8.4; the thesis' were 4, 11, 22,
    :data:`latentdims.maths.fondue.DATA_IDE`), capped at ``max_n``.  Returns the
    :class:`~latentdims.maths.fondue.FondueResult` (each step logged)."""
    s = _check_settings(cfg, "run_fondue")
    if n_init is None:
        n_init = min(fondue_start(s, dataset), s.max_n)
    train = fondue_trainer(s, model=model, dataset=dataset, seed=seed, architecture=architecture,
                           reconstructions=criterion == "ib", **params)
    return fondue(train, n_init, criterion=criterion, epochs=s.fondue_epochs if epochs is None
                  else epochs, max_n=max(s.max_n, n_init), seed=seed, warn=False)


def run_binary_search(cfg: Ch8Settings, *, model: str = "beta_vae", dataset: str = "dsprites",
                      criterion: str = "trace", seed: int = 0, architecture: str = "conv",
                      **params: Any):
    """The supervised binary searches of Table D.5 (BS_FONDUE with "trace", IB with "ib")
    over the design's ``supervised_range``."""
    s = _check_settings(cfg, "run_binary_search")
    train = fondue_trainer(s, model=model, dataset=dataset, seed=seed, architecture=architecture,
                           reconstructions=criterion == "ib", **params)
    lower, upper = s.supervised_range
    return binary_search(train, lower=lower, upper=upper, criterion=criterion,
                         epochs=s.fondue_epochs, seed=seed)


def init_datasets(cfg: Ch8Settings) -> tuple[str, ...]:
    """Data sets of the initialisation tables 8.4-8.6: the design's ``init_datasets``, plus
    CelebA whenever the real files are present (its stand-in is not run in the short
    profiles)."""
    names = tuple(_check_settings(cfg, "init_datasets").init_datasets)
    if "celeba" not in names and has_real_data("celeba"):
        names = names + ("celeba",)
    return names


# ------------------------------------------------------------------------ notebook 51's searches
# the three flavours of FONDUE on the beta = 1 conv VAE: criterion -> algorithm (Tables 8.1, 8.8)
FLAVOURS = {"trace": "FONDUE", "ib": "FONDUE_IB", "ide": "FONDUE_IDE"}


@dataclass(frozen=True)
class Search:
    """A search (FONDUE or a supervised binary search) and the training it ran on: the model,
    its hyper-parameters (sorted (name, value) pairs), architecture, data set and seed, which
    :func:`search_training_seconds` needs to find its trainings in the cache."""
    result: FondueResult
    model: str = "beta_vae"
    params: tuple = (("beta", 1.0),)
    architecture: str = "conv"
    dataset: str = "dsprites"
    seed: int = 0


def _search(cfg: Ch8Settings, *, model: str = "beta_vae", params: Mapping | None = None,
            architecture: str = "conv", dataset: str = "dsprites", seed: int = 0,
            supervised: bool = False, **options: Any) -> Search:
    params = {"beta": 1.0} if params is None else dict(params)
    run = run_binary_search if supervised else run_fondue
    result = run(cfg, model=model, dataset=dataset, seed=seed, architecture=architecture,
                 **options, **params)
    return Search(result, model, tuple(sorted(params.items())), architecture, dataset, seed)


def main_searches(cfg: Ch8Settings) -> dict[tuple[str, str], list[Search]]:
    """FONDUE and FONDUE_IDE with each of ``fondue_seeds`` and FONDUE_IB with each of
    ``ib_seeds`` on the beta = 1 conv VAE of every data set (Tables 8.1, 8.8), from the data
    IDE: ``{(algorithm, dataset): [Search per seed]}``."""
    s = _check_settings(cfg, "main_searches")
    seeds = {"trace": s.fondue_seeds, "ib": s.ib_seeds, "ide": s.fondue_seeds}
    found: dict[tuple[str, str], list[Search]] = {(FLAVOURS[c], ds): [] for ds in s.datasets
                                                  for c in FLAVOURS}
    plan = [((FLAVOURS[c], ds), {"dataset": ds, "criterion": c, "seed": seed})
            for ds in s.datasets for c in FLAVOURS for seed in seeds[c]]
    # the searches are independent (each one a chain of trainings): one sweep sends them all
    searches = run_sweep(search_task, [(s, options) for _, options in plan], desc="FONDUE searches")
    for (key, _), search in zip(plan, searches):
        found[key].append(search)
    return found


def search_task(job: tuple[Ch8Settings, Mapping[str, Any]]) -> Search:
    """One search, ``job = (cfg, options)`` with the keywords of a FONDUE search (``dataset``,
    ``criterion``, ``seed``, ...): the unit :func:`main_searches` sends through
    :func:`latentdims.core.sweeps.run_sweep`.  Its trainings meet in the cache."""
    cfg, options = job
    return _search(_check_settings(cfg, "search_task"), **options)


def side_searches(cfg: Ch8Settings) -> tuple[dict[str, list[Search]], dict[str, list[Search]]]:
    """FONDUE (seed 0) on the other objectives, architectures and data sets of
    ``side_searches`` (:data:`SIDE_SEARCHES`: Tables 8.2, 8.3, 8.7), and on the FC VAE with each
    criterion of ``side_criteria`` (Table 8.7, Fig 8.8) when ``"fc"`` is among them.

    Returns ``(side, fc)``: ``{key: [Search]}`` and ``{criterion: [Search]}`` (the FC VAE's
    "trace" search is the one of ``side["fc"]``, run once).
    """
    s = _check_settings(cfg, "side_searches")
    done: dict[tuple, list[Search]] = {}

    def search(model, params, arch, dataset, criterion="trace"):
        key = (model, tuple(sorted(params.items())), arch, dataset, criterion)
        if key not in done:
            done[key] = [_search(s, model=model, params=params, architecture=arch,
                                 dataset=dataset, criterion=criterion, seed=seed)
                         for seed in s.fondue_seeds[:1]]
        return done[key]

    side = {key: search(m, prm, arch, ds) for key, (m, prm, arch, _, _, ds) in
            ((k, SIDE_SEARCHES[k]) for k in s.side_searches)}
    fc = ({c: search("beta_vae", {"beta": 1.0}, "fc", SIDE_SEARCHES["fc"][5], c)
           for c in s.side_criteria} if "fc" in side else {})
    return side, fc


def initialisation_searches(cfg: Ch8Settings, main: Mapping[tuple[str, str], list[Search]]
                            ) -> tuple[dict[str, Search], dict[tuple[int, str], list[Search]]]:
    """Tables 8.4-8.6: FONDUE (seed 0) from the data IDE (the main search where it ran) and from
    each n_init of ``random_inits``, on every data set of :func:`init_datasets`.

    Returns ``(references, inits)``: ``{dataset: Search}`` and ``{(n_init, dataset): [Search]}``.
    """
    s = _check_settings(cfg, "initialisation_searches")
    names = init_datasets(s)
    references = {ds: (main[("FONDUE", ds)][0] if ("FONDUE", ds) in main
                       else _search(s, dataset=ds, seed=0)) for ds in names}
    inits = {(k, ds): [_search(s, dataset=ds, seed=0, n_init=k)]
             for ds in names for k in s.random_inits}
    return references, inits


def supervised_searches(cfg: Ch8Settings) -> dict[tuple[str, str], list[Search]]:
    """Table D.5: BS_FONDUE ("trace") and IB ("ib") over ``supervised_range`` on the beta = 1
    conv VAE of every data set, seed 0: ``{(algorithm, dataset): [Search]}``."""
    s = _check_settings(cfg, "supervised_searches")
    return {(algo, ds): [_search(s, dataset=ds, criterion=c, seed=seed, supervised=True)
                         for seed in s.fondue_seeds[:1]]
            for ds in s.datasets for c, algo in (("trace", "BS_FONDUE"), ("ib", "IB"))}


def mean_n(searches: Sequence[Search]) -> float:
    """The mean n found by ``searches`` (one per seed)."""
    return float(np.mean([r.result.n for r in searches]))


def chosen_n(main: Mapping[tuple[str, str], list[Search]], algorithms: Sequence[str],
             dataset: str) -> dict[str, float]:
    """``{algorithm: mean n}`` of the main searches on ``dataset`` (the elbow figures' lines)."""
    return {a: mean_n(main[(a, dataset)]) for a in algorithms}


def improvement_left(ns, values, n_star: float, *, higher_is_better: bool = False) -> float:
    r"""Share of a curve's improvement over the sweep still left at ``n_star``.

    .. math:: \frac{v(n^\star) - v(n_{\max})}{v(n_{\min}) - v(n_{\max})}

    with :math:`v` the mean over seeds (negated when higher is better) interpolated linearly in
    n; NaN when the curve does not improve over the sweep.

    >>> improvement_left([1, 2, 3], [3.0, 2.0, 1.0], 2)
    0.5
    """
    v = np.nanmean(np.atleast_2d(values), axis=0)
    v = -v if higher_is_better else v
    total = v[0] - v[-1]
    if total <= 0:
        return float("nan")
    return float((np.interp(n_star, ns, v) - v[-1]) / total)


# An elbow needs a first point, a last point and at least two between them to choose from.
MIN_ELBOW_POINTS = 4


def elbow(ns, values, *, higher_is_better: bool = False) -> float:
    """The n at the elbow of a curve over the swept n (the Kneedle rule of Satopaa et al. 2011).

    With n and the mean curve over seeds scaled to [0, 1] (1 at the first n, 0 at the last),
    the elbow is the interior swept n farthest below the straight line from the first point to
    the last: where the curve bends before diminishing returns (thesis Sec. 8.2.5).  NaN when
    fewer than :data:`MIN_ELBOW_POINTS` values of n were swept, when a mean value is not finite,
    when the curve does not improve from the first n to the last, or when no point lies below
    that line (no bend).

    >>> elbow([3, 6, 10, 18], [5.0, 2.0, 1.2, 1.0])
    6.0
    >>> elbow([3, 6, 10, 18], [5.0, 4.9, 4.5, 1.0])    # bends the other way: no elbow
    nan
    """
    n = np.asarray(ns, dtype=np.float64)
    runs = np.atleast_2d(np.asarray(values, dtype=np.float64))
    if len(n) < MIN_ELBOW_POINTS or runs.shape[1] != len(n) or np.isnan(runs).all(axis=0).any():
        return float("nan")
    v = np.nanmean(runs, axis=0)
    if not np.all(np.isfinite(v)):
        return float("nan")
    v = -v if higher_is_better else v
    if not v[0] > v[-1]:
        return float("nan")
    x = (n - n[0]) / (n[-1] - n[0])
    y = (v - v[-1]) / (v[0] - v[-1])
    below = ((1.0 - x) - y)[1:-1]
    if not below.max() > 0:
        return float("nan")
    return float(n[1 + int(np.argmax(below))])


def elbow_check(ns, reconstruction, accuracy, n_star: float, *, above: int = 0
                ) -> tuple[dict[str, Any], bool]:
    """Whether ``n_star`` (FONDUE's n) locates the elbow of the reconstruction curve on the
    sweep's grid: the swept n nearest ``n_star`` is the elbow (:func:`elbow`), or one of the
    ``above`` swept n after it (``above=1`` on Symsol, where the thesis reports some
    overestimation, Sec. 8.5.2 and App. D.4).  The accuracy curve's elbow is reported beside it.

    Returns ``(value, passed)`` for a claim record; ``passed`` is False, and ``value`` says
    why, when the sweep has fewer than :data:`MIN_ELBOW_POINTS` values of n or no elbow.

    >>> elbow_check([3, 6, 10, 18], [5.0, 2.0, 1.2, 1.0], [0.2, 0.8, 0.85, 0.86], 7)[1]
    True
    """
    n = [int(x) for x in ns]
    e_rec = elbow(n, reconstruction)
    value: dict[str, Any] = {"n": round(float(n_star), 2), "swept n": n,
                             "reconstruction elbow": e_rec,
                             "accuracy elbow": elbow(n, accuracy, higher_is_better=True)}
    if len(n) < MIN_ELBOW_POINTS:
        value["undecidable"] = f"{len(n)} values of n swept; an elbow needs {MIN_ELBOW_POINTS}"
        return value, False
    if not np.isfinite(e_rec):
        value["undecidable"] = "no elbow in the reconstruction curve"
        return value, False
    d = np.abs(np.asarray(n, dtype=float) - float(n_star))
    nearest = np.flatnonzero(d == d.min())
    k = n.index(int(e_rec))
    return value, bool(any(0 <= j - k <= above for j in nearest))


# The elbow figures of notebook 51 whose claim is checked on their panels, with the line that
# gives FONDUE's n: our search's, or on Fig 8.6 the beta = 1 VAE's (the thesis marks the AE
# with the VAE's values).
ELBOW_FIGURES = {"figure-8.6": "FONDUE", "figure-8.7": "FONDUE (ours)", "figure-8.8": "FONDUE (ours)",
                 "figure-D.1": "FONDUE (ours)", "figure-D.2": "FONDUE (ours)",
                 "figure-D.3": "FONDUE (ours)", "figure-D.4": "FONDUE (ours)"}


def figure_elbow_check(panels: Mapping[str, Panel], *, line: str = "FONDUE (ours)"
                       ) -> tuple[dict[str, Any], bool]:
    """:func:`elbow_check` on every panel of an elbow figure that has the vertical ``line``
    (``above=1`` on Symsol panels).  Returns ``(value, passed)``: passed when every such panel
    passes; False, with the reason in ``value``, when no panel has the line (FONDUE did not run
    on those configurations in this profile).
    """
    value, ok = {}, []
    for label, p in panels.items():
        lines = p[3] or {}
        if line not in lines:
            continue
        value[label], passed = elbow_check(p[0], p[1], p[2], lines[line],
                                           above=1 if getattr(p, "dataset", "") == "symsol" else 0)
        ok.append(passed)
    if not ok:
        return {"undecidable": f"no panel has a {line!r} line: FONDUE did not run on these "
                               f"configurations in this profile"}, False
    return value, all(ok)


def thesis_value(table: str, setting: str, dataset: str) -> float:
    """The thesis' n of one row of :data:`THESIS_TABLES` (NaN if it has no such row)."""
    return {(r[0], r[1]): r[2] for r in THESIS_TABLES[table]}.get((setting, dataset), np.nan)


# Figs D.1-D.4: (model, data set, hyper-parameter, thesis table); the values are the design's
# d_betas / d_lambdas.
D_FIGURES = {
    "figure-D.1": ("beta_vae", "symsol", "beta", "8.2"),
    "figure-D.2": ("beta_vae", "dsprites", "beta", "8.2"),
    "figure-D.3": ("dip_vae_ii", "symsol", "lambda_od", "8.3"),
    "figure-D.4": ("dip_vae_ii", "dsprites", "lambda_od", "8.3"),
}


def side_elbow_panels(cfg: Ch8Settings, main: Mapping, side: Mapping,
                      fc: Mapping) -> dict[str, dict[str, Panel]]:
    """The elbow panels of Figs 8.6-8.8 and D.1-D.4: ``{figure id: {panel label: Panel}}``
    (:class:`Panel`: ``(ns, reconstruction, accuracy, lines)`` and its data set), each sweep
    over ``side_ns`` and ``side_seeds`` trained for ``side_epochs`` (:data:`FIGURE_CONFIGS`,
    :data:`D_FIGURES`).

    The lines: the VAE's FONDUE and FONDUE_IB n on the deterministic AE (Fig 8.6, as in the
    thesis); elsewhere "FONDUE (ours)" where our search ran on that configuration (``side``,
    ``fc``) and the thesis' value beside it.  :func:`figure_elbow_check` checks the panels.
    """
    s = _check_settings(cfg, "side_elbow_panels")
    curves: dict[tuple, ElbowCurves] = {}

    def panel(model, params, arch, ds, lines):
        key = (model, tuple(sorted(params.items())), arch, ds)
        if key not in curves:   # Figs 8.7a and D.1 share a sweep
            sweep = sweep_over_n(s, model=model, dataset=ds, ns=s.side_ns, seeds=s.side_seeds,
                                 epochs=s.side_epochs, architecture=arch, **params)
            curves[key] = elbow_curves(sweep, s)
        c = curves[key]
        return c.label, c.panel({k: v for k, v in lines.items() if np.isfinite(v)})

    side_n = {key: mean_n(res) for key, res in side.items()}
    out = {}
    name, p = panel(*FIGURE_CONFIGS["figure-8.6"], chosen_n(main, ("FONDUE", "FONDUE_IB"), "dsprites"))
    out["figure-8.6"] = {name: p}
    ours_n = {}   # (model, hyper-parameter value, dataset) -> our FONDUE n on the conv VAE
    for key, n in side_n.items():
        model, params, arch, _, _, ds = SIDE_SEARCHES[key]
        if arch == "conv":
            ours_n[(model, next(iter(params.values())), ds)] = n

    def lines(model, value, ds, table, row):
        ours = ours_n.get((model, value, ds), np.nan)
        return {"FONDUE (ours)": ours, "FONDUE (thesis)": thesis_value(table, row, ds)}

    pa = panel(*FIGURE_CONFIGS["figure-8.7a"], lines("beta_vae", 4.0, "symsol", "8.2", "beta=4"))
    pb = panel(*FIGURE_CONFIGS["figure-8.7b"],
               lines("dip_vae_ii", 0.5, "dsprites", "8.3", "lambda_od=0.5"))
    out["figure-8.7"] = {f"(a) β-VAE β = 4, {pa[0]}": pa[1], f"(b) DIP-VAE II λ_od = 0.5, {pb[0]}": pb[1]}
    lines88 = ({f"{FLAVOURS[c]} (ours)": mean_n(res) for c, res in fc.items()} if fc else
               {f"{a} (thesis)": thesis_value("8.7", a, "dsprites") for a in ("FONDUE", "FONDUE_IB")})
    name, p = panel(*FIGURE_CONFIGS["figure-8.8"], lines88)
    out["figure-8.8"] = {name: p}
    for fig_id, (model, ds, key, table) in D_FIGURES.items():
        panels = {}
        for v in (s.d_betas if key == "beta" else s.d_lambdas):
            nm, p = panel(model, {key: v}, "conv", ds, lines(model, v, ds, table, f"{key}={v:g}"))
            panels[f"{key} = {v:g}, {nm}"] = p
        out[fig_id] = panels
    return out


def search_training_seconds(search: Search, cfg: Ch8Settings) -> float:
    r"""Training time of a search from an empty cache: the sum, over the distinct n it
    visited, of the build time logged when that model was trained (``build_seconds`` of its
    cache entry; wall seconds on the machine and load of that moment).

    .. math:: T = \sum_{n \in {\rm visited}} t_{\rm build}(n)

    The thesis' "time/run" (Tables 8.1-8.8) is this quantity on an A100; a search's own wall
    time (``result.seconds``) only counts the trainings that were not in the cache yet.
    Models not in the cache count as NaN.
    """
    s = _check_settings(cfg, "search_training_seconds")
    return float(sum(_build_seconds(ch8_run(s, model=search.model, dataset=search.dataset,
                                            latent_dim=int(ev.n), seed=search.seed,
                                            architecture=search.architecture,
                                            epochs=search.result.epochs, **dict(search.params)))
                     for ev in search.result.evaluations))


def _build_seconds(run) -> float:
    """The logged build time of a trained run's cache entry (NaN when it is not cached)."""
    config = entry_path(thesis_runs.CACHE_NAME, run) / "config.json"
    if not config.is_file():
        return float("nan")
    with open(config) as f:
        return float(json.load(f).get("build_seconds", float("nan")))


def full_training_seconds(cfg: Ch8Settings, *, dataset: str = "dsprites") -> float:
    """The cost of one full training in this profile: the mean logged build time (wall seconds)
    of the main sweep's fully trained beta = 1 conv VAEs on ``dataset`` (``ns`` x ``seeds``,
    :func:`sweep_over_n`), the reference of the thesis' "faster than fully training one model"
    (Secs. 8.5.2, 8.6, 8.7; about 2 A100 hours there).  NaN when none of them is cached yet."""
    s = _check_settings(cfg, "full_training_seconds")
    secs = [_build_seconds(ch8_run(s, dataset=dataset, latent_dim=n, seed=seed))
            for seed in s.seeds for n in s.ns]
    secs = [x for x in secs if np.isfinite(x)]
    return float(np.mean(secs)) if secs else float("nan")


def cost_check(searches: Mapping[str, Sequence[Search]], cfg: Ch8Settings, *,
               reference: Mapping[str, float], at_most: float
               ) -> tuple[dict[str, Any], bool, list[str]]:
    """Whether every search costs less than ``at_most`` times one full training.

    The cost of a search is its training time from an empty cache
    (:func:`search_training_seconds`); ``reference`` maps a data set to one full training of
    the same profile on it (:func:`full_training_seconds`).  A search on a data set without a
    finite reference is listed and left out.  Returns ``(value, passed, datasets)`` for a claim
    record: passed is False when no search could be compared or a time is missing (a model not
    in the cache); ``datasets`` are those of the searches compared.
    """
    s = _check_settings(cfg, "cost_check")
    value: dict[str, Any] = {}
    ok, used = [], []
    for label, res in searches.items():
        for r in res:
            ref = float(reference.get(r.dataset, float("nan")))
            if not np.isfinite(ref) or ref <= 0:
                value[f"{label}, seed {r.seed}"] = f"no full training of this profile on {r.dataset}"
                continue
            secs = search_training_seconds(r, s)
            value[f"{label}, seed {r.seed}"] = {
                "training (s)": round(secs, 1), "models": r.result.models_trained,
                "one full training (s)": round(ref, 1), "share": round(secs / ref, 3)}
            ok.append(bool(np.isfinite(secs) and secs / ref < at_most))
            used.append(r.dataset)
    return value, bool(ok) and all(ok), sorted(set(used))


def cost_substitution(cfg: Ch8Settings, *, other_model: bool = False) -> str | None:
    """The substitution of a cost claim (:func:`cost_check`): the reference is one full training
    of this profile, not the thesis' 300,000 steps; with ``other_model`` (DIP-VAE II, FC VAE),
    also that the reference is the beta = 1 conv VAE's training.

    >>> cost_substitution(settings("paper")) is None
    True
    """
    s = _check_settings(cfg, "cost_substitution")
    full = training_substitution(s.training)
    return join_substitutions(f"the reference full training has {full}" if full else None,
                              "the beta = 1 conv VAE's full training as the reference"
                              if other_model else None)


def init_check(references: Mapping[str, Search], inits: Mapping[tuple[int, str], list[Search]],
               dataset: str) -> tuple[dict[str, Any], bool]:
    """Tables 8.4-8.6 (thesis Sec. 8.6): "the initialisation does not change the number of
    dimensions predicted with IDE initialisation".  With the same seed, every n_init of
    :func:`initialisation_searches` must give an n within 1 of the search started from the data
    IDE.  Returns ``(value, passed)``; passed is False, with the reason in ``value``, when
    ``dataset`` was not searched in this profile."""
    got = {f"n_init={k}": [r.result.n for r in res] for (k, d), res in inits.items() if d == dataset}
    if dataset not in references or not got:
        why = f"FONDUE was not run from other n_init on {dataset} in this profile"
        if dataset == "celeba" and not has_real_data("celeba"):
            why += " (CelebA is searched only from its real files, absent here)"
        return {"undecidable": why}, False
    ref = references[dataset].result
    spread = max(abs(n - ref.n) for ns in got.values() for n in ns)
    return {f"IDE start {ref.start[0]}: n = {ref.n}": got}, bool(spread <= 1)


def beta_pruning(main: Mapping[tuple[str, str], list[Search]], side: Mapping[str, list[Search]]
                 ) -> dict[str, dict[str, float]]:
    """Table 8.2: FONDUE's mean n on the beta = 1 and beta = 4 conv VAEs, on every data set
    where both ran: ``{dataset: {"beta=1": n, "beta=4": n}}``."""
    out = {}
    for key, res in side.items():
        model, params, arch, _, _, ds = SIDE_SEARCHES[key]
        beta4 = model == "beta_vae" and arch == "conv" and params.get("beta") == 4.0
        if beta4 and ("FONDUE", ds) in main:
            out[ds] = {"beta=1": mean_n(main[("FONDUE", ds)]), "beta=4": mean_n(res)}
    return out


def binary_search_cost_check(cfg: Ch8Settings, main: Mapping, supervised: Mapping
                             ) -> tuple[dict[str, Any], bool]:
    """Table D.5 (thesis App. D.3): "IB and BS_FONDUE take longer to compute than FONDUE and
    FONDUE_IB for all datasets except Symsol where the execution time is similar".  Compares,
    seed by seed (seed 0), the training time from an empty cache
    (:func:`search_training_seconds`) of BS_FONDUE with FONDUE's and of IB with FONDUE_IB's, on
    every data set of the design: longer, or on Symsol within a factor 2 ("similar").
    Returns ``(value, passed)``."""
    s = _check_settings(cfg, "binary_search_cost_check")
    value, ok = {}, []
    for ds in s.datasets:
        for binary, unsupervised in (("BS_FONDUE", "FONDUE"), ("IB", "FONDUE_IB")):
            b = search_training_seconds(supervised[(binary, ds)][0], s)
            u = search_training_seconds(main[(unsupervised, ds)][0], s)
            ratio = b / u if u > 0 else float("nan")
            value[f"{binary} / {unsupervised}, {ds}"] = {
                "training (s)": [round(b, 1), round(u, 1)], "ratio": round(ratio, 3),
                "models": [supervised[(binary, ds)][0].result.models_trained,
                           main[(unsupervised, ds)][0].result.models_trained]}
            ok.append(bool(np.isfinite(ratio) and (0.5 <= ratio <= 2.0 if ds == "symsol"
                                                   else ratio > 1.0)))
    return value, bool(ok) and all(ok)


# --------------------------------------------------------------------------- the claims' ledger
_MAIN_SWEEP = ("figure-8.1", "figure-8.9", "figure-8.10", "figure-8.11")
_SEARCHES = ("figure-8.2", "figure-8.3", "table-8.1", "table-8.2", "table-8.3", "table-8.7",
             "table-8.8")
_BOTH = ("figure-8.5", "figure-8.12")
_SIDE = ("figure-8.6", "figure-8.7", "figure-8.8", "figure-D.1", "figure-D.2", "figure-D.3",
         "figure-D.4")
_INITS = {"table-8.4": "symsol", "table-8.5": "celeba", "table-8.6": "dsprites"}


def _count(ours, thesis, what: str, thesis_text: str) -> str | None:
    return None if ours == thesis else f"{ours} {what} where the thesis {thesis_text}"


def _sweep_substitution(s: Ch8Settings) -> str | None:
    p = settings("paper")
    ns = (None if tuple(s.ns) == tuple(p.ns) else
          f"n = {', '.join(map(str, s.ns))} where the thesis sweeps {', '.join(map(str, p.ns))}")
    return join_substitutions(training_substitution(s.training), ns,
                              _count(len(s.seeds), len(p.seeds), "seed(s)", "averages 5"))


def _fondue_substitution(s: Ch8Settings) -> str | None:
    p = settings("paper")
    epochs = (None if (s.fondue_epochs, s.epoch_steps) == (p.fondue_epochs, p.epoch_steps) else
              f"FONDUE trainings of {s.fondue_epochs} epoch(s) of {s.epoch_steps} steps where the "
              f"thesis trains until n is stable (1-6 passes over the data)")
    return join_substitutions(epochs, _count(len(s.fondue_seeds), len(p.fondue_seeds),
                                             "FONDUE seed(s)", "averages 10"))


def _side_substitution(s: Ch8Settings) -> str | None:
    p = settings("paper")
    steps = (None if s.side_epochs * s.epoch_steps == p.side_epochs * p.epoch_steps else
             f"elbow-curve models of {s.side_epochs * s.epoch_steps:,} steps where the thesis "
             f"trains 300,000")
    return join_substitutions(steps, _count(len(s.side_ns), len(p.side_ns), "values of n",
                                            "sweeps 9 (3-42)"),
                              _count(len(s.side_seeds), len(p.side_seeds), "seed(s)",
                                     "averages 5"))


def figure_substitution(figure: str, cfg: Ch8Settings) -> str | None:
    """What this profile's design changes, for the claims on ``figure`` (``"figure-8.1"``,
    ``"table-8.1"``, ...), against the thesis' design (``settings("paper")``); None when
    nothing does.

    >>> figure_substitution("table-8.1", settings("paper")) is None
    True
    """
    s = _check_settings(cfg, "figure_substitution")
    p = settings("paper")
    if figure in _MAIN_SWEEP:
        celeba = (None if figure != "figure-8.1" or s.datasets[0] == "celeba" else
                  f"{s.datasets[0]} in place of CelebA")
        layers = (None if figure != "figure-8.11" or s.layer_points == p.layer_points else
                  f"{s.layer_points:,} images per layer where the thesis uses {p.layer_points:,}")
        return join_substitutions(celeba, _sweep_substitution(s), layers)
    if figure in _SEARCHES:
        return _fondue_substitution(s)
    if figure in _BOTH:
        return join_substitutions(_sweep_substitution(s), _fondue_substitution(s))
    if figure in _SIDE:
        ae = ("our deterministic AE: the conv network with the mean head only and the Bernoulli "
              "loss (the thesis gives no AE loss)" if figure == "figure-8.6" else None)
        return join_substitutions(ae, _side_substitution(s), _fondue_substitution(s))
    if figure in _INITS:
        inits = (None if tuple(s.random_inits) == tuple(p.random_inits) else
                 f"n_init in {{{', '.join(map(str, s.random_inits))}}} where the thesis draws 10 "
                 f"in [1, 200]")
        return join_substitutions(_fondue_substitution(s), inits)
    if figure == "table-D.5":
        rng = (None if tuple(s.supervised_range) == tuple(p.supervised_range) else
               f"binary searches over [{s.supervised_range[0]}, {s.supervised_range[1]}] where "
               f"the thesis searches [1, 200]")
        return join_substitutions(_fondue_substitution(s), rng)
    if figure == "figure-8.4":
        return join_substitutions(_count(f"{s.ide_points:,}", f"{p.ide_points:,}",
                                         "images per data set", "uses 10,000"),
                                  _count(s.ide_runs, p.ide_runs, "repeats", "makes 5"))
    raise ValueError(f"figure_substitution: no chapter-8 claim is recorded on {figure!r}.")


def figure_data(figure: str, cfg: Ch8Settings) -> str | list[str]:
    """The data the claims on ``figure`` ran on, as ``record_claim``'s ``data`` (image data set
    names, resolved when recorded to the public files or the labelled stand-in)."""
    s = _check_settings(cfg, "figure_data")
    if figure == "figure-8.4":
        return ["symsol", "dsprites", "celeba"]
    if figure in _INITS:
        return _INITS[figure]
    if figure in FIGURE_CONFIGS:
        return FIGURE_CONFIGS[figure][3]
    if figure == "figure-8.7":
        return [FIGURE_CONFIGS["figure-8.7a"][3], FIGURE_CONFIGS["figure-8.7b"][3]]
    if figure in D_FIGURES:
        return D_FIGURES[figure][1]
    if figure in ("table-8.2", "table-8.3"):
        names = sorted({v[5] for k, v in SIDE_SEARCHES.items()
                        if v[3] == figure[6:] and k in s.side_searches})
        return names[0] if len(names) == 1 else names
    if figure == "table-8.7":
        return SIDE_SEARCHES["fc"][5]
    return s.datasets[0] if len(s.datasets) == 1 else list(s.datasets)


def ledger(figure: str, cfg: Ch8Settings, *, kind: str = "document", data=None,
           note: str | None = None) -> dict[str, Any]:
    """The ``kind``, ``data`` and ``substitution`` keywords of ``run.record_claim`` for a claim
    on ``figure``: ``data`` defaults to :func:`figure_data`, the substitution is
    :func:`figure_substitution` with ``note`` (a further difference of this one claim) added.

    >>> ledger("figure-8.4", settings("paper"))
    {'kind': 'document', 'data': ['symsol', 'dsprites', 'celeba'], 'substitution': None}
    """
    return {"kind": kind, "data": figure_data(figure, cfg) if data is None else data,
            "substitution": join_substitutions(figure_substitution(figure, cfg), note)}


# -------------------------------------------------------------------------------- IDE figures
_IDE_CACHE = "ch8_data_ide"
_IDE_VERSION = 1
_START_K = 20   # "we will consider the IDEs obtained from MLE with k = 20" (thesis Sec. 8.5.1)


def data_ides(dataset: str, cfg: Ch8Settings, *, seed: int = 0, path=None) -> dict[str, Any]:
    """IDEs of a data set (Fig 8.4): MLE with each k of ``ide_ks`` and TwoNN (discarding the
    10 % largest ratios, the thesis' "anchor 0.9"), repeated ``ide_runs`` times on subsamples of
    80 % of ``ide_points`` points (Table D.4).  Returns ``{"values": {label: array},
    "stand_in": bool, "description": str}``.

    Kept in the run cache (``ch8_data_ide``), keyed by the data's identity
    (:func:`latentdims.data.images.data_identity`), the sizes, the k and the seed, so that
    notebook 51's searches start from the numbers notebook 50 shows (:func:`fondue_start`)
    without depending on notebook 50 having run.
    """
    s = _check_settings(cfg, "data_ides")
    config = {"dataset": dataset, "data": data_identity(dataset, path=path), "n": s.ide_points,
              "runs": s.ide_runs, "ks": list(s.ide_ks), "seed": int(seed), "version": _IDE_VERSION}

    def compute() -> dict[str, np.ndarray]:
        data = thesis_runs.cached_image_dataset(dataset, n=s.ide_points, path=path, seed=seed)
        X = data.images.reshape(len(data.images), -1).astype(np.float64)
        out = {f"mle_k{k}": repeated_id(X, "mle", k=k, n_runs=s.ide_runs, fraction=0.8,
                                        seed=seed).values for k in s.ide_ks}
        out["twonn"] = repeated_id(X, "twonn", n_runs=s.ide_runs, fraction=0.9, seed=seed).values
        return {**out, "stand_in": np.array(bool(data.stand_in)),
                "description": np.array(str(data.description))}

    arrays = cached_arrays(_IDE_CACHE, config, compute)
    values = {f"MLE (k={k})": np.asarray(arrays[f"mle_k{k}"]) for k in s.ide_ks}
    values["TwoNN"] = np.asarray(arrays["twonn"])
    return {"values": values, "stand_in": bool(arrays["stand_in"]),
            "description": str(arrays["description"])}


def fondue_start(cfg: Ch8Settings, dataset: str, *, seed: int = 0) -> int:
    """The n FONDUE starts from on ``dataset``: the mean MLE (k = 20) of :func:`data_ides`
    rounded to an integer, as the thesis starts from the IDEs of its Fig 8.4 (Sec. 8.5.1: "we
    will initialise FONDUE with n = 4 for SymSol, n = 11 for dSprites and n = 22 for Celeba").
    Seed 0 as in Table D.4; at least 1.  Computed once per data set and profile (cached), so
    notebooks 50 and 51 use the same number."""
    s = _check_settings(cfg, "fondue_start")
    if _START_K not in s.ide_ks:
        raise ValueError(f"fondue_start: the design's `ide_ks` {s.ide_ks} lack k = {_START_K}, "
                         f"the MLE the thesis starts FONDUE from (Sec. 8.5.1); add it.")
    values = data_ides(dataset, s, seed=seed)["values"][f"MLE (k={_START_K})"]
    return max(1, int(round(float(np.mean(values)))))


def start_note(cfg: Ch8Settings, datasets: Sequence[str]) -> str:
    """Markdown: the n every FONDUE search of this profile starts from on each of ``datasets``
    (:func:`fondue_start`), beside the thesis' (Sec. 8.5.1)."""
    s = _check_settings(cfg, "start_note")
    parts = [f"{ds}{' (stand-in)' if not has_real_data(ds) else ''}: n_init = "
             f"{fondue_start(s, ds)} (thesis {DATA_IDE.get(ds, 'n/a')})" for ds in datasets]
    return ("**FONDUE starts from the data IDE measured in this profile** (Fig 8.4, MLE with "
            f"k = {_START_K}, rounded; seed 0): " + "; ".join(parts) + ".")


def snapshot_folder(cfg: Ch8Settings, *, dataset: str = "dsprites", latent_dim: int = 10,
                    seed: int = 0) -> Path:
    """Train (or find in the cache) the fully trained beta = 1 conv VAE with a snapshot at every
    epoch, for :func:`layer_ides` (Fig 8.11); with n = 10 it is chapter 7's run of that
    configuration.  Returns the run folder."""
    run = ch8_run(_check_settings(cfg, "snapshot_folder"), dataset=dataset, latent_dim=latent_dim,
                  seed=seed)
    return thesis_runs.train_run(dataclasses.replace(run, snapshots=True))


def layer_ides(folder, cfg: Ch8Settings, *, epochs=None, seed: int = 0) -> dict[str, Any]:
    """MLE of every layer's activations (flattened, ``layer_points`` evaluation images,
    ``rep_k`` neighbours) at the end of each epoch of a ``snapshots=True`` run (Fig 8.11).
    Returns ``{"layers": [...], "values": {epoch: array}}`` (epochs 1-based in the labels)."""
    s = _check_settings(cfg, "layer_ides")
    run = thesis_runs.read_run(Path(folder))
    x = thesis_runs.evaluation_data(run)[:s.layer_points]
    k = min(s.rep_k, len(x) - 2)
    epochs = range(run.epochs) if epochs is None else epochs
    layers, values = None, {}
    for e in epochs:
        acts = thesis_runs.load_snapshot_model(folder, e).layer_activations(x, seed=seed)
        layers = list(acts)
        values[str(e + 1)] = np.array([_safe_mle(a.reshape(len(a), -1), k) for a in acts.values()])
    return {"layers": layers, "values": values}


# ------------------------------------------------------------------------------------- tables
# The thesis' tables (Tables 8.1-8.8, Secs. 8.5-8.8; Table D.5, App. D.3): rows of
# (algorithm or setting, dataset, n mean, n SD, minutes per run on an A100, models, epochs).
# Table 8.8 repeats Table 8.1's FONDUE rows.
_FONDUE_ROWS = (("FONDUE", "symsol", 19.1, 0.7, 6, 8, 1), ("FONDUE", "dsprites", 10.9, 0.7, 42, 4, 2),
                ("FONDUE", "celeba", 32.6, 0.7, 17, 6, 2))
THESIS_TABLES = {
    "8.1": [*_FONDUE_ROWS, ("FONDUE_IB", "symsol", 23.3, 0.5, 40, 8, 6),
            ("FONDUE_IB", "dsprites", 15.7, 0.5, 52, 5, 2),
            ("FONDUE_IB", "celeba", 18.4, 0.7, 21, 5, 3)],
    "8.2": [("beta=0.5", "symsol", 26, 0.7, 18, 8, 3), ("beta=0.5", "dsprites", 13.6, 1.2, 80, 6, 3),
            ("beta=0.5", "celeba", 49.9, 1.5, 46, 8, 4), ("beta=2", "symsol", 13.6, 0.8, 4, 6, 1),
            ("beta=2", "dsprites", 7.4, 0.5, 26, 5, 1), ("beta=2", "celeba", 21.9, 0.3, 8, 6, 1),
            ("beta=4", "symsol", 10, 0.5, 4, 6, 1), ("beta=4", "dsprites", 6.3, 0.7, 24, 5, 1),
            ("beta=4", "celeba", 15.9, 1.0, 23, 6, 3)],
    "8.3": [("lambda_od=0.5", "symsol", 17.5, 1.1, 7, 8, 1),
            ("lambda_od=0.5", "dsprites", 10.2, 0.6, 19, 4, 1),
            ("lambda_od=0.5", "celeba", 27.3, 1.7, 8, 6, 1),
            ("lambda_od=1", "symsol", 15.9, 2.0, 7, 7, 1), ("lambda_od=1", "dsprites", 9.5, 1.0, 25, 5, 1),
            ("lambda_od=1", "celeba", 22.7, 2.3, 8, 6, 1), ("lambda_od=2", "symsol", 12.4, 1.1, 7, 6, 1),
            ("lambda_od=2", "dsprites", 7.9, 0.7, 55, 6, 2), ("lambda_od=2", "celeba", 20.9, 1.8, 16, 6, 2),
            ("lambda_od=4", "symsol", 11.7, 0.9, 13, 6, 2), ("lambda_od=4", "dsprites", 8.1, 0.7, 28, 6, 1),
            ("lambda_od=4", "celeba", 18.7, 1.4, 23, 6, 3)],
    # Tables 8.4-8.6: their last, "average over all initial numbers of dimensions" rows
    "8.4": [("random n_init", "symsol", 18.9, 0.7, 6, 8, 1)],
    "8.5": [("random n_init", "celeba", 32.1, 1.2, 28, 8, 2)],
    "8.6": [("random n_init", "dsprites", 10.9, 0.8, 75, 7, 2)],
    "8.7": [("FONDUE", "symsol", 7.6, 0.7, 9, 5, 3), ("FONDUE", "dsprites", 5.2, 0.6, 16, 5, 1),
            ("FONDUE", "celeba", 22.0, float("nan"), 23, 6, 4),
            ("FONDUE_IB", "symsol", 11, 0.5, 14, 6, 4), ("FONDUE_IB", "dsprites", 12.3, 0.5, 28, 5, 2),
            ("FONDUE_IB", "celeba", 16.4, 0.7, 5, 5, 1)],
    "8.8": [*_FONDUE_ROWS, ("FONDUE_IDE", "symsol", 12.6, 0.5, 10, 6, 2),
            ("FONDUE_IDE", "dsprites", 10.1, 0.7, 42, 4, 2),
            ("FONDUE_IDE", "celeba", 34.7, 1.0, 32, 6, 4)],
    "D.5": [("BS_FONDUE", "symsol", 19.2, 0.6, 6, 8, 1), ("BS_FONDUE", "dsprites", 11.3, 0.8, 75, 8, 2),
            ("BS_FONDUE", "celeba", 32.2, 1.0, 21, 8, 2), ("IB", "symsol", 23.6, 0.8, 40, 8, 6),
            ("IB", "dsprites", 15.6, 0.5, 74, 8, 2), ("IB", "celeba", 18.5, 0.5, 31, 8, 3)],
}


def fondue_table(table: str, ours: dict, *, extra: dict | None = None):
    """A thesis table with our numbers beside it.

    Parameters
    ----------
    table : str
        Key of :data:`THESIS_TABLES` ("8.1" ... "8.8", "D.5").
    ours : mapping (setting, dataset) -> list of FondueResult
        Our searches for that row (one per seed).  Rows of the thesis we did not run keep
        empty "ours" cells (NaN), and are listed so the reader sees what was reduced.
    extra : mapping column -> mapping (setting, dataset) -> value, optional
        Further columns (e.g. n_init).

    Returns
    -------
    pandas.DataFrame
        Columns: setting, dataset, "n (ours)", "n SD (ours)", "time/run (ours, s)",
        "models trained (ours)", "epochs (ours)", and the thesis' n, SD, time/run (A100, min),
        models trained and epochs.
    """
    check_choice(table, sorted(THESIS_TABLES), name="table", func="fondue_table")
    rows = []
    keys = [(r[0], r[1]) for r in THESIS_TABLES[table]]
    keys += [k for k in ours if k not in keys]
    thesis = {(r[0], r[1]): r for r in THESIS_TABLES[table]}
    for key in keys:
        res = ours.get(key, [])
        ns = np.array([r.n for r in res], dtype=float)
        th = thesis.get(key, (None, None) + (float("nan"),) * 5)
        row = {"setting": key[0], "dataset": key[1],
               "n (ours)": ns.mean() if len(ns) else np.nan,
               "n SD (ours)": ns.std(ddof=1) if len(ns) > 1 else np.nan,
               "time/run (ours, s)": np.mean([r.seconds for r in res]) if res else np.nan,
               "models trained (ours)": np.mean([r.models_trained for r in res]) if res else np.nan,
               "epochs (ours)": res[0].epochs if res else np.nan,
               "n (thesis)": th[2], "n SD (thesis)": th[3], "time/run (thesis, A100 min)": th[4],
               "models trained (thesis)": th[5], "epochs (thesis)": th[6]}
        for col, values in (extra or {}).items():
            row[col] = values.get(key, np.nan)
        rows.append(row)
    return pd.DataFrame(rows).round(2)


def _training_times(ours: Mapping[tuple, list[Search]], cfg: Ch8Settings) -> dict[tuple, float]:
    """Mean training time from an empty cache of each row's searches."""
    out = {}
    for key, res in ours.items():
        secs = [search_training_seconds(r, cfg) for r in res]
        out[key] = float(np.mean(secs)) if secs else np.nan
    return out


def _table(tid: str, ours: Mapping[tuple, list[Search]], cfg: Ch8Settings):
    results = {key: [r.result for r in res] for key, res in ours.items()}
    return fondue_table(tid, results, extra={"training time/run (ours, s)": _training_times(ours, cfg)})


def _side_rows(side: Mapping[str, list[Search]], table: str) -> dict[tuple, list[Search]]:
    """The side searches of one thesis table, keyed by its (setting, dataset) rows."""
    return {(SIDE_SEARCHES[k][4], SIDE_SEARCHES[k][5]): res for k, res in side.items()
            if SIDE_SEARCHES[k][3] == table}


def fondue_tables(cfg: Ch8Settings, *, main: Mapping, side: Mapping, fc: Mapping,
                  references: Mapping, inits: Mapping, supervised: Mapping) -> dict[str, tuple]:
    """Tables 8.1-8.8 and D.5 from notebook 51's searches, with our numbers beside the thesis'
    (:func:`fondue_table`) and each row's training time from an empty cache
    (:func:`search_training_seconds`).

    Parameters
    ----------
    cfg : Ch8Settings
    main, side, fc, references, inits, supervised :
        From :func:`main_searches`, :func:`side_searches` (both parts),
        :func:`initialisation_searches` (both parts) and :func:`supervised_searches`.

    Returns
    -------
    dict ``"table-8.1"`` ... -> (DataFrame, caption), in the order the notebook saves them
    """
    s = _check_settings(cfg, "fondue_tables")
    common = (f"Ours: profile {s.profile}; β = 1: FONDUE and FONDUE_IDE with {len(s.fondue_seeds)} "
              f"seed(s), FONDUE_IB with {len(s.ib_seeds)}; 1 seed for the others; {s.fondue_epochs} "
              f"epoch(s) of {s.epoch_steps} steps per training; our times are wall seconds on a shared "
              "2-core CPU; thesis: 10 seeds, NVIDIA A100 minutes. Empty 'ours' cells: rows not run in "
              "this profile.")
    rows = {
        "8.1": ({k: v for k, v in main.items() if k[0] in ("FONDUE", "FONDUE_IB")},
                "FONDUE and FONDUE_IB."),
        "8.2": (_side_rows(side, "8.2"), "FONDUE with β-VAE."),
        "8.3": (_side_rows(side, "8.3"), "FONDUE with DIP-VAE II."),
        "8.7": ({(FLAVOURS[c], "dsprites"): res for c, res in fc.items()}, "Fully-connected VAEs."),
        "8.8": ({k: v for k, v in main.items() if k[0] in ("FONDUE", "FONDUE_IDE")},
                "FONDUE and FONDUE_IDE."),
        "D.5": (dict(supervised), f"BS_FONDUE and IB over [l, u] = {s.supervised_range}."),
    }
    out = {f"table-{tid}": (_table(tid, ours, s), f"{cap} {common}") for tid, (ours, cap) in rows.items()}
    for tid, ds in (("8.4", "symsol"), ("8.5", "celeba"), ("8.6", "dsprites")):
        ours = {(f"n_init={k}", d): res for (k, d), res in inits.items() if d == ds}
        if ours:
            ours[("random n_init", ds)] = [r for res in ours.values() for r in res]
            ours[(f"n_init={references[ds].result.start[0]} (data IDE)", ds)] = [references[ds]]
        if not ours:
            data_note = (f"{ds}: not run in profile {s.profile} (to keep its run time"
                         + (f"; CelebA is run only from its real files, absent here: $LATENTDIMS_DATA/{ds}/"
                            if ds == "celeba" and not has_real_data(ds) else "")
                         + "), so the 'ours' cells are empty.")
        elif has_real_data(ds):
            data_note = f"{ds}: real files."
        else:
            data_note = f"{ds}: our rows use the labelled STAND-IN images, not the real {ds} data."
        out[f"table-{tid}"] = (_table(tid, ours, s),
                               f"FONDUE on {ds} with other initial n (rows n_init=k: ours, seed 0; "
                               f"'random n_init': their average beside the thesis' average). "
                               f"{data_note} " + common)
    return out


def settings_table(cfg: Ch8Settings):
    """Table D.1 (training hyper-parameters) with the thesis' value beside ours."""
    s = _check_settings(cfg, "settings_table")
    t = s.training
    rows = [("Batch size", 64, t.batch_size),
            ("Latent space dimension", "3, 6, 8, 10, 12, 18, 24, 32 (Celeba also 42-200)",
             ", ".join(map(str, s.ns))),
            ("Optimizer", "Adam", "Adam"), ("Adam beta1", 0.9, 0.9), ("Adam beta2", 0.999, 0.999),
            ("Adam epsilon", 1e-8, 1e-8), ("Adam learning rate", 1e-4, t.learning_rate),
            ("Reconstruction loss", "Bernoulli", "Bernoulli"),
            ("Training steps", 300_000, t.steps),
            ("Train/test split", "90/10", "all but the evaluation set" if t.n_train is None
             else f"{t.n_train} / {t.n_eval} images"),
            ("beta", 1, 1.0), ("Seeds of the sweeps", "0-4", ", ".join(map(str, s.seeds))),
            ("FONDUE seeds", 10, len(s.fondue_seeds)),
            ("FONDUE epoch (steps)", "one pass over the data", s.epoch_steps)]
    return pd.DataFrame(rows, columns=["parameter", "thesis", "ours"]).astype(str)


def timed(fn: Callable, *args, **kwargs):
    """``(fn(*args, **kwargs), seconds)``."""
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start



def architecture_table(architecture: str, *, channels: int = 1):
    """Tables D.2 (``"conv"``) and D.3 (``"fc"``): the thesis' layers as printed beside the layers
    our models build (from :mod:`latentdims.models.architectures`); n is the swept latent size."""
    a = architectures
    check_choice(architecture, a.ARCHITECTURES, name="architecture", func="architecture_table")
    if architecture == "conv":
        thesis = ["Input 64x63xchannels [sic]"] + [f"Conv 4x4, {f}, ReLU, stride 2" for f in (32, 32, 64, 64)] + [
            "FC 256, ReLU, strides=2 [sic]", "FC 2x10"]
        ours = [f"Input {a.IMAGE_SIZE}x{a.IMAGE_SIZE}x{channels}"] + [
            f"Conv {k}x{k}, {f}, ReLU, stride 2" for f, k in zip(a.CONV_FILTERS, a.CONV_KERNELS)] + [
            f"FC {a.CONV_DENSE}, ReLU", "FC 2xn (mean, log-variance)"]
        dec_t = ["Input R^10", "FC 256, ReLU", "FC 4x4x64, ReLU"] + [
            f"Deconv 4x4, {f}, ReLU, stride 2" for f in (64, 32, 32)] + ["Deconv 4x4, channels, ReLU [sic]"]
        dec_o = ["Input R^n", f"FC {a.CONV_DENSE}, ReLU", "FC 4x4x64, ReLU"] + [
            f"Deconv 4x4, {f}, ReLU, stride 2" for f in a.DECONV_FILTERS] + [
            f"Deconv 4x4, {channels}, linear (Bernoulli logits), stride 2"]
    else:
        thesis = ["Input 64x63xchannels [sic]", "FC 1200, ReLU", "FC 1200, ReLU", "FC 2x10"]
        ours = [f"Input {a.IMAGE_SIZE}x{a.IMAGE_SIZE}x{channels}"] + [
            f"FC {w}, ReLU" for w in a.FC_ENCODER_WIDTHS] + ["FC 2xn (mean, log-variance)"]
        dec_t = ["Input R^10", "FC 256, tanh", "FC 1200, tanh", "FC 1200, tanh", "(no output layer printed)"]
        dec_o = ["Input R^n"] + [f"FC {w}, tanh" for w in a.FC_DECODER_WIDTHS] + [
            f"FC {a.IMAGE_SIZE}x{a.IMAGE_SIZE}x{channels}, linear (logits)"]
    rows = [("encoder", t, o) for t, o in zip(thesis, ours)]
    length = max(len(dec_t), len(dec_o))
    dec_t, dec_o = dec_t + [""] * (length - len(dec_t)), dec_o + [""] * (length - len(dec_o))
    rows += [("decoder", t, o) for t, o in zip(dec_t, dec_o)]
    return pd.DataFrame(rows, columns=["part", "thesis (as printed)", "ours"])


def mle_table(cfg: Ch8Settings):
    """Table D.4 (MLE hyper-parameters) with ours beside the thesis'."""
    s = _check_settings(cfg, "mle_table")
    rows = [("k", "3, 5, 10, 20", ", ".join(map(str, s.ide_ks))),
            ("anchor (fraction of points used as centres)", 0.8, 0.8), ("seed", 0, 0),
            ("runs", 5, s.ide_runs), ("examples", "10,000", s.ide_points),
            ("averaging", "MacKay-Ghahramani (code); Levina-Bickel (Eq 8.3)", "MacKay-Ghahramani"),
            ("TwoNN: fraction kept", 0.9, 0.9)]
    return pd.DataFrame(rows, columns=["parameter", "thesis", "ours"]).astype(str)
