"""The run cache: expensive results keyed by a hash of their full configuration.

A cache entry is a folder ``<cache>/<name>/<key>/`` where ``key`` is a short SHA-256 of the
canonical JSON of the configuration.  Entries appear atomically (built in a temporary folder,
then renamed), hold a ``config.json`` that says what they are (with the size of every file of the
entry), and are never required: an empty cache rebuilds everything.  Long builds get a persistent
*work* folder (``<cache>/.work/<name>/<key>/``) for checkpoints, so an interrupted training resumes
there; it is removed once the entry exists.

Put everything that changes the result in the configuration (data size, seeds, model widths, a
``version`` number bumped when the code changes its output, and the identity of the data: a
stand-in's name and version or a real file's :func:`latentdims.data.images.file_identity`);
nothing else.

Damaged entries
---------------
An entry is *damaged* when its ``config.json`` is missing or not JSON, records another key or
configuration, or a file it lists is missing or has another size (a truncated copy, a partial
folder), or when a reader finds a file of it unreadable (a truncated ``.npz``, bad JSON).  The
cache never reads a damaged entry and never deletes one: it is moved aside to
``<entry>.damaged-<YYYYmmdd-HHMMSS>`` (delete that folder once you have looked at it) and then

* :func:`cached` and :func:`cached_arrays` rebuild it at once, with a warning that names the
  entry, what was wrong and where the damaged copy went;
* the readers of an entry's files (:func:`read_entry_json`, :func:`read_entry_npz`, used by the
  studies' loaders) raise :class:`DamagedEntryError`, whose message says the same and that the
  next call of the high-level function (e.g. ``train_run(run)``) rebuilds the entry.

``rebuild=True`` rebuilds an entry whatever its state.  Temporary folders left by a build that
was killed (``.tmp-<key>-*``, ``.old-<key>-*``) are removed before the entry is built again.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import time
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from latentdims.core import paths
from latentdims.core.io import atomic_dir, recover_dir, write_json

__all__ = ["config_key", "entry_path", "work_path", "cached", "cached_arrays", "is_cached",
           "entry_problem", "DamagedEntryError", "set_aside", "read_entry_json",
           "read_entry_npz"]

_MISSING = "the entry does not exist"


class DamagedEntryError(ValueError):
    """A cache entry whose files cannot be read; it has been moved aside (see the message)."""

    def __init__(self, message: str, *, entry: Path, aside: Path | None):
        super().__init__(message)
        self.entry, self.aside = entry, aside


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


# ------------------------------------------------------------------------------ integrity
def _file_sizes(folder: Path) -> dict[str, int]:
    """``{relative path: size}`` of every file under ``folder`` (``config.json`` excepted)."""
    return {p.relative_to(folder).as_posix(): p.stat().st_size
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "config.json"}


def _problem(entry: Path, name: str | None, config: Any) -> str | None:
    """None if ``entry`` is complete, :data:`_MISSING` if absent, else what is wrong with it."""
    record = entry / "config.json"
    if not entry.exists():
        return _MISSING
    if not record.is_file():
        return "it has no config.json (a partial folder)"
    try:
        with open(record) as f:
            meta = json.load(f)
    except (ValueError, UnicodeDecodeError) as exc:
        return f"its config.json is not valid JSON ({exc})"
    if not isinstance(meta, dict) or meta.get("key") != entry.name:
        return f"its config.json does not record the key {entry.name!r}"
    if name is not None and meta.get("name") != name:
        return f"its config.json records the name {meta.get('name')!r}, not {name!r}"
    if config is not None and "config" in meta and \
            meta["config"] != json.loads(json.dumps(_canonical(config))):
        return "its config.json records another configuration"
    for rel, size in (meta.get("files") or {}).items():   # older entries list none
        path = entry / rel
        if not path.is_file():
            return f"its file {rel!r} is missing"
        if path.stat().st_size != size:
            return (f"its file {rel!r} has {path.stat().st_size} bytes, not the {size} it was "
                    f"written with (truncated or replaced)")
    return None


def entry_problem(name: str, config: Any) -> str | None:
    """What is wrong with the entry of ``(name, config)``: None if it is complete, else a
    sentence (``'the entry does not exist'``, ``"its file 'model.npz' is missing"``, ...)."""
    return _problem(entry_path(name, config), name, config)


def is_cached(name: str, config: Any) -> bool:
    """Whether the entry of ``(name, config)`` exists and is complete."""
    return entry_problem(name, config) is None


def set_aside(entry: str | os.PathLike) -> Path:
    """Move a damaged entry to ``<entry>.damaged-<YYYYmmdd-HHMMSS>`` and return that path
    (never deleted by the cache: remove it once you have looked at it)."""
    entry = Path(entry)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = entry.with_name(f"{entry.name}.damaged-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = entry.with_name(f"{entry.name}.damaged-{stamp}-{n}")
    os.replace(entry, aside)
    return aside


def _remove_stale_temporaries(entry: Path) -> None:
    """Temporary folders of killed builds of ``entry`` (called under the entry's build lock, so
    no live builder owns them)."""
    for pattern in (f".tmp-{entry.name}-*", f".old-{entry.name}-*"):
        for stale in entry.parent.glob(pattern):
            shutil.rmtree(stale, ignore_errors=True)


def cached(name: str, config: Any, build: Callable[[Path, Path], None], *,
           rebuild: bool = False) -> Path:
    """Return the folder of the cache entry for ``(name, config)``, building it if missing.

    Parameters
    ----------
    name : str
        The kind of result (``"toy_vae"``, ``"jet_vae"``...), a folder name.
    config : dict or dataclass
        Everything that determines the result (including the data's identity).
    build : callable ``build(out_dir, work_dir)``
        Writes the result's files into ``out_dir`` (a temporary folder renamed into place on
        success).  ``work_dir`` persists across interruptions: keep checkpoints there.
    rebuild : bool
        Build again even if the entry exists.

    A damaged entry (see the module docstring) is moved aside to ``<entry>.damaged-<time>`` and
    rebuilt, with a warning saying so.
    """
    entry = entry_path(name, config)
    if not rebuild and _problem(entry, name, config) is None:
        return entry
    # One builder per entry: a second process (another notebook, a second JupyterLab kernel) asking
    # for the same entry waits for the first and then reuses its result instead of training into
    # the same work folder at the same time.
    with _build_lock(name, entry.name):
        recover_dir(entry)      # a replacement cut short between its renames (core.io.atomic_dir)
        problem = _problem(entry, name, config)
        if not rebuild and problem is None:
            return entry
        if problem not in (None, _MISSING):
            aside = set_aside(entry)
            warnings.warn(f"cached: the cache entry {str(entry)!r} was damaged ({problem}); it "
                          f"was moved aside to {str(aside)!r} and is rebuilt now. Delete the "
                          f"damaged copy once you no longer need it.", stacklevel=2)
        _remove_stale_temporaries(entry)
        work = work_path(name, config)
        work.mkdir(parents=True, exist_ok=True)
        start = time.time()
        with atomic_dir(entry) as tmp:
            build(tmp, work)
            # config.json last: an entry with it is complete (the rename makes it appear at once)
            write_json(tmp / "config.json", {"name": name, "key": entry.name,
                                             "config": _canonical(config),
                                             "files": _file_sizes(tmp),
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


# ------------------------------------------------------------------------------ readers
# What NumPy, zipfile, zlib and json raise on a truncated, overwritten or half-copied file
# (np.load says "pickled data ... allow_pickle" for bytes that are not an .npz).
_READ_ERRORS = (ValueError, EOFError, zipfile.BadZipFile, zlib.error, UnicodeDecodeError,
                KeyError)


def _damaged(entry: Path, filename: str, exc: BaseException, func: str, again: str,
             inode: int) -> DamagedEntryError:
    """Move ``entry`` aside (unless another process has already replaced it) and describe it."""
    if isinstance(exc, OSError):
        reason = f"{exc.strerror or exc}"
    elif "pickle" in str(exc):      # np.load's words for bytes that are no .npz: never unpickled
        reason = "its bytes are not an .npz archive of plain arrays"
    else:
        reason = f"{type(exc).__name__}: {exc}"
    aside = None
    with _build_lock(entry.parent.name, entry.name):
        with contextlib.suppress(OSError):
            if entry.stat().st_ino == inode:
                aside = set_aside(entry)
    where = (f"it was moved aside to {str(aside)!r} (delete that copy once you no longer need "
             f"it)" if aside is not None else "it has since been replaced")
    return DamagedEntryError(
        f"{func}: {filename!r} of the cache entry {str(entry)!r} cannot be read ({reason}); "
        f"{where}. {again}", entry=entry, aside=aside)


def _inode(entry: Path, func: str) -> int:
    if not entry.is_dir():
        raise FileNotFoundError(f"{func}: there is no cache entry {str(entry)!r}; get one from "
                                f"the function that makes it.")
    return entry.stat().st_ino


def read_entry_json(entry: str | os.PathLike, filename: str, *, func: str = "read_entry_json",
                    again: str = "Call the function that made it again to rebuild it.") -> Any:
    """The JSON file ``filename`` of the cache entry ``entry``.

    Raises
    ------
    DamagedEntryError
        If the file is missing or not valid JSON: the entry is moved aside first, and the
        message names the file, the entry and ``again`` (what to call to rebuild it).
    """
    entry = Path(entry)
    inode = _inode(entry, func)
    try:
        with open(entry / filename) as f:
            return json.load(f)
    except PermissionError:
        raise
    except (OSError, *_READ_ERRORS) as exc:
        raise _damaged(entry, filename, exc, func, again, inode) from exc


def read_entry_npz(entry: str | os.PathLike, filename: str, *, func: str = "read_entry_npz",
                   again: str = "Call the function that made it again to rebuild it."
                   ) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` file ``filename`` of the cache entry ``entry`` (read whole,
    so that a damaged member is found here and not later).

    Raises
    ------
    DamagedEntryError
        If the file is missing, truncated or not an ``.npz`` of plain arrays (see
        :func:`read_entry_json`).
    """
    entry = Path(entry)
    inode = _inode(entry, func)
    try:
        with np.load(entry / filename, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except PermissionError:
        raise
    except (OSError, *_READ_ERRORS) as exc:
        raise _damaged(entry, filename, exc, func, again, inode) from exc


def cached_arrays(name: str, config: Any, compute: Callable[[], Mapping[str, np.ndarray]], *,
                  rebuild: bool = False, compress: bool = False) -> dict[str, np.ndarray]:
    """Cache a dictionary of arrays (``arrays.npz`` in the entry) computed by ``compute()``.

    ``compress=True`` writes a zip-deflated npz (worth it for images with few distinct values).
    A damaged entry is moved aside and computed again, with a warning.
    """
    def build(out: Path, work: Path) -> None:
        arrays = dict(compute())
        with open(out / "arrays.npz", "wb") as f:
            (np.savez_compressed if compress else np.savez)(f, **arrays)

    entry = cached(name, config, build, rebuild=rebuild)
    try:
        return read_entry_npz(entry, "arrays.npz", func="cached_arrays",
                              again="It is computed again now.")
    except DamagedEntryError as exc:
        warnings.warn(str(exc), stacklevel=2)
    return read_entry_npz(cached(name, config, build), "arrays.npz", func="cached_arrays")
