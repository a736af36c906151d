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
