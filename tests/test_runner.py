"""The papermill runner: failures reported with their cell, manifest mismatches caught, bad input."""
import json
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
run.record_claim("c1", figure="companion/{fig}", source="test", value=1, expectation="1 == 1", passed=True)
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
