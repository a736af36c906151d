"""Shared test set-up: every test writes its data, cache and figures under a temporary folder."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "agg")

import pytest


@pytest.fixture(autouse=True)
def _isolated_outputs(tmp_path, monkeypatch):
    """Point data, cache, figures and build folders at ``tmp_path`` (the manifest stays real)."""
    for var, sub in (("LATENTDIMS_DATA", "data"), ("LATENTDIMS_CACHE", "cache"),
                     ("LATENTDIMS_FIGURES", "figures"), ("LATENTDIMS_BUILD", "build")):
        monkeypatch.setenv(var, str(tmp_path / sub))
    yield
