"""Notebook conventions (committed without outputs, a papermill parameters cell, a run started
under the notebook's own name) and the manifest's coverage of the documents' figures."""
import json
import re
from pathlib import Path

import pytest

from latentdims.core import manifest, paths

NOTEBOOKS = sorted(paths.notebooks_dir().glob("*.ipynb"))
# The documents' inventory, as the manifest was checked against the reproduction notes' list of
# every figure and table (105 rows) when it was written; the repository stands alone, so the
# manifest itself is the truth and this guards it against a dropped row.
INVENTORY = {("neurips2021", "figure"): 4, ("iclr2022", "figure"): 8, ("talks", "figure"): 15,
             ("thesis", "figure"): 58, ("thesis", "table"): 20}


def _cells(nb_path):
    return json.loads(nb_path.read_text())["cells"]


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(nb):
    dirty = [i for i, c in enumerate(_cells(nb))
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{nb.name}: cells {dirty} have outputs; clear them before committing"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_and_run(nb):
    cells = _cells(nb)
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{nb.name}: needs exactly one cell tagged 'parameters'"
    src = "".join(tagged[0]["source"])
    assert re.search(r"^profile = default_profile\(\)", src, re.M), src
    assert re.search(r"^seed = \d+", src, re.M), src
    body = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert f'start_notebook("{nb.name}"' in body, f"{nb.name}: must call start_notebook with its own name"
    assert re.match(r"\d\d_[a-z0-9_]+\.ipynb$", nb.name), f"{nb.name}: name must be NN_topic.ipynb"


def test_every_notebook_is_in_the_manifest_and_every_promised_notebook_exists():
    entries = manifest.load_manifest()
    promised = {e.notebook for e in entries}
    on_disk = {p.name for p in NOTEBOOKS}
    assert on_disk <= promised, f"notebooks without manifest rows: {sorted(on_disk - promised)}"
    assert promised <= on_disk, f"manifest rows whose notebook is missing: {sorted(promised - on_disk)}"


def test_manifest_covers_every_figure_of_the_documents():
    entries = [e for e in manifest.load_manifest() if e.document != "companion"]
    counts = {}
    for e in entries:
        counts[(e.document, e.kind)] = counts.get((e.document, e.kind), 0) + 1
    assert counts == INVENTORY
    for doc, n in (("neurips2021", 4), ("iclr2022", 8)):
        assert {e.id for e in entries if e.document == doc} == {f"figure-{i}" for i in range(1, n + 1)}


def test_missing_from_manifest_reads_a_figure_list(tmp_path):
    spec = tmp_path / "figures.csv"
    spec.write_text("document,id,kind,description\nneurips2021,figure-1,figure,a\n"
                    "thesis,figure-99.9,figure,b\n")
    assert manifest.missing_from_manifest(spec) == ["thesis/figure-99.9"]


def test_manifest_rejects_bad_rows(tmp_path):
    bad = tmp_path / "m.csv"
    bad.write_text("document,id,kind,notebook,description\nbook,x,figure,01_a.ipynb,d\n")
    with pytest.raises(ValueError, match="unknown document 'book'"):
        manifest.load_manifest(bad)
    bad.write_text("document,id,kind,notebook,description\n"
                   "talks,x,figure,01_a.ipynb,d\ntalks,x,figure,01_a.ipynb,d\n")
    with pytest.raises(ValueError, match="duplicate entry talks/x"):
        manifest.load_manifest(bad)
    with pytest.raises(FileNotFoundError, match="no manifest"):
        manifest.load_manifest(tmp_path / "absent.csv")


def test_outputs_keep_dotted_ids():
    e = manifest.Entry("thesis", "figure-5.1", "figure", "30_x.ipynb", "")
    assert [p.name for p in manifest.output_paths(e)] == ["figure-5.1.png", "figure-5.1.pdf"]
    t = manifest.Entry("thesis", "table-8.1", "table", "51_x.ipynb", "")
    assert [p.suffix for p in manifest.output_paths(t)] == [".png", ".pdf", ".csv", ".md"]


def _record_calls(nb):
    """The keyword names of every ``run.record_claim(...)`` call in a notebook's code."""
    import ast

    src = "\n".join("".join(c["source"]) for c in _cells(nb) if c["cell_type"] == "code")
    src = "\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!")))
    calls = []
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "record_claim":
            calls.append({k.arg for k in node.keywords})
    return calls


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_every_record_says_its_kind_and_data(nb):
    for keywords in _record_calls(nb):
        if None in keywords:      # **kwargs: checked at run time by record_claim
            continue
        assert {"kind", "data", "source"} <= keywords, f"{nb.name}: a record_claim lacks kind/data"


LINE_CITATION = re.compile(r"\b00[0-4]:L\d|\b(?:thesis|paper|talk)s?,? L\d{2,}")
TYPED_RESULT = re.compile(r"(?i)(observed in our|in our (quick|smoke) run|\b\d+ of \d+ claims)")


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_citations_a_reader_can_follow_and_no_typed_results(nb):
    for i, c in enumerate(_cells(nb)):
        text = "".join(c["source"])
        assert not LINE_CITATION.search(text), (
            f"{nb.name} cell {i}: cite the document by section/figure/equation, not line numbers: "
            f"{LINE_CITATION.search(text).group()!r}")
        if c["cell_type"] == "markdown":
            assert not TYPED_RESULT.search(text), (
                f"{nb.name} cell {i}: a result of our run typed in markdown "
                f"({TYPED_RESULT.search(text).group()!r}); compute it in a cell instead")


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_last_cell_concludes(nb):
    code = [c for c in _cells(nb) if c["cell_type"] == "code"]
    assert "".join(code[-1]["source"]).strip() == "run.conclude()", (
        f"{nb.name}: the last code cell should be `run.conclude()` (computed pass counts)")


def test_the_library_and_docs_cite_documents_as_their_readers_know_them():
    """No line numbers of the documents' text files, no names of private notes: the repository
    stands alone and a reader can follow every citation in the documents themselves."""
    root = paths.repo_root()
    files = [*root.glob("lib/latentdims/**/*.py"), *root.glob("tests/*.py"), root / "README.md",
             root / "ARCHITECTURE.md", root / "data" / "README.md", *root.glob("benchmarks/*")]
    private = re.compile(r"\b00[0-4]:L\d|\b(?:thesis|paper|talk)s?,? L\d{2,}|\(L\d{3,4}\b|"
                         r"\bthesis_ch[0-9_]+(?:app)?\.md|\bjets\.md\b|shared/seeds|"
                         r"\bspec (?:claim|ch)\s?\d")
    bad = []
    for f in files:
        if not f.is_file() or f.name == Path(__file__).name:
            continue
        for n, line in enumerate(f.read_text(errors="replace").splitlines(), 1):
            if private.search(line) and "record_claim" not in line and '"source":' not in line:
                bad.append(f"{f.relative_to(root)}:{n}: {private.search(line).group()}")
    assert not bad, "cite the documents by section/figure/equation:\n" + "\n".join(bad[:40])
