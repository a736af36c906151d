"""Cached training of the thesis' VAEs: one configuration in, one trained model's folder out.

A :class:`ThesisRun` (a frozen, picklable dataclass) says everything that determines a trained
model: the objective and its hyper-parameters, the architecture and latent size, the data set and
how many images, the steps, and the seeds.  :func:`train_run` trains it once through the project's
loop (:func:`latentdims.models.training.train`: checkpoints every epoch, resume, NaN handling) inside
:func:`latentdims.core.cache.cached`, and returns the cache folder; :func:`load_run` rebuilds the model
from it.  Sweeps map :func:`train_run` over a grid with :func:`latentdims.core.sweeps.run_sweep`::

    training = settings("quick")
    runs = [thesis_run("beta_vae", training, beta=b, seed=s) for b in (1, 4, 8) for s in (0, 1)]
    folders = run_sweep(train_run, runs)     # where: $LATENTDIMS_SCHEDULER, else a local cluster
    result = load_run(folders[0])      # result.model, result.representations, result.history

A folder holds ``model.npz`` (every model variable, :func:`latentdims.models.training.save_weights`),
``history.json`` (per-epoch logs, with the validation loss on the evaluation set),
``representations.npz`` (mean, variance and sampled representations of the fixed evaluation set,
its factor classes and indices, the KL of every latent, and for the iVAE the prior's mean and
variance), ``meta.json`` (channels, factor names and sizes, whether the data were a stand-in), and
with ``snapshots=True`` the evaluation set's mean and variance representations and the weights at
the end of every epoch (``snapshots.npz``, ``snapshots/epoch_NNNNN.npz``): an epoch is
``steps_per_epoch`` steps, so this is the thesis' "snapshot every N steps" (Sec. 6.5, App. C.1).

Every run records the identity of its data (``data_source``: the stand-in and its renderer's
version, or the real files' name, size and first-MiB hash, :func:`latentdims.data.images.data_identity`)
in its cache key, so a model trained on a stand-in is never reused once real files are there;
:func:`run_data` refuses to give a run data other than those it records.  For the claims' ledger,
:func:`training_substitution` says how a profile's training differs from the thesis' and
:func:`join_substitutions` joins such labels (used by the chapter 5-8 studies).

The evaluation set is the last ``n_eval`` images of a seeded random subset of ``n_train + n_eval``
images (the thesis splits 90/10, Table C.1); :func:`run_data` rebuilds it (e.g. for layer
activations) without storing images in the cache.  :func:`cached_image_dataset` is
:func:`latentdims.data.images.load_image_dataset` with its 3-D stand-ins kept in the cache.
"""
from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from latentdims.core.cache import cached, cached_arrays, read_entry_json, read_entry_npz
from latentdims.core.io import save_npz, write_json
from latentdims.core.profiles import by_profile, capped
from latentdims.core.validation import check_choice, check_int
from latentdims.data import dsprites as ds
from latentdims.data.images import (DATASETS, ImageDataset, data_identity, has_real_data,
                                    load_image_dataset)
from latentdims.models import MODELS, make_model, model_class
from latentdims.models.base import Representations
from latentdims.models.ivae import auxiliary_from_factors
from latentdims.models.training import TrainConfig, load_weights, save_weights, train

__all__ = ["ThesisSettings", "settings", "GRIDS", "ThesisRun", "thesis_run", "REGULARISATION",
           "regularisation_values", "cached_image_dataset", "RunData", "run_data",
           "evaluation_data", "train_run", "ThesisRunResult", "load_run", "read_run",
           "rebuild_model", "load_snapshots", "load_snapshot_model", "join_substitutions",
           "training_substitution"]

CACHE_NAME = "thesis_model"
_VERSION = 1   # bump when a change of the code changes trained models (it is part of the key)


# ---------------------------------------------------------------------------------- profiles
# Which regularisation strengths a sweep trains (ThesisSettings.grid, regularisation_values).
GRIDS = ("ends", "ends_and_middle", "all")


@dataclass(frozen=True)
class ThesisSettings:
    """How much to train per model in a profile.

    Attributes
    ----------
    n_train : int or None
        Training images; ``None``: every image of the data set but the evaluation ones (the
        thesis' 90 % split; binary dSprites is then rendered lazily, batch by batch).
    n_eval : int
        The fixed evaluation set (representations, validation loss); the thesis' histograms use
        10,000 inputs (Secs 5.3 and 6.3.2).
    steps : int
        Training steps (the thesis: 300,000, Tables A.1, C.1, D.1).
    steps_per_epoch : int
        Steps between checkpoints (and snapshots); divides ``steps``.
    batch_size : int
        64 in every table of the thesis.
    learning_rate : float
        Adam's learning rate: the thesis' 1e-4 (Tables A.1, C.1, D.1) in ``paper``; 1e-3 in the
        shorter profiles, whose models would otherwise stop far from the polarised regime.
    grid : {'ends', 'ends_and_middle', 'all'}
        Which regularisation strengths of :data:`REGULARISATION` a sweep trains
        (:func:`regularisation_values`): the first and last, also the middle one, or all.
    """
    n_train: int | None
    n_eval: int
    steps: int
    steps_per_epoch: int
    batch_size: int = 64
    learning_rate: float = 1e-4
    grid: str = "all"

    def __post_init__(self) -> None:
        check_choice(self.grid, GRIDS, name="grid", func="ThesisSettings")


def settings(profile: str) -> ThesisSettings:
    """Training sizes per profile.

    ``smoke`` proves the code runs (seconds).  ``quick`` trains 1,500 steps of batch 64 on 20,000
    images at a learning rate of 1e-3: a few minutes per conv model on a 2-core CPU (see
    benchmarks/bench_thesis_training.py), and enough for the polarised regime to show.  Measured
    on the procedural dSprites (conv beta-VAE, 10 latents, seed 0, variable types by the rule of
    Section 6.4.1 on 2,000 evaluation images): beta = 1 gave 0 passive, 3 mixed, 7 active
    variables; beta = 8 gave 5 passive, 1 mixed, 4 active (the thesis' beta = 8 model after 300k
    steps: 3, 3, 4, Sec. 6.5).  At the thesis' 1e-4, 1,500 steps left every variable of the
    beta = 8 model mixed.  ``paper`` is the thesis: 300k steps of batch 64 at 1e-4 on the 90 %
    split, checkpointed every 6,000 steps (Table C.1), 10,000 evaluation images.  The sweeps
    train the first and last regularisation strengths in ``smoke``, also the middle one in
    ``quick``, all of them in ``paper`` (``grid``).  ``paper-dry`` is ``paper`` with 4 steps (two
    epochs of 2, so that every figure has an early epoch), 512 training and 500 evaluation
    images: the thesis' architectures, batch size and learning rate.

    >>> settings("quick").grid, settings("smoke").steps
    ('ends_and_middle', 8)
    """
    paper = ThesisSettings(n_train=None, n_eval=10_000, steps=300_000, steps_per_epoch=6_000,
                           learning_rate=1e-4, grid="all")
    return by_profile(
        profile,
        smoke=ThesisSettings(n_train=256, n_eval=64, steps=8, steps_per_epoch=4, batch_size=32,
                             learning_rate=1e-3, grid="ends"),
        quick=ThesisSettings(n_train=20_000, n_eval=2_000, steps=1_500, steps_per_epoch=500,
                             learning_rate=1e-3, grid="ends_and_middle"),
        paper=paper,
        dry=capped(paper, n_train=512, n_eval=500, steps=4, steps_per_epoch=2))


# Regularisation strengths (Table C.2, chapter 7; chapter 6 used Locatello et al.'s grid, which
# extends these: beta up to 16, C_max up to 100, lambda_od up to 50; FactorVAE only in chapter 6).
REGULARISATION: dict[str, tuple[str, tuple[float, ...]]] = {
    "beta_vae": ("beta", (1.0, 2.0, 4.0, 6.0, 8.0)),
    "beta_tc_vae": ("beta", (1.0, 2.0, 4.0, 6.0, 8.0)),
    "dip_vae_ii": ("lambda_od", (1.0, 2.0, 5.0, 10.0, 20.0)),
    "annealed_vae": ("c_max", (5.0, 10.0, 25.0, 50.0, 75.0)),
    "factor_vae": ("gamma", (10.0, 20.0, 30.0, 40.0, 50.0, 100.0)),
}


def regularisation_values(model: str, training: ThesisSettings) -> tuple[str, tuple[float, ...]]:
    """The hyper-parameter a sweep varies for ``model`` and its values under ``training``.

    ``training.grid``: ``"all"`` (``paper``) the thesis' grid; ``"ends_and_middle"``
    (``quick``) its first, middle and last values; ``"ends"`` (``smoke``) its first and last.

    >>> regularisation_values("beta_vae", settings("quick"))
    ('beta', (1.0, 4.0, 8.0))
    """
    func = "regularisation_values"
    check_choice(model, sorted(REGULARISATION), name="model", func=func)
    if not isinstance(training, ThesisSettings):
        raise TypeError(f"{func}: `training` must be a ThesisSettings (settings(profile)); got "
                        f"{type(training).__name__}.")
    name, grid = REGULARISATION[model]
    values = {"ends": (grid[0], grid[-1]), "ends_and_middle": (grid[0], grid[len(grid) // 2], grid[-1]),
              "all": grid}[training.grid]
    return name, tuple(values)


# ------------------------------------------------------------------------- ledger labels
# Shared by the chapter 5-8 studies: how a profile's training differs from the thesis'.
def _rate(lr: float) -> str:
    """A learning rate as '1e-3'."""
    mantissa, exponent = f"{lr:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def join_substitutions(*parts: str | None) -> str | None:
    """The ``parts`` that are not None, once each, joined by ``'; '`` (None if none is).

    >>> join_substitutions(None, "a", "b", "a")
    'a; b'
    """
    kept = list(dict.fromkeys(p for p in parts if p))
    return "; ".join(kept) if kept else None


def training_substitution(training: ThesisSettings, *, steps: int | None = None) -> str | None:
    """How ``training`` differs from the thesis' (300,000 steps at a learning rate of 1e-4,
    Tables A.1 and C.1), for a record's ``substitution``; None when it does not.  ``steps``
    replaces ``training.steps`` (chapter 7's FC models train for their own number).

    >>> training_substitution(settings("quick"))
    '1,500 training steps at lr 1e-3 in place of 300,000 at 1e-4'
    >>> training_substitution(settings("paper")) is None
    True
    """
    func = "training_substitution"
    if not isinstance(training, ThesisSettings):
        raise TypeError(f"{func}: `training` must be a ThesisSettings (thesis_runs.settings("
                        f"profile)); got {type(training).__name__}.")
    thesis = settings("paper")
    steps = training.steps if steps is None else check_int(steps, name="steps", func=func,
                                                           minimum=1)
    if steps == thesis.steps and training.learning_rate == thesis.learning_rate:
        return None
    return (f"{steps:,} training steps at lr {_rate(training.learning_rate)} in place of "
            f"{thesis.steps:,} at {_rate(thesis.learning_rate)}")



# ---------------------------------------------------------------------------------- the run
@dataclass(frozen=True)
class ThesisRun:
    """Everything that determines one trained model (the cache key).

    Attributes
    ----------
    model : str
        One of :data:`latentdims.models.MODELS`.
    params : tuple of (name, value) pairs
        The model's hyper-parameters (fields of its config, e.g. ``(("beta", 8.0),)``); the
        others keep the thesis' defaults.  Sorted by name.
    dataset : str
        One of :data:`latentdims.data.images.DATASETS` (real files when present, else the
        labelled stand-in: see ``meta.json``'s ``stand_in``).
    latent_dim, architecture : int, str
    n_train, n_eval, steps, steps_per_epoch, batch_size : see :class:`ThesisSettings`
    learning_rate : float
        Adam's learning rate (see :class:`ThesisSettings`); Adam's other settings are the
        thesis' beta_1 0.9, beta_2 0.999, epsilon 1e-8 (Tables A.1, C.1, D.1).
    seed : int
        The model's seed (initial weights, sampler) and the batch order.
    data_seed : int
        Which images form the training and evaluation sets.
    snapshots : bool
        Keep the evaluation set's representations and the weights at every epoch end.
    data_source : str
        The identity of the data (:func:`latentdims.data.images.data_identity` of ``dataset``),
        filled in when the run is made (left empty, or naming another data set); part of the
        cache key.
    """
    model: str
    params: tuple[tuple[str, Any], ...] = ()
    dataset: str = "dsprites"
    latent_dim: int = 10
    architecture: str = "conv"
    n_train: int | None = 20_000
    n_eval: int = 2_000
    steps: int = 1_500
    steps_per_epoch: int = 500
    batch_size: int = 64
    learning_rate: float = 1e-4
    seed: int = 0
    data_seed: int = 0
    snapshots: bool = False
    version: int = _VERSION
    data_source: str = ""

    def __post_init__(self) -> None:
        func = "ThesisRun"
        check_choice(self.model, MODELS, name="model", func=func)
        check_choice(self.dataset, DATASETS, name="dataset", func=func)
        if not str(self.data_source).startswith(f"{self.dataset}: "):
            # what the data folder holds now (also after dataclasses.replace(run, dataset=...))
            object.__setattr__(self, "data_source", data_identity(self.dataset))
        for name in ("latent_dim", "n_eval", "steps", "steps_per_epoch", "batch_size"):
            check_int(getattr(self, name), name=name, func=func, minimum=1)
        if self.n_train is not None:
            check_int(self.n_train, name="n_train", func=func, minimum=1)
        if self.steps % self.steps_per_epoch:
            raise ValueError(f"{func}: `steps_per_epoch` ({self.steps_per_epoch}) must divide "
                             f"`steps` ({self.steps}); checkpoints and snapshots fall on epochs.")
        # sorted pairs, lists as tuples: one spelling per configuration, hashable, and equal to
        # what the loader reads back from the entry's JSON
        params = ((str(k), tuple(v) if isinstance(v, list) else v) for k, v in self.params)
        object.__setattr__(self, "params", tuple(sorted(params)))

    @property
    def epochs(self) -> int:
        return self.steps // self.steps_per_epoch

    def model_config(self, channels: int) -> dict[str, Any]:
        """Keyword arguments of :func:`latentdims.models.make_model` for ``channels``."""
        return {"latent_dim": self.latent_dim, "architecture": self.architecture,
                "channels": int(channels), "seed": self.seed, **dict(self.params)}


def thesis_run(model: str, training: ThesisSettings, *, dataset: str = "dsprites",
               latent_dim: int | None = None, architecture: str = "conv", seed: int = 0,
               data_seed: int = 0, snapshots: bool = False, steps: int | None = None,
               steps_per_epoch: int | None = None, **params: Any) -> ThesisRun:
    """A :class:`ThesisRun` with the sizes of ``training`` (:func:`settings`) and the given
    hyper-parameters, checked at once by building the model's config.

    ``latent_dim`` defaults to 10 (Table C.1), 30 for the iVAE (Table A.1).  ``steps`` and
    ``steps_per_epoch`` override the settings'; change any other field with
    ``dataclasses.replace(run, n_eval=10_000)``.

    >>> thesis_run("dip_vae_ii", settings("smoke"), lambda_od=5).params
    (('lambda_od', 5.0),)
    """
    if not isinstance(training, ThesisSettings):
        raise TypeError(f"thesis_run: `training` must be a ThesisSettings (settings(profile)); "
                        f"got {type(training).__name__}.")
    s = training
    cls = model_class(model)
    latent_dim = cls.config_class().latent_dim if latent_dim is None else latent_dim
    allowed = {f.name for f in dataclasses.fields(cls.config_class)} - {
        "latent_dim", "architecture", "channels", "seed"}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise TypeError(f"thesis_run: {model!r} has no hyper-parameter(s) "
                        f"{', '.join(map(repr, unknown))}; its hyper-parameters are "
                        f"{', '.join(sorted(allowed))}.")
    # a float setting given as an int (beta=8) is stored as a float, so both spell one cache key
    floats = {f.name for f in dataclasses.fields(cls.config_class) if str(f.type).startswith("float")}
    params = {k: float(v) if k in floats and isinstance(v, int) and not isinstance(v, bool) else v
              for k, v in params.items()}
    cls.config_class(latent_dim=latent_dim, architecture=architecture, seed=seed, **params)
    return ThesisRun(model=model, params=tuple(params.items()), dataset=dataset,
                     latent_dim=latent_dim, architecture=architecture, n_train=s.n_train,
                     n_eval=s.n_eval, steps=s.steps if steps is None else steps,
                     steps_per_epoch=s.steps_per_epoch if steps_per_epoch is None else steps_per_epoch,
                     batch_size=s.batch_size, learning_rate=s.learning_rate, seed=seed,
                     data_seed=data_seed, snapshots=snapshots)


# ---------------------------------------------------------------------------------- data
def cached_image_dataset(name: str, *, n: int | None = None, path=None, seed: int = 0,
                         allow_stand_in: bool = True) -> ImageDataset:
    """:func:`latentdims.data.images.load_image_dataset` with its rendered 3-D stand-ins
    (SmallNORB, Cars3D, Symsol) kept in the run cache (``stand_in_<name>``), keyed by
    ``(name, n, seed)`` and the renderer's version; real files and the other stand-ins are
    loaded afresh."""
    return load_image_dataset(name, n=n, path=path, seed=seed, allow_stand_in=allow_stand_in,
                              cache=cached_arrays)


class _LazyImages:
    """Binary dSprites images rendered on demand by position (for the full 90 % split)."""

    def __init__(self, indices: np.ndarray):
        self._ds, self._indices = ds.DSprites("binary"), indices

    def __len__(self) -> int:
        return len(self._indices)

    def __getitem__(self, i) -> np.ndarray:
        return self._ds.images(self._indices[i])


@dataclass(frozen=True)
class RunData:
    """The training and evaluation data of a run.

    ``train`` and ``evaluation`` are what the model takes: images (N, 64, 64, C), or (images, u)
    for the iVAE.  ``eval_classes`` (N_eval, K) and ``eval_indices`` (N_eval,) label the
    evaluation set.
    """
    train: Any
    evaluation: Any
    eval_classes: np.ndarray
    eval_indices: np.ndarray
    channels: int
    factor_names: tuple[str, ...]
    factor_sizes: tuple[int, ...]
    stand_in: bool
    description: str


def _check_data_source(run: ThesisRun, func: str) -> None:
    now = data_identity(run.dataset)
    if now != run.data_source:
        raise ValueError(f"{func}: the run was made for the data [{run.data_source}] but the data "
                         f"folder now holds [{now}]; a model trained on the one is not used with "
                         f"the other. Make the run again (thesis_run(...)) to use the data there "
                         f"now, or put back the data it was made for.")


def run_data(run: ThesisRun) -> RunData:
    """Load (or render) the run's images and split them into training and evaluation sets.

    Raises
    ------
    ValueError
        If the data folder no longer holds the data the run records (``run.data_source``).
    """
    _check_data_source(run, "run_data")
    lazy = run.n_train is None and run.dataset == "dsprites" and not has_real_data("dsprites")
    if lazy:
        order = np.random.default_rng(run.data_seed).permutation(ds.N_IMAGES)
        eval_idx, train_idx = order[:run.n_eval], order[run.n_eval:]
        x_eval = ds.DSprites("binary").images(eval_idx)
        train_x: Any = _LazyImages(train_idx)
        train_classes = ds.grid_index_to_classes(train_idx, ds.FACTOR_SIZES)
        eval_classes = ds.grid_index_to_classes(eval_idx, ds.FACTOR_SIZES)
        names, sizes, stand_in = ds.FACTOR_NAMES, ds.FACTOR_SIZES, True
        description = "procedural dSprites rendered batch by batch (STAND-IN, not the DeepMind pixels)"
        eval_indices = eval_idx.astype(np.int64)
    else:
        n = None if run.n_train is None else run.n_train + run.n_eval
        data = cached_image_dataset(run.dataset, n=n, seed=run.data_seed)
        if len(data) <= run.n_eval:
            raise ValueError(f"run_data: {run.dataset!r} has {len(data)} images, not more than "
                             f"`n_eval` = {run.n_eval}; lower n_eval.")
        split = len(data) - run.n_eval
        train_x, x_eval = data.images[:split], data.images[split:]
        train_classes, eval_classes = data.factor_classes[:split], data.factor_classes[split:]
        names, sizes, stand_in = data.factor_names, data.factor_sizes, data.stand_in
        description, eval_indices = data.description, data.indices[split:]
    train, evaluation = train_x, x_eval
    if run.model == "ivae":
        if not sizes:
            raise ValueError(f"run_data: the iVAE needs factor labels for its auxiliary variable "
                             f"u, and {run.dataset!r} has none here.")
        train = (train_x, auxiliary_from_factors(train_classes, sizes))
        evaluation = (x_eval, auxiliary_from_factors(eval_classes, sizes))
    return RunData(train, evaluation, np.asarray(eval_classes), np.asarray(eval_indices),
                   int(x_eval.shape[-1]), tuple(names), tuple(int(s) for s in sizes),
                   bool(stand_in), description)


def evaluation_data(run: ThesisRun) -> Any:
    """The run's evaluation input (``run_data(run).evaluation``), rendered once and cached.

    Analyses read a trained run's evaluation images many times (every FONDUE step, every layer
    comparison); rendering the whole data set for them each time costs seconds per call.  When
    the data are a procedural stand-in (no real files under ``$LATENTDIMS_DATA``) the images
    (and the iVAE's auxiliary variable) are kept in the cache (``thesis_eval``, compressed),
    keyed by what fixes them: data set, sizes, data seed and whether ``u`` is attached.  Real
    files are read afresh (they can change on disk; they are not copied into the cache).
    """
    if not isinstance(run, ThesisRun):
        raise TypeError(f"evaluation_data: `run` must be a ThesisRun; got {type(run).__name__}.")
    _check_data_source(run, "evaluation_data")
    if has_real_data(run.dataset):
        return run_data(run).evaluation
    ivae = run.model == "ivae"
    key = {"dataset": run.dataset, "n_train": run.n_train, "n_eval": run.n_eval,
           "data_seed": run.data_seed, "aux": ivae, "version": _VERSION,
           "data": run.data_source}

    def compute() -> dict[str, np.ndarray]:
        ev = run_data(run).evaluation
        return {"x": np.asarray(ev[0]), "u": np.asarray(ev[1])} if ivae else {"x": np.asarray(ev)}

    arrays = cached_arrays("thesis_eval", key, compute, compress=True)
    return (arrays["x"], arrays["u"]) if ivae else arrays["x"]


# ---------------------------------------------------------------------------------- training
def _evaluation_arrays(model, data: RunData) -> dict[str, np.ndarray]:
    reps = model.representations(data.evaluation)
    arrays = {"mean": reps.mean, "variance": reps.variance, "sampled": reps.sampled,
              "eval_classes": data.eval_classes, "eval_indices": data.eval_indices}
    if model.stochastic:
        model.reset_metrics()
        x = data.evaluation
        for start in range(0, len(reps.mean), 500):
            part = tuple(a[start:start + 500] for a in x) if isinstance(x, tuple) else x[start:start + 500]
            model.test_step(part)
        arrays["kl_per_latent"] = model.kl_per_latent_values().astype(np.float64)
        model.reset_metrics()
    if model.model_name == "ivae":
        arrays["prior_mean"], arrays["prior_variance"] = model.prior_parameters(data.evaluation[1])
    return arrays


def train_run(run: ThesisRun, *, progress: bool = True, rebuild: bool = False) -> Path:
    """Train ``run`` (or find it in the cache) and return its cache folder.

    A module-level function of one picklable argument, so :func:`latentdims.core.sweeps.run_sweep`
    can map it over runs in other processes.  An interrupted training resumes from its last
    epoch (the checkpoints live in the cache's work folder).
    """
    if not isinstance(run, ThesisRun):
        raise TypeError(f"train_run: `run` must be a ThesisRun (see thesis_run(...)); got "
                        f"{type(run).__name__}.")

    def build(out: Path, work: Path) -> None:
        data = run_data(run)
        model = make_model(run.model, **run.model_config(data.channels))
        snap_dir = work / "snapshots"

        def snapshot(epoch: int, model, logs) -> None:
            if run.snapshots:
                reps = model.representations(data.evaluation)
                save_weights(model, snap_dir / f"epoch_{epoch:05d}.npz")
                save_npz(snap_dir / f"reps_{epoch:05d}.npz", mean=reps.mean.astype(np.float32),
                         variance=reps.variance.astype(np.float32))

        config = TrainConfig(epochs=run.epochs, batch_size=run.batch_size,
                             steps_per_epoch=run.steps_per_epoch, learning_rate=run.learning_rate,
                             monitor="loss", adam_epsilon=1e-8)
        result = train(model, data.train, config=config, valid_data=data.evaluation,
                       seed=run.seed, checkpoint_dir=work, progress=progress,
                       desc=f"{run.model} seed {run.seed}", on_epoch_end=snapshot)
        save_weights(model, out / "model.npz")
        write_json(out / "history.json", result.history)
        save_npz(out / "representations.npz", **_evaluation_arrays(model, data))
        write_json(out / "meta.json", {
            "channels": data.channels, "factor_names": list(data.factor_names),
            "factor_sizes": list(data.factor_sizes), "stand_in": data.stand_in,
            "description": data.description, "model_class": type(model).__name__,
            "epochs_run": result.epochs_run, "nan_recoveries": result.nan_recoveries})
        if run.snapshots:
            epochs = list(range(run.epochs))
            stacks = [np.load(snap_dir / f"reps_{e:05d}.npz") for e in epochs]
            save_npz(out / "snapshots.npz", steps=np.array([(e + 1) * run.steps_per_epoch for e in epochs]),
                     mean=np.stack([s["mean"] for s in stacks]),
                     variance=np.stack([s["variance"] for s in stacks]))
            (out / "snapshots").mkdir()
            for e in epochs:
                shutil.copyfile(snap_dir / f"epoch_{e:05d}.npz", out / "snapshots" / f"epoch_{e:05d}.npz")

    return cached(CACHE_NAME, run, build, rebuild=rebuild)


# ---------------------------------------------------------------------------------- loading
@dataclass
class ThesisRunResult:
    """A trained run read back from its folder.

    Attributes
    ----------
    run : ThesisRun
    folder : Path
    model : ThesisVAE
        Rebuilt with the run's configuration and its final weights.
    history : list of dict
        Per-epoch logs (``loss``, ``reconstruction``, ``kl``, extra terms, ``val_*``).
    representations : Representations
        Of the evaluation set (``run_data(run).evaluation``).
    arrays : dict of str to ndarray
        Everything in ``representations.npz`` (``eval_classes``, ``kl_per_latent``,
        ``prior_mean``/``prior_variance`` for the iVAE ...).
    meta : dict
        ``channels``, ``factor_names``, ``factor_sizes``, ``stand_in``, ``description``.
    """
    run: ThesisRun
    folder: Path
    model: Any
    history: list
    representations: Any
    arrays: dict
    meta: dict


_AGAIN = "train_run(run) trains it again."


def read_run(folder: Path) -> ThesisRun:
    cfg = read_entry_json(folder, "config.json", func="read_run", again=_AGAIN)["config"]
    cfg["params"] = tuple((k, v) for k, v in cfg["params"])
    return ThesisRun(**cfg)


def rebuild_model(run: ThesisRun, meta: dict, weights: Path):
    model = make_model(run.model, **run.model_config(meta["channels"])).ensure_built()
    load_weights(model, weights)
    return model


def load_run(folder: str | Path) -> ThesisRunResult:
    """Read a folder written by :func:`train_run` and rebuild its model."""
    folder = Path(folder)
    if not (folder / "config.json").is_file() or not (folder / "model.npz").is_file():
        raise FileNotFoundError(f"load_run: {str(folder)!r} is not a trained-run folder (no "
                                f"config.json and model.npz); get one from train_run(...).")
    run = read_run(folder)
    meta = read_entry_json(folder, "meta.json", func="load_run", again=_AGAIN)
    history = read_entry_json(folder, "history.json", func="load_run", again=_AGAIN)
    arrays = read_entry_npz(folder, "representations.npz", func="load_run", again=_AGAIN)
    read_entry_npz(folder, "model.npz", func="load_run", again=_AGAIN)    # readable, whole
    reps = Representations(mean=arrays["mean"], variance=arrays["variance"], sampled=arrays["sampled"])
    return ThesisRunResult(run, folder, rebuild_model(run, meta, folder / "model.npz"), history,
                           reps, arrays, meta)


def load_snapshots(folder: str | Path) -> dict[str, np.ndarray]:
    """The evaluation set's representations at every epoch end of a ``snapshots=True`` run:
    ``steps`` (S,), ``mean`` and ``variance`` (S, N_eval, n) float32."""
    path = Path(folder) / "snapshots.npz"
    if not path.is_file():
        raise FileNotFoundError(f"load_snapshots: {str(path)!r} does not exist; train the run "
                                f"with thesis_run(..., snapshots=True).")
    return read_entry_npz(Path(folder), "snapshots.npz", func="load_snapshots", again=_AGAIN)


def load_snapshot_model(folder: str | Path, epoch: int):
    """The model as it was at the end of ``epoch`` (0-based) of a ``snapshots=True`` run."""
    folder = Path(folder)
    run = read_run(folder)
    check_int(epoch, name="epoch", func="load_snapshot_model", minimum=0)
    path = folder / "snapshots" / f"epoch_{epoch:05d}.npz"
    if not path.is_file():
        raise FileNotFoundError(f"load_snapshot_model: no snapshot for epoch {epoch} in "
                                f"{str(folder)!r}; the run has epochs 0-{run.epochs - 1} and "
                                f"snapshots={run.snapshots}.")
    meta = read_entry_json(folder, "meta.json", func="load_snapshot_model", again=_AGAIN)
    return rebuild_model(run, meta, path)
