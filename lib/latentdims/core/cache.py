"""The run cache: expensive results keyed by a hash of their full configuration.

A cache entry is a folder ``<cache>/<name>/<key>/`` where ``key`` is a short SHA-256 of the
canonical JSON of the configuration.  Entries appear atomically (built in a temporary folder,
then renamed), hold a ``config.json`` that says what they are, and are never required: an empty
cache rebuilds everything.  Long builds get a persistent *work* folder
(``<cache>/.work/<name>/<key>/``) for checkpoints, so an interrupted training resumes there; it is
removed once the entry exists.

Put everything that changes the result in the configuration (data size, seeds, model widths, a
``version`` number bumped when the code changes its output); nothing else.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from latentdims.core import paths
from latentdims.core.io import atomic_dir, write_json

__all__ = ["config_key", "entry_path", "work_path", "cached", "cached_arrays", "is_cached"]


def _canonical(obj: Any) -> Any:
    """Turn a configuration into plain JSON types with a stable order."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _canonical(dataclasses.asdict(obj))
    if isinstance(obj, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _canonical(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"config_key: cannot hash a configuration value of type {type(obj).__name__} "
                    f"({obj!r}); use numbers, strings, lists, dicts or dataclasses.")


def config_key(config: Any) -> str:
    """A 16-hex-digit SHA-256 of the canonical JSON of ``config``.

    >>> config_key({"b": 1, "a": [1.0, 2]}) == config_key({"a": [1.0, 2], "b": 1})
    True
    """
    text = json.dumps(_canonical(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_name(name: str) -> str:
    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise ValueError(f"cached: `name` must be a plain folder name such as 'toy_vae'; got {name!r}.")
    return name


def entry_path(name: str, config: Any) -> Path:
    """Where the entry for ``(name, config)`` lives (whether or not it exists)."""
    return paths.cache_dir() / _check_name(name) / config_key(config)


def work_path(name: str, config: Any) -> Path:
    """The persistent work folder (checkpoints) of an entry being built."""
    return paths.cache_dir() / ".work" / _check_name(name) / config_key(config)


def is_cached(name: str, config: Any) -> bool:
    return (entry_path(name, config) / "config.json").is_file()


def cached(name: str, config: Any, build: Callable[[Path, Path], None], *,
           rebuild: bool = False) -> Path:
    """Return the folder of the cache entry for ``(name, config)``, building it if missing.

    Parameters
    ----------
    name : str
        The kind of result (``"toy_vae"``, ``"jet_vae"``...), a folder name.
    config : dict or dataclass
        Everything that determines the result.
    build : callable ``build(out_dir, work_dir)``
        Writes the result's files into ``out_dir`` (a temporary folder renamed into place on
        success).  ``work_dir`` persists across interruptions: keep checkpoints there.
    rebuild : bool
        Build again even if the entry exists.
    """
    entry = entry_path(name, config)
    if not rebuild and (entry / "config.json").is_file():
        return entry
    # One builder per entry: a second process (another notebook, a second JupyterLab kernel) asking
    # for the same entry waits for the first and then reuses its result instead of training into
    # the same work folder at the same time.
    with _build_lock(name, entry.name):
        if not rebuild and (entry / "config.json").is_file():
            return entry
        work = work_path(name, config)
        work.mkdir(parents=True, exist_ok=True)
        start = time.time()
        with atomic_dir(entry) as tmp:
            build(tmp, work)
            # config.json last: an entry with it is complete (the rename makes it appear at once)
            write_json(tmp / "config.json", {"name": name, "key": entry.name,
                                             "config": _canonical(config),
                                             "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                                             "build_seconds": round(time.time() - start, 3)})
        shutil.rmtree(work, ignore_errors=True)
    return entry


@contextlib.contextmanager
def _build_lock(name: str, key: str):
    """An exclusive advisory lock (``flock``) on ``<cache>/.locks/<name>/<key>.lock``.

    Released by the operating system if the process dies, so a killed build never leaves a stale
    lock.  Where ``fcntl`` does not exist (Windows) builds are not serialised.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    lock_dir = paths.cache_dir() / ".locks" / name
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / f"{key}.lock", "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def cached_arrays(name: str, config: Any, compute: Callable[[], Mapping[str, np.ndarray]], *,
                  rebuild: bool = False, compress: bool = False) -> dict[str, np.ndarray]:
    """Cache a dictionary of arrays (``arrays.npz`` in the entry) computed by ``compute()``.

    ``compress=True`` writes a zip-deflated npz (worth it for images with few distinct values).
    """
    def build(out: Path, work: Path) -> None:
        arrays = dict(compute())
        with open(out / "arrays.npz", "wb") as f:
            (np.savez_compressed if compress else np.savez)(f, **arrays)

    entry = cached(name, config, build, rebuild=rebuild)
    with np.load(entry / "arrays.npz", allow_pickle=False) as data:
        return {k: data[k] for k in data.files}
