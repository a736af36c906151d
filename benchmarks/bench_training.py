"""Benchmark of EMD-VAE training (issues 5 and 14): jets per second of one training step, against
the step of an earlier commit measured in the same run, and the share of the step spent in the
float64 sharp Sinkhorn.

Two models, built field by field with the same settings in both versions of the code (so that a
change of a profile's defaults does not change what is compared):

* ``quick``: 16 latents, widths 128, 2 PFN / 2 encoder / 3 decoder layers (the ``quick``
  profile's jet VAE);
* ``paper``: the papers' 1024-wide, 4/4/5-layer, 256-latent model (ICLR appendix A.1.3;
  ``--skip-paper`` omits it);

both with the papers' Sinkhorn schedule (eps 1 -> 0.01, 10 x 10 iterations), on ``--batch``
real-sized jets (50 particles, ``toy_two_prong_jets(centred=False, seed=0)``: synthetic W-like
jets, so the benchmark needs no data pipeline; the same array is fed to both versions).

What is timed, per model and per version of the code:

* ``step``: one training step, ``JetVAE.train_step`` wrapped as
  ``latentdims.models.training.train`` wraps it (``step_function``, XLA where ``xla_steps``
  says so): encoder, sampling, decoder, Sinkhorn forward and its explicit gradient, backward
  pass, Adam update;
* ``sinkhorn``: the step time minus that of the same step with a one-iteration Sinkhorn
  (``n_eps=1, iters_per_eps=1``), i.e. the cost of the papers' 100 iterations; the explicit
  gradient's linear solve runs in both steps and is not counted; ``share`` = sinkhorn / step;
* ``first``: the first call (tracing and any compilation), once.

The baseline (``--baseline COMMIT``, default ``dafa95f``, the code before issue 14) is the
commit's ``lib/`` extracted with ``git archive COMMIT lib | tar -x`` into a temporary folder.
Each version runs in its own worker process (``sys.path`` starting with that ``lib/``), both
workers are started and warmed up first, then single steps are timed in turn (baseline,
current, baseline, current, ...) for ``--repeats`` rounds and the best of each is kept, so that
the load of a shared machine falls on both alike.  The ratio current / baseline of jets per
second is the number to read; absolute times are indicative only.

Run: ``.venv/bin/python benchmarks/bench_training.py [--baseline dafa95f] [--batch 100]
[--repeats 20] [--skip-paper]``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from baseline_lib import extract_lib, read_reply   # benchmarks/baseline_lib.py, beside this script

ROOT = Path(__file__).resolve().parents[1]

# The models compared, as JetVAEConfig fields (the same in every version of the code).
MODELS = {
    "quick": dict(latent_dim=16, pfn_widths=(128, 128), encoder_widths=(128, 128),
                  decoder_widths=(128, 128, 128)),
    "paper": dict(latent_dim=256, pfn_widths=(1024,) * 4, encoder_widths=(1024,) * 4,
                  decoder_widths=(1024,) * 5),
}
SCHEDULE = dict(n_particles=50, eps_start=1.0, eps_end=0.01, n_eps=10, iters_per_eps=10)
ONE_ITERATION = dict(n_eps=1, iters_per_eps=1)
LABELS = {"quick": "quick (128 wide, 16 latents)", "paper": "paper (1024 wide, 256 latents)"}


# ------------------------------------------------------------------------------------ worker
def _worker(lib: str, data: str, models: list[str]) -> None:
    """Build and warm up the steps of ``models`` with the ``latentdims`` under ``lib``, then
    answer ``time <name>`` lines on stdin with one step's wall and CPU seconds (JSON lines)."""
    sys.path.insert(0, lib)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf

    import latentdims
    from latentdims.models.jet_vae import JetVAE, JetVAEConfig, jet_batch
    try:    # the step as train() wraps it, in whichever layout this version has
        from latentdims.models.training import step_function, xla_steps
        jit = xla_steps(False)
    except ImportError:
        try:
            from latentdims.training import step_function
        except ImportError:
            step_function = None
        jit = False
    arrays = np.load(data)
    batch = jet_batch(arrays["weights"], arrays["points"])
    steps, info = {}, {"lib": str(Path(latentdims.__file__).resolve().parents[1]), "xla": jit}
    for name in models:
        for variant, extra in (("full", {}), ("one_iteration", ONE_ITERATION)):
            fields = {**SCHEDULE, **MODELS[name], **extra}
            fields = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
            model = JetVAE(JetVAEConfig(**fields), beta_hat=0.1)
            model.compile(optimizer=keras.optimizers.Adam(1e-4))
            if step_function is None:
                fn = tf.function(model.train_step, reduce_retracing=True)
            else:
                fn = step_function(model, "train_step", jit_compile=jit)
            t0 = time.perf_counter()
            float(fn(batch)["loss"])
            info[f"{name}/{variant}/first_s"] = time.perf_counter() - t0
            float(fn(batch)["loss"])                  # warm-up
            steps[f"{name}/{variant}"] = fn
            info[f"{name}/params"] = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
    print(json.dumps(info), flush=True)
    for line in sys.stdin:
        command, _, key = line.strip().partition(" ")
        if command != "time":
            break
        w0, c0 = time.perf_counter(), time.process_time()
        float(steps[key](batch)["loss"])
        print(json.dumps([time.perf_counter() - w0, time.process_time() - c0]), flush=True)


class Worker:
    """A worker process on one version's ``lib/``."""

    def __init__(self, label: str, lib: Path, data: Path, models: list[str]):
        self.label = label
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(lib)}
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--_worker", str(lib), "--_data",
             str(data), "--_models", ",".join(models)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=str(lib))

    def ready(self) -> dict:
        return read_reply(self.proc, script="bench_training", label=self.label)

    def time(self, key: str) -> tuple[float, float]:
        self.proc.stdin.write(f"time {key}\n")
        self.proc.stdin.flush()
        return tuple(read_reply(self.proc, script="bench_training", label=self.label))

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description="Jets/s of one EMD-VAE training step of the current code against a "
                    "baseline commit, timed in turn in one run, and the Sinkhorn's share.")
    parser.add_argument("--baseline", default="dafa95f", metavar="COMMIT",
                        help="commit whose lib/ is the baseline (default dafa95f, before "
                             "issue 14)")
    parser.add_argument("--batch", type=int, default=100, help="jets per step (the papers: 100)")
    parser.add_argument("--repeats", type=int, default=20,
                        help="rounds of single steps per version; the best is kept (default 20)")
    parser.add_argument("--skip-paper", action="store_true",
                        help="only the quick-size model (the paper-size steps take seconds)")
    parser.add_argument("--_worker", help=argparse.SUPPRESS)
    parser.add_argument("--_data", help=argparse.SUPPRESS)
    parser.add_argument("--_models", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._worker:
        _worker(args._worker, args._data, args._models.split(","))
        return
    for name in ("batch", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1; got {getattr(args, name)}")

    import numpy as np
    sys.path.insert(0, str(ROOT / "lib"))
    from latentdims.maths.sinkhorn import toy_two_prong_jets

    models = ["quick"] if args.skip_paper else ["quick", "paper"]
    with tempfile.TemporaryDirectory(prefix="bench_training_") as tmp:
        tmp = Path(tmp)
        base_lib = extract_lib(args.baseline, tmp, script="bench_training")
        jets = toy_two_prong_jets(args.batch, 50, centred=False, seed=0)
        data = tmp / "jets.npz"
        np.savez(data, weights=jets[..., 0], points=jets[..., 1:])
        workers = {"baseline": Worker("baseline", base_lib, data, models),
                   "current": Worker("current", ROOT / "lib", data, models)}
        try:
            info = {k: w.ready() for k, w in workers.items()}
            for version, lib in (("baseline", base_lib), ("current", ROOT / "lib")):
                if Path(info[version]["lib"]) != lib.resolve():
                    raise SystemExit(f"bench_training: the {version} worker imported "
                                     f"latentdims from {info[version]['lib']}, not {lib}.")
            best = {}
            for _ in range(args.repeats):
                for name in models:
                    for variant in ("full", "one_iteration"):
                        for version, worker in workers.items():
                            wall, cpu = worker.time(f"{name}/{variant}")
                            key = (version, name, variant)
                            old = best.get(key, (np.inf, np.inf))
                            best[key] = (min(old[0], wall), min(old[1], cpu))
        finally:
            for w in workers.values():
                w.close()

    print(f"EMD-VAE training step, batch {args.batch} jets x 50 particles, CPU "
          f"({os.cpu_count()} cores visible); baseline {args.baseline} against the working "
          f"tree, best of {args.repeats} interleaved single steps; XLA steps: baseline "
          f"{info['baseline']['xla']}, current {info['current']['xla']}")
    print(f"{'model':31s} {'version':9s} {'params':>9s} {'first [s]':>9s} {'step [s]':>9s} "
          f"{'CPU [s]':>8s} {'jets/s':>7s} {'Sinkhorn [s]':>12s} {'share':>6s}")
    for name in models:
        rate = {}
        for version in workers:
            wall, cpu = best[(version, name, "full")]
            sinkhorn = max(wall - best[(version, name, "one_iteration")][0], 0.0)
            rate[version] = args.batch / wall
            print(f"{LABELS[name]:31s} {version:9s} {info[version][name + '/params']:9d} "
                  f"{info[version][name + '/full/first_s']:9.2f} {wall:9.4f} {cpu:8.4f} "
                  f"{rate[version]:7.0f} {sinkhorn:12.4f} {sinkhorn / wall:6.2f}")
        print(f"{LABELS[name]:31s} ratio current / baseline jets/s: "
              f"{rate['current'] / rate['baseline']:.2f}")


if __name__ == "__main__":
    main()
