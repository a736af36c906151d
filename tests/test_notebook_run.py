"""The notebook run object: figures and tables where the manifest says, claims in a ledger."""
import json

import numpy as np
import pandas as pd
import pytest

from latentdims.core import paths, profiles
from latentdims.notebook import read_claims, start_notebook


def test_save_and_claims():
    import matplotlib.pyplot as plt

    run = start_notebook("02_talks_bananas.ipynb", profile="smoke", seed=3)
    fig, ax = plt.subplots()
    files = run.save_figure(fig, "talks", "bananas-dims")
    assert [f.name for f in files] == ["bananas-dims.png", "bananas-dims.pdf"]
    assert all(f.stat().st_size > 0 for f in files)
    run.record_claim("c", figure="talks/bananas-dims", source="talk, slide 1", value=np.float64(0.5),
                     expectation="< 1", passed=np.bool_(True), kind="document", data="analytic")
    run.record_claim("c", figure="talks/bananas-dims", source="talk, slide 1", value=2.0,
                     expectation="< 1", passed=False, kind="sanity", data="toy:bananas",
                     substitution="a smaller network")   # same id: replaced
    claims = read_claims("02_talks_bananas.ipynb")
    assert len(claims) == 1 and claims[0]["value"] == 2.0 and claims[0]["passed"] is False
    assert claims[0]["kind"] == "sanity" and claims[0]["data"] == "bananas"
    assert claims[0]["stand_in"] is False and claims[0]["substitution"] == "a smaller network"
    record = json.loads((paths.figures_dir() / "talks" / "bananas-dims.json").read_text())
    assert record["seed"] == 3 and record["profile"] == "smoke"
    # a new run clears the ledger
    start_notebook("02_talks_bananas.ipynb", profile="smoke")
    assert read_claims("02_talks_bananas.ipynb") == []


def test_tables():
    run = start_notebook("51_thesis_ch8_fondue.ipynb", profile="smoke")
    files = run.save_table(pd.DataFrame({"n": [1, 2]}), "thesis", "table-8.1", caption="test")
    assert {f.suffix for f in files} == {".csv", ".md", ".png", ".pdf"}
    assert "| n |" in (paths.figures_dir() / "thesis" / "table-8.1.md").read_text().replace("|   n |", "| n |")


def test_bad_input_messages(monkeypatch):
    import matplotlib.pyplot as plt

    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        start_notebook("00_toys_linear_vae.ipynb", profile="fast")
    with pytest.raises(ValueError, match="file name"):
        start_notebook("00_toys_linear_vae", profile="smoke")
    run = start_notebook("00_toys_linear_vae.ipynb", profile="smoke")
    with pytest.raises(ValueError, match="not in the figure manifest"):
        run.save_figure(plt.figure(), "talks", "no-such-figure")
    ok = dict(figure="talks/ae-1d", source="talk, slide 2", value=1, expectation="", passed=True,
              kind="document", data="analytic")
    with pytest.raises(ValueError, match="'document/id'"):
        run.record_claim("x", **{**ok, "figure": "figure-1"})
    with pytest.raises(TypeError, match="`passed` must be a bool"):
        run.record_claim("x", **{**ok, "passed": "yes"})
    with pytest.raises(ValueError, match="`kind` must be one of"):
        run.record_claim("x", **{**ok, "kind": "claim"})
    with pytest.raises(ValueError, match="not by line numbers"):
        run.record_claim("x", **{**ok, "source": "002:L71"})
    with pytest.raises(ValueError, match="not by line numbers"):
        run.record_claim("x", **{**ok, "source": "thesis L796"})
    with pytest.raises(ValueError, match="unknown `data`"):
        run.record_claim("x", **{**ok, "data": "mnist"})
    with pytest.raises(TypeError, match="`data` must name"):
        run.record_claim("x", **{**ok, "data": None})
    with pytest.raises(ValueError, match="`substitution` must say"):
        run.record_claim("x", **{**ok, "substitution": "  "})
    with pytest.raises(TypeError, match="kind"):
        run.record_claim("x", figure="talks/ae-1d", source="talk", value=1, expectation="",
                         passed=True, data="analytic")       # kind is required
    monkeypatch.setenv("LATENTDIMS_PROFILE", "fast")
    with pytest.raises(ValueError, match="LATENTDIMS_PROFILE"):
        profiles.default_profile()
    with pytest.raises(ValueError, match="unknown profile"):
        profiles.by_profile("x", smoke=1, quick=2, paper=3)


def test_stand_in_image_data_are_labelled(monkeypatch, tmp_path):
    monkeypatch.setenv("LATENTDIMS_DATA", str(tmp_path))          # no real files there
    run = start_notebook("41_thesis_ch7_conv_similarity.ipynb", profile="smoke")
    c = run.record_claim("x", figure="thesis/figure-7.2", source="thesis, Sec. 7.4, Fig. 7.2",
                         value=1, expectation="", passed=True, kind="document",
                         data=["dsprites", "smallnorb"])
    assert c.stand_in and not c.faithful and "smallnorb (stand-in)" in c.data


def test_the_fidelity_figure_counts_document_claims_only():
    from latentdims import report

    run = start_notebook("02_talks_bananas.ipynb", profile="smoke")
    common = dict(figure="talks/bananas-dims", source="talk, slide 3", value=1, expectation="")
    run.record_claim("a", **common, passed=True, kind="document", data="toy:bananas")
    run.record_claim("b", **common, passed=False, kind="document", data="toy:bananas")
    run.record_claim("c", **common, passed=True, kind="document", data="toy:bananas",
                     substitution="one seed")
    run.record_claim("d", **common, passed=True, kind="document", data="stand-in:noise")
    run.record_claim("e", **common, passed=True, kind="sanity", data="analytic")
    statuses = [s for s in report.figure_statuses() if s.entry.key == "talks/bananas-dims"]
    f = report.fidelity(statuses)
    assert (f.held, f.total) == (3, 4)
    assert (f.faithful_held, f.faithful_total) == (1, 2)
    assert (f.other_held, f.other_total) == (2, 2)
    assert (f.sanity_passed, f.sanity_total) == (1, 1)
    text = run.summary_markdown()
    assert "3 of 4 document claims held" in text and "1 of 1 sanity checks" in text
    assert "`b`" in text
    md = report.build_report(statuses)
    assert "## Fidelity" in md and "| sanity |" in md and "one seed" in md
