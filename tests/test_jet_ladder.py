"""The compute-to-claims ladder (benchmarks/jet_claims_ladder.py, issue 14): its rungs are valid
settings of the jet notebooks, a rung reaches a notebook as its ``ladder`` parameter, and the
table counts what the notebooks recorded."""
import importlib.util
import json
from pathlib import Path

import nbformat
import pytest

from latentdims.studies import jet_vae

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("jet_claims_ladder",
                                               ROOT / "benchmarks" / "jet_claims_ladder.py")
ladder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ladder)


@pytest.mark.parametrize("name", list(ladder.RUNGS))
def test_every_default_rung_is_a_valid_change_of_quick(name):
    changes = ladder.RUNGS[name]
    cfg, base = jet_vae.settings("quick", ladder=changes), jet_vae.settings("quick")
    for run in ("uncent", "cent", "top", "mix"):
        a, b = getattr(cfg, run).anneal, getattr(base, run).anneal
        assert (a == b) == (not changes), f"{name}: {run} did not change as asked"
        if "latent_dim" in changes:
            assert a.model.latent_dim == changes["latent_dim"]
        if "epochs_scale" in changes:
            assert a.epochs == tuple(max(1, round(e * changes["epochs_scale"])) for e in b.epochs)
        assert a.schedule.beta_min == b.schedule.beta_min        # the range stays
    if "jets_scale" in changes:
        assert cfg.samples.n_w == round(base.samples.n_w * changes["jets_scale"])
        assert cfg.samples.profile != base.samples.profile        # a file of its own


def test_the_ladder_settings_refuse_what_they_cannot_do():
    with pytest.raises(ValueError, match="ladder has no setting 'depth'"):
        jet_vae.settings("quick", ladder={"depth": 3})
    with pytest.raises(ValueError, match=r"ladder\['learning_rate'\] must be a positive number"):
        jet_vae.settings("quick", ladder={"learning_rate": -1.0})
    with pytest.raises(TypeError, match="`ladder` must be a dict"):
        jet_vae.settings("quick", ladder=[("latent_dim", 64)])
    with pytest.raises(SystemExit, match="no rung 'nope'"):
        ladder.parse_rungs(["nope"], None)
    with pytest.raises(SystemExit, match="is not JSON"):
        ladder.parse_rungs(None, ["{x"])
    with pytest.raises(SystemExit, match="rung 'bad'.*positive integer"):
        ladder.parse_rungs(None, ['{"bad": {"width": 0}}'])
    assert ladder.parse_rungs(None, ['{"mine": {"width": 64}}']) == {"mine": {"width": 64}}


def _probe_notebook(folder: Path) -> Path:
    """A real notebook with the jet notebooks' parameters: it records whether the rung it was
    given is the one asked for (under the name of a manifest notebook, 02, for its claims file)."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "smoke"\nseed = 0\nladder = None')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        "from latentdims.notebook import start_notebook\n"
        "run = start_notebook('02_talks_bananas.ipynb', profile=profile, seed=seed)\n"
        "common = dict(figure='talks/bananas-dims', source='talk, slide 3', value=ladder,\n"
        "              expectation='the rung arrives', data='toy:bananas')\n"
        "run.record_claim('rung-arrived', **common, kind='document',\n"
        "                 passed=ladder == {'latent_dim': 8})\n"
        "run.record_claim('never', **common, kind='sanity', passed=False)\n")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "02_talks_bananas.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_rung_reaches_the_notebook_and_its_claims_are_tabulated(tmp_path, monkeypatch):
    monkeypatch.delenv("LATENTDIMS_FIGURES", raising=False)
    nb = _probe_notebook(tmp_path)
    # a relative --out is this process's, not the kernel's (which runs in the notebook's folder)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    rows = [ladder.run_rung(name, changes, [nb], profile="smoke", seed=0, out=Path("out"),
                            prepare=False)
            for name, changes in (("eight", {"latent_dim": 8}), ("as-is", {}))]
    # it ran to the end; "incomplete" because the probe draws none of 02's promised figures
    assert [r["notebooks"][nb.name]["status"] for r in rows] == ["incomplete"] * 2
    assert rows[0]["cpu_minutes"] > 0          # the kernel's CPU time is counted
    got = {(r["rung"], c["id"]): c["passed"] for r in rows for c in r["claims"]}
    assert got == {("eight", "rung-arrived"): True, ("eight", "never"): False,
                   ("as-is", "rung-arrived"): False, ("as-is", "never"): False}
    assert (elsewhere / "out" / "eight" / "figures" / "claims" / "02_talks_bananas.json").is_file()
    table = ladder.markdown_table(rows, profile="smoke")
    assert "| document claims held | 1/1 | 0/1 |" in table
    assert "| sanity checks held | 0/1 | 0/1 |" in table
    assert "| `rung-arrived` (02, document) | yes | no |" in table
    assert "| changes | latent_dim=8 | smoke as it is |" in table
    ladder.plot(rows, tmp_path / "ladder.png", profile="smoke")
    assert (tmp_path / "ladder.png").stat().st_size > 1000
    assert rows[0]["commit"] and rows[0]["cpus"] >= 1 and rows[0]["date"].endswith("UTC")
    assert f"| run | {rows[0]['commit']}, {rows[0]['date']}, {rows[0]['cpus']} cores |" in table
    # a ladder run in pieces: --tabulate merges the pieces' ladder.json into one table
    settings = {"profile": "smoke", "seed": 0, "notebooks": [nb.name]}
    for i, row in enumerate(rows):
        (tmp_path / f"piece{i}.json").write_text(json.dumps({**settings, "rungs": [row]}))
    assert ladder.main(["--tabulate", str(tmp_path / "piece0.json"), str(tmp_path / "piece1.json"),
                        "--out", str(tmp_path / "merged")]) == 0
    merged = json.loads((tmp_path / "merged" / "ladder.json").read_text())
    assert [r["rung"] for r in merged["rungs"]] == ["eight", "as-is"] and merged["profile"] == "smoke"
    assert (tmp_path / "merged" / "ladder.md").read_text() == table
    # another seed's run of a rung gets a column of its own and the spread over the seeds
    # (the probe's notebook drew no figure, so "incomplete": here a rung's notebooks that finished)
    done = {**rows[1], "notebooks": {nb.name: {"status": "ok", "error": None}}}
    seed1 = {**done, "seed": 1, "claims": [{**c, "passed": not c["passed"]} for c in done["claims"]]}
    for name, seed, row in (("seed0", 0, done), ("seed1", 1, seed1)):
        (tmp_path / f"{name}.json").write_text(json.dumps({**settings, "seed": seed, "rungs": [row]}))
    assert ladder.main(["--tabulate", str(tmp_path / "piece0.json"), str(tmp_path / "seed0.json"),
                        str(tmp_path / "seed1.json"), "--out", str(tmp_path / "seeds")]) == 0
    both = json.loads((tmp_path / "seeds" / "ladder.json").read_text())
    assert both["seeds"] == [0, 1] and [(r["rung"], r["seed"]) for r in both["rungs"]] == [
        ("eight", 0), ("as-is", 0), ("as-is", 1)]
    text = (tmp_path / "seeds" / "ladder.md").read_text()
    assert "| as-is (seed 0) | as-is (seed 1) |" in text
    n = ladder._held(rows[1])[1]
    h0 = ladder._held(rows[1])[0]
    assert f"- as-is: seeds 0, 1 hold {h0}, {n - h0} of {n} document claims; 0 held at every seed" in text
    # the merged file merges again (its rows carry their seeds)
    assert ladder.main(["--tabulate", str(tmp_path / "seeds" / "ladder.json"),
                        "--out", str(tmp_path / "again")]) == 0
    assert (tmp_path / "again" / "ladder.md").read_text() == text
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**settings, "profile": "quick", "rungs": []}))
    with pytest.raises(SystemExit, match="merge only runs of the same profile and notebooks"):
        ladder.main(["--tabulate", str(tmp_path / "piece0.json"), str(other)])
    with pytest.raises(SystemExit, match="no such file"):
        ladder.main(["--tabulate", str(tmp_path / "missing.json")])
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(SystemExit, match="is not JSON"):
        ladder.main(["--tabulate", str(tmp_path / "bad.json")])


def test_the_table_says_which_notebooks_did_not_finish():
    ok = {"status": "ok", "error": None}
    nan = {"status": "failed", "error": "cell 5: FloatingPointError: train: non-finite loss (nan) at step 0"}
    rows = [{"rung": r, "changes": {}, "cpu_minutes": 1.0, "claims": [], "notebooks": nbs}
            for r, nbs in (("fine", {"20_a.ipynb": ok}),
                           ("diverged", {"20_a.ipynb": nan, "21_b.ipynb": ok,
                                         "23_c.ipynb": {"status": "failed", "error": "x: KeyError: 'z'"}}))]
    row = ladder.markdown_table(rows, profile="quick").splitlines()[4]
    assert row == ("| notebooks | all ok | 20, 23 did not finish (KeyError; non-finite loss): "
                   "their claims are blank |")
