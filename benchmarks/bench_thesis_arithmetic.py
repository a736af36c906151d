"""How close a thesis VAE training step is to this machine's arithmetic rate (issue 15).

A training step of the quick profile's thesis VAEs (batch 64, 10 latents, 64x64x1 images) is
counted in floating-point operations by TensorFlow's graph profiler (forward, backward and Adam
update of the model's own ``train_step``), timed on this machine, and its rate (GFLOP/s)
compared, in the same run, with the rate of a large float32 matrix product (``--matmul`` x
``--matmul`` x ``--matmul``, the best case of the CPU's vector units through the same
TensorFlow kernels).  The two are timed in turn (``--rounds`` rounds, best of each), so the
load of a shared machine falls on both alike.

What to read: ``share`` = step rate / matmul rate.  A step near the matmul rate can only be made
cheaper by doing less arithmetic (fewer or shorter trainings, smaller evaluation sets); a step
far below it is dominated by per-op overhead, memory traffic or small kernels, and a faster
implementation may still pay.  FLOP counts are exact for the matrix products and
convolutions the profiler knows (Conv2D and its two gradients, MatMul); element-wise work is
not counted, so ``share`` is a lower bound of the busy fraction.

    .venv/bin/python benchmarks/bench_thesis_arithmetic.py [--models conv,fc] [--rounds 6]
        [--steps 10] [--matmul 2048]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

ARCHITECTURES = ("conv", "fc")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Numbers are indicative (other processes share the cores); the share, "
               "measured in one run, is the number to compare.")
    parser.add_argument("--models", default="conv,fc",
                        help="architectures of the beta-VAE to measure, comma-separated "
                             f"(from {', '.join(ARCHITECTURES)}; default conv,fc)")
    parser.add_argument("--rounds", type=int, default=6, help="timing rounds (best kept)")
    parser.add_argument("--steps", type=int, default=10, help="training steps per round")
    parser.add_argument("--matmul", type=int, default=2048,
                        help="size of the reference square matrix product (default 2048)")
    return parser


def parse_args(argv=None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("rounds", "steps", "matmul"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be a positive integer; got {getattr(args, name)}")
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    bad = [m for m in args.models if m not in ARCHITECTURES]
    if bad or not args.models:
        parser.error(f"--models: unknown architecture(s) {bad or args.models!r}; choose from "
                     f"{', '.join(ARCHITECTURES)}")
    return args


def step_flops(concrete) -> float:
    """Floating-point operations of one call of a concrete ``tf.function`` (graph profiler)."""
    from tensorflow.python.profiler import model_analyzer, option_builder

    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return float(model_analyzer.profile(concrete.graph, options=options).total_float_ops)


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf

    from latentdims.models import make_model
    from latentdims.studies.thesis_runs import settings

    tf.get_logger().setLevel("ERROR")
    batch = settings("quick").batch_size
    x = tf.constant(np.random.default_rng(0).random((batch, 64, 64, 1)).astype(np.float32))
    steps, flops = {}, {}
    for arch in args.models:
        model = make_model("beta_vae", latent_dim=10, architecture=arch)
        model(x[:2])                           # builds the variables
        model.compile(optimizer="adam")
        model.optimizer.build(model.trainable_variables)
        fn = tf.function(model.train_step)
        flops[arch] = step_flops(fn.get_concrete_function(tf.TensorSpec(x.shape, tf.float32)))
        for _ in range(3):                     # tracing and warm-up, untimed
            fn(x)
        steps[arch] = fn
    n = args.matmul
    a, b = tf.random.normal((n, n), seed=1), tf.random.normal((n, n), seed=2)
    matmul = tf.function(tf.linalg.matmul)
    matmul(a, b).numpy()

    def timed(call, count):
        start = time.perf_counter()
        for _ in range(count):
            out = call()
        tf.nest.map_structure(lambda t: t.numpy() if hasattr(t, "numpy") else t, out)
        return (time.perf_counter() - start) / count

    best = {arch: float("inf") for arch in steps} | {"matmul": float("inf")}
    for _ in range(args.rounds):
        for arch, fn in steps.items():
            best[arch] = min(best[arch], timed(lambda: fn(x), args.steps))
        best["matmul"] = min(best["matmul"], timed(lambda: matmul(a, b), args.steps))
    ref = 2.0 * n ** 3 / best["matmul"] / 1e9
    print(f"thesis VAE training step (beta-VAE, batch {batch}, 10 latents, 64x64x1) against a "
          f"{n}^3 float32 matmul; CPU ({os.cpu_count()} cores visible), best of {args.rounds} "
          f"rounds of {args.steps}")
    print(f"{'model':<12}{'GFLOP/step':>12}{'step [ms]':>11}{'GFLOP/s':>10}{'share':>8}")
    for arch in steps:
        rate = flops[arch] / best[arch] / 1e9
        print(f"{arch:<12}{flops[arch] / 1e9:>12.2f}{best[arch] * 1e3:>11.1f}{rate:>10.1f}"
              f"{rate / ref:>8.2f}")
    print(f"{'matmul':<12}{2.0 * n ** 3 / 1e9:>12.2f}{best['matmul'] * 1e3:>11.1f}{ref:>10.1f}"
          f"{1.0:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
