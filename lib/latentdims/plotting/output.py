"""Writing figures and tables where the manifest expects them (``figures/<document>/<id>.png`` and
``.pdf``, tables also as CSV and Markdown), each with a JSON record beside it.

The folder depends on the run's profile (:func:`latentdims.core.paths.figures_dir`): ``figures/``
for the default profile ``quick``, ``build/figures-<profile>/`` for the others, unless
``$LATENTDIMS_FIGURES`` says otherwise; so a smoke run in JupyterLab never overwrites the quick
figures."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from latentdims.core import manifest, paths
from latentdims.core.io import atomic_path, write_json, write_text

__all__ = ["save_figure", "save_table"]


def _record(root: Path, document: str, id: str, files: list[Path], extra: dict[str, Any]) -> None:
    record = {"document": document, "id": id, "files": [f.name for f in files],
              "written": time.strftime("%Y-%m-%dT%H:%M:%S"), **extra}
    write_json(manifest.sidecar_path(document, id, figures_dir=root), record)


def save_figure(fig, document: str, id: str, *, notebook: str | None = None,
                profile: str | None = None, seed: int | None = None) -> list[Path]:
    """Write ``fig`` as PNG and PDF to ``<figures>/<document>/<id>.*`` atomically, with a record.

    The pair ``document/id`` must be in the manifest (a typo is an error, not a stray file).
    ``<figures>`` is ``paths.figures_dir(profile)`` (``profile=None``: ``$LATENTDIMS_PROFILE``,
    else quick).  Notebooks call it through :meth:`latentdims.notebook.NotebookRun.save_figure`,
    which fills ``notebook``, ``profile`` and ``seed``.
    """
    entry = manifest.find_entry(document, id)
    root = paths.figures_dir(profile)
    folder = root / entry.document
    files = []
    for suffix in (".png", ".pdf"):
        target = folder / f"{entry.id}{suffix}"
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=suffix[1:])
        files.append(target)
    _record(root, document, id, files, {"notebook": notebook, "profile": profile, "seed": seed,
                                        "kind": entry.kind})
    return files


def save_table(table, document: str, id: str, *, caption: str = "", notebook: str | None = None,
               profile: str | None = None, seed: int | None = None) -> list[Path]:
    """Write a table (a pandas DataFrame) as CSV, Markdown, and a rendered PNG/PDF (in the folder
    of :func:`save_figure`)."""
    import matplotlib.pyplot as plt

    entry = manifest.find_entry(document, id)
    root = paths.figures_dir(profile)
    folder = root / entry.document
    csv_path, md_path = folder / f"{entry.id}.csv", folder / f"{entry.id}.md"
    with atomic_path(csv_path) as tmp:
        table.to_csv(tmp, index=False)
    header = f"**{document} {id}**" + (f": {caption}" if caption else "")
    write_text(md_path, header + "\n\n" + table.to_markdown(index=False) + "\n")

    n_rows, n_cols = table.shape
    width = min(2.0 + 1.6 * n_cols, 16)
    fig, ax = plt.subplots(figsize=(width, 0.6 + 0.32 * (n_rows + 1)))
    ax.axis("off")
    rendered = ax.table(cellText=table.astype(str).values, colLabels=[str(c) for c in table.columns],
                        loc="center", cellLoc="center")
    rendered.auto_set_font_size(False)
    rendered.set_fontsize(8)
    rendered.scale(1, 1.3)
    if caption:
        ax.set_title(caption, fontsize=9)
    files = []
    for suffix in (".png", ".pdf"):
        target = folder / f"{entry.id}{suffix}"
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=suffix[1:])
        files.append(target)
    plt.close(fig)
    _record(root, document, id, [csv_path, md_path, *files],
            {"notebook": notebook, "profile": profile, "seed": seed, "kind": entry.kind})
    return [csv_path, md_path, *files]
