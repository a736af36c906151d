r"""Chapter 7 of the thesis (representational similarity of VAEs) and its appendix C, per profile.

The thesis trains 300 convolutional VAEs (4 objectives x 5 strengths x 5 seeds x 3 data sets,
300,000 steps each, thesis Sec. 7.3) plus fully-connected ones (Table C.5), and compares the
activations of every layer of two models with linear CKA and Procrustes similarity, averaged over
all seed pairs (Eq 7.9).  This module holds:

* the design of each figure per profile (:class:`Ch7Settings`, :func:`settings`): which
  configurations, data sets, seeds, epochs and how many examples, with the training sizes of
  :mod:`latentdims.studies.thesis_runs`; ``paper`` is the thesis, ``quick`` a reduced design
  sized for a 2-core CPU, ``smoke`` proves the code runs.  A notebook resolves its profile once
  (``cfg = settings(profile)``) and passes ``cfg`` to every function below;
* :class:`Config` and :func:`config_runs`: a model configuration as a list of cached
  :class:`~latentdims.studies.thesis_runs.ThesisRun` (one per seed, always with a snapshot per epoch, so
  the same entry serves the final-model and the over-epochs figures; the conv beta-VAE with
  beta = 1, seed 0 on dSprites is the very entry chapter 8's Fig 8.11 trains);
* :func:`run_activations`: every layer's activations of a trained run (final, initial or any
  epoch) on the run's evaluation images, reduced without changing CKA or Procrustes
  (:func:`compact_activations`) and cached;
* :func:`config_similarity` (Eq 7.9 heat maps between two configurations at given epochs) and
  :func:`input_similarity_series` (Fig 7.7);
* the cached training of Fig C.1's classifier (:func:`train_classifier`,
  :func:`classifier_activations`; the network is :mod:`latentdims.models.classifier`);
* :func:`loss_curves` and :func:`convergence_epoch` (Fig C.5) and :func:`configuration_tables`
  (Tables C.1-C.5 rendered from the configuration actually used, with the thesis' values beside
  ours);
* the claims' ledger labels, computed from the design against ``settings("paper")`` (the
  thesis'): :func:`ledger` (:func:`figure_data`, :func:`figure_substitution`),
  :func:`synthetic_substitution` (Fig 7.1) and :func:`design_note` (the notebooks' computed
  "where this design differs" list).

Choices where the thesis is silent or inconsistent (the author's code decides):

* the variance layer is ``exp(log_var)`` (the thesis' "variance representation"; the author's 2022
  code compared the log-variance head: ``log_variance=True`` gives that);
* flattening is ``x.reshape(n, -1)``; entries with ``|x| < 1e-7`` are set to 0 first (the code);
* the sampled layer draws its noise from a generator seeded by the notebook's seed, and the decoder
  runs on that sample (the code);
* the Annealed VAE's iteration threshold (100,000 of 300,000 steps, Table C.2) is scaled to the
  same third of a shorter training: with 1,500 steps the capacity would otherwise stay near 0 and
  every model would collapse;
* "epoch" means one of the run's ``steps_per_epoch`` blocks (its snapshot interval); epoch 0 is
  the seeded initial weights, which the thesis does not show.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from latentdims.core.cache import cached, cached_arrays
from latentdims.core.io import write_json
from latentdims.core.profiles import DRY_RUN_PROFILE, by_profile, capped
from latentdims.core.sweeps import run_sweep
from latentdims.core.validation import check_choice, check_in_interval, check_int
from latentdims.data.images import data_identity
from latentdims.maths.similarity import (average_similarity, layer_activations, linear_cka,
                                         procrustes_similarity)
from latentdims.models import make_model
from latentdims.models.architectures import (CONV_DENSE, CONV_FILTERS, CONV_KERNELS, DECONV_FILTERS,
                                             FC_DECODER_WIDTHS, FC_ENCODER_WIDTHS)
from latentdims.models.classifier import build_classifier, classifier_accuracy, fit_classifier
from latentdims.models.vaes import AnnealedVAEConfig
from latentdims.studies import thesis_runs
from latentdims.studies.thesis_runs import ThesisSettings, join_substitutions, training_substitution

__all__ = ["Config", "Ch7Settings", "settings", "config_runs", "train_config",
           "conv_figure_configs", "fc_figure_configs", "classifier_partner", "train_configs",
           "uses_stand_in", "epoch_similarities", "classifier_figure",
           "CONV_LAYERS", "FC_LAYERS", "layer_names", "decoder_start", "compact_activations",
           "run_activations", "config_similarity", "input_similarity_series", "diagonal_mean",
           "block_mean", "classifier_similarity", "ClassifierRun",
           "classifier_run", "train_classifier", "classifier_activations", "classifier_layers",
           "loss_curves", "configuration_tables", "THESIS_STEPS", "ANNEALING_FRACTION",
           "THESIS_SEEDS", "THESIS_EXAMPLES", "FIGURES", "config_seeds", "figure_configs",
           "figure_data", "figure_substitution", "ledger", "synthetic_substitution", "design_note",
           "convergence_epoch"]

THESIS_STEPS = 300_000
THESIS_SEEDS = 5            # seeds 0-4 of every configuration (App. C.1): Eq 7.9 averages 25 pairs
THESIS_EXAMPLES = 5_000     # examples compared (Sec. 7.3)
_NAMES = {"beta_vae": "β-VAE", "beta_tc_vae": "β-TC VAE", "dip_vae_ii": "DIP-VAE II",
          "annealed_vae": "Annealed VAE"}
# Table C.2: C reaches C_max after 100,000 of the 300,000 steps
ANNEALING_FRACTION = 100_000 / THESIS_STEPS
_ZERO = 1e-7          # the author's code zeroes |x| < 1e-7 before comparing
_VERSION = 1          # bump when a change of this module changes cached activations
_CLASSIFIER_MAX_TRAIN = 60_000

CONV_LAYERS = ("input", "encoder/1", "encoder/2", "encoder/3", "encoder/4", "encoder/5",
               "encoder/6", "mean", "variance", "sampled", "decoder/1", "decoder/2",
               "decoder/3", "decoder/4", "decoder/5", "decoder/6")
# the thesis' FC heat maps stop at the third decoder layer (no output layer in Figs 7.8-7.10)
FC_LAYERS = ("input", "encoder/1", "encoder/2", "encoder/3", "mean", "variance", "sampled",
             "decoder/1", "decoder/2", "decoder/3")


def layer_names(architecture: str, *, log_variance: bool = False) -> tuple[str, ...]:
    """The layers compared in chapter 7 (input + 15 for conv, Sec. 7.3), in the heat maps' order.

    >>> len(layer_names("conv")), layer_names("fc")[4:7]
    (16, ('mean', 'variance', 'sampled'))
    """
    check_choice(architecture, ("conv", "fc"), name="architecture", func="layer_names")
    names = CONV_LAYERS if architecture == "conv" else FC_LAYERS
    return tuple("log_var" if log_variance and n == "variance" else n for n in names)


def decoder_start(layers: Sequence[str]) -> int:
    """Index of the first decoder layer (where the heat maps' quadrants split)."""
    for i, name in enumerate(layers):
        if name.startswith("decoder/") or name.startswith("class/"):
            return i
    return len(layers)


# ---------------------------------------------------------------------------------- design
@dataclass(frozen=True)
class Config:
    """One model configuration of a chapter-7 figure (trained for every seed of the profile).

    Attributes
    ----------
    model : str
        ``beta_vae``, ``beta_tc_vae``, ``dip_vae_ii`` or ``annealed_vae``.
    params : tuple of (name, value)
        Its regularisation strength, e.g. ``(("beta", 8.0),)``.
    dataset : str
    architecture : {"conv", "fc"}
    """
    model: str
    params: tuple
    dataset: str = "dsprites"
    architecture: str = "conv"

    @property
    def name(self) -> str:
        """The objective's name (``"FC β-VAE"``)."""
        fc = "FC " if self.architecture == "fc" else ""
        return f"{fc}{_NAMES.get(self.model, self.model)}"

    @property
    def label(self) -> str:
        symbols = {"beta": "β", "lambda_od": "λ", "c_max": "C_max"}
        strength = ", ".join(f"{symbols.get(k, k)} = {v:g}" for k, v in self.params)
        return f"{self.name} ({strength})"


def _c(model: str, dataset: str = "dsprites", architecture: str = "conv", **params) -> Config:
    return Config(model, tuple(sorted((k, float(v)) for k, v in params.items())), dataset,
                  architecture)


@dataclass(frozen=True)
class Ch7Settings:
    """The chapter-7 design in one profile (from :func:`settings`).

    Attributes
    ----------
    training : ThesisSettings
        How much each conv model trains (:func:`latentdims.studies.thesis_runs.settings` of the
        same profile); the FC models override its steps with ``fc_steps``.
    seeds : tuple of int
        Seeds of the configurations in ``seeded_configs`` (the thesis: 0-4 for all, App. C.1).
    seeded_configs : tuple of Config
        The configurations trained with every seed of ``seeds``.
    other_seeds : tuple of int
        Seeds of the other conv configurations.
    n_examples : int
        Evaluation images whose activations CKA compares (the thesis: 5,000, Sec. 7.3).
    procrustes_examples : int
        The same for Procrustes (one SVD per pair of layers: the thesis ran it on one data set).
    epoch_configs : tuple of Config
        Fig 7.2 (a)-(c), and Figs C.2-C.4: one model early against fully trained.
    early_epoch : int
        The "early" epoch of Figs 7.2/7.5 (the first snapshot, App. C.4).
    appendix_epoch_configs : tuple of 3 Config
        Figs C.2, C.3, C.4: the fully trained model against every snapshot.
    regularised_pairs : tuple of (Config, Config)
        Fig 7.3: least against most regularised.
    objective_pairs : tuple of (Config, Config)
        Fig 7.4: beta-VAE against DIP-VAE II, one pair per data set.
    procrustes_epoch_config, procrustes_objective_pair :
        Figs 7.5 and 7.6 (the thesis: Cars3D).
    series_configs : tuple of Config
        Fig 7.7: input against the encoder layers over epochs.
    loss_configs : tuple of Config
        Fig C.5: least and most regularised model of each objective, per data set.
    classifier_datasets : tuple of str
        Fig C.1 (classifier against a beta = 1 beta-VAE).
    classifier_steps : int
    fc_epoch_config : Config
        Fig 7.8 (FC Annealed VAE, C_max = 5, SmallNORB).
    fc_early_epochs : tuple of int
        Fig 7.8's panels (a), (b) (the thesis: epochs 1 and 10 of 410); (c) is fully trained.
    fc_beta_pairs : tuple of (Config, Config)
        Fig 7.9.
    fc_objective_pairs : tuple of (Config, Config)
        Fig 7.10.
    fc_seeds : tuple of int
        Seeds of the FC models not in ``seeded_configs`` (the thesis: 5).
    fc_steps, fc_steps_per_epoch : int or None
        Training of the FC models (``None``: ``training``'s).
    fc_epoch_steps_per_epoch : int or None
        Snapshot interval of Fig 7.8's model (``fc_epoch_config``), whose early epochs are
        shown (``None``: ``fc_steps_per_epoch``).
    synthetic_ns, synthetic_repeats :
        Fig 7.1: numbers of examples (the code: 50, 90, ..., 970) and independent draws.
    """
    training: ThesisSettings
    seeds: tuple
    seeded_configs: tuple
    other_seeds: tuple
    n_examples: int
    procrustes_examples: int
    epoch_configs: tuple
    early_epoch: int
    appendix_epoch_configs: tuple
    regularised_pairs: tuple
    objective_pairs: tuple
    procrustes_epoch_config: Config
    procrustes_objective_pair: tuple
    series_configs: tuple
    loss_configs: tuple
    classifier_datasets: tuple
    classifier_steps: int
    fc_epoch_config: Config
    fc_early_epochs: tuple
    fc_beta_pairs: tuple
    fc_objective_pairs: tuple
    fc_seeds: tuple
    fc_steps: int | None = None
    fc_steps_per_epoch: int | None = None
    fc_epoch_steps_per_epoch: int | None = None
    synthetic_ns: tuple = tuple(range(50, 1000, 40))
    synthetic_repeats: int = 1


def settings(profile: str) -> Ch7Settings:
    """The chapter-7 design of ``profile``.

    ``paper`` is the thesis: the configurations of each caption (Secs 7.4.1-7.4.3, Apps C.3-C.5) on
    Cars3D, dSprites and SmallNORB, seeds 0-4, 5,000 examples, Procrustes on Cars3D.

    ``quick`` keeps what shows each claim on a shared 2-core CPU, on dSprites with seed 0 only:
    the conv beta-VAE with beta in {1, 8} (beta = 1 is also chapter 8's Fig 8.11 model) and
    DIP-VAE II with lambda = 1, 1,500 steps each (:func:`latentdims.studies.thesis_runs.settings`),
    and one classifier (1,000 steps); the epoch figures use these runs' own snapshots (3 epochs
    of 500 steps, plus the initial weights), so Fig 7.2's three objectives/data sets become
    the captions' objectives on dSprites: Figs 7.2, 7.5 and C.3 the beta-TC VAE (beta = 2), Fig
    C.4 the Annealed VAE (C_max = 5, the chapter-6 sweep's run: one training, its snapshots),
    Figs 7.2 and C.2 DIP-VAE II with lambda = 1 (the thesis: 5); Fig 7.3
    keeps the beta pair, Fig C.5 the beta-VAEs, and Procrustes runs on dSprites; CKA and
    Procrustes on the same 250 evaluation images (one set of activations per model and epoch
    serves both); Eq 7.9 averages a single seed pair.  FC models: the Annealed VAE
    (C_max = 5; Fig 7.8, snapshots every 100 steps), beta-VAE with beta in {1, 8, 16} and
    DIP-VAE II (1) (Figs 7.9-7.10, snapshots every 300 steps), 600 steps each: with 300 steps
    (about one pass over 20,000 images) their hidden encoder layers were still far apart
    (CKA 0.4-0.76 between beta = 1 and the others), a training too short to test the
    claims; 600 steps is what fits the chapter's share of the quick budget.

    ``smoke`` runs the code on a few 4-step models and 48 examples.

    ``paper-dry`` is ``paper`` with capped counts: every caption's configuration and data set,
    seed 0, 4-step trainings, 500 examples, the loss curves of the dSprites models only.

    >>> cfg = settings("quick")
    >>> cfg.n_examples, cfg.training.steps, [c.label for c in cfg.loss_configs]
    (250, 1500, ['β-VAE (β = 1)', 'β-VAE (β = 8)'])
    """
    paper = Ch7Settings(
        training=thesis_runs.settings("paper"), seeds=(0, 1, 2, 3, 4), seeded_configs=(), other_seeds=(0, 1, 2, 3, 4), n_examples=5_000,
        procrustes_examples=5_000,
        epoch_configs=(_c("beta_tc_vae", "cars3d", beta=2), _c("dip_vae_ii", lambda_od=5),
                       _c("annealed_vae", "smallnorb", c_max=5)),
        early_epoch=1,
        appendix_epoch_configs=(_c("dip_vae_ii", lambda_od=5), _c("beta_tc_vae", "cars3d", beta=2),
                                _c("annealed_vae", "smallnorb", c_max=5)),
        regularised_pairs=((_c("beta_vae", beta=1), _c("beta_vae", beta=8)),
                           (_c("dip_vae_ii", lambda_od=1), _c("dip_vae_ii", lambda_od=20))),
        objective_pairs=tuple((_c("beta_vae", d, beta=1), _c("dip_vae_ii", d, lambda_od=1))
                              for d in ("cars3d", "dsprites", "smallnorb")),
        procrustes_epoch_config=_c("beta_tc_vae", "cars3d", beta=2),
        procrustes_objective_pair=(_c("beta_vae", "cars3d", beta=1),
                                   _c("dip_vae_ii", "cars3d", lambda_od=1)),
        series_configs=(_c("beta_vae", "cars3d", beta=1), _c("beta_vae", "cars3d", beta=8)),
        loss_configs=tuple(_c(m, d, **{k: v}) for d in ("cars3d", "dsprites", "smallnorb")
                           for m, k, vs in (("beta_vae", "beta", (1, 8)),
                                            ("beta_tc_vae", "beta", (1, 8)),
                                            ("dip_vae_ii", "lambda_od", (1, 20)),
                                            ("annealed_vae", "c_max", (75, 5)))
                           for v in vs),
        classifier_datasets=("cars3d", "dsprites", "smallnorb"), classifier_steps=THESIS_STEPS,
        fc_epoch_config=_c("annealed_vae", "smallnorb", "fc", c_max=5), fc_early_epochs=(1, 10),
        fc_beta_pairs=tuple((_c("beta_vae", "dsprites", "fc", beta=1),
                             _c("beta_vae", "dsprites", "fc", beta=b)) for b in (8, 16)),
        fc_objective_pairs=tuple((_c("beta_vae", d, "fc", beta=1),
                                  _c("dip_vae_ii", d, "fc", lambda_od=1))
                                 for d in ("cars3d", "dsprites", "smallnorb")),
        fc_seeds=(0, 1, 2, 3, 4))
    quick = dataclasses.replace(
        paper, training=thesis_runs.settings("quick"), seeds=(0,), seeded_configs=(),
        other_seeds=(0,), n_examples=250, procrustes_examples=250,
        epoch_configs=(_c("beta_tc_vae", beta=2), _c("dip_vae_ii", lambda_od=1),
                       _c("annealed_vae", c_max=5)),
        appendix_epoch_configs=(_c("dip_vae_ii", lambda_od=1), _c("beta_tc_vae", beta=2),
                                _c("annealed_vae", c_max=5)),
        objective_pairs=((_c("beta_vae", beta=1), _c("dip_vae_ii", lambda_od=1)),),
        procrustes_epoch_config=_c("beta_tc_vae", beta=2),
        procrustes_objective_pair=(_c("beta_vae", beta=1), _c("dip_vae_ii", lambda_od=1)),
        series_configs=(_c("beta_vae", beta=1), _c("beta_vae", beta=8)),
        loss_configs=(_c("beta_vae", beta=1), _c("beta_vae", beta=8)),
        regularised_pairs=((_c("beta_vae", beta=1), _c("beta_vae", beta=8)),),
        classifier_datasets=("dsprites",), classifier_steps=1_000,
        fc_epoch_config=_c("annealed_vae", "dsprites", "fc", c_max=5), fc_early_epochs=(0, 1, 2),
        fc_objective_pairs=((_c("beta_vae", "dsprites", "fc", beta=1),
                             _c("dip_vae_ii", "dsprites", "fc", lambda_od=1)),),
        fc_seeds=(0,), fc_steps=600, fc_steps_per_epoch=300, fc_epoch_steps_per_epoch=100,
        synthetic_repeats=3)
    smoke = dataclasses.replace(
        quick, training=thesis_runs.settings("smoke"), seeds=(0,), n_examples=48, procrustes_examples=48, fc_steps=None,
        fc_steps_per_epoch=None, fc_epoch_steps_per_epoch=None,
        synthetic_ns=tuple(range(50, 1000, 160)),
        synthetic_repeats=1,
        epoch_configs=(_c("beta_tc_vae", beta=2),),
        series_configs=(_c("beta_vae", beta=1),),
        loss_configs=(_c("beta_vae", beta=1), _c("beta_vae", beta=8)),
        classifier_steps=8, fc_early_epochs=(1,),
        fc_beta_pairs=((_c("beta_vae", "dsprites", "fc", beta=1),
                        _c("beta_vae", "dsprites", "fc", beta=16)),),
        fc_objective_pairs=((_c("beta_vae", "dsprites", "fc", beta=1),
                             _c("dip_vae_ii", "dsprites", "fc", lambda_od=1)),))
    # the dry run: the thesis' configurations, data sets and models (its training's dry run), seed 0
    # only, 500 examples, the loss curves of the dSprites models, the FC models' first epoch
    dry = capped(paper, training=thesis_runs.settings(DRY_RUN_PROFILE), seeds=(0,),
                 other_seeds=(0,), fc_seeds=(0,), n_examples=500, procrustes_examples=500,
                 loss_configs=tuple(c for c in paper.loss_configs if c.dataset == "dsprites"),
                 classifier_steps=4, fc_early_epochs=(1,))
    return by_profile(profile, smoke=smoke, quick=quick, paper=paper, dry=dry)


def _check_settings(cfg, func: str) -> Ch7Settings:
    if not isinstance(cfg, Ch7Settings):
        raise TypeError(f"{func}: `cfg` must be the chapter-7 settings (cfg = settings(profile) "
                        f"of latentdims.studies.thesis_ch7); got {type(cfg).__name__}.")
    return cfg


def config_seeds(config: Config, cfg: Ch7Settings) -> tuple[int, ...]:
    """The seeds the design trains ``config`` with: ``seeds`` for its ``seeded_configs``, else
    ``fc_seeds`` for FC models and ``other_seeds`` for conv ones.

    >>> config_seeds(Config("beta_vae", (("beta", 1.0),)), settings("quick"))
    (0,)
    """
    s = _check_settings(cfg, "config_seeds")
    return tuple(s.seeds if config in s.seeded_configs
                 else s.fc_seeds if config.architecture == "fc" else s.other_seeds)


def config_runs(config: Config, cfg: Ch7Settings, *, seeds: Sequence[int] | None = None) -> list:
    """The :class:`~latentdims.studies.thesis_runs.ThesisRun` of ``config`` for each seed.

    Seeds default to the design's (``seeds`` for its ``seeded_configs``, else ``fc_seeds``
    for FC models and ``other_seeds`` for conv ones).  Every run keeps a snapshot per epoch.

    >>> [r.seed for r in config_runs(Config("beta_vae", (("beta", 1.0),)), settings("paper"))]
    [0, 1, 2, 3, 4]
    """
    if not isinstance(config, Config):
        raise TypeError(f"config_runs: `config` must be a Config; got {type(config).__name__}.")
    s = _check_settings(cfg, "config_runs")
    if seeds is None:
        seeds = config_seeds(config, s)
    fc = config.architecture == "fc"
    steps = s.fc_steps if fc else None
    per_epoch = s.fc_steps_per_epoch if fc else None
    if fc and config == s.fc_epoch_config and s.fc_epoch_steps_per_epoch is not None:
        per_epoch = s.fc_epoch_steps_per_epoch
    params = dict(config.params)
    if config.model == "annealed_vae" and "iteration_threshold" not in params:
        total = s.training.steps if steps is None else steps
        params["iteration_threshold"] = max(1, int(round(ANNEALING_FRACTION * total)))
    return [thesis_runs.thesis_run(config.model, s.training, dataset=config.dataset,
                                   architecture=config.architecture, seed=int(seed),
                                   snapshots=True, steps=steps, steps_per_epoch=per_epoch,
                                   **params) for seed in seeds]


def train_config(config: Config, cfg: Ch7Settings, *,
                 seeds: Sequence[int] | None = None) -> list[Path]:
    """Train (or find in the cache) every seed of ``config``, through
    :func:`latentdims.core.sweeps.run_sweep`; returns the run folders."""
    return list(run_sweep(thesis_runs.train_run, config_runs(config, cfg, seeds=seeds)))


def conv_figure_configs(cfg: Ch7Settings) -> list[Config]:
    """Every conv configuration the figures of notebook 41 compare (each once, in figure order),
    including the beta = 1 beta-VAE of each classifier data set (Fig C.1)."""
    s = _check_settings(cfg, "conv_figure_configs")
    needed = (list(s.epoch_configs) + list(s.appendix_epoch_configs)
              + [c for pair in s.regularised_pairs + s.objective_pairs for c in pair]
              + [s.procrustes_epoch_config, *s.procrustes_objective_pair] + list(s.series_configs)
              + list(s.loss_configs) + [classifier_partner(d) for d in s.classifier_datasets])
    return list(dict.fromkeys(needed))


def fc_figure_configs(cfg: Ch7Settings) -> list[Config]:
    """Every FC configuration of Figs 7.8-7.10 (notebook 42), each once."""
    s = _check_settings(cfg, "fc_figure_configs")
    needed = [s.fc_epoch_config] + [c for pair in s.fc_beta_pairs + s.fc_objective_pairs for c in pair]
    return list(dict.fromkeys(needed))


def classifier_partner(dataset: str) -> Config:
    """The VAE Fig C.1 compares the classifier with: the conv beta-VAE, beta = 1, on ``dataset``."""
    return Config("beta_vae", (("beta", 1.0),), dataset)


def train_configs(configs: Sequence[Config], cfg: Ch7Settings) -> dict[Config, list[Path]]:
    """:func:`train_config` of each configuration: ``{config: [run folder per seed]}``; every
    configuration's seeds go to :func:`latentdims.core.sweeps.run_sweep` as one sweep."""
    runs = {config: config_runs(config, cfg) for config in dict.fromkeys(configs)}
    flat = [run for seeds in runs.values() for run in seeds]
    done = iter(run_sweep(thesis_runs.train_run, flat, desc="chapter-7 models"))
    return {config: [next(done) for _ in seeds] for config, seeds in runs.items()}


def uses_stand_in(folders: Mapping[Config, Sequence]) -> bool:
    """Whether any of the runs trained on a labelled stand-in rather than the real data files
    (each run's ``meta.json``; figure titles say so)."""
    for runs in folders.values():
        with open(Path(runs[0]) / "meta.json") as f:
            if json.load(f).get("stand_in", False):
                return True
    return False


# ---------------------------------------------------------------------------------- ledger labels
FIGURES = ("figure-7.2", "figure-7.3", "figure-7.4", "figure-7.5", "figure-7.6", "figure-7.7",
           "figure-C.1", "figure-C.2", "figure-C.3", "figure-C.4", "figure-C.5", "figure-7.8",
           "figure-7.9", "figure-7.10")
_PROCRUSTES = ("figure-7.5", "figure-7.6", "figure-7.7")


def figure_configs(figure: str, cfg: Ch7Settings) -> tuple:
    """What a figure of notebooks 41-42 compares under ``cfg``: its :class:`Config` s, or
    ``(Config, Config)`` pairs.

    >>> [c.label for c in figure_configs("figure-C.3", settings("paper"))]
    ['β-TC VAE (β = 2)']
    """
    check_choice(figure, FIGURES, name="figure", func="figure_configs")
    s = _check_settings(cfg, "figure_configs")
    return {"figure-7.2": s.epoch_configs, "figure-7.3": s.regularised_pairs,
            "figure-7.4": s.objective_pairs, "figure-7.5": (s.procrustes_epoch_config,),
            "figure-7.6": (s.procrustes_objective_pair,), "figure-7.7": s.series_configs,
            "figure-C.1": tuple(classifier_partner(d) for d in s.classifier_datasets),
            "figure-C.2": s.appendix_epoch_configs[:1], "figure-C.3": s.appendix_epoch_configs[1:2],
            "figure-C.4": s.appendix_epoch_configs[2:3], "figure-C.5": s.loss_configs,
            "figure-7.8": (s.fc_epoch_config,), "figure-7.9": s.fc_beta_pairs,
            "figure-7.10": s.fc_objective_pairs}[figure]


def _flat(items) -> list[Config]:
    return [c for item in items for c in (item if isinstance(item, tuple) else (item,))]


def _configs_text(items) -> str:
    """``"β-VAE (β = 1) vs β-VAE (β = 8) on dsprites"``; a long list as a count."""
    flat = _flat(items)
    datasets = list(dict.fromkeys(c.dataset for c in flat))
    if len(items) > 4:
        names = ", ".join(dict.fromkeys(c.name for c in flat))
        return f"{len(items)} models ({names}) on {', '.join(datasets)}"
    one = lambda item: (" vs ".join(c.label for c in item) if isinstance(item, tuple)  # noqa: E731
                        else item.label)
    if len(datasets) == 1:
        return f"{', '.join(one(item) for item in items)} on {datasets[0]}"
    return ", ".join(f"{one(item)} on {_flat([item])[0].dataset}" for item in items)


def _design_text(ours, theirs) -> str | None:
    """What a figure compares in place of the thesis' (None when the same): fewer data sets
    of the same comparisons, a subset of the thesis' comparisons, or others."""
    if tuple(ours) == tuple(theirs):
        return None
    subset = set(ours) <= set(theirs)
    strip = lambda item: tuple(dataclasses.replace(c, dataset="") for c in _flat([item]))  # noqa: E731
    if {strip(i) for i in ours} == {strip(i) for i in theirs}:     # the same models, other data
        data = lambda items: _and(list(dict.fromkeys(c.dataset for c in _flat(items))))  # noqa: E731
        return (f"{data(ours)} only, where the thesis shows {data(theirs)}" if subset
                else f"{data(ours)} in place of {data(theirs)}")
    if subset:
        return (f"{_configs_text(ours)} only; the thesis also shows "
                f"{_configs_text([i for i in theirs if i not in ours])}")
    return f"{_configs_text(ours)} in place of {_configs_text(theirs)}"


def _and(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def figure_data(figure: str, cfg: Ch7Settings) -> str | list[str]:
    """The ``data`` of a record on ``figure``: the data set(s) its models train on under
    ``cfg`` (one name, or a list).

    >>> figure_data("figure-7.4", settings("quick")), figure_data("figure-7.4", settings("paper"))
    ('dsprites', ['cars3d', 'dsprites', 'smallnorb'])
    """
    names = list(dict.fromkeys(c.dataset for c in _flat(figure_configs(figure, cfg))))
    return names[0] if len(names) == 1 else names


def figure_substitution(figure: str, cfg: Ch7Settings) -> str | None:
    """The ``substitution`` of a record on ``figure``, computed from ``cfg`` against the thesis'
    design (``settings("paper")``): the models and data sets compared, the seeds Eq 7.9
    averages, the examples compared, the training, and for Fig 7.8 the epochs shown and for
    Fig C.1 the classifier's training; None in ``paper``.

    >>> figure_substitution("figure-C.3", settings("quick"))
    'dsprites in place of cars3d; 1 seed per model where the thesis averages 5; 250 examples compared in place of 5,000; 1,500 training steps at lr 1e-3 in place of 300,000 at 1e-4'
    >>> figure_substitution("figure-7.10", settings("paper")) is None
    True
    """
    s = _check_settings(cfg, "figure_substitution")
    thesis = settings("paper")
    ours, theirs = figure_configs(figure, s), figure_configs(figure, thesis)
    flat = _flat(ours)
    n_seeds = min(len(config_seeds(c, s)) for c in flat)
    n = min(s.n_examples, s.procrustes_examples) if figure in _PROCRUSTES else s.n_examples
    fc = flat[0].architecture == "fc"
    epochs = (None if figure != "figure-7.8" or s.fc_early_epochs == thesis.fc_early_epochs else
              f"epoch{'s' if len(s.fc_early_epochs) > 1 else ''} "
              f"{', '.join(map(str, s.fc_early_epochs))} shown in place of "
              f"{', '.join(map(str, thesis.fc_early_epochs))}")
    classifier = (None if figure != "figure-C.1" or s.classifier_steps == thesis.classifier_steps
                  else f"classifiers trained {s.classifier_steps:,} steps in place of "
                       f"{thesis.classifier_steps:,}")
    return join_substitutions(
        _design_text(ours, theirs),
        None if n_seeds >= THESIS_SEEDS else
        f"{n_seeds} seed{'s' if n_seeds > 1 else ''} per model where the thesis averages "
        f"{THESIS_SEEDS}",
        None if n >= THESIS_EXAMPLES else
        f"{n:,} examples compared in place of {THESIS_EXAMPLES:,}",
        training_substitution(s.training, steps=s.fc_steps if fc and s.fc_steps else None),
        epochs, classifier)


def ledger(figure: str, cfg: Ch7Settings, *, kind: str = "document") -> dict[str, Any]:
    """The ``kind``, ``data`` and ``substitution`` keywords of ``run.record_claim`` for a claim
    on ``figure`` (:func:`figure_data`, :func:`figure_substitution`) under ``cfg``.

    >>> ledger("figure-7.3", settings("paper"))
    {'kind': 'document', 'data': 'dsprites', 'substitution': None}
    """
    return {"kind": kind, "data": figure_data(figure, cfg),
            "substitution": figure_substitution(figure, cfg)}


def synthetic_substitution(cfg: Ch7Settings) -> str | None:
    """The ``substitution`` of the Fig 7.1 records: the numbers of examples and of independent
    draws against the author's code (n = 50, 90, ..., 970; one draw, as the figure).

    >>> synthetic_substitution(settings("quick"))
    'the mean of 3 independent draws where the thesis shows one'
    """
    s = _check_settings(cfg, "synthetic_substitution")
    thesis = settings("paper")
    ns = (None if tuple(s.synthetic_ns) == tuple(thesis.synthetic_ns) else
          f"{len(s.synthetic_ns)} values of n up to {max(s.synthetic_ns)} in place of "
          f"{len(thesis.synthetic_ns)} up to {max(thesis.synthetic_ns)}")
    repeats = (None if s.synthetic_repeats == 1 else
               f"the mean of {s.synthetic_repeats} independent draws where the thesis shows one")
    return join_substitutions(ns, repeats)


def design_note(cfg: Ch7Settings, figures: Sequence[str]) -> str:
    """Markdown: per figure of ``figures``, what this profile's design changes from the
    thesis' (:func:`figure_substitution`), computed from ``cfg``."""
    rows = [(f, figure_substitution(f, cfg)) for f in figures]
    if all(sub is None for _, sub in rows):
        return "**This profile** runs the thesis' design for every figure below."
    return "**Where this profile's design differs from the thesis':**\n" + "\n".join(
        f"* Fig {f.split('-', 1)[1]}: {sub or 'as the thesis'}" for f, sub in rows)


def convergence_epoch(epochs, values, *, tolerance: float = 0.05) -> int:
    """Fig C.5: the first epoch at which the mean loss over runs (``values`` (n_runs, E), as
    :func:`loss_curves` returns with ``epochs`` (E,)) is within ``tolerance`` (relative) of its
    last value: where the model has converged to its plateau.

    >>> convergence_epoch(np.arange(1, 5), np.array([[10.0, 6.0, 5.1, 5.0]]))
    3
    """
    func = "convergence_epoch"
    v = np.asarray(values, dtype=np.float64)
    e = np.asarray(epochs)
    if v.ndim != 2 or v.shape[1] != len(e) or not len(e):
        raise ValueError(f"{func}: `values` must be (n_runs, {len(e)}) for the {len(e)} epochs; "
                         f"got shape {v.shape}.")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{func}: `values` holds NaN or infinite losses; the run diverged.")
    tolerance = check_in_interval(tolerance, name="tolerance", func=func, low=0.0, high=1.0)
    mean = v.mean(axis=0)
    close = np.abs(mean - mean[-1]) <= tolerance * abs(mean[-1])
    return int(e[np.argmax(close)])


# ---------------------------------------------------------------------------------- activations
def compact_activations(acts: Mapping[str, Any]) -> dict[str, np.ndarray]:
    r"""Centre every layer and reduce it to at most n columns without changing CKA or Procrustes.

    .. math::
        X_c = X - \mathbf 1_n \bar x,\qquad X_c^\top = Q R\ \Rightarrow\ \tilde X = R^\top
        \in \mathbb R^{n \times n}\quad (p > n)

    :math:`\tilde X \tilde X^\top = X_c X_c^\top` (the Gram matrix, hence linear CKA, Eq 2.2) and
    :math:`\|\tilde Y^\top \tilde X\|_* = \|Y_c^\top X_c\|_*` (Procrustes, Eq 7.8): both only see
    the examples' Gram structure, and :math:`\tilde X = X_c Q` is an orthogonal change of the
    features' basis.  A layer of 32,768 features on 500 examples shrinks to 500 columns.
    Entries with :math:`|x| < 10^{-7}` are zeroed first (the author's code); a layer
    constant over the examples becomes exactly zero (the similarity functions then give NaN).

    Parameters
    ----------
    acts : mapping name -> array (n, ...)
        Flattened to (n, p).

    Returns
    -------
    dict name -> float64 array (n, min(n, p))

    Examples
    --------
    >>> from latentdims.maths.similarity import linear_cka
    >>> rng = np.random.default_rng(0)
    >>> a = {"x": rng.normal(size=(20, 50)), "y": rng.normal(size=(20, 3))}
    >>> c = compact_activations(a)
    >>> c["x"].shape, round(linear_cka(a["x"], a["y"]) - linear_cka(c["x"], c["y"]), 12)
    ((20, 20), 0.0)
    """
    out = {}
    for name, value in acts.items():
        X = np.array(value, dtype=np.float64).reshape(len(value), -1)
        if not np.all(np.isfinite(X)):
            raise ValueError(f"compact_activations: layer {name!r} holds NaN or infinite values; "
                             f"the model diverged.")
        X[np.abs(X) < _ZERO] = 0.0
        scale = np.abs(X).max(initial=0.0)
        X -= X.mean(axis=0)
        if np.abs(X).max(initial=0.0) <= 1e-9 * max(scale, 1.0):
            X = np.zeros((len(X), min(X.shape)))   # constant layer: exactly zero
        elif X.shape[1] > X.shape[0]:
            X = np.linalg.qr(X.T, mode="r").T
        out[name] = X
    return out


def _evaluation_inputs(folder: Path, n: int) -> np.ndarray:
    """The first ``n`` evaluation images of a run (rendered once per data configuration by
    :func:`latentdims.studies.thesis_runs.evaluation_data`)."""
    run = thesis_runs.read_run(folder)
    if n > run.n_eval:
        raise ValueError(f"run_activations: the run has {run.n_eval} evaluation images, fewer "
                         f"than the {n} requested; lower `n`.")
    return np.asarray(thesis_runs.evaluation_data(run)[:n], np.float32)


def run_activations(folder, *, epoch: int | None = None, n: int, seed: int = 0,
                    log_variance: bool = False) -> dict[str, np.ndarray]:
    """Every layer of a trained run on its first ``n`` evaluation images, compacted and cached.

    Parameters
    ----------
    folder : path
        From :func:`latentdims.studies.thesis_runs.train_run`.
    epoch : int or None
        ``None``: the fully trained model; 0: the seeded initial weights; ``e >= 1``: the snapshot
        at the end of epoch ``e`` (``snapshots=True`` runs).
    n : int
        Examples (the same for every run of a data set: the evaluation set is fixed by the
        data seed and sizes, not by the model's seed).
    seed : int
        Seeds the noise of the sampled layer.
    log_variance : bool
        Compare the log-variance head (the 2022 code) instead of the variance.

    Returns
    -------
    dict layer -> array (n, <= n), in the order of :func:`layer_names` (+ ``"input"`` first)
    """
    func = "run_activations"
    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"{func}: {str(folder)!r} is not a trained-run folder.")
    n = check_int(n, name="n", func=func, minimum=4)
    run = thesis_runs.read_run(folder)
    if epoch is not None:
        epoch = check_int(epoch, name="epoch", func=func, minimum=0)
        if epoch > run.epochs:
            raise ValueError(f"{func}: `epoch` {epoch} is past the run's {run.epochs} epochs.")
        if epoch == run.epochs:
            epoch = None          # the last snapshot is the trained model
    layers = layer_names(run.architecture, log_variance=log_variance)

    def compute() -> dict[str, np.ndarray]:
        with open(folder / "meta.json") as f:
            meta = json.load(f)
        if epoch is None:
            model = thesis_runs.rebuild_model(run, meta, folder / "model.npz")
        elif epoch == 0:
            model = make_model(run.model, **run.model_config(meta["channels"])).ensure_built()
        else:
            model = thesis_runs.load_snapshot_model(folder, epoch - 1)
        x = _evaluation_inputs(folder, n)
        acts = model.layer_activations(x, seed=seed, log_variance=log_variance)
        acts = compact_activations({k: acts[k] for k in layers})
        return {k.replace("/", "__"): v.astype(np.float32) for k, v in acts.items()}

    key = {"run": folder.name, "epoch": epoch, "n": n, "seed": seed,
           "log_variance": log_variance, "version": _VERSION}
    arrays = cached_arrays("ch7_activations", key, compute)
    return {k: arrays[k.replace("/", "__")] for k in layers}


def config_similarity(folders_a: Sequence, folders_b: Sequence, cfg: Ch7Settings, *,
                      metric: str = "cka", epoch_a: int | None = None,
                      epoch_b: int | None = None, seed: int = 0):
    """Eq 7.9: every layer of configuration A against every layer of B, averaged over all seed
    pairs (A and B may be one configuration at two epochs), on the design's ``n_examples``
    (CKA) or ``procrustes_examples`` evaluation images.

    Returns a :class:`~latentdims.maths.similarity.SimilarityMatrix` (rows: A's layers).
    """
    check_choice(metric, ("cka", "procrustes"), name="metric", func="config_similarity")
    s = _check_settings(cfg, "config_similarity")
    n = s.n_examples if metric == "cka" else s.procrustes_examples
    acts_a = [run_activations(f, epoch=epoch_a, n=n, seed=seed) for f in folders_a]
    acts_b = [run_activations(f, epoch=epoch_b, n=n, seed=seed) for f in folders_b]
    return average_similarity(acts_a, acts_b, metric=metric)


def epoch_similarities(folders: Sequence, cfg: Ch7Settings, *, metric: str = "cka",
                       seed: int = 0) -> list:
    """Figs C.2-C.4: a configuration at every epoch (0: the initial weights, ..., E: fully
    trained) against its fully trained self, one :func:`config_similarity` per epoch."""
    n_epochs = thesis_runs.read_run(Path(folders[0])).epochs
    return [config_similarity(folders, folders, cfg, metric=metric, epoch_a=e, seed=seed)
            for e in range(n_epochs + 1)]


def input_similarity_series(folders: Sequence, cfg: Ch7Settings, *, metric: str = "cka",
                            seed: int = 0) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    """Fig 7.7: similarity of the input with each encoder layer before the heads, per epoch.

    Returns
    -------
    epochs : ndarray (T,)
        0 (initial weights), 1, ..., E.
    layers : tuple of str
        The encoder layers (6 for conv, 3 for FC).
    scores : ndarray (n_seeds, T, L)
    """
    check_choice(metric, ("cka", "procrustes"), name="metric", func="input_similarity_series")
    s = _check_settings(cfg, "input_similarity_series")
    n = s.n_examples if metric == "cka" else s.procrustes_examples
    sim = linear_cka if metric == "cka" else procrustes_similarity
    runs = [thesis_runs.read_run(Path(f)) for f in folders]
    n_epochs = min(r.epochs for r in runs)
    epochs = np.arange(n_epochs + 1)
    layers = tuple(name for name in layer_names(runs[0].architecture) if name.startswith("encoder/"))
    scores = np.empty((len(folders), len(epochs), len(layers)))
    for i, f in enumerate(folders):
        for t, e in enumerate(epochs):
            acts = run_activations(f, epoch=int(e), n=n, seed=seed)
            for j, name in enumerate(layers):
                scores[i, t, j] = sim(acts["input"], acts[name])
    return epochs, layers, scores


def _index(layers: Sequence[str], prefix: str) -> list[int]:
    return [i for i, name in enumerate(layers) if name == prefix or name.startswith(prefix + "/")]


def diagonal_mean(sim, prefix: str) -> float:
    """Mean similarity of the same-named layers of A and B whose names start with ``prefix``
    (``"encoder"``, ``"decoder"``) or equal it: the diagonal of a heat-map quadrant.

    >>> from latentdims.maths.similarity import SimilarityMatrix
    >>> m = SimilarityMatrix(np.array([[0.9, 0.1], [0.2, 0.5]]), np.zeros((2, 2)),
    ...                      ("encoder/1", "decoder/1"), ("encoder/1", "decoder/1"), 1, "cka")
    >>> diagonal_mean(m, "encoder"), diagonal_mean(m, "decoder")
    (0.9, 0.5)
    """
    names = [sim.layers_a[i] for i in _index(sim.layers_a, prefix) if sim.layers_a[i] in sim.layers_b]
    if not names:
        raise ValueError(f"diagonal_mean: no layer named {prefix!r}... on both sides "
                         f"({list(sim.layers_a)} and {list(sim.layers_b)}).")
    values = [sim.mean[sim.layers_a.index(n), sim.layers_b.index(n)] for n in names]
    return float(np.nanmean(values))


def block_mean(sim, prefix_a: str, prefix_b: str) -> float:
    """Mean similarity over A's layers named ``prefix_a``... and B's named ``prefix_b``...
    (a heat-map quadrant, a row ``block_mean(m, "sampled", "")`` or a column)."""
    rows = _index(sim.layers_a, prefix_a) if prefix_a else list(range(len(sim.layers_a)))
    cols = _index(sim.layers_b, prefix_b) if prefix_b else list(range(len(sim.layers_b)))
    if not rows or not cols:
        raise ValueError(f"block_mean: no layers match {prefix_a!r} in {list(sim.layers_a)} or "
                         f"{prefix_b!r} in {list(sim.layers_b)}.")
    return float(np.nanmean(sim.mean[np.ix_(rows, cols)]))


# ---------------------------------------------------------------------------------- classifier
@dataclass(frozen=True)
class ClassifierRun:
    """Everything that determines one trained classifier of Fig C.1 (the cache key); the network
    and its training are :mod:`latentdims.models.classifier`.

    With the same ``dataset``, ``n_train``, ``n_eval`` and ``data_seed`` as the VAE runs the
    images are theirs and the evaluation images are never trained on (``smoke``, ``quick``); in
    ``paper`` the VAEs stream the whole 90 % split while the classifier trains on a 60,000-image
    subset held in memory, which may include VAE evaluation images.
    """
    dataset: str = "dsprites"
    n_train: int | None = 20_000
    n_eval: int = 2_000
    steps: int = 1_500
    batch_size: int = 64
    learning_rate: float = 1e-3
    seed: int = 0
    data_seed: int = 0
    version: int = 1
    data_source: str = ""   # filled with the data's identity (stand-in or real files), as ThesisRun

    def __post_init__(self) -> None:
        if not str(self.data_source).startswith(f"{self.dataset}: "):
            object.__setattr__(self, "data_source", data_identity(self.dataset))


def classifier_run(cfg: Ch7Settings, *, dataset: str = "dsprites", seed: int = 0) -> ClassifierRun:
    """The classifier trained beside the VAEs of ``cfg`` (same images and optimiser,
    ``classifier_steps`` steps).

    >>> classifier_run(settings("smoke")).steps
    8
    """
    s = _check_settings(cfg, "classifier_run")
    t = s.training
    # `paper` trains the VAEs on the whole 90 % split, streamed; the classifier holds its images
    # in memory, so it takes a seeded subset that fits (1 GiB of float32 64x64 images)
    n_train = _CLASSIFIER_MAX_TRAIN if t.n_train is None else t.n_train
    return ClassifierRun(dataset=dataset, n_train=n_train, n_eval=t.n_eval,
                         steps=s.classifier_steps, batch_size=t.batch_size,
                         learning_rate=t.learning_rate, seed=int(seed))


def _classifier_data(run: ClassifierRun):
    n = None if run.n_train is None else run.n_train + run.n_eval
    data = thesis_runs.cached_image_dataset(run.dataset, n=n, seed=run.data_seed)
    split = len(data) - run.n_eval
    # factors with a single value (dSprites' colour) carry nothing to classify
    keep = [j for j, size in enumerate(data.factor_sizes) if size > 1]
    if not keep:
        raise ValueError(f"train_classifier: {run.dataset!r} has no factor labels to classify.")
    return data, split, keep


def train_classifier(run: ClassifierRun) -> Path:
    """Train the classifier (or find it in the cache); returns its folder (``model.weights.h5``,
    ``history.json`` with the per-head accuracy on the evaluation images, ``meta.json``)."""
    if not isinstance(run, ClassifierRun):
        raise TypeError(f"train_classifier: `run` must be a ClassifierRun (see classifier_run); "
                        f"got {type(run).__name__}.")

    def build(out: Path, work: Path) -> None:
        data, split, keep = _classifier_data(run)
        names = [data.factor_names[j] for j in keep]
        sizes = [int(data.factor_sizes[j]) for j in keep]
        x, y = data.images[:split], data.factor_classes[:split][:, keep]
        model, losses = fit_classifier(x, y, sizes, steps=run.steps, batch_size=run.batch_size,
                                       learning_rate=run.learning_rate, seed=run.seed)
        x_ev, y_ev = data.images[split:], data.factor_classes[split:][:, keep]
        accuracy = dict(zip(names, classifier_accuracy(model, x_ev, y_ev)))
        model.save_weights(out / "model.weights.h5")
        write_json(out / "history.json", {"loss": losses, "eval_accuracy": accuracy})
        write_json(out / "meta.json", {"factor_names": names, "factor_sizes": sizes,
                                       "channels": int(data.images.shape[-1]),
                                       "stand_in": bool(data.stand_in),
                                       "description": data.description})

    return cached("ch7_classifier", run, build)


def classifier_layers(folder) -> tuple[str, ...]:
    """``input``, ``encoder/1``-``encoder/6``, then ``class/<factor>`` per softmax head."""
    with open(Path(folder) / "meta.json") as f:
        meta = json.load(f)
    return (CONV_LAYERS[:7] + tuple(f"class/{name}" for name in meta["factor_names"]))


def classifier_activations(folder, inputs, *, batch_size: int = 256) -> dict[str, np.ndarray]:
    """Every layer of a trained classifier on ``inputs``, compacted (:func:`compact_activations`)."""
    folder = Path(folder)
    with open(folder / "meta.json") as f:
        meta = json.load(f)
    model = build_classifier(meta["channels"], meta["factor_sizes"], seed=0)
    model.load_weights(folder / "model.weights.h5")
    acts = layer_activations(model, inputs, batch_size=batch_size)
    renamed = {"input": acts["input"]}
    for i in range(1, 7):
        renamed[f"encoder/{i}"] = acts[f"encoder_{i}"]
    for j, name in enumerate(meta["factor_names"]):
        renamed[f"class/{name}"] = acts[f"class_{j}"]
    return compact_activations(renamed)


def classifier_similarity(classifier_folders: Sequence, vae_folders: Sequence, cfg: Ch7Settings, *,
                          seed: int = 0):
    """Fig C.1: every classifier layer (rows) against every VAE layer (columns), CKA averaged
    over all (classifier seed, VAE seed) pairs on the VAE runs' first ``n_examples``
    evaluation images."""
    n = _check_settings(cfg, "classifier_similarity").n_examples
    x = _evaluation_inputs(Path(vae_folders[0]), n)
    acts_c = [classifier_activations(f, x) for f in classifier_folders]
    acts_v = [run_activations(f, n=n, seed=seed) for f in vae_folders]
    return average_similarity(acts_c, acts_v, metric="cka")


def classifier_figure(cfg: Ch7Settings, vae_folders: Mapping[Config, Sequence], *,
                      seed: int = 0) -> list:
    """Fig C.1 on each of the design's ``classifier_datasets``: train (or find) one classifier
    per seed of ``other_seeds`` and compare it with that data set's beta = 1 beta-VAE
    (:func:`classifier_partner`, its folders in ``vae_folders``)."""
    s = _check_settings(cfg, "classifier_figure")
    sims = []
    for d in s.classifier_datasets:
        clfs = [train_classifier(classifier_run(s, dataset=d, seed=sd)) for sd in s.other_seeds]
        sims.append(classifier_similarity(clfs, vae_folders[classifier_partner(d)], s, seed=seed))
    return sims


# ---------------------------------------------------------------------------------- C.5, tables
def loss_curves(folders: Sequence, key: str = "loss") -> tuple[np.ndarray, np.ndarray]:
    """Per-epoch training loss of runs of one configuration (Fig C.5).

    Returns ``epochs`` (E,) 1-based and ``values`` (n_runs, E).
    """
    curves = []
    for f in folders:
        with open(Path(f) / "history.json") as fh:
            history = json.load(fh)
        if not history or key not in history[0]:
            raise ValueError(f"loss_curves: {str(f)!r} has no {key!r} in its history; it has "
                             f"{sorted(history[0]) if history else []}.")
        curves.append([float(h[key]) for h in history])
    length = min(len(c) for c in curves)
    return np.arange(1, length + 1), np.array([c[:length] for c in curves])


def _values(configs: Sequence[Config], model: str, key: str, architecture: str) -> str:
    vals = sorted({dict(c.params)[key] for c in configs
                   if c.model == model and c.architecture == architecture and key in dict(c.params)})
    return "[" + ", ".join(f"{v:g}" for v in vals) + "]" if vals else "not trained"


def _hyper_rows(configs: Sequence[Config], architecture: str, thesis: Sequence[str],
                threshold: int) -> list[tuple]:
    """Rows of Tables C.2/C.5: each objective's strengths (thesis, ours) and the fixed ones."""
    objectives = (("β-VAE", "β", "beta_vae", "beta"), ("β-TC VAE", "β", "beta_tc_vae", "beta"),
                  ("DIP-VAE II", "λ_od", "dip_vae_ii", "lambda_od"),
                  ("Annealed VAE", "C_max", "annealed_vae", "c_max"))
    rows = []
    for (name, symbol, model, key), value in zip(objectives, thesis):
        rows.append((name, symbol, value, _values(configs, model, key, architecture)))
        if model == "dip_vae_ii":
            rows.append(("", "λ_d", "λ_od", "λ_od"))
    rows += [("", "γ", "1,000", f"{AnnealedVAEConfig().gamma:,.0f}"),
             ("", "iteration threshold", "100,000", f"{threshold:,}")]
    return rows


def configuration_tables(cfg: Ch7Settings) -> dict[str, Any]:
    """Tables C.1-C.5 with the thesis' value beside the one the design ``cfg`` uses.

    Returns a dict ``"table-C.1"`` ... ``"table-C.5"`` -> DataFrame.
    """
    s = _check_settings(cfg, "configuration_tables")
    t = s.training
    every = (list(s.epoch_configs) + [c for p in s.regularised_pairs + s.objective_pairs for c in p]
             + list(s.series_configs) + list(s.loss_configs))
    fc = [s.fc_epoch_config] + [c for p in s.fc_beta_pairs + s.fc_objective_pairs for c in p]
    threshold = max(1, int(round(ANNEALING_FRACTION * t.steps)))
    fc_total = t.steps if s.fc_steps is None else s.fc_steps
    fc_threshold = max(1, int(round(ANNEALING_FRACTION * fc_total)))
    c1 = pd.DataFrame([
        ("Batch size", "64", f"{t.batch_size}"),
        ("Latent space dimension", "10", "10"),
        ("Optimizer", "Adam", "Adam"),
        ("Adam: beta1", "0.9", "0.9"), ("Adam: beta2", "0.999", "0.999"),
        ("Adam: epsilon", "1e-8", "1e-8"),
        ("Adam: learning rate", "0.0001", f"{t.learning_rate:g}"),
        ("Reconstruction loss", "Bernoulli", "Bernoulli"),
        ("Training steps", "300,000", f"{t.steps:,}"),
        ("Intermediate model saving", "every 6K steps", f"every {t.steps_per_epoch:,} steps"),
        ("Train/test split", "90/10",
         "90/10" if t.n_train is None else f"{t.n_train:,} / {t.n_eval:,} images"),
        ("Seeds", "0-4", f"{sorted(set(s.seeds) | set(s.other_seeds))}"),
        ("Examples compared", "5,000", f"{s.n_examples:,} (CKA), {s.procrustes_examples:,} (Procrustes)"),
    ], columns=["Parameter", "Thesis", "Ours"])
    c2 = pd.DataFrame(_hyper_rows(every, "conv", ("[1, 2, 4, 6, 8]", "[1, 2, 4, 6, 8]",
                                                  "[1, 2, 5, 10, 20]", "[5, 10, 25, 50, 75]"),
                                  threshold), columns=["Model", "Parameter", "Thesis", "Ours"])
    conv_rows = [("Input: R^{64×63×channels} (sic)", "Input 64×64×channels")]
    for f, k in zip(CONV_FILTERS, CONV_KERNELS):
        conv_rows.append((f"Conv, kernel=4×4, filters={f}, ReLU, strides=2",
                          f"Conv, kernel={k}×{k}, filters={f}, ReLU, strides=2, same padding"))
    conv_rows += [("FC, output shape=256, ReLU, strides=2 (sic)", f"Flatten, FC {CONV_DENSE}, ReLU"),
                  ("FC, output shape=2×10", "FC 10 (mean), FC 10 (log-variance)")]
    dec_rows = [("R^{10}", "R^{10}"), ("FC, 256, ReLU", "FC 256, ReLU"),
                ("FC, 4×4×64, ReLU", "FC 1024, ReLU, reshape 4×4×64")]
    for f in DECONV_FILTERS:
        dec_rows.append((f"Deconv, kernel=4×4, filters={f}, ReLU, strides=2",
                         f"Deconv, kernel=4×4, filters={f}, ReLU, strides=2"))
    dec_rows.append(("Deconv, kernel=4×4, filters=channels, ReLU, strides=2",
                     "Deconv, kernel=4×4, filters=channels, linear (Bernoulli logits)"))
    c3 = pd.DataFrame([(*conv_rows[i], *dec_rows[i]) if i < len(conv_rows) else ("", "", *dec_rows[i])
                       for i in range(len(dec_rows))],
                      columns=["Encoder (thesis)", "Encoder (ours)", "Decoder (thesis)",
                               "Decoder (ours)"])
    enc = (["Input: R^{64×63×channels} (sic)"] + ["FC, 1200, ReLU"] * 2 + ["FC, 2×10"])
    enc_ours = (["Input 64×64×channels, flatten"] + [f"FC {w}, ReLU" for w in FC_ENCODER_WIDTHS]
                + ["FC 10 (mean), FC 10 (log-variance)"])
    dec = ["R^{10}", "FC, 256, tanh", "FC, 1200, tanh", "FC, 1200, tanh", "(none)"]
    dec_ours = (["R^{10}"] + [f"FC {w}, tanh" for w in FC_DECODER_WIDTHS]
                + ["FC 64×64×channels, linear (logits)"])
    c4 = pd.DataFrame({"Encoder (thesis)": enc + [""], "Encoder (ours)": enc_ours + [""],
                       "Decoder (thesis)": dec, "Decoder (ours)": dec_ours})
    c5 = pd.DataFrame(_hyper_rows(fc, "fc", ("[1, 8, 16]", "[2]", "[1, 20, 50]", "[5]"), fc_threshold)
                      + [("All", "training steps", "300,000", f"{fc_total:,}"),
                         ("All", "seeds", "0-4", f"{list(s.fc_seeds)}")],
                      columns=["Model", "Parameter", "Thesis", "Ours"])
    return {"table-C.1": c1, "table-C.2": c2, "table-C.3": c3, "table-C.4": c4, "table-C.5": c5}
