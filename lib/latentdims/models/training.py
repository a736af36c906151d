"""One training loop for every model of the project (toy VAEs, the jet VAE, the thesis' VAEs).

:func:`train` runs epochs of a Keras 3 model's own ``train_step``/``test_step`` (the model owns
its loss and metric trackers) and adds what the documents' protocols need and ``model.fit`` does
not give in a resumable way:

* deterministic batches: the order of epoch ``e`` is a permutation drawn from ``(seed, e)``, so a
  resumed run sees the same batches as an uninterrupted one;
* early stopping and learning-rate reduction on a plateau of a monitored quantity (the jet
  papers: patience 10 and 5 epochs, factor sqrt(0.1));
* an atomic checkpoint at the end of every epoch (weights including the sampler's seed state,
  optimizer slots, counters, history, and what the run was: configuration, seed, model and a
  fingerprint of the data), from which an interrupted run resumes; a checkpoint of another
  configuration or other data is refused, never silently continued;
* a NaN or infinite loss either raises ``FloatingPointError`` naming the epoch and step, or, if
  ``max_nan_recoveries > 0``, reloads the state at the start of the epoch, lowers the learning
  rate and tries again, a bounded number of times;
* tqdm progress bars per epoch and per step;
* XLA-compiled steps where TensorFlow sees a GPU (:func:`xla_steps`), plain ``tf.function``
  steps on a CPU unless ``TrainConfig.jit_compile`` asks for XLA there too.

Inputs are checked before the first step: empty sets, a batch larger than the data, NaN or
infinite values, non-numeric arrays and monitored quantities the model does not log are clear
errors; pandas and TensorFlow array-likes are converted; floating data of another precision
(NumPy's default float64) are cast to the model's dtype batch by batch.

Annealing schedules (the jet papers' beta-annealing) call :func:`train` once per step with the
step's own checkpoint folder.
"""
from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import shutil
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from latentdims.core.io import (DamagedFileError, atomic_dir, atomic_path, ensure_writable_dir,
                                read_json, read_npz, recover_dir, to_jsonable, write_json)
from latentdims.core.validation import check_choice, check_finite, check_int
from latentdims.models.devices import gpu_available

__all__ = ["TrainConfig", "TrainResult", "train", "batch_of", "n_examples", "save_state",
           "load_state", "save_weights", "load_weights", "data_fingerprint", "model_fingerprint",
           "RESUME_MODES", "CheckpointError", "CheckpointMismatchError", "resume_differences",
           "xla_steps", "step_function"]

RESUME_MODES = ("auto", "restart")
_FINGERPRINT_WHOLE_BYTES = 64 * 2 ** 20     # hash whole arrays up to this size, else a sample
_FINGERPRINT_ROWS = 257


class CheckpointError(DamagedFileError):
    """A checkpoint file that cannot be read; the message names it and what to do."""


class CheckpointMismatchError(ValueError):
    """A checkpoint written by another configuration, model or data than the call resuming it.

    ``differences`` maps each differing field to ``(old, new)``.
    """

    def __init__(self, message: str, *, folder: Path, differences: dict[str, tuple[Any, Any]]):
        super().__init__(message)
        self.folder = Path(folder)
        self.differences = differences


# ------------------------------------------------------------------------------------- config
def _check_real(value: Any, name: str, *, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> None:
    func = "TrainConfig"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                     np.floating)):
        raise TypeError(f"{func}: `{name}` must be a number; got {value!r} "
                        f"({type(value).__name__}).")
    v = float(value)
    bad = (not math.isfinite(v)
           or (low is not None and (v <= low if low_open else v < low))
           or (high is not None and (v >= high if high_open else v > high)))
    if bad:
        lo = "" if low is None else ("(" if low_open else "[") + f"{low:g}"
        hi = "" if high is None else f"{high:g}" + (")" if high_open else "]")
        want = (f"in {lo}, {hi}" if low is not None and high is not None
                else f"{'>' if low_open else '>='} {low:g}")
        raise ValueError(f"{func}: `{name}` must be finite and {want}; got {value!r}.")


def _check_count(value: Any, name: str, minimum: int, *, optional: bool = False) -> None:
    if optional and value is None:
        return
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        none = " or None" if optional else ""
        raise TypeError(f"TrainConfig: `{name}` must be an integer{none}; got {value!r} "
                        f"({type(value).__name__}).")
    if value < minimum:
        off = " (None switches it off)" if optional else ""
        raise ValueError(f"TrainConfig: `{name}` must be an integer >= {minimum}{off}; got "
                         f"{value!r}.")


@dataclass(frozen=True)
class TrainConfig:
    """How to train.  Defaults are plain; each caller sets its document's values.

    Every field is checked when the config is made: a value of the wrong kind (a string for a
    number, a float for an integer) is a ``TypeError`` naming the field, one out of range a
    ``ValueError``.

    Attributes
    ----------
    epochs : int
        Maximum number of epochs (>= 1).
    batch_size : int
        Examples per step (>= 1, at most the number of training examples).
    steps_per_epoch : int or None
        ``None``: one pass over the training data (the last partial batch is dropped so that
        every step has the same shape).  The jet papers use 1000 steps of 100 jets.
    learning_rate : float
        Set at the start of every call (the jet papers reset it at each beta step).
    early_stopping_patience, lr_patience : int or None
        Epochs (>= 1) without improvement of ``monitor`` (by more than ``min_delta``) before
        stopping, or before multiplying the learning rate by ``lr_factor`` (not below
        ``min_lr``); None: never.
    monitor : str
        A key of the epoch's logs, e.g. ``"val_loss"`` (needs ``valid_data``) or ``"loss"``.
    restore_best : bool
        At the end, go back to the weights of the best monitored epoch.
    max_nan_recoveries : int
        0: a non-finite loss raises.  N > 0: up to N times, reload the epoch's starting state and
        multiply the learning rate by ``nan_lr_factor``.
    adam_beta_1, adam_beta_2, adam_epsilon : float
        Adam's settings when :func:`train` compiles the model (the thesis: 0.9, 0.999, 1e-8).
    jit_compile : bool
        Compile the steps with XLA everywhere.  False (the default) still compiles them where
        TensorFlow sees a GPU (:func:`xla_steps`); the field records what was asked, so a run's
        checkpoints and cache entries are the same on a CPU and a GPU.
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
        _check_count(self.epochs, "epochs", 1)
        _check_count(self.batch_size, "batch_size", 1)
        _check_count(self.steps_per_epoch, "steps_per_epoch", 1, optional=True)
        _check_count(self.early_stopping_patience, "early_stopping_patience", 1, optional=True)
        _check_count(self.lr_patience, "lr_patience", 1, optional=True)
        _check_count(self.max_nan_recoveries, "max_nan_recoveries", 0)
        _check_real(self.learning_rate, "learning_rate", low=0.0, low_open=True)
        for name in ("lr_factor", "nan_lr_factor"):
            _check_real(getattr(self, name), name, low=0.0, high=1.0, low_open=True)
        _check_real(self.min_lr, "min_lr", low=0.0)
        _check_real(self.min_delta, "min_delta", low=0.0)
        _check_real(self.adam_beta_1, "adam_beta_1", low=0.0, high=1.0, high_open=True)
        _check_real(self.adam_beta_2, "adam_beta_2", low=0.0, high=1.0, high_open=True)
        _check_real(self.adam_epsilon, "adam_epsilon", low=0.0, low_open=True)
        if not isinstance(self.monitor, str) or not self.monitor:
            raise TypeError(f"TrainConfig: `monitor` must be the name of a logged quantity, e.g. "
                            f"'val_loss' or 'loss'; got {self.monitor!r}.")
        for name in ("restore_best", "jit_compile"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"TrainConfig: `{name}` must be True or False; got "
                                f"{getattr(self, name)!r}.")


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
    if not lengths:
        raise ValueError("train: the data is an empty tuple or dict; give at least one array.")
    if len(set(lengths.values())) != 1:
        raise ValueError(f"train: the parts of the data must have the same number of examples; "
                         f"got {lengths}.")
    return next(iter(lengths.values()))


def _cast(a: np.ndarray, dtype: np.dtype | None) -> np.ndarray:
    if dtype is not None and a.dtype.kind == "f" and a.dtype != dtype:
        return a.astype(dtype)
    return a


def batch_of(data: Any, index: np.ndarray, *, dtype: Any = None) -> Any:
    """Index every part of ``data`` with the integer array ``index`` (same structure back).

    ``dtype``: floating parts of another precision are cast to it (integer parts are kept).
    """
    dtype = None if dtype is None else np.dtype(dtype)
    if isinstance(data, Mapping):
        return {k: _cast(np.asarray(v[index]), dtype) for k, v in data.items()}
    if isinstance(data, (tuple, list)):
        return tuple(_cast(np.asarray(v[index]), dtype) for v in data)
    return _cast(np.asarray(data[index]), dtype)


def _is_lazy(part: Any) -> bool:
    """A set indexed on demand (len() and integer-array indexing, no array conversion)."""
    return (not isinstance(part, (np.ndarray, list, tuple)) and not hasattr(part, "__array__")
            and hasattr(part, "__getitem__") and hasattr(part, "__len__"))


def _as_part(part: Any, name: str) -> Any:
    """One part of the data as a NumPy array (pandas, TensorFlow, lists, HDF5 datasets read in),
    or a lazily indexed set unchanged."""
    if _is_lazy(part):
        return part
    if hasattr(part, "to_numpy"):                    # pandas DataFrame / Series
        part = part.to_numpy()
    try:
        arr = np.asarray(part)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"train: `{name}` must be an array of numbers (or a tuple/dict of "
                        f"them); got {type(part).__name__} ({exc}).") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"train: `{name}` must hold numbers; got an array of dtype {arr.dtype} "
                        f"({type(part).__name__}). Convert it, e.g. x.astype('float32').")
    if arr.ndim == 0:
        raise ValueError(f"train: `{name}` must have one row per example; got a scalar.")
    return arr


@dataclass
class _Examples:
    """Training or validation data as :func:`train` uses it (see :func:`_examples`)."""
    name: str
    data: Any                   # array, tuple or dict of parts
    parts: dict[str, tuple[Any, Any]]   # label for messages -> (key in ``data``, part)
    n: int
    dtype: np.dtype

    def batch(self, index: np.ndarray) -> Any:
        out = batch_of(self.data, index, dtype=self.dtype)
        for label, (key, part) in self.parts.items():     # lazily indexed parts: checked here
            if _is_lazy(part):
                values = out if key is None else out[key]
                if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
                    rows = np.unique(np.argwhere(~np.isfinite(values))[:, 0])
                    raise ValueError(
                        f"train: `{label}` gave non-finite values for example(s) "
                        f"{index[rows][:10].tolist()}; remove or impute them first.")
        return out


def _is_nested_numbers(data: list) -> bool:
    """A list of Python numbers or lists (one array, e.g. ``x.tolist()``), not of parts."""
    return bool(data) and all(isinstance(e, (list, int, float, np.number)) for e in data)


def _examples(data: Any, name: str, dtype: np.dtype) -> _Examples:
    """Convert and check ``data``: same-length numeric parts, not empty, no NaN or infinity.

    A tuple, or a list of arrays, is a structure of parts; a list of numbers or lists is one
    array."""
    if isinstance(data, list) and _is_nested_numbers(data):
        data = _as_part(data, name)
    if isinstance(data, Mapping):
        data = {k: _as_part(v, f"{name}[{k!r}]") for k, v in data.items()}
        parts = {f"{name}[{k!r}]": (k, v) for k, v in data.items()}
    elif isinstance(data, (tuple, list)):
        data = tuple(_as_part(v, f"{name}[{i}]") for i, v in enumerate(data))
        parts = {f"{name}[{i}]": (i, v) for i, v in enumerate(data)}
    else:
        data = _as_part(data, name)
        parts = {name: (None, data)}
    n = n_examples(data)
    if n < 1:
        raise ValueError(f"train: `{name}` is empty (0 examples)."
                         + (" Pass valid_data=None (and TrainConfig(monitor='loss')) to train "
                            "without validation." if name == "valid_data" else ""))
    for label, (_, part) in parts.items():
        if isinstance(part, np.ndarray) and part.dtype.kind == "f":
            _check_finite_rows(part, label)
    return _Examples(name=name, data=data, parts=parts, n=n, dtype=dtype)


def _check_finite_rows(arr: np.ndarray, name: str, chunk: int = 2 ** 22) -> None:
    """:func:`check_finite` in chunks of about ``chunk`` values (no full-size mask)."""
    rows = max(1, chunk // max(1, arr[:1].size))
    for start in range(0, len(arr), rows):
        if not np.all(np.isfinite(arr[start:start + rows])):
            check_finite(arr, name=name, func="train")    # the message with the first index


def _model_dtype(model) -> np.dtype:
    try:
        dtype = np.dtype(getattr(model, "dtype", None) or "float32")
    except TypeError:
        return np.dtype("float32")
    return dtype if dtype.kind == "f" else np.dtype("float32")


def _part_fingerprint(part: Any, n: int, dtype: np.dtype) -> dict[str, Any]:
    h = hashlib.blake2b(digest_size=12)
    if isinstance(part, np.ndarray):
        target = dtype if part.dtype.kind == "f" else part.dtype
        whole = part.size * target.itemsize <= _FINGERPRINT_WHOLE_BYTES
        rows = np.arange(n) if whole else np.unique(
            np.linspace(0, n - 1, _FINGERPRINT_ROWS).astype(int))
        step = max(1, 4 * 2 ** 20 // max(1, part[:1].nbytes))
        for start in range(0, len(rows), step):
            chunk = _cast(np.ascontiguousarray(part[rows[start:start + step]]), dtype)
            h.update(np.ascontiguousarray(chunk).data)
        shape, out_dtype = part.shape, target
        sampled = not whole
    else:
        rows = np.unique(np.linspace(0, n - 1, min(n, _FINGERPRINT_ROWS)).astype(int))
        chunk = np.ascontiguousarray(_cast(np.asarray(part[rows]), dtype))
        h.update(chunk.data)
        shape, out_dtype, sampled = (n,) + chunk.shape[1:], chunk.dtype, True
    return {"shape": list(shape), "dtype": str(out_dtype), "hash": h.hexdigest(),
            "hashed": f"{len(rows)} rows" if sampled else "all"}


def data_fingerprint(data: Any, *, dtype: Any = "float32", name: str = "data") -> dict[str, Any]:
    """Shape, dtype and a cheap hash of every part of ``data`` (as :func:`train` sees it).

    Arrays up to 64 MiB are hashed whole, larger ones and lazily indexed sets on 257 evenly
    spaced examples; floating parts are hashed after the cast to ``dtype``, so float64 and
    float32 copies of the same values (in float32) agree.  Stored in checkpoints to refuse
    resuming with other data.

    >>> fp = data_fingerprint(np.zeros((4, 2)))
    >>> fp["data"]["shape"], fp["data"]["dtype"]
    ([4, 2], 'float32')
    >>> data_fingerprint(np.ones((4, 2))) == fp
    False
    """
    ex = data if isinstance(data, _Examples) else _examples(data, name, np.dtype(dtype))
    return {label: _part_fingerprint(part, ex.n, ex.dtype) for label, (_, part) in ex.parts.items()}


def model_fingerprint(model) -> dict[str, Any]:
    """What a checkpoint records of the model: its class, its ``config`` (a dataclass, if it
    has one) and the values of its scalar non-trainable floating weights (hyperparameters such
    as ``beta``, which loading a checkpoint would silently overwrite)."""
    config = getattr(model, "config", None)
    scalars = [[v.name, float(np.asarray(v.numpy()))] for v in
               getattr(model, "non_trainable_weights", [])
               if len(v.shape) == 0 and np.dtype(v.dtype).kind == "f"]
    return to_jsonable({"class": type(model).__qualname__,
                        "config": asdict(config) if dataclasses.is_dataclass(config)
                        and not isinstance(config, type) else None,
                        "scalars": scalars})


def _epoch_order(n: int, steps: int, batch: int, seed: int, epoch: int) -> np.ndarray:
    """Indices for ``steps`` batches of epoch ``epoch``: permutations drawn from (seed, epoch)."""
    rng = np.random.default_rng([seed, epoch])
    need = steps * batch
    order = [rng.permutation(n) for _ in range(math.ceil(need / n))]
    return np.concatenate(order)[:need].reshape(steps, batch)


# --------------------------------------------------------------------------------- checkpoints
def _variables(model) -> list:
    return list(model.variables)


def _checkpoint_remedy(folder: Path) -> str:
    return (f"Delete the folder {str(folder)!r} (the training then starts again from epoch 0) "
            f"or pass resume='restart'.")


def save_weights(model, path: str | Path) -> Path:
    """Save every variable of ``model`` (weights, sampler state, beta) to an ``.npz``, atomically."""

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, *[np.asarray(v.numpy()) for v in _variables(model)])
    return Path(path)


def _read_arrays(path: Path, *, func: str, remedy: str, error=DamagedFileError) -> list[np.ndarray]:
    """The arrays ``arr_0, arr_1, ...`` of an ``.npz`` written by :func:`save_weights`."""
    try:
        arrays = read_npz(path, func=func, remedy=remedy)
    except DamagedFileError as exc:
        raise error(str(exc), path=path) from None
    except FileNotFoundError as exc:
        if error is DamagedFileError:
            raise
        raise error(f"{func}: the checkpoint file {str(path)!r} is missing. {remedy}",
                    path=path) from None
    names = [f"arr_{i}" for i in range(len(arrays))]
    if sorted(arrays) != sorted(names):
        raise error(f"{func}: the file {str(path)!r} is an .npz archive but not one of saved "
                    f"variables (arrays {sorted(arrays)[:5]}...). {remedy}", path=path)
    return [arrays[k] for k in names]


def load_weights(model, path: str | Path) -> None:
    """Assign what :func:`save_weights` wrote to a built ``model`` of the same architecture.

    Raises
    ------
    FileNotFoundError, DamagedFileError
        If the file is missing or cannot be read (the message names it).
    ValueError
        If it holds another architecture's variables.
    """
    path = Path(path)
    remedy = "Delete it and write it again (train the model again)."
    _assign(_variables(model), _read_arrays(path, func="load_weights", remedy=remedy), "model",
            where=path, remedy=remedy)


def save_state(folder: Path, model, state: Mapping[str, Any], best_weights: list | None = None) -> None:
    """Write model variables, optimizer variables and ``state`` (JSON) atomically to ``folder``
    (:func:`latentdims.core.io.atomic_dir`: an interrupt leaves the old or the new state)."""
    with atomic_dir(folder) as tmp:
        save_weights(model, tmp / "model.npz")
        if getattr(model, "optimizer", None) is not None and model.optimizer.built:
            with open(tmp / "optimizer.npz", "wb") as f:
                np.savez(f, *[np.asarray(v.numpy()) for v in model.optimizer.variables])
        if best_weights is not None:
            with open(tmp / "best.npz", "wb") as f:
                np.savez(f, *best_weights)
        write_json(tmp / "state.json", {**state, "variables": [v.path for v in _variables(model)]})


def _assign(variables: Sequence, arrays: Sequence[np.ndarray], what: str, *,
            where: Path | None = None, remedy: str = "") -> None:
    source = "the checkpoint" if where is None else f"the file {str(where)!r}"
    tail = f" {remedy}" if remedy else ""
    if len(variables) != len(arrays):
        raise ValueError(f"train: {source} holds {len(arrays)} {what} variables but the model "
                         f"has {len(variables)}; it was written by a different architecture."
                         f"{tail}")
    for v, a in zip(variables, arrays):
        if tuple(v.shape) != tuple(a.shape):
            raise ValueError(f"train: {source} has shape {a.shape} for {v.path}, the model's "
                             f"is {tuple(v.shape)}; it was written by a different "
                             f"architecture.{tail}")
    for v, a in zip(variables, arrays):
        v.assign(a)


# (key, allowed types) of a checkpoint's state.json
_STATE_KEYS = {"epoch": (int,), "lr": (int, float), "best": (int, float),
               "best_epoch": (int, type(None)), "wait_es": (int,), "wait_lr": (int,),
               "finished": (bool,), "stopped_early": (bool,), "nan_recoveries": (int,),
               "history": (list,)}


def _state_problems(state: Any) -> list[str]:
    if not isinstance(state, dict):
        return ["it is not a JSON object"]
    problems = []
    for key, types in _STATE_KEYS.items():
        value = state.get(key)
        if key not in state:
            problems.append(f"`{key}` is missing")
        elif (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            problems.append(f"`{key}` is {value!r}")
    return problems


@dataclass
class _Checkpoint:
    folder: Path
    state: dict[str, Any]
    model: list[np.ndarray]
    optimizer: list[np.ndarray] | None
    best: list[np.ndarray] | None


def _read_checkpoint(folder: Path, *, func: str = "train", remedy: str | None = None,
                     training: bool = True) -> _Checkpoint:
    """Read and check every file of a checkpoint folder before anything is assigned."""
    folder = Path(folder)
    remedy = remedy or _checkpoint_remedy(folder)
    recover_dir(folder)
    state_path = folder / "state.json"
    if not state_path.is_file():
        raise CheckpointError(f"{func}: the checkpoint folder {str(folder)!r} has no state.json; "
                              f"it is damaged or not a checkpoint. {remedy}", path=state_path)
    try:
        state = read_json(state_path, func=func, remedy=remedy)
    except DamagedFileError as exc:
        raise CheckpointError(str(exc), path=state_path) from None
    problems = (_state_problems(state) if training else
                [] if isinstance(state, dict) else ["it is not a JSON object"])
    if problems:
        raise CheckpointError(f"{func}: the file {str(state_path)!r} is not a training state "
                              f"({'; '.join(problems[:3])}). {remedy}", path=state_path)
    read = dict(func=func, remedy=remedy, error=CheckpointError)
    return _Checkpoint(
        folder=folder, state=state, model=_read_arrays(folder / "model.npz", **read),
        optimizer=(_read_arrays(folder / "optimizer.npz", **read)
                   if (folder / "optimizer.npz").is_file() else None),
        best=_read_arrays(folder / "best.npz", **read) if (folder / "best.npz").is_file() else None)


def load_state(folder: Path, model, *, optimizer: bool = True, func: str = "load_state",
               remedy: str | None = None) -> dict[str, Any]:
    """Restore what :func:`save_state` wrote; returns the state dictionary.

    Every file is read and checked first (an interrupted replacement is recovered,
    :func:`latentdims.core.io.recover_dir`), so a damaged checkpoint changes nothing.

    Raises
    ------
    CheckpointError
        A missing or damaged file (the message names it and says what to do: ``remedy``, by
        default delete the folder or pass ``resume='restart'``).
    ValueError
        The checkpoint holds another architecture's variables.
    """
    ckpt = _read_checkpoint(folder, func=func, remedy=remedy, training=False)
    _assign_checkpoint(ckpt, model, optimizer=optimizer, remedy=remedy)
    return ckpt.state


def _assign_checkpoint(ckpt: _Checkpoint, model, *, optimizer: bool = True,
                       remedy: str | None = None) -> None:
    remedy = remedy or _checkpoint_remedy(ckpt.folder)
    _assign(_variables(model), ckpt.model, "model", where=ckpt.folder / "model.npz",
            remedy=remedy)
    if optimizer and ckpt.optimizer is not None:
        _assign(model.optimizer.variables, ckpt.optimizer, "optimizer",
                where=ckpt.folder / "optimizer.npz", remedy=remedy)


def _flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


_MISSING = "<none>"


def resume_differences(old: Mapping[str, Any], new: Mapping[str, Any], *,
                       ignore: Sequence[str] = ()) -> dict[str, tuple[Any, Any]]:
    """The fields (flattened, dotted names) whose values differ between two run records:
    ``name -> (old, new)``, ``"<none>"`` for a field one side lacks."""
    a, b = _flatten(to_jsonable(old)), _flatten(to_jsonable(new))
    return {k: (a.get(k, _MISSING), b.get(k, _MISSING)) for k in sorted(set(a) | set(b))
            if k not in ignore and a.get(k, _MISSING) != b.get(k, _MISSING)}


def _describe(differences: Mapping[str, tuple[Any, Any]], limit: int = 8) -> str:
    items = [f"{k}: {old!r} -> {new!r}" for k, (old, new) in differences.items()]
    more = f"; and {len(items) - limit} more" if len(items) > limit else ""
    return "; ".join(items[:limit]) + more


def _run_record(model, config: TrainConfig, seed: int, train_x: _Examples,
                valid_x: _Examples | None) -> dict[str, Any]:
    """What a checkpoint records of the run: everything that changes its result."""
    return to_jsonable({**asdict(config), "seed": seed, "model": model_fingerprint(model),
                        **data_fingerprint(train_x),
                        **(data_fingerprint(valid_x) if valid_x is not None else {})})


def _check_resumable(ckpt: _Checkpoint, config: TrainConfig, run: dict[str, Any]) -> None:
    """Refuse a checkpoint of another run; ``epochs`` may differ while the checkpoint lies in
    the new run (more epochs extend a run exactly as if it had been asked for from the start)."""
    old = ckpt.state.get("run")
    if old is None:
        warnings.warn(f"train: the checkpoint in {str(ckpt.folder)!r} was written before "
                      f"checkpoints recorded their configuration; it is resumed without checking "
                      f"that it matches this call. {_checkpoint_remedy(ckpt.folder)}",
                      stacklevel=3)
        return
    differences = resume_differences(old, run, ignore=("epochs",))
    epoch = ckpt.state["epoch"]
    if epoch >= config.epochs:
        differences["epochs"] = (old.get("epochs", _MISSING), config.epochs)
    if differences:
        extra = (f" (`epochs` may grow or shrink as long as the checkpoint's {epoch + 1} epochs "
                 f"fit in the new run)" if "epochs" in differences else "")
        raise CheckpointMismatchError(
            f"train: the checkpoint in {str(ckpt.folder)!r} was written by a different run: "
            f"{_describe(differences)}{extra}. Resuming it would train with its settings, not "
            f"these. Use another checkpoint_dir, or {_checkpoint_remedy(ckpt.folder)[0].lower()}"
            f"{_checkpoint_remedy(ckpt.folder)[1:]}", folder=ckpt.folder,
            differences=differences)


# -------------------------------------------------------------------------------------- train
def _compile(model, config: TrainConfig) -> None:
    import keras

    if getattr(model, "optimizer", None) is None:
        model.compile(optimizer=keras.optimizers.Adam(
            learning_rate=config.learning_rate, beta_1=config.adam_beta_1,
            beta_2=config.adam_beta_2, epsilon=config.adam_epsilon))


def xla_steps(jit_compile: bool = False) -> bool:
    """Whether :func:`train` XLA-compiles the steps: when asked (``TrainConfig.jit_compile``) or
    when TensorFlow sees a GPU.

    On a GPU, XLA fuses a step's many small ops (the jet VAE's Sinkhorn iterations, the conv
    VAEs' element-wise losses) into few kernels; on a CPU the steps stay plain by default,
    because XLA:CPU's Cholesky factorisation (in the Sinkhorn's gradient) is slow and each new
    step shape costs seconds of compilation.  ``LATENTDIMS_GPU_XLA=0`` in the environment keeps
    the steps plain on a GPU too (for a model that XLA cannot compile there);
    ``jit_compile=True`` still wins.

    The choice does not enter any cache key or checkpoint: those record ``TrainConfig`` as
    given, so a run started on a CPU resumes on a GPU and the reverse (the numbers then differ
    in the last digits, as between any two devices).

    >>> xla_steps(True)
    True
    >>> xla_steps(False) == gpu_available()    # unless LATENTDIMS_GPU_XLA=0 is set
    True
    """
    if not isinstance(jit_compile, (bool, np.bool_)):
        raise TypeError(f"xla_steps: `jit_compile` must be True or False; got {jit_compile!r}.")
    if jit_compile:
        return True
    if os.environ.get("LATENTDIMS_GPU_XLA", "").strip().lower() in ("0", "false", "no", "off"):
        return False
    return gpu_available()


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


def _check_monitor(monitor: str, keys: Sequence[str], valid: bool) -> None:
    """Raise ``KeyError`` if ``monitor`` is not among the epoch's logs (``keys``: a step's)."""
    logged = {"epoch", "lr", "seconds", *keys} | ({f"val_{k}" for k in keys} if valid else set())
    if monitor not in logged:
        hint = ("give valid_data or " if monitor.startswith("val_") and not valid else "")
        raise KeyError(f"train: the monitored quantity {monitor!r} is not among the logs "
                       f"{sorted(logged)}; {hint}set TrainConfig(monitor=...) to one of them, "
                       f"e.g. 'loss'.")


def _checkpoint_folder(checkpoint_dir: Any) -> Path:
    if not isinstance(checkpoint_dir, (str, os.PathLike)):
        raise TypeError(f"train: `checkpoint_dir` must be a folder path; got "
                        f"{type(checkpoint_dir).__name__}.")
    folder = Path(checkpoint_dir)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"train: `checkpoint_dir` {str(folder)!r} is a file, not a "
                                 f"folder; give a folder path.")
    return ensure_writable_dir(folder, what="checkpoint folder (`checkpoint_dir`)")


def train(model, train_data: Any, *, config: TrainConfig, valid_data: Any = None, seed: int = 0,
          checkpoint_dir: str | Path | None = None, resume: str = "auto", progress: bool = True,
          desc: str = "train",
          on_epoch_end: Callable[[int, Any, dict[str, float]], None] | None = None) -> TrainResult:
    """Train ``model`` for up to ``config.epochs`` epochs; resumable from ``checkpoint_dir``.

    Parameters
    ----------
    model : keras.Model
        Defines ``train_step(batch)`` and ``test_step(batch)`` returning a dict of scalar logs
        with a ``"loss"`` key (running means from its metric trackers).  The batch is exactly
        what :func:`batch_of` gives (an array, or a tuple/dict of arrays).
    train_data, valid_data : array-like, or tuple/dict of array-likes
        Anything supporting ``len()`` and indexing with an integer array (NumPy arrays, lazily
        rendered image sets), or convertible to a NumPy array (pandas DataFrames, TensorFlow
        tensors, HDF5 datasets: read into memory; a list of numbers or lists, e.g.
        ``x.tolist()``; a tuple, or a list of arrays, is a structure of parts).  Checked before the first step: not
        empty, numbers only, no NaN or infinity (lazily indexed sets: batch by batch).
        Floating parts of another precision than the model's (NumPy's default float64) are
        cast to the model's dtype (float32) batch by batch; integer parts are passed as they
        are.  Validation runs on full batches of ``batch_size`` (the last partial one is left
        out; a smaller validation set is one batch).
    config : TrainConfig
        ``batch_size`` must not exceed the number of training examples.  The steps are
        XLA-compiled if ``config.jit_compile`` or if TensorFlow sees a GPU (:func:`xla_steps`).
    seed : int
        Seeds the batch order (and nothing else: the model owns its sampler's seed).
    checkpoint_dir : path, optional
        Where the end-of-epoch checkpoint lives (``checkpoint_dir/last``, replaced atomically).
        If it holds one, training resumes after its epoch; a finished run returns at once with
        its history.  The checkpoint records the run: ``config`` (all fields), ``seed``, the
        model (:func:`model_fingerprint`) and the data (:func:`data_fingerprint`); resuming
        with any of them different raises :class:`CheckpointMismatchError` naming the fields,
        except ``config.epochs``, which may differ while the checkpoint's epochs fit in the new
        run (more epochs extend a finished run exactly as an uninterrupted longer run).
    resume : {"auto", "restart"}
        ``"auto"``: resume a matching checkpoint.  ``"restart"``: delete it and start again
        from epoch 0.
    on_epoch_end : callable ``(epoch, model, logs)``, optional
        Called after every epoch (e.g. to snapshot representations).

    Returns
    -------
    TrainResult

    Raises
    ------
    TypeError, ValueError
        Bad arguments or data (before any step).
    KeyError
        ``config.monitor`` is not logged (after the first step at the latest).
    CheckpointMismatchError
        The checkpoint was written by another run (see ``checkpoint_dir``).
    CheckpointError
        A checkpoint file is missing or damaged; the message names it and says what to do.
    FloatingPointError
        A non-finite loss, after ``config.max_nan_recoveries`` recoveries.
    """
    from tqdm.auto import tqdm

    if not isinstance(config, TrainConfig):
        raise TypeError(f"train: `config` must be a TrainConfig; got {type(config).__name__}.")
    seed = check_int(seed, name="seed", func="train", minimum=0)
    check_choice(resume, RESUME_MODES, name="resume", func="train")
    if on_epoch_end is not None and not callable(on_epoch_end):
        raise TypeError(f"train: `on_epoch_end` must be callable (epoch, model, logs); got "
                        f"{type(on_epoch_end).__name__}.")
    dtype = _model_dtype(model)
    train_x = _examples(train_data, "train_data", dtype)
    valid_x = None if valid_data is None else _examples(valid_data, "valid_data", dtype)
    if config.monitor.startswith("val_") and valid_x is None:
        _check_monitor(config.monitor, [], valid=False)
    if config.batch_size > train_x.n:
        raise ValueError(f"train: TrainConfig.batch_size ({config.batch_size}) is larger than "
                         f"the {train_x.n} training examples; lower batch_size to at most "
                         f"{train_x.n} or give more data.")
    folder = None if checkpoint_dir is None else _checkpoint_folder(checkpoint_dir)
    batch = config.batch_size
    steps = config.steps_per_epoch or train_x.n // batch
    _compile(model, config)
    jit = xla_steps(config.jit_compile)
    train_fn = step_function(model, "train_step", jit_compile=jit)
    test_fn = step_function(model, "test_step", jit_compile=jit)

    # Build the model, its metrics and the optimizer slots with one validation-style step, so a
    # checkpoint can be assigned (the same step happens in fresh and resumed runs).
    model.reset_metrics()
    build_logs = test_fn(train_x.batch(np.arange(batch)))
    model.optimizer.build(model.trainable_variables)
    model.reset_metrics()
    if config.monitor.startswith("val_"):
        _check_monitor(config.monitor, list(build_logs), valid=valid_x is not None)

    ckpt = folder / "last" if folder is not None else None
    run = None if ckpt is None else _run_record(model, config, seed, train_x, valid_x)
    result = TrainResult()
    lr = config.learning_rate
    best, best_epoch, wait_es, wait_lr, start_epoch = math.inf, None, 0, 0, 0
    best_weights: list | None = None
    if ckpt is not None and resume == "restart":
        recover_dir(ckpt)
        shutil.rmtree(ckpt, ignore_errors=True)
    elif ckpt is not None and (recover_dir(ckpt) or ckpt.exists()):
        loaded = _read_checkpoint(ckpt)
        _check_resumable(loaded, config, run)
        _assign_checkpoint(loaded, model)
        state = loaded.state
        if config.restore_best and loaded.best is not None:
            best_weights = loaded.best
        result.history = state["history"]
        result.nan_recoveries = state["nan_recoveries"]
        result.resumed_from_epoch = state["epoch"]
        lr, best, best_epoch = state["lr"], state["best"], state["best_epoch"]
        wait_es, wait_lr, start_epoch = state["wait_es"], state["wait_lr"], state["epoch"] + 1
        result.stopped_early = state["stopped_early"]
        if state["stopped_early"] or state["epoch"] == config.epochs - 1:
            result.best_epoch, result.best_value = best_epoch, (None if best_epoch is None else best)
            if config.restore_best and best_weights is not None:
                _assign(model.weights, best_weights, "best")
            return result
    model.optimizer.learning_rate.assign(lr)

    epochs = tqdm(range(start_epoch, config.epochs), desc=desc, unit="epoch", disable=not progress,
                  initial=start_epoch, total=config.epochs)
    monitor_checked = config.monitor.startswith("val_")
    for epoch in epochs:
        t0 = time.time()
        order = _epoch_order(train_x.n, steps, batch, seed, epoch)
        start_weights = [np.asarray(v.numpy()) for v in _variables(model)]
        start_opt = [np.asarray(v.numpy()) for v in model.optimizer.variables]
        while True:  # one pass; repeated only when a NaN is recovered from
            model.reset_metrics()
            logs: dict[str, float] = {}
            bad_step = None
            for step in tqdm(range(steps), desc=f"epoch {epoch}", leave=False, disable=not progress):
                out = train_fn(train_x.batch(order[step]))
                if not monitor_checked:
                    _check_monitor(config.monitor, list(out), valid=valid_x is not None)
                    monitor_checked = True
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
        if valid_x is not None:
            model.reset_metrics()
            vb = min(config.batch_size, valid_x.n)
            for s in range(valid_x.n // vb):
                vout = test_fn(valid_x.batch(np.arange(s * vb, (s + 1) * vb)))
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
                                     "history": result.history, "run": run},
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
