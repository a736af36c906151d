"""The committed gallery (``gallery/REPORT.md``, a full quick run) and the function that writes it."""
import re

import matplotlib
import pytest

from latentdims import report
from latentdims.core import manifest
from latentdims.notebook import start_notebook

matplotlib.use("agg")
GALLERY = report.gallery_dir() / "REPORT.md"


def _counts(text):
    """Held/total of the fidelity row, and the outcomes of every claim row below it."""
    row = re.search(r"^\| (\w+) \| (\d+)/(\d+)[^|]*\| (\d+)/(\d+)[^|]*\| (\d+)/(\d+)[^|]*\| "
                    r"(\d+)/(\d+)", text, re.M)
    assert row, "no fidelity row"
    nums = [int(x) for x in row.groups()[1:]]
    outcomes = re.findall(r"^\| [^|]+ \| (document(?: \(stand-in/subst\.\))?|sanity) \|.*\| "
                          r"(pass|\*\*FAIL\*\*) \|$", text, re.M)
    return nums, outcomes


def _check_report(text):
    for e in manifest.load_manifest():
        assert f"### {e.key} (" in text, f"the report does not name {e.key}"
    (held, total, f_held, f_total, o_held, o_total, s_held, s_total), outcomes = _counts(text)
    doc = [o for o in outcomes if o[0] != "sanity"]
    assert total == len(doc) == f_total + o_total
    assert held == sum(o[1] == "pass" for o in doc) == f_held + o_held
    assert f_total == sum(o[0] == "document" for o in doc)
    assert s_total == sum(o[0] == "sanity" for o in outcomes)
    assert s_held == sum(o == ("sanity", "pass") for o in outcomes)


def test_committed_gallery_names_every_figure_and_adds_up():
    if not GALLERY.is_file():
        pytest.skip("no gallery committed yet: run `make figures` (quick) then `make gallery`")
    text = GALLERY.read_text()
    assert re.search(r"^- commit: `[0-9a-f]{7,}", text, re.M)
    assert re.search(r"^- profile: quick", text, re.M), "the gallery shows the quick profile"
    _check_report(text)
    size = sum(f.stat().st_size for f in report.gallery_dir().rglob("*") if f.is_file())
    assert size <= report.GALLERY_MAX_BYTES
    for png in re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", text):
        assert (report.gallery_dir() / png).is_file(), f"the gallery lacks {png}"


def test_write_gallery(tmp_path):
    import matplotlib.pyplot as plt

    run = start_notebook("02_talks_bananas.ipynb", profile="quick")
    fig, _ = plt.subplots(figsize=(20, 10), dpi=100)
    run.save_figure(fig, "talks", "bananas-dims")
    plt.close(fig)
    common = dict(figure="talks/bananas-dims", source="talk, slide 3", value=1, expectation="")
    run.record_claim("a", **common, passed=True, kind="document", data="toy:bananas")
    run.record_claim("b", **common, passed=False, kind="document", data="stand-in:noise")
    run.record_claim("c", **common, passed=True, kind="sanity", data="analytic")
    out = report.write_gallery(tmp_path / "gallery", run_info={"wall_minutes": 3.0, "seed": 0},
                               width=300)
    text = out.read_text()
    _check_report(text)
    assert "- wall time: 3 min (runner)" in text
    from PIL import Image

    with Image.open(tmp_path / "gallery" / "talks" / "bananas-dims.png") as im:
        assert im.width == 300
    with pytest.raises(ValueError, match="smaller `width`"):
        report.write_gallery(tmp_path / "g2", max_bytes=10)
    assert not (tmp_path / "g2").exists() and not (tmp_path / "g2.tmp").exists()
