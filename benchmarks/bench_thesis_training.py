"""Training speed of the thesis' VAEs on this machine, now and at a baseline commit, as ratios.

Measures steps per second of the project's training loop (latentdims.models.training.train:
batches indexed from an in-memory array, the model's own train_step under tf.function) for the
conv and fully-connected beta-VAE (batch 64, 10 latents, 64x64x1 procedural dSprites), with and
without XLA, and the other objectives (``--models``) on the conv architecture, twice: with this
working tree's ``lib/`` and with the ``lib/`` of a baseline commit (``--baseline``, extracted with
``git archive`` into a temporary folder).  Each side runs in its own worker process with its
``lib/`` first on ``sys.path``; the parent asks them in turn for one timed epoch of ``--steps``
steps of each configuration (baseline and current interleaved, which side goes first
alternating), ``--repeats`` times, and keeps the best of each.  A configuration's first epoch
(tracing, compilation) is run once untimed.  Prints steps/s of both sides, the ratio
current / baseline (above 1: faster now) and the minutes the quick profile's steps would take
now.

    .venv/bin/python benchmarks/bench_thesis_training.py [--steps 60] [--repeats 3]
        [--models beta_vae,...] [--baseline 7b13030 | --baseline none]

Numbers are indicative: the CI machine and laptops differ, and other processes share the cores;
the ratios, measured in one run with the two sides interleaved, are what to compare.
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
DEFAULT_BASELINE = "7b13030"
DEFAULT_MODELS = "beta_vae,beta_tc_vae,dip_vae_ii,factor_vae,ivae"
N_IMAGES = 2000


# ------------------------------------------------------------------------------------ worker
def _worker(lib: str, data_path: str) -> None:
    """Answer measurement requests (JSON lines on stdin) with the ``latentdims`` under ``lib``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, lib)
    import numpy as np

    import latentdims
    if not Path(latentdims.__file__).resolve().is_relative_to(Path(lib).resolve()):
        raise SystemExit(f"bench_thesis_training: the worker imported {latentdims.__file__}, "
                         f"not the latentdims under {lib}")
    from latentdims.models import make_model
    from latentdims.models.training import TrainConfig, train
    from latentdims.studies.thesis_runs import settings

    arrays = np.load(data_path)
    images, u = arrays["images"], arrays["u"]
    quick = settings("quick")
    models: dict[tuple, object] = {}
    out = sys.stdout
    sys.stdout = sys.stderr            # anything the library prints stays off the protocol
    print(json.dumps({"batch_size": quick.batch_size, "quick_steps": quick.steps}), file=out,
          flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        key = (req["name"], req["arch"], req["jit"])
        try:
            config = TrainConfig(epochs=1, batch_size=quick.batch_size,
                                 steps_per_epoch=req["steps"], monitor="loss",
                                 jit_compile=req["jit"], adam_epsilon=1e-8)
            data = (images, u) if req["name"] == "ivae" else images
            if key not in models:      # first epoch: tracing and compilation, untimed
                models[key] = make_model(req["name"], latent_dim=10, architecture=req["arch"])
                train(models[key], data, config=config, seed=0, progress=False)
            result = train(models[key], data, config=config, seed=0, progress=False)
            reply = {"sps": req["steps"] / result.history[0]["seconds"]}
        except Exception as exc:       # e.g. XLA unavailable: report it, keep the table going
            reply = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        print(json.dumps(reply), file=out, flush=True)


class _Side:
    """One worker process: the library under ``lib`` measured on request."""

    def __init__(self, label: str, lib: Path, data_path: Path):
        self.label = label
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(lib), "--data", str(data_path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=str(lib.parent))
        self.info = self._read()

    def _read(self) -> dict:
        return read_reply(self.proc, script="bench_thesis_training", label=self.label)

    def measure(self, name: str, arch: str, jit: bool, steps: int) -> dict:
        self.proc.stdin.write(json.dumps({"name": name, "arch": arch, "jit": jit,
                                          "steps": steps}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def _data(path: Path) -> None:
    import numpy as np

    from latentdims.data.images import load_image_dataset

    data = load_image_dataset("dsprites", n=N_IMAGES, seed=0)
    u = (data.factor_classes / (np.array(data.factor_sizes) - 1)).astype("float32")
    np.savez(path, images=data.images.astype("float32"), u=u)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60, help="timed steps per measurement")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed epochs per configuration and side (best kept)")
    parser.add_argument("--models", default=DEFAULT_MODELS,
                        help=f"objectives timed on the conv architecture (comma-separated; "
                             f"default {DEFAULT_MODELS}; beta_vae is always timed, conv and fc)")
    parser.add_argument("--baseline", default=DEFAULT_BASELINE,
                        help=f"commit whose lib/ is measured against the working tree's "
                             f"(default {DEFAULT_BASELINE}); 'none': the working tree alone")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.data)
        return
    if args.steps < 1 or args.repeats < 1:
        parser.error("--steps and --repeats must be at least 1")
    rows = [("beta_vae", "conv", False), ("beta_vae", "conv", True), ("beta_vae", "fc", False),
            ("beta_vae", "fc", True)]
    rows += [(m, "conv", False) for m in args.models.split(",") if m and m != "beta_vae"]
    with tempfile.TemporaryDirectory(prefix="bench_thesis_") as tmp:
        data_path = Path(tmp) / "data.npz"
        _data(data_path)
        sides = {"current": _Side("current", ROOT / "lib", data_path)}
        if args.baseline.lower() != "none":
            sides["baseline"] = _Side(f"baseline ({args.baseline})",
                                      extract_lib(args.baseline, Path(tmp), script="bench_thesis_training"), data_path)
        best: dict[tuple, dict[str, float]] = {r: {} for r in rows}
        errors: dict[tuple, str] = {}
        t0 = time.time()
        for rep in range(args.repeats):
            for i, row in enumerate(rows):
                order = list(sides) if (rep + i) % 2 == 0 else list(sides)[::-1]
                for label in order:
                    reply = sides[label].measure(*row, args.steps)
                    if "error" in reply:
                        errors[row + (label,)] = reply["error"]
                    else:
                        best[row][label] = max(best[row].get(label, 0.0), reply["sps"])
        info = sides["current"].info
        for side in sides.values():
            side.close()
    for key, message in errors.items():
        print(f"{' '.join(map(str, key))}: failed ({message})")
    base_label = f"base {args.baseline}" if "baseline" in sides else "base"
    print(f"\nbatch {info['batch_size']}, 64x64x1, 10 latents, {args.steps} timed steps, best of "
          f"{args.repeats}, {os.cpu_count()} cores, {time.time() - t0:.0f} s; quick profile = "
          f"{info['quick_steps']} steps per model; steps/s")
    print(f"{'model':<13} {'arch':<5} {'xla':<4} {base_label:>13} {'current':>8} "
          f"{'cur/base':>8} {'quick min':>9}")
    for row in rows:
        name, arch, jit = row
        now, base = best[row].get("current"), best[row].get("baseline")
        fmt = (lambda v: f"{v:.2f}" if v else "-")
        ratio = f"{now / base:.2f}" if now and base else "-"
        quick = f"{info['quick_steps'] / now / 60:.1f}" if now else "-"
        print(f"{name:<13} {arch:<5} {'yes' if jit else 'no':<4} {fmt(base):>13} {fmt(now):>8} "
              f"{ratio:>8} {quick:>9}")


if __name__ == "__main__":
    main()
