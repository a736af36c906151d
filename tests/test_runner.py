"""The papermill runner: failures reported with their cell, manifest mismatches caught, bad input."""
import ast
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from latentdims import reproduce

MANIFEST = """document,id,kind,notebook,description
companion,good-figure,figure,01_good.ipynb,a figure that is written
companion,promised-figure,figure,02_forgets.ipynb,a figure its notebook forgets to write
companion,broken-figure,figure,03_broken.ipynb,a figure of a notebook that raises
companion,ghost-figure,figure,04_ghost.ipynb,a figure of a notebook that does not exist
"""

PARAMS = 'import os\nprofile = os.environ.get("LATENTDIMS_PROFILE", "quick")\nseed = 0'
WRITES = """
import matplotlib; matplotlib.use("agg")
import matplotlib.pyplot as plt
from latentdims.notebook import start_notebook
run = start_notebook("{name}", profile=profile, seed=seed)
fig, ax = plt.subplots(); ax.plot([0, 1], [0, profile == "smoke"])
{save}
run.record_claim("c1", figure="companion/{fig}", source="test", value=1, expectation="1 == 1", passed=True,
                 kind="sanity", data="toy:a test")
"""


def _notebook(path: Path, code: str) -> None:
    params = nbformat.v4.new_code_cell(PARAMS)
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture
def project(tmp_path, monkeypatch):
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(MANIFEST)
    monkeypatch.setenv("LATENTDIMS_MANIFEST", str(manifest))
    monkeypatch.setenv("LATENTDIMS_NOTEBOOKS", str(nbdir))
    monkeypatch.setenv("LATENTDIMS_PROFILE", "smoke")     # restored after run_all sets it
    _notebook(nbdir / "01_good.ipynb", WRITES.format(
        name="01_good.ipynb", fig="good-figure", save='run.save_figure(fig, "companion", "good-figure")'))
    _notebook(nbdir / "02_forgets.ipynb", WRITES.format(
        name="02_forgets.ipynb", fig="promised-figure", save="pass"))
    _notebook(nbdir / "03_broken.ipynb", 'x = 1\nraise ValueError("deliberate failure " + profile)')
    return tmp_path


def test_failures_are_reported_and_the_others_still_run(project):
    results = {r.notebook: r for r in reproduce.run_all(profile="smoke")}
    assert results["01_good.ipynb"].status == "ok"
    assert results["01_good.ipynb"].figures_written == 1
    assert results["01_good.ipynb"].claims_passed == results["01_good.ipynb"].claims_total == 1
    # a manifest mismatch: the notebook ran but did not write what the manifest promises
    assert results["02_forgets.ipynb"].status == "incomplete"
    assert "companion/promised-figure" in results["02_forgets.ipynb"].error
    # the failing notebook is reported with its error cell and the injected profile
    broken = results["03_broken.ipynb"]
    assert broken.status == "failed"
    assert "ValueError" in broken.error and "deliberate failure smoke" in broken.error
    assert "cell" in broken.error
    # a notebook promised by the manifest but absent
    assert results["04_ghost.ipynb"].status == "missing"
    # executed copies are kept; the report shows present and missing figures
    assert (project / "build" / "smoke" / "01_good.ipynb").is_file()
    report = (project / "figures" / "REPORT.md").read_text()
    assert "companion/good-figure" in report and "**missing**" in report
    record = json.loads((project / "figures" / "companion" / "good-figure.json").read_text())
    assert record["profile"] == "smoke" and record["notebook"] == "01_good.ipynb"


def test_fail_fast_skips_the_rest(project):
    results = reproduce.run_all(profile="smoke", only=["02*", "03*", "04*"], fail_fast=True)
    assert [r.status for r in results] == ["incomplete", "skipped", "skipped"]


def test_cli_exit_status_and_messages(project):
    env_cmd = [sys.executable, "-m", "latentdims.reproduce"]
    ok = subprocess.run(env_cmd + ["--profile", "smoke", "--only", "01*"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "01_good.ipynb" in ok.stdout and "1/1" in ok.stdout
    bad = subprocess.run(env_cmd + ["--profile", "smoke", "--only", "03*"], capture_output=True, text=True)
    assert bad.returncode == 1 and "failed" in bad.stdout
    unknown = subprocess.run(env_cmd + ["--profile", "fast"], capture_output=True, text=True)
    assert unknown.returncode == 2 and "unknown profile 'fast'" in unknown.stderr
    nomatch = subprocess.run(env_cmd + ["--only", "99*"], capture_output=True, text=True)
    assert nomatch.returncode != 0 and "no notebook matches" in nomatch.stderr


def test_unwritable_build_folder(project, tmp_path):
    # a file where the folder should be: unwritable even for root (chmod does not stop root)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(PermissionError, match="build folder .* is not writable"):
        reproduce.run_all(profile="smoke", only=["01*"], build_dir=blocker / "sub")
    out = subprocess.run([sys.executable, "-m", "latentdims.reproduce", "--profile", "smoke",
                          "--build-dir", str(blocker / "sub")], capture_output=True, text=True)
    assert out.returncode == 2 and "not writable" in out.stderr


# --------------------------------------------------------------------------- progress and the log
NOISY = 'import os\nos.write(2, b"KERNEL-FD-NOISE\\n")\nprint("cell output")'


def test_cell_progress_on_the_terminal_and_kernel_output_in_the_log(project):
    _notebook(project / "notebooks" / "05_noisy.ipynb", NOISY)
    cmd = [sys.executable, "-m", "latentdims.reproduce", "--profile", "smoke", "--only", "05*"]
    quiet = subprocess.run(cmd, capture_output=True, text=True)
    assert quiet.returncode == 0, quiet.stderr
    # one line per code cell (parameters, papermill's injected parameters, the cell)
    assert re.search(r"\[1/1\] 05_noisy\.ipynb cell 3/3 \(\d+:\d\d\) import os", quiet.stderr)
    assert "[1/1] 05_noisy.ipynb: ok" in quiet.stderr
    log = project / "build" / "smoke" / "reproduce.log"
    assert f"log: {log}" in quiet.stdout
    text = log.read_text()
    assert "05_noisy.ipynb cell 3/3 done in" in text and "05_noisy.ipynb: ok" in text
    # what the kernel process itself prints (TensorFlow's C++ logs go this way) is in the log only
    assert "KERNEL-FD-NOISE" in text and "KERNEL-FD-NOISE" not in quiet.stderr + quiet.stdout
    loud = subprocess.run(cmd + ["--verbose"], capture_output=True, text=True)
    assert loud.returncode == 0 and "KERNEL-FD-NOISE" in loud.stderr


def test_help_names_every_option_and_the_log():
    text = reproduce.build_parser().format_help()
    for option in ("--profile", "--seed", "--only", "--figure", "--fail-fast", "--notebooks-dir",
                   "--build-dir", "--log", "--verbose", "--list", "--report-only"):
        assert option in text
    assert "reproduce.log" in text and "examples:" in text and "LATENTDIMS_TF_LOGS" in text


def test_notebooks_leave_progress_bars_on():
    root = Path(__file__).resolve().parents[1]
    off = [nb.name for nb in sorted((root / "notebooks").glob("[0-9]*.ipynb"))
           for c in nbformat.read(nb, as_version=4).cells
           if c.cell_type == "code" and re.search(r"progress\s*=\s*False", c.source)]
    assert not off, f"notebooks turning progress bars off: {sorted(set(off))}"


# --------------------------------------------------------------------------- TensorFlow's C++ logs
TF_STARTUP = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1796253177.010400    9335 port.cc:153] oneDNN custom operations are on.\n"
    "I0000 00:00:1796253177.010722    9335 cudart_stub.cc:31] Could not find cuda drivers on your "
    "machine, GPU will not be used.\n"
    "I0000 00:00:1796253177.058234    9335 cpu_feature_guard.cc:227] This TensorFlow binary is "
    "optimized to use available CPU instructions in performance-critical operations.\n"
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow.\n"
    "2025-09-17 14:44:05.176998: E external/local_xla/xla/stream_executor/cuda/cuda_fft.cc:467] "
    "Unable to register cuFFT factory\n"
    "/x/y.py:3: UserWarning: a Python warning of our own\n"
)


def test_tensorflow_startup_filter_keeps_what_the_level_allows():
    from latentdims import filter_tensorflow_startup

    assert filter_tensorflow_startup(TF_STARTUP, 3).splitlines() == [
        "/x/y.py:3: UserWarning: a Python warning of our own"]
    at_2 = filter_tensorflow_startup(TF_STARTUP, 2)
    assert "cuFFT" in at_2 and "oneDNN" not in at_2 and "absl" not in at_2
    at_1 = filter_tensorflow_startup(TF_STARTUP, 1)
    assert "absl::InitializeLog" in at_1 and "oneDNN" not in at_1 and "AVX2" not in at_1
    assert filter_tensorflow_startup(TF_STARTUP, 0) == TF_STARTUP


def _python(code: str, **env: str):
    base = {k: v for k, v in os.environ.items()
            if k not in ("TF_CPP_MIN_LOG_LEVEL", "LATENTDIMS_TF_LOGS")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**base, **env})


def test_importing_latentdims_quiets_tensorflow_unless_asked():
    code = ("import os, latentdims, tensorflow as tf; print(os.environ.get('TF_CPP_MIN_LOG_LEVEL'));"
            "print(float(tf.constant(1.0) + 1))")
    def c_logs(stderr: str) -> list[str]:
        return [ln for ln in stderr.splitlines()
                if re.match(r"[IWE]\d{4} |\d{4}-\d\d-\d\d .*: [IWE] |WARNING: All log", ln)]

    quiet = _python(code)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.split() == ["3", "2.0"]
    assert not c_logs(quiet.stderr), quiet.stderr
    loud = _python(code, LATENTDIMS_TF_LOGS="1")
    assert loud.returncode == 0 and loud.stdout.split()[0] == "None"
    if sys.platform == "linux" and platform.machine() == "x86_64":
        # TensorFlow's x86 wheels log at start-up (which lines depends on the CPU and on CUDA:
        # oneDNN's notice, the CPU-feature guard, the missing CUDA driver)
        assert c_logs(loud.stderr), loud.stderr
    own = _python("import os, latentdims; print(os.environ['TF_CPP_MIN_LOG_LEVEL'])",
                  TF_CPP_MIN_LOG_LEVEL="1")
    assert own.stdout.strip() == "1"            # the user's own value wins


def test_verbose_undoes_only_our_own_setting():
    code = ("import os, latentdims; latentdims.show_tensorflow_logs();"
            "print(os.environ.get('TF_CPP_MIN_LOG_LEVEL'), os.environ['LATENTDIMS_TF_LOGS'])")
    assert _python(code).stdout.split() == ["None", "1"]
    assert _python(code, TF_CPP_MIN_LOG_LEVEL="2").stdout.split() == ["2", "1"]


# --------------------------------------------------------------------------- one figure by its id
def test_figure_ids_select_their_notebooks():
    from latentdims.core import manifest

    entries = manifest.load_manifest()            # the real manifest
    pick = reproduce.notebooks_for_figures
    assert pick(["thesis/figure-6.3"], entries) == ["31_thesis_ch6_variable_types.ipynb"]
    assert pick(["fig6.3"], entries) == pick(["Fig. 6.3"], entries) == pick(["figure-6.3"], entries)
    assert pick(["tab8.1", "thesis/table-A.1"], entries) == ["30_thesis_ch5_ivae.ipynb",
                                                             "51_thesis_ch8_fondue.ipynb"]
    # an id of two documents made by one notebook is not ambiguous
    assert pick(["figure-1"], entries) == ["21_jetvae_uncentred.ipynb"]
    with pytest.raises(ValueError, match=r"ambiguous: neurips2021/figure-4 .*iclr2022/figure-4|"
                                         r"ambiguous: iclr2022/figure-4 .*neurips2021/figure-4"):
        pick(["figure-4"], entries)
    with pytest.raises(ValueError, match=r"unknown figure 'fig9\.9'.*close matches: .*figure-\d\.9"):
        pick(["fig9.9"], entries)
    with pytest.raises(ValueError, match=r"unknown figure 'thesis/bananas-dims'.*talks/bananas-dims"):
        pick(["thesis/bananas-dims"], entries)


def test_figure_and_only_select_the_union(project):
    from latentdims.core import manifest

    entries = manifest.load_manifest()
    chosen = reproduce.select_notebooks(project / "notebooks", ["03*"], entries, ["good-figure"])
    assert [name for name, _ in chosen] == ["01_good.ipynb", "03_broken.ipynb"]
    listed = subprocess.run([sys.executable, "-m", "latentdims.reproduce", "--list", "--figure",
                             "companion/ghost-figure"], capture_output=True, text=True)
    assert listed.returncode == 0
    assert listed.stdout.strip() == "04_ghost.ipynb  [missing]: companion/ghost-figure"


# --------------------------------------------------------------------------- figures by profile
def test_figures_folder_follows_the_profile(tmp_path, monkeypatch):
    from latentdims.core import paths

    monkeypatch.delenv("LATENTDIMS_FIGURES")
    monkeypatch.delenv("LATENTDIMS_PROFILE", raising=False)
    build = tmp_path / "build"
    assert paths.figures_dir() == paths.figures_dir("quick") == paths.repo_root() / "figures"
    assert paths.figures_dir("smoke") == build / "figures-smoke"
    assert paths.figures_dir("paper") == build / "figures-paper"
    monkeypatch.setenv("LATENTDIMS_PROFILE", "smoke")       # a kernel started by the runner or nbval
    assert paths.figures_dir() == build / "figures-smoke"
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        paths.figures_dir("fast")
    monkeypatch.setenv("LATENTDIMS_FIGURES", str(tmp_path / "mine"))
    assert paths.figures_dir("quick") == paths.figures_dir("paper") == tmp_path / "mine"


def test_a_smoke_figure_from_lab_does_not_touch_the_quick_figures(tmp_path, monkeypatch):
    """JupyterLab: no LATENTDIMS_PROFILE, the parameters cell says smoke."""
    import matplotlib.pyplot as plt

    from latentdims.core import paths
    from latentdims.plotting.output import save_figure, save_table

    monkeypatch.delenv("LATENTDIMS_FIGURES")
    monkeypatch.delenv("LATENTDIMS_PROFILE", raising=False)
    quick = paths.repo_root() / "figures" / "talks"
    before = {p.name: p.stat().st_mtime_ns for p in quick.glob("bananas-dims.*")} if quick.is_dir() else {}
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    files = save_figure(fig, "talks", "bananas-dims", notebook="02_talks_bananas.ipynb",
                        profile="smoke", seed=0)
    plt.close(fig)
    smoke = tmp_path / "build" / "figures-smoke"
    assert files == [smoke / "talks" / "bananas-dims.png", smoke / "talks" / "bananas-dims.pdf"]
    record = json.loads((smoke / "talks" / "bananas-dims.json").read_text())
    assert record["profile"] == "smoke"
    import pandas as pd

    table = save_table(pd.DataFrame({"n": [1]}), "thesis", "table-8.1", profile="smoke")
    assert all(smoke in f.parents for f in table)
    after = {p.name: p.stat().st_mtime_ns for p in quick.glob("bananas-dims.*")} if quick.is_dir() else {}
    assert after == before


def test_claims_ledger_follows_the_profile(tmp_path, monkeypatch):
    from latentdims import notebook

    monkeypatch.delenv("LATENTDIMS_FIGURES")
    monkeypatch.delenv("LATENTDIMS_PROFILE", raising=False)
    assert notebook.claims_path("02_talks_bananas.ipynb", profile="smoke") == \
        tmp_path / "build" / "figures-smoke" / "claims" / "02_talks_bananas.json"


def test_runner_writes_other_profiles_beside_the_quick_figures(project, monkeypatch):
    monkeypatch.delenv("LATENTDIMS_FIGURES")
    results = reproduce.run_all(profile="smoke", only=["01*"])
    assert [r.status for r in results] == ["ok"] and results[0].figures_written == 1
    smoke = project / "build" / "figures-smoke"
    assert (smoke / "companion" / "good-figure.png").is_file()
    assert (smoke / "REPORT.md").is_file() and (smoke / "claims" / "01_good.json").is_file()
    assert results[0].claims_passed == 1


# --------------------------------------------------------------------------- the conda route
def _make(*args: str) -> str:
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(["make", "-n", "-C", str(root), *args], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_make_uses_the_active_interpreter_when_asked(tmp_path):
    own = _make("figures", "PY=python", "FIGURE=thesis/figure-6.3 fig8.4", "PROFILE=smoke")
    installs = [ln for ln in own.splitlines() if re.search(r"-m venv |^\S+ -m pip install", ln)]
    assert not installs, installs
    assert ("python -m latentdims.reproduce --profile smoke --seed 0 "
            "--figure 'thesis/figure-6.3' --figure 'fig8.4'") in own
    assert "python -m jupyter lab" in _make("lab", "PY=python")
    assert "python -m pytest tests" in _make("test", "PY=python")
    fresh = _make("figures", f"VENV={tmp_path}/venv", "ONLY=2* 3*", "VERBOSE=1")
    assert f"-m venv {tmp_path}/venv" in fresh and "pip install --quiet -e" in fresh
    assert (f"{tmp_path}/venv/bin/python -m latentdims.reproduce --profile quick --seed 0 "
            "--only '2*' --only '3*' --verbose") in fresh


def test_conda_environment_installs_what_make_installs():
    root = Path(__file__).resolve().parents[1]
    yml, makefile = (root / "environment.yml").read_text(), (root / "Makefile").read_text()
    assert "- -e .[jets,dev]" in yml and '-m pip install --quiet -e ".[jets,dev]"' in makefile
    assert "python=3.11" in yml and "make figures PY=python" in yml
    assert "make figures PY=python" in (root / "README.md").read_text()


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_make_help_lists_every_variable():
    root = Path(__file__).resolve().parents[1]
    text = subprocess.run(["make", "-s", "-C", str(root), "help"], capture_output=True,
                          text=True).stdout
    for word in ("PROFILE=", "FIGURE=", "ONLY=", "SEED=", "VERBOSE=", "ARGS=", "PY=python", "VENV=",
                 "PYTHON=", "environment.yml", "reproduce.log", "make lab", "make test"):
        assert word in text, word


# --------------------------------------------------------------------------- declared dependencies
def _requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0].strip().lower().replace("_", "-")
            for r in requirements}


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(t, ast.Name) and t.id in ("ImportError", "ModuleNotFoundError", "Exception")
               for t in types)


def _third_party_imports(folder: Path) -> dict[str, str]:
    """Top-level modules imported by the files of ``folder`` (not inside try/except ImportError:
    an optional import), with one file that imports each. The folder's own modules (a script
    importing a helper beside it, as benchmarks/ does) are not third-party."""
    found: dict[str, str] = {}
    local = {p.stem for p in folder.rglob("*.py")} | {p.name for p in folder.rglob("*") if p.is_dir()}
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text())
        optional = {id(n) for t in ast.walk(tree) if isinstance(t, ast.Try)
                    and any(_catches_import_error(h) for h in t.handlers)
                    for stmt in t.body for n in ast.walk(stmt)}
        for node in ast.walk(tree):
            if id(node) in optional:
                continue
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "latentdims" and top not in local:
                    found.setdefault(top, str(path))
    return found


def test_every_imported_package_is_declared():
    import tomllib
    from importlib.metadata import packages_distributions

    root = Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    runtime = _requirement_names(project["dependencies"])
    extras = {k: _requirement_names(v) for k, v in project["optional-dependencies"].items()}
    dists = packages_distributions()

    def undeclared(folder: Path, allowed: set[str]) -> list[str]:
        bad = []
        for module, where in _third_party_imports(folder).items():
            names = {d.lower().replace("_", "-") for d in dists.get(module, [module])}
            if not names & allowed:
                bad.append(f"{module} ({'/'.join(sorted(names))}, imported by {where})")
        return bad

    # the library needs its runtime dependencies, and the jets extra for real jet generation;
    # never the dev extra (tests and reference implementations)
    assert not undeclared(root / "lib" / "latentdims", runtime | extras["jets"]), \
        "declare in pyproject.toml's dependencies"
    assert not undeclared(root / "tests", runtime | extras["dev"] | extras["jets"])
    assert not undeclared(root / "benchmarks", runtime | extras["dev"])
    assert {"pot", "threadpoolctl", "ipywidgets"} <= runtime
    assert not {"pyyaml", "nbformat"} & runtime            # not imported by the library
