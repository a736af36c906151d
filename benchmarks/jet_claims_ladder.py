"""What each jet-VAE claim costs: the jet notebooks run on a ladder of settings (issue 14).

Each *rung* changes the annealing runs of a profile (``quick`` by default) in the ways
``latentdims.studies.jet_vae.LADDER_KEYS`` allows: latent count, layer width, epochs per step,
batches per epoch, learning rate, training jets, grid points per decade.  For every rung the
script executes the jet notebooks (default 20-23: the annealing, VAE_uncent, VAE_cent and the
dimensionalities; add 24 and 25 for the talks' top-jet and mixed-sample claims) with papermill,
passing the rung as the notebooks' ``ladder`` parameter, so each claim is scored by the very
cell that scores it in ``make figures``: nothing is re-implemented and no threshold changes.

What it measures per rung: the CPU minutes of the notebooks' kernels (user + system time of the
kernel processes, training and analysis; the sweeps run inline in the kernel so that all of it is
counted), their wall minutes, and every claim the notebooks recorded (document claims and sanity
checks, held or not).  Jet samples are generated (if missing) before the clock starts and shared
with ``make figures``; trained models go to a cache of the ladder's own (``<out>/cache``), so a
rung always pays for its trainings.

Outputs in ``--out`` (default ``build/ladder``): ``<rung>/figures`` (the rung's figures and claims),
``ladder.json`` (everything), ``ladder.md`` (the table: claims as rows, rungs as columns) and
``ladder.png`` (document claims held against CPU minutes).

    .venv/bin/python benchmarks/jet_claims_ladder.py --list
    .venv/bin/python benchmarks/jet_claims_ladder.py --rungs quick latents-64 epochs-x4
    .venv/bin/python benchmarks/jet_claims_ladder.py --rung '{"wide-64": {"width": 256, "latent_dim": 64}}'

``--tabulate a/ladder.json b/ladder.json`` runs nothing and merges the rungs of earlier runs
(of the same profile and notebooks) into one table, so a ladder can be run in pieces.  Runs of
other seeds (``--seed``) merge too: a rung run at several seeds gets a column per seed, labelled
``rung (seed s)``, a row ``held at every seed`` per rung and seed set, and a vertical bar in the
plot spanning its seeds' counts, so a difference of a claim or two can be told from the noise
of one seed.

A full default ladder is several CPU-hours on 2 cores (each quick rung: about 20-40 CPU minutes);
``--profile smoke`` runs the same path in a minute or two.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: The default ladder: the profile as it is, then one change at a time, then combinations.
RUNGS: dict[str, dict] = {
    "as-is": {},
    "latents-64": {"latent_dim": 64},
    "latents-256": {"latent_dim": 256},
    "wide-256": {"width": 256},
    "epochs-x2": {"epochs_scale": 2},
    "epochs-x4": {"epochs_scale": 4},
    "lr-1e-3": {"learning_rate": 1e-3},
    "jets-x2": {"jets_scale": 2},
    "grid-4": {"per_decade": 4},
    "latents-64+epochs-x4": {"latent_dim": 64, "epochs_scale": 4},
    "wide-256+latents-64+epochs-x4": {"width": 256, "latent_dim": 64, "epochs_scale": 4},
}
NOTEBOOKS = ("20", "21", "22", "23")


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process' finished, reaped children."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def parse_rungs(names: list[str] | None, extra: list[str] | None) -> dict[str, dict]:
    """The rungs to run: ``names`` from :data:`RUNGS` (all if None and no ``extra``), then each
    ``extra`` JSON object ``{"name": {setting: value}}``; every rung checked by the study."""
    from latentdims.studies import jet_vae

    rungs: dict[str, dict] = {}
    for name in names if names is not None else ([] if extra else list(RUNGS)):
        if name not in RUNGS:
            raise SystemExit(f"jet_claims_ladder: no rung {name!r}; --list shows them (or give "
                             f"your own with --rung '{{\"name\": {{...}}}}').")
        rungs[name] = RUNGS[name]
    for text in extra or []:
        try:
            given = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SystemExit(f"jet_claims_ladder: --rung {text!r} is not JSON ({exc}); write it "
                             f"as '{{\"name\": {{\"latent_dim\": 64}}}}'.") from None
        if not isinstance(given, dict) or not all(isinstance(v, dict) for v in given.values()):
            raise SystemExit(f"jet_claims_ladder: --rung must be a JSON object of name -> "
                             f"settings changes; got {text!r}.")
        rungs.update(given)
    for name, changes in rungs.items():
        try:
            jet_vae.settings("smoke", ladder=changes)
        except (TypeError, ValueError) as exc:
            raise SystemExit(f"jet_claims_ladder: rung {name!r}: {exc}") from None
    return rungs


def _notebook_paths(prefixes) -> list[Path]:
    folder = REPO / "notebooks"
    found = []
    for p in prefixes:
        hits = sorted(folder.glob(f"{p}_*.ipynb"))
        if len(hits) != 1:
            raise SystemExit(f"jet_claims_ladder: --notebooks {p!r} matches {len(hits)} notebooks "
                             f"in {folder}; give the two-digit numbers of the jet notebooks (20-25).")
        found.append(hits[0])
    return found


def _prepare_samples(profile: str, changes: dict, seed: int) -> None:
    """Generate the rung's jet samples before the clock starts (they are shared)."""
    from latentdims.studies import jet_samples, jet_vae

    samples = jet_vae.settings(profile, ladder=changes).samples
    for process in ("w", "top", "qcd"):
        jet_samples.ensure_jet_sample(process, samples, seed=seed)


@contextlib.contextmanager
def _environment(**values: str):
    """``os.environ`` with ``values`` set, restored afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _provenance() -> dict:
    """The commit (with ``+changes`` if the working tree differs), the UTC date and the cores."""
    import datetime
    import subprocess

    def git(*cmd):
        done = subprocess.run(["git", *cmd], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += "+changes"
    return {"commit": commit, "cpus": os.cpu_count(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def run_rung(name: str, changes: dict, notebooks: list[Path], *, profile: str, seed: int,
             out: Path, prepare: bool = True) -> dict:
    """Execute ``notebooks`` with ``ladder=changes``; their claims, CPU and wall minutes.

    The rung's figures and claims go to ``out/<name>/figures``, trained models to ``out/cache``,
    the kernels' own output to ``out/<name>/kernel.log``; ``prepare``: generate the jet samples
    first (outside the clock)."""
    from latentdims import reproduce
    from latentdims.core import manifest
    from latentdims.notebook import read_claims

    # absolute: the kernels run in the notebooks' folder, this process reads their claims here
    out = Path(out).resolve()
    folder = out / name
    (folder / "executed").mkdir(parents=True, exist_ok=True)
    row = {"rung": name, "seed": seed, "changes": changes, "notebooks": {}, "claims": [],
           "cpu_minutes": 0.0, "wall_minutes": 0.0, **_provenance()}
    with _environment(LATENTDIMS_FIGURES=str(folder / "figures"), LATENTDIMS_BUILD=str(folder),
                      LATENTDIMS_CACHE=str(out / "cache"), LATENTDIMS_SCHEDULER="inline"), \
            open(folder / "kernel.log", "a") as log:
        entries = manifest.load_manifest()
        if prepare:
            _prepare_samples(profile, changes, seed)
        for path in notebooks:
            print(f"  {name}: running {path.name} (its output: {folder / 'kernel.log'})", flush=True)
            cpu0, wall0 = _children_cpu(), time.time()
            res = reproduce.run_notebook(path.name, path, profile=profile, seed=seed,
                                         out_dir=folder / "executed", entries=entries,
                                         cwd=path.parent, kernel_output=log,
                                         parameters={"ladder": changes})
            cpu, wall = (_children_cpu() - cpu0) / 60, (time.time() - wall0) / 60
            row["notebooks"][path.name] = {"status": res.status, "error": res.error,
                                           "cpu_minutes": round(cpu, 2),
                                           "wall_minutes": round(wall, 2)}
            row["cpu_minutes"] += cpu
            row["wall_minutes"] += wall
            for c in read_claims(path.name, profile):
                row["claims"].append({"notebook": path.stem[:2], "id": c["id"],
                                      "kind": c.get("kind", "document"),
                                      "passed": bool(c["passed"])})
            print(f"  {name}: {path.name} {res.status}, {cpu:.1f} CPU min, {wall:.1f} min, "
                  f"claims {res.claims_passed}/{res.claims_total}"
                  + (f" ({res.error})" if res.error else ""), flush=True)
    row["cpu_minutes"], row["wall_minutes"] = (round(row["cpu_minutes"], 2),
                                               round(row["wall_minutes"], 2))
    return row


def _held(row: dict, kind: str = "document") -> tuple[int, int]:
    got = [c["passed"] for c in row["claims"] if c["kind"] == kind]
    return sum(got), len(got)


def _status(row: dict) -> str:
    """``all ok``, or which notebooks did not finish and why (their claims are then missing)."""
    bad = {nb[:2]: v for nb, v in row["notebooks"].items() if v["status"] != "ok"}
    if not bad:
        return "all ok"
    def reason(v):
        text = v.get("error") or v["status"]
        if "non-finite loss" in text:
            return "non-finite loss"
        found = re.findall(r"\b(\w+(?:Error|Exception))\b", text)
        return found[-1] if found else text[:40]

    why = sorted({reason(v) for v in bad.values()})
    return f"{', '.join(sorted(bad))} did not finish ({'; '.join(why)}): their claims are blank"


def _seeds(rows: list[dict]) -> list[int]:
    return sorted({r.get("seed", 0) for r in rows})


def _label(row: dict, rows: list[dict]) -> str:
    """The rung's name, with its seed when the rows hold more than one seed."""
    return row["rung"] if len(_seeds(rows)) == 1 else f"{row['rung']} (seed {row.get('seed', 0)})"


def _finished_by_rung(rows: list[dict]) -> dict[str, list[dict]]:
    """Each rung's runs whose notebooks all finished, by seed."""
    out: dict[str, list[dict]] = {}
    for r in sorted(rows, key=lambda r: r.get("seed", 0)):
        if _status(r) == "all ok":
            out.setdefault(r["rung"], []).append(r)
    return {name: out[name] for name in dict.fromkeys(r["rung"] for r in rows) if name in out}


def seed_summary(rows: list[dict]) -> list[str]:
    """One line per rung run at several seeds: its document claims held at each seed, and how
    many claims held at every one of them (a claim that holds at one seed only is noise).

    >>> rows = [{"rung": "a", "seed": s, "notebooks": {}, "claims": [
    ...     {"notebook": "20", "id": "x", "kind": "document", "passed": True},
    ...     {"notebook": "20", "id": "y", "kind": "document", "passed": s == 0}]} for s in (0, 1)]
    >>> seed_summary(rows)
    ['a: seeds 0, 1 hold 2, 1 of 2 document claims; 1 held at every seed, 1 at some']
    """
    lines = []
    for name, runs in _finished_by_rung(rows).items():
        if len(runs) < 2:
            continue
        held = [{(c["notebook"], c["id"]) for c in r["claims"]
                 if c["kind"] == "document" and c["passed"]} for r in runs]
        always, ever = set.intersection(*held), set.union(*held)
        lines.append(f"{name}: seeds {', '.join(str(r.get('seed', 0)) for r in runs)} hold "
                     f"{', '.join(str(len(h)) for h in held)} of {_held(runs[0])[1]} document "
                     f"claims; {len(always)} held at every seed, {len(ever - always)} at some")
    return lines


def markdown_table(rows: list[dict], *, profile: str) -> str:
    """Claims as rows, rungs as columns (``yes`` / ``no`` / blank when a rung did not record it);
    with several seeds, a column per rung and seed and a closing list of :func:`seed_summary`."""
    ids: dict[tuple, str] = {}
    for r in rows:
        for c in r["claims"]:
            ids.setdefault((c["notebook"], c["id"]), c["kind"])
    head = ["claim (notebook, kind)"] + [_label(r, rows) for r in rows]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines.append("| changes | " + " | ".join(
        ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                  for k, v in r["changes"].items()) or f"{profile} as it is" for r in rows) + " |")
    lines.append("| run | " + " | ".join(
        f"{r['commit']}, {r['date']}, {r['cpus']} cores" if "commit" in r else "not recorded"
        for r in rows) + " |")
    lines.append("| notebooks | " + " | ".join(_status(r) for r in rows) + " |")
    lines.append("| CPU minutes | " + " | ".join(f"{r['cpu_minutes']:.1f}" for r in rows) + " |")
    lines.append("| document claims held | " + " | ".join(
        "{}/{}".format(*_held(r)) for r in rows) + " |")
    lines.append("| sanity checks held | " + " | ".join(
        "{}/{}".format(*_held(r, "sanity")) for r in rows) + " |")
    for (nb, cid), kind in sorted(ids.items()):
        cells = []
        for r in rows:
            got = [c["passed"] for c in r["claims"] if (c["notebook"], c["id"]) == (nb, cid)]
            cells.append("" if not got else ("yes" if got[0] else "no"))
        lines.append(f"| `{cid}` ({nb}, {kind}) | " + " | ".join(cells) + " |")
    spread = seed_summary(rows)
    if spread:
        lines += ["", "Across seeds (document claims; a rung's runs whose notebooks all finished):",
                  ""] + [f"- {line}" for line in spread]
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], path: Path, *, profile: str) -> None:
    """Document claims held against CPU minutes, one labelled point per rung."""
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for runs in _finished_by_rung(rows).values():       # a rung's spread over its seeds
        if len(runs) > 1:
            held = [_held(r)[0] for r in runs]
            x = sum(r["cpu_minutes"] for r in runs) / len(runs)
            ax.vlines(x, min(held), max(held), color="C0", alpha=0.35, lw=6)
    for r in rows:
        held, total = _held(r)
        done = _status(r) == "all ok"      # a rung whose notebooks failed recorded fewer claims
        ax.scatter(r["cpu_minutes"], held, color="C0" if done else "C3", marker="o" if done else "x")
        label = _label(r, rows)
        ax.annotate(label if done else f"{label} (notebooks failed: {held}/{total} recorded)",
                    (r["cpu_minutes"], held), textcoords="offset points", xytext=(4, 4), fontsize=7)
    totals = {_held(r)[1] for r in rows if _status(r) == "all ok"}
    ax.set_xlabel("CPU minutes of the rung's notebooks (training and analysis)")
    ax.set_ylabel("document claims held" + (f" (of {totals.pop()})" if len(totals) == 1 else ""))
    seeds = _seeds(rows)
    ax.set_title(f"Jet-VAE claims against compute (profile {profile} with each rung's changes"
                 + (f"; seed {seeds[0]})" if len(seeds) == 1 else
                    f"; seeds {', '.join(map(str, seeds))}: bars span a rung's seeds)"), fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Run the jet notebooks on a ladder of settings and tabulate which claims hold "
                    "at what CPU cost (issue 14).",
        epilog="The rungs: --list.  Outputs: <out>/ladder.md, ladder.json, ladder.png.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--list", action="store_true", help="print the default rungs and stop")
    p.add_argument("--rungs", nargs="+", metavar="NAME", help="rungs of the default ladder to run "
                   "(default: all, unless --rung is given)")
    p.add_argument("--rung", action="append", metavar="JSON",
                   help="a rung of your own, '{\"name\": {\"latent_dim\": 64, ...}}' (repeatable)")
    p.add_argument("--notebooks", nargs="+", default=list(NOTEBOOKS), metavar="NN",
                   help="the jet notebooks to run, by number (default: 20 21 22 23)")
    p.add_argument("--profile", default="quick", help="the profile the rungs change (default quick)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=REPO / "build" / "ladder",
                   help="output folder (default build/ladder)")
    p.add_argument("--tabulate", nargs="+", type=Path, metavar="JSON",
                   help="run nothing: merge the rungs of these ladder.json files (a later rung "
                        "of the same name and seed replaces an earlier one; other seeds get "
                        "columns of their own) into <out>/ladder.md, ladder.json and ladder.png")
    return p


def load_rows(paths: list[Path]) -> tuple[dict, list[dict]]:
    """The rungs of several ``ladder.json`` files, merged by name and seed in order (a row
    without a seed of its own has its file's ``seed``); and the settings (profile, notebooks),
    which all files must share, with ``seeds``, the seeds of the merged rows."""
    merged: dict[tuple, dict] = {}
    first = None
    for path in paths:
        try:
            result = json.loads(Path(path).read_text())
        except FileNotFoundError:
            raise SystemExit(f"jet_claims_ladder: --tabulate {path}: no such file; give the "
                             f"ladder.json of an earlier run (in its --out folder).") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SystemExit(f"jet_claims_ladder: --tabulate {path} is not JSON ({exc}); give "
                             f"a ladder.json this script wrote.") from None
        if not isinstance(result, dict) or not isinstance(result.get("rungs"), list):
            raise SystemExit(f"jet_claims_ladder: --tabulate {path} has no list of 'rungs'; "
                             f"give a ladder.json this script wrote.")
        settings = {k: result.get(k) for k in ("profile", "notebooks")}
        if first is None:
            first = settings
        elif settings != first:
            raise SystemExit(f"jet_claims_ladder: --tabulate {path} ran {settings}, the first "
                             f"file {first}; merge only runs of the same profile and "
                             f"notebooks.")
        for row in result["rungs"]:
            row = {"seed": result.get("seed", 0), **row}
            merged[(row["rung"], row["seed"])] = row
    rows = list(merged.values())
    return {**first, "seeds": _seeds(rows)}, rows


def write_outputs(out: Path, settings: dict, rows: list[dict]) -> None:
    """``ladder.json``, ``ladder.md`` and ``ladder.png`` of ``rows`` in ``out``."""
    from latentdims.core.io import write_json, write_text

    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "ladder.json", {**settings, "rungs": rows})
    write_text(out / "ladder.md", markdown_table(rows, profile=settings["profile"]))
    plot(rows, out / "ladder.png", profile=settings["profile"])


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.list:
        for name, changes in RUNGS.items():
            print(f"{name:32s} {json.dumps(changes)}")
        return 0
    if args.tabulate:
        settings, rows = load_rows(args.tabulate)
        write_outputs(args.out, settings, rows)
        print((args.out / "ladder.md").read_text())
        return 0
    from latentdims.core.profiles import check_profile

    try:
        check_profile(args.profile, func="jet_claims_ladder")
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    rungs = parse_rungs(args.rungs, args.rung)
    notebooks = _notebook_paths(args.notebooks)
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"jet_claims_ladder: {len(rungs)} rung(s) x {len(notebooks)} notebook(s), profile "
          f"{args.profile}, seed {args.seed}; output in {args.out}", flush=True)
    settings = {"profile": args.profile, "seeds": [args.seed],
                "notebooks": [p.name for p in notebooks]}
    rows = []
    for name, changes in rungs.items():
        rows.append(run_rung(name, changes, notebooks, profile=args.profile, seed=args.seed,
                             out=args.out))
        # written after every rung, so a long ladder stopped midway keeps what it measured
        write_outputs(args.out, settings, rows)
    print((args.out / "ladder.md").read_text())
    failed = [f"{r['rung']}/{nb}" for r in rows for nb, v in r["notebooks"].items()
              if v["status"] != "ok"]
    if failed:
        print(f"jet_claims_ladder: notebooks that did not finish: {', '.join(failed)}",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
