"""Benchmark of the jet generator (issue 4): kept jets per second per core, by process and setting.

For each process (W, top, QCD) and each generator setting, one chunk of ``--jets`` selected jets
is generated in this process (one core) with :func:`latentdims.data.jetgen.generate_chunk`, the
same code the samples use, from Pythia's initialisation to the stored arrays.  Settings:

* ``loose cut``: pTHat > 300 GeV, no upper cut, Pythia's defaults otherwise: a generic
  starting point (about 10 kept W jets/s/core were measured with default settings before);
* ``paper cut``: pTHat > 500 GeV (the papers' pT,miss > 500 GeV for W Z), no upper cut,
  Pythia's defaults otherwise;
* ``ours``: the samples' settings, 500 < pTHat < 700 GeV and c tau > 10 mm stable
  (``ParticleDecays:limitTau0``), see ``latentdims.data.jetgen``;
* ``ours + MPI off``: for reference only, *not used*: without the underlying event the median
  W-jet mass moves down by ~12 GeV, which the VAE would see.

Columns: kept jets per CPU second (the "per core" rate; CPU time rather than wall time, because
the machine is shared and wall time counts other people's work), the ratio to ``loose cut`` of
the same process, the selection efficiency (kept / generated events), CPU milliseconds per
generated event, the share of the CPU time spent after Pythia (``analysis``: the particle
extraction, both FastJet clusterings, the selection, N-subjettiness and the truth record; the rest
is Pythia's event generation and its initialisation), and the median W/leading-jet mass as a
physics check of the setting.  The rates include one Pythia initialisation (~0.4 s) per chunk, as
in a real run.  Numbers are indicative: compare ratios within one run.

Run: ``.venv/bin/python benchmarks/bench_jetgen.py [--jets 200] [--processes w,top,qcd]``.
"""
from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

from latentdims.data import jetgen
from latentdims.data.jetgen import generate_chunk, generator_config

SETTINGS = {
    "loose cut": dict(pthat_min=300.0, pthat_max=-1.0, extra_settings=()),
    "paper cut": dict(pthat_max=-1.0, extra_settings=()),
    "ours": dict(),
    "ours + MPI off": dict(extra_settings=("ParticleDecays:limitTau0 = on",
                                          "PartonLevel:MPI = off")),
}


def measure(process: str, setting: str, n_jets: int, seed: int) -> dict:
    config = generator_config(process, **SETTINGS[setting])
    analysis = [0.0]
    original = jetgen._analyse_batch

    def timed(*args):           # the CPU time of everything after Pythia's nextBatch
        start = time.process_time()
        try:
            return original(*args)
        finally:
            analysis[0] += time.process_time() - start

    jetgen._analyse_batch = timed
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        arrays, info = generate_chunk(config, n_jets, seed)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        jetgen._analyse_batch = original
    events = info["cutflow"]["events"]
    return {"process": process, "setting": setting, "jets": n_jets,
            "jets_per_cpu_s": n_jets / cpu, "wall_jets_per_s": n_jets / wall,
            "efficiency": n_jets / events, "ms_per_event": 1e3 * cpu / events,
            "analysis_share": analysis[0] / cpu,
            "median_mass": float(np.median(arrays["jet_mass"])),
            "config": dataclasses.asdict(config)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jets", type=int, default=200, help="kept jets per row")
    parser.add_argument("--loose-jets", type=int, default=60,
                        help="kept jets for the slow 'loose cut' rows")
    parser.add_argument("--processes", default="w,top,qcd")
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()
    rows = []
    for process in args.processes.split(","):
        for setting in args.settings.split(","):
            n = args.loose_jets if setting == "loose cut" else args.jets
            rows.append(measure(process, setting, n, args.seed))
            r = rows[-1]
            print(f"  done {process:4s} {setting:15s} {r['jets_per_cpu_s']:7.1f} jets/CPU-s",
                  flush=True)
    print()
    print(f"{'process':8s} {'setting':16s} {'jets':>5s} {'jets/s/core':>12s} {'x loose':>8s} "
          f"{'wall jets/s':>11s} {'eff.':>6s} {'ms/event':>9s} {'analysis':>8s} {'median m':>9s}")
    for r in rows:
        base = [b for b in rows if b["process"] == r["process"] and b["setting"] == "loose cut"]
        ratio = f"{r['jets_per_cpu_s'] / base[0]['jets_per_cpu_s']:8.1f}" if base else f"{'-':>8s}"
        print(f"{r['process']:8s} {r['setting']:16s} {r['jets']:5d} {r['jets_per_cpu_s']:12.1f} "
              f"{ratio} {r['wall_jets_per_s']:11.1f} {r['efficiency']:6.3f} "
              f"{r['ms_per_event']:9.2f} {100 * r['analysis_share']:7.1f}% "
              f"{r['median_mass']:9.1f}")


if __name__ == "__main__":
    main()
