r"""beta-annealing of the EMD-VAE: the schedule, a resumable runner, and cached runs.

The jet papers train the EMD-VAE in stages over a log-uniform grid of :math:`\hat\beta` in
:math:`10^{-5}..1`, keeping the weights from stage to stage (NeurIPS ``000:L29``, ICLR
``001:L25``, appendix ``001:L144``):

1. a *priming* run upwards from the smallest :math:`\hat\beta` to the largest;
2. a *zig-zag* back down: short upward runs, each starting lower than the last, until a run
   starts at the smallest value again;
3. a *production* run upwards over the priming values; its end-of-step weights are studied.

Per step: up to ``epochs`` epochs, early stopping, learning-rate reduction on a plateau (factor
:math:`\sqrt{0.1}`), the learning rate reset to its start value, all by
:func:`latentdims.models.training.train`.  Units: :math:`\beta = \langle H_T\rangle\hat\beta` in GeV.

* :class:`AnnealSchedule` -- the sequence of steps (phase, segment, :math:`\hat\beta`).
* :func:`anneal_settings` -- model, schedule, training and data sizes per profile.
* :func:`train_annealing` -- the runner: a manifest (JSON) of finished steps, each with its
  :math:`\hat\beta`, metrics and history, and its weights and optimizer state saved atomically;
  a killed run resumes at the step and epoch it reached; NaN losses are recovered from a
  bounded number of times (``TrainConfig.max_nan_recoveries``).
* :func:`annealing_run` -- the whole run cached through :func:`latentdims.core.cache.cached`, keyed
  by the full configuration, returned as an :class:`AnnealRun`.
"""
from __future__ import annotations

import dataclasses
import json
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from latentdims.core.validation import check_choice, check_int, check_positive
from latentdims.core.io import write_json
from latentdims.core.profiles import by_profile, check_profile
from latentdims.models.training import TrainConfig, load_state, load_weights, save_state, train

__all__ = ["PHASES", "JET_PROCESSES", "AnnealSchedule", "AnnealSettings", "anneal_settings",
           "anneal_data", "train_annealing", "annealing_run", "AnnealRun"]

PHASES = ("priming", "zigzag", "production")
JET_PROCESSES = ("w", "top", "qcd", "mix")
_VERSION = 1     # bump when the runner's output changes


# ----------------------------------------------------------------------------------- schedule
@dataclass(frozen=True)
class AnnealSchedule:
    r"""The annealing schedule over a log-uniform grid of :math:`\hat\beta`.

    .. math::
        \hat\beta_k = \hat\beta_{\min}\left(\hat\beta_{\max}/\hat\beta_{\min}\right)^{k/(K-1)},
        \quad k = 0..K-1,\quad K = \operatorname{round}(n_{\rm dec}\log_{10}
        (\hat\beta_{\max}/\hat\beta_{\min})) + 1

    Priming: :math:`k = 0..K-1`.  Zig-zag: runs :math:`k = s..\min(s + L - 1, K - 1)` for
    :math:`s = K-1-d, K-1-2d, \dots`, the last one starting at 0.  Production: :math:`k =
    0..K-1` again.

    Attributes
    ----------
    beta_min, beta_max : float
        Ends of the grid of :math:`\hat\beta` (dimensionless; the papers: :math:`10^{-5}`, 1).
    per_decade : int
        Grid points per decade (:math:`n_{\rm dec}`; four in the papers' Fig. 4/6).
    zigzag_drop : int
        Grid points :math:`d` between the starts of successive zig-zag runs.
    zigzag_length : int
        Steps :math:`L` of each zig-zag run.

    Choosing parameters
    -------------------
    The papers give the range and that the grid is log-uniform (``001:L25``); the numbers of
    the zig-zag are read off the schedule figure (``000`` Fig. 4, ``001`` Fig. 6): short runs of a
    few steps, each starting a little lower.  Finer grids give smoother D1, D2 (finite
    differences between neighbouring production steps) at a proportional training cost.

    Examples
    --------
    >>> s = AnnealSchedule(beta_min=0.01, beta_max=1.0, per_decade=1, zigzag_drop=1,
    ...                    zigzag_length=2)
    >>> [(p, round(b, 2)) for p, _, b in s.steps()]  # doctest: +NORMALIZE_WHITESPACE
    [('priming', 0.01), ('priming', 0.1), ('priming', 1.0),
     ('zigzag', 0.1), ('zigzag', 1.0), ('zigzag', 0.01), ('zigzag', 0.1),
     ('production', 0.01), ('production', 0.1), ('production', 1.0)]
    """
    beta_min: float = 1e-5          # 000:L29, 001:L25: log-uniform in 1e-5..1
    beta_max: float = 1.0
    per_decade: int = 4             # spec (jets.md): four values per decade
    zigzag_drop: int = 2            # read off 000 Fig. 4 / 001 Fig. 6
    zigzag_length: int = 3

    def __post_init__(self) -> None:
        func = "AnnealSchedule"
        check_positive(self.beta_min, name="beta_min", func=func)
        check_positive(self.beta_max, name="beta_max", func=func)
        if not self.beta_max > self.beta_min:
            raise ValueError(f"{func}: `beta_max` must exceed `beta_min`; got beta_min="
                             f"{self.beta_min!r}, beta_max={self.beta_max!r}.")
        check_int(self.per_decade, name="per_decade", func=func, minimum=1)
        check_int(self.zigzag_drop, name="zigzag_drop", func=func, minimum=1)
        check_int(self.zigzag_length, name="zigzag_length", func=func, minimum=1)

    def grid(self) -> np.ndarray:
        """The :math:`\\hat\\beta` grid, increasing, shape (K,)."""
        decades = math.log10(self.beta_max / self.beta_min)
        k = max(int(round(self.per_decade * decades)) + 1, 2)
        return np.logspace(math.log10(self.beta_min), math.log10(self.beta_max), k)

    def grid_indices(self) -> list[tuple[str, int, int]]:
        """``(phase, segment, grid index)`` of every step, in training order."""
        k = len(self.grid())
        steps = [("priming", 0, i) for i in range(k)]
        segment, start = 1, k - 1
        while start > 0:
            start = max(start - self.zigzag_drop, 0)
            stop = min(start + self.zigzag_length, k)
            steps += [("zigzag", segment, i) for i in range(start, stop)]
            segment += 1
        steps += [("production", segment, i) for i in range(k)]
        return steps

    def steps(self) -> list[tuple[str, int, float]]:
        """``(phase, segment, beta_hat)`` of every step, in training order."""
        grid = self.grid()
        return [(phase, seg, float(grid[i])) for phase, seg, i in self.grid_indices()]


# ----------------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class AnnealSettings:
    r"""Everything an annealing run depends on besides the data's process, centring and seed.

    Attributes
    ----------
    model : JetVAEConfig
        The architecture (its ``seed`` is replaced by the run's seed).
    schedule : AnnealSchedule
    train : TrainConfig
        Per-step training (``epochs`` is replaced per phase by ``epochs``).
    epochs : tuple of int
        Maximum epochs per step in the priming, zig-zag and production phases.
    n_train, n_valid : int
        Training jets and validation jets (early stopping and the per-step measurements).
    measure_batch : int
        Jets per Sinkhorn call when measuring D, R and the per-latent KL after each step.
    first_epochs : int or None
        Maximum epochs of the very first step (priming at the smallest :math:`\hat\beta`, from
        the random initialisation); None: as the other priming steps.  A small network leaves
        the collapsed state (every jet decoded to the mean jet) only after one to two thousand
        batches at a small :math:`\hat\beta`; later steps start from trained weights and need
        far fewer.
    """
    model: Any
    schedule: AnnealSchedule
    train: TrainConfig
    epochs: tuple[int, int, int]
    n_train: int
    n_valid: int
    measure_batch: int = 100
    first_epochs: int | None = None

    def __post_init__(self) -> None:
        if self.first_epochs is not None:
            check_int(self.first_epochs, name="first_epochs", func="AnnealSettings", minimum=1)

    def epochs_for(self, phase: str, index: int | None = None) -> int:
        """Maximum epochs of a step of ``phase`` (``index``: its global index; step 0 may get
        ``first_epochs``)."""
        if index == 0 and self.first_epochs is not None:
            return self.first_epochs
        return self.epochs[PHASES.index(phase)]


def anneal_settings(profile: str, *, process: str = "w", centred: bool = False,
                    n_categories: int = 0) -> AnnealSettings:
    """Model, schedule and training sizes of an annealing run for ``profile``.

    * ``paper``: the papers' (ICLR A.1.3, ``001:L144``): widths 1024, 4/4/5 layers, 256 latents;
      :math:`\\hat\\beta` in :math:`10^{-5}..1`, four per decade; up to 50 epochs of 1000 batches
      of 100 per step, early stopping after 10 epochs, LR 3e-5 reduced by :math:`\\sqrt{0.1}`
      after 5 epochs without improvement.
    * ``quick``: widths 128 (2/2/3 layers), 16 latents, :math:`\\hat\\beta` in 0.005..1 (about
      3-550 GeV), three grid points per decade (8 steps each way, zig-zag runs of 2 steps starting
      4 points lower: 20 steps), epochs of 100 batches, LR 3e-3 reset at each step.  The first
      step (from the random initialisation, at the smallest :math:`\\hat\\beta`) runs up to 16
      epochs (12 for the mixed sample): measured, a 128-wide network decodes every
      centred W jet to the mean jet for the first ~1000 batches and learns the decay after
      ~1500.  Then up to 2 / 1 / 5 epochs per priming / zig-zag / production step for W and top
      jets (first step 12, then 1 / 1 / 4 for the mixed sample and QCD); 16k training W jets,
      8000 top / QCD / mixed.  Measured CPU time (user+sys, training and data loading) of the
      four quick runs: VAE_cent 325 s, VAE_uncent 317 s, top 325 s, mixed sample 402 s; about
      14 minutes in all on a quiet 2-core CPU (CPU time / 1.6).
    * ``smoke``: a few seconds.

    Parameters
    ----------
    profile : {'smoke', 'quick', 'paper'}
    process : {'w', 'top', 'qcd', 'mix'}
        The quick top/QCD/mixed runs use fewer jets and fewer epochs per step.
    centred : bool
        Does not change the settings (kept for symmetry with :func:`annealing_run`).
    n_categories : int
        0, or the number of categories of a categorical latent (the talks' mixed sample: 2).
    """
    from latentdims.models.jet_vae import JetVAEConfig

    func = "anneal_settings"
    check_profile(profile, func=func)
    check_choice(process, JET_PROCESSES, name="process", func=func)
    n_categories = check_int(n_categories, name="n_categories", func=func, minimum=0)
    w = process == "w"
    # Top jets get the W runs' epochs per step (notebook 24 compares their dimensionalities, which
    # must not differ merely because one run trained longer); the two-category mixed sample, whose
    # every batch costs two decoder passes, and QCD get fewer.
    long = process in ("w", "top")
    paper = AnnealSettings(
        model=JetVAEConfig(n_categories=n_categories),
        schedule=AnnealSchedule(),
        train=TrainConfig(epochs=50, batch_size=100, steps_per_epoch=1000, learning_rate=3e-5,
                          early_stopping_patience=10, lr_patience=5, lr_factor=0.1 ** 0.5,
                          monitor="val_loss", max_nan_recoveries=3),
        epochs=(50, 50, 50), n_train=500_000, n_valid=10_000, measure_batch=500)
    q_width = (128, 128)
    quick = AnnealSettings(
        model=JetVAEConfig(latent_dim=16, pfn_widths=q_width, encoder_widths=q_width,
                           decoder_widths=q_width + (128,), n_categories=n_categories),
        schedule=AnnealSchedule(beta_min=0.005, beta_max=1.0, per_decade=3,
                                zigzag_drop=4, zigzag_length=2),
        train=TrainConfig(epochs=5, batch_size=100, steps_per_epoch=100, learning_rate=3e-3,
                          early_stopping_patience=2, lr_patience=1, lr_factor=0.1 ** 0.5,
                          monitor="val_loss", max_nan_recoveries=3),
        epochs=(2, 1, 5) if long else (1, 1, 4), first_epochs=16 if long else 12,
        n_train=16_000 if w else 8000, n_valid=500)
    smoke = AnnealSettings(
        model=JetVAEConfig(latent_dim=6, pfn_widths=(16,), encoder_widths=(16,),
                           decoder_widths=(16,), n_categories=n_categories),
        schedule=AnnealSchedule(beta_min=0.02, beta_max=0.5, per_decade=1, zigzag_drop=1,
                                zigzag_length=1),
        train=TrainConfig(epochs=1, batch_size=50, steps_per_epoch=2, learning_rate=1e-3,
                          monitor="val_loss", max_nan_recoveries=3),
        epochs=(1, 1, 1), n_train=200, n_valid=50, measure_batch=50)
    return by_profile(profile, smoke=smoke, quick=quick, paper=paper)


# --------------------------------------------------------------------------------------- data
def anneal_data(process: str, profile: str, *, centred: bool = False, split: str = "train",
                n: int | None = None, seed: int = 0):
    """The jets an annealing run uses: ``(JetSample, labels)``.

    ``process='mix'`` concatenates the top and QCD samples of the split (half each, shuffled
    with ``seed``); ``labels`` is then 1 for top and 0 for QCD, else None.  ``n`` keeps the first
    ``n`` jets (all of the split if None).
    """
    from latentdims.studies.jet_samples import jet_sample, sample_settings

    func = "anneal_data"
    check_choice(process, JET_PROCESSES, name="process", func=func)
    if n is not None:
        n = check_int(n, name="n", func=func, minimum=1)
    if process != "mix":
        sample = jet_sample(process, sample_settings(profile), split=split, centred=centred, progress=False)
        return (sample if n is None else sample.take(slice(0, min(n, len(sample))))), None
    top = jet_sample("top", sample_settings(profile), split=split, centred=centred, progress=False)
    qcd = jet_sample("qcd", sample_settings(profile), split=split, centred=centred, progress=False)
    half = min(len(top), len(qcd)) if n is None else min(len(top), len(qcd), math.ceil(n / 2))
    top, qcd = top.take(slice(0, half)), qcd.take(slice(0, half))
    merged = {}
    for f in dataclasses.fields(top):
        a, b = getattr(top, f.name), getattr(qcd, f.name)
        if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
            merged[f.name] = np.concatenate([a, b])
        elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            merged[f.name] = None     # truth that only one process has (e.g. W decay angles)
    labels = np.concatenate([np.ones(half, np.int64), np.zeros(half, np.int64)])
    sample = dataclasses.replace(top, process="mix", **merged)
    order = np.random.default_rng([seed, 7]).permutation(len(labels))
    if n is not None:
        order = order[:n]
    return sample.take(order), labels[order]


# ------------------------------------------------------------------------------------- runner
def _step_dir(work: Path, index: int) -> Path:
    return Path(work) / "steps" / f"step_{index:03d}"


def train_annealing(settings: AnnealSettings, train_data: dict, valid_data: dict, *,
                    work_dir: str | Path, ht_mean: float, seed: int = 0, progress: bool = True,
                    on_epoch_end: Callable | None = None) -> dict:
    """Train a :class:`~latentdims.models.jet_vae.JetVAE` through ``settings.schedule``.

    Resumable: ``work_dir/manifest.json`` lists the finished steps; ``work_dir/steps/step_NNN``
    holds each finished step's weights, optimizer state and metrics (written atomically before the
    manifest names it); ``work_dir/run/step_NNN`` is the running step's per-epoch checkpoint
    (:func:`latentdims.models.training.train`).  Calling again after a kill continues at the step and
    epoch reached and gives the same weights as an uninterrupted run on the CPU.

    Parameters
    ----------
    settings : AnnealSettings
    train_data, valid_data : dict
        ``{"weights": (N, P), "points": (N, P, 2)}`` (:func:`~latentdims.models.jet_vae.jet_batch`);
        ``valid_data`` drives early stopping and the per-step measurements.
    work_dir : path
    ht_mean : float
        :math:`\\langle H_T\\rangle` in GeV, to record :math:`\\beta` in GeV.
    seed : int
        Seeds the model (initialisation, sampler) and the batch order.
    on_epoch_end : callable ``(epoch, model, logs)``, optional
        Passed to :func:`~latentdims.models.training.train` (tests use it to interrupt a run).

    Returns
    -------
    dict
        The manifest: ``model`` (the architecture as a dict), ``ht_mean``, ``steps`` (list of
        dicts with ``index``, ``phase``, ``segment``, ``beta_hat``, ``beta_gev``, ``epochs``,
        ``stopped_early``, ``nan_recoveries``, ``metrics``, ``history``).
    """
    from tqdm.auto import tqdm

    from latentdims.models.jet_vae import JetVAE

    check_positive(ht_mean, name="ht_mean", func="train_annealing")
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    model_config = dataclasses.replace(settings.model, seed=seed)
    steps = settings.schedule.steps()
    manifest_path = work / "manifest.json"
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
    else:
        manifest = {"model": dataclasses.asdict(model_config), "ht_mean": float(ht_mean),
                    "version": _VERSION, "steps": []}
    done = len(manifest["steps"])
    model = JetVAE(model_config, beta_hat=steps[0][2])
    # train() keeps its traced step functions on the model (training.step_function): the steps
    # are traced once per run, not once per beta step.
    if done:
        # Continue from the state at the end of the last finished step (weights, sampler state,
        # optimizer moments): exactly what the uninterrupted run carries into the next step.
        import keras
        model.ensure_built()
        t = settings.train
        model.compile(optimizer=keras.optimizers.Adam(
            learning_rate=t.learning_rate, beta_1=t.adam_beta_1, beta_2=t.adam_beta_2,
            epsilon=t.adam_epsilon))
        model.optimizer.build(model.trainable_variables)
        load_state(_step_dir(work, done - 1), model)
    bar = tqdm(total=len(steps), initial=done, desc="annealing", unit="step",
               disable=not progress)
    for index in range(done, len(steps)):
        phase, segment, beta_hat = steps[index]
        beta_gev = float(ht_mean * beta_hat)
        model.beta_hat.assign(beta_hat)
        config = dataclasses.replace(settings.train, epochs=settings.epochs_for(phase, index))
        running = work / "run" / f"step_{index:03d}"
        result = train(model, train_data, config=config, valid_data=valid_data,
                       seed=seed * 100_003 + index, checkpoint_dir=running, progress=progress,
                       desc=f"step {index} {phase} beta={beta_gev:.3g} GeV",
                       on_epoch_end=on_epoch_end)
        metrics = model.measure(valid_data, batch_size=settings.measure_batch, seed=seed)
        record = {"index": index, "phase": phase, "segment": segment, "beta_hat": beta_hat,
                  "beta_gev": beta_gev, "epochs": result.epochs_run,
                  "stopped_early": result.stopped_early, "nan_recoveries": result.nan_recoveries,
                  "metrics": metrics, "history": result.history,
                  "weights": f"steps/step_{index:03d}.npz"}
        save_state(_step_dir(work, index), model, record)
        manifest["steps"].append(record)
        write_json(manifest_path, manifest)
        # The finished step's per-epoch checkpoint is no longer needed (its end state is saved).
        shutil.rmtree(running, ignore_errors=True)
        bar.update(1)
        bar.set_postfix(phase=phase, beta=f"{beta_gev:.3g}GeV", D=f"{metrics['distortion']:.3g}",
                        R=f"{metrics['rate']:.3g}")
    bar.close()
    return manifest


# -------------------------------------------------------------------------------- cached runs
def _run_config(profile, process, centred, seed, settings) -> dict:
    from latentdims.studies.jet_samples import jet_sample_path, sample_settings
    sources = ["top", "qcd"] if process == "mix" else [process]
    return {"version": _VERSION, "profile": profile, "process": process,
            "centred": bool(centred), "seed": seed, "settings": settings,
            "data": [jet_sample_path(p, sample_settings(profile)).name for p in sources]}


def annealing_run(profile: str, *, process: str = "w", centred: bool = False,
                  n_categories: int = 0, seed: int = 0, settings: AnnealSettings | None = None,
                  progress: bool = True) -> "AnnealRun":
    """The trained annealing run for ``profile`` and a variant, from the cache (trained if missing).

    Parameters
    ----------
    profile : {'smoke', 'quick', 'paper'}
    process : {'w', 'top', 'qcd', 'mix'}
        The jet sample (``'mix'``: top + QCD, :func:`anneal_data`).
    centred : bool
        False: VAE_uncent (jets at their (eta, phi)); True: VAE_cent (centred jets).
    n_categories : int
        A categorical latent of this many categories ahead of the Gaussian ones (0: none).
    seed : int
    settings : AnnealSettings, optional
        Default :func:`anneal_settings` of the profile and variant.
    progress : bool

    Returns
    -------
    AnnealRun
        Cached as ``jet_anneal/<key>`` with ``key`` a hash of profile, variant, seed, the full
        settings and the data files' names; the checkpoints of an unfinished build live in the
        cache's work folder, so an interrupted training resumes.
    """
    from latentdims.core.cache import cached

    func = "annealing_run"
    check_profile(profile, func=func)
    check_choice(process, JET_PROCESSES, name="process", func=func)
    seed = check_int(seed, name="seed", func=func, minimum=0)
    if settings is None:
        settings = anneal_settings(profile, process=process, centred=centred,
                                   n_categories=n_categories)
    elif not isinstance(settings, AnnealSettings):
        raise TypeError(f"{func}: `settings` must be an AnnealSettings or None; got "
                        f"{type(settings).__name__}.")
    config = _run_config(profile, process, centred, seed, settings)

    def build(out: Path, work: Path) -> None:
        from latentdims.models.jet_vae import jet_batch
        train_sample, _ = anneal_data(process, profile, centred=centred, split="train",
                                      n=settings.n_train, seed=seed)
        valid_sample, _ = anneal_data(process, profile, centred=centred, split="valid",
                                      n=settings.n_valid, seed=seed)
        manifest = train_annealing(
            settings, jet_batch(train_sample.weights, train_sample.points),
            jet_batch(valid_sample.weights, valid_sample.points), work_dir=work,
            ht_mean=float(np.mean(train_sample.ht)), seed=seed, progress=progress)
        (out / "steps").mkdir()
        for record in manifest["steps"]:
            shutil.copyfile(_step_dir(work, record["index"]) / "model.npz", out / record["weights"])
        write_json(out / "manifest.json", {**manifest, "profile": profile, "process": process,
                                           "centred": bool(centred), "seed": seed,
                                           "n_train": len(train_sample),
                                           "n_valid": len(valid_sample)})

    return AnnealRun(cached("jet_anneal", config, build))


@dataclass
class AnnealRun:
    """A finished annealing run: its manifest and its per-step weights (see :func:`annealing_run`)."""
    path: Path
    manifest: dict = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.manifest = json.loads((self.path / "manifest.json").read_text())

    # -- description
    @property
    def steps(self) -> list[dict]:
        return self.manifest["steps"]

    @property
    def ht_mean(self) -> float:
        """:math:`\\langle H_T\\rangle` of the training jets [GeV]."""
        return float(self.manifest["ht_mean"])

    @property
    def profile(self) -> str:
        return self.manifest["profile"]

    @property
    def process(self) -> str:
        return self.manifest["process"]

    @property
    def centred(self) -> bool:
        return bool(self.manifest["centred"])

    @property
    def latent_dim(self) -> int:
        return int(self.manifest["model"]["latent_dim"])

    def phases(self) -> list[str]:
        return [s["phase"] for s in self.steps]

    def indices(self, phase: str | None = None, segment: int | None = None) -> np.ndarray:
        """Global indices of the steps of ``phase`` (and ``segment``), in training order."""
        if phase is not None:
            check_choice(phase, PHASES, name="phase", func="AnnealRun.indices")
        return np.array([s["index"] for s in self.steps
                         if (phase is None or s["phase"] == phase)
                         and (segment is None or s["segment"] == segment)], dtype=int)

    def beta_gev(self, phase: str | None = None) -> np.ndarray:
        """:math:`\\beta` [GeV] of each step of ``phase`` (all steps if None)."""
        return np.array([self.steps[i]["beta_gev"] for i in self.indices(phase)])

    def metric(self, name: str, phase: str | None = None) -> np.ndarray:
        """A per-step measurement (``distortion``, ``rate``, ``emd``, ``loss``, ``kl_per_latent``,
        ``log_sigma``...) of the steps of ``phase``, stacked."""
        return np.array([self.steps[i]["metrics"][name] for i in self.indices(phase)])

    def closest_step(self, beta_gev: float, phase: str = "production") -> int:
        """Global index of the step of ``phase`` whose beta is closest to ``beta_gev`` (in log)."""
        check_positive(beta_gev, name="beta_gev", func="AnnealRun.closest_step")
        idx = self.indices(phase)
        if len(idx) == 0:
            raise ValueError(f"AnnealRun.closest_step: the run has no {phase!r} steps.")
        betas = self.beta_gev(phase)
        return int(idx[np.argmin(np.abs(np.log(betas / beta_gev)))])

    # -- models and data
    def load_model(self, step: int):
        """The JetVAE at the end of ``step`` (a global index), built and with its weights."""
        from latentdims.models.jet_vae import JetVAE, config_from_dict
        step = check_int(step, name="step", func="AnnealRun.load_model", minimum=0)
        if step >= len(self.steps):
            raise ValueError(f"AnnealRun.load_model: `step` must be < {len(self.steps)} (the "
                             f"run's steps); got {step}.")
        record = self.steps[step]
        model = JetVAE(config_from_dict(self.manifest["model"]), beta_hat=record["beta_hat"])
        model.ensure_built()
        load_weights(model, self.path / record["weights"])
        return model

    def model_at(self, beta_gev: float, phase: str = "production"):
        """:meth:`load_model` at :meth:`closest_step`."""
        return self.load_model(self.closest_step(beta_gev, phase))

    def _sample(self, split: str, n: int | None):
        return anneal_data(self.process, self.profile, centred=self.centred, split=split, n=n,
                           seed=self.manifest["seed"])

    def data(self, split: str = "valid", n: int | None = None):
        """The run's jets of ``split`` (same process, centring and mixing seed)."""
        return self._sample(split, n)[0]

    def labels(self, split: str = "valid", n: int | None = None) -> np.ndarray | None:
        """Truth labels of :meth:`data` for the mixed sample (1 = top, 0 = QCD), else None."""
        return self._sample(split, n)[1]
