"""Run profiles: ``smoke`` (seconds per notebook, CI), ``quick`` (2-core CPU, the default) and
``paper`` (the documents' own settings, for a GPU).

Settings live in the study module of each notebook group (``latentdims.studies``), as frozen
dataclasses with one instance per profile, selected with :func:`by_profile` in that module's
``settings(profile)``, the one place where the profile string becomes numbers::

    @dataclass(frozen=True)
    class ToySettings:
        n_points: int      # points per toy data set
        epochs: int

    def settings(profile: str) -> ToySettings:
        return by_profile(profile, smoke=ToySettings(500, 2), quick=ToySettings(20_000, 40),
                          paper=ToySettings(500_000, 200))

A notebook calls ``cfg = settings(profile)`` once and passes ``cfg`` down, so it never carries a
copy-pasted dictionary of numbers and no function below it sees the profile string.
"""
from __future__ import annotations

import os
from typing import TypeVar

__all__ = ["PROFILES", "DEFAULT_PROFILE", "default_profile", "check_profile", "by_profile"]

PROFILES = ("smoke", "quick", "paper")
DEFAULT_PROFILE = "quick"
T = TypeVar("T")


def check_profile(profile: str, *, func: str = "check_profile") -> str:
    """Return ``profile`` if it is one of :data:`PROFILES`, else raise a clear ``ValueError``."""
    if profile not in PROFILES:
        raise ValueError(f"{func}: unknown profile {profile!r}; expected one of "
                         f"{', '.join(repr(p) for p in PROFILES)} (set it with the notebook "
                         f"parameter `profile`, `make figures PROFILE=...`, the runner's "
                         f"--profile or the environment variable LATENTDIMS_PROFILE).")
    return profile


def default_profile() -> str:
    """``$LATENTDIMS_PROFILE`` if set (checked), else ``'quick'``.

    Notebooks use it in their parameters cell, so that nbval in CI (which sets
    ``LATENTDIMS_PROFILE=smoke``) and papermill (which injects ``profile``) agree.
    """
    return check_profile(os.environ.get("LATENTDIMS_PROFILE", DEFAULT_PROFILE),
                         func="default_profile")


def by_profile(profile: str, *, smoke: T, quick: T, paper: T) -> T:
    """Pick the setting for ``profile`` among the three given (keyword-only, all required)."""
    check_profile(profile, func="by_profile")
    return {"smoke": smoke, "quick": quick, "paper": paper}[profile]
