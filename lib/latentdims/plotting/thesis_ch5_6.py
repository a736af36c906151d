"""Figures of thesis chapters 5-6 and appendix B (notebooks 30-33).

Each function draws from arrays or tables computed by :mod:`latentdims.studies.thesis_ch5_6` and returns
the figure; the notebooks save it.  Colours come from :data:`latentdims.plotting.style.COLORS`.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from latentdims.plotting.style import COLORS, figure_axes
from latentdims.plotting.thesis_ch8 import variable_type_counts

__all__ = ["PARAM_LABELS", "histogram_row", "definition_figure", "type_counts_plot",
           "type_counts_row", "scores_plot", "scores_row", "classifier_plot", "classifier_figure",
           "correlation_heatmap", "correlation_counts_plot", "correlation_traces_plot"]

# Axis labels of the regularisation hyper-parameters (Figs 6.4-6.8, B.1-B.5).
PARAM_LABELS = {"beta": r"$\beta$", "lambda_od": r"$\lambda_{od}$", "c_max": "$C_{max}$",
                "gamma": r"$\gamma$"}

_TYPE_CODES = {"active": 0, "neither": 1, "passive": 2}


def _positions(values: Sequence[float]) -> tuple[np.ndarray, list[str]]:
    """Regularisation values on an evenly spaced categorical axis (as the thesis' bar charts)."""
    return np.arange(len(values)), [f"{v:g}" for v in values]


def histogram_row(panels: Mapping[str, np.ndarray], *, bins: int = 13, color: str | None = None,
                  title: str | None = None, letters: bool = True,
                  overlay: Mapping[str, tuple[str, np.ndarray]] | None = None):
    """One density histogram per panel, side by side (Figs 5.1-5.4, 6.2, 6.3).

    Parameters
    ----------
    panels : mapping label -> 1-D array
        E.g. ``{"posterior mean": ..., "posterior variance": ..., "prior variance": ...}``.
    bins : int
        13 in the author's histogram script.
    overlay : mapping panel label -> (legend label, 1-D array), optional
        A reference drawn over a panel as a step histogram with a legend, e.g. mu^2 over the
        prior variance of Fig 5.2 (Prop. 5.2.1).
    """
    if not panels:
        raise ValueError("histogram_row: `panels` is empty; give at least one label -> array.")
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 2.8), squeeze=False)
    for k, (ax, (label, values)) in enumerate(zip(axes[0], panels.items())):
        v = np.asarray(values, dtype=float).ravel()
        if v.size == 0 or not np.all(np.isfinite(v)):
            raise ValueError(f"histogram_row: panel {label!r} must hold finite values; got "
                             f"{v.size} values, {int(np.sum(~np.isfinite(v)))} not finite.")
        ax.hist(v, bins=bins, density=True, histtype="stepfilled", color=color or COLORS["mean"],
                alpha=0.8)
        if overlay and label in overlay:
            ref_label, ref = overlay[label]
            ax.hist(ref, bins=bins, density=True, histtype="step", color=COLORS["theory"],
                    label=ref_label)
            ax.legend(fontsize="small")
        ax.set_xlabel(label)
        ax.set_title(f"({chr(97 + k)})" if letters else label, fontsize="medium")
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
    axes[0, 0].set_ylabel("density")
    if title:
        fig.suptitle(title, fontsize="medium")
    fig.tight_layout()
    return fig


def definition_figure(per_example: np.ndarray, sets: Mapping[str, np.ndarray], *,
                      title: str | None = None):
    """Definition 6.3.1 drawn (Fig 6.1): the per-example sets V_p^(i), V_a^(i) as a grid
    (rows = inputs, columns = latent variables) and, below, the sets V_p, V_m, V_a they give."""
    t = np.asarray(per_example)
    codes = np.vectorize(_TYPE_CODES.__getitem__)(t)
    n, d = t.shape
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(0.45 * d + 2.5, 0.28 * n + 2.4),
                                      gridspec_kw={"height_ratios": [n, 1.6]}, sharex=True)
    cmap = ListedColormap([COLORS["active"], "#eeeeee", COLORS["passive"]])
    top.imshow(codes, cmap=cmap, vmin=0, vmax=2, aspect="auto", interpolation="nearest")
    top.set_yticks(range(n), [f"$x^{{({i + 1})}}$" for i in range(n)], fontsize="small")
    top.set_ylabel("input $i$")
    top.set_title(r"per-input sets $V_a^{(i)}$ (active), $V_p^{(i)}$ (passive)", fontsize="medium")
    top.grid(False)
    kind_of = np.full(d, "other", dtype=object)
    for kind in ("passive", "active", "mixed"):
        kind_of[np.asarray(sets.get(kind, []), dtype=int)] = kind
    colours = {"passive": COLORS["passive"], "active": COLORS["active"], "mixed": COLORS["mixed"],
               "other": "#ffffff"}
    for j in range(d):
        bottom.add_patch(plt.Rectangle((j - 0.5, 0), 1, 1, color=colours[kind_of[j]], ec="k", lw=0.5))
        bottom.text(j, 0.5, {"passive": "$V_p$", "active": "$V_a$", "mixed": "$V_m$",
                             "other": "-"}[kind_of[j]], ha="center", va="center", fontsize="small")
    bottom.set_xlim(-0.5, d - 0.5)
    bottom.set_ylim(0, 1)
    bottom.set_yticks([])
    bottom.set_xticks(range(d), [str(j) for j in range(d)])
    bottom.set_xlabel("latent variable $j$")
    bottom.grid(False)
    handles = [Patch(color=COLORS["active"], label="active"), Patch(color=COLORS["passive"], label="passive"),
               Patch(color="#eeeeee", label="neither"), Patch(color=COLORS["mixed"], label="mixed ($V_m$)")]
    top.legend(handles=handles, fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1))
    if title:
        fig.suptitle(title, fontsize="medium")
    fig.tight_layout()
    return fig


def type_counts_plot(counts, *, ax=None, xlabel: str = "regularisation", title: str | None = None):
    """Stacked bars of the mean numbers of active, mixed and passive variables per
    regularisation value (Figs 6.5, B.1).

    Parameters
    ----------
    counts : pandas.DataFrame
        From :func:`latentdims.studies.thesis_ch5_6.type_count_table` (``value``, ``seed``, counts).
    """
    mean = counts.groupby("value")[["active", "mixed", "passive"]].mean().sort_index()
    fig = variable_type_counts([f"{v:g}" for v in mean.index],
                               {k: mean[k].to_numpy() for k in ("active", "mixed", "passive")},
                               ax=ax, title=title)
    (fig.axes[0] if ax is None else ax).set_xlabel(xlabel)
    return fig


def type_counts_row(tables: Mapping[str, Any], *, xlabels: Mapping[str, str],
                    titles: Mapping[str, str] | None = None, suptitle: str | None = None):
    """:func:`type_counts_plot` of several sweeps side by side (Figs 6.5, B.1).

    Parameters
    ----------
    tables : mapping name -> pandas.DataFrame
        One :func:`latentdims.studies.thesis_ch5_6.type_count_table` per panel.
    xlabels, titles : mapping name -> str
        Each panel's x label and title (default: the name).
    """
    fig, axes = plt.subplots(1, len(tables), figsize=(4.2 * len(tables), 3.4), squeeze=False)
    for ax, (name, table) in zip(axes[0], tables.items()):
        type_counts_plot(table, ax=ax, xlabel=xlabels[name], title=(titles or {}).get(name, name))
    if suptitle:
        fig.suptitle(suptitle, fontsize="medium")
    fig.tight_layout()
    return fig


def scores_plot(scores, metric: str, *, subset: str = "full", ax=None,
                xlabel: str = "regularisation", ylabel: str | None = None, title: str | None = None,
                bars: bool = True):
    """Score of the mean and sampled representations against regularisation (lines, mean over
    seeds) with the average number of passive variables (bars, right axis): Figs 6.6-6.8, B.2-B.5.

    Parameters
    ----------
    scores : pandas.DataFrame
        From :func:`latentdims.studies.thesis_ch5_6.sweep_scores`.
    metric : {'tc', 'mi', 'erank'}
    subset : {'full', 'no passive', 'active'}
    """
    rows = scores[(scores.metric == metric) & (scores.subset == subset)]
    if rows.empty:
        raise ValueError(f"scores_plot: no rows with metric {metric!r} and subset {subset!r}; "
                         f"metrics {sorted(set(scores.metric))}, subsets {sorted(set(scores.subset))}.")
    values = sorted(set(rows.value))
    x, labels = _positions(values)
    fig, ax = figure_axes(ax, figsize=(5.0, 3.4))
    if bars:
        twin = ax.twinx()
        passive = rows.groupby("value")["passive"].mean().reindex(values)
        twin.bar(x, passive.to_numpy(), width=0.5, color=COLORS["passive"], alpha=0.25,
                 label="passive variables")
        twin.set_ylabel("passive variables", color=COLORS["passive"])
        twin.set_ylim(0, max(1.0, float(rows[["active", "mixed", "passive"]].sum(axis=1).max())))
        twin.grid(False)
        ax.set_zorder(twin.get_zorder() + 1)
        ax.patch.set_visible(False)
    for rep, ls in (("mean", "--"), ("sampled", "-")):
        r = rows[rows.representation == rep].groupby("value")["score"].mean().reindex(values)
        ax.plot(x, r.to_numpy(), ls=ls, marker="o", color=COLORS[rep], label=rep)
    ax.set_xticks(x, labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or {"tc": "total correlation", "mi": "averaged MI",
                             "erank": "effective rank"}.get(metric, metric))
    ax.legend(fontsize="small", loc="upper left")
    if title:
        ax.set_title(title, fontsize="medium")
    return fig


def scores_row(panels: Sequence[Mapping[str, Any]], *, figsize: tuple[float, float],
               sharey: bool = False, suptitle: str | None = None):
    """Several :func:`scores_plot` panels side by side (Figs 6.6-6.8, B.2-B.5).

    Parameters
    ----------
    panels : sequence of dict
        The keyword arguments of :func:`scores_plot` for each panel (``scores``, ``metric`` and
        optionally ``subset``, ``xlabel``, ``title``...).
    figsize : (float, float)
    sharey : bool
        One y axis for every panel (the subsets of Figs 6.7-6.8).
    """
    fig, axes = plt.subplots(1, len(panels), figsize=figsize, sharey=sharey, squeeze=False)
    for ax, panel in zip(axes[0], panels):
        scores_plot(ax=ax, **panel)
    if suptitle:
        fig.suptitle(suptitle, fontsize="medium")
    fig.tight_layout()
    return fig


_COMBOS = ("full", "active", "mixed", "passive", "active+mixed", "active+passive", "mixed+passive")


def classifier_plot(table, representation: str, *, ax=None, xlabel: str = r"$\beta$",
                    title: str | None = None):
    """Fig 6.4: test accuracy per variable-type combination against regularisation, with the
    random classifier (dotted).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`latentdims.studies.thesis_ch5_6.classifier_table`.
    representation : {'mean', 'sampled'}
    """
    values = sorted(set(table.value))
    x, labels = _positions(values)
    fig, ax = figure_axes(ax, figsize=(5.0, 3.4))
    colours = dict(zip(_COMBOS, plt.get_cmap("tab10").colors))
    rows = table[table.representation == representation]
    for combo in _COMBOS:
        r = rows[rows.combination == combo].groupby("value")["accuracy"].mean().reindex(values)
        if r.notna().any():
            ax.plot(x, r.to_numpy(), marker="o", color=colours[combo], label=combo)
    rnd = table[table.representation == "random"].groupby("value")["accuracy"].mean().reindex(values)
    ax.plot(x, rnd.to_numpy(), ls=":", color=COLORS["theory"], label="random")
    ax.set_xticks(x, labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize="x-small", ncol=2)
    if title:
        ax.set_title(title, fontsize="medium")
    return fig


def classifier_figure(table, *, xlabel: str = r"$\beta$", suptitle: str | None = None):
    """Fig 6.4: :func:`classifier_plot` of (a) the mean and (b) the sampled representation."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, rep in zip(axes, ("mean", "sampled")):
        classifier_plot(table, rep, ax=ax, xlabel=xlabel,
                        title=f"({'ab'[rep == 'sampled']}) {rep} representation")
    if suptitle:
        fig.suptitle(suptitle, fontsize="medium")
    fig.tight_layout()
    return fig


def correlation_heatmap(corr: np.ndarray, types: Sequence[str], *, ax=None, title: str | None = None):
    """Fig 6.9: the correlation matrix of the mean representation; tick labels name the variable
    types (passive variables in the passive colour)."""
    fig, ax = figure_axes(ax, figsize=(4.8, 4.0))
    c = np.asarray(corr)
    im = ax.imshow(c, cmap="RdBu_r", vmin=-1, vmax=1)
    d = c.shape[0]
    ax.set_xticks(range(d), [str(j) for j in range(d)])
    ax.set_yticks(range(d), [f"{j} ({t[0]})" for j, t in enumerate(types)])
    for label, t in zip(ax.get_yticklabels(), types):
        label.set_color(COLORS[t])
    ax.grid(False)
    fig.colorbar(im, ax=ax, label="Pearson correlation")
    if title:
        ax.set_title(title, fontsize="medium")
    return fig


def correlation_counts_plot(counts: np.ndarray, types: Sequence[str], *, n_snapshots: int,
                            threshold: float = 0.2, ax=None, title: str | None = None):
    """Fig 6.10: per variable, how many snapshots have |correlation| > threshold with another
    variable; bars coloured by the variable's type in the final model."""
    fig, ax = figure_axes(ax, figsize=(5.0, 3.4))
    d = len(counts)
    ax.bar(range(d), counts, color=[COLORS[t] for t in types])
    ax.set_xticks(range(d), [str(j) for j in range(d)])
    ax.set_xlabel("latent variable")
    ax.set_ylabel(f"snapshots with |corr| > {threshold:g} (of {n_snapshots})")
    ax.legend(handles=[Patch(color=COLORS[k], label=k) for k in ("active", "mixed", "passive")],
              fontsize="small")
    if title:
        ax.set_title(title, fontsize="medium")
    return fig


def correlation_traces_plot(steps, partners, values, types: Sequence[str], index: int, *, ax=None,
                            title: str | None = None):
    """Fig 6.11: the correlation of variable ``index`` with every other variable across the
    training snapshots (solid: passive partners, dashed: mixed, dotted: active)."""
    fig, ax = figure_axes(ax, figsize=(5.0, 3.4))
    styles = {"passive": "-", "mixed": "--", "active": ":"}
    for k, j in enumerate(partners):
        t = types[j]
        ax.plot(steps, values[:, k], ls=styles[t], color=COLORS[t], label=f"{j} ({t})")
    ax.axhline(0, color=COLORS["theory"], lw=0.6)
    ax.set_xlabel("training step")
    ax.set_ylabel(f"correlation with variable {index}")
    ax.legend(fontsize="x-small", ncol=2)
    if title:
        ax.set_title(title, fontsize="medium")
    return fig


