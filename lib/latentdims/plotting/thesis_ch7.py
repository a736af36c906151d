"""The figures of thesis chapter 7 and appendix C: CKA against Procrustes on synthetic matrices
(Fig 7.1), layer-by-layer heat maps alone or in rows (Figs 7.2-7.6, 7.8-7.10, C.1-C.4),
input-versus-encoder curves over epochs (Fig 7.7) and loss curves (Fig C.5)."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from latentdims.plotting.style import COLORS, figure_axes, finish_axes, mean_band, palette

__all__ = ["similarity_heatmap", "synthetic_similarity_figure", "layer_similarity_lines", "heatmap_row",
           "series_grid", "loss_curves_figure"]


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
    matrices : sequence of :class:`~latentdims.maths.similarity.SimilarityMatrix`
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


def similarity_heatmap(matrix, layers_a: Sequence[str] | None = None,
                       layers_b: Sequence[str] | None = None, *, ax=None, title: str | None = None,
                       split_a: int | None = None, split_b: int | None = None,
                       label_a: str = "model A", label_b: str = "model B",
                       annotate: bool = False, colorbar: bool = True):
    """Heat map of layer-by-layer similarities on a fixed 0-1 scale (thesis Figs 7.2-7.10, C.1-C.4).

    Rows are the layers of model A, columns those of model B.  ``split_a``/``split_b`` (the index
    of the first decoder layer) draw the lines that separate the quadrants the thesis reads
    (encoder-encoder top left, decoder-decoder bottom right, thesis Sec. 7.4).  NaN cells (layers
    constant over the examples) are grey.

    Parameters
    ----------
    matrix : array (La, Lb) or :class:`~latentdims.maths.similarity.SimilarityMatrix`
        A ``SimilarityMatrix`` supplies its mean and layer names.
    """
    if hasattr(matrix, "mean") and hasattr(matrix, "layers_a"):
        layers_a = layers_a or matrix.layers_a
        layers_b = layers_b or matrix.layers_b
        matrix = matrix.mean
    m = np.asarray(matrix, dtype=float)
    if m.ndim != 2:
        raise ValueError(f"similarity_heatmap: `matrix` must be 2-D; got shape {m.shape}.")
    layers_a = list(layers_a) if layers_a is not None else [str(i) for i in range(m.shape[0])]
    layers_b = list(layers_b) if layers_b is not None else [str(i) for i in range(m.shape[1])]
    if (len(layers_a), len(layers_b)) != m.shape:
        raise ValueError(f"similarity_heatmap: {len(layers_a)} x {len(layers_b)} layer names for "
                         f"a {m.shape} matrix.")
    import matplotlib

    size = (1.6 + 0.32 * len(layers_b), 1.0 + 0.32 * len(layers_a))
    fig, ax = figure_axes(ax, figsize=size)
    cmap = matplotlib.colormaps["magma"].with_extremes(bad="#bbbbbb")
    image = ax.imshow(np.ma.masked_invalid(m), vmin=0.0, vmax=1.0, cmap=cmap, aspect="auto")
    ax.set_xticks(range(len(layers_b)), layers_b, rotation=90)
    ax.set_yticks(range(len(layers_a)), layers_a)
    ax.set_xlabel(label_b)
    ax.set_ylabel(label_a)
    ax.grid(False)
    if split_a is not None:
        ax.axhline(split_a - 0.5, color="white", lw=1.5)
    if split_b is not None:
        ax.axvline(split_b - 0.5, color="white", lw=1.5)
    if annotate:
        for (i, j), v in np.ndenumerate(m):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6,
                        color="black" if v > 0.6 else "white")
    if colorbar:
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return finish_axes(fig, ax, title=title)


def synthetic_similarity_figure(curves, *, names: Sequence[str] = ("B", "C", "D"),
                                suptitle: str | None = None):
    """Thesis Fig 7.1: CKA (dashed) and Procrustes (solid) similarity of A with matrices that
    keep a fraction of its features, against the number of examples n; one panel per matrix.

    Parameters
    ----------
    curves : :class:`~latentdims.maths.similarity.SyntheticSimilarity`
    names : sequence of str
        The compared matrices' names, one per ``curves.shared``.
    suptitle : str, optional
        Drawn above the panels.
    """
    import matplotlib.pyplot as plt

    n_panels = len(curves.shared)
    fig, axes = plt.subplots(1, n_panels, figsize=(3.4 * n_panels, 3.0), sharey=True,
                             squeeze=False)
    for s, ax in enumerate(axes[0]):
        mean_band(ax, curves.ns, curves.procrustes[:, s], color=COLORS["procrustes"],
              label="Procrustes")
        mean_band(ax, curves.ns, curves.cka[:, s], color=COLORS["cka"], label="CKA", ls="--")
        ax.axhline(curves.shared[s], color=COLORS["theory"], lw=0.8, ls=":",
                   label="shared fraction")
        name = names[s] if s < len(names) else f"M{s}"
        ax.set_title(f"sim(A, {name}): {curves.shared[s]:.0%} of features shared")
        ax.set_xlabel("number of examples n")
        ax.set_ylim(0, 1.02)
    axes[0][0].set_ylabel("similarity")
    axes[0][0].legend(fontsize="small")
    fig.tight_layout()
    if suptitle:   # after the layout, above it (the panels keep their size)
        fig.suptitle(suptitle, y=1.03)
    return fig


def layer_similarity_lines(x, scores, layers: Sequence[str], *, ax=None, xlabel: str = "epoch",
                           ylabel: str = "CKA", title: str | None = None):
    """Similarity of each layer against ``x`` (e.g. epochs), mean +- SD over seeds (Fig 7.7).

    Parameters
    ----------
    x : array, shape (T,)
    scores : array, shape (n_seeds, T, L) or (T, L)
    layers : sequence of str, length L
    """
    func = "layer_similarity_lines"
    x = np.asarray(x, dtype=float)
    s = np.asarray(scores, dtype=float)
    s = s[None] if s.ndim == 2 else s
    if s.ndim != 3 or s.shape[1:] != (len(x), len(layers)):
        raise ValueError(f"{func}: `scores` must have shape (n_seeds, {len(x)}, {len(layers)}); "
                         f"got {np.shape(scores)}.")
    fig, ax = figure_axes(ax)
    for j, (name, color) in enumerate(zip(layers, palette(len(layers)))):
        mean_band(ax, x, s[:, :, j], color=color, label=name, marker="o")
    ax.set_ylim(0, 1.02)
    return finish_axes(fig, ax, xlabel=xlabel, ylabel=ylabel, title=title,
                   legend=dict(fontsize="x-small", ncol=2))
