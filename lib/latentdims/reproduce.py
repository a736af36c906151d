"""Regenerate the figures: run the numbered notebooks in order with papermill.

``python -m latentdims.reproduce --profile quick`` (what ``make figures`` calls) executes every
notebook of ``notebooks/`` with the papermill parameters ``profile`` and ``seed``, saves the
executed copies under ``build/<profile>/``, checks that each notebook wrote the files the manifest
promises, and writes ``REPORT.md`` beside the figures (``figures/`` for quick,
``build/figures-<profile>/`` for the other profiles; see :func:`latentdims.core.paths.figures_dir`).

While it runs it says which notebook and which cell is executing (``[ 3/25] 02_talks_bananas.ipynb
cell 7/12 (0:42) ...``) on the terminal and, with times and everything the kernels print
(TensorFlow's C++ logs included), in ``build/<profile>/reproduce.log``.  ``--figure ID`` runs only
the notebook(s) that make a manifest figure.  A failing notebook is reported with its error cell
and the others still run (``--fail-fast`` stops at the first failure); the exit status is non-zero
if any notebook failed, is missing, or did not write its figures (1), or if the arguments are
wrong (2).
"""
from __future__ import annotations

import argparse
import difflib
import fnmatch
import functools
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable

from latentdims import show_tensorflow_logs
from latentdims.core import manifest, paths
from latentdims.core.io import ensure_writable_dir, write_json
from latentdims.core.profiles import PROFILES, check_profile, default_profile
from latentdims.core.sweeps import SCHEDULER_ENV, check_scheduler, resolve_scheduler
from latentdims.notebook import claims_path, read_claims
from latentdims.report import RUN_RECORD, write_report

__all__ = ["NotebookResult", "RunLog", "select_notebooks", "notebooks_for_figures", "run_notebook",
           "run_all", "build_parser", "main"]

LOG_NAME = "reproduce.log"


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


# --------------------------------------------------------------------------- choosing notebooks
def _figure_token(text: str) -> str:
    """A figure id as typed (``fig6.3``, ``Fig. 6.3``, ``tab8.1``, ``figure-6.3``) in the
    manifest's form (``figure-6.3``, ``table-8.1``), lower case.

    >>> [_figure_token(t) for t in ("fig6.3", "Fig. 6.3", "figure 6.3", "tab A.1", "bananas-dims")]
    ['figure-6.3', 'figure-6.3', 'figure-6.3', 'table-a.1', 'bananas-dims']
    """
    t = text.strip().lower()
    m = re.fullmatch(r"(fig|figure|tab|table)\.?[\s_-]*([a-z]?\.?\d+(?:\.\d+)*)", t)
    if not m:
        return t
    kind = "figure" if m.group(1).startswith("fig") else "table"
    return f"{kind}-{m.group(2)}"


def notebooks_for_figures(figures: list[str], entries: list[manifest.Entry]) -> list[str]:
    """The notebooks that make the manifest figures ``figures`` (sorted, without repeats).

    Each item is ``document/id`` (``thesis/figure-6.3``) or an id alone if one notebook makes
    every figure of that id; ids may be abbreviated (``fig6.3``, ``tab8.1``).

    Raises
    ------
    ValueError
        For an unknown id (with the closest ids of the manifest) or an id that names figures of
        different notebooks in several documents (with the ``document/id`` to choose from).

    >>> e = [manifest.Entry("thesis", "figure-6.3", "figure", "31_x.ipynb", ""),
    ...      manifest.Entry("iclr2022", "figure-4", "figure", "10_y.ipynb", ""),
    ...      manifest.Entry("neurips2021", "figure-4", "figure", "20_z.ipynb", "")]
    >>> notebooks_for_figures(["fig6.3", "iclr2022/figure-4"], e)
    ['10_y.ipynb', '31_x.ipynb']
    """
    names: set[str] = set()
    for text in figures:
        document, _, fid = text.strip().rpartition("/")
        token = _figure_token(fid)
        hits = [e for e in entries if e.id.lower() == token
                and (not document or e.document.lower() == document.lower())]
        if not hits:
            close = _close_figures(document, token, entries)
            raise ValueError(
                f"reproduce: unknown figure {text!r} (--figure / FIGURE=); "
                + (f"close matches: {', '.join(close[:8])}. " if close else "")
                + "The ids are those of figures/manifest.csv, as `document/id` "
                  "(e.g. thesis/figure-6.3) or `fig6.3`; list them with --list.")
        found = {e.notebook for e in hits}
        if len(found) > 1:
            raise ValueError(f"reproduce: figure {text!r} is ambiguous: "
                             + ", ".join(f"{e.key} ({e.notebook})" for e in hits)
                             + "; give its document, e.g. --figure " + hits[0].key + ".")
        names |= found
    return sorted(names)


def _close_figures(document: str, token: str, entries: list[manifest.Entry]) -> list[str]:
    """Manifest keys near ``document/token``: similar keys, keys of similar ids, keys containing
    the id (at most 8)."""
    keys = [e.key for e in entries]
    wanted = f"{document.lower()}/{token}" if document else token
    near_ids = difflib.get_close_matches(token, sorted({e.id.lower() for e in entries}), n=4,
                                         cutoff=0.6)
    close = difflib.get_close_matches(wanted, keys, n=4, cutoff=0.6)
    close += [e.key for i in near_ids for e in entries if e.id.lower() == i]
    close += [k for k in keys if token and token in k.lower()]
    return list(dict.fromkeys(close))[:8]


def select_notebooks(notebooks_dir: Path, only: list[str] | None,
                     entries: list[manifest.Entry],
                     figures: list[str] | None = None) -> list[tuple[str, Path]]:
    """Notebook names (sorted) matching any of the ``only`` globs or making any of the
    manifest ``figures`` (all notebooks if neither is given), with their paths.

    Names promised by the manifest but absent on disk are kept (and reported as missing).
    """
    on_disk = {p.name: p for p in notebooks_dir.glob("[0-9]*.ipynb")}
    promised = {e.notebook for e in entries}
    names = sorted(set(on_disk) | promised)
    if only or figures:
        chosen = set(notebooks_for_figures(figures, entries)) if figures else set()
        for glob in only or []:
            matched = {n for n in names if fnmatch.fnmatch(n, glob) or fnmatch.fnmatch(Path(n).stem, glob)}
            if not matched:
                raise ValueError(f"reproduce: no notebook matches --only {glob!r}; available: "
                                 f"{', '.join(sorted(on_disk)) or 'none'} (in {notebooks_dir}).")
            chosen |= matched
        names = [n for n in names if n in chosen]
    return [(n, on_disk.get(n, notebooks_dir / n)) for n in names]


# --------------------------------------------------------------------------- progress and the log
class RunLog:
    """Progress lines on the terminal and, with times, in a log file (which also receives what
    the kernels print on their own standard output and error).

    On a terminal the cell lines overwrite each other; in a pipe or a file each is a line.
    """

    def __init__(self, path: Path | None, stream: IO[str] | None = None):
        self.path = path
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.file: IO[str] | None = None
        self._transient = False
        if path is not None:
            path.write_text("")                      # a fresh log for every run
            self.file = open(path, "a", buffering=1)  # appended to by the kernels as well

    def line(self, text: str, *, transient: bool = False, terminal: bool = True) -> None:
        if self.file is not None:
            self.file.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}\n")
            self.file.flush()
        if not terminal:
            return
        if self.tty:
            self.stream.write("\r\x1b[K" + text + ("" if transient else "\n"))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self._transient = transient and self.tty

    def close(self) -> None:
        if self._transient:
            self.stream.write("\n")
            self.stream.flush()
        if self.file is not None:
            self.file.close()
            self.file = None

    def __enter__(self) -> "RunLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _CellProgress:
    """Called by the engine at the start and end of each cell: one line per code cell."""

    def __init__(self, log: RunLog, prefix: str):
        self.log, self.prefix, self.start = log, prefix, time.time()
        self.numbers: dict[int, int] = {}
        self.began: dict[int, float] = {}

    def __call__(self, event: str, cells, index: int) -> None:
        if not self.numbers:
            code = [i for i, c in enumerate(cells) if c.cell_type == "code"]
            self.numbers = {i: k + 1 for k, i in enumerate(code)}
        if index not in self.numbers:
            return
        where = f"{self.prefix} cell {self.numbers[index]}/{len(self.numbers)}"
        if event == "start":
            self.began[index] = time.time()
            elapsed = int(time.time() - self.start)
            first = next((ln.strip() for ln in cells[index].source.splitlines()
                          if ln.strip() and not ln.lstrip().startswith("#")), "")
            self.log.line(f"{where} ({elapsed // 60}:{elapsed % 60:02d}) {first[:50]}",
                          transient=True)
        else:
            took = time.time() - self.began.get(index, time.time())
            self.log.line(f"{where} done in {took:.1f} s", terminal=False)


@functools.cache
def _engine() -> str:
    """Register (once) papermill's nbclient engine with a callback per cell; its name."""
    from papermill.engines import NBClientEngine, papermill_engines

    class CellProgressEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, on_cell=None, **kwargs):
            if on_cell is not None:
                start, complete = nb_man.cell_start, nb_man.cell_complete

                def cell_start(cell, cell_index=None, **kw):
                    on_cell("start", nb_man.nb.cells, cell_index)
                    return start(cell, cell_index, **kw)

                def cell_complete(cell, cell_index=None, **kw):
                    out = complete(cell, cell_index, **kw)
                    on_cell("end", nb_man.nb.cells, cell_index)
                    return out

                nb_man.cell_start, nb_man.cell_complete = cell_start, cell_complete
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register("latentdims", CellProgressEngine)
    return "latentdims"


def _kernel_manager(output: IO[str] | None):
    """A kernel manager class whose kernels write their own stdout/stderr to ``output``."""
    from jupyter_client.manager import AsyncKernelManager

    class LoggedKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw):
            if output is not None:
                kw.setdefault("stdout", output)
                kw.setdefault("stderr", output)
            return await super().start_kernel(**kw)

    return LoggedKernelManager


# --------------------------------------------------------------------------- running
def _error_summary(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        first = next((ln for ln in (exc.source or "").splitlines() if ln.strip()), "")
        return (f"cell {exc.cell_index} (In [{exc.exec_count}]: {first[:60]!r}): "
                f"{exc.ename}: {str(exc.evalue)[:300]}")
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def run_notebook(name: str, path: Path, *, profile: str, seed: int, out_dir: Path,
                 entries: list[manifest.Entry], cwd: Path,
                 on_cell: Callable[[str, list, int], None] | None = None,
                 kernel_output: IO[str] | None = None,
                 parameters: dict | None = None) -> NotebookResult:
    """Execute one notebook with papermill and check what it wrote.

    ``on_cell(event, cells, index)`` is called as each cell starts (``"start"``) and ends
    (``"end"``); the kernel's own stdout and stderr go to ``kernel_output`` if given;
    ``parameters``: papermill parameters beside ``profile`` and ``seed`` (e.g. the jet notebooks'
    ``ladder``, ``benchmarks/jet_claims_ladder.py``).
    """
    import papermill as pm

    result = NotebookResult(name)
    promised = [e for e in entries if e.notebook == name]
    result.figures_expected = len(promised)
    if not path.is_file():
        result.status = "missing"
        result.error = f"notebook {path} does not exist (the manifest promises {len(promised)} figures from it)"
        return result
    os.environ["LATENTDIMS_PROFILE"] = profile       # the kernel and the claims ledger agree
    figures = paths.figures_dir(profile)
    claims_path(name).unlink(missing_ok=True)
    start = time.time()
    try:
        pm.execute_notebook(str(path), str(out_dir / name),
                            parameters={**(parameters or {}), "profile": profile, "seed": seed},
                            kernel_name="python3", cwd=str(cwd), progress_bar=False,
                            engine_name=_engine(), on_cell=on_cell,
                            kernel_manager_class=_kernel_manager(kernel_output))
        result.status = "ok"
    except Exception as exc:  # a failing notebook is reported; the others still run
        result.status = "failed"
        result.error = _error_summary(exc)
    result.minutes = (time.time() - start) / 60
    for e in promised:
        stale = [f.name for f in manifest.output_paths(e, figures)
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


def _check_notebooks_dir(notebooks_dir: Path) -> Path:
    if not notebooks_dir.is_dir():
        raise FileNotFoundError(f"reproduce: the notebooks folder {str(notebooks_dir)!r} does not "
                                f"exist; run from a clone of the repository or pass "
                                f"--notebooks-dir (or set LATENTDIMS_NOTEBOOKS).")
    return notebooks_dir


def run_all(*, profile: str, seed: int = 0, only: list[str] | None = None,
            figures: list[str] | None = None, fail_fast: bool = False,
            notebooks_dir: Path | None = None, build_dir: Path | None = None,
            log_path: Path | None = None, verbose: bool = False,
            report: bool = True, scheduler: str | None = None) -> list[NotebookResult]:
    """Run the selected notebooks (all, or those of ``only`` globs and ``figures`` ids) with
    ``profile`` and ``seed``; progress on stderr and in ``log_path`` (default
    ``<build>/<profile>/reproduce.log``).  ``verbose`` shows the kernels' own output (and
    TensorFlow's C++ logs) on the terminal instead of only in the log.  ``scheduler`` (``"local"``,
    ``"inline"``, ``"tcp://host:8786"``) is set as ``$LATENTDIMS_SCHEDULER`` for the kernels'
    sweeps (:mod:`latentdims.core.sweeps`)."""
    check_profile(profile, func="reproduce")
    if scheduler is not None:
        os.environ[SCHEDULER_ENV] = check_scheduler(scheduler, source="reproduce: --scheduler (SCHEDULER=)")
    where = resolve_scheduler()          # a bad $LATENTDIMS_SCHEDULER fails here, not in a kernel
    notebooks_dir = _check_notebooks_dir(notebooks_dir or paths.notebooks_dir())
    entries = manifest.load_manifest()
    selected = select_notebooks(notebooks_dir, only, entries, figures)
    out_dir = ensure_writable_dir((build_dir or paths.build_dir()) / profile, what="build folder")
    ensure_writable_dir(paths.figures_dir(profile), what="figures folder")
    log_path = Path(log_path) if log_path is not None else out_dir / LOG_NAME
    if log_path.is_dir():
        raise IsADirectoryError(f"reproduce: the log file {str(log_path)!r} (--log) is a folder; "
                                f"give a file name, e.g. {str(log_path / LOG_NAME)!r}.")
    ensure_writable_dir(log_path.parent, what="folder of the log file")
    # the kernels inherit the environment: library defaults then agree with the injected profile
    os.environ["LATENTDIMS_PROFILE"] = profile
    os.environ.setdefault("MPLBACKEND", "agg")
    if verbose:
        show_tensorflow_logs()

    results: list[NotebookResult] = []
    width = len(str(len(selected)))
    began = time.time()
    with RunLog(log_path) as log:
        log.line(f"reproduce: profile {profile}, seed {seed}, {len(selected)} notebook(s); "
                 f"sweeps on {where}; figures in {paths.figures_dir(profile)}; log {log_path}")
        for i, (name, path) in enumerate(selected, start=1):
            prefix = f"[{i:>{width}}/{len(selected)}] {name}"
            if fail_fast and any(r.status != "ok" for r in results):
                results.append(NotebookResult(name, status="skipped",
                                              error="skipped after a failure (--fail-fast)"))
                log.line(f"{prefix}: skipped (--fail-fast)")
                continue
            log.line(f"{prefix} starts", transient=True)
            res = run_notebook(name, path, profile=profile, seed=seed, out_dir=out_dir,
                               entries=entries, cwd=notebooks_dir,
                               on_cell=_CellProgress(log, prefix),
                               kernel_output=None if verbose else log.file)
            results.append(res)
            log.line(f"{prefix}: {res.status} in {res.minutes:.2f} min, figures "
                     f"{res.figures_written}/{res.figures_expected}, claims "
                     f"{res.claims_passed}/{res.claims_total}"
                     + (f" -- {res.error}" if res.error else ""))
        if report:
            # what the gallery's header shows (latentdims.report.write_gallery)
            write_json(paths.figures_dir(profile) / RUN_RECORD,
                       {"profile": profile, "seed": seed, "notebooks": len(selected),
                        "all_notebooks": not only and not figures,
                        "ok": sum(r.status == "ok" for r in results),
                        "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(began)),
                        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
                        "wall_minutes": round((time.time() - began) / 60, 1)})
            write_report(paths.figures_dir(profile) / "REPORT.md")
    return results


# --------------------------------------------------------------------------- command line
def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, e.g. --seed 0; got {text!r}")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0; got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m latentdims.reproduce",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run the numbered notebooks with papermill and regenerate the figures and "
                    "tables listed in\nfigures/manifest.csv.  Executed notebooks go to "
                    "build/<profile>/; the figures and REPORT.md\nto figures/ (profile quick) or "
                    "build/figures-<profile>/ (smoke, paper), or to $LATENTDIMS_FIGURES.\n"
                    "Progress (notebook, cell) is shown on the terminal and written, with the "
                    f"kernels' own output,\nto build/<profile>/{LOG_NAME}.",
        epilog="examples:\n"
               "  python -m latentdims.reproduce                          # every notebook, quick\n"
               "  python -m latentdims.reproduce --profile smoke          # seconds a notebook\n"
               "  python -m latentdims.reproduce --figure thesis/figure-6.3   # one figure's notebook\n"
               "  python -m latentdims.reproduce --figure fig6.3 --figure tab8.1\n"
               "  python -m latentdims.reproduce --only '0*' --only '*bananas*'\n"
               "  python -m latentdims.reproduce --list --figure fig6.3   # which notebook, no run\n"
               "  python -m latentdims.reproduce --verbose --only '20*'   # kernels' output, TF logs\n"
               "  python -m latentdims.reproduce --scheduler tcp://head:8786  # sweeps on a Dask cluster\n"
               "\nexit status: 0 all ok; 1 a notebook failed, is missing or did not write its "
               "figures; 2 bad arguments.\n"
               "environment: LATENTDIMS_PROFILE (default profile), LATENTDIMS_FIGURES, "
               "LATENTDIMS_BUILD, LATENTDIMS_NOTEBOOKS,\n"
               "  LATENTDIMS_SCHEDULER (as --scheduler),\n"
               "  LATENTDIMS_TF_LOGS=1 (keep TensorFlow's C++ logs); see lib/latentdims/core/paths.py.")
    p.add_argument("--profile", default=None,
                   help=f"one of {', '.join(PROFILES)} (default: $LATENTDIMS_PROFILE or 'quick')")
    p.add_argument("--seed", type=_seed, default=0,
                   help="the seed injected into every notebook, >= 0 (default 0)")
    p.add_argument("--only", action="append", metavar="GLOB",
                   help="run only notebooks whose file name matches GLOB (repeatable), e.g. '2*'")
    p.add_argument("--figure", action="append", metavar="ID",
                   help="run only the notebook(s) that make manifest figure ID (repeatable): "
                        "'thesis/figure-6.3', or 'fig6.3' / 'tab8.1' if the id is unambiguous")
    p.add_argument("--fail-fast", action="store_true", help="stop at the first failing notebook")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="where the notebooks' sweeps train: 'local' (a Dask LocalCluster on this "
                        "machine, the default), 'inline' (in each kernel, one after another) or a "
                        "Dask scheduler address such as tcp://host:8786 (default: "
                        f"${SCHEDULER_ENV} or 'local')")
    p.add_argument("--notebooks-dir", type=Path, default=None,
                   help="folder of the numbered notebooks (default: notebooks/, or "
                        "$LATENTDIMS_NOTEBOOKS)")
    p.add_argument("--build-dir", type=Path, default=None,
                   help="where executed notebooks go (default: build/, or $LATENTDIMS_BUILD)")
    p.add_argument("--log", type=Path, default=None, metavar="FILE",
                   help=f"the log file (default: build/<profile>/{LOG_NAME}, under --build-dir)")
    p.add_argument("--verbose", action="store_true",
                   help="show the kernels' own output and TensorFlow's C++ logs on the terminal "
                        "(by default they go to the log only)")
    p.add_argument("--list", action="store_true",
                   help="list the selected notebooks and the figures each promises, then exit")
    p.add_argument("--report-only", action="store_true", help="rewrite REPORT.md and exit")
    return p


def _run(args: argparse.Namespace) -> int:
    profile = (check_profile(args.profile, func="reproduce") if args.profile is not None
               else default_profile())
    if args.report_only:
        os.environ["LATENTDIMS_PROFILE"] = profile
        figures = ensure_writable_dir(paths.figures_dir(profile), what="figures folder")
        print(f"wrote {write_report(figures / 'REPORT.md')}")
        return 0
    if args.list:
        entries = manifest.load_manifest()
        notebooks_dir = _check_notebooks_dir(args.notebooks_dir or paths.notebooks_dir())
        for name, path in select_notebooks(notebooks_dir, args.only, entries, args.figure):
            keys = [e.key for e in entries if e.notebook == name]
            flag = "" if path.is_file() else "  [missing]"
            print(f"{name}{flag}: {', '.join(keys) or '(no manifest figures)'}")
        return 0
    results = run_all(profile=profile, seed=args.seed, only=args.only, figures=args.figure,
                      fail_fast=args.fail_fast, notebooks_dir=args.notebooks_dir,
                      build_dir=args.build_dir, log_path=args.log, verbose=args.verbose,
                      scheduler=args.scheduler)
    print()
    print(format_table(results))
    build = (args.build_dir or paths.build_dir()) / profile
    print(f"\nreport: {paths.figures_dir(profile) / 'REPORT.md'}\n"
          f"log: {args.log or build / LOG_NAME}")
    return 0 if all(r.status == "ok" for r in results) else 1


def main(argv: list[str] | None = None) -> int:
    """The command line (see ``--help``); bad arguments print one message and return 2."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except (ValueError, OSError) as exc:          # bad input: a message, no traceback
        message = str(exc)
        print(message if message.startswith("reproduce:") else f"reproduce: {message}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nreproduce: interrupted; the notebooks run so far are in build/<profile>/ and "
              "their figures are kept.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
