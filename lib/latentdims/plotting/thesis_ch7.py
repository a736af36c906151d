"""Multi-panel figures of thesis chapter 7 and appendix C (built on
:mod:`latentdims.plotting.similarity`): rows of layer-by-layer heat maps (Figs 7.2-7.6, 7.8-7.10,
C.1-C.4), input-versus-encoder curves over epochs (Fig 7.7) and loss curves (Fig C.5)."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from . import palette
from .similarity import layer_similarity_lines, similarity_heatmap

__all__ = ["heatmap_row", "series_grid", "loss_curves_figure"]


def _split(layers: Sequence[str]) -> int | None:
    for i, name in enumerate(layers):
        if name.startswith(("decoder/", "class/")):
            return i
    return None


def heatmap_row(matrices: Sequence, titles: Sequence[str], *, label_a: str = "model A",
                label_b: str | Sequence[str] = "model B", suptitle: str | None = None,
                annotate: bool = False):
    """One heat map per panel on the same 0-1 scale, with the encoder/decoder quadrants split.

    Parameters
    ----------
    matrices : sequence of :class:`~latentdims.similarity.SimilarityMatrix`
        Rows: model A's layers, columns: model B's.
    titles : sequence of str
        One per panel ("(a) ...").
    label_a, label_b : str
        Axis labels (``label_b`` may differ per panel).
    """
    import matplotlib.pyplot as plt

    if len(matrices) != len(titles) or not matrices:
        raise ValueError(f"heatmap_row: give one title per matrix; got {len(matrices)} matrices "
                         f"and {len(titles)} titles.")
    labels_b = [label_b] * len(matrices) if isinstance(label_b, str) else list(label_b)
    width = max(0.32 * len(m.layers_b) + 1.8 for m in matrices)
    height = max(0.32 * len(m.layers_a) + 1.6 for m in matrices)
    fig, axes = plt.subplots(1, len(matrices), figsize=(width * len(matrices), height),
                             squeeze=False)
    for ax, m, title, lb in zip(axes[0], matrices, titles, labels_b):
        similarity_heatmap(m, ax=ax, title=title, split_a=_split(m.layers_a),
                           split_b=_split(m.layers_b), label_a=label_a, label_b=lb,
                           annotate=annotate)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def series_grid(epochs, panels: Mapping[str, np.ndarray], layers: Sequence[str], *,
                ncols: int = 2, ylabel: str = "similarity with the input",
                suptitle: str | None = None):
    """Fig 7.7: per panel, one line per encoder layer over epochs (mean +- SD over seeds).

    Parameters
    ----------
    epochs : array (T,)
    panels : mapping title -> scores (n_seeds, T, L)
    layers : sequence of str, length L
    """
    import matplotlib.pyplot as plt

    if not panels:
        raise ValueError("series_grid: no panels to draw.")
    nrows = int(np.ceil(len(panels) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.2 * nrows), squeeze=False,
                             sharey=True)
    for ax, (title, scores) in zip(axes.flat, panels.items()):
        layer_similarity_lines(epochs, scores, layers, ax=ax, ylabel=ylabel, title=title,
                               xlabel="epoch (0: initial weights)")
        ax.set_xticks(np.asarray(epochs))
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def loss_curves_figure(curves: Mapping[str, tuple], *, title: str | None = None,
                       ylabel: str = "training loss"):
    """Fig C.5: training loss per epoch, one colour per configuration, one line per seed.

    Parameters
    ----------
    curves : mapping label -> (epochs (E,), values (n_seeds, E))
    """
    import matplotlib.pyplot as plt

    if not curves:
        raise ValueError("loss_curves_figure: no curves to draw.")
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    for (label, (epochs, values)), color in zip(curves.items(), palette(len(curves), "tab10")):
        values = np.atleast_2d(np.asarray(values, dtype=float))
        for i, row in enumerate(values):
            ax.plot(epochs, row, marker="o", ms=3, color=color, label=label if i == 0 else None)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
