"""Bad command lines: the runner (``python -m latentdims.reproduce``) and the data CLI
(``python -m latentdims.data.jets``) answer each with one message naming the argument or the file
and what to do, and a non-zero exit status, never a traceback.

Most probes call ``main(argv)`` in this process (the same code as the command, faster); a few run
the real command to show what a person sees.
"""
import subprocess
import sys
from pathlib import Path

import pytest

from latentdims import reproduce
from latentdims.data import jets

MANIFEST = """document,id,kind,notebook,description
companion,good-figure,figure,01_good.ipynb,a figure
companion,other-figure,figure,02_other.ipynb,another figure
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A manifest and a notebooks folder (the notebooks are never executed here)."""
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    for name in ("01_good.ipynb", "02_other.ipynb"):
        (nbdir / name).write_text("{}")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(MANIFEST)
    monkeypatch.setenv("LATENTDIMS_MANIFEST", str(manifest))
    monkeypatch.setenv("LATENTDIMS_NOTEBOOKS", str(nbdir))
    monkeypatch.setenv("LATENTDIMS_PROFILE", "smoke")
    blocker = tmp_path / "a_file"
    blocker.write_text("a file where a folder should be (unwritable even for root)")
    return tmp_path


def _fails(capsys, main, argv, *expected, status=2):
    """``main(argv)`` exits with ``status`` and a message holding every ``expected`` text."""
    try:
        code = main(argv)
    except SystemExit as exc:            # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == status, err
    for text in expected:
        assert text in err, f"{text!r} not in {err!r}"
    assert "Traceback" not in err
    return err


# --------------------------------------------------------------------------- the runner
REPRODUCE_CASES = {
    "unknown profile": (["--profile", "fast"], ["unknown profile 'fast'", "'smoke'", "PROFILE"]),
    "empty profile": (["--profile", ""], ["--profile", "expected one of"]),
    "seed not a number": (["--seed", "abc"], ["--seed", "whole number", "'abc'"]),
    "negative seed": (["--seed", "-3"], ["--seed", "must be >= 0"]),
    "seed a fraction": (["--seed", "1.5"], ["--seed", "'1.5'"]),
    "glob matching nothing": (["--only", "99*"], ["no notebook matches --only '99*'",
                                                  "01_good.ipynb"]),
    "second glob matching nothing": (["--only", "01*", "--only", "zz*"],
                                     ["no notebook matches --only 'zz*'"]),
    "unknown figure id": (["--figure", "good-figur"], ["unknown figure 'good-figur'",
                                                       "close matches: companion/good-figure"]),
    "figure of another document": (["--figure", "thesis/good-figure"],
                                   ["unknown figure 'thesis/good-figure'", "companion/good-figure"]),
    "unknown figure id in --list": (["--list", "--figure", "fig99"], ["unknown figure 'fig99'",
                                                                      "--list"]),
    "unknown option": (["--profle", "smoke"], ["unrecognized arguments: --profle"]),
    "missing option value": (["--figure"], ["--figure", "expected one argument"]),
}


@pytest.mark.parametrize("case", sorted(REPRODUCE_CASES))
def test_reproduce_bad_arguments(case, project, capsys):
    argv, expected = REPRODUCE_CASES[case]
    _fails(capsys, reproduce.main, argv, *expected)


def test_reproduce_ambiguous_figure(tmp_path, monkeypatch, capsys):
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(MANIFEST + "talks,good-figure,figure,02_other.ipynb,same id elsewhere\n")
    monkeypatch.setenv("LATENTDIMS_MANIFEST", str(manifest))
    _fails(capsys, reproduce.main, ["--list", "--figure", "good-figure"],
           "ambiguous", "companion/good-figure (01_good.ipynb)", "talks/good-figure (02_other.ipynb)",
           "give its document")
    assert reproduce.main(["--list", "--figure", "talks/good-figure"]) == 0


def test_reproduce_bad_profile_in_the_environment(project, monkeypatch, capsys):
    monkeypatch.setenv("LATENTDIMS_PROFILE", "fast")
    _fails(capsys, reproduce.main, ["--list"], "unknown profile 'fast'", "LATENTDIMS_PROFILE")


def test_reproduce_unwritable_folders(project, monkeypatch, capsys):
    blocker = project / "a_file"
    _fails(capsys, reproduce.main, ["--build-dir", str(blocker / "sub")],
           "build folder", str(blocker / "sub" / "smoke"), "not writable", "Choose another folder")
    _fails(capsys, reproduce.main, ["--log", str(blocker / "run.log")],
           "folder of the log file", "not writable")
    _fails(capsys, reproduce.main, ["--log", str(project)], "(--log) is a folder", "give a file name")
    monkeypatch.setenv("LATENTDIMS_FIGURES", str(blocker / "figures"))
    _fails(capsys, reproduce.main, [], "figures folder", "not writable")
    _fails(capsys, reproduce.main, ["--report-only"], "figures folder", "not writable")


def test_reproduce_missing_notebooks_folder(project, capsys):
    missing = project / "no_such_folder"
    for argv in (["--notebooks-dir", str(missing)], ["--list", "--notebooks-dir", str(missing)]):
        _fails(capsys, reproduce.main, argv, "notebooks folder", str(missing), "does not exist",
               "--notebooks-dir")


def test_reproduce_missing_or_damaged_manifest(project, monkeypatch, capsys):
    monkeypatch.setenv("LATENTDIMS_MANIFEST", str(project / "gone.csv"))
    _fails(capsys, reproduce.main, ["--list"], "no manifest at", "gone.csv", "figures/manifest.csv")
    damaged = project / "damaged.csv"
    damaged.write_text("document;id\nthesis;figure-1\n")
    monkeypatch.setenv("LATENTDIMS_MANIFEST", str(damaged))
    _fails(capsys, reproduce.main, ["--figure", "fig1"], "damaged.csv", "must have the columns")


def test_reproduce_as_a_person_sees_it(project):
    """The real command: one line on stderr, exit status 2, nothing on stdout."""
    for argv, text in ((["--profile", "fast"], "unknown profile 'fast'"),
                       (["--figure", "fig99"], "unknown figure 'fig99'"),
                       (["--seed", "x"], "--seed")):
        out = subprocess.run([sys.executable, "-m", "latentdims.reproduce", *argv],
                             capture_output=True, text=True)
        assert out.returncode == 2 and text in out.stderr and "Traceback" not in out.stderr
        assert out.stdout == ""


# --------------------------------------------------------------------------- the data CLI
JETS_CASES = {
    "no command": ([], ["required: command"]),
    "unknown command": (["convert"], ["invalid choice: 'convert'"]),
    "missing options": (["generate"], ["--process", "--n", "--out"]),
    "unknown process": (["generate", "--process", "z", "--n", "5", "--out", "x.h5"],
                        ["--process", "invalid choice: 'z'"]),
    "n zero": (["generate", "--process", "w", "--n", "0", "--out", "x.h5"], ["`n` must be >= 1"]),
    "n negative": (["generate", "--process", "w", "--n", "-3", "--out", "x.h5"], ["`n`", ">= 1"]),
    "n not a number": (["generate", "--process", "w", "--n", "many", "--out", "x.h5"],
                       ["--n", "invalid int value: 'many'"]),
    "seed not a number": (["generate", "--process", "w", "--n", "5", "--seed", "s", "--out", "x.h5"],
                          ["--seed", "invalid int value"]),
    "negative seed": (["generate", "--process", "w", "--n", "5", "--seed", "-1", "--out", "x.h5"],
                      ["`seed` must be >= 0"]),
    "zero workers": (["generate", "--process", "w", "--n", "5", "--workers", "0", "--out", "x.h5"],
                     ["`workers` must be >= 1"]),
    "zero chunk size": (["generate", "--process", "w", "--n", "5", "--chunk-size", "0", "--out",
                         "x.h5"], ["`chunk_size` must be >= 1"]),
}


@pytest.mark.parametrize("case", sorted(JETS_CASES))
def test_jets_cli_bad_arguments(case, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv, expected = JETS_CASES[case]
    _fails(capsys, jets.main, argv, *expected)
    assert not (tmp_path / "x.h5").exists()


def test_jets_cli_refuses_to_overwrite(tmp_path, capsys):
    existing = tmp_path / "old.h5"
    existing.write_bytes(b"an earlier sample")
    _fails(capsys, jets.main, ["generate", "--process", "w", "--n", "5", "--out", str(existing)],
           "exists", "--overwrite")
    assert existing.read_bytes() == b"an earlier sample"


@pytest.mark.parametrize("kind", ["missing file", "not HDF5", "a folder"])
def test_jets_info_bad_files(kind, tmp_path, capsys):
    path = {"missing file": tmp_path / "missing.h5", "not HDF5": tmp_path / "bad.h5",
            "a folder": tmp_path}[kind]
    if kind == "not HDF5":
        path.write_text("not an HDF5 file")
    _fails(capsys, jets.main, ["info", str(path)], str(path))


def test_jets_generate_into_an_unwritable_folder(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    _fails(capsys, jets.main, ["generate", "--process", "w", "--n", "5", "--out",
                               str(blocker / "x.h5")], "not writable", str(blocker))

