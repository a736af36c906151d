"""The figures of thesis chapter 8 and appendix D: the two branches of FONDUE (Figs 8.2-8.3)
drawn from a logged search, the traces and IDEs of the mean and sampled representations against
n (Figs 8.1, 8.9), data and layer IDEs (Figs 8.4, 8.11), variable-type counts (Fig 8.10) and the
elbow curves alone or in rows (Figs 8.5-8.8, 8.12, D.1-D.4)."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from latentdims.plotting.style import COLORS, figure_axes, finish_axes, mean_band, palette, seed_rows

__all__ = ["fondue_branch_plot", "elbow_panels", "mean_sampled_plot", "elbow_plot", "ide_bars",
           "layer_ide_plot", "fondue_steps_plot", "variable_type_counts"]

_BRANCHES = {"increase": True, "decrease": False}


def fondue_branch_plot(result, branch: str, *, ax=None, title: str | None = None):
    r"""One branch of FONDUE from a real search: the steps where D(n) <= t ("increase": Fig 8.2,
    l <- n, n <- min(2n, u)) or D(n) > t ("decrease": Fig 8.3, u <- n, n <- floor((l+u)/2)).

    Each step of that branch is drawn as an arrow from the n evaluated to the next n, at the
    height of its score gap D(n), with the bounds l and u after the step; the other steps are
    grey dots and t is a dotted line.

    Parameters
    ----------
    result : :class:`latentdims.maths.fondue.FondueResult`
    branch : {"increase", "decrease"}
    """
    import matplotlib.pyplot as plt

    if branch not in _BRANCHES:
        raise ValueError(f"fondue_branch_plot: `branch` must be one of {sorted(_BRANCHES)}; got "
                         f"{branch!r}.")
    accepted = _BRANCHES[branch]
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.2, 3.2))
    else:
        fig = ax.figure
    color = COLORS["active"] if accepted else COLORS["passive"]
    shown = 0
    for step in result.steps:
        if step.accepted != accepted:
            ax.plot(step.n, step.difference, "o", color=COLORS["data"], alpha=0.5)
            continue
        shown += 1
        ax.plot(step.n, step.difference, "o", color=color)
        if step.next_n != step.n:
            ax.annotate("", xy=(step.next_n, step.difference), xytext=(step.n, step.difference),
                        arrowprops=dict(arrowstyle="->", color=color))
        upper = "inf" if not np.isfinite(step.upper) else f"{int(step.upper)}"
        ax.annotate(f"{step.iteration}: l={step.lower}, u={upper}", (step.n, step.difference),
                    textcoords="offset points", xytext=(3, 5), fontsize=7)
    ax.axhline(result.threshold, color=COLORS["theory"], ls=":", label=f"t = {result.threshold:g}")
    rule = ("D(n) <= t: l <- n, n <- min(2n, u)" if accepted
            else "D(n) > t: u <- n, n <- floor((l+u)/2)")
    ax.set_xlabel("number of latent dimensions n")
    ax.set_ylabel(f"D(n) = {result.labels[0]} - {result.labels[1]}")
    ax.set_title(title or f"{result.algorithm}, {rule}" + ("" if shown else " (no such step)"),
                 fontsize=9)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def elbow_panels(panels: Mapping[str, tuple], *, title: str | None = None):
    """Several elbow plots (reconstruction loss and accuracy against n) stacked in rows, one
    row per panel, as Figs 8.5 and D.1-D.4 (panels a, b, c).

    Parameters
    ----------
    panels : mapping label -> (ns, reconstruction, accuracy, chosen)
        ``reconstruction`` and ``accuracy`` shaped (n_seeds, N) or (N,); ``chosen`` a mapping
        label -> n of vertical lines (or None).
    """
    import matplotlib.pyplot as plt

    if not panels:
        raise ValueError("elbow_panels: `panels` is empty.")
    fig, axes = plt.subplots(len(panels), 2, figsize=(8.0, 2.8 * len(panels)), squeeze=False)
    styles: Sequence[tuple] = (("-", "black"), ("--", "grey"), (":", "black"))
    for (label, (ns, rec, acc, chosen)), (ax_r, ax_a) in zip(panels.items(), axes):
        ns = np.asarray(ns, dtype=float)
        for ax, values, color, ylabel in ((ax_r, rec, COLORS["data"], "reconstruction loss"),
                                          (ax_a, acc, COLORS["mean"], "downstream accuracy")):
            v = np.atleast_2d(np.asarray(values, dtype=float))
            m = np.nanmean(v, axis=0)
            ax.plot(ns, m, "o-", color=color)
            if len(v) > 1:
                sd = np.nanstd(v, axis=0)
                ax.fill_between(ns, m - sd, m + sd, color=color, alpha=0.2)
            for (name, n), (ls, c) in zip((chosen or {}).items(), styles):
                ax.axvline(n, ls=ls, color=c, lw=1.2, label=f"{name}: {n:g}")
            ax.set_ylabel(ylabel)
            ax.set_xlabel("number of latent dimensions n")
            ax.set_title(label, fontsize=9)
        if chosen:
            ax_a.legend(fontsize="x-small")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


_N_LABEL = "number of latent dimensions n"


_CHOSEN_STYLES = (("-", "black"), ("--", "grey"), (":", "black"), ("-.", "grey"))


def _vlines(ax, chosen: Mapping[str, float] | None) -> None:
    for (label, n), (ls, color) in zip((chosen or {}).items(), _CHOSEN_STYLES * 4):
        ax.axvline(n, ls=ls, color=color, lw=1.2, label=f"{label} (n = {n:g})")


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
    m = seed_rows(mean_values, len(ns), "mean_values", func)
    z = seed_rows(sampled_values, len(ns), "sampled_values", func)
    fig, ax = figure_axes(ax)
    mean_band(ax, ns, m, color=COLORS["mean"], label="mean", marker="o")
    mean_band(ax, ns, z, color=COLORS["sampled"], label="sampled", marker="o", ls="--")
    _vlines(ax, chosen)
    if threshold is not None and chosen:
        n_star = max(chosen.values())
        base = float(np.interp(n_star, ns, np.nanmean(m, axis=0)))
        ax.annotate("", xy=(n_star, base + threshold), xytext=(n_star, base),
                    arrowprops=dict(arrowstyle="<->", color=COLORS["theory"]))
        ax.text(n_star, base + threshold / 2, "  $t$", va="center", color=COLORS["theory"])
    return finish_axes(fig, ax, xlabel=_N_LABEL, ylabel=ylabel, title=title,
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
    rec = seed_rows(reconstruction, len(ns), "reconstruction", func)
    acc = seed_rows(accuracy, len(ns), "accuracy", func)
    fig, (ax_r, ax_a) = plt.subplots(1, 2, figsize=(8.0, 3.2))
    mean_band(ax_r, ns, rec, color=COLORS["data"], label="reconstruction loss", marker="o")
    mean_band(ax_a, ns, acc, color=COLORS["mean"], label="accuracy (mean repr.)", marker="o")
    for ax, ylabel in ((ax_r, "reconstruction loss"), (ax_a, "downstream accuracy")):
        _vlines(ax, chosen)
        finish_axes(fig, ax, xlabel=_N_LABEL, ylabel=ylabel)
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
    fig, ax = figure_axes(ax)
    width = 0.8 / len(methods)
    for j, (method, color) in enumerate(zip(methods, palette(len(methods), "winter"))):
        vals = [np.asarray(estimates[d].get(method, [np.nan]), dtype=float) for d in datasets]
        x = np.arange(len(datasets)) + (j - (len(methods) - 1) / 2) * width
        ax.bar(x, [v.mean() for v in vals], width, label=method, color=color,
               yerr=[v.std() if len(v) > 1 else 0 for v in vals], capsize=2)
    ax.set_xticks(range(len(datasets)), datasets)
    return finish_axes(fig, ax, ylabel="intrinsic dimension estimate", title=title,
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
    fig, ax = figure_axes(ax, figsize=(1.5 + 0.45 * len(layers), 3.4))
    for (label, v), color in zip(values.items(), palette(len(values))):
        mean_band(ax, x, seed_rows(v, len(layers), f"values[{label!r}]", func), color=color,
              label=str(label), marker="o")
    ax.set_xticks(x, list(layers), rotation=90)
    return finish_axes(fig, ax, ylabel="intrinsic dimension (MLE)", title=title,
                   legend=dict(title="epoch", fontsize="small"))


def fondue_steps_plot(result, *, ax=None, title: str | None = None):
    """The n visited by a FONDUE search and their score gaps, in visiting order, against the
    threshold t (an experimental version of the schematics of Figs 8.2-8.3).

    Parameters
    ----------
    result : :class:`~latentdims.maths.fondue.FondueResult`
    """
    fig, ax = figure_axes(ax)
    sc = result.scores()
    ax.plot(sc["n"], sc["difference"], "o-", color=COLORS["sampled"],
            label=f"{result.labels[0]} - {result.labels[1]}")
    for step in result.steps:
        ax.annotate(str(step.iteration), (step.n, step.difference), textcoords="offset points",
                    xytext=(3, 4), fontsize=7)
    ax.axhline(result.threshold, color=COLORS["theory"], ls=":", label=f"t = {result.threshold:g}")
    ax.axvline(result.n, color="black", lw=1.2, label=f"{result.algorithm}: n = {result.n}")
    return finish_axes(fig, ax, xlabel=_N_LABEL, ylabel="score difference", title=title,
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
    fig, ax = figure_axes(ax)
    bottom = np.zeros(len(labels))
    for kind in ("active", "mixed", "passive"):
        if kind not in counts:
            raise ValueError(f"{func}: `counts` needs the key {kind!r}; got {list(counts)}.")
        mean = seed_rows(counts[kind], len(labels), f"counts[{kind!r}]", func).mean(axis=0)
        ax.bar(labels, mean, bottom=bottom, color=COLORS[kind], label=kind)
        bottom += mean
    return finish_axes(fig, ax, xlabel=_N_LABEL, ylabel="number of variables", title=title,
                   legend=dict(fontsize="small"))
