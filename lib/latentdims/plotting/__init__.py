"""Plotting: one style for every figure, and the helpers that write figures and tables where the
manifest expects them (``figures/<document>/<id>.png`` and ``.pdf``, plus a JSON record).

Topic modules (``plotting.jets``, ``plotting.similarity``, ...) hold the drawing functions of one
area; colours come from :data:`COLORS` and :func:`palette`, not from literals in notebooks.
"""
from __future__ import annotations

import time
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .. import manifest, paths
from ..io import atomic_path, write_json, write_text

__all__ = ["COLORS", "palette", "set_style", "save_figure", "save_table"]

# Semantic colours used across notebooks (read-only).
COLORS = MappingProxyType({
    "mean": "#1f77b4",        # mean representation / D1
    "sampled": "#ff7f0e",     # sampled representation / D2
    "dcorr": "#2ca02c",       # correlation dimension
    "theory": "#444444",      # closed forms and references
    "active": "#2a9d8f",
    "mixed": "#e9c46a",
    "passive": "#e76f51",
    "priming": "#8c8c8c",
    "production": "#d62728",
    "cka": "#1f77b4",
    "procrustes": "#9467bd",
    "data": "#7f7f7f",
})


def palette(n: int, name: str = "viridis") -> list:
    """``n`` colours from a perceptually uniform colormap (for many curves, e.g. 256 latents)."""
    import matplotlib

    cmap = matplotlib.colormaps[name]
    return [cmap(i / max(n - 1, 1)) for i in range(n)]


def set_style() -> None:
    """The house style: seaborn's "paper" context, white grid, figure sizes for a half page."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context="paper", style="whitegrid", font_scale=1.1)
    mpl.rcParams.update({"figure.figsize": (5.0, 3.6), "figure.dpi": 100, "savefig.dpi": 150,
                         "savefig.bbox": "tight", "axes.titlesize": "medium",
                         "pdf.fonttype": 42})


def _record(document: str, id: str, files: list[Path], extra: dict[str, Any]) -> None:
    record = {"document": document, "id": id, "files": [f.name for f in files],
              "written": time.strftime("%Y-%m-%dT%H:%M:%S"), **extra}
    write_json(manifest.sidecar_path(document, id), record)


def save_figure(fig, document: str, id: str, *, notebook: str | None = None,
                profile: str | None = None, seed: int | None = None) -> list[Path]:
    """Write ``fig`` as PNG and PDF to ``figures/<document>/<id>.*`` atomically, with a record.

    The pair ``document/id`` must be in the manifest (a typo is an error, not a stray file).
    Notebooks call it through :meth:`latentdims.notebook.NotebookRun.save_figure`, which fills
    ``notebook``, ``profile`` and ``seed``.
    """
    entry = manifest.find_entry(document, id)
    folder = paths.figures_dir() / entry.document
    files = []
    for suffix in (".png", ".pdf"):
        target = folder / f"{entry.id}{suffix}"
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=suffix[1:])
        files.append(target)
    _record(document, id, files, {"notebook": notebook, "profile": profile, "seed": seed,
                                  "kind": entry.kind})
    return files


def save_table(table, document: str, id: str, *, caption: str = "", notebook: str | None = None,
               profile: str | None = None, seed: int | None = None) -> list[Path]:
    """Write a table (a pandas DataFrame) as CSV, Markdown, and a rendered PNG/PDF."""
    import matplotlib.pyplot as plt

    entry = manifest.find_entry(document, id)
    folder = paths.figures_dir() / entry.document
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
    _record(document, id, [csv_path, md_path, *files],
            {"notebook": notebook, "profile": profile, "seed": seed, "kind": entry.kind})
    return [csv_path, md_path, *files]
