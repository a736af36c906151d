"""Regenerate the figures: run the numbered notebooks in order with papermill.

``python -m latentdims.reproduce --profile quick`` (what ``make figures`` calls) executes every
notebook of ``notebooks/`` with the papermill parameters ``profile`` and ``seed``, saves the
executed copies under ``build/<profile>/``, checks that each notebook wrote the files the manifest
promises, and writes ``figures/REPORT.md``.  A failing notebook is reported with its error cell
and the others still run (``--fail-fast`` stops at the first failure); the exit status is
non-zero if any notebook failed, is missing, or did not write its figures.
"""
from __future__ import annotations

import argparse
import fnmatch
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from latentdims.core import manifest, paths
from latentdims.core.io import ensure_writable_dir
from latentdims.core.profiles import PROFILES, check_profile, default_profile
from latentdims.notebook import claims_path, read_claims
from latentdims.report import write_report

__all__ = ["NotebookResult", "select_notebooks", "run_notebook", "run_all", "main"]


@dataclass
class NotebookResult:
    notebook: str
    status: str = "pending"        # ok | failed | incomplete | missing | skipped
    minutes: float = 0.0
    figures_written: int = 0
    figures_expected: int = 0
    claims_passed: int = 0
    claims_total: int = 0
    error: str = ""
    missing_outputs: list[str] = field(default_factory=list)


def select_notebooks(notebooks_dir: Path, only: list[str] | None,
                     entries: list[manifest.Entry]) -> list[tuple[str, Path]]:
    """Notebook names (sorted) matching any of the ``only`` globs, with their paths.

    Names promised by the manifest but absent on disk are kept (and reported as missing).
    """
    on_disk = {p.name: p for p in notebooks_dir.glob("[0-9]*.ipynb")}
    promised = {e.notebook for e in entries}
    names = sorted(set(on_disk) | promised)
    if only:
        names = [n for n in names if any(fnmatch.fnmatch(n, g) or fnmatch.fnmatch(Path(n).stem, g)
                                         for g in only)]
        if not names:
            raise SystemExit(f"reproduce: no notebook matches --only {' '.join(only)!r}; "
                             f"available: {', '.join(sorted(on_disk)) or 'none'} "
                             f"(in {notebooks_dir}).")
    return [(n, on_disk.get(n, notebooks_dir / n)) for n in names]


def _error_summary(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        first = next((ln for ln in (exc.source or "").splitlines() if ln.strip()), "")
        return (f"cell {exc.cell_index} (In [{exc.exec_count}]: {first[:60]!r}): "
                f"{exc.ename}: {str(exc.evalue)[:300]}")
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def run_notebook(name: str, path: Path, *, profile: str, seed: int, out_dir: Path,
                 entries: list[manifest.Entry], cwd: Path, progress: bool = False) -> NotebookResult:
    """Execute one notebook with papermill and check what it wrote."""
    import papermill as pm

    result = NotebookResult(name)
    promised = [e for e in entries if e.notebook == name]
    result.figures_expected = len(promised)
    if not path.is_file():
        result.status = "missing"
        result.error = f"notebook {path} does not exist (the manifest promises {len(promised)} figures from it)"
        return result
    claims_path(name).unlink(missing_ok=True)
    start = time.time()
    try:
        pm.execute_notebook(str(path), str(out_dir / name), parameters={"profile": profile, "seed": seed},
                            kernel_name="python3", cwd=str(cwd), progress_bar=progress)
        result.status = "ok"
    except Exception as exc:  # a failing notebook is reported; the others still run
        result.status = "failed"
        result.error = _error_summary(exc)
    result.minutes = (time.time() - start) / 60
    for e in promised:
        stale = [f.name for f in manifest.output_paths(e)
                 if not f.is_file() or f.stat().st_mtime < start - 1]
        if stale:
            result.missing_outputs.append(f"{e.key} ({', '.join(stale)})")
        else:
            result.figures_written += 1
    claims = read_claims(name)
    result.claims_total = len(claims)
    result.claims_passed = sum(bool(c["passed"]) for c in claims)
    if result.status == "ok" and result.missing_outputs:
        result.status = "incomplete"
        result.error = "did not write: " + "; ".join(result.missing_outputs)
    return result


def format_table(results: list[NotebookResult]) -> str:
    rows = [("notebook", "status", "minutes", "figures", "claims passed")]
    for r in results:
        rows.append((r.notebook, r.status, f"{r.minutes:.2f}",
                     f"{r.figures_written}/{r.figures_expected}", f"{r.claims_passed}/{r.claims_total}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    fmt = lambda row: "  ".join(c.ljust(w) for c, w in zip(row, widths))
    lines = [fmt(rows[0]), "  ".join("-" * w for w in widths)] + [fmt(r) for r in rows[1:]]
    total = sum(r.minutes for r in results)
    lines.append(f"total: {total:.1f} minutes, {sum(r.status == 'ok' for r in results)}/{len(results)} ok")
    for r in results:
        if r.error:
            lines.append(f"  {r.notebook}: {r.error}")
    return "\n".join(lines)


def run_all(*, profile: str, seed: int = 0, only: list[str] | None = None, fail_fast: bool = False,
            notebooks_dir: Path | None = None, build_dir: Path | None = None,
            report: bool = True) -> list[NotebookResult]:
    from tqdm.auto import tqdm

    check_profile(profile, func="reproduce")
    notebooks_dir = notebooks_dir or paths.notebooks_dir()
    if not notebooks_dir.is_dir():
        raise SystemExit(f"reproduce: the notebooks folder {str(notebooks_dir)!r} does not exist.")
    entries = manifest.load_manifest()
    selected = select_notebooks(notebooks_dir, only, entries)
    out_dir = ensure_writable_dir((build_dir or paths.build_dir()) / profile, what="build folder")
    ensure_writable_dir(paths.figures_dir(), what="figures folder")
    # the kernels inherit the environment: library defaults then agree with the injected profile
    os.environ["LATENTDIMS_PROFILE"] = profile
    os.environ.setdefault("MPLBACKEND", "agg")

    results: list[NotebookResult] = []
    bar = tqdm(selected, desc=f"notebooks ({profile})", unit="nb")
    for name, path in bar:
        if fail_fast and any(r.status != "ok" for r in results):
            results.append(NotebookResult(name, status="skipped", error="skipped after a failure (--fail-fast)"))
            continue
        bar.set_postfix_str(name)
        res = run_notebook(name, path, profile=profile, seed=seed, out_dir=out_dir, entries=entries,
                           cwd=notebooks_dir)
        results.append(res)
        bar.write(f"{name}: {res.status} in {res.minutes:.2f} min" + (f" -- {res.error}" if res.error else ""))
    if report:

        write_report()
    return results


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m latentdims.reproduce",
        description="Run the numbered notebooks with papermill and regenerate every figure and table "
                    "listed in figures/manifest.csv; executed notebooks go to build/<profile>/ and a "
                    "report to figures/REPORT.md.",
        epilog="Examples: `python -m latentdims.reproduce --profile smoke`; "
               "`python -m latentdims.reproduce --only '0*' --only '*bananas*'`; "
               "`python -m latentdims.reproduce --list`.")
    p.add_argument("--profile", default=None,
                   help=f"one of {', '.join(PROFILES)} (default: $LATENTDIMS_PROFILE or 'quick')")
    p.add_argument("--only", action="append", metavar="GLOB",
                   help="run only notebooks whose file name matches GLOB (repeatable), e.g. '2*'")
    p.add_argument("--seed", type=int, default=0, help="the seed injected into every notebook (default 0)")
    p.add_argument("--fail-fast", action="store_true", help="stop at the first failing notebook")
    p.add_argument("--notebooks-dir", type=Path, default=None,
                   help="folder of the numbered notebooks (default: notebooks/)")
    p.add_argument("--build-dir", type=Path, default=None,
                   help="where executed notebooks go (default: build/, or $LATENTDIMS_BUILD)")
    p.add_argument("--list", action="store_true",
                   help="list the notebooks and the figures each promises, then exit")
    p.add_argument("--report-only", action="store_true", help="rewrite figures/REPORT.md and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        profile = check_profile(args.profile, func="reproduce") if args.profile else default_profile()
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.report_only:

        print(f"wrote {write_report()}")
        return 0
    if args.list:
        entries = manifest.load_manifest()
        for name, path in select_notebooks(args.notebooks_dir or paths.notebooks_dir(), args.only,
                                           entries):
            keys = [e.key for e in entries if e.notebook == name]
            flag = "" if path.is_file() else "  [missing]"
            print(f"{name}{flag}: {', '.join(keys) or '(no manifest figures)'}")
        return 0
    try:
        results = run_all(profile=profile, seed=args.seed, only=args.only, fail_fast=args.fail_fast,
                          notebooks_dir=args.notebooks_dir, build_dir=args.build_dir)
    except PermissionError as exc:
        print(f"reproduce: {exc}", file=sys.stderr)
        return 2
    print()
    print(format_table(results))
    print(f"\nreport: {paths.figures_dir() / 'REPORT.md'}")
    return 0 if all(r.status == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
