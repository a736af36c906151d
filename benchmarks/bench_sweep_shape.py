"""How a CPU's cores are best spent on a sweep: one training with every core as TensorFlow threads,
or one single-threaded training per core side by side (the local cluster's shape, issues 14/15).

For each model, the script starts worker processes with the thread counts the local cluster
gives its workers (``latentdims.core.sweeps.thread_env``) and counts the training steps they
finish in ``--seconds`` seconds, all started together after a warm-up, in two shapes:

* ``serial``: one worker with ``--cores`` threads (one training after another);
* ``side by side``: ``--cores`` workers of one thread each (one training per core);

and prints steps per second in all, per worker, CPU / wall per worker and the ratio side by
side / serial (above 1: the side-by-side shape trains more models per hour).  Models:

* ``jet``: the quick jet VAE's step (``bench_training.py``'s quick model: 16 latents, widths 128,
  2/2/3 layers, the papers' float64 Sinkhorn schedule; 100 synthetic 50-particle jets), as
  ``models.training.train`` runs it;
* ``conv`` / ``fc``: the thesis' beta-VAE (10 latents, 64x64 procedural dSprites, the quick
  batch), epochs of 20 steps of ``models.training.train``.

Ratios are what to read: both shapes run in the same invocation, one after the other, so other
load on the machine falls on both (run it on a quiet machine for the clearest numbers).

    .venv/bin/python benchmarks/bench_sweep_shape.py [--models jet,conv,fc] [--seconds 40]
        [--cores N]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from bench_training import MODELS as JET_MODELS, SCHEDULE   # beside this script
from latentdims.core.sweeps import cpu_cores, thread_env

MODELS = ("jet", "conv", "fc")


def _step(model: str):
    """A function doing one unit of training of ``model`` and the steps it does."""
    if model == "jet":
        import keras

        from latentdims.maths.sinkhorn import toy_two_prong_jets
        from latentdims.models.jet_vae import JetVAE, JetVAEConfig, jet_batch
        from latentdims.models.training import step_function, xla_steps

        jets = toy_two_prong_jets(100, centred=False, seed=0)
        batch = jet_batch(jets[..., 0], jets[..., 1:])
        vae = JetVAE(JetVAEConfig(**SCHEDULE, **JET_MODELS["quick"]), beta_hat=0.1)
        vae.compile(optimizer=keras.optimizers.Adam(1e-4))
        fn = step_function(vae, "train_step", jit_compile=xla_steps(False))
        return lambda: float(fn(batch)["loss"]), 1
    from latentdims.data.images import load_image_dataset
    from latentdims.models import make_model
    from latentdims.models.training import TrainConfig, train
    from latentdims.studies.thesis_runs import settings

    images = load_image_dataset("dsprites", n=2000, seed=0).images.astype("float32")
    vae = make_model("beta_vae", latent_dim=10, architecture=model)
    config = TrainConfig(epochs=1, batch_size=settings("quick").batch_size, steps_per_epoch=20,
                         monitor="loss", adam_epsilon=1e-8)
    return lambda: train(vae, images, config=config, seed=0, progress=False), 20


def _worker(model: str, seconds: float) -> None:
    """Warm up, say ``ready``, wait for a line on stdin, then train for ``seconds`` and answer."""
    out, sys.stdout = sys.stdout, sys.stderr        # the library's prints stay off the protocol
    step, per_call = _step(model)
    step()
    step()
    print("ready", file=out, flush=True)
    sys.stdin.readline()
    n, w0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - w0 < seconds:
        step()
        n += per_call
    wall = time.perf_counter() - w0
    print(json.dumps({"steps": n, "wall": wall, "cpu": time.process_time() - c0}), file=out,
          flush=True)


def measure(model: str, workers: int, threads: int, seconds: float) -> dict:
    """Steps per second of ``workers`` processes of ``threads`` threads each, run together."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **thread_env(threads)}
    procs = [subprocess.Popen([sys.executable, __file__, "--_worker", model, "--seconds",
                               str(seconds)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=env) for _ in range(workers)]
    try:
        for p in procs:
            if p.stdout.readline().strip() != "ready":
                raise SystemExit(f"bench_sweep_shape: a {model} worker failed to start "
                                 f"(exit status {p.wait()}); its error is above.")
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        replies = [json.loads(p.stdout.readline()) for p in procs]
        for p in procs:
            p.wait(timeout=120)
    finally:
        for p in procs:
            if p.poll() is None:      # an error above: no worker outlives the script
                p.kill()
                p.wait()
    rates = [r["steps"] / r["wall"] for r in replies]
    return {"total": sum(rates), "per_worker": rates,
            "cpu_per_wall": [r["cpu"] / r["wall"] for r in replies]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    parser.add_argument("--models", default=",".join(MODELS),
                        help=f"comma-separated, of {', '.join(MODELS)} (default: all)")
    parser.add_argument("--seconds", type=float, default=40,
                        help="timed seconds per shape and model (default 40)")
    parser.add_argument("--cores", type=int, default=cpu_cores(),
                        help="cores to spend (default: this process's)")
    parser.add_argument("--_worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._worker:
        return _worker(args._worker, args.seconds)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    bad = [m for m in models if m not in MODELS]
    if bad or not models:
        parser.error(f"--models: {bad or models!r} not among {', '.join(MODELS)}")
    if args.cores < 2:
        parser.error(f"--cores must be at least 2 (got {args.cores}): with one core there is "
                     f"no shape to choose")
    if args.seconds <= 0:
        parser.error(f"--seconds must be positive (got {args.seconds})")
    print(f"{args.cores} cores, {args.seconds:g} s per shape; steps per second (all workers)")
    print(f"{'model':6} {'serial 1x' + str(args.cores):>14} {'side by side':>14} {'ratio':>7}"
          f"   CPU/wall per worker (serial | side by side)")
    for model in models:
        serial = measure(model, 1, args.cores, args.seconds)
        side = measure(model, args.cores, 1, args.seconds)
        print(f"{model:6} {serial['total']:14.2f} {side['total']:14.2f} "
              f"{side['total'] / serial['total']:6.2f}x   "
              f"{serial['cpu_per_wall'][0]:.2f} | "
              f"{' '.join(f'{c:.2f}' for c in side['cpu_per_wall'])}", flush=True)


if __name__ == "__main__":
    main()
