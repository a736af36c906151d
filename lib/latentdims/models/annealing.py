r"""beta-annealing of the EMD-VAE: the schedule, a resumable runner, and the reader of a run.

The jet papers train the EMD-VAE in stages over a log-uniform grid of :math:`\hat\beta` in
:math:`10^{-5}..1`, keeping the weights from stage to stage (NeurIPS ML4PS 2021 paper,
Sec. 2; ICLR 2022 paper, Sec. 1 and App. A.1.3):

1. a *priming* run upwards from the smallest :math:`\hat\beta` to the largest;
2. a *zig-zag* back down: short upward runs, each starting lower than the last, until a run
   starts at the smallest value again;
3. a *production* run upwards over the priming values; its end-of-step weights are studied.

Per step: up to ``epochs`` epochs, early stopping, learning-rate reduction on a plateau (factor
:math:`\sqrt{0.1}`), the learning rate reset to its start value, all by
:func:`latentdims.models.training.train`.  Units: :math:`\beta = \langle H_T\rangle\hat\beta` in GeV.

* :class:`AnnealSchedule` -- the sequence of steps (phase, segment, :math:`\hat\beta`).
* :class:`AnnealSettings` -- model, schedule, training and data sizes of a run (the sizes of each
  profile: :func:`latentdims.studies.jet_vae.settings`).
* :func:`train_annealing` -- the runner: a manifest (JSON) of finished steps, each with its
  :math:`\hat\beta`, metrics and history, and its weights and optimizer state saved atomically;
  a killed run resumes at the step and epoch it reached; NaN losses are recovered from a
  bounded number of times (``TrainConfig.max_nan_recoveries``).
* :func:`export_run` -- a finished run's manifest and per-step weights, copied out of its work
  folder; :class:`AnnealRun` reads such a folder back.  The cached run (keyed by the full
  configuration) is :func:`latentdims.studies.jet_vae.annealing_run`.
"""
from __future__ import annotations

import dataclasses
import math
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import keras
import numpy as np
from tqdm.auto import tqdm

from latentdims.core.io import DamagedFileError, read_json, to_jsonable, write_json
from latentdims.core.validation import check_choice, check_int, check_positive
from latentdims.models.jet_vae import JetVAE, config_from_dict
from latentdims.models.training import (RESUME_MODES, CheckpointError, CheckpointMismatchError,
                                        TrainConfig, data_fingerprint, load_state, load_weights,
                                        resume_differences, save_state, train)

__all__ = ["PHASES", "JET_PROCESSES", "RUNNER_VERSION", "AnnealSchedule", "AnnealSettings",
           "train_annealing", "step_dir", "export_run", "AnnealRun"]

PHASES = ("priming", "zigzag", "production")
JET_PROCESSES = ("w", "top", "qcd", "mix")
RUNNER_VERSION = 1     # bump when the runner's output changes (part of the cached runs' keys)


# ----------------------------------------------------------------------------------- schedule
@dataclass(frozen=True)
class AnnealSchedule:
    r"""The annealing schedule over a log-uniform grid of :math:`\hat\beta`.

    .. math::
        \hat\beta_k = \hat\beta_{\min}\left(\hat\beta_{\max}/\hat\beta_{\min}\right)^{k/(K-1)},
        \quad k = 0..K-1,\quad K = \operatorname{round}(n_{\rm dec}\log_{10}
        (\hat\beta_{\max}/\hat\beta_{\min})) + 1

    Priming: :math:`k = 0..K-1`.  Zig-zag: runs :math:`k = s..\min(s + L - 1, K - 1)` for
    :math:`s = K-1-d, K-1-2d, \dots`, the last one starting at 0.  Production: :math:`k =
    0..K-1` again.

    Attributes
    ----------
    beta_min, beta_max : float
        Ends of the grid of :math:`\hat\beta` (dimensionless; the papers: :math:`10^{-5}`, 1).
    per_decade : int
        Grid points per decade (:math:`n_{\rm dec}`; four in the papers' Fig. 4/6).
    zigzag_drop : int
        Grid points :math:`d` between the starts of successive zig-zag runs.
    zigzag_length : int
        Steps :math:`L` of each zig-zag run.

    Choosing parameters
    -------------------
    The papers give the range and that the grid is log-uniform (ICLR 2022 paper, Sec. 1); the numbers of
    the zig-zag are read off the schedule figure (``000`` Fig. 4, ``001`` Fig. 6): short runs of a
    few steps, each starting a little lower.  Finer grids give smoother D1, D2 (finite
    differences between neighbouring production steps) at a proportional training cost.

    Examples
    --------
    >>> s = AnnealSchedule(beta_min=0.01, beta_max=1.0, per_decade=1, zigzag_drop=1,
    ...                    zigzag_length=2)
    >>> [(p, round(b, 2)) for p, _, b in s.steps()]  # doctest: +NORMALIZE_WHITESPACE
    [('priming', 0.01), ('priming', 0.1), ('priming', 1.0),
     ('zigzag', 0.1), ('zigzag', 1.0), ('zigzag', 0.01), ('zigzag', 0.1),
     ('production', 0.01), ('production', 0.1), ('production', 1.0)]
    """
    beta_min: float = 1e-5          # NeurIPS Sec. 2, ICLR Sec. 1: log-uniform in 1e-5..1
    beta_max: float = 1.0
    per_decade: int = 4             # four values per decade (the authors' public code)
    zigzag_drop: int = 2            # read off 000 Fig. 4 / 001 Fig. 6
    zigzag_length: int = 3

    def __post_init__(self) -> None:
        func = "AnnealSchedule"
        check_positive(self.beta_min, name="beta_min", func=func)
        check_positive(self.beta_max, name="beta_max", func=func)
        if not self.beta_max > self.beta_min:
            raise ValueError(f"{func}: `beta_max` must exceed `beta_min`; got beta_min="
                             f"{self.beta_min!r}, beta_max={self.beta_max!r}.")
        check_int(self.per_decade, name="per_decade", func=func, minimum=1)
        check_int(self.zigzag_drop, name="zigzag_drop", func=func, minimum=1)
        check_int(self.zigzag_length, name="zigzag_length", func=func, minimum=1)

    def grid(self) -> np.ndarray:
        """The :math:`\\hat\\beta` grid, increasing, shape (K,)."""
        decades = math.log10(self.beta_max / self.beta_min)
        k = max(int(round(self.per_decade * decades)) + 1, 2)
        return np.logspace(math.log10(self.beta_min), math.log10(self.beta_max), k)

    def grid_indices(self) -> list[tuple[str, int, int]]:
        """``(phase, segment, grid index)`` of every step, in training order."""
        k = len(self.grid())
        steps = [("priming", 0, i) for i in range(k)]
        segment, start = 1, k - 1
        while start > 0:
            start = max(start - self.zigzag_drop, 0)
            stop = min(start + self.zigzag_length, k)
            steps += [("zigzag", segment, i) for i in range(start, stop)]
            segment += 1
        steps += [("production", segment, i) for i in range(k)]
        return steps

    def steps(self) -> list[tuple[str, int, float]]:
        """``(phase, segment, beta_hat)`` of every step, in training order."""
        grid = self.grid()
        return [(phase, seg, float(grid[i])) for phase, seg, i in self.grid_indices()]


# ----------------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class AnnealSettings:
    r"""Everything an annealing run depends on besides the data's process, centring and seed.

    Attributes
    ----------
    model : JetVAEConfig
        The architecture (its ``seed`` is replaced by the run's seed).
    schedule : AnnealSchedule
    train : TrainConfig
        Per-step training (``epochs`` is replaced per phase by ``epochs``).
    epochs : tuple of int
        Maximum epochs per step in the priming, zig-zag and production phases.
    n_train, n_valid : int
        Training jets and validation jets (early stopping and the per-step measurements).
    measure_batch : int
        Jets per Sinkhorn call when measuring D, R and the per-latent KL after each step.
    first_epochs : int or None
        Maximum epochs of the very first step (priming at the smallest :math:`\hat\beta`, from
        the random initialisation); None: as the other priming steps.  A small network leaves
        the collapsed state (every jet decoded to the mean jet) only after one to two thousand
        batches at a small :math:`\hat\beta`; later steps start from trained weights and need
        far fewer.
    """
    model: Any
    schedule: AnnealSchedule
    train: TrainConfig
    epochs: tuple[int, int, int]
    n_train: int
    n_valid: int
    measure_batch: int = 100
    first_epochs: int | None = None

    def __post_init__(self) -> None:
        func = "AnnealSettings"
        if not isinstance(self.schedule, AnnealSchedule):
            raise TypeError(f"{func}: `schedule` must be an AnnealSchedule; got "
                            f"{type(self.schedule).__name__}.")
        if not isinstance(self.train, TrainConfig):
            raise TypeError(f"{func}: `train` must be a TrainConfig; got "
                            f"{type(self.train).__name__}.")
        if not isinstance(self.epochs, (tuple, list)) or len(self.epochs) != len(PHASES):
            raise TypeError(f"{func}: `epochs` must be a tuple of {len(PHASES)} integers (the "
                            f"maximum epochs of a {', '.join(PHASES)} step); got "
                            f"{self.epochs!r}.")
        for phase, epochs in zip(PHASES, self.epochs):
            check_int(epochs, name=f"epochs ({phase})", func=func, minimum=1)
        for name in ("n_train", "n_valid", "measure_batch"):
            check_int(getattr(self, name), name=name, func=func, minimum=1)
        if self.first_epochs is not None:
            check_int(self.first_epochs, name="first_epochs", func=func, minimum=1)

    def epochs_for(self, phase: str, index: int | None = None) -> int:
        """Maximum epochs of a step of ``phase`` (``index``: its global index; step 0 may get
        ``first_epochs``)."""
        if index == 0 and self.first_epochs is not None:
            return self.first_epochs
        return self.epochs[PHASES.index(phase)]


# ------------------------------------------------------------------------------------- runner
def step_dir(work: str | Path, index: int) -> Path:
    """The folder of finished step ``index`` in a run's work folder (weights, optimizer state)."""
    return Path(work) / "steps" / f"step_{index:03d}"


def _work_remedy(work: Path) -> str:
    return (f"Delete the work folder {str(work)!r} (the run then starts again from its first "
            f"step) or pass resume='restart'.")


def _run_record(settings: AnnealSettings, model_config, train_data: dict, valid_data: dict,
                ht_mean: float, seed: int) -> dict:
    """What a run's manifest records of it: everything that changes its result."""
    return to_jsonable({"settings": {**dataclasses.asdict(settings),
                                     "model": dataclasses.asdict(model_config)},
                        "seed": seed, "ht_mean": float(ht_mean),
                        **data_fingerprint(train_data, name="train_data"),
                        **data_fingerprint(valid_data, name="valid_data")})


def _read_manifest(path: Path, work: Path, run: dict) -> dict:
    """The manifest of a started run, checked to be this run's."""
    remedy = _work_remedy(work)
    try:
        manifest = read_json(path, func="train_annealing", remedy=remedy)
    except DamagedFileError as exc:
        raise CheckpointError(str(exc), path=path) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("steps"), list):
        raise CheckpointError(f"train_annealing: the file {str(path)!r} is not a run's manifest "
                              f"(no list of `steps`). {remedy}", path=path)
    old = manifest.get("run")
    if old is None:
        warnings.warn(f"train_annealing: the run in {str(work)!r} was started before manifests "
                      f"recorded their settings; it is resumed without checking that they match "
                      f"this call. {remedy}", stacklevel=3)
        return manifest
    differences = resume_differences(old, run)
    if differences:
        items = "; ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in list(differences.items())[:8])
        raise CheckpointMismatchError(
            f"train_annealing: the run in {str(work)!r} was started with other settings or "
            f"data: {items}{'; ...' if len(differences) > 8 else ''}. Continuing it would mix "
            f"two runs. Use another work_dir, or {remedy[0].lower()}{remedy[1:]}",
            folder=work, differences=differences)
    return manifest


def train_annealing(settings: AnnealSettings, train_data: dict, valid_data: dict, *,
                    work_dir: str | Path, ht_mean: float, seed: int = 0, progress: bool = True,
                    resume: str = "auto", on_epoch_end: Callable | None = None) -> dict:
    """Train a :class:`~latentdims.models.jet_vae.JetVAE` through ``settings.schedule``.

    Resumable: ``work_dir/manifest.json`` lists the finished steps; ``work_dir/steps/step_NNN``
    holds each finished step's weights, optimizer state and metrics (written atomically before the
    manifest names it); ``work_dir/run/step_NNN`` is the running step's per-epoch checkpoint
    (:func:`latentdims.models.training.train`).  Calling again after a kill continues at the step and
    epoch reached and gives the same weights as an uninterrupted run on the CPU.

    Parameters
    ----------
    settings : AnnealSettings
    train_data, valid_data : dict
        ``{"weights": (N, P), "points": (N, P, 2)}`` (:func:`~latentdims.models.jet_vae.jet_batch`);
        ``valid_data`` drives early stopping and the per-step measurements.
    work_dir : path
    ht_mean : float
        :math:`\\langle H_T\\rangle` in GeV, to record :math:`\\beta` in GeV.
    seed : int
        Seeds the model (initialisation, sampler) and the batch order.
    resume : {"auto", "restart"}
        ``"auto"``: continue a started run in ``work_dir`` if it was started with the same
        settings, seed, ``ht_mean`` and data (recorded in the manifest: all of
        ``settings``, and :func:`~latentdims.models.training.data_fingerprint` of both data
        sets); another run's folder raises
        :class:`~latentdims.models.training.CheckpointMismatchError` naming what differs.
        ``"restart"``: delete the run's files in ``work_dir`` and start again.
    on_epoch_end : callable ``(epoch, model, logs)``, optional
        Passed to :func:`~latentdims.models.training.train` (tests use it to interrupt a run).

    Returns
    -------
    dict
        The manifest: ``model`` (the architecture as a dict), ``ht_mean``, ``steps`` (list of
        dicts with ``index``, ``phase``, ``segment``, ``beta_hat``, ``beta_gev``, ``epochs``,
        ``stopped_early``, ``nan_recoveries``, ``metrics``, ``history``), ``run`` (what the
        run was, for resuming).

    Raises
    ------
    CheckpointMismatchError
        ``work_dir`` holds a run of other settings or data.
    CheckpointError
        A file of the run (manifest, a step's state) is damaged; the message names it.
    """
    func = "train_annealing"
    if not isinstance(settings, AnnealSettings):
        raise TypeError(f"{func}: `settings` must be an AnnealSettings; got "
                        f"{type(settings).__name__}.")
    check_positive(ht_mean, name="ht_mean", func=func)
    seed = check_int(seed, name="seed", func=func, minimum=0)
    check_choice(resume, RESUME_MODES, name="resume", func=func)
    for name, data in (("train_data", train_data), ("valid_data", valid_data)):
        if not isinstance(data, dict):
            raise TypeError(f"{func}: `{name}` must be a dict of arrays (jet_batch(...)); got "
                            f"{type(data).__name__}.")
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    model_config = dataclasses.replace(settings.model, seed=seed)
    steps = settings.schedule.steps()
    manifest_path = work / "manifest.json"
    run = _run_record(settings, model_config, train_data, valid_data, ht_mean, seed)
    if resume == "restart":
        manifest_path.unlink(missing_ok=True)
        for sub in ("steps", "run"):
            shutil.rmtree(work / sub, ignore_errors=True)
    if manifest_path.is_file():
        manifest = _read_manifest(manifest_path, work, run)
    else:
        manifest = {"model": dataclasses.asdict(model_config), "ht_mean": float(ht_mean),
                    "version": RUNNER_VERSION, "run": run, "steps": []}
    done = len(manifest["steps"])
    model = JetVAE(model_config, beta_hat=steps[0][2])
    # train() keeps its traced step functions on the model (training.step_function): the steps
    # are traced once per run, not once per beta step.
    if done:
        # Continue from the state at the end of the last finished step (weights, sampler state,
        # optimizer moments): exactly what the uninterrupted run carries into the next step.
        model.ensure_built()
        t = settings.train
        model.compile(optimizer=keras.optimizers.Adam(
            learning_rate=t.learning_rate, beta_1=t.adam_beta_1, beta_2=t.adam_beta_2,
            epsilon=t.adam_epsilon))
        model.optimizer.build(model.trainable_variables)
        load_state(step_dir(work, done - 1), model, func=func, remedy=_work_remedy(work))
    bar = tqdm(total=len(steps), initial=done, desc="annealing", unit="step",
               disable=not progress)
    for index in range(done, len(steps)):
        phase, segment, beta_hat = steps[index]
        beta_gev = float(ht_mean * beta_hat)
        model.beta_hat.assign(beta_hat)
        config = dataclasses.replace(settings.train, epochs=settings.epochs_for(phase, index))
        running = work / "run" / f"step_{index:03d}"
        result = train(model, train_data, config=config, valid_data=valid_data,
                       seed=seed * 100_003 + index, checkpoint_dir=running, progress=progress,
                       desc=f"step {index} {phase} beta={beta_gev:.3g} GeV",
                       on_epoch_end=on_epoch_end)
        metrics = model.measure(valid_data, batch_size=settings.measure_batch, seed=seed)
        record = {"index": index, "phase": phase, "segment": segment, "beta_hat": beta_hat,
                  "beta_gev": beta_gev, "epochs": result.epochs_run,
                  "stopped_early": result.stopped_early, "nan_recoveries": result.nan_recoveries,
                  "metrics": metrics, "history": result.history,
                  "weights": f"steps/step_{index:03d}.npz"}
        save_state(step_dir(work, index), model, record)
        manifest["steps"].append(record)
        write_json(manifest_path, manifest)
        # The finished step's per-epoch checkpoint is no longer needed (its end state is saved).
        shutil.rmtree(running, ignore_errors=True)
        bar.update(1)
        bar.set_postfix(phase=phase, beta=f"{beta_gev:.3g}GeV", D=f"{metrics['distortion']:.3g}",
                        R=f"{metrics['rate']:.3g}")
    bar.close()
    return manifest


def export_run(manifest: dict, work_dir: str | Path, out_dir: str | Path, **labels) -> Path:
    """Copy a finished run out of its work folder: ``out_dir/steps/step_NNN.npz`` (the weights at
    the end of every step) and ``out_dir/manifest.json`` (``manifest`` plus ``labels``, e.g. the
    process, centring and seed that :class:`AnnealRun` reports).

    Parameters
    ----------
    manifest : dict
        What :func:`train_annealing` returned.
    work_dir : path
        Its ``work_dir``.
    out_dir : path
        An existing, empty folder.
    **labels
        JSON-serialisable values added to the manifest.
    """
    out = Path(out_dir)
    (out / "steps").mkdir()
    for record in manifest["steps"]:
        shutil.copyfile(step_dir(work_dir, record["index"]) / "model.npz", out / record["weights"])
    write_json(out / "manifest.json", {**manifest, **labels})
    return out


@dataclass
class AnnealRun:
    """A finished annealing run: its manifest and its per-step weights (:func:`export_run`).

    ``sampler(split, n) -> (JetSample, labels or None)`` gives the run's jets (:meth:`data`,
    :meth:`labels`); :func:`latentdims.studies.jet_vae.annealing_run` supplies it.
    """
    path: Path
    sampler: Callable | None = field(default=None, repr=False, compare=False)
    manifest: dict = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.manifest = read_json(self.path / "manifest.json", func="AnnealRun",
                                  remedy="Train the run again (export_run writes the folder).")

    # -- description
    @property
    def steps(self) -> list[dict]:
        return self.manifest["steps"]

    @property
    def ht_mean(self) -> float:
        """:math:`\\langle H_T\\rangle` of the training jets [GeV]."""
        return float(self.manifest["ht_mean"])

    @property
    def profile(self) -> str:
        """The profile the run was trained in (a label written by the study)."""
        return self.manifest["profile"]

    @property
    def process(self) -> str:
        return self.manifest["process"]

    @property
    def centred(self) -> bool:
        return bool(self.manifest["centred"])

    @property
    def latent_dim(self) -> int:
        return int(self.manifest["model"]["latent_dim"])

    def phases(self) -> list[str]:
        return [s["phase"] for s in self.steps]

    def indices(self, phase: str | None = None, segment: int | None = None) -> np.ndarray:
        """Global indices of the steps of ``phase`` (and ``segment``), in training order."""
        if phase is not None:
            check_choice(phase, PHASES, name="phase", func="AnnealRun.indices")
        return np.array([s["index"] for s in self.steps
                         if (phase is None or s["phase"] == phase)
                         and (segment is None or s["segment"] == segment)], dtype=int)

    def beta_gev(self, phase: str | None = None) -> np.ndarray:
        """:math:`\\beta` [GeV] of each step of ``phase`` (all steps if None)."""
        return np.array([self.steps[i]["beta_gev"] for i in self.indices(phase)])

    def metric(self, name: str, phase: str | None = None) -> np.ndarray:
        """A per-step measurement (``distortion``, ``rate``, ``emd``, ``loss``, ``kl_per_latent``,
        ``log_sigma``...) of the steps of ``phase``, stacked."""
        return np.array([self.steps[i]["metrics"][name] for i in self.indices(phase)])

    def closest_step(self, beta_gev: float, phase: str = "production") -> int:
        """Global index of the step of ``phase`` whose beta is closest to ``beta_gev`` (in log)."""
        check_positive(beta_gev, name="beta_gev", func="AnnealRun.closest_step")
        idx = self.indices(phase)
        if len(idx) == 0:
            raise ValueError(f"AnnealRun.closest_step: the run has no {phase!r} steps.")
        betas = self.beta_gev(phase)
        return int(idx[np.argmin(np.abs(np.log(betas / beta_gev)))])

    # -- models and data
    def load_model(self, step: int):
        """The JetVAE at the end of ``step`` (a global index), built and with its weights."""
        step = check_int(step, name="step", func="AnnealRun.load_model", minimum=0)
        if step >= len(self.steps):
            raise ValueError(f"AnnealRun.load_model: `step` must be < {len(self.steps)} (the "
                             f"run's steps); got {step}.")
        record = self.steps[step]
        model = JetVAE(config_from_dict(self.manifest["model"]), beta_hat=record["beta_hat"])
        model.ensure_built()
        load_weights(model, self.path / record["weights"])
        return model

    def model_at(self, beta_gev: float, phase: str = "production"):
        """:meth:`load_model` at :meth:`closest_step`."""
        return self.load_model(self.closest_step(beta_gev, phase))

    def _sample(self, split: str, n: int | None):
        if self.sampler is None:
            raise ValueError("AnnealRun.data: this run was opened without a `sampler`, so it "
                             "cannot load its jets; open it with "
                             "latentdims.studies.jet_vae.annealing_run, or pass "
                             "AnnealRun(path, sampler=...).")
        return self.sampler(split, n)

    def data(self, split: str = "valid", n: int | None = None):
        """The run's jets of ``split`` (same process, centring and mixing seed)."""
        return self._sample(split, n)[0]

    def labels(self, split: str = "valid", n: int | None = None) -> np.ndarray | None:
        """Truth labels of :meth:`data` for the mixed sample (1 = top, 0 = QCD), else None."""
        return self._sample(split, n)[1]
