"""Atomic writes: a file is either absent or complete, never half-written.

Every writer in the library goes through these helpers: the content is written to a temporary
file in the destination folder and moved into place with :func:`os.replace`, which is atomic on
POSIX file systems.  An interrupted process leaves at most a stray temporary file, never a
truncated result under the final name.

Temporary names
---------------
Temporaries are ``.tmp-<name>-p<pid>-<8 hex digits><suffix>`` (being written), and, for
folders, ``.new-<name>-p<pid>-<hex>`` (complete, about to replace ``<name>``) and
``.old-<name>-p<pid>-<hex>`` (the previous ``<name>``, moved aside).  Each write into a folder
first removes the temporaries there whose process is dead (checked on this machine; names
without a process id, from older versions, once they are a day old), except a ``.new-`` or
``.old-`` folder whose ``<name>`` is missing: that one is what :func:`recover_dir` puts back.

Replacing a folder
------------------
:func:`atomic_dir` replaces an existing folder by renaming it aside and renaming the new one in.
An interrupt (a kill, a full disk) can fall between the two renames; then ``<name>`` is missing
but complete copies of the new and the old content lie beside it.  :func:`recover_dir` (called
by :func:`atomic_dir` itself and by every reader of such folders, e.g. the training
checkpoints) moves the new one (else the old one) back into place, so a reader always finds
either the old or the new content, never nothing.
"""
from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import secrets
import shutil
import tempfile
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any, Iterator

import numpy as np

__all__ = ["atomic_path", "atomic_dir", "recover_dir", "remove_stale_temporaries", "write_json",
           "read_json", "write_text", "save_npz", "read_npz", "to_jsonable", "DamagedFileError",
           "ensure_writable_dir"]

STALE_AGE_S = 24 * 3600        # temporaries without a process id are removed after a day

# .<kind>-<name>-p<pid>-<8 hex><suffix>: the name is greedy, so the tail is the last match
_TEMP = re.compile(r"^\.(?P<kind>tmp|new|old)-(?P<name>.+)-p(?P<pid>\d+)-(?P<rand>[0-9a-f]{8})"
                   r"(?P<suffix>.*)$", re.DOTALL)
_LEGACY = re.compile(r"^\.(tmp|old)-.+")
_LEGACY_OLD = re.compile(r"^\.old-(.+)-[a-z0-9_]{8}$")     # aside folders of earlier versions (mkdtemp names)


class DamagedFileError(ValueError):
    """A file that exists but cannot be read (cut off, overwritten, not the expected format).

    ``path`` is the file; the message names it and says what to do.
    """

    def __init__(self, message: str, *, path: str | os.PathLike):
        super().__init__(message)
        self.path = Path(path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def ensure_writable_dir(path: str | os.PathLike, *, what: str = "output folder") -> Path:
    """Create ``path`` if needed and check that files can be written in it.

    Raises
    ------
    PermissionError
        With a message naming ``what`` and the path, if the folder cannot be created or written.
    """
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise PermissionError(
            f"The {what} {str(path)!r} is not writable ({exc.strerror or exc}). "
            f"Choose another folder or fix its permissions.") from exc
    return path


# ------------------------------------------------------------------------------- temporaries
def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (True when it cannot be told)."""
    if pid == os.getpid():
        return True
    if os.name == "nt":     # pragma: no cover - os.kill(pid, 0) would terminate it on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:         # e.g. PermissionError: it exists, under another user
        return True
    return True


def _temp_name(kind: str, name: str, suffix: str = "", rand: str | None = None) -> str:
    return f".{kind}-{name}-p{os.getpid()}-{rand or secrets.token_hex(4)}{suffix}"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def _age_s(path: Path) -> float:
    try:
        return time.time() - path.lstat().st_mtime
    except OSError:
        return 0.0


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporaries of dead writers in ``folder``; return what was removed.

    A temporary (see the module docstring) is stale when its process id is not running on this
    machine (a name without one: when it is older than :data:`STALE_AGE_S`).  A ``.new-`` or
    ``.old-`` folder whose target is missing is kept for :func:`recover_dir`.  Live writers'
    temporaries are never touched.
    """
    folder = Path(folder)
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith((".tmp-", ".new-", ".old-")):
            continue
        path = folder / entry.name
        m = _TEMP.match(entry.name)
        if m is not None:
            if _pid_alive(int(m["pid"])):
                continue
            if m["kind"] != "tmp" and not (folder / m["name"]).exists():
                continue                        # needed to recover m["name"]
        elif not _LEGACY.match(entry.name) or _age_s(path) < STALE_AGE_S:
            continue
        elif ((legacy := _LEGACY_OLD.match(entry.name)) is not None
              and (path / "x").is_dir() and not (folder / legacy[1]).exists()):
            continue                            # an older version's aside copy: recover_dir
        _remove(path)
        removed.append(path)
    return removed


def _own_siblings(path: Path, kind: str) -> list[Path]:
    """``.<kind>-<path.name>-p<pid>-<hex>`` folders beside ``path`` of dead writers or of this
    process, newest first."""
    found = []
    prefix = f".{kind}-{path.name}-p"
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent):
            if not entry.name.startswith(prefix):
                continue
            m = _TEMP.match(entry.name)
            if (m is None or m["name"] != path.name or m["suffix"] or not entry.is_dir()
                    or (int(m["pid"]) != os.getpid() and _pid_alive(int(m["pid"])))):
                continue
            found.append(path.parent / entry.name)
    return sorted(found, key=_age_s)


def _legacy_asides(path: Path) -> list[Path]:
    """``.old-<name>-<random>/x``: where earlier versions kept the old folder during a swap."""
    found = [p / "x" for p in path.parent.glob(f".old-{glob.escape(path.name)}-*")
             if _TEMP.match(p.name) is None and (p / "x").is_dir()]
    return sorted(found, key=_age_s)


def recover_dir(path: str | os.PathLike) -> bool:
    """Finish a folder replacement of :func:`atomic_dir` that an interrupt cut short.

    If ``path`` is missing and a complete new copy (``.new-``) or the moved-aside old copy
    (``.old-``) of a dead writer (or of this process) lies beside it, the newest new copy, else
    the newest old copy, is renamed to ``path``.  Leftover copies of ``path`` are then removed.

    Returns
    -------
    bool
        True if ``path`` was restored.
    """
    path = Path(path)
    restored = False
    if not path.exists():
        for candidate in (_own_siblings(path, "new") + _own_siblings(path, "old")
                          + _legacy_asides(path)):
            try:
                os.replace(candidate, path)
            except OSError:
                if path.exists():       # another process restored it first
                    break
                continue
            restored = True
            break
    if path.exists():
        for leftover in _own_siblings(path, "new") + _own_siblings(path, "old"):
            _remove(leftover)
    return restored


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it onto ``path`` atomically.

    The temporary name keeps the suffix of ``path`` so that libraries which choose a format from
    the suffix (matplotlib, h5py, numpy) behave as for the final name.  Stale temporaries of
    dead writers in the folder are removed first (:func:`remove_stale_temporaries`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent)
    while True:
        tmp = path.parent / _temp_name("tmp", path.stem, path.suffix)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 & ~_umask())
        except FileExistsError:     # pragma: no cover - 32 random bits
            continue
        os.close(fd)
        break
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``path`` (an existing folder is removed).

    Steps: the content is written into ``.tmp-<name>-p<pid>-<hex>``, which is renamed
    ``.new-...`` once complete; an existing ``path`` is renamed ``.old-...``; ``.new-...`` is
    renamed ``path``; the old copy is deleted.  Whatever step an interrupt stops, ``path`` holds
    the old or the new content, or is missing with a complete copy beside it that
    :func:`recover_dir` (called here first, and by the readers) puts back.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    recover_dir(path)
    remove_stale_temporaries(path.parent)
    rand = secrets.token_hex(4)
    tmp = path.parent / _temp_name("tmp", path.name, rand=rand)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    new = path.parent / _temp_name("new", path.name, rand=rand)
    old = path.parent / _temp_name("old", path.name, rand=rand)
    try:
        os.replace(tmp, new)                 # complete: from here on it can be recovered
        if path.exists():
            os.replace(path, old)
        os.replace(new, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        with contextlib.suppress(Exception):
            recover_dir(path)                # best effort; readers recover otherwise
        raise
    if old.exists():
        trash = path.parent / _temp_name("tmp", path.name, rand=secrets.token_hex(4))
        try:
            os.replace(old, trash)           # a half-deleted copy must never look complete
        except OSError:
            trash = old
        shutil.rmtree(trash, ignore_errors=True)


# ------------------------------------------------------------------------------ text and JSON
def write_text(path: str | os.PathLike, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"write_json: cannot store an object of type {type(obj).__name__} in JSON")


def to_jsonable(obj: Any) -> Any:
    """``obj`` as :func:`read_json` gives it back after :func:`write_json` (tuples become lists,
    NumPy scalars Python numbers), for comparing a value with a stored one."""
    return json.loads(json.dumps(obj, sort_keys=True, default=_json_default))


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented JSON, atomically (NumPy scalars and arrays are converted)."""
    return write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


_DELETE = ("Delete it (or the folder it belongs to) and run the step that writes it again.")


def read_json(path: str | os.PathLike, *, func: str = "read_json", remedy: str = _DELETE) -> Any:
    """The JSON content of ``path``.

    Raises
    ------
    FileNotFoundError
        If it does not exist.
    DamagedFileError
        If it is not valid JSON (cut off, overwritten, binary): the message names the file,
        where the JSON breaks off and ``remedy``.
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        reason = (f"it is empty" if not exc.doc.strip() else
                  f"it is not valid JSON from line {exc.lineno}, column {exc.colno}: cut off "
                  f"or overwritten")
    except UnicodeDecodeError:
        reason = "its bytes are not text"
    raise DamagedFileError(f"{func}: the file {str(path)!r} cannot be read ({reason}). {remedy}",
                           path=path)


# ----------------------------------------------------------------------------------- arrays
def save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> Path:
    """``np.savez`` (uncompressed) through :func:`atomic_path`."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
    return Path(path)


def _npz_reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "it is empty or cut off"
    if isinstance(exc, ValueError) and "pickle" in str(exc):
        return "its bytes are not an .npz archive of plain arrays"
    if isinstance(exc, (zipfile.BadZipFile, zlib.error)):
        return "the archive is cut off or corrupt"
    return "an array in it is cut off or corrupt"


def read_npz(path: str | os.PathLike, *, func: str = "read_npz", remedy: str = _DELETE
             ) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` file ``path``, read whole (so damage shows here, not later).

    Nothing is ever unpickled.

    Raises
    ------
    FileNotFoundError
        If it does not exist.
    DamagedFileError
        If it is cut off, corrupt or not an ``.npz`` of plain arrays: the message names the file
        and ``remedy``, not NumPy's or zipfile's internals.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{func}: the file {str(path)!r} does not exist. {remedy}")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            reason = "it holds a single .npy array, not an .npz archive"
        else:
            with data:
                return {k: data[k] for k in data.files}
    except PermissionError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        reason = _npz_reason(exc)
    raise DamagedFileError(f"{func}: the file {str(path)!r} cannot be read ({reason}). {remedy}",
                           path=path)
