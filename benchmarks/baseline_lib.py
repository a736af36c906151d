"""The library of an earlier commit, for the benchmarks that compare against it
(``bench_training.py``, ``bench_thesis_training.py``: ``--baseline COMMIT``), and the reply of
the worker process each version runs in."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def extract_lib(commit: str, into: Path, *, script: str, repo: Path = ROOT) -> Path:
    """``lib/`` of ``commit`` under ``into`` (``git archive COMMIT lib | tar -x``); returns
    ``into/lib``.  A commit that ``repo`` lacks (e.g. a shallow clone) stops ``script`` with the
    remedy."""
    try:
        archive = subprocess.run(["git", "-C", str(repo), "archive", commit, "lib"],
                                 capture_output=True, check=True).stdout
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"{script}: `git archive {commit} lib` failed in {repo} "
                         f"({exc.stderr.decode().strip()}); pass an existing commit with "
                         f"--baseline (a shallow clone may lack it: `git fetch --unshallow`)."
                         ) from None
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return Path(into) / "lib"


def read_reply(proc: subprocess.Popen, *, script: str, label: str):
    """The next JSON line a benchmark's worker ``proc`` printed; a worker that exited stops
    ``script`` naming it (``label``) and its return code (its own error output is above)."""
    line = proc.stdout.readline()
    if not line:
        raise SystemExit(f"{script}: the {label} worker exited (return code {proc.wait()}); "
                         f"see its messages above.")
    return json.loads(line)
