"""The profiles, and the dry run (profile ``paper-dry``): the paper settings with capped counts.

For every settings function of ``latentdims.studies`` (found by looking, so a new one is covered),
the dry-run settings must equal the paper settings in every field but the count fields of
:data:`COUNT_FIELDS`, and there they must be caps (no larger, a subset); so an edit that shrinks
a paper model, a batch or the annealing schedule's phases in the dry run fails here.
"""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import latentdims.studies
from latentdims.core import paths, profiles
from latentdims.core.manifest import load_manifest
from latentdims.report import FigureStatus, build_report

REPO = Path(__file__).resolve().parents[1]

# The fields a dry run may lower: counts of steps, epochs, examples, samples, seeds, strengths,
# configurations, pairs and repeats, and the profile's own label.  Everything else (latent
# sizes, widths, layers, image sizes, batch sizes, learning rates, the schedule's range and
# phases, objectives, hyper-parameters) is a shape and must be the paper's.
COUNT_FIELDS = {
    "profile",                                                          # the label
    "n_train", "n_valid", "n_eval", "n_test", "n_points", "n_boot", "n_jets",   # examples
    "n_w", "n_other", "n_validation", "n_image_jets", "n_scale_jets", "n_convergence_pairs",
    "n_examples", "procrustes_examples", "ide_points", "layer_points",
    "steps", "steps_per_epoch", "epochs", "epochs_first", "epochs_per_beta", "classifier_steps",
    "snapshot_steps", "side_epochs", "fondue_epochs", "epoch_steps", "gbt_iterations",
    "per_decade",                         # grid points per decade of the annealing schedule
    "seeds", "other_seeds", "fc_seeds", "side_seeds", "fondue_seeds", "ib_seeds", "ide_runs",
    "values", "d_betas", "d_lambdas", "random_inits", "ns", "side_ns", "datasets",
    "init_datasets", "loss_configs", "fc_early_epochs", "max_n", "supervised_range",
    "side_searches",
}


def _settings_functions():
    """``(name, function)`` of every public function of a study module whose first parameter is
    ``profile``: the settings functions."""
    found = []
    for info in pkgutil.iter_modules(latentdims.studies.__path__):
        module = importlib.import_module(f"latentdims.studies.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            params = list(inspect.signature(fn).parameters)
            if (fn.__module__ == module.__name__ and not name.startswith("_") and params
                    and params[0] == "profile"):
                found.append((f"{info.name}.{name}", fn))
    return found


SETTINGS = _settings_functions()


def _is_cap(dry, paper) -> bool:
    """``dry`` is a count no larger than ``paper`` (None: "all"), or a tuple of fewer entries
    taken from it, or a tuple of as many entries each a cap of the paper's."""
    if dry == paper:
        return True
    if isinstance(dry, bool) or isinstance(paper, bool):
        return False
    if isinstance(dry, (int, float)):
        return paper is None or (isinstance(paper, (int, float)) and dry <= paper)
    if isinstance(dry, tuple) and isinstance(paper, tuple):
        if len(dry) < len(paper):
            return all(x in paper for x in dry)
        return len(dry) == len(paper) and all(_is_cap(a, b) for a, b in zip(dry, paper))
    return False


def _differences(dry, paper, where: str) -> tuple[list[str], list[str]]:
    """``(capped, wrong)``: the count fields lowered, and the fields that differ but may not."""
    capped, wrong = [], []
    if type(dry) is not type(paper):
        return capped, [f"{where}: {type(dry).__name__} in place of {type(paper).__name__}"]
    for f in dataclasses.fields(paper):
        a, b, at = getattr(dry, f.name), getattr(paper, f.name), f"{where}.{f.name}"
        if a == b:
            continue
        if dataclasses.is_dataclass(b):
            more, bad = _differences(a, b, at)
            capped += more
            wrong += bad
        elif f.name in COUNT_FIELDS and (f.name == "profile" or _is_cap(a, b)):
            capped.append(at)
        else:
            wrong.append(f"{at}: {a!r} in place of the paper's {b!r}")
    return capped, wrong


def test_the_settings_functions_are_found():
    names = {name for name, _ in SETTINGS}
    assert {"toys.settings", "jet_samples.settings", "jet_vae.settings", "thesis_runs.settings",
            "thesis_ch5_6.settings", "thesis_ch7.settings", "thesis_ch8.settings"} <= names


@pytest.mark.parametrize("name,fn", SETTINGS, ids=[n for n, _ in SETTINGS])
def test_the_dry_run_is_the_paper_with_capped_counts(name, fn):
    paper, dry = fn("paper"), fn(profiles.DRY_RUN_PROFILE)
    capped, wrong = _differences(dry, paper, name)
    assert not wrong, ("the dry run may only lower counts (COUNT_FIELDS); these differ from the "
                       "paper settings:\n" + "\n".join(wrong))
    assert [c for c in capped if not c.endswith(".profile")], \
        f"{name}: the dry run caps nothing, so it costs what the paper profile costs"


def test_the_dry_run_keeps_the_papers_models():
    from latentdims.studies import jet_vae, thesis_ch8, thesis_runs

    for run in ("uncent", "cent", "top", "mix"):
        anneal = getattr(jet_vae.settings("paper-dry"), run).anneal
        assert anneal.model.latent_dim == 256 and max(anneal.model.decoder_widths) == 1024
        assert anneal.train.batch_size == 100 and anneal.train.learning_rate == 3e-5
        phases = {phase for phase, _, _ in anneal.schedule.steps()}
        assert phases == {"priming", "zigzag", "production"}
        assert (anneal.schedule.beta_min, anneal.schedule.beta_max) == (1e-5, 1.0)
    thesis = thesis_runs.settings("paper-dry")
    assert (thesis.batch_size, thesis.learning_rate, thesis.grid) == (64, 1e-4, "all")
    assert max(thesis_ch8.settings("paper-dry").ns) == 42


def test_capped_refuses_anything_but_a_lower_count():
    @dataclasses.dataclass(frozen=True)
    class S:
        width: int
        steps: int
        seeds: tuple
        deterministic: bool = False

    s = S(width=1024, steps=300_000, seeds=(0, 1, 2))
    assert profiles.capped(s, steps=4, seeds=(0,)) == S(1024, 4, (0,))
    with pytest.raises(ValueError, match=r"S.steps = 400000 .* never raises"):
        profiles.capped(s, steps=400_000)
    with pytest.raises(ValueError, match="more entries"):
        profiles.capped(s, seeds=(0, 1, 2, 3))
    with pytest.raises(ValueError, match="is a flag"):
        profiles.capped(s, deterministic=True)
    with pytest.raises(ValueError, match="has no field stepz"):
        profiles.capped(s, stepz=4)
    with pytest.raises(TypeError, match="settings dataclass instance"):
        profiles.capped({"steps": 1}, steps=1)


def test_by_profile_needs_the_dry_run_setting():
    assert profiles.check_profile("paper-dry") == "paper-dry"
    assert profiles.by_profile("paper-dry", smoke=1, quick=2, paper=3, dry=4) == 4
    assert profiles.by_profile("paper", smoke=1, quick=2, paper=3, dry=4) == 3
    with pytest.raises(TypeError, match="`dry` is required"):
        profiles.by_profile("quick", smoke=1, quick=2, paper=3)
    assert profiles.is_dry_run("paper-dry") and not profiles.is_dry_run("paper")


def test_dry_run_figures_go_to_their_own_folder(monkeypatch):
    monkeypatch.delenv("LATENTDIMS_FIGURES", raising=False)
    assert paths.figures_dir("paper-dry") == paths.build_dir() / "figures-paper-dry"


def test_the_report_labels_a_dry_run_and_counts_none_of_it():
    entries = [e for e in load_manifest() if e.document == "thesis"][:2]
    claim = {"id": "x", "source": "thesis, Sec. 7.4", "value": 1, "expectation": "", "passed": True,
             "kind": "document", "data": "dsprites (stand-in)", "stand_in": True}
    statuses = [FigureStatus(e, True, (), {"profile": "paper-dry", "seed": 0},
                             ({**claim, "figure": e.key},)) for e in entries]
    text = build_report(statuses)
    assert f"| paper-dry ({profiles.DRY_RUN_LABEL}) | not counted |" in text
    assert f"`paper-dry` (**{profiles.DRY_RUN_LABEL}**)" in text
    assert "| thesis | 2 | 2 | 0/0 (0/0 / 0/0) |" in text      # its claims enter no fidelity count


def test_make_maps_dry_run_to_the_paper_dry_profile():
    def dry(*args):
        return subprocess.run(["make", "-n", *args], cwd=REPO, capture_output=True, text=True)

    out = dry("figures", "PROFILE=paper", "DRY_RUN=1", "ONLY=20*", "PY=python")
    assert out.returncode == 0 and "--profile paper-dry" in out.stdout, out.stderr
    assert "--profile paper-dry" in dry("figures", "PROFILE=paper-dry", "PY=python").stdout
    wrong = dry("figures", "PROFILE=quick", "DRY_RUN=1", "PY=python")
    assert wrong.returncode != 0 and "DRY_RUN=1 goes with PROFILE=paper" in wrong.stderr
    assert "DRY_RUN=1" in dry("test", "PY=python").stdout        # CI runs the dry run


def test_the_cost_table_counts_the_paper_profile(tmp_path):
    out = tmp_path / "cost.md"
    run = subprocess.run([sys.executable, str(REPO / "benchmarks" / "paper_cost.py"),
                          "--counts-only", "--markdown", str(out)],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    table = out.read_text()
    # the jet schedule: 72 beta steps x 50 epochs x 1000 batches, four days a run (App. A.1)
    assert "| 20-24 | annealing runs uncent, cent, top" in table and "| 3 | 3,600,000 |" in table
    assert "| 288 | NeurIPS ML4PS 2021 paper, App. A.1" in table
    assert "| 30 | iVAEs" in table and "| 2 | 300,000 |" in table
    assert "**total**" in table and "--counts-only" in table
