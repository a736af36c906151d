"""The figure manifest: every figure and table of the five documents, the notebook that makes
it, and the files it must write.

The manifest is ``figures/manifest.csv`` (tracked in git), one row per figure or table with the
columns ``document, id, kind, notebook, description``.  Documents are ``neurips2021``,
``iclr2022``, ``talks``, ``thesis`` (the rows of ``shared/spec/figures.csv``) and ``companion``
(figures of our own: toy checks, validation plots).  Each entry's outputs are
``figures/<document>/<id>.png`` and ``.pdf``; tables also write ``.csv`` and ``.md``.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from latentdims.core import paths

__all__ = ["Entry", "DOCUMENTS", "load_manifest", "find_entry", "entries_for_notebook",
           "output_paths", "sidecar_path", "missing_from_manifest"]

DOCUMENTS = ("neurips2021", "iclr2022", "talks", "thesis", "companion")
COLUMNS = ("document", "id", "kind", "notebook", "description")


@dataclass(frozen=True)
class Entry:
    document: str
    id: str
    kind: str          # "figure" or "table"
    notebook: str      # file name in notebooks/, e.g. "02_talks_bananas.ipynb"
    description: str

    @property
    def key(self) -> str:
        return f"{self.document}/{self.id}"


def load_manifest(path: str | Path | None = None) -> list[Entry]:
    """Read and check the manifest (unique keys, known documents and kinds)."""
    path = Path(path) if path is not None else paths.manifest_path()
    if not path.is_file():
        raise FileNotFoundError(f"load_manifest: no manifest at {str(path)!r}; it should be the "
                                f"tracked file figures/manifest.csv of the repository.")
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"load_manifest: {path} must have the columns {', '.join(COLUMNS)}; "
                             f"got {reader.fieldnames}.")
        entries = [Entry(**{k: row[k].strip() for k in COLUMNS}) for row in reader]
    seen: set[str] = set()
    for line, e in enumerate(entries, start=2):
        problems = []
        if e.document not in DOCUMENTS:
            problems.append(f"unknown document {e.document!r} (expected one of {DOCUMENTS})")
        if e.kind not in ("figure", "table"):
            problems.append(f"kind must be 'figure' or 'table', got {e.kind!r}")
        if not e.notebook.endswith(".ipynb"):
            problems.append(f"notebook must be an .ipynb file name, got {e.notebook!r}")
        if e.key in seen:
            problems.append(f"duplicate entry {e.key}")
        if problems:
            raise ValueError(f"load_manifest: {path}, line {line}: " + "; ".join(problems))
        seen.add(e.key)
    return entries


def find_entry(document: str, id: str, entries: list[Entry] | None = None) -> Entry:
    """The manifest entry for ``document/id``; a clear error if the manifest has none."""
    entries = load_manifest() if entries is None else entries
    for e in entries:
        if e.document == document and e.id == id:
            return e
    near = sorted(e.key for e in entries if e.document == document)[:8]
    raise ValueError(f"save_figure: {document}/{id} is not in the figure manifest "
                     f"(figures/manifest.csv). Known ids of {document!r} include: "
                     f"{', '.join(near) or 'none'}. Fix the id or add a row to the manifest.")


def entries_for_notebook(notebook: str, entries: list[Entry] | None = None) -> list[Entry]:
    entries = load_manifest() if entries is None else entries
    name = Path(notebook).name
    return [e for e in entries if e.notebook == name]


def output_paths(entry: Entry, figures_dir: Path | None = None) -> list[Path]:
    """The files an entry must produce."""
    folder = (figures_dir or paths.figures_dir()) / entry.document
    suffixes = [".png", ".pdf"] + ([".csv", ".md"] if entry.kind == "table" else [])
    # ids such as "figure-5.1" contain a dot, so names are joined rather than Path.with_suffix'ed
    return [folder / f"{entry.id}{s}" for s in suffixes]


def sidecar_path(document: str, id: str, figures_dir: Path | None = None) -> Path:
    """The JSON record written beside a figure (notebook, profile, seed, time)."""
    return (figures_dir or paths.figures_dir()) / document / f"{id}.json"


def missing_from_manifest(spec_csv: str | Path, entries: list[Entry] | None = None) -> list[str]:
    """Keys ``document/id`` listed in ``shared/spec/figures.csv`` but absent from the manifest."""
    entries = load_manifest() if entries is None else entries
    have = {e.key for e in entries}
    with open(spec_csv, newline="") as f:
        want = [f"{r['document']}/{r['id']}" for r in csv.DictReader(f)]
    return [k for k in want if k not in have]
