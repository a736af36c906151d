"""The house style of every figure: seaborn's paper context, the semantic colours, palettes, and
the small axis helpers that the topic modules share (a given ``ax`` or a new figure, labels and
legend, a mean line with a +-1 SD band over seeds)."""
from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

import numpy as np

__all__ = ["COLORS", "palette", "set_style", "figure_axes", "finish_axes", "seed_rows", "mean_band"]


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


def figure_axes(ax, figsize=None):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def seed_rows(values, n: int, name: str, func: str) -> np.ndarray:
    """Values as (n_seeds, n); a 1-D array is one seed."""
    v = np.asarray(values, dtype=float)
    v = v[None, :] if v.ndim == 1 else v
    if v.ndim != 2 or v.shape[1] != n:
        raise ValueError(f"{func}: `{name}` must have shape (n_seeds, {n}) or ({n},); got "
                         f"{np.shape(values)}.")
    return v


def mean_band(ax, x, values, *, color, label, ls="-", marker=None):
    """Mean line with a +-1 SD band over the first axis (seeds)."""
    mean = np.nanmean(values, axis=0)
    ax.plot(x, mean, ls=ls, color=color, label=label, marker=marker)
    if len(values) > 1:
        sd = np.nanstd(values, axis=0)
        ax.fill_between(x, mean - sd, mean + sd, color=color, alpha=0.2, lw=0)


def finish_axes(fig, ax, *, xlabel: str | None = None, ylabel: str | None = None,
            title: str | None = None, legend: dict | None = None):
    """Axis labels, legend (``legend`` = its keyword arguments) and title; returns ``fig``."""
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if legend is not None:
        ax.legend(**legend)
    if title:
        ax.set_title(title)
    return fig
