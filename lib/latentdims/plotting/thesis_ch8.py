"""Chapter-8 plots beyond :mod:`latentdims.plotting.similarity`: the two branches of FONDUE
(Figs 8.2-8.3) drawn from a logged search, and elbow panels side by side."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from . import COLORS

__all__ = ["fondue_branch_plot", "elbow_panels"]

_BRANCHES = {"increase": True, "decrease": False}


def fondue_branch_plot(result, branch: str, *, ax=None, title: str | None = None):
    r"""One branch of FONDUE from a real search: the steps where D(n) <= t ("increase": Fig 8.2,
    l <- n, n <- min(2n, u)) or D(n) > t ("decrease": Fig 8.3, u <- n, n <- floor((l+u)/2)).

    Each step of that branch is drawn as an arrow from the n evaluated to the next n, at the
    height of its score gap D(n), with the bounds l and u after the step; the other steps are
    grey dots and t is a dotted line.

    Parameters
    ----------
    result : :class:`latentdims.fondue.FondueResult`
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
