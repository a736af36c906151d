"""The benchmarks that CI runs: ``benchmarks/gpu_check.py``'s CPU path, at its smallest settings.

No time is asserted (the CI machine is shared): only that every quantity was measured and the
output says what it measured.
"""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"
QUANTITIES = ("jet_vae_paper_step", "thesis_conv_vae_step", "sinkhorn_100_pairs",
              "sinkhorn_1000_pairs")


def _run(*args, timeout=900):
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


@pytest.mark.slow
def test_gpu_check_cpu_path_measures_every_quantity(tmp_path):
    out = tmp_path / "gpu_check.json"
    done = _run("--cpu-only", "--repeats", "1", "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text())
    assert report["gpu"] is None and report["repeats"] == 1
    assert [r["quantity"] for r in report["results"]] == list(QUANTITIES)
    for r in report["results"]:
        assert r["gpu"] is None
        for key in ("first_s", "best_s"):
            assert math.isfinite(r["cpu"][key]) and r["cpu"][key] > 0, (r["quantity"], key)
        assert r["cpu"]["xla"] is False          # a CPU-only run keeps the steps plain
        assert r["label"] in done.stdout
    assert "no GPU found: CPU figures only (--cpu-only)" in done.stdout


def test_gpu_check_help_and_bad_arguments():
    done = _run("--help", timeout=120)
    assert done.returncode == 0
    for option in ("--repeats", "--cpu-only", "--json"):
        assert option in done.stdout
    bad = _run("--repeats", "0", timeout=120)
    assert bad.returncode == 2 and "--repeats must be >= 1; got 0" in bad.stderr


def test_bench_training_help_and_bad_arguments():
    script = ROOT / "benchmarks" / "bench_training.py"
    done = subprocess.run([sys.executable, str(script), "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0
    for option in ("--baseline", "--batch", "--repeats", "--skip-paper"):
        assert option in done.stdout
    assert "dafa95f" in done.stdout and "--_worker" not in done.stdout
    bad = subprocess.run([sys.executable, str(script), "--repeats", "0"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--repeats must be >= 1; got 0" in bad.stderr


def test_bench_thesis_arithmetic_counts_a_real_step_against_a_matmul():
    script = ROOT / "benchmarks" / "bench_thesis_arithmetic.py"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, str(script), "--models", "conv", "--rounds", "1",
                           "--steps", "1", "--matmul", "256"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()
            if line.split() and line.split()[0] in ("conv", "matmul")}
    gflop, ms, rate, share = (float(v) for v in rows["conv"])
    assert 4.0 < gflop < 7.0            # forward, backward and update of the conv beta-VAE
    assert ms > 0 and rate > 0 and share > 0
    assert float(rows["matmul"][0]) == round(2 * 256 ** 3 / 1e9, 2) and float(rows["matmul"][3]) == 1.0
    bad = subprocess.run([sys.executable, str(script), "--models", "conv,rnn"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, env=env)
    assert bad.returncode == 2 and "--models: unknown architecture(s) ['rnn']" in bad.stderr
    zero = subprocess.run([sys.executable, str(script), "--rounds", "0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=env)
    assert zero.returncode == 2 and "--rounds must be a positive integer; got 0" in zero.stderr


def test_bench_sweep_shape_help_and_bad_arguments():
    script = ROOT / "benchmarks" / "bench_sweep_shape.py"

    def run(*args):
        return subprocess.run([sys.executable, str(script), *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)

    done = run("--help")
    assert done.returncode == 0 and "--_worker" not in done.stdout
    for option in ("--models", "--seconds", "--cores", "side by side"):
        assert option in done.stdout
    bad = run("--models", "jet,gan")
    assert bad.returncode == 2 and "--models: ['gan'] not among jet, conv, fc" in bad.stderr
    one = run("--cores", "1")
    assert one.returncode == 2 and "--cores must be at least 2 (got 1)" in one.stderr
