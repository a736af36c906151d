"""Does the GPU help?  Times the paper profile's expensive steps on the GPU and on the CPU.

Four quantities, each the best of ``--repeats`` calls after one warm-up call (the warm-up pays
the tracing and the XLA compilation, reported apart as "first call"):

* ``jet_vae_paper_step``: one training step of the jet papers' EMD-VAE (ICLR App. A.1.3: widths
  1024, 4/4/5 layers, 256 latents; ``studies.jet_vae.settings("paper")``) on a batch of the
  paper profile's size (100 jets of 50 particles, synthetic ``toy_two_prong_jets``): encoder,
  sampling, decoder, the float64 Sinkhorn and its gradient, backward pass, Adam;
* ``thesis_conv_vae_step``: one training step of the thesis' conv beta-VAE (10 latents, 64 x 64
  x 1 dSprites images, batch 64 as in ``studies.thesis_runs.settings("paper")``);
* ``sinkhorn_100_pairs`` and ``sinkhorn_1000_pairs``: the jet VAE's loss alone
  (``sinkhorn_emd`` in float64 at the papers' schedule, 50 particles) forward and gradient with
  respect to the decoded jets.

Each step runs as ``latentdims.models.training.train`` runs it on that device: XLA-compiled on
a GPU, a plain ``tf.function`` on a CPU (``xla_steps``); the Sinkhorn is called in a function
compiled the same way.  With a GPU, the GPU figures are measured here and the CPU figures in a
child process that sees no GPU (``CUDA_VISIBLE_DEVICES=-1``), i.e. what a CPU-only machine runs
(the Sinkhorn in chunks of 32 pairs, no XLA around the steps); the table gives both and the
ratio CPU s / GPU s.  Without a GPU (or with ``--cpu-only``) only the CPU column is measured.

    .venv/bin/python benchmarks/gpu_check.py                   # under 5 minutes with a GPU
    .venv/bin/python benchmarks/gpu_check.py --repeats 1 --json gpu_check.json   # CI: ~1 min

The paper-size jet step takes seconds on a CPU, so there it is timed at most twice whatever
``--repeats`` says.  Times are wall-clock seconds; the machine is shared in CI, so compare the
ratios of one run, not seconds across runs.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUANTITIES = {
    "jet_vae_paper_step": "jet VAE train step, paper size (1024 wide, 256 latents, 100 jets)",
    "thesis_conv_vae_step": "thesis conv beta-VAE train step (64x64x1, batch 64, 10 latents)",
    "sinkhorn_100_pairs": "float64 Sinkhorn, 100 pairs, forward + gradient",
    "sinkhorn_1000_pairs": "float64 Sinkhorn, 1000 pairs, forward + gradient",
}
CPU_JET_REPEATS = 2          # the paper-size jet step on a CPU: a few seconds each


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Quantities: " + "; ".join(f"{k}: {v}" for k, v in QUANTITIES.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed calls of each quantity after the warm-up; the best counts "
                             "(default 5; the paper-size jet step on a CPU at most "
                             f"{CPU_JET_REPEATS})")
    parser.add_argument("--cpu-only", action="store_true",
                        help="hide any GPU and measure the CPU column only")
    parser.add_argument("--json", type=Path, metavar="PATH",
                        help="also write the results as JSON to PATH")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1; got {args.repeats}")
    return args


def best_of(fn, repeats: int) -> tuple[float, float]:
    """(first call, best of ``repeats`` further calls) in seconds; ``fn`` returns a tensor or
    number that is read back, so that the time includes the device's work."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return first, best


def measure(repeats: int) -> dict[str, dict[str, float]]:
    """Every quantity on this process's default device (the GPU if TensorFlow sees one)."""
    import keras
    import numpy as np
    import tensorflow as tf

    from latentdims.data.images import load_image_dataset
    from latentdims.maths.sinkhorn import sinkhorn_emd, toy_two_prong_jets
    from latentdims.models import make_model
    from latentdims.models.devices import gpu_available
    from latentdims.models.jet_vae import JetVAE, jet_batch
    from latentdims.models.training import step_function, xla_steps
    from latentdims.studies import jet_vae, thesis_runs

    jit = xla_steps(False)
    on_gpu = gpu_available()
    out = {}

    def train_step(model, batch, learning_rate, quantity, n_repeats):
        model.compile(optimizer=keras.optimizers.Adam(learning_rate))
        model.ensure_built()
        model.optimizer.build(model.trainable_variables)
        step = step_function(model, "train_step", jit_compile=jit)
        first, best = best_of(lambda: float(step(batch)["loss"]), n_repeats)
        out[quantity] = {"first_s": first, "best_s": best, "xla": jit}

    paper = jet_vae.settings("paper").uncent.anneal
    n_jets = paper.train.batch_size
    jets = toy_two_prong_jets(n_jets, paper.model.n_particles, centred=False, seed=0)
    train_step(JetVAE(paper.model, beta_hat=0.1), jet_batch(jets[..., 0], jets[..., 1:]),
               paper.train.learning_rate, "jet_vae_paper_step",
               repeats if on_gpu else min(repeats, CPU_JET_REPEATS))

    thesis = thesis_runs.settings("paper")
    images = load_image_dataset("dsprites", n=thesis.batch_size, seed=0).images
    train_step(make_model("beta_vae", latent_dim=10, architecture="conv", channels=1, seed=0),
               images, thesis.learning_rate, "thesis_conv_vae_step", repeats)

    schedule = paper.model.sinkhorn_kwargs
    for n_pairs in (100, 1000):
        jets = toy_two_prong_jets(2 * n_pairs, paper.model.n_particles, centred=False, seed=1)
        a, x = (tf.constant(t) for t in (jets[:n_pairs, :, 0], jets[:n_pairs, :, 1:]))
        b, y = (tf.Variable(t) for t in (jets[n_pairs:, :, 0], jets[n_pairs:, :, 1:]))

        @tf.function(jit_compile=jit)
        def loss_and_gradient():
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(sinkhorn_emd(a, x, b, y, invalid="nan", **schedule))
            grad_b, grad_y = tape.gradient(loss, [b, y])
            return loss + tf.reduce_sum(grad_b) + tf.reduce_sum(grad_y)
        first, best = best_of(lambda: float(loss_and_gradient()), repeats)
        out[f"sinkhorn_{n_pairs}_pairs"] = {"first_s": first, "best_s": best, "xla": jit}
        assert np.isfinite(float(loss_and_gradient())), "the Sinkhorn gave a non-finite loss"
    return out


def gpu_name() -> str | None:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return None
    details = tf.config.experimental.get_device_details(gpus[0])
    return f"{details.get('device_name', gpus[0].name)} (x{len(gpus)})"


def cpu_in_child(repeats: int) -> dict[str, dict[str, float]]:
    """The CPU column from a child process that sees no GPU."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cpu.json"
        env = {**os.environ, "CUDA_VISIBLE_DEVICES": "-1"}
        done = subprocess.run([sys.executable, __file__, "--cpu-only", "--repeats", str(repeats),
                               "--json", str(path)], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            raise SystemExit(f"gpu_check: the CPU measurement failed (exit {done.returncode})")
        return {r["quantity"]: r["cpu"] for r in json.loads(path.read_text())["results"]}


def table(results: list[dict], with_gpu: bool) -> str:
    head = f"{'quantity':<68} {'CPU s':>9}" + (f" {'GPU s':>9} {'CPU/GPU':>8}" if with_gpu else "")
    lines = [head, "-" * len(head)]
    for r in results:
        line = f"{r['label']:<68} {r['cpu']['best_s']:9.4f}"
        if with_gpu:
            line += f" {r['gpu']['best_s']:9.4f} {r['cpu']['best_s'] / r['gpu']['best_s']:8.1f}"
        lines.append(line)
    first = ", ".join(f"{r['quantity']} {r['cpu']['first_s']:.1f}"
                      + (f"/{r['gpu']['first_s']:.1f}" if with_gpu else "") for r in results)
    lines.append(f"first calls (tracing, XLA compilation), s{' CPU/GPU' if with_gpu else ''}: "
                 f"{first}")
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.cpu_only:
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"     # before TensorFlow is imported
    t_start = time.perf_counter()
    import latentdims.models  # noqa: F401  (memory growth on the GPUs, before any op)
    import tensorflow as tf

    gpu = gpu_name()
    here = measure(args.repeats)
    if gpu is None:
        cpu, gpu_times = here, None
    else:
        gpu_times = here
        cpu = cpu_in_child(args.repeats)
    results = [{"quantity": key, "label": label, "cpu": cpu[key],
                "gpu": None if gpu_times is None else gpu_times[key]}
               for key, label in QUANTITIES.items()]
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:          # not Linux
        cores = os.cpu_count()
    print(f"TensorFlow {tf.__version__}, {cores} CPU cores, best of {args.repeats} "
          f"(the paper-size jet step on the CPU: best of {min(args.repeats, CPU_JET_REPEATS)})")
    if gpu is None:
        print("no GPU found: CPU figures only" + (" (--cpu-only)" if args.cpu_only else
                                                 "; install the `gpu` extra on a machine "
                                                 "with an NVIDIA GPU to compare"))
    else:
        print(f"GPU: {gpu}; steps XLA-compiled there, plain tf.function on the CPU")
    print(table(results, gpu is not None))
    print(f"total {time.perf_counter() - t_start:.0f} s")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "tensorflow": tf.__version__, "gpu": gpu, "cpu_cores": cores,
            "repeats": args.repeats, "cpu_jet_repeats": min(args.repeats, CPU_JET_REPEATS),
            "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
