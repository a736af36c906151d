"""One training loop for every model of the project (toy VAEs, the jet VAE, the thesis' VAEs).

:func:`train` runs epochs of a Keras 3 model's own ``train_step``/``test_step`` (the model owns
its loss and metric trackers) and adds what the documents' protocols need and ``model.fit`` does
not give in a resumable way:

* deterministic batches: the order of epoch ``e`` is a permutation drawn from ``(seed, e)``, so a
  resumed run sees the same batches as an uninterrupted one;
* early stopping and learning-rate reduction on a plateau of a monitored quantity (the jet
  papers: patience 10 and 5 epochs, factor sqrt(0.1));
* an atomic checkpoint at the end of every epoch (weights including the sampler's seed state,
  optimizer slots, counters, history), from which an interrupted run resumes;
* a NaN or infinite loss either raises ``FloatingPointError`` naming the epoch and step, or, if
  ``max_nan_recoveries > 0``, reloads the state at the start of the epoch, lowers the learning
  rate and tries again, a bounded number of times;
* tqdm progress bars per epoch and per step.

Annealing schedules (the jet papers' beta-annealing) call :func:`train` once per step with the
step's own checkpoint folder.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from latentdims.core.io import atomic_dir, atomic_path, write_json

__all__ = ["TrainConfig", "TrainResult", "train", "batch_of", "n_examples", "save_state",
           "load_state", "save_weights", "load_weights"]


@dataclass(frozen=True)
class TrainConfig:
    """How to train.  Defaults are plain; each caller sets its document's values.

    Attributes
    ----------
    epochs : int
        Maximum number of epochs.
    batch_size : int
    steps_per_epoch : int or None
        ``None``: one pass over the training data (the last partial batch is dropped so that
        every step has the same shape).  The jet papers use 1000 steps of 100 jets.
    learning_rate : float
        Set at the start of every call (the jet papers reset it at each beta step).
    early_stopping_patience, lr_patience : int or None
        Epochs without improvement of ``monitor`` (by more than ``min_delta``) before stopping,
        or before multiplying the learning rate by ``lr_factor``.
    monitor : str
        A key of the epoch's logs, e.g. ``"val_loss"`` or ``"loss"``.
    restore_best : bool
        At the end, go back to the weights of the best monitored epoch.
    max_nan_recoveries : int
        0: a non-finite loss raises.  N > 0: up to N times, reload the epoch's starting state and
        multiply the learning rate by ``nan_lr_factor``.
    adam_beta_1, adam_beta_2, adam_epsilon : float
        Adam's settings when :func:`train` compiles the model (the thesis: 0.9, 0.999, 1e-8).
    jit_compile : bool
        Compile the steps with XLA.
    """
    epochs: int
    batch_size: int
    steps_per_epoch: int | None = None
    learning_rate: float = 1e-4
    early_stopping_patience: int | None = None
    lr_patience: int | None = None
    lr_factor: float = 0.1 ** 0.5
    min_lr: float = 0.0
    min_delta: float = 0.0
    monitor: str = "val_loss"
    restore_best: bool = False
    max_nan_recoveries: int = 0
    nan_lr_factor: float = 0.1
    adam_beta_1: float = 0.9
    adam_beta_2: float = 0.999
    adam_epsilon: float = 1e-7
    jit_compile: bool = False

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"TrainConfig: `{name}` must be an integer >= 1; got {v!r}.")
        if self.steps_per_epoch is not None and self.steps_per_epoch < 1:
            raise ValueError(f"TrainConfig: `steps_per_epoch` must be None or >= 1; got {self.steps_per_epoch!r}.")
        if not self.learning_rate > 0:
            raise ValueError(f"TrainConfig: `learning_rate` must be > 0; got {self.learning_rate!r}.")
        if not 0 < self.lr_factor <= 1 or not 0 < self.nan_lr_factor <= 1:
            raise ValueError("TrainConfig: `lr_factor` and `nan_lr_factor` must lie in (0, 1].")


@dataclass
class TrainResult:
    """What :func:`train` did: the per-epoch history and how it ended."""
    history: list[dict[str, float]] = field(default_factory=list)
    stopped_early: bool = False
    best_epoch: int | None = None
    best_value: float | None = None
    nan_recoveries: int = 0
    resumed_from_epoch: int | None = None

    @property
    def epochs_run(self) -> int:
        return len(self.history)


# ---------------------------------------------------------------------------------------- data
def n_examples(data: Any) -> int:
    """Number of examples of an array-like or a tuple/list/dict of same-length array-likes."""
    if isinstance(data, Mapping):
        lengths = {k: len(v) for k, v in data.items()}
    elif isinstance(data, (tuple, list)):
        lengths = {i: len(v) for i, v in enumerate(data)}
    else:
        return len(data)
    if len(set(lengths.values())) != 1:
        raise ValueError(f"train: the parts of the data must have the same number of examples; "
                         f"got {lengths}.")
    return next(iter(lengths.values()))


def batch_of(data: Any, index: np.ndarray) -> Any:
    """Index every part of ``data`` with the integer array ``index`` (same structure back)."""
    if isinstance(data, Mapping):
        return {k: np.asarray(v[index]) for k, v in data.items()}
    if isinstance(data, (tuple, list)):
        return tuple(np.asarray(v[index]) for v in data)
    return np.asarray(data[index])


def _epoch_order(n: int, steps: int, batch: int, seed: int, epoch: int) -> np.ndarray:
    """Indices for ``steps`` batches of epoch ``epoch``: permutations drawn from (seed, epoch)."""
    rng = np.random.default_rng([seed, epoch])
    need = steps * batch
    order = [rng.permutation(n) for _ in range(math.ceil(need / n))]
    return np.concatenate(order)[:need].reshape(steps, batch)


# --------------------------------------------------------------------------------- checkpoints
def _variables(model) -> list:
    return list(model.variables)


def save_weights(model, path: str | Path) -> Path:
    """Save every variable of ``model`` (weights, sampler state, beta) to an ``.npz``, atomically."""

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, *[np.asarray(v.numpy()) for v in _variables(model)])
    return Path(path)


def load_weights(model, path: str | Path) -> None:
    """Assign what :func:`save_weights` wrote to a built ``model`` of the same architecture."""
    _assign(_variables(model), _load_npz(Path(path)), "model")


def save_state(folder: Path, model, state: Mapping[str, Any], best_weights: list | None = None) -> None:
    """Write model variables, optimizer variables and ``state`` (JSON) atomically to ``folder``."""
    with atomic_dir(folder) as tmp:
        save_weights(model, tmp / "model.npz")
        if getattr(model, "optimizer", None) is not None and model.optimizer.built:
            with open(tmp / "optimizer.npz", "wb") as f:
                np.savez(f, *[np.asarray(v.numpy()) for v in model.optimizer.variables])
        if best_weights is not None:
            with open(tmp / "best.npz", "wb") as f:
                np.savez(f, *best_weights)
        write_json(tmp / "state.json", {**state, "variables": [v.path for v in _variables(model)]})


def _assign(variables: Sequence, arrays: Sequence[np.ndarray], what: str) -> None:
    if len(variables) != len(arrays):
        raise ValueError(f"train: the checkpoint holds {len(arrays)} {what} variables but the model "
                         f"has {len(variables)}; it was written by a different architecture.")
    for v, a in zip(variables, arrays):
        if tuple(v.shape) != tuple(a.shape):
            raise ValueError(f"train: checkpoint variable for {v.path} has shape {a.shape}, the "
                             f"model's has {tuple(v.shape)}; it was written by a different architecture.")
        v.assign(a)


def _load_npz(path: Path) -> list[np.ndarray]:
    with np.load(path) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


def load_state(folder: Path, model, *, optimizer: bool = True) -> dict[str, Any]:
    """Restore what :func:`save_state` wrote; returns the state dictionary."""
    folder = Path(folder)
    load_weights(model, folder / "model.npz")
    if optimizer and (folder / "optimizer.npz").is_file():
        _assign(model.optimizer.variables, _load_npz(folder / "optimizer.npz"), "optimizer")
    with open(folder / "state.json") as f:
        return json.load(f)


# -------------------------------------------------------------------------------------- train
def _compile(model, config: TrainConfig) -> None:
    import keras

    if getattr(model, "optimizer", None) is None:
        model.compile(optimizer=keras.optimizers.Adam(
            learning_rate=config.learning_rate, beta_1=config.adam_beta_1,
            beta_2=config.adam_beta_2, epsilon=config.adam_epsilon))


def step_function(model, name: str, *, jit_compile: bool = False):
    """``model.<name>`` wrapped in a ``tf.function``, made once per model and kept on it.

    :func:`train` runs many times on the same model (every beta step of an annealing run, every
    epoch budget of a FONDUE search); wrapping the step anew at each call would trace it anew
    each time, which dominates short trainings.  The wrapper is stored on the model (keyed by
    ``name`` and ``jit_compile``), so it lives and dies with the model and nothing is global.
    """
    import tensorflow as tf

    store = model.__dict__.setdefault("_latentdims_step_functions", {})
    key = (name, bool(jit_compile))
    if key not in store:
        store[key] = tf.function(getattr(model, name), jit_compile=bool(jit_compile),
                                 reduce_retracing=True)
    return store[key]


def _logs_to_float(logs: Mapping[str, Any]) -> dict[str, float]:
    return {k: float(np.asarray(v)) for k, v in logs.items() if np.asarray(v).size == 1}


def train(model, train_data: Any, *, config: TrainConfig, valid_data: Any = None, seed: int = 0,
          checkpoint_dir: str | Path | None = None, progress: bool = True, desc: str = "train",
          on_epoch_end: Callable[[int, Any, dict[str, float]], None] | None = None) -> TrainResult:
    """Train ``model`` for up to ``config.epochs`` epochs; resumable from ``checkpoint_dir``.

    Parameters
    ----------
    model : keras.Model
        Defines ``train_step(batch)`` and ``test_step(batch)`` returning a dict of scalar logs
        with a ``"loss"`` key (running means from its metric trackers).  The batch is exactly
        what :func:`batch_of` gives (an array, or a tuple/dict of arrays).
    train_data, valid_data : array-like, or tuple/dict of array-likes
        Anything supporting ``len()`` and indexing with an integer array (NumPy arrays, HDF5
        datasets read into memory, lazily rendered image sets).
    config : TrainConfig
    seed : int
        Seeds the batch order (and nothing else: the model owns its sampler's seed).
    checkpoint_dir : path, optional
        Where the end-of-epoch checkpoint lives.  If it holds one, training resumes after its
        epoch; a finished run returns at once with its history.
    on_epoch_end : callable ``(epoch, model, logs)``, optional
        Called after every epoch (e.g. to snapshot representations).

    Returns
    -------
    TrainResult
    """
    from tqdm.auto import tqdm

    n_train = n_examples(train_data)
    if n_train < 1:
        raise ValueError("train: `train_data` is empty.")
    batch = min(config.batch_size, n_train)
    steps = config.steps_per_epoch or max(n_train // batch, 1)
    _compile(model, config)
    train_fn = step_function(model, "train_step", jit_compile=config.jit_compile)
    test_fn = step_function(model, "test_step", jit_compile=config.jit_compile)

    # Build the model, its metrics and the optimizer slots with one validation-style step, so a
    # checkpoint can be assigned (the same step happens in fresh and resumed runs).
    model.reset_metrics()
    test_fn(batch_of(train_data, np.arange(batch)))
    model.optimizer.build(model.trainable_variables)
    model.reset_metrics()

    ckpt = Path(checkpoint_dir) / "last" if checkpoint_dir is not None else None
    result = TrainResult()
    lr = config.learning_rate
    best, best_epoch, wait_es, wait_lr, start_epoch = math.inf, None, 0, 0, 0
    best_weights: list | None = None
    if ckpt is not None and (ckpt / "state.json").is_file():
        state = load_state(ckpt, model)
        if config.restore_best and (ckpt / "best.npz").is_file():
            best_weights = _load_npz(ckpt / "best.npz")
        result.history = state["history"]
        result.nan_recoveries = state["nan_recoveries"]
        result.resumed_from_epoch = state["epoch"]
        lr, best, best_epoch = state["lr"], state["best"], state["best_epoch"]
        wait_es, wait_lr, start_epoch = state["wait_es"], state["wait_lr"], state["epoch"] + 1
        result.stopped_early = state["stopped_early"]
        if state["finished"]:
            result.best_epoch, result.best_value = best_epoch, (None if best_epoch is None else best)
            if config.restore_best and best_weights is not None:
                _assign(model.weights, best_weights, "best")
            return result
    model.optimizer.learning_rate.assign(lr)

    epochs = tqdm(range(start_epoch, config.epochs), desc=desc, unit="epoch", disable=not progress,
                  initial=start_epoch, total=config.epochs)
    for epoch in epochs:
        t0 = time.time()
        order = _epoch_order(n_train, steps, batch, seed, epoch)
        start_weights = [np.asarray(v.numpy()) for v in _variables(model)]
        start_opt = [np.asarray(v.numpy()) for v in model.optimizer.variables]
        while True:  # one pass; repeated only when a NaN is recovered from
            model.reset_metrics()
            logs: dict[str, float] = {}
            bad_step = None
            for step in tqdm(range(steps), desc=f"epoch {epoch}", leave=False, disable=not progress):
                out = train_fn(batch_of(train_data, order[step]))
                loss = float(out["loss"])
                if not math.isfinite(loss):
                    bad_step = step
                    break
            if bad_step is None:
                logs = _logs_to_float(out)
                break
            if result.nan_recoveries >= config.max_nan_recoveries:
                raise FloatingPointError(
                    f"train: non-finite loss ({loss}) at epoch {epoch}, step {bad_step} "
                    f"(after {result.nan_recoveries} recoveries); lower the learning rate or "
                    f"allow recoveries with TrainConfig(max_nan_recoveries=...).")
            result.nan_recoveries += 1
            lr *= config.nan_lr_factor
            _assign(_variables(model), start_weights, "model")
            _assign(model.optimizer.variables, start_opt, "optimizer")
            model.optimizer.learning_rate.assign(lr)
            tqdm.write(f"{desc}: non-finite loss at epoch {epoch}, step {bad_step}; reloaded the "
                       f"epoch's start and lowered the learning rate to {lr:.3g}")
        if valid_data is not None:
            model.reset_metrics()
            n_valid = n_examples(valid_data)
            vb = min(config.batch_size, n_valid)
            for s in range(max(n_valid // vb, 1)):
                vout = test_fn(batch_of(valid_data, np.arange(s * vb, (s + 1) * vb)))
            logs.update({f"val_{k}": v for k, v in _logs_to_float(vout).items()})
        logs.update(epoch=epoch, lr=lr, seconds=time.time() - t0)
        result.history.append(logs)
        if config.monitor not in logs:
            raise KeyError(f"train: the monitored quantity {config.monitor!r} is not among the logs "
                           f"{sorted(logs)}; give valid_data or set TrainConfig(monitor='loss').")
        value = logs[config.monitor]
        if value < best - config.min_delta:
            best, best_epoch, wait_es, wait_lr = value, epoch, 0, 0
            if config.restore_best:
                best_weights = [np.asarray(v.numpy()) for v in model.weights]
        else:
            wait_es += 1
            wait_lr += 1
        if config.lr_patience is not None and wait_lr >= config.lr_patience:
            lr, wait_lr = max(lr * config.lr_factor, config.min_lr), 0
            model.optimizer.learning_rate.assign(lr)
        stop = config.early_stopping_patience is not None and wait_es >= config.early_stopping_patience
        result.stopped_early = stop
        finished = stop or epoch == config.epochs - 1
        if on_epoch_end is not None:
            on_epoch_end(epoch, model, logs)
        if ckpt is not None:
            save_state(ckpt, model, {"epoch": epoch, "lr": lr, "best": best, "best_epoch": best_epoch,
                                     "wait_es": wait_es, "wait_lr": wait_lr, "finished": finished,
                                     "stopped_early": stop, "nan_recoveries": result.nan_recoveries,
                                     "history": result.history},
                       best_weights if config.restore_best else None)
        epochs.set_postfix(loss=f"{logs['loss']:.4g}", **({config.monitor: f"{value:.4g}"}
                                                          if config.monitor != "loss" else {}))
        if stop:
            break
    epochs.close()
    result.best_epoch, result.best_value = best_epoch, (None if best_epoch is None else best)
    if config.restore_best and best_weights is not None:
        _assign(model.weights, best_weights, "best")
    return result
