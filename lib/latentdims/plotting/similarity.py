"""Figures of thesis chapters 7-8 and appendices C-D: similarity heat maps and curves, the ID
bars, mean-vs-sampled curves, elbow plots with FONDUE's choices, variable-type counts.

Every function draws on a given ``ax`` (or a new figure) and returns the figure; arrays with a
leading seed axis are drawn as their mean with a +-1 SD band (the thesis' ``ci="sd"``).
Colours come from :data:`latentdims.plotting.COLORS`.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from . import COLORS, palette

__all__ = ["similarity_heatmap", "synthetic_similarity_figure", "layer_similarity_lines",
           "mean_sampled_plot", "elbow_plot", "ide_bars", "variable_type_counts",
           "layer_ide_plot", "fondue_steps_plot"]

_N_LABEL = "number of latent dimensions n"
_CHOSEN_STYLES = (("-", "black"), ("--", "grey"), (":", "black"), ("-.", "grey"))


def _axes(ax, figsize=None):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def _seeds(values, n: int, name: str, func: str) -> np.ndarray:
    """Values as (n_seeds, n); a 1-D array is one seed."""
    v = np.asarray(values, dtype=float)
    v = v[None, :] if v.ndim == 1 else v
    if v.ndim != 2 or v.shape[1] != n:
        raise ValueError(f"{func}: `{name}` must have shape (n_seeds, {n}) or ({n},); got "
                         f"{np.shape(values)}.")
    return v


def _band(ax, x, values, *, color, label, ls="-", marker=None):
    """Mean line with a +-1 SD band over the first axis (seeds)."""
    mean = np.nanmean(values, axis=0)
    ax.plot(x, mean, ls=ls, color=color, label=label, marker=marker)
    if len(values) > 1:
        sd = np.nanstd(values, axis=0)
        ax.fill_between(x, mean - sd, mean + sd, color=color, alpha=0.2, lw=0)


def _vlines(ax, chosen: Mapping[str, float] | None) -> None:
    for (label, n), (ls, color) in zip((chosen or {}).items(), _CHOSEN_STYLES * 4):
        ax.axvline(n, ls=ls, color=color, lw=1.2, label=f"{label} (n = {n:g})")


def _finish(fig, ax, *, xlabel: str | None = None, ylabel: str | None = None,
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


def similarity_heatmap(matrix, layers_a: Sequence[str] | None = None,
                       layers_b: Sequence[str] | None = None, *, ax=None, title: str | None = None,
                       split_a: int | None = None, split_b: int | None = None,
                       label_a: str = "model A", label_b: str = "model B",
                       annotate: bool = False, colorbar: bool = True):
    """Heat map of layer-by-layer similarities on a fixed 0-1 scale (thesis Figs 7.2-7.10, C.1-C.4).

    Rows are the layers of model A, columns those of model B.  ``split_a``/``split_b`` (the index
    of the first decoder layer) draw the lines that separate the quadrants the thesis reads
    (encoder-encoder top left, decoder-decoder bottom right, L1741-L1745).  NaN cells (layers
    constant over the examples) are grey.

    Parameters
    ----------
    matrix : array (La, Lb) or :class:`~latentdims.similarity.SimilarityMatrix`
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
    fig, ax = _axes(ax, figsize=size)
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
    return _finish(fig, ax, title=title)


def synthetic_similarity_figure(curves, *, names: Sequence[str] = ("B", "C", "D")):
    """Thesis Fig 7.1: CKA (dashed) and Procrustes (solid) similarity of A with matrices that
    keep a fraction of its features, against the number of examples n; one panel per matrix.

    Parameters
    ----------
    curves : :class:`~latentdims.similarity.SyntheticSimilarity`
    names : sequence of str
        The compared matrices' names, one per ``curves.shared``.
    """
    import matplotlib.pyplot as plt

    n_panels = len(curves.shared)
    fig, axes = plt.subplots(1, n_panels, figsize=(3.4 * n_panels, 3.0), sharey=True,
                             squeeze=False)
    for s, ax in enumerate(axes[0]):
        _band(ax, curves.ns, curves.procrustes[:, s], color=COLORS["procrustes"],
              label="Procrustes")
        _band(ax, curves.ns, curves.cka[:, s], color=COLORS["cka"], label="CKA", ls="--")
        ax.axhline(curves.shared[s], color=COLORS["theory"], lw=0.8, ls=":",
                   label="shared fraction")
        name = names[s] if s < len(names) else f"M{s}"
        ax.set_title(f"sim(A, {name}): {curves.shared[s]:.0%} of features shared")
        ax.set_xlabel("number of examples n")
        ax.set_ylim(0, 1.02)
    axes[0][0].set_ylabel("similarity")
    axes[0][0].legend(fontsize="small")
    fig.tight_layout()
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
    fig, ax = _axes(ax)
    for j, (name, color) in enumerate(zip(layers, palette(len(layers)))):
        _band(ax, x, s[:, :, j], color=color, label=name, marker="o")
    ax.set_ylim(0, 1.02)
    return _finish(fig, ax, xlabel=xlabel, ylabel=ylabel, title=title,
                   legend=dict(fontsize="x-small", ncol=2))


def mean_sampled_plot(ns, mean_values, sampled_values, *, ax=None, ylabel: str = "trace",
                      threshold: float | None = None, chosen: Mapping[str, float] | None = None,
                      title: str | None = None):
    """A quantity of the mean and sampled representations against the number of latents n,
    mean +- SD over seeds: traces of the covariances (Fig 8.1, with the gap ``threshold`` t
    marked at the chosen n) or intrinsic dimensions (Fig 8.9).

    Parameters
    ----------
    ns : array, shape (N,)
    mean_values, sampled_values : array, shape (n_seeds, N) or (N,)
    threshold : float, optional
        Draw the allowed gap t above the mean curve at the largest ``chosen`` n.
    chosen : mapping label -> n, optional
        Vertical lines (e.g. ``{"FONDUE": 32}``).
    """
    func = "mean_sampled_plot"
    ns = np.asarray(ns, dtype=float)
    m = _seeds(mean_values, len(ns), "mean_values", func)
    z = _seeds(sampled_values, len(ns), "sampled_values", func)
    fig, ax = _axes(ax)
    _band(ax, ns, m, color=COLORS["mean"], label="mean", marker="o")
    _band(ax, ns, z, color=COLORS["sampled"], label="sampled", marker="o", ls="--")
    _vlines(ax, chosen)
    if threshold is not None and chosen:
        n_star = max(chosen.values())
        base = float(np.interp(n_star, ns, np.nanmean(m, axis=0)))
        ax.annotate("", xy=(n_star, base + threshold), xytext=(n_star, base),
                    arrowprops=dict(arrowstyle="<->", color=COLORS["theory"]))
        ax.text(n_star, base + threshold / 2, "  $t$", va="center", color=COLORS["theory"])
    return _finish(fig, ax, xlabel=_N_LABEL, ylabel=ylabel, title=title,
                   legend=dict(fontsize="small"))


def elbow_plot(ns, reconstruction, accuracy, *, chosen: Mapping[str, float] | None = None,
               title: str | None = None):
    """Reconstruction loss and downstream accuracy against the number of latents, with the n
    chosen by FONDUE and its variants as vertical lines (Figs 8.5-8.8, 8.12, D.1-D.4).

    Parameters
    ----------
    ns : array, shape (N,)
    reconstruction, accuracy : array, shape (n_seeds, N) or (N,)
    chosen : mapping label -> n, e.g. ``{"FONDUE": 19.1, "FONDUE_IB": 23.3}``
    """
    import matplotlib.pyplot as plt

    func = "elbow_plot"
    ns = np.asarray(ns, dtype=float)
    rec = _seeds(reconstruction, len(ns), "reconstruction", func)
    acc = _seeds(accuracy, len(ns), "accuracy", func)
    fig, (ax_r, ax_a) = plt.subplots(1, 2, figsize=(8.0, 3.2))
    _band(ax_r, ns, rec, color=COLORS["data"], label="reconstruction loss", marker="o")
    _band(ax_a, ns, acc, color=COLORS["mean"], label="accuracy (mean repr.)", marker="o")
    for ax, ylabel in ((ax_r, "reconstruction loss"), (ax_a, "downstream accuracy")):
        _vlines(ax, chosen)
        _finish(fig, ax, xlabel=_N_LABEL, ylabel=ylabel)
    ax_a.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def ide_bars(estimates: Mapping[str, Mapping[str, Sequence[float]]], *, ax=None,
             title: str | None = None):
    """Grouped bars of intrinsic-dimension estimates with SD error bars (Fig 8.4).

    Parameters
    ----------
    estimates : mapping dataset -> (mapping estimator -> repeated values)
        e.g. ``{"dSprites": {"MLE (k=20)": [10.8, 11.1], "TwoNN": [11.5]}}``.
    """
    datasets = list(estimates)
    if not datasets:
        raise ValueError("ide_bars: `estimates` is empty.")
    methods = list(dict.fromkeys(m for d in datasets for m in estimates[d]))
    fig, ax = _axes(ax)
    width = 0.8 / len(methods)
    for j, (method, color) in enumerate(zip(methods, palette(len(methods), "winter"))):
        vals = [np.asarray(estimates[d].get(method, [np.nan]), dtype=float) for d in datasets]
        x = np.arange(len(datasets)) + (j - (len(methods) - 1) / 2) * width
        ax.bar(x, [v.mean() for v in vals], width, label=method, color=color,
               yerr=[v.std() if len(v) > 1 else 0 for v in vals], capsize=2)
    ax.set_xticks(range(len(datasets)), datasets)
    return _finish(fig, ax, ylabel="intrinsic dimension estimate", title=title,
                   legend=dict(fontsize="small"))


def variable_type_counts(ns, counts: Mapping[str, Sequence], *, ax=None,
                         title: str | None = None):
    """Stacked bars of the mean numbers of active, mixed and passive latents against n
    (Fig 8.10).

    Parameters
    ----------
    ns : array, shape (N,)
    counts : mapping "active"/"mixed"/"passive" -> array (n_seeds, N) or (N,)
    """
    func = "variable_type_counts"
    labels = [str(n) for n in ns]
    fig, ax = _axes(ax)
    bottom = np.zeros(len(labels))
    for kind in ("active", "mixed", "passive"):
        if kind not in counts:
            raise ValueError(f"{func}: `counts` needs the key {kind!r}; got {list(counts)}.")
        mean = _seeds(counts[kind], len(labels), f"counts[{kind!r}]", func).mean(axis=0)
        ax.bar(labels, mean, bottom=bottom, color=COLORS[kind], label=kind)
        bottom += mean
    return _finish(fig, ax, xlabel=_N_LABEL, ylabel="number of variables", title=title,
                   legend=dict(fontsize="small"))


def layer_ide_plot(layers: Sequence[str], values: Mapping[str, Sequence], *, ax=None,
                   title: str | None = None):
    """Intrinsic dimension of every layer's activations, one curve per epoch (Fig 8.11).

    Parameters
    ----------
    layers : sequence of str, length L
    values : mapping epoch label -> array (n_seeds, L) or (L,)
    """
    func = "layer_ide_plot"
    x = np.arange(len(layers))
    fig, ax = _axes(ax, figsize=(1.5 + 0.45 * len(layers), 3.4))
    for (label, v), color in zip(values.items(), palette(len(values))):
        _band(ax, x, _seeds(v, len(layers), f"values[{label!r}]", func), color=color,
              label=str(label), marker="o")
    ax.set_xticks(x, list(layers), rotation=90)
    return _finish(fig, ax, ylabel="intrinsic dimension (MLE)", title=title,
                   legend=dict(title="epoch", fontsize="small"))


def fondue_steps_plot(result, *, ax=None, title: str | None = None):
    """The n visited by a FONDUE search and their score gaps, in visiting order, against the
    threshold t (an experimental version of the schematics of Figs 8.2-8.3).

    Parameters
    ----------
    result : :class:`~latentdims.fondue.FondueResult`
    """
    fig, ax = _axes(ax)
    sc = result.scores()
    ax.plot(sc["n"], sc["difference"], "o-", color=COLORS["sampled"],
            label=f"{result.labels[0]} - {result.labels[1]}")
    for step in result.steps:
        ax.annotate(str(step.iteration), (step.n, step.difference), textcoords="offset points",
                    xytext=(3, 4), fontsize=7)
    ax.axhline(result.threshold, color=COLORS["theory"], ls=":", label=f"t = {result.threshold:g}")
    ax.axvline(result.n, color="black", lw=1.2, label=f"{result.algorithm}: n = {result.n}")
    return _finish(fig, ax, xlabel=_N_LABEL, ylabel="score difference", title=title,
                   legend=dict(fontsize="small"))
