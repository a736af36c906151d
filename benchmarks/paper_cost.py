"""What the paper profile costs: trainings, steps and analysis pairs per notebook, the seconds a
step measured here at the paper's shapes, and a GPU estimate whose basis is quoted.

For each notebook group the paper profile's work is counted from its settings
(``latentdims.studies.*.settings("paper")``, the study functions that list its runs): trainings
(runs x seeds x strengths), steps per training, and the analysis pairs or samples where they
dominate.  Then one step of each model family is timed here at the paper's shape (a few steps
after a warm-up): the EMD-VAE (1024 wide, 256 latents, batch 100; with two categories for the
mixed sample), the thesis' conv and FC beta-VAEs (64 x 64 x 1, batch 64) and the iVAE (30
latents), the float64 sharp-Sinkhorn EMD of a jet pair (D_corr) and the generation of a jet
(Pythia 8 + FastJet, with ``--generation``), in CPU seconds of the process (all threads: other
jobs on a shared machine inflate them far less than wall time).  CPU hours = count x measured
seconds; every GPU figure is quoted from the documents, never guessed:

* jet papers: "An epoch takes approximately two minutes, and the full annealing schedule
  approximately four days" on NVIDIA GeForce 2080 Ti GPUs (NeurIPS ML4PS 2021 paper, App. A.1);
* thesis: "fully training one model, which is approximately 2h" on an NVIDIA A100 (Sec. 8.5.2;
  300,000 steps, Table D.1), i.e. 0.024 s a step, applied to every thesis training in proportion
  to its steps; chapter 7's own total, 300 VAEs in "around 6,000 hours on an NVIDIA A100 GPU" and
  CKA in "approximately 7,000 hours" on a Xeon Gold 6136 CPU (Sec. 7.3), is quoted beside it;
* FONDUE: the models, epochs and A100 minutes a run of each row of Tables 8.1-8.8 and D.5.

Rows without a document figure (D_corr, jet generation) have no GPU estimate.  The step counts
are upper bounds where training stops early (the jet schedule: every step to its 50 epochs).

Run: ``.venv/bin/python benchmarks/paper_cost.py [--steps 3] [--markdown PATH] [--generation]``.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from latentdims.data.images import load_image_dataset  # noqa: E402
from latentdims.maths.sinkhorn import pairwise_emd, toy_two_prong_jets  # noqa: E402
from latentdims.models import make_model  # noqa: E402
from latentdims.models.jet_vae import JetVAE, jet_batch  # noqa: E402
from latentdims.models.training import TrainConfig, step_function, train  # noqa: E402
from latentdims.studies import (jet_samples, jet_vae, thesis_ch5_6, thesis_ch7,  # noqa: E402
                                thesis_ch8)
from latentdims.studies.thesis_runs import settings as thesis_settings  # noqa: E402

JET_GPU_DAYS_PER_RUN = 4.0      # NeurIPS ML4PS 2021 paper, App. A.1 (GeForce 2080 Ti)
JET_GPU_BASIS = "NeurIPS ML4PS 2021 paper, App. A.1: about four days a schedule on a 2080 Ti"
THESIS_A100_S_PER_STEP = 2 * 3600 / 300_000   # thesis Sec. 8.5.2: ~2 h a 300k-step model
THESIS_GPU_BASIS = "thesis Sec. 8.5.2: about 2 A100-hours a 300k-step model"
CH7_NOTE = ("thesis Sec. 7.3 gives its own total: 300 VAEs in about 6,000 A100-hours and CKA in "
            "about 7,000 CPU-hours (Xeon Gold 6136)")


# ------------------------------------------------------------------------------ measurements
def _timed(fn, repeats: int) -> float:
    """Mean CPU seconds (this process, all threads) of ``repeats`` calls of ``fn`` after one
    warm-up call: CPU time rather than wall time, which other jobs on a shared machine inflate."""
    fn()
    t0 = time.process_time()
    for _ in range(repeats):
        fn()
    return (time.process_time() - t0) / repeats


def jet_step_seconds(n_categories: int, steps: int) -> float:
    """CPU seconds a training step of the papers' EMD-VAE (batch 100 jets of 50 particles)."""
    config = jet_vae.settings("paper").mix.anneal.model if n_categories else \
        jet_vae.settings("paper").uncent.anneal.model
    jets = toy_two_prong_jets(100, 50, centred=False, seed=0)
    batch = jet_batch(jets[..., 0], jets[..., 1:])
    model = JetVAE(config, beta_hat=0.1)
    import keras

    model.compile(optimizer=keras.optimizers.Adam(3e-5))
    step = step_function(model, "train_step")
    return _timed(lambda: float(step(batch)["loss"]), steps)


def thesis_step_seconds(model: str, architecture: str, steps: int) -> float:
    """CPU seconds a training step of a thesis model at the paper's shape (64 x 64 x 1
    dSprites, batch 64; 10 latents, 30 for the iVAE), by the project's training loop: a call of
    ``steps`` steps to warm up (tracing), then calls of ``steps`` and ``2 * steps`` steps timed;
    their difference over ``steps`` is a step without the call's own set-up."""
    data = load_image_dataset("dsprites", n=2048, seed=0)
    paper = thesis_settings("paper")
    latent = 30 if model == "ivae" else 10
    net = make_model(model, latent_dim=latent, architecture=architecture)
    u = (data.factor_classes / (np.array(data.factor_sizes) - 1)).astype("float32")
    images = (data.images, u) if model == "ivae" else data.images

    def call(n: int):
        config = TrainConfig(epochs=1, batch_size=paper.batch_size, steps_per_epoch=n,
                             learning_rate=paper.learning_rate, monitor="loss", adam_epsilon=1e-8)
        return lambda: train(net, images, config=config, seed=0, progress=False)

    call(steps)()
    once, twice = _timed(call(steps), 1), _timed(call(2 * steps), 1)
    return max(twice - once, 0.0) / steps


def emd_pair_seconds(n_jets: int) -> float:
    """CPU seconds a pair of the float64 sharp-Sinkhorn EMD, the papers' schedule (D_corr)."""
    jets = toy_two_prong_jets(n_jets, 50, centred=False, seed=1)
    pairs = n_jets * (n_jets - 1) // 2
    return _timed(lambda: pairwise_emd(jets, progress=False, workers=1), 1) / pairs


def generation_seconds(n_jets: int) -> float:
    """CPU seconds a kept W jet (Pythia 8 + FastJet, the samples' generator, one core)."""
    from latentdims.data.jetgen import generate_chunk, generator_config

    t0 = time.process_time()
    generate_chunk(generator_config("w", chunk_size=n_jets), n_jets, seed=0)
    return (time.process_time() - t0) / n_jets


# ----------------------------------------------------------------------------------- counting
def _distinct(runs) -> list:
    seen, out = set(), []
    for r in runs:
        key = repr(r)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def paper_work() -> list[dict]:
    """The paper profile's work per notebook group: ``notebooks``, ``what``, ``count`` (trainings,
    pairs or jets), ``per`` (steps a training, or 1), ``unit`` (the timing it is multiplied by),
    ``gpu_hours`` (None: no document figure) and ``basis``."""
    rows = []
    samples = jet_samples.sample_settings("paper")
    n_jets = sum(samples.n_jets(p) for p in ("w", "top", "qcd"))
    rows.append(dict(notebooks="10-13", what=f"jet samples: {samples.n_w:,} W, {samples.n_other:,} "
                     f"top and {samples.n_other:,} QCD jets generated", count=n_jets, per=1,
                     unit="generation", gpu_hours=None, basis="a CPU job (Pythia 8)"))

    jets = jet_vae.settings("paper")
    for label, runs, unit in (("20-24", ("uncent", "cent", "top"), "jet"),
                              ("25", ("mix",), "jet2")):
        anneal = getattr(jets, runs[0]).anneal
        steps = jet_vae.max_batches(anneal)
        what = (f"annealing runs {', '.join(runs)}: {len(anneal.schedule.steps())} beta steps x "
                f"<= {anneal.epochs[0]} epochs x {anneal.train.steps_per_epoch} batches")
        rows.append(dict(notebooks=label, what=what, count=len(runs), per=steps, unit=unit,
                         gpu_hours=len(runs) * JET_GPU_DAYS_PER_RUN * 24, basis=JET_GPU_BASIS))
    n = jets.dcorr.n_jets
    rows.append(dict(notebooks="23", what=f"D_corr: EMDs of all pairs of {n:,} W jets",
                     count=n * (n - 1) // 2, per=1, unit="emd", gpu_hours=None,
                     basis="no document figure"))

    ch56 = thesis_ch5_6.settings("paper")
    ivae = thesis_ch5_6.ivae_runs(ch56)
    rows.append(_thesis_row("30", f"iVAEs (prior mean fixed, learned), 30 latents", len(ivae),
                            ch56.training.steps, "ivae"))
    setups = {(m, "dsprites") for m in ch56.count_models}
    setups |= {(s.model, s.dataset) for s in (thesis_ch5_6.figure_setup(f, ch56)
                                              for f in thesis_ch5_6.CH6_FIGURES)}
    n6 = sum(len(thesis_ch5_6.ch6_values(m, ch56)[1]) for m, _ in setups) * len(ch56.seeds)
    rows.append(_thesis_row("31-33", f"chapter-6 sweeps: {len(setups)} objective/data-set pairs "
                            f"x their strengths x {len(ch56.seeds)} seeds", n6,
                            ch56.training.steps, "conv"))

    ch7 = thesis_ch7.settings("paper")
    conv = _distinct(r for c in thesis_ch7.conv_figure_configs(ch7)
                     for r in thesis_ch7.config_runs(c, ch7))
    fc = _distinct(r for c in thesis_ch7.fc_figure_configs(ch7)
                   for r in thesis_ch7.config_runs(c, ch7))
    rows.append(_thesis_row("41", f"chapter-7 conv VAEs (every caption's configuration x "
                            f"{len(ch7.other_seeds)} seeds)", len(conv), ch7.training.steps,
                            "conv"))
    rows[-1]["basis"] += f"; {CH7_NOTE}"
    rows.append(_thesis_row("42", "chapter-7 FC VAEs", len(fc), ch7.fc_steps or ch7.training.steps,
                            "fc"))

    ch8 = thesis_ch8.settings("paper")
    main = len(ch8.datasets) * len(ch8.ns) * len(ch8.seeds)
    rows.append(_thesis_row("50-51", f"chapter-8 sweep over n: {len(ch8.datasets)} data sets x "
                            f"{len(ch8.ns)} n x {len(ch8.seeds)} seeds, fully trained", main,
                            ch8.training.steps, "conv"))
    side = (1 + len(ch8.d_betas) + len(ch8.d_lambdas) + 1) * len(ch8.side_ns) * len(ch8.side_seeds)
    rows.append(_thesis_row("50-51", f"side sweeps (AE, beta {ch8.d_betas}, lambda_od "
                            f"{ch8.d_lambdas}, FC) x {len(ch8.side_ns)} n x "
                            f"{len(ch8.side_seeds)} seeds, one data set each (at least)", side,
                            ch8.side_epochs * ch8.epoch_steps, "conv"))
    models = epochs_steps = minutes = 0
    n_rows = sum(len(r) for r in thesis_ch8.THESIS_TABLES.values())
    for table in thesis_ch8.THESIS_TABLES.values():
        for row in table:
            models += row[5] * len(ch8.fondue_seeds)
            epochs_steps += row[5] * row[6] * ch8.epoch_steps * len(ch8.fondue_seeds)
            minutes += row[4] * len(ch8.fondue_seeds)
    rows.append(dict(notebooks="51", what=f"FONDUE searches: the {n_rows} rows of Tables "
                     f"8.1-8.8, D.5 x {len(ch8.fondue_seeds)} seeds, each with the thesis' models "
                     f"and epochs a run (steps: the mean a model)", count=models,
                     per=round(epochs_steps / models), unit="conv",
                     gpu_hours=minutes / 60,
                     basis="thesis Tables 8.1-8.8, D.5: A100 minutes a run"))
    return rows


def _thesis_row(notebooks: str, what: str, count: int, steps: int, unit: str) -> dict:
    return dict(notebooks=notebooks, what=what, count=count, per=steps, unit=unit,
                gpu_hours=count * steps * THESIS_A100_S_PER_STEP / 3600, basis=THESIS_GPU_BASIS)


# ------------------------------------------------------------------------------------ output
# what each timing is, for the table's legend
UNITS = {"jet": "EMD-VAE step, 1024 wide, 256 latents, batch 100",
         "jet2": "the same with two categories (mixed sample)",
         "conv": "conv beta-VAE step, 64x64x1, 10 latents, batch 64",
         "fc": "FC beta-VAE step, 64x64x1, 10 latents, batch 64",
         "ivae": "conv iVAE step, 30 latents, batch 64",
         "emd": "float64 sharp-Sinkhorn EMD of a jet pair (papers' schedule)",
         "generation": "a kept W jet, Pythia 8 + FastJet, one core (CPU s)"}


def _hours(h: float | None) -> str:
    if h is None:
        return "-"
    return f"{h:,.0f}" if h >= 10 else f"{h:.2g}"


def table(rows: list[dict], seconds: dict[str, float | None]) -> tuple[str, float, float]:
    """The markdown table, the total CPU hours (rows timed) and the total GPU hours (rows with a
    document figure)."""
    out = ["| notebooks | work (paper profile) | trainings / items | steps each | "
           "CPU s a step here | CPU hours | GPU hours | GPU basis |",
           "|---|---|---:|---:|---:|---:|---:|---|"]
    cpu_total = gpu_total = 0.0
    for r in rows:
        s = seconds.get(r["unit"])
        cpu = None if s is None else r["count"] * r["per"] * s / 3600
        cpu_total += cpu or 0.0
        gpu_total += r["gpu_hours"] or 0.0
        step = "not timed" if s is None else f"{s:.3g}"
        out.append(f"| {r['notebooks']} | {r['what']} | {r['count']:,} | {r['per']:,} | {step} | "
                   f"{_hours(cpu)} | {_hours(r['gpu_hours'])} | {r['basis']} |")
    out.append(f"| **total** | | | | | **{cpu_total:,.0f}** (~{cpu_total / 24 / 365:.1f} "
               f"CPU-years) | **{gpu_total:,.0f}** (~{gpu_total / 24:,.0f} GPU-days) | |")
    return "\n".join(out), cpu_total, gpu_total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="The paper profile's cost: trainings, steps and pairs per notebook, seconds a "
                    "step measured here at the paper's shapes, and GPU estimates quoted from the "
                    "documents.", epilog=__doc__.split("\n\n")[1])
    parser.add_argument("--steps", type=int, default=3,
                        help="timed steps of the EMD-VAE after the warm-up (default 3)")
    parser.add_argument("--thesis-steps", type=int, default=30,
                        help="timed steps of each thesis model (default 30: their steps are "
                             "short, so an epoch's own overhead needs many to average out)")
    parser.add_argument("--pairs-jets", type=int, default=30,
                        help="jets whose pairwise EMDs time the Sinkhorn (default 30: 435 pairs)")
    parser.add_argument("--generation", action="store_true",
                        help="also time the jet generator (Pythia 8; needs the jets extra)")
    parser.add_argument("--generation-jets", type=int, default=60,
                        help="kept jets timed with --generation (default 60, one Pythia "
                             "initialisation included)")
    parser.add_argument("--counts-only", action="store_true",
                        help="count the work without timing anything (seconds)")
    parser.add_argument("--markdown", metavar="PATH",
                        help="also write the table, with date, machine and command line, here")
    args = parser.parse_args(argv)
    if min(args.steps, args.thesis_steps, args.generation_jets) < 1 or args.pairs_jets < 2:
        parser.error("--steps, --thesis-steps and --generation-jets must be >= 1, "
                     "--pairs-jets >= 2")

    rows = paper_work()
    seconds: dict[str, float | None] = {}
    timings = [("jet", lambda: jet_step_seconds(0, args.steps)),
               ("jet2", lambda: jet_step_seconds(2, args.steps)),
               ("conv", lambda: thesis_step_seconds("beta_vae", "conv", args.thesis_steps)),
               ("fc", lambda: thesis_step_seconds("beta_vae", "fc", args.thesis_steps)),
               ("ivae", lambda: thesis_step_seconds("ivae", "conv", args.thesis_steps)),
               ("emd", lambda: emd_pair_seconds(args.pairs_jets))]
    if args.counts_only:
        timings = []
    elif args.generation:
        timings.append(("generation", lambda: generation_seconds(args.generation_jets)))
    for unit, fn in timings:
        t0 = time.perf_counter()
        seconds[unit] = fn()
        print(f"timed {UNITS[unit]}: {seconds[unit]:.4g} s ({time.perf_counter() - t0:.0f} s "
              f"to measure)", file=sys.stderr)

    text, cpu, gpu = table(rows, seconds)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    header = (f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on "
              f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} (load average "
              f"{load:.1f} at the end), by `python benchmarks/paper_cost.py"
              + "".join(f" {a}" for a in (sys.argv[1:] if argv is None else argv)) + "`.")
    legend = ("Timings (CPU seconds of the process, all threads, mean after a warm-up): "
              + "; ".join(f"{UNITS[u]}: {s:.3g} s" for u, s in seconds.items() if s is not None)
              + ".")
    report = f"{header}\n\n{text}\n\n{legend}\n"
    print(report)
    print(f"total: {cpu:,.0f} CPU-hours (core-hours) here; {gpu:,.0f} GPU-hours by the documents' "
          f"figures (rows without one excluded)")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(report)
        print(f"wrote {args.markdown}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
