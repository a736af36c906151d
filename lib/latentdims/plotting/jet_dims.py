"""Plots of annealed EMD-VAE runs: the schedule (NeurIPS Fig. 4 / ICLR Fig. 6), per-latent KL
against beta (ICLR Fig. 7) and the dimensionalities D1, D2, D_corr (NeurIPS Fig. 3 / ICLR Fig. 3).

Each function draws on a given Matplotlib axis and returns it; colours come from
:data:`latentdims.plotting.COLORS` and :func:`latentdims.plotting.palette`.
"""
from __future__ import annotations

import numpy as np

from . import COLORS, palette

__all__ = ["plot_schedule", "plot_kl_curves", "plot_dimensions"]


def plot_schedule(ax, run, *, unit: str = "GeV"):
    """beta of every annealing step against the step number, priming and production marked.

    ``unit``: ``'GeV'`` (beta = <H_T> beta-hat) or ``'hat'`` (the dimensionless beta-hat, as the
    papers' figure).
    """
    if unit not in ("GeV", "hat"):
        raise ValueError(f"plot_schedule: `unit` must be 'GeV' or 'hat'; got {unit!r}.")
    key = "beta_gev" if unit == "GeV" else "beta_hat"
    steps = run.steps
    x = np.array([s["index"] for s in steps])
    y = np.array([s[key] for s in steps])
    ax.plot(x, y, color=COLORS["data"], lw=0.8, zorder=1)
    for phase, colour, label in (("priming", COLORS["priming"], "priming run"),
                                 ("zigzag", "black", "zig-zag"),
                                 ("production", COLORS["production"], "production run")):
        sel = np.array([s["phase"] == phase for s in steps])
        if sel.any():
            ax.scatter(x[sel], y[sel], s=14, color=colour, label=label, zorder=2)
    ax.set_yscale("log")
    ax.set_xlabel("annealing step")
    ax.set_ylabel(r"$\beta$ [GeV]" if unit == "GeV" else r"$\hat\beta$")
    ax.legend(fontsize=8)
    return ax


def plot_kl_curves(ax, beta, kl, *, n_highlight: int = 6, title: str | None = None):
    """KL of every latent direction against beta (log x), the ``n_highlight`` most informative
    (by summed KL) in colour and labelled z0, z1, ... by that order, the others in grey."""
    beta = np.asarray(beta)
    kl = np.asarray(kl)
    order = np.argsort(-kl.sum(axis=0), kind="stable")
    sort = np.argsort(beta, kind="stable")
    for i in order[n_highlight:]:
        ax.plot(beta[sort], kl[sort, i], color=COLORS["data"], lw=0.5, alpha=0.5)
    for rank, (i, colour) in enumerate(zip(order[:n_highlight], palette(n_highlight, "plasma"))):
        ax.plot(beta[sort], kl[sort, i], marker="o", ms=3, lw=1.2, color=colour,
                label=f"z{rank} (unit {i})")
    ax.set_xscale("log")
    ax.set_xlabel(r"$\beta$ [GeV]")
    ax.set_ylabel(r"$D_{\rm KL}$ per latent [nats]")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    return ax


def plot_dimensions(ax, curve, dcorr=None, *, title: str | None = None):
    """D1, D2 (a :class:`~latentdims.dimensionality.DimensionCurve` with beta in GeV) and,
    optionally, D_corr on the beta axis with its band (a
    :class:`~latentdims.jet_vae_analysis.JetDcorr`)."""
    ax.plot(curve.beta, curve.d1, "o-", ms=4, color=COLORS["mean"], label="$D_1$")
    ax.plot(curve.beta, curve.d2, "s-", ms=4, color=COLORS["sampled"], label="$D_2$")
    if dcorr is not None:
        v = dcorr.valid
        ax.plot(dcorr.beta[v], dcorr.dcorr[v], color=COLORS["dcorr"],
                label=r"$D_{\rm corr}(Q = 2\beta)$")
        ax.fill_between(dcorr.beta[v], dcorr.lower[v], dcorr.upper[v], color=COLORS["dcorr"],
                        alpha=0.25, lw=0)
    ax.axhline(0, color=COLORS["theory"], lw=0.5)
    ax.set_xscale("log")
    ax.set_xlabel(r"$\beta$ [GeV]")
    ax.set_ylabel("dimensionality")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return ax
