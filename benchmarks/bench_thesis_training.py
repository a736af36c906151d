"""Training speed of the thesis' VAEs on this machine at the quick profile's settings.

Measures steps per second of the project's training loop (latentdims.models.training.train: batches
indexed from an in-memory array, the model's own train_step under tf.function) for the conv and
fully-connected beta-VAE (batch 64, 10 latents, 64x64x1 procedural dSprites), with and without XLA,
and the other objectives on the conv architecture.  The first epoch (tracing, compilation) is
excluded: each configuration runs two epochs and the second is timed.  Prints a table with each
speed as a ratio to the conv beta-VAE, and the minutes the quick profile's steps would take.

    .venv/bin/python benchmarks/bench_thesis_training.py [--steps 60] [--models beta_vae,...]

Numbers are indicative: the CI machine and laptops differ, and other processes share the cores.
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from latentdims.data.images import load_image_dataset  # noqa: E402
from latentdims.models import make_model  # noqa: E402
from latentdims.studies.thesis_runs import settings  # noqa: E402
from latentdims.models.training import TrainConfig, train  # noqa: E402


def steps_per_second(name: str, architecture: str, images: np.ndarray, u: np.ndarray, steps: int,
                     jit: bool, batch_size: int) -> float:
    model = make_model(name, latent_dim=10, architecture=architecture)
    data = (images, u) if name == "ivae" else images
    config = TrainConfig(epochs=2, batch_size=batch_size, steps_per_epoch=steps, monitor="loss",
                         jit_compile=jit, adam_epsilon=1e-8)
    result = train(model, data, config=config, seed=0, progress=False)
    return steps / result.history[1]["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60, help="timed steps per configuration")
    parser.add_argument("--models", default="beta_vae,beta_tc_vae,dip_vae_ii,factor_vae,ivae",
                        help="objectives timed on the conv architecture (comma-separated)")
    args = parser.parse_args()
    quick = settings("quick")
    data = load_image_dataset("dsprites", n=2000, seed=0)
    u = (data.factor_classes / (np.array(data.factor_sizes) - 1)).astype("float32")
    rows = [("beta_vae", "conv", False), ("beta_vae", "conv", True), ("beta_vae", "fc", False),
            ("beta_vae", "fc", True)]
    rows += [(m, "conv", False) for m in args.models.split(",") if m and m != "beta_vae"]
    results = []
    for name, arch, jit in rows:
        t0 = time.time()
        try:
            sps = steps_per_second(name, arch, data.images, u, args.steps, jit, quick.batch_size)
        except Exception as exc:   # e.g. XLA unavailable: report it, keep the table going
            print(f"{name} {arch} jit={jit}: failed ({type(exc).__name__}: {exc})")
            continue
        results.append((name, arch, jit, sps, time.time() - t0))
    base = next(r[3] for r in results if r[:3] == ("beta_vae", "conv", False))
    print(f"\nbatch {quick.batch_size}, 64x64x1, 10 latents, {args.steps} timed steps, "
          f"{os.cpu_count()} cores; quick profile = {quick.steps} steps per model")
    print(f"{'model':<13} {'arch':<5} {'xla':<4} {'steps/s':>8} {'ratio':>6} {'quick min':>9} "
          f"{'wall s':>7}")
    for name, arch, jit, sps, wall in results:
        print(f"{name:<13} {arch:<5} {'yes' if jit else 'no':<4} {sps:8.2f} {sps / base:6.2f} "
              f"{quick.steps / sps / 60:9.1f} {wall:7.1f}")


if __name__ == "__main__":
    main()
