r"""Chapters 5 and 6 of the thesis: the iVAE's passive variables, and what passive variables do
to the mean and sampled representations (variable types, scores, correlations).

Chapter 6 of the thesis analysed the 9000 models released by Locatello et al. (2019a) (5
objectives x 6 data sets x 6 regularisation strengths x 50 seeds, thesis Sec. 6.4, 'Empirical
setup'); they cannot be downloaded here, so this module defines **our own sweeps** of the same
objectives, trained with
:func:`latentdims.studies.thesis_runs.train_run` (cached, one training per exact configuration, shared
with the chapter 7 and 8 notebooks: the ``quick`` grid is :func:`regularisation_values`'s, except
DIP-VAE II's first and last values only, and a run is spelled exactly as
``thesis_run(model, training, <param>=value, seed=..., snapshots=...)``, with the snapshots of
chapter 7's runs for the beta-VAE and DIP-VAE II; see :class:`Ch56Settings`).  In ``quick`` the
beta-TC VAE figures are scored on the beta-VAE sweep (:attr:`Ch56Settings.substitutes` says why).

A notebook resolves its profile once, ``cfg = settings(profile)``, and passes ``cfg`` down.
What the notebooks 30-33 use:

* :func:`ivae_runs`, :func:`choose_ivae_variables`, :func:`ivae_histograms`,
  :func:`ivae_panels` (Figs 5.1-5.4), :func:`table_a1`, :func:`table_a2` (Tables A.1-A.2
  rendered from the configuration used);
* :func:`settings`, :func:`figure_setup`, :func:`ch6_sweep` (a :class:`Ch6Sweep` of trained
  folders over regularisation x seed), :func:`count_sweeps`, :func:`is_stand_in`;
* :func:`type_count_table` (Figs 6.5, B.1), :func:`classifier_table` and
  :func:`mean_accuracy` (Fig 6.4), :func:`representation_scores` / :func:`sweep_scores`,
  :class:`FigureScores`, :func:`sweep_score`, :func:`mean_passive`, :func:`removal_gaps`
  (Figs 6.6-6.8, B.2-B.5);
* :func:`per_example_types` / :func:`definition_sets` / :func:`definition_note` (Fig 6.1,
  Definition 6.3.1), :func:`example_model` and :func:`zero_peak` (Figs 6.2-6.3);
* :func:`correlation_run` (Fig 6.9), :func:`snapshot_run`, :func:`snapshot_correlations`
  (Figs 6.9-6.11);
* the claims' ledger labels, computed from the settings against the thesis' set-up:
  :func:`ledger` (:func:`figure_data`, :func:`figure_substitution`), :func:`count_substitution`,
  :func:`snapshot_substitution`, :func:`example_substitution` (with
  :func:`latentdims.studies.thesis_runs.training_substitution`),
  and :func:`profile_note` (the notebooks' computed "where this profile differs" sentence).

Variable types are always those of :func:`latentdims.maths.variables.classify_variables` (Sect.
6.4.1, alpha = 0.1, thesis rule) on the evaluation set's variance representation.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import pandas as pd
from scipy.stats import norm
from threadpoolctl import threadpool_limits

from latentdims.core.profiles import by_profile, capped
from latentdims.core.sweeps import run_sweep
from latentdims.core.validation import check_array, check_choice, check_in_interval, check_int
from latentdims.maths.scores import (averaged_mutual_information, correlation_matrix,
                                     gaussian_total_correlation, logistic_regression_accuracy,
                                     random_classifier_accuracy, representation_effective_rank)
from latentdims.maths.variables import (VariableTypes, count_variable_types, type_combinations,
                                        type_indices, variable_types)
from latentdims.models import architectures as arch
from latentdims.models import model_class
from latentdims.studies import thesis_runs
from latentdims.studies.thesis_runs import (ThesisRun, ThesisSettings, join_substitutions,
                                            regularisation_values, thesis_run, train_run,
                                            training_substitution)

__all__ = ["CH6_GRID", "CH6_FIGURES", "ClassifierSettings", "Ch56Settings", "settings",
           "FigureSetup", "figure_setup", "ch6_values", "ch6_run", "Ch6Sweep", "ch6_sweep",
           "count_sweeps", "is_stand_in", "read_arrays", "type_count_table", "classifier_table",
           "mean_accuracy", "SUBSETS", "representation_scores", "sweep_scores", "FigureScores",
           "sweep_score", "mean_passive", "removal_gaps", "ivae_runs", "choose_ivae_variables",
           "ivae_histograms", "ivae_panels", "table_a1", "table_a2", "per_example_types",
           "definition_sets", "snapshot_run", "correlation_run", "snapshot_correlations", "THESIS_SEEDS",
           "EXAMPLE_BETA", "SNAPSHOT_FIGURES", "MODEL_NAMES",
           "seeds_substitution", "figure_substitution", "figure_data",
           "ledger", "count_substitution", "snapshot_substitution", "profile_note", "example_model",
           "example_substitution", "definition_note", "zero_peak", "ivae_passive_count",
           "ivae_summary"]

# Locatello et al.'s grid used by chapter 6 (from their disentanglement_lib; the thesis never
# lists it, Sec. 6.4, 'Empirical setup').  ``paper`` uses it; ``quick``/``smoke`` use
# regularisation_values' reduced Table C.2 grid, so that chapter 6 and 7 share trained models.
CH6_GRID: dict[str, tuple[str, tuple[float, ...]]] = {
    "beta_vae": ("beta", (1.0, 2.0, 4.0, 6.0, 8.0, 16.0)),
    "beta_tc_vae": ("beta", (1.0, 2.0, 4.0, 6.0, 8.0, 10.0)),
    "dip_vae_ii": ("lambda_od", (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)),
    "annealed_vae": ("c_max", (5.0, 10.0, 25.0, 50.0, 75.0, 100.0)),
    "factor_vae": ("gamma", (10.0, 20.0, 30.0, 40.0, 50.0, 100.0)),
}

# (objective, dataset of the caption) per panel (the captions of thesis Figs 6.2-6.8, B.1-B.5).
CH6_FIGURES: dict[str, tuple[str, str]] = {
    "figure-6.2": ("beta_vae", "dsprites"),
    "figure-6.4": ("beta_vae", "dsprites"),
    "figure-6.6a": ("beta_tc_vae", "smallnorb"),
    "figure-6.6b": ("dip_vae_ii", "cars3d"),
    "figure-6.6c": ("beta_tc_vae", "colour_dsprites"),
    "figure-6.7": ("dip_vae_ii", "dsprites"),
    "figure-6.8": ("beta_tc_vae", "noisy_dsprites"),
    "figure-B.1a": ("annealed_vae", "dsprites"),
    "figure-B.1b": ("annealed_vae", "scream_dsprites"),
    "figure-B.1c": ("annealed_vae", "cars3d"),
    "figure-B.2": ("annealed_vae", "dsprites"),
    "figure-B.3": ("annealed_vae", "cars3d"),
    "figure-B.5": ("annealed_vae", "scream_dsprites"),
}


# ------------------------------------------------------------------------------ settings
@dataclass(frozen=True)
class ClassifierSettings:
    """Sizes of the Fig 6.4 sanity check for one profile.

    Attributes
    ----------
    n_train, n_test : int
        Examples used to fit and to score the logistic regressions (thesis: 10,000 and 5,000,
        Sec. 6.4.1, 'Sanity check').
    n_cs, n_folds : int
        Cross-validation grid and folds (thesis: 10 and 5, Sec. 6.4.1).
    max_iter : int
        L-BFGS iterations (scikit-learn's default 100 in the thesis code).
    """

    n_train: int
    n_test: int
    n_cs: int
    n_folds: int
    max_iter: int


@dataclass(frozen=True)
class Ch56Settings:
    """Sizes of the chapter 5-6 experiments (notebooks 30-33) in one profile.

    Attributes
    ----------
    training : ThesisSettings
        How each model is trained (:func:`latentdims.studies.thesis_runs.settings`).
    classifier : ClassifierSettings
        The logistic regressions of Fig 6.4 (:func:`classifier_table`).
    seeds : tuple of int
        Seeds per regularisation value (the thesis: 50 pre-trained models each,
        Sec. 6.4).
    thesis_datasets : bool
        True: each figure uses the data set of its caption (:data:`CH6_FIGURES`); False: every
        figure uses dSprites, so one sweep per objective serves every figure (and the other
        thesis notebooks).
    snapshot_steps : int
        Steps between the snapshots of Figs 6.10-6.11 (the thesis: 1,000 over 300k steps,
        Sec. 6.5).
    n_bins : int
        Equal-width bins per variable for the averaged MI (the thesis code's 20; not stated).
    classifier_fraction : float
        Share of the evaluation set that trains the Fig 6.4 logistic regressions (the rest tests
        them), capped by ``classifier``.
    hist_bins : int
        Histogram bins of Figs 5.1-5.4 and 6.2-6.3 (the author's histogram script: 13).
    correlation_threshold : float
        The |correlation| above which Fig 6.10 counts a variable as correlated (the thesis: 0.2,
        Sec. 6.5).
    count_models : tuple of str
        Objectives whose variable-type counts Fig 6.5 shows (the thesis: its five, Sec. 6.4.1).
    substitutes : tuple of (str, str)
        ``(caption's objective, objective trained instead)`` pairs for the score figures
        (:func:`figure_setup`).  ``quick`` scores Figs 6.6a, 6.6c and 6.8 on the beta-VAE sweep
        instead of a beta-TC VAE one: the beta-TC VAE weighs only the TC term by beta (Eqs
        4.28-4.29; R = KL + (beta - 1) TC), so the dimension-wise KL that pulls an unused
        variable's posterior to the prior keeps weight 1, as in a beta = 1 VAE, and in a short
        training its unused variables stop short of passive.  Measured (procedural dSprites,
        seed 0, beta = 8): their mean posterior variance is 0.67-0.77 after 1,500 steps at a
        learning rate of 1e-3 (0 passive, 7 mixed), 0.64-0.80 at 3e-3, 0.84-0.90 after 3,000
        steps (1 passive, 6 mixed), against the 0.9 that the rule of Sect. 6.4.1 needs.
    values : tuple of (str, tuple of float)
        ``(objective, values)`` pairs replacing :func:`latentdims.studies.thesis_runs.regularisation_values`'
        grid in this profile (:func:`ch6_values`).  ``paper`` gives Locatello et al.'s grid
        (:data:`CH6_GRID`) for every objective.  ``quick`` trains DIP-VAE II at its first and
        last strengths only (lambda_od = 1, 20), which keeps notebooks 30-33 within their share
        of the ``quick`` budget: the middle value (lambda_od = 5) decided none of the claims of
        Figs 6.5-6.7 (their checks compare the extreme values or every value with passive
        variables), whereas every value of the beta-VAE and annealed VAE sweeps is used.
    snapshot_models : tuple of str
        Objectives whose sweep runs keep a snapshot per epoch, like chapter 7's runs
        (:func:`latentdims.studies.thesis_ch7.config_runs`): the snapshots change nothing in the
        training (same weights, checked), so a configuration that both chapters use is trained
        once (in ``quick``: beta-VAE beta = 1, 8, DIP-VAE II lambda = 1 and the Annealed VAE
        with C_max = 5 of Figs 7.2 and C.4).
    """

    training: ThesisSettings
    classifier: ClassifierSettings
    seeds: tuple[int, ...]
    thesis_datasets: bool
    snapshot_steps: int
    count_models: tuple[str, ...] = ("beta_vae",)
    substitutes: tuple[tuple[str, str], ...] = ()
    values: tuple[tuple[str, tuple[float, ...]], ...] = ()
    snapshot_models: tuple[str, ...] = ()
    n_bins: int = 20
    classifier_fraction: float = 0.6
    hist_bins: int = 13
    correlation_threshold: float = 0.2


def settings(profile: str) -> Ch56Settings:
    """The :class:`Ch56Settings` of ``profile``.

    ``quick`` trains one seed per value on dSprites (the training sizes of
    :func:`latentdims.studies.thesis_runs.settings`) with 15 snapshots of the beta = 8 model,
    and scores the beta-TC VAE figures on the beta-VAE sweep (see :class:`Ch56Settings`);
    ``smoke`` follows ``quick``'s choices at its own sizes; ``paper`` is the thesis' set-up
    (50 seeds, Locatello et al.'s grid, the captions' data sets and objectives, a snapshot
    every 1,000 steps, the Fig 6.4 regressions on 10,000 and 5,000 examples); ``paper-dry`` is
    ``paper`` with seed 0, each objective's weakest and strongest strength and 4-step trainings.

    >>> settings("quick").seeds, settings("paper").snapshot_steps
    ((0,), 1000)
    >>> settings("paper").classifier
    ClassifierSettings(n_train=10000, n_test=5000, n_cs=10, n_folds=5, max_iter=100)
    """
    training = thesis_runs.settings(profile)
    shared = dict(substitutes=(("beta_tc_vae", "beta_vae"),),
                  snapshot_models=("beta_vae", "dip_vae_ii", "annealed_vae"))
    paper = Ch56Settings(training, ClassifierSettings(n_train=10_000, n_test=5000, n_cs=10,
                                                      n_folds=5, max_iter=100),
                         seeds=tuple(range(50)), thesis_datasets=True, snapshot_steps=1000,
                         count_models=("beta_vae", "beta_tc_vae", "factor_vae", "dip_vae_ii",
                                       "annealed_vae"),
                         values=tuple((model, grid) for model, (_, grid) in CH6_GRID.items()))
    return by_profile(
        profile,
        smoke=Ch56Settings(training, ClassifierSettings(n_train=300, n_test=200, n_cs=2,
                                                        n_folds=2, max_iter=50),
                           seeds=(0,), thesis_datasets=False, snapshot_steps=2, **shared),
        quick=Ch56Settings(training, ClassifierSettings(n_train=2000, n_test=1000, n_cs=5,
                                                        n_folds=3, max_iter=100),
                           seeds=(0,), thesis_datasets=False, snapshot_steps=100,
                           count_models=("beta_vae", "dip_vae_ii"),
                           values=(("dip_vae_ii", (1.0, 20.0)),), **shared),
        paper=paper,
        # the dry run: the thesis' objectives, data sets and models (``training``: its dry run),
        # one seed, each objective's weakest and strongest regularisation, a snapshot a step
        dry=capped(paper, classifier=capped(paper.classifier, n_train=300, n_test=200),
                   seeds=(0,), snapshot_steps=1,
                   values=tuple((model, (grid[0], grid[-1])) for model, grid in paper.values)))


def _check_settings(cfg, func: str) -> "Ch56Settings":
    if not isinstance(cfg, Ch56Settings):
        raise TypeError(f"{func}: `cfg` must be a Ch56Settings (thesis_ch5_6.settings(profile)); "
                        f"got {type(cfg).__name__} {cfg!r}.")
    return cfg


@dataclass(frozen=True)
class FigureSetup:
    """The objective and data set a figure (panel) uses in a profile, and the caption's."""

    model: str
    dataset: str
    thesis_dataset: str
    thesis_model: str = ""

    def __post_init__(self) -> None:
        if not self.thesis_model:
            object.__setattr__(self, "thesis_model", self.model)

    @property
    def substituted(self) -> bool:
        """True when the profile trains another objective or data set than the caption's."""
        return self.dataset != self.thesis_dataset or self.model != self.thesis_model

    def describe(self) -> str:
        """``"model, dataset"``, with ``"(thesis: ...)"`` naming what the caption used instead."""
        text = f"{self.model}, {self.dataset}"
        if self.substituted:
            theirs = [x for x, ours in ((self.thesis_model, self.model),
                                        (self.thesis_dataset, self.dataset)) if x != ours]
            text += f" (thesis: {', '.join(theirs)})"
        return text


def figure_setup(figure: str, cfg: Ch56Settings) -> FigureSetup:
    """Objective and data set of a chapter 6 / appendix B figure under ``cfg``.

    The data set is the caption's when ``cfg.thesis_datasets``, else dSprites; the objective is
    the caption's unless ``cfg.substitutes`` replaces it.

    >>> figure_setup("figure-6.8", settings("quick"))
    FigureSetup(model='beta_vae', dataset='dsprites', thesis_dataset='noisy_dsprites', thesis_model='beta_tc_vae')
    >>> figure_setup("figure-6.8", settings("quick")).describe()
    'beta_vae, dsprites (thesis: beta_tc_vae, noisy_dsprites)'
    >>> figure_setup("figure-6.8", settings("paper")).substituted
    False
    """
    check_choice(figure, sorted(CH6_FIGURES), name="figure", func="figure_setup")
    cfg = _check_settings(cfg, "figure_setup")
    model, dataset = CH6_FIGURES[figure]
    ours = dataset if cfg.thesis_datasets else "dsprites"
    return FigureSetup(dict(cfg.substitutes).get(model, model), ours, dataset, model)


def ch6_values(model: str, cfg: Ch56Settings) -> tuple[str, tuple[float, ...]]:
    """The hyper-parameter swept for ``model`` and its values under ``cfg``: ``cfg.values``'
    choice (in ``paper`` Locatello et al.'s 6 values, :data:`CH6_GRID`), else
    :func:`~latentdims.studies.thesis_runs.regularisation_values` of ``cfg.training``.

    >>> ch6_values("beta_vae", settings("paper"))
    ('beta', (1.0, 2.0, 4.0, 6.0, 8.0, 16.0))
    >>> ch6_values("dip_vae_ii", settings("quick"))
    ('lambda_od', (1.0, 20.0))
    """
    check_choice(model, sorted(CH6_GRID), name="model", func="ch6_values")
    cfg = _check_settings(cfg, "ch6_values")
    name, grid = regularisation_values(model, cfg.training)
    return name, tuple(dict(cfg.values).get(model, grid))


def ch6_run(model: str, value: float, cfg: Ch56Settings, *, dataset: str = "dsprites",
            seed: int = 0, **extra: Any) -> ThesisRun:
    """One chapter-6 model as a :class:`~latentdims.studies.thesis_runs.ThesisRun`.

    The regularisation value is given as the objective's hyper-parameter (``beta``, ``c_max``...).
    For the annealed VAE the capacity's ramp is scaled with the training length: the thesis
    reaches C_max after 100,000 of 300,000 steps (Table C.2), so a shorter run reaches it after
    a third of its steps (in ``paper`` the default is kept and the cache key is the plain one).
    Objectives in ``cfg.snapshot_models`` keep a snapshot per epoch, so the
    run is the one chapter 7 trains for the same configuration (one training, one cache entry).
    ``extra`` is passed to :func:`~latentdims.studies.thesis_runs.thesis_run` (``steps=``,
    ``snapshots=``, hyper-parameters).
    """
    name, _ = ch6_values(model, cfg)
    snapshots = extra.pop("snapshots", model in cfg.snapshot_models)
    params = {name: float(value), **extra}
    if model == "annealed_vae" and "iteration_threshold" not in params:
        steps = params.get("steps") or cfg.training.steps
        if steps != 300_000:
            params["iteration_threshold"] = max(1, steps // 3)
    return thesis_run(model, cfg.training, dataset=dataset, seed=seed, snapshots=snapshots,
                      **params)


# ------------------------------------------------------------------------------ ledger labels
# What the thesis ran, against which a record's ``substitution`` says what a profile changes.
THESIS_SEEDS = 50        # Locatello et al.'s models per (data set, objective, strength), Sec. 6.4
EXAMPLE_BETA = 8.0       # the beta-VAE of Figs 6.1-6.4 (Sec. 6.3.2: beta = 8 on dSprites)
# The beta-VAEs of Sect. 6.5: (beta, data set) of each figure's model
SNAPSHOT_FIGURES = {"figure-6.9": (16.0, "colour_dsprites"), "figure-6.10": (8.0, "dsprites"),
                    "figure-6.11": (8.0, "dsprites")}
THESIS_SNAPSHOTS = (300, 1000)   # Figs 6.10-6.11: 300 snapshots, one every 1,000 steps
MODEL_NAMES = {"beta_vae": "beta-VAE", "beta_tc_vae": "beta-TC VAE", "dip_vae_ii": "DIP-VAE II",
               "annealed_vae": "Annealed VAE", "factor_vae": "FactorVAE", "ivae": "iVAE"}


def _and(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def seeds_substitution(n_seeds: int, thesis_seeds: int = THESIS_SEEDS) -> str | None:
    """``'1 seed where the thesis averages 50'``, or None when the profile has as many seeds.

    >>> seeds_substitution(1), seeds_substitution(50)
    ('1 seed where the thesis averages 50', None)
    """
    n = check_int(n_seeds, name="n_seeds", func="seeds_substitution", minimum=1)
    if n >= thesis_seeds:
        return None
    return f"{n} seed{'s' if n > 1 else ''} where the thesis averages {thesis_seeds}"


def _in_place_of(pairs, ours_text=str, theirs_text=str) -> list[str]:
    """``(ours, theirs)`` pairs that differ, as ``"ours in place of theirs"`` grouped by ours."""
    grouped: dict[str, list[str]] = {}
    for ours, theirs in pairs:
        if ours != theirs and theirs not in grouped.setdefault(ours, []):
            grouped[ours].append(theirs)
    return [f"{ours_text(ours)} in place of {_and(theirs_text(t) for t in theirs)}"
            for ours, theirs in grouped.items() if theirs]


def _grid_substitution(model: str, thesis_model: str, cfg: Ch56Settings) -> str | None:
    """The strengths swept for ``model`` against Locatello et al.'s for ``thesis_model``."""
    name, ours = ch6_values(model, cfg)
    theirs = CH6_GRID[thesis_model][1]
    if tuple(ours) == tuple(theirs):
        return None
    text = lambda values: ", ".join(f"{v:g}" for v in values)   # noqa: E731
    return f"{name} = {text(ours)} in place of {text(theirs)}"


def _figure_ids(figures) -> tuple[str, ...]:
    ids = (figures,) if isinstance(figures, str) else tuple(figures)
    if not ids:
        raise ValueError("figure_substitution: `figures` is empty; name the panel(s) of "
                         "CH6_FIGURES the claim is about.")
    return ids


def figure_substitution(figures, cfg: Ch56Settings, *, averaged: bool = True,
                        values: bool = True) -> str | None:
    """The ``substitution`` of a record on the panel(s) ``figures`` (keys of :data:`CH6_FIGURES`)
    under ``cfg``, computed from the settings: the objective and data set against the
    captions', the strengths swept against Locatello et al.'s (``values``), the seeds where the
    thesis averages its 50 models (``averaged``), and the training; None in ``paper``.

    >>> figure_substitution("figure-6.6a", settings("quick"), averaged=False, values=False)
    'beta-VAE in place of the beta-TC VAE; dsprites in place of smallnorb; 1,500 training steps at lr 1e-3 in place of 300,000 at 1e-4'
    >>> figure_substitution(["figure-6.6a", "figure-6.7"], settings("paper")) is None
    True
    """
    cfg = _check_settings(cfg, "figure_substitution")
    setups = list(dict.fromkeys(figure_setup(f, cfg) for f in _figure_ids(figures)))
    return join_substitutions(
        *_in_place_of(((s.model, s.thesis_model) for s in setups), MODEL_NAMES.get,
                      lambda m: f"the {MODEL_NAMES[m]}"),
        *_in_place_of((s.dataset, s.thesis_dataset) for s in setups),
        *[_grid_substitution(s.model, s.thesis_model, cfg) for s in setups if values],
        seeds_substitution(len(cfg.seeds)) if averaged else None,
        training_substitution(cfg.training))


def figure_data(figures, cfg: Ch56Settings) -> str | list[str]:
    """The ``data`` of a record on the panel(s) ``figures``: the data set(s) they train on
    under ``cfg`` (one name, or a list when the panels use several).

    >>> figure_data(["figure-B.1a", "figure-B.1c"], settings("quick"))
    'dsprites'
    >>> figure_data(["figure-B.1a", "figure-B.1c"], settings("paper"))
    ['dsprites', 'cars3d']
    """
    cfg = _check_settings(cfg, "figure_data")
    names = list(dict.fromkeys(figure_setup(f, cfg).dataset for f in _figure_ids(figures)))
    return names[0] if len(names) == 1 else names


def ledger(figures, cfg: Ch56Settings, *, kind: str = "document", averaged: bool = True,
           values: bool = True) -> dict[str, Any]:
    """The ``kind``, ``data`` and ``substitution`` keywords of ``run.record_claim`` for a claim
    on the panel(s) ``figures``: :func:`figure_data` and :func:`figure_substitution` (with
    ``averaged`` and ``values``) under ``cfg``.

    >>> ledger("figure-6.7", settings("paper"))
    {'kind': 'document', 'data': 'dsprites', 'substitution': None}
    """
    return {"kind": kind, "data": figure_data(figures, cfg),
            "substitution": figure_substitution(figures, cfg, averaged=averaged, values=values)}


def count_substitution(cfg: Ch56Settings) -> str | None:
    """The ``substitution`` of Fig 6.5's records: the objectives shown (the thesis: its five,
    Sec. 6.4.1), their strengths, the seeds (the thesis averages 50) and the training.

    >>> count_substitution(settings("paper")) is None
    True
    """
    cfg = _check_settings(cfg, "count_substitution")
    shown = cfg.count_models
    fewer = (None if set(shown) >= set(CH6_GRID) else
             f"{_and(MODEL_NAMES[m] for m in shown)} only, where the thesis shows its five "
             f"objectives")
    return join_substitutions(fewer, *[_grid_substitution(m, m, cfg) for m in shown],
                              seeds_substitution(len(cfg.seeds)),
                              training_substitution(cfg.training))


def snapshot_substitution(figure: str, run: ThesisRun, cfg: Ch56Settings) -> str | None:
    """The ``substitution`` of a Sect. 6.5 record: the beta-VAE ``run`` (from
    :func:`snapshot_run`, or :func:`correlation_run` for Fig 6.9) against the model of
    ``figure`` (:data:`SNAPSHOT_FIGURES`), its
    snapshots against the thesis' 300 (Figs 6.10-6.11), and the training.

    >>> run = snapshot_run(settings("paper"))
    >>> snapshot_substitution("figure-6.9", run, settings("paper"))
    'beta = 8 on dsprites in place of beta = 16 on colour_dsprites'
    >>> snapshot_substitution("figure-6.9", correlation_run(settings("paper")), settings("paper")) is None
    True
    >>> snapshot_substitution("figure-6.10", run, settings("paper")) is None
    True
    """
    check_choice(figure, sorted(SNAPSHOT_FIGURES), name="figure", func="snapshot_substitution")
    cfg = _check_settings(cfg, "snapshot_substitution")
    beta, dataset = SNAPSHOT_FIGURES[figure]
    ours = float(dict(run.params)["beta"])
    model = (None if (ours, run.dataset) == (beta, dataset) else
             f"beta = {ours:g} on {run.dataset} in place of beta = {beta:g} on {dataset}")
    n, every = THESIS_SNAPSHOTS
    snaps = (None if figure == "figure-6.9" or (run.epochs, run.steps_per_epoch) == (n, every) else
             f"{run.epochs} snapshots, one every {run.steps_per_epoch:,} steps, in place of "
             f"{n}, one every {every:,}")
    return join_substitutions(model, snaps, training_substitution(cfg.training))


def profile_note(cfg: Ch56Settings) -> str:
    """A Markdown sentence: where this profile's chapter 5-6 experiments differ from the
    thesis', computed from ``cfg`` (the notebooks type no settings that would go stale)."""
    cfg = _check_settings(cfg, "profile_note")
    used = dict.fromkeys([figure_setup(f, cfg).model for f in CH6_FIGURES] + list(cfg.count_models))
    grids = [(m, _grid_substitution(m, m, cfg)) for m in used]
    parts = [training_substitution(cfg.training), seeds_substitution(len(cfg.seeds)),
             *[f"{MODEL_NAMES[m]}: {g}" for m, g in grids if g],
             *[f"the {MODEL_NAMES[a]} figures scored on the {MODEL_NAMES[b]} sweep"
               for a, b in cfg.substitutes],
             None if cfg.thesis_datasets else
             "every figure on dsprites, whatever its caption's data set"]
    what = join_substitutions(*parts)
    if what is None:
        return ("**This profile** runs the thesis' set-up (objectives, data sets, strengths, seeds, "
                "training).")
    return f"**Where this profile differs from the thesis:** {what}."


# ------------------------------------------------------------------------------ sweeps
@dataclass(frozen=True)
class Ch6Sweep:
    """Trained models over regularisation x seed: ``folders[i][k]`` is value ``values[i]``,
    seed ``seeds[k]``."""

    model: str
    dataset: str
    param: str
    values: tuple[float, ...]
    seeds: tuple[int, ...]
    folders: tuple[tuple[Path, ...], ...]

    def items(self):
        """``(value, seed, folder)`` for every model, value-major."""
        for value, row in zip(self.values, self.folders):
            for seed, folder in zip(self.seeds, row):
                yield value, seed, folder


def ch6_sweep(model: str, cfg: Ch56Settings, *, dataset: str = "dsprites", values=None,
              seeds=None) -> Ch6Sweep:
    """Train (or read from the cache) one model per (value, seed); defaults: the grid of
    :func:`ch6_values` and ``cfg.seeds``, through :func:`latentdims.core.sweeps.run_sweep`."""
    func = "ch6_sweep"
    param, grid = ch6_values(model, cfg)
    values = tuple(float(v) for v in (grid if values is None else values))
    seeds = tuple(check_int(s, name="seeds", func=func, minimum=0)
                  for s in (cfg.seeds if seeds is None else seeds))
    if not values or not seeds:
        raise ValueError(f"{func}: `values` and `seeds` must be non-empty; got {values}, {seeds}.")
    runs = [ch6_run(model, v, cfg, dataset=dataset, seed=s) for v in values for s in seeds]
    folders = [Path(f) for f in run_sweep(train_run, runs, desc=f"{model} {dataset}")]
    k = len(seeds)
    return Ch6Sweep(model, dataset, param, values, seeds,
                    tuple(tuple(folders[i * k:(i + 1) * k]) for i in range(len(values))))


def count_sweeps(cfg: Ch56Settings, known: dict[str, Ch6Sweep] | None = None) -> dict[str, Ch6Sweep]:
    """The sweep of every objective in ``cfg.count_models`` (Fig 6.5), in that order, on
    dSprites; a sweep already in ``known`` (objective -> sweep) is used as it is."""
    cfg = _check_settings(cfg, "count_sweeps")
    known = dict(known or {})
    return {model: known[model] if model in known else ch6_sweep(model, cfg)
            for model in cfg.count_models}


def example_model(sweep: Ch6Sweep) -> tuple[float, Path]:
    """The model Figs 6.1-6.4 single out: ``(value, folder)`` of the thesis' beta = 8 (Sec.
    6.3.2) when the sweep has it, else of the sweep's largest value (first seed).

    >>> example_model(Ch6Sweep("beta_vae", "dsprites", "beta", (1.0, 8.0, 16.0), (0,),
    ...                        ((Path("a"),), (Path("b"),), (Path("c"),))))
    (8.0, PosixPath('b'))
    """
    value = EXAMPLE_BETA if EXAMPLE_BETA in sweep.values else float(sweep.values[-1])
    return value, sweep.folders[sweep.values.index(value)][0]


def example_substitution(sweep: Ch6Sweep, cfg: Ch56Settings) -> str | None:
    """The ``substitution`` of a record on the model of :func:`example_model`: its strength
    when it is not the thesis' beta = 8, and the training (Figs 6.1-6.3 show one model)."""
    value, _ = example_model(sweep)
    return join_substitutions(
        None if value == EXAMPLE_BETA else f"beta = {value:g} in place of {EXAMPLE_BETA:g}",
        figure_substitution("figure-6.2", cfg, averaged=False, values=False))


def is_stand_in(sweep: Ch6Sweep) -> bool:
    """Whether the sweep's models were trained on a labelled stand-in (its first model's
    ``meta.json``)."""
    return bool(read_arrays(sweep.folders[0][0])["meta"]["stand_in"])


def read_arrays(folder) -> dict[str, Any]:
    """The evaluation-set arrays of a trained folder (``representations.npz``) and its
    ``meta.json`` under ``"meta"``, without rebuilding the model (fast)."""
    folder = Path(folder)
    path = folder / "representations.npz"
    if not path.is_file():
        raise FileNotFoundError(f"read_arrays: {str(path)!r} does not exist; pass a folder "
                                f"returned by train_run(...).")
    with np.load(path) as npz:
        arrays: dict[str, Any] = {k: npz[k] for k in npz.files}
    with open(folder / "meta.json") as f:
        arrays["meta"] = json.load(f)
    return arrays


def _types(arrays: dict) -> np.ndarray:
    return variable_types(arrays["variance"])


def type_count_table(sweep: Ch6Sweep):
    """Numbers of active, mixed and passive variables per trained model (Figs 6.5, B.1).

    Returns
    -------
    pandas.DataFrame
        Columns ``value``, ``seed``, ``active``, ``mixed``, ``passive``.
    """
    rows = [{"value": v, "seed": s, **count_variable_types(_types(read_arrays(f)))}
            for v, s, f in sweep.items()]
    return pd.DataFrame(rows, columns=["value", "seed", "active", "mixed", "passive"])


def classifier_table(sweep: Ch6Sweep, cfg: Ch56Settings, *, seed: int = 0):
    """Fig 6.4: test accuracy of logistic regressions on each variable-type combination of the
    mean and sampled representations, and of a uniform random classifier, per model.

    The evaluation set of each model is split: the first ``cfg.classifier_fraction`` (at most
    ``cfg.classifier.n_train`` examples) trains, the rest (at most ``cfg.classifier.n_test``)
    tests.  The combinations are :func:`latentdims.maths.variables.type_combinations`'s.

    The regressions run with one BLAS thread: their matrices are tiny (at most 10 variables),
    and a multi-threaded BLAS spends most of its time synchronising threads.  Measured on the
    quick beta = 8 model (2 cores, load ~7): 8 s of CPU instead of 63 s, the same accuracies.

    Returns
    -------
    pandas.DataFrame
        Columns ``value``, ``seed``, ``representation`` (mean, sampled or random),
        ``combination``, ``accuracy``, ``n_variables``.
    """
    cfg = _check_settings(cfg, "classifier_table")
    with threadpool_limits(1, user_api="blas"):
        rows = _classifier_rows(sweep, cfg.classifier, cfg.classifier_fraction, seed)
    return pd.DataFrame(rows)


def _classifier_rows(sweep: Ch6Sweep, cs, fraction: float, seed: int) -> list[dict[str, Any]]:
    rows = []
    for value, s, folder in sweep.items():
        a = read_arrays(folder)
        y = a["eval_classes"].astype(np.int64)
        n_tr = min(cs.n_train, int(fraction * len(y)))
        n_te = min(cs.n_test, len(y) - n_tr)
        tr, te = slice(0, n_tr), slice(n_tr, n_tr + n_te)
        for rep in ("mean", "sampled"):
            x = a[rep]
            for combo, idx in type_combinations(_types(a)).items():
                acc = logistic_regression_accuracy(x[tr], y[tr], x[te], y[te], indices=idx,
                                                   n_cs=cs.n_cs, n_folds=cs.n_folds,
                                                   max_iter=cs.max_iter, seed=seed, warn=False)
                rows.append({"value": value, "seed": s, "representation": rep,
                             "combination": combo, "accuracy": acc.mean, "n_variables": len(idx)})
        rnd = random_classifier_accuracy(y[tr], y[te], seed=seed)
        rows.append({"value": value, "seed": s, "representation": "random",
                     "combination": "random", "accuracy": rnd.mean, "n_variables": 0})
    return rows


def mean_accuracy(table, representation: str, combination: str, value: float) -> float:
    """The accuracy of :func:`classifier_table` for one representation, variable-type
    combination and regularisation value, averaged over seeds; NaN when the table has no such
    row (e.g. no passive variable at that value)."""
    r = table[(table.representation == representation) & (table.combination == combination)
              & (table.value == value)]
    return float(r.accuracy.mean()) if len(r) else float("nan")


# The sub-representations of Figs 6.7, 6.8 and B.5: all variables, passive ones removed, active only.
SUBSETS = {"full": ("active", "mixed", "passive"), "no passive": ("active", "mixed"),
           "active": ("active",)}


def representation_scores(mean, sampled, types, *, n_bins: int = 20) -> list[dict[str, Any]]:
    r"""Gaussian TC (Eq 6.3), averaged MI (Eq 6.10) and effective rank (Sect. 6.4.2.3) of the
    mean and sampled representations, on the full representation and on the subsets of
    :data:`SUBSETS`.

    The effective rank is only computed on the full representations (as the thesis, Sec. 6.4.2.3),
    from their covariance matrix (the author's code).  A subset with fewer
    than two variables has no pairwise score: its TC and MI are NaN (left out of the plots).

    Parameters
    ----------
    mean, sampled : array, shape (n, d)
    types : array of str, shape (d,)
        From :func:`latentdims.maths.variables.variable_types`.
    n_bins : int

    Returns
    -------
    list of dict
        Keys ``representation``, ``subset``, ``metric`` (``tc``, ``mi``, ``erank``), ``score``,
        ``n_variables``.

    Examples
    --------
    Two correlated active variables and one passive variable (constant mean, N(0, 1) sampled):
    removing the passive one leaves the sampled TC unchanged (Thm 6.4.1).

    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=(4000, 1)) @ np.ones((1, 2)) + 0.5 * rng.normal(size=(4000, 2))
    >>> mean = np.column_stack([a, 1e-3 * rng.normal(size=4000)])
    >>> sampled = np.column_stack([a, rng.normal(size=4000)])
    >>> rows = representation_scores(mean, sampled, np.array(["active", "active", "passive"]))
    >>> tc = {(r["representation"], r["subset"]): r["score"] for r in rows if r["metric"] == "tc"}
    >>> bool(abs(tc["sampled", "full"] - tc["sampled", "no passive"]) < 0.01)
    True
    """
    func = "representation_scores"
    m = check_array(mean, name="mean", func=func, ndim=2, min_rows=2)
    s = check_array(sampled, name="sampled", func=func, ndim=2, min_rows=2)
    if m.shape != s.shape:
        raise ValueError(f"{func}: `mean` and `sampled` must have the same shape; got {m.shape} "
                         f"and {s.shape}.")
    t = np.asarray(types)
    if t.shape != (m.shape[1],):
        raise ValueError(f"{func}: `types` must give one type per variable ({m.shape[1]}); got "
                         f"shape {t.shape}.")
    n_bins = check_int(n_bins, name="n_bins", func=func, minimum=2)
    rows = []
    for rep, x in (("mean", m), ("sampled", s)):
        for subset, kinds in SUBSETS.items():
            idx = type_indices(t, *kinds)
            for metric in ("tc", "mi"):
                if len(idx) < 2:
                    score = np.nan
                elif metric == "tc":
                    score = gaussian_total_correlation(x, indices=idx)
                else:
                    score = averaged_mutual_information(x, n_bins=n_bins, indices=idx)
                rows.append({"representation": rep, "subset": subset, "metric": metric,
                             "score": float(score), "n_variables": len(idx)})
        rows.append({"representation": rep, "subset": "full", "metric": "erank",
                     "score": float(representation_effective_rank(x)), "n_variables": x.shape[1]})
    return rows


def sweep_scores(sweep: Ch6Sweep, *, n_bins: int = 20):
    """:func:`representation_scores` of every model of a sweep, with its variable-type counts.

    Returns
    -------
    pandas.DataFrame
        Columns ``value``, ``seed``, ``active``, ``mixed``, ``passive``, ``representation``,
        ``subset``, ``metric``, ``score``, ``n_variables``.
    """
    rows = []
    for value, s, folder in sweep.items():
        a = read_arrays(folder)
        types = _types(a)
        counts = count_variable_types(types)
        for r in representation_scores(a["mean"], a["sampled"], types, n_bins=n_bins):
            rows.append({"value": value, "seed": s, **counts, **r})
    return pd.DataFrame(rows)


class FigureScores:
    """The scores of the sweep each score figure uses (Figs 6.6-6.8, B.2-B.5), every sweep
    trained and scored once: ``scores(figure)`` gives ``(sweep, table, label)``, with ``table``
    from :func:`sweep_scores` (``cfg.n_bins`` bins) and ``label`` the figure's
    :meth:`FigureSetup.describe`, marked ``[STAND-IN]`` when the data were a stand-in."""

    def __init__(self, cfg: Ch56Settings):
        self.cfg = _check_settings(cfg, "FigureScores")
        self._scores: dict[tuple[str, str], tuple[Ch6Sweep, Any, bool]] = {}

    def __call__(self, figure: str) -> tuple[Ch6Sweep, Any, str]:
        setup = figure_setup(figure, self.cfg)
        key = (setup.model, setup.dataset)
        if key not in self._scores:
            sweep = ch6_sweep(setup.model, self.cfg, dataset=setup.dataset)
            self._scores[key] = (sweep, sweep_scores(sweep, n_bins=self.cfg.n_bins),
                                 is_stand_in(sweep))
        sweep, table, stand_in = self._scores[key]
        return sweep, table, setup.describe() + (" [STAND-IN]" if stand_in else "")


def sweep_score(table, metric: str, subset: str, representation: str, value: float) -> float:
    """One score of a :func:`sweep_scores` table (metric, subset, representation, value),
    averaged over seeds."""
    r = table[(table.metric == metric) & (table.subset == subset)
              & (table.representation == representation) & (table.value == value)]
    return float(r.score.mean())


def mean_passive(table, value: float) -> float:
    """The number of passive variables at a regularisation value, averaged over seeds."""
    return float(table[table.value == value].passive.mean())


def removal_gaps(sweep: Ch6Sweep, table, metric: str) -> dict[float, dict[str, float]]:
    """Figs 6.7-6.8: ``|mean - sampled|`` of ``metric`` on the full representation and without
    its passive variables, at every value of the sweep with passive variables (the gap should
    close where there are passive variables to remove)."""
    with_passive = [v for v in sweep.values if mean_passive(table, v) > 0]
    return {v: {s: abs(sweep_score(table, metric, s, "mean", v) - sweep_score(table, metric, s, "sampled", v))
                for s in ("full", "no passive")} for v in with_passive}


# ------------------------------------------------------------------------------ chapter 5
def ivae_runs(cfg: Ch56Settings, *, seed: int = 0) -> dict[str, ThesisRun]:
    """The two iVAEs of Section 5.3: prior mean fixed to 0 (``"fixed"``, Figs 5.1-5.2) and
    learned (``"learned"``, Figs 5.3-5.4); 30 latents, beta = 1, dSprites (Table A.1), trained
    as ``cfg.training`` says."""
    training = _check_settings(cfg, "ivae_runs").training
    return {"fixed": thesis_run("ivae", training, seed=seed, learn_prior_mean=False),
            "learned": thesis_run("ivae", training, seed=seed, learn_prior_mean=True)}


def choose_ivae_variables(kl_per_latent) -> tuple[int, int]:
    r"""The passive and the active variable plotted in Figs 5.1-5.4 (the thesis does not say how
    it chose them).

    Rule: a passive variable's posterior equals its prior (Props 5.2.2 and Eqs 5.4-5.6: the
    posterior mean and variance follow the prior's), so its KL divergence to the prior is about 0;
    an active one departs from it.  With :math:`\mathrm{KL}_j = \mathbb E_x\,
    D_{\mathrm{KL}}(q(z_j \mid x, u) \,\|\, p(z_j \mid u))` (Eq 5.1 per latent, averaged over
    the evaluation set), the **passive** variable is :math:`\arg\min_j \mathrm{KL}_j` and the
    **active** one :math:`\arg\max_j \mathrm{KL}_j` (ties: lowest index).  This works for the
    fixed and the learned prior mean alike; the chapter 6 rule (posterior variance near 1) does not
    apply to the iVAE, whose passive variables follow a learned prior variance
    (thesis Sec. 5.2).

    Parameters
    ----------
    kl_per_latent : array, shape (d,)
        ``kl_per_latent`` of a trained run's arrays (:func:`read_arrays`), in nats.

    Returns
    -------
    (passive, active) : tuple of int

    Examples
    --------
    >>> choose_ivae_variables(np.array([0.02, 1.5, 0.01, 2.9]))
    (2, 3)
    """
    func = "choose_ivae_variables"
    kl = check_array(kl_per_latent, name="kl_per_latent", func=func, ndim=1)
    if len(kl) < 2:
        raise ValueError(f"{func}: `kl_per_latent` needs at least 2 latent variables; got {len(kl)}.")
    if kl.min() < -1e-6:
        raise ValueError(f"{func}: `kl_per_latent` must be non-negative (KL divergences); got a "
                         f"minimum of {kl.min():g}.")
    return int(np.argmin(kl)), int(np.argmax(kl))


def ivae_histograms(folder) -> dict[str, Any]:
    """The per-example quantities of Figs 5.1-5.4 for the chosen passive and active variables.

    Returns
    -------
    dict
        ``passive``, ``active`` (indices from :func:`choose_ivae_variables`), and for each of
        them under ``"values"[kind]``: ``posterior mean``, ``posterior variance``,
        ``prior mean``, ``prior variance`` (arrays over the evaluation set; the prior mean is
        all zeros for the fixed-mean iVAE), ``kl`` (the KL of every latent to its prior, nats),
        ``spread`` (Var_x of the posterior mean of every latent), ``learned_prior_mean`` (bool),
        ``meta``.
    """
    a = read_arrays(folder)
    for key in ("prior_mean", "prior_variance", "kl_per_latent"):
        if key not in a:
            raise ValueError(f"ivae_histograms: {str(folder)!r} has no {key!r}; pass the folder "
                             f"of an iVAE run (ivae_runs(...)).")
    passive, active = choose_ivae_variables(a["kl_per_latent"])
    with open(Path(folder) / "config.json") as f:
        params = dict(json.load(f)["config"]["params"])
    values = {kind: {"posterior mean": a["mean"][:, j], "posterior variance": a["variance"][:, j],
                     "prior mean": a["prior_mean"][:, j], "prior variance": a["prior_variance"][:, j]}
              for kind, j in (("passive", passive), ("active", active))}
    return {"passive": passive, "active": active, "values": values,
            "kl": a["kl_per_latent"], "spread": a["mean"].var(axis=0), "learned_prior_mean": bool(params.get("learn_prior_mean")),
            "meta": a["meta"]}


def ivae_panels(histograms: dict[str, Any], kind: str) -> dict[str, np.ndarray]:
    """The panels of one of Figs 5.1-5.4: posterior mean, posterior variance, prior mean (only
    when the prior mean is learned) and prior variance of the ``kind`` (``"passive"`` or
    ``"active"``) variable of :func:`ivae_histograms`."""
    check_choice(kind, ("passive", "active"), name="kind", func="ivae_panels")
    v = histograms["values"][kind]
    keys = (["posterior mean", "posterior variance"]
            + (["prior mean"] if histograms["learned_prior_mean"] else []) + ["prior variance"])
    return {k: v[k] for k in keys}


def ivae_passive_count(histograms: dict[str, Any], fraction: float = 0.05) -> int:
    """The latents of an iVAE (:func:`ivae_histograms`) whose KL to the prior is below
    ``fraction`` of the largest: its passive variables (the polarised regime, Sec. 5.3)."""
    fraction = check_in_interval(fraction, name="fraction", func="ivae_passive_count",
                                 low=0.0, high=1.0)
    kl = np.asarray(histograms["kl"])
    return int(np.sum(kl < fraction * kl.max()))


def ivae_summary(histograms: dict[str, dict[str, Any]]) -> str:
    """Markdown: for each iVAE (``{"fixed": ivae_histograms(...), "learned": ...}``), its
    passive count (:func:`ivae_passive_count`) and the chosen passive variable's mean
    |posterior mean| and median prior variance, as this run measured them."""
    lines = []
    for name, h in histograms.items():
        p = h["values"]["passive"]
        mean_abs = np.mean(np.abs(p["posterior mean"]))
        lines.append(f"* prior mean {name}: {ivae_passive_count(h)} of {len(h['kl'])} latents "
                     f"with a KL to the prior below 5 % of the largest; passive latent "
                     f"{h['passive']}: mean |posterior mean| {mean_abs:.3f}, "
                     f"median prior variance {np.median(p['prior variance']):.3f}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ Definition 6.3.1
def per_example_types(variance, alpha: float = 0.1) -> np.ndarray:
    r"""The per-example sets of Definition 6.3.1: for input i, variable j is in
    :math:`V_p^{(i)}` (passive) when :math:`|\sigma^{(i)}_j - 1| \le \alpha`, in
    :math:`V_a^{(i)}` (active) when :math:`\sigma^{(i)}_j \le \alpha` (Def. 4.1.1 with the
    tolerance of Sect. 6.4.1), and in neither otherwise.

    Parameters
    ----------
    variance : array, shape (n, d)
        Posterior variances.
    alpha : float in [0, 0.5)

    Returns
    -------
    ndarray of str, shape (n, d)
        ``"passive"``, ``"active"`` or ``"neither"``.

    Examples
    --------
    >>> per_example_types(np.array([[1.0, 0.02, 0.5]])).tolist()
    [['passive', 'active', 'neither']]
    """
    func = "per_example_types"
    s = check_array(variance, name="variance", func=func, ndim=2, min_rows=1)
    if s.min() < 0:
        raise ValueError(f"{func}: `variance` must be non-negative (variances, not "
                         f"log-variances); got a minimum of {s.min():g}.")
    alpha = check_in_interval(alpha, name="alpha", func=func, low=0.0, high=0.5)
    return np.where(np.abs(s - 1) <= alpha, "passive", np.where(s <= alpha, "active", "neither"))


def definition_sets(per_example) -> dict[str, np.ndarray]:
    r"""The sets of Definition 6.3.1 (thesis Sec. 6.3.1) from per-example types:

    .. math::
        V_p = \bigcap_i V_p^{(i)}, \quad V_a = \bigcap_i V_a^{(i)}, \quad
        V_m = \Big(\bigcup_i V_p^{(i)}\Big) \cap \Big(\bigcup_i V_a^{(i)}\Big).

    Variables in none of them (never polarised on some input and not mixed) are ``"other"``.

    Returns
    -------
    dict
        ``"passive"``, ``"active"``, ``"mixed"``, ``"other"``: sorted index arrays.

    Examples
    --------
    >>> t = np.array([["passive", "active", "active"], ["passive", "active", "passive"]])
    >>> {k: v.tolist() for k, v in definition_sets(t).items()}
    {'passive': [0], 'active': [1], 'mixed': [2], 'other': []}
    """
    t = np.asarray(per_example)
    if t.ndim != 2 or t.shape[0] == 0:
        raise ValueError(f"definition_sets: `per_example` must be an (n, d) array of types with "
                         f"n >= 1; got shape {t.shape}.")
    bad = sorted(set(t.ravel().tolist()) - {"passive", "active", "neither"})
    if bad:
        raise ValueError(f"definition_sets: unknown per-example type(s) {bad}; expected "
                         f"'passive', 'active' or 'neither' (from per_example_types).")
    p, a = t == "passive", t == "active"
    passive, active = p.all(axis=0), a.all(axis=0)
    mixed = p.any(axis=0) & a.any(axis=0)
    other = ~(passive | active | mixed)
    return {k: np.flatnonzero(v).astype(np.int64) for k, v in
            (("passive", passive), ("active", active), ("mixed", mixed), ("other", other))}


def definition_note(variance, types: VariableTypes) -> str:
    """Markdown comparing, over every input of ``variance`` (n, d), the sets of Definition 6.3.1
    (:func:`definition_sets`) with the variable types of the Sect. 6.4.1 rule (``types``, from
    :func:`latentdims.maths.variables.classify_variables` on the same variances): for each
    variable the rule calls passive and the definition does not, on how many inputs its
    posterior variance leaves :math:`|\\sigma_j - 1| \\le \\alpha`."""
    var = check_array(variance, name="variance", func="definition_note", ndim=2, min_rows=1)
    sets = definition_sets(per_example_types(var, types.alpha))
    listed = lambda idx: "[" + ", ".join(str(int(j)) for j in idx) + "]"   # noqa: E731
    n = len(var)
    lines = [f"Over the {n:,} evaluation inputs, Definition 6.3.1 gives passive "
             f"{listed(sets['passive'])}, active {listed(sets['active'])}, mixed "
             f"{listed(sets['mixed'])} and neither {listed(sets['other'])}; the rule of Sect. "
             f"6.4.1 gives passive {listed(types.passive)}, active {listed(types.active)} and "
             f"mixed {listed(types.mixed)}."]
    for j in sorted(set(types.passive.tolist()) - set(sets["passive"].tolist())):
        off = int(np.sum(np.abs(var[:, j] - 1) > types.alpha))
        lines.append(f"* latent {j}: passive by the rule, but outside |sigma - 1| <= "
                     f"{types.alpha:g} on {off:,} of {n:,} inputs (smallest posterior variance "
                     f"{var[:, j].min():.2f})")
    return "\n".join(lines)


def zero_peak(mean, sampled, *, width: float = 0.1) -> dict[str, float]:
    r"""The spike at 0 of a mixed variable (thesis Sec. 6.3.2: "a sharp peak around zero in the
    mean representation, which is smoothed out in the sampled one").

    Shares of the inputs within ``width`` standard deviations (of the mean representation)
    of 0: ``"mean"`` in the mean representation, ``"gaussian"`` under a normal law with the
    mean representation's mean and standard deviation (what the same spread without a spike
    gives) and ``"sampled"`` in the sampled representation; ``"window"`` is the half-width.

    Examples
    --------
    Half the inputs passive (mean 0, sampled N(0, 1)), half active:

    >>> rng = np.random.default_rng(0)
    >>> m = np.concatenate([np.zeros(500), rng.normal(size=500)])
    >>> p = zero_peak(m, m + rng.normal(size=1000) * (m == 0))
    >>> bool(p["mean"] > 2 * p["gaussian"] and p["sampled"] < p["mean"])
    True
    """
    func = "zero_peak"
    m = check_array(mean, name="mean", func=func, ndim=1, min_rows=2)
    z = check_array(sampled, name="sampled", func=func, ndim=1, shape=m.shape)
    width = check_in_interval(width, name="width", func=func, low=0.0, high=1.0)
    sd = float(m.std())
    if sd == 0:
        raise ValueError(f"{func}: `mean` is constant; a spike needs a spread to stand out of.")
    w, mu = width * sd, float(m.mean())
    return {"mean": float(np.mean(np.abs(m) <= w)), "sampled": float(np.mean(np.abs(z) <= w)),
            "gaussian": float(norm.cdf((w - mu) / sd) - norm.cdf((-w - mu) / sd)), "window": w}


# ------------------------------------------------------------------------------ Sect. 6.5
def snapshot_run(cfg: Ch56Settings, *, seed: int = 0, beta: float = 8.0) -> ThesisRun:
    """The beta-VAE of Sect. 6.5 (beta = 8, dSprites) with a snapshot every
    ``cfg.snapshot_steps`` steps (the thesis: every 1,000 of 300k, Sec. 6.5)."""
    cfg = _check_settings(cfg, "snapshot_run")
    return thesis_run("beta_vae", cfg.training, beta=beta, seed=seed, snapshots=True,
                      steps_per_epoch=cfg.snapshot_steps)


def correlation_run(cfg: Ch56Settings, *, seed: int = 0) -> ThesisRun:
    """The model of Fig 6.9 (Sec. 6.5): a beta-VAE with beta = 16 on colour dSprites, fully
    trained (no snapshots), as :data:`SNAPSHOT_FIGURES` gives it.

    >>> run = correlation_run(settings("quick"))
    >>> dict(run.params), run.dataset, run.snapshots
    ({'beta': 16.0}, 'colour_dsprites', False)
    """
    cfg = _check_settings(cfg, "correlation_run")
    beta, dataset = SNAPSHOT_FIGURES["figure-6.9"]
    return thesis_run("beta_vae", cfg.training, beta=beta, dataset=dataset, seed=seed)


def snapshot_correlations(means) -> np.ndarray:
    """Pearson correlation matrices of the mean representation at each snapshot (Figs 6.9-6.11).

    :func:`latentdims.maths.scores.correlation_matrix` with ``constant="zero"``: a variable that is
    exactly constant in a snapshot (possible for a collapsed passive variable early in training)
    gets correlation 0 with the others (it carries no linear relation) and 1 with itself, instead
    of an error.

    Parameters
    ----------
    means : array, shape (S, n, d) or (n, d)

    Returns
    -------
    ndarray, shape (S, d, d) or (d, d)

    Examples
    --------
    >>> snapshot_correlations(np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 4.0], [2.0, 1.0, 6.0]])).round(6).tolist()
    [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
    """
    arr = check_array(means, name="means", func="snapshot_correlations", ndim=(2, 3))
    if arr.shape[-2] < 2:
        raise ValueError(f"snapshot_correlations: need at least 2 examples per snapshot; "
                         f"got {arr.shape[-2]}.")
    return correlation_matrix(arr, constant="zero")


# ------------------------------------------------------------------------------ appendix A
def table_a1(run):
    """Table A.1 (thesis App. A.1) rendered from an iVAE run's configuration, the thesis' value
    beside ours.

    Parameters
    ----------
    run : ThesisRun
        One of :func:`ivae_runs`.

    Returns
    -------
    pandas.DataFrame
        Columns ``parameter``, ``thesis``, ``ours``.
    """
    cfg = model_class(run.model).config_class(**{k: v for k, v in run.model_config(1).items()})
    split = ("90/10" if run.n_train is None
             else f"{run.n_train:,} train / {run.n_eval:,} evaluation images")
    rows = [("Batch size", "64", str(run.batch_size)),
            ("Latent space dimension", "30", str(run.latent_dim)),
            ("Optimizer", "Adam", "Adam"),
            ("Adam: beta_1", "0.9", "0.9"),
            ("Adam: beta_2", "0.999", "0.999"),
            ("Adam: epsilon", "1e-8", "1e-8"),
            ("Adam: learning rate", "0.0001", f"{run.learning_rate:g}"),
            ("Reconstruction loss", "Bernoulli", "Bernoulli (logits)"),
            ("Training steps", "300,000", f"{run.steps:,}"),
            ("Train/test split", "90/10", split),
            ("beta (not in the table)", "1 (Eq 4.31)", f"{cfg.beta:g}"),
            ("Prior mean", "0 (Sect. 5.3.1) or learned (5.3.2)",
             "learned" if cfg.learn_prior_mean else "fixed to 0"),
            ("Seed (not stated)", "-", str(run.seed))]
    return pd.DataFrame(rows, columns=["parameter", "thesis", "ours"])


def table_a2(model, data) -> Any:
    """Table A.2 (thesis App. A.1) rendered from a built iVAE: every layer the model actually has,
    with its output shape measured on ``data`` (a small (images, u) batch), beside the printed
    layer list.

    Returns
    -------
    pandas.DataFrame
        Columns ``part``, ``thesis``, ``ours``, ``output shape``.
    """
    acts = model.layer_activations(data)
    n, k = model.config.latent_dim, model.aux_dim
    f, ks, df = arch.CONV_FILTERS, arch.CONV_KERNELS, arch.DECONV_FILTERS
    ours = {"input": "(64x64xC, u in R^%d)" % k,
            **{f"encoder/{i + 1}": f"Conv {f[i]}, k{ks[i]}, s2, ReLU, same" for i in range(4)},
            "encoder/5": f"Flatten, concat u (+{k})",
            "encoder/6": f"FC {arch.CONV_DENSE + k}, ReLU",
            "mean": f"FC {n} (mean)", "variance": f"FC {n} (log-variance), exp",
            "sampled": "z = mean + exp(log_var / 2) * eps",
            "decoder/1": "FC 256, ReLU", "decoder/2": "FC 1024, ReLU, reshape 4x4x64",
            **{f"decoder/{i + 3}": f"Deconv {df[i]}, k4, s2, ReLU" for i in range(3)},
            "decoder/6": "Deconv C, k4, s2, linear (logits)"}
    printed = {"input": "(R^{64x64xchannels}, R^5)",
               **{f"encoder/{i + 1}": f"Conv, kernel 4x4, filters {f[i]}, ReLU, strides 2"
                  for i in range(4)},
               "encoder/5": "-", "encoder/6": "FC, output shape 261, ReLU",
               "mean": "FC, output shape 2x30", "variance": "(same layer)", "sampled": "-",
               "decoder/1": "FC, output shape 256, ReLU", "decoder/2": "-",
               **{f"decoder/{i + 3}": f"Deconv, kernel 4x4, filters {df[i]}, ReLU, strides 2"
                  for i in range(3)},
               "decoder/6": "Deconv, kernel 4x4, filters = channels, ReLU, strides 2"}
    rows = [("encoder" if name.startswith("encoder") or name == "input" else
             "decoder" if name.startswith("decoder") else "latent", printed.get(name, "-"),
             ours.get(name, name), "x".join(str(s) for s in a.shape[1:]))
            for name, a in acts.items()]
    hidden = model.config.prior_hidden
    for i, w in enumerate(hidden):
        rows.append(("prior variance", f"FC {50}, Leaky ReLU" if i < 3 else "-",
                     f"FC {w}, Leaky ReLU ({model.config.leaky_relu_slope:g})", str(w)))
    rows.append(("prior variance", "FC 30", f"FC {n} (log-variance)", str(n)))
    if model.config.learn_prior_mean:
        rows.append(("prior mean", "not stated",
                     f"{len(hidden)} x FC {hidden[0]} Leaky ReLU, FC {n} (same class as the variance)",
                     str(n)))
    return pd.DataFrame(rows, columns=["part", "thesis", "ours", "output shape"])
