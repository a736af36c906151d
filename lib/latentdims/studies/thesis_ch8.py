"""Thesis chapter 8 and appendix D: the experiment design per profile, the sweeps over the
number of latents n, the measurements taken on each trained model, the downstream task, and the
adapter that lets :func:`latentdims.maths.fondue.fondue` train through the project's cache.

* :class:`Ch8Settings` / :func:`ch8_settings`: which datasets, n, seeds, epochs and sizes each
  profile uses (``paper`` = the thesis: n = 3..42, 5 seeds, FONDUE over 10 seeds, 10,000
  examples; ``quick`` and ``smoke`` are reduced, see the function's docstring).
* :func:`ch8_run`: a :class:`latentdims.studies.thesis_runs.ThesisRun` for one (model, dataset, n, seed),
  either fully trained (the profile's steps) or trained for ``epochs`` FONDUE epochs.
* :func:`sweep_over_n` and :func:`measure_run` / :func:`sweep_measures`: the trained models of a
  sweep and one row of numbers per model (reconstruction loss, downstream accuracy, the traces
  of Var[M] and Var[Z], the IDEs of M and Z, the counts of variable types).
* :func:`downstream_accuracy`: gradient-boosted trees per label on mean representations (L2257).
* :func:`fondue_trainer`, :func:`run_fondue`, :func:`run_binary_search`: FONDUE, FONDUE_IB,
  FONDUE_IDE and the supervised binary searches on cached trainings (one training per distinct
  (configuration, n, epochs, seed), shared by every search and notebook that asks for it).
* :func:`data_ides` (Fig 8.4) and :func:`layer_ides` (Fig 8.11).
* :data:`THESIS_TABLES` and :func:`fondue_table`: Tables 8.1-8.8 and D.5 with our numbers beside
  the thesis' A100 numbers.

An "epoch" of a FONDUE training is ``Ch8Settings.epoch_steps`` optimiser steps: in ``paper`` one
pass over the 90 % training split of dSprites (10,368 steps of batch 64, spec section 4), in
``quick`` one pass over its 20,000 training images (312 steps, rounded to 300).
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from latentdims.core.validation import check_array, check_choice, check_int, check_same_length
from latentdims.data.images import has_real_data
from latentdims.core.profiles import by_profile

__all__ = ["Ch8Settings", "ch8_settings", "ch8_run", "NSweep", "sweep_over_n", "measure_run",
           "sweep_measures", "downstream_accuracy", "fondue_trainer", "run_fondue",
           "run_binary_search", "search_training_seconds", "has_real_data", "init_datasets",
           "data_ides", "layer_ides", "THESIS_TABLES", "fondue_table", "FIGURE_CONFIGS",
           "SIDE_SEARCHES", "by_seed", "settings_table", "timed", "architecture_table", "mle_table"]

# Regularisation hyper-parameter of each objective (Tables 8.2-8.3; the AE has none).
_DEFAULT_PARAMS = {"beta_vae": {"beta": 1.0}, "dip_vae_ii": {"lambda_od": 1.0}, "autoencoder": {}}


@dataclass(frozen=True)
class Ch8Settings:
    """The chapter-8 design in one profile.

    Attributes
    ----------
    datasets : tuple of str
        Data sets of the sweeps over n (Figs 8.1, 8.5, 8.9-8.12).
    ns, seeds : tuple of int
        Latent sizes and seeds of the main sweep (conv beta-VAE, beta = 1, fully trained).
    side_ns, side_seeds : tuple of int
        Latent sizes and seeds of the other sweeps (AE, beta, DIP-VAE II, FC: Figs 8.6-8.8,
        D.1-D.4), trained for ``side_epochs`` FONDUE epochs.
    side_epochs : int
    d_betas, d_lambdas : tuple of float
        beta and lambda_od values of Figs D.1-D.4.
    fondue_seeds : tuple of int
        Seeds of the FONDUE and FONDUE_IDE searches on the beta = 1 conv VAE (the thesis: 10).
    ib_seeds : tuple of int
        Seeds of its FONDUE_IB searches (the thesis: the same 10).
    side_searches : tuple of str
        Keys of :data:`SIDE_SEARCHES` run with seed 0: FONDUE on the beta = 4 conv VAE (Table
        8.2), on DIP-VAE II with lambda_od = 0.5 (Table 8.3, Fig 8.7b) and on the FC VAE
        (Table 8.7, Fig 8.8); figures whose search is not run show the thesis' value.
    side_criteria : tuple of str
        Criteria of the search on the FC VAE: "trace" (FONDUE) and/or "ib" (FONDUE_IB).
    init_datasets : tuple of str
        Data sets of the initialisation tables (8.4 Symsol, 8.5 CelebA, 8.6 dSprites): FONDUE
        from the data IDE and from each n_init of ``random_inits``, seed 0.
    fondue_epochs : int
        e, epochs of every FONDUE training (the thesis finds it per data set: 1-6).
    epoch_steps : int
        Optimiser steps in one FONDUE epoch.
    max_n : int
        Upper limit of FONDUE's doubling (the thesis has none).
    random_inits : tuple of int
        n_init of Tables 8.4-8.6 (the thesis: 10 values drawn in [1, 200]).
    supervised_range : (int, int)
        l and u of the binary searches of Table D.5 (the thesis: 1 and 200).
    ide_points, ide_runs : int
        Examples and repeats of the data IDEs (Fig 8.4; the thesis: 10,000 and 5).
    ide_ks : tuple of int
        MLE neighbourhoods (Fig 8.4: 3, 5, 10, 20).
    rep_k : int
        MLE k for representations and layers (Figs 8.9, 8.11; the code: 20).
    layer_points : int
        Examples whose layer activations are measured (Fig 8.11).
    gbt_iterations : int
        Boosting iterations of the downstream classifiers (the code: 100).
    """
    datasets: tuple
    ns: tuple
    seeds: tuple
    side_ns: tuple
    side_seeds: tuple
    side_epochs: int
    d_betas: tuple
    d_lambdas: tuple
    fondue_seeds: tuple
    ib_seeds: tuple
    side_searches: tuple
    side_criteria: tuple
    init_datasets: tuple
    fondue_epochs: int
    epoch_steps: int
    max_n: int
    random_inits: tuple
    supervised_range: tuple
    ide_points: int
    ide_runs: int
    ide_ks: tuple
    rep_k: int
    layer_points: int
    gbt_iterations: int


def ch8_settings(profile: str) -> Ch8Settings:
    """The chapter-8 design of ``profile``.

    ``paper`` is the thesis: Symsol, dSprites and CelebA; n = 3, 6, 8, 10, 12, 18, 24, 32, 42
    (L2253) and seeds 0-4; every other sweep the same; FONDUE over 10 seeds with e = 2 epochs
    ("generally just two", L2183); 10 random n_init (Tables 8.4-8.6); l, u = 1, 200 (L2903);
    10,000 examples for the IDEs with k = 3, 5, 10, 20 and 5 runs (Table D.4).
    ``quick`` keeps dSprites only for the trained figures, n = 3, 6, 10, 18 with one seed (the
    thesis' n = 10 model of chapters 6-8 is one of them, shared through the cache), side sweeps
    at n = 3 and 11 trained for one epoch (beta in {0.5, 4} for Figs D.1-D.2, lambda_od = 0.5
    for Figs D.3-D.4; n = 11 is also the first model of every FONDUE search started from
    dSprites' IDE, so the two share it), e = 1 FONDUE epoch of 300 steps (about one pass over
    our 20,000 training images), FONDUE and FONDUE_IDE with seeds 0 and 1, FONDUE_IB with seed
    0, FONDUE (seed 0) on beta = 4, DIP-VAE II with lambda_od = 0.5 and the FC VAE (Tables 8.2,
    8.3 and 8.7; FONDUE_IB on the FC VAE keeps the thesis' value), n_init in {5, 40} on the Symsol
    stand-in and dSprites (Tables 8.4, 8.6; CelebA's Table 8.5 only when the real files are
    present), l, u = 1, 64, and
    2,000 examples for the data IDEs.  Every training is one short model (about 21 s of a quiet
    2-core CPU for 300 steps), so the notebook's time is the number of distinct
    (configuration, n, seed) it visits; 150-step epochs would halve it but leave the latents
    unpolarised: with them FONDUE rejected n = 11 and then n = 5 on dSprites (seed 0) and went
    on down to n = 2 (where we stopped it), far below the 6-11 of the 300-step searches.
    ``smoke`` only proves the code runs (a handful of 4-step trainings).
    """
    return by_profile(
        profile,
        smoke=Ch8Settings(datasets=("dsprites",), ns=(2, 4), seeds=(0,), side_ns=(2,),
                          side_seeds=(0,), side_epochs=1, d_betas=(4.0,), d_lambdas=(0.5,),
                          fondue_seeds=(0,), ib_seeds=(0,),
                          side_searches=("beta4", "dip05", "fc"), side_criteria=("trace", "ib"),
                          init_datasets=("symsol", "dsprites"), fondue_epochs=1, epoch_steps=4,
                          max_n=2, random_inits=(1,), supervised_range=(1, 2), ide_points=300,
                          ide_runs=2, ide_ks=(3, 5, 10, 20), rep_k=5, layer_points=64,
                          gbt_iterations=5),
        quick=Ch8Settings(datasets=("dsprites",), ns=(3, 6, 10, 18), seeds=(0,),
                          side_ns=(3, 11), side_seeds=(0,), side_epochs=1,
                          d_betas=(0.5, 4.0), d_lambdas=(0.5,), fondue_seeds=(0, 1),
                          ib_seeds=(0,), side_searches=("beta4", "dip05", "fc"),
                          side_criteria=("trace",),
                          init_datasets=("symsol", "dsprites"),
                          fondue_epochs=1, epoch_steps=300, max_n=64, random_inits=(5, 40),
                          supervised_range=(1, 64), ide_points=2_000, ide_runs=3,
                          ide_ks=(3, 5, 10, 20), rep_k=20, layer_points=500,
                          gbt_iterations=30),
        paper=Ch8Settings(datasets=("symsol", "dsprites", "celeba"),
                          ns=(3, 6, 8, 10, 12, 18, 24, 32, 42), seeds=(0, 1, 2, 3, 4),
                          side_ns=(3, 6, 8, 10, 12, 18, 24, 32, 42), side_seeds=(0, 1, 2, 3, 4),
                          side_epochs=29, d_betas=(0.5, 2.0, 4.0), d_lambdas=(0.5, 2.0),
                          fondue_seeds=tuple(range(10)), ib_seeds=tuple(range(10)),
                          side_searches=("beta4", "dip05", "fc"), side_criteria=("trace", "ib"),
                          init_datasets=("symsol", "celeba", "dsprites"),
                          fondue_epochs=2, epoch_steps=10_368,
                          max_n=1024, random_inits=(5, 19, 22, 39, 74, 94, 116, 145, 180, 182),
                          supervised_range=(1, 200), ide_points=10_000, ide_runs=5,
                          ide_ks=(3, 5, 10, 20), rep_k=20, layer_points=10_000,
                          gbt_iterations=100))


# The (model, params, architecture, dataset) behind each elbow figure of chapter 8 / appendix D
# (the dataset None: every one of Ch8Settings.datasets).
FIGURE_CONFIGS = {
    "figure-8.6": ("autoencoder", {}, "conv", "dsprites"),
    "figure-8.7a": ("beta_vae", {"beta": 4.0}, "conv", "symsol"),
    "figure-8.7b": ("dip_vae_ii", {"lambda_od": 0.5}, "conv", "dsprites"),
    "figure-8.8": ("beta_vae", {"beta": 1.0}, "fc", "dsprites"),
}

# The FONDUE searches on other objectives and architectures (seed 0, dSprites): key ->
# (model, params, architecture, thesis table, thesis row).
SIDE_SEARCHES = {
    "beta4": ("beta_vae", {"beta": 4.0}, "conv", "8.2", "beta=4"),
    "dip05": ("dip_vae_ii", {"lambda_od": 0.5}, "conv", "8.3", "lambda_od=0.5"),
    "fc": ("beta_vae", {"beta": 1.0}, "fc", "8.7", "FONDUE"),
}


def _params(model: str, params: dict) -> dict:
    check_choice(model, sorted(_DEFAULT_PARAMS), name="model", func="ch8_run")
    return {**_DEFAULT_PARAMS[model], **params}


def ch8_run(model: str = "beta_vae", *, profile: str, dataset: str = "dsprites",
            latent_dim: int = 10, seed: int = 0, architecture: str = "conv",
            epochs: int | None = None, **params: Any):
    """One chapter-8 training as a :class:`~latentdims.studies.thesis_runs.ThesisRun`.

    ``epochs=None`` gives the profile's full training (:func:`thesis_settings`), the same cache
    entry as ``thesis_run(model, beta=1, ...)`` in the other thesis notebooks; ``epochs=e`` a
    FONDUE training of ``e * epoch_steps`` steps.  The objective's hyper-parameter is always
    spelled out (beta = 1, lambda_od = 1 by default) so equal configurations share one entry.
    """
    from latentdims.studies.thesis_runs import thesis_run

    params = _params(model, params)
    if epochs is None:
        return thesis_run(model, profile=profile, dataset=dataset, latent_dim=latent_dim,
                          architecture=architecture, seed=seed, **params)
    e = check_int(epochs, name="epochs", func="ch8_run", minimum=1)
    steps = ch8_settings(profile).epoch_steps
    return thesis_run(model, profile=profile, dataset=dataset, latent_dim=latent_dim,
                      architecture=architecture, seed=seed, steps=e * steps,
                      steps_per_epoch=steps, **params)


# ------------------------------------------------------------------------------- sweeps over n
@dataclass(frozen=True)
class NSweep:
    """Trained models of a sweep over n: ``folders[i][j]`` is seed ``seeds[i]`` at ``ns[j]``."""
    ns: tuple
    seeds: tuple
    folders: tuple
    runs: tuple


def sweep_over_n(model: str = "beta_vae", *, profile: str, dataset: str = "dsprites",
                 ns=None, seeds=None, epochs: int | None = None, architecture: str = "conv",
                 **params: Any) -> NSweep:
    """Train (or find in the cache) one model per (seed, n); defaults: the main sweep of
    ``profile``.  Runs in-process (:func:`latentdims.core.sweeps.run_sweep` with ``workers=0``)."""
    from latentdims.core.sweeps import run_sweep
    from latentdims.studies.thesis_runs import train_run

    s = ch8_settings(profile)
    ns = tuple(int(n) for n in (s.ns if ns is None else ns))
    seeds = tuple(int(x) for x in (s.seeds if seeds is None else seeds))
    if not ns or not seeds:
        raise ValueError(f"sweep_over_n: `ns` and `seeds` must be non-empty; got {ns}, {seeds}.")
    runs = [ch8_run(model, profile=profile, dataset=dataset, latent_dim=n, seed=seed,
                    architecture=architecture, epochs=epochs, **params)
            for seed in seeds for n in ns]
    folders = run_sweep(train_run, runs, workers=0)
    k = len(ns)
    return NSweep(ns, seeds, tuple(tuple(folders[i * k:(i + 1) * k]) for i in range(len(seeds))),
                  tuple(runs))


def downstream_accuracy(mean, classes, *, iterations: int = 100, seed: int = 0) -> float:
    r"""Average test accuracy of gradient-boosted trees, one classifier per label, on mean
    representations (thesis L2257).

    .. math::
        {\rm acc} = \frac{1}{K}\sum_{k=1}^{K}\frac{1}{h_{\rm test}}
        \sum_{i \in {\rm test}} [\hat y_k(\mu^{(i)}) = y^{(i)}_k]

    The examples are split in half (first half: training, second: test); a label with one
    class in the training half counts as predicted exactly when the test half has that class.

    Parameters
    ----------
    mean : array, shape (h, n)
        Mean representation.
    classes : array of int, shape (h, K)
        Labels (factor classes).
    iterations : int
        Boosting iterations (the author's code: 100 trees of scikit-learn's
        ``GradientBoostingClassifier``; we use ``HistGradientBoostingClassifier``, the same
        model family with binned features, much faster on this CPU).
    seed : int

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    A label that is a threshold of the representation (with a margin) is learnt exactly:

    >>> x = np.concatenate([np.linspace(-1, -0.2, 100), np.linspace(0.2, 1, 100)])[:, None]
    >>> y = (x[:, 0] > 0).astype(int)[:, None]
    >>> perm = np.random.default_rng(0).permutation(200)
    >>> downstream_accuracy(x[perm], y[perm], iterations=5)
    1.0
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    func = "downstream_accuracy"
    mean = check_array(mean, name="mean", func=func, ndim=2)
    classes = np.asarray(classes)
    if classes.ndim == 1:
        classes = classes[:, None]
    check_same_length(func=func, mean=mean, classes=classes)
    if len(mean) < 4 or classes.shape[1] == 0:
        raise ValueError(f"{func}: need at least 4 examples and one label; got {len(mean)} "
                         f"examples and {classes.shape[1]} labels.")
    iterations = check_int(iterations, name="iterations", func=func, minimum=1)
    half = len(mean) // 2
    scores = []
    for k in range(classes.shape[1]):
        y_train, y_test = classes[:half, k], classes[half:, k]
        if len(np.unique(y_train)) < 2:
            scores.append(float(np.mean(y_test == y_train[0])))
            continue
        clf = HistGradientBoostingClassifier(max_iter=iterations, early_stopping=False,
                                             random_state=seed)
        # one OpenMP thread: TensorFlow already holds the cores, and oversubscribed OpenMP
        # threads made the many small trees of 40-class labels crawl on the shared 2-core CPU
        with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="openmp"):
            # many classes on few examples (smoke sizes) only warns that y "could be a regression"
            warnings.simplefilter("ignore", UserWarning)
            clf.fit(mean[:half], y_train)
            scores.append(float(np.mean(clf.predict(mean[half:]) == y_test)))
    return float(np.mean(scores))


def measure_run(folder, *, profile: str, seed: int = 0) -> dict[str, float]:
    """The chapter-8 numbers of one trained model (one row of :func:`sweep_measures`).

    Keys: ``n``, ``seed``, ``reconstruction`` (Bernoulli loss per image on the evaluation set at
    the end of training), ``accuracy`` (:func:`downstream_accuracy` on M), ``trace_mean`` and
    ``trace_sampled`` (Tr Var[M], Tr Var[Z], unfloored), ``trace_gap`` and ``expected_gap``
    (the passive count plus sum(1 - w_i), :func:`latentdims.maths.fondue.expected_trace_gap`),
    ``ide_mean`` and ``ide_sampled`` (MLE with ``rep_k`` neighbours), ``active``, ``mixed``,
    ``passive`` (the rule of Section 6.4.1, alpha = 0.1) and ``stand_in``.
    """
    from latentdims.maths.fondue import covariance_traces, expected_trace_gap
    from latentdims.maths.variables import classify_variables

    s = ch8_settings(profile)
    res = _read_outputs(folder)
    reps = res["representations"]
    last = res["history"][-1]
    row: dict[str, Any] = {"n": res["run"].latent_dim, "seed": res["run"].seed,
                           "reconstruction": float(last.get("val_reconstruction", last["val_loss"])),
                           "accuracy": downstream_accuracy(reps.mean, res["arrays"]["eval_classes"],
                                                           iterations=s.gbt_iterations, seed=seed),
                           "stand_in": bool(res["meta"].get("stand_in", False))}
    tr = covariance_traces(reps.mean, sampled=reps.sampled)
    row.update(trace_mean=tr.mean, trace_sampled=tr.sampled, trace_gap=tr.difference,
               expected_gap=expected_trace_gap(reps.variance))
    k = min(s.rep_k, len(reps.mean) - 2)
    row.update(ide_mean=_safe_mle(reps.mean, k), ide_sampled=_safe_mle(reps.sampled, k))
    if res["run"].model != "autoencoder":
        row.update(classify_variables(reps.variance).counts)
    else:   # the deterministic AE has no variance head: every latent counts as active
        row.update(active=res["run"].latent_dim, mixed=0, passive=0)
    return row


def _read_outputs(folder) -> dict[str, Any]:
    """What a trained run's folder holds, without rebuilding its network (which
    :func:`~latentdims.studies.thesis_runs.load_run` does, at a few seconds per model): ``run``,
    ``history``, ``meta``, ``arrays`` (``representations.npz``) and ``representations``."""
    import json

    from latentdims.models.base import Representations
    from latentdims.studies.thesis_runs import read_run

    folder = Path(folder)
    if not (folder / "representations.npz").is_file():
        raise FileNotFoundError(f"_read_outputs: {str(folder)!r} is not a trained-run folder (no "
                                f"representations.npz); get one from train_run(...).")
    with np.load(folder / "representations.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    with open(folder / "history.json") as f:
        history = json.load(f)
    with open(folder / "meta.json") as f:
        meta = json.load(f)
    reps = Representations(mean=arrays["mean"], variance=arrays["variance"], sampled=arrays["sampled"])
    return {"run": read_run(folder), "history": history, "meta": meta, "arrays": arrays,
            "representations": reps}


def _safe_mle(X, k: int) -> float:
    """MLE of a representation; NaN (recorded, never raised) when too few distinct points
    remain, e.g. a collapsed latent space."""
    from latentdims.maths.intrinsic_dim import mle

    try:
        return float(mle(np.asarray(X, dtype=np.float64), k=k))
    except ValueError:
        return float("nan")


def sweep_measures(sweep: NSweep, *, profile: str):
    """:func:`measure_run` on every model of ``sweep``, as a pandas DataFrame."""
    import pandas as pd

    return pd.DataFrame([measure_run(f, profile=profile) for row in sweep.folders for f in row])


def by_seed(frame, column: str, ns) -> np.ndarray:
    """``frame[column]`` as an array (n_seeds, len(ns)) for the plotting functions."""
    table = frame.pivot_table(index="seed", columns="n", values=column, aggfunc="mean")
    return table.reindex(columns=list(ns)).to_numpy(dtype=float)


# ------------------------------------------------------------------------------------- FONDUE
def fondue_trainer(model: str = "beta_vae", *, profile: str, dataset: str = "dsprites",
                   seed: int = 0, architecture: str = "conv", reconstructions: bool = False,
                   **params: Any) -> Callable[[int, int], Any]:
    """``train(n, epochs)`` for :func:`latentdims.maths.fondue.fondue`: trains (or loads from the
    cache) a fresh model with n latents for ``epochs`` FONDUE epochs and returns its
    :class:`~latentdims.maths.fondue.TrainingOutput` on the run's evaluation set (the thesis: 10,000
    examples, L2183).

    ``reconstructions=True`` adds the inputs x and the decoder's Bernoulli means
    sigmoid(logits) for the sampled z, which FONDUE_IB needs (the author's code passes the
    logits themselves; we compare x with a reconstruction on the same [0, 1] scale).
    """
    from scipy.special import expit

    from latentdims.maths.fondue import TrainingOutput
    from latentdims.studies.thesis_runs import evaluation_data, load_run, train_run

    def train(n: int, epochs: int):
        run = ch8_run(model, profile=profile, dataset=dataset, latent_dim=int(n), seed=seed,
                      architecture=architecture, epochs=epochs, **params)
        folder = train_run(run)
        reps = _read_outputs(folder)["representations"]
        kwargs = {}
        if reconstructions:   # only FONDUE_IB needs the network itself (the decoder)
            x = evaluation_data(run)
            logits = np.asarray(load_run(folder).model.decode(reps.sampled.astype(np.float32)))
            kwargs = {"inputs": x, "reconstructions": expit(logits)}
        return TrainingOutput(mean=reps.mean, variance=reps.variance, sampled=reps.sampled,
                              **kwargs)

    return train


def run_fondue(model: str = "beta_vae", *, profile: str, dataset: str = "dsprites",
               criterion: str = "trace", seed: int = 0, n_init: int | None = None,
               architecture: str = "conv", epochs: int | None = None, **params: Any):
    """FONDUE / FONDUE_IB / FONDUE_IDE (``criterion`` "trace", "ib", "ide") on cached trainings
    with the profile's epochs and ``max_n``; ``n_init`` defaults to the data IDE retained by the
    thesis (4, 11, 22; :data:`latentdims.maths.fondue.DATA_IDE`).  Returns the
    :class:`~latentdims.maths.fondue.FondueResult` (each step logged)."""
    from latentdims.maths.fondue import DATA_IDE, fondue

    s = ch8_settings(profile)
    if n_init is None:
        n_init = min(DATA_IDE.get(dataset, 10), s.max_n)
    train = fondue_trainer(model, profile=profile, dataset=dataset, seed=seed,
                           architecture=architecture, reconstructions=criterion == "ib", **params)
    return fondue(train, n_init, criterion=criterion, epochs=s.fondue_epochs if epochs is None
                  else epochs, max_n=max(s.max_n, n_init), seed=seed, warn=False)


def search_training_seconds(result, model: str = "beta_vae", *, profile: str,
                            dataset: str = "dsprites", seed: int = 0, architecture: str = "conv",
                            **params: Any) -> float:
    r"""Training time of a search from an empty cache: the sum, over the distinct n it
    visited, of the build time logged when that model was trained (``build_seconds`` of its
    cache entry; wall seconds on the machine and load of that moment).

    .. math:: T = \sum_{n \in {\rm visited}} t_{\rm build}(n)

    The thesis' "time/run" (Tables 8.1-8.8) is this quantity on an A100; a search's own wall
    time (``result.seconds``) only counts the trainings that were not in the cache yet.
    Models not in the cache count as NaN.
    """
    import json

    from latentdims.core.cache import entry_path
    from latentdims.studies.thesis_runs import CACHE_NAME

    total = 0.0
    for ev in result.evaluations:
        run = ch8_run(model, profile=profile, dataset=dataset, latent_dim=int(ev.n), seed=seed,
                      architecture=architecture, epochs=result.epochs, **params)
        config = entry_path(CACHE_NAME, run) / "config.json"
        if not config.is_file():
            return float("nan")
        with open(config) as f:
            total += float(json.load(f).get("build_seconds", float("nan")))
    return total


def init_datasets(profile: str) -> tuple[str, ...]:
    """Data sets of the initialisation tables 8.4-8.6 in ``profile``: its ``init_datasets``,
    plus CelebA whenever the real files are present (its stand-in is not run in the short
    profiles)."""
    names = tuple(ch8_settings(profile).init_datasets)
    if "celeba" not in names and has_real_data("celeba"):
        names = names + ("celeba",)
    return names


def run_binary_search(model: str = "beta_vae", *, profile: str, dataset: str = "dsprites",
                      criterion: str = "trace", seed: int = 0, architecture: str = "conv",
                      **params: Any):
    """The supervised binary searches of Table D.5 (BS_FONDUE with "trace", IB with "ib")
    over the profile's ``supervised_range``."""
    from latentdims.maths.fondue import binary_search

    s = ch8_settings(profile)
    train = fondue_trainer(model, profile=profile, dataset=dataset, seed=seed,
                           architecture=architecture, reconstructions=criterion == "ib", **params)
    lower, upper = s.supervised_range
    return binary_search(train, lower=lower, upper=upper, criterion=criterion,
                         epochs=s.fondue_epochs, seed=seed)


# -------------------------------------------------------------------------------- IDE figures
def data_ides(dataset: str, *, profile: str, seed: int = 0, path=None) -> dict[str, Any]:
    """IDEs of a data set (Fig 8.4): MLE with each k of the profile and TwoNN (discarding the
    10 % largest ratios, the thesis' "anchor 0.9"), repeated on subsamples of 80 % of the
    points (Table D.4).  Returns ``{"values": {label: array}, "stand_in": bool,
    "description": str}``."""
    from latentdims.data.images import load_image_dataset
    from latentdims.maths.intrinsic_dim import repeated_id

    s = ch8_settings(profile)
    data = load_image_dataset(dataset, n=s.ide_points, path=path, seed=seed)
    X = data.images.reshape(len(data.images), -1).astype(np.float64)
    values = {f"MLE (k={k})": repeated_id(X, "mle", k=k, n_runs=s.ide_runs, fraction=0.8,
                                          seed=seed).values for k in s.ide_ks}
    values["TwoNN"] = repeated_id(X, "twonn", n_runs=s.ide_runs, fraction=0.9, seed=seed).values
    return {"values": values, "stand_in": bool(data.stand_in), "description": data.description}


def layer_ides(folder, *, profile: str, epochs=None, seed: int = 0) -> dict[str, Any]:
    """MLE of every layer's activations (flattened) at the end of each epoch of a
    ``snapshots=True`` run (Fig 8.11).  Returns ``{"layers": [...], "values": {epoch: array}}``
    (epochs 1-based in the labels)."""
    from latentdims.studies.thesis_runs import read_run, evaluation_data, load_snapshot_model

    s = ch8_settings(profile)
    run = read_run(Path(folder))
    x = evaluation_data(run)[:s.layer_points]
    k = min(s.rep_k, len(x) - 2)
    epochs = range(run.epochs) if epochs is None else epochs
    layers, values = None, {}
    for e in epochs:
        acts = load_snapshot_model(folder, e).layer_activations(x, seed=seed)
        layers = list(acts)
        values[str(e + 1)] = np.array([_safe_mle(a.reshape(len(a), -1), k) for a in acts.values()])
    return {"layers": layers, "values": values}


# ------------------------------------------------------------------------------------- tables
# The thesis' tables (spec section 1.3; 004:L2346-L2559, L2925-L2933): rows of
# (algorithm or setting, dataset, n mean, n SD, minutes per run on an A100, models, epochs).
# Table 8.8 repeats Table 8.1's FONDUE rows.
_FONDUE_ROWS = (("FONDUE", "symsol", 19.1, 0.7, 6, 8, 1), ("FONDUE", "dsprites", 10.9, 0.7, 42, 4, 2),
                ("FONDUE", "celeba", 32.6, 0.7, 17, 6, 2))
THESIS_TABLES = {
    "8.1": [*_FONDUE_ROWS, ("FONDUE_IB", "symsol", 23.3, 0.5, 40, 8, 6),
            ("FONDUE_IB", "dsprites", 15.7, 0.5, 52, 5, 2),
            ("FONDUE_IB", "celeba", 18.4, 0.7, 21, 5, 3)],
    "8.2": [("beta=0.5", "symsol", 26, 0.7, 18, 8, 3), ("beta=0.5", "dsprites", 13.6, 1.2, 80, 6, 3),
            ("beta=0.5", "celeba", 49.9, 1.5, 46, 8, 4), ("beta=2", "symsol", 13.6, 0.8, 4, 6, 1),
            ("beta=2", "dsprites", 7.4, 0.5, 26, 5, 1), ("beta=2", "celeba", 21.9, 0.3, 8, 6, 1),
            ("beta=4", "symsol", 10, 0.5, 4, 6, 1), ("beta=4", "dsprites", 6.3, 0.7, 24, 5, 1),
            ("beta=4", "celeba", 15.9, 1.0, 23, 6, 3)],
    "8.3": [("lambda_od=0.5", "symsol", 17.5, 1.1, 7, 8, 1),
            ("lambda_od=0.5", "dsprites", 10.2, 0.6, 19, 4, 1),
            ("lambda_od=0.5", "celeba", 27.3, 1.7, 8, 6, 1),
            ("lambda_od=1", "symsol", 15.9, 2.0, 7, 7, 1), ("lambda_od=1", "dsprites", 9.5, 1.0, 25, 5, 1),
            ("lambda_od=1", "celeba", 22.7, 2.3, 8, 6, 1), ("lambda_od=2", "symsol", 12.4, 1.1, 7, 6, 1),
            ("lambda_od=2", "dsprites", 7.9, 0.7, 55, 6, 2), ("lambda_od=2", "celeba", 20.9, 1.8, 16, 6, 2),
            ("lambda_od=4", "symsol", 11.7, 0.9, 13, 6, 2), ("lambda_od=4", "dsprites", 8.1, 0.7, 28, 6, 1),
            ("lambda_od=4", "celeba", 18.7, 1.4, 23, 6, 3)],
    # Tables 8.4-8.6: the "average" rows (per-n_init rows in the spec, section 1.3)
    "8.4": [("random n_init", "symsol", 18.9, 0.7, 6, 8, 1)],
    "8.5": [("random n_init", "celeba", 32.1, 1.2, 28, 8, 2)],
    "8.6": [("random n_init", "dsprites", 10.9, 0.8, 75, 7, 2)],
    "8.7": [("FONDUE", "symsol", 7.6, 0.7, 9, 5, 3), ("FONDUE", "dsprites", 5.2, 0.6, 16, 5, 1),
            ("FONDUE", "celeba", 22.0, float("nan"), 23, 6, 4),
            ("FONDUE_IB", "symsol", 11, 0.5, 14, 6, 4), ("FONDUE_IB", "dsprites", 12.3, 0.5, 28, 5, 2),
            ("FONDUE_IB", "celeba", 16.4, 0.7, 5, 5, 1)],
    "8.8": [*_FONDUE_ROWS, ("FONDUE_IDE", "symsol", 12.6, 0.5, 10, 6, 2),
            ("FONDUE_IDE", "dsprites", 10.1, 0.7, 42, 4, 2),
            ("FONDUE_IDE", "celeba", 34.7, 1.0, 32, 6, 4)],
    "D.5": [("BS_FONDUE", "symsol", 19.2, 0.6, 6, 8, 1), ("BS_FONDUE", "dsprites", 11.3, 0.8, 75, 8, 2),
            ("BS_FONDUE", "celeba", 32.2, 1.0, 21, 8, 2), ("IB", "symsol", 23.6, 0.8, 40, 8, 6),
            ("IB", "dsprites", 15.6, 0.5, 74, 8, 2), ("IB", "celeba", 18.5, 0.5, 31, 8, 3)],
}


def fondue_table(table: str, ours: dict, *, extra: dict | None = None):
    """A thesis table with our numbers beside it.

    Parameters
    ----------
    table : str
        Key of :data:`THESIS_TABLES` ("8.1" ... "8.8", "D.5").
    ours : mapping (setting, dataset) -> list of FondueResult
        Our searches for that row (one per seed).  Rows of the thesis we did not run keep
        empty "ours" cells (NaN), and are listed so the reader sees what was reduced.
    extra : mapping column -> mapping (setting, dataset) -> value, optional
        Further columns (e.g. n_init).

    Returns
    -------
    pandas.DataFrame
        Columns: setting, dataset, "n (ours)", "n SD (ours)", "time/run (ours, s)",
        "models trained (ours)", "epochs (ours)", and the thesis' n, SD, time/run (A100, min),
        models trained and epochs.
    """
    import pandas as pd

    check_choice(table, sorted(THESIS_TABLES), name="table", func="fondue_table")
    rows = []
    keys = [(r[0], r[1]) for r in THESIS_TABLES[table]]
    keys += [k for k in ours if k not in keys]
    thesis = {(r[0], r[1]): r for r in THESIS_TABLES[table]}
    for key in keys:
        res = ours.get(key, [])
        ns = np.array([r.n for r in res], dtype=float)
        th = thesis.get(key, (None, None) + (float("nan"),) * 5)
        row = {"setting": key[0], "dataset": key[1],
               "n (ours)": ns.mean() if len(ns) else np.nan,
               "n SD (ours)": ns.std(ddof=1) if len(ns) > 1 else np.nan,
               "time/run (ours, s)": np.mean([r.seconds for r in res]) if res else np.nan,
               "models trained (ours)": np.mean([r.models_trained for r in res]) if res else np.nan,
               "epochs (ours)": res[0].epochs if res else np.nan,
               "n (thesis)": th[2], "n SD (thesis)": th[3], "time/run (thesis, A100 min)": th[4],
               "models trained (thesis)": th[5], "epochs (thesis)": th[6]}
        for col, values in (extra or {}).items():
            row[col] = values.get(key, np.nan)
        rows.append(row)
    return pd.DataFrame(rows).round(2)


def settings_table(profile: str):
    """Table D.1 (training hyper-parameters) with the thesis' value beside ours."""
    import pandas as pd

    from latentdims.studies.thesis_runs import thesis_settings

    t, s = thesis_settings(profile), ch8_settings(profile)
    rows = [("Batch size", 64, t.batch_size),
            ("Latent space dimension", "3, 6, 8, 10, 12, 18, 24, 32 (Celeba also 42-200)",
             ", ".join(map(str, s.ns))),
            ("Optimizer", "Adam", "Adam"), ("Adam beta1", 0.9, 0.9), ("Adam beta2", 0.999, 0.999),
            ("Adam epsilon", 1e-8, 1e-8), ("Adam learning rate", 1e-4, t.learning_rate),
            ("Reconstruction loss", "Bernoulli", "Bernoulli"),
            ("Training steps", 300_000, t.steps),
            ("Train/test split", "90/10", "all but the evaluation set" if t.n_train is None
             else f"{t.n_train} / {t.n_eval} images"),
            ("beta", 1, 1.0), ("Seeds of the sweeps", "0-4", ", ".join(map(str, s.seeds))),
            ("FONDUE seeds", 10, len(s.fondue_seeds)),
            ("FONDUE epoch (steps)", "one pass over the data", s.epoch_steps)]
    return pd.DataFrame(rows, columns=["parameter", "thesis", "ours"]).astype(str)


def timed(fn: Callable, *args, **kwargs):
    """``(fn(*args, **kwargs), seconds)``."""
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start



def architecture_table(architecture: str, *, channels: int = 1):
    """Tables D.2 (``"conv"``) and D.3 (``"fc"``): the thesis' layers as printed beside the layers
    our models build (from :mod:`latentdims.models.architectures`); n is the swept latent size."""
    import pandas as pd

    from latentdims.models import architectures as a

    check_choice(architecture, a.ARCHITECTURES, name="architecture", func="architecture_table")
    if architecture == "conv":
        thesis = ["Input 64x63xchannels [sic]"] + [f"Conv 4x4, {f}, ReLU, stride 2" for f in (32, 32, 64, 64)] + [
            "FC 256, ReLU, strides=2 [sic]", "FC 2x10"]
        ours = [f"Input {a.IMAGE_SIZE}x{a.IMAGE_SIZE}x{channels}"] + [
            f"Conv {k}x{k}, {f}, ReLU, stride 2" for f, k in zip(a.CONV_FILTERS, a.CONV_KERNELS)] + [
            f"FC {a.CONV_DENSE}, ReLU", "FC 2xn (mean, log-variance)"]
        dec_t = ["Input R^10", "FC 256, ReLU", "FC 4x4x64, ReLU"] + [
            f"Deconv 4x4, {f}, ReLU, stride 2" for f in (64, 32, 32)] + ["Deconv 4x4, channels, ReLU [sic]"]
        dec_o = ["Input R^n", f"FC {a.CONV_DENSE}, ReLU", "FC 4x4x64, ReLU"] + [
            f"Deconv 4x4, {f}, ReLU, stride 2" for f in a.DECONV_FILTERS] + [
            f"Deconv 4x4, {channels}, linear (Bernoulli logits), stride 2"]
    else:
        thesis = ["Input 64x63xchannels [sic]", "FC 1200, ReLU", "FC 1200, ReLU", "FC 2x10"]
        ours = [f"Input {a.IMAGE_SIZE}x{a.IMAGE_SIZE}x{channels}"] + [
            f"FC {w}, ReLU" for w in a.FC_ENCODER_WIDTHS] + ["FC 2xn (mean, log-variance)"]
        dec_t = ["Input R^10", "FC 256, tanh", "FC 1200, tanh", "FC 1200, tanh", "(no output layer printed)"]
        dec_o = ["Input R^n"] + [f"FC {w}, tanh" for w in a.FC_DECODER_WIDTHS] + [
            f"FC {a.IMAGE_SIZE}x{a.IMAGE_SIZE}x{channels}, linear (logits)"]
    rows = [("encoder", t, o) for t, o in zip(thesis, ours)]
    length = max(len(dec_t), len(dec_o))
    dec_t, dec_o = dec_t + [""] * (length - len(dec_t)), dec_o + [""] * (length - len(dec_o))
    rows += [("decoder", t, o) for t, o in zip(dec_t, dec_o)]
    return pd.DataFrame(rows, columns=["part", "thesis (as printed)", "ours"])


def mle_table(profile: str):
    """Table D.4 (MLE hyper-parameters) with ours beside the thesis'."""
    import pandas as pd

    s = ch8_settings(profile)
    rows = [("k", "3, 5, 10, 20", ", ".join(map(str, s.ide_ks))),
            ("anchor (fraction of points used as centres)", 0.8, 0.8), ("seed", 0, 0),
            ("runs", 5, s.ide_runs), ("examples", "10,000", s.ide_points),
            ("averaging", "MacKay-Ghahramani (code); Levina-Bickel (Eq 8.3)", "MacKay-Ghahramani"),
            ("TwoNN: fraction kept", 0.9, 0.9)]
    return pd.DataFrame(rows, columns=["parameter", "thesis", "ours"]).astype(str)
