"""The run cache: keyed by configuration, atomic, reused, resumable work folder."""
import os
from dataclasses import dataclass

import numpy as np
import pytest

from latentdims.core import cache, paths


def test_key_is_order_independent_and_sensitive():
    assert cache.config_key({"a": 1, "b": [1, 2]}) == cache.config_key({"b": [1, 2], "a": 1})
    assert cache.config_key({"a": 1}) != cache.config_key({"a": 2})
    assert cache.config_key({"a": 1}) != cache.config_key({"a": 1.5})


def test_dataclass_and_numpy_configs():
    @dataclass(frozen=True)
    class C:
        x: int
        y: tuple

    assert cache.config_key(C(1, (2, 3))) == cache.config_key({"x": 1, "y": [2, 3]})
    assert cache.config_key({"v": np.float64(0.5)}) == cache.config_key({"v": 0.5})
    with pytest.raises(TypeError, match="cannot hash"):
        cache.config_key({"f": object()})


def test_built_once_then_reused():
    calls = []

    def compute():
        calls.append(1)
        return {"x": np.arange(3)}

    a = cache.cached_arrays("demo", {"n": 3}, compute)
    b = cache.cached_arrays("demo", {"n": 3}, compute)
    np.testing.assert_array_equal(a["x"], b["x"])
    assert len(calls) == 1
    cache.cached_arrays("demo", {"n": 4}, compute)
    assert len(calls) == 2
    entry = cache.entry_path("demo", {"n": 3})
    assert entry.parent.parent == paths.cache_dir()
    assert (entry / "config.json").is_file()


def test_failed_build_leaves_no_entry_but_keeps_work_folder():
    def build(out, work):
        (work / "checkpoint").write_text("epoch 3")
        (out / "half.txt").write_text("partial")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        cache.cached("model", {"n": 1}, build)
    assert not cache.is_cached("model", {"n": 1})
    assert not cache.entry_path("model", {"n": 1}).exists()
    # the work folder survives, so a second attempt resumes from the checkpoint
    seen = []

    def resume(out, work):
        seen.append((work / "checkpoint").read_text())
        (out / "done.txt").write_text("ok")

    entry = cache.cached("model", {"n": 1}, resume)
    assert seen == ["epoch 3"]
    assert (entry / "done.txt").read_text() == "ok"
    assert not cache.work_path("model", {"n": 1}).exists()
    leftovers = [p for p in entry.parent.iterdir() if p.name.startswith(".tmp")]
    assert leftovers == []


def test_bad_name():
    with pytest.raises(ValueError, match="plain folder name"):
        cache.entry_path("../x", {})


def _build_in_subprocess(cache, marker, delay):
    import os
    import time as _time
    os.environ["LATENTDIMS_CACHE"] = str(cache)
    from latentdims.core.cache import cached

    def build(out, work):
        with open(marker, "a") as fh:
            fh.write("built\n")
        _time.sleep(delay)
        (out / "x.txt").write_text("done")

    return str(cached("locked", {"a": 1}, build))


def test_concurrent_builders_of_one_entry_build_it_once(tmp_path):
    import multiprocessing as mp
    marker = tmp_path / "marker.txt"
    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        results = pool.starmap(_build_in_subprocess, [(tmp_path / "c", marker, 1.0)] * 2)
    assert results[0] == results[1]
    assert marker.read_text().count("built") == 1


def test_an_entry_whose_replacement_was_cut_short_is_recovered_not_rebuilt():
    """rebuild=True interrupted between atomic_dir's renames leaves the entry missing and its
    complete new copy beside it: the next call puts that copy back instead of building again."""
    calls = []

    def build(out, work):
        calls.append(1)
        (out / "x.txt").write_text(str(len(calls)))

    entry = cache.cached("recover_test", {"a": 1}, build)
    # what an interrupt after "move the old copy aside" leaves: a complete .new- copy, no entry
    new = entry.with_name(f".new-{entry.name}-p{os.getpid()}-abcdef12")
    entry.rename(new)
    assert not entry.exists()
    again = cache.cached("recover_test", {"a": 1}, build)
    assert again == entry and (entry / "x.txt").read_text() == "1" and len(calls) == 1
    assert not new.exists()
