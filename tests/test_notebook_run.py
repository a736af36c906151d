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
    run.record_claim("c", figure="talks/bananas-dims", source="002:L1", value=np.float64(0.5),
                     expectation="< 1", passed=np.bool_(True))
    run.record_claim("c", figure="talks/bananas-dims", source="002:L1", value=2.0,
                     expectation="< 1", passed=False)   # same id: replaced
    claims = read_claims("02_talks_bananas.ipynb")
    assert len(claims) == 1 and claims[0]["value"] == 2.0 and claims[0]["passed"] is False
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
    with pytest.raises(ValueError, match="'document/id'"):
        run.record_claim("x", figure="figure-1", source="", value=1, expectation="", passed=True)
    with pytest.raises(TypeError, match="`passed` must be a bool"):
        run.record_claim("x", figure="talks/ae-1d", source="", value=1, expectation="", passed="yes")
    monkeypatch.setenv("LATENTDIMS_PROFILE", "fast")
    with pytest.raises(ValueError, match="LATENTDIMS_PROFILE"):
        profiles.default_profile()
    with pytest.raises(ValueError, match="unknown profile"):
        profiles.by_profile("x", smoke=1, quick=2, paper=3)
