"""Run profiles: ``smoke`` (seconds per notebook, CI), ``quick`` (2-core CPU, the default),
``paper`` (the documents' own settings, for a GPU) and ``paper-dry`` (the paper path on a CPU in
minutes: :data:`DRY_RUN_PROFILE`).

Settings live in the study module of each notebook group (``latentdims.studies``), as frozen
dataclasses with one instance per profile, selected with :func:`by_profile` in that module's
``settings(profile)``, the one place where the profile string becomes numbers::

    @dataclass(frozen=True)
    class ToySettings:
        n_points: int      # points per toy data set
        epochs: int

    def settings(profile: str) -> ToySettings:
        paper = ToySettings(500_000, 200)
        return by_profile(profile, smoke=ToySettings(500, 2), quick=ToySettings(20_000, 40),
                          paper=paper, dry=capped(paper, n_points=1000, epochs=1))

A notebook calls ``cfg = settings(profile)`` once and passes ``cfg`` down, so it never carries a
copy-pasted dictionary of numbers and no function below it sees the profile string.

The dry run (``make figures PROFILE=paper DRY_RUN=1``, i.e. ``--profile paper-dry``) is the
paper settings with their *counts* capped by :func:`capped` (steps, epochs, samples, seeds,
pairs, repeats, trainings of a sweep) and every *shape* kept (latent sizes, widths, layers,
image sizes, batch sizes, learning rates, the annealing schedule's range and phases): it proves
that the paper's models, data layout and analysis code run, in minutes on a CPU.  Its claims are
meaningless; the report labels it :data:`DRY_RUN_LABEL` and keeps it out of the fidelity figure.
"""
from __future__ import annotations

import dataclasses
import os
from typing import TypeVar

__all__ = ["PROFILES", "DEFAULT_PROFILE", "DRY_RUN_PROFILE", "DRY_RUN_LABEL", "default_profile",
           "check_profile", "is_dry_run", "by_profile", "capped"]

DRY_RUN_PROFILE = "paper-dry"
PROFILES = ("smoke", "quick", "paper", DRY_RUN_PROFILE)
DEFAULT_PROFILE = "quick"
DRY_RUN_LABEL = "dry run: paper shapes, capped counts — not a reproduction"
T = TypeVar("T")
_REQUIRED = object()


def check_profile(profile: str, *, func: str = "check_profile") -> str:
    """Return ``profile`` if it is one of :data:`PROFILES`, else raise a clear ``ValueError``."""
    if profile not in PROFILES:
        raise ValueError(f"{func}: unknown profile {profile!r}; expected one of "
                         f"{', '.join(repr(p) for p in PROFILES)} (set it with the notebook "
                         f"parameter `profile`, `make figures PROFILE=...`, the runner's "
                         f"--profile or the environment variable LATENTDIMS_PROFILE).")
    return profile


def is_dry_run(profile: str) -> bool:
    """True for the dry-run profile (:data:`DRY_RUN_PROFILE`), whose claims are not a
    reproduction.

    >>> is_dry_run("paper-dry"), is_dry_run("paper")
    (True, False)
    """
    return profile == DRY_RUN_PROFILE


def default_profile() -> str:
    """``$LATENTDIMS_PROFILE`` if set (checked), else ``'quick'``.

    Notebooks use it in their parameters cell, so that nbval in CI (which sets
    ``LATENTDIMS_PROFILE=smoke``) and papermill (which injects ``profile``) agree.
    """
    return check_profile(os.environ.get("LATENTDIMS_PROFILE", DEFAULT_PROFILE),
                         func="default_profile")


def by_profile(profile: str, *, smoke: T, quick: T, paper: T, dry: T = _REQUIRED) -> T:
    """Pick the setting for ``profile`` among the four given (keyword-only, all required).

    ``dry`` is the dry run's (:data:`DRY_RUN_PROFILE`): the ``paper`` setting with its counts
    capped, normally ``capped(paper, steps=4, ...)`` (:func:`capped`).
    """
    check_profile(profile, func="by_profile")
    if dry is _REQUIRED:
        raise TypeError("by_profile: `dry` is required: the dry run's setting, the paper one "
                        "with its counts capped, e.g. dry=capped(paper, steps=4).")
    return {"smoke": smoke, "quick": quick, "paper": paper, DRY_RUN_PROFILE: dry}[profile]


def _not_above(name: str, cap, paper, owner: str) -> None:
    """Raise unless ``cap`` is a count no larger than the paper's ``paper``."""
    def bad(why: str):
        return ValueError(f"capped: {owner}.{name} = {cap!r} {why} (the paper's: {paper!r}); a "
                          f"dry run only lowers counts, it never raises them or changes a shape.")

    if dataclasses.is_dataclass(cap) or name == "profile":
        return                            # nested settings (capped themselves) or the label
    if isinstance(cap, bool) or isinstance(paper, bool):
        raise bad("is a flag, not a count")
    if isinstance(cap, (int, float)):
        if paper is not None and not (isinstance(paper, (int, float)) and cap <= paper):
            raise bad("is not a count below the paper's")
        return
    if isinstance(cap, tuple) and isinstance(paper, tuple):
        if len(cap) > len(paper):
            raise bad("has more entries than the paper's")
        return
    raise bad("is neither a number nor a tuple")


def capped(paper: T, **caps) -> T:
    """The dry-run version of the paper setting ``paper`` (a frozen dataclass): the count
    fields named in ``caps`` lowered, every other field (the shapes) kept.

    A cap is a number no larger than the paper's (an int for the paper's ``None``, "all"), a
    tuple with no more entries (fewer seeds, strengths, configurations of a sweep), nested
    settings (themselves made with :func:`capped`) or, for ``profile``, the dry run's label.
    ``tests/test_profiles.py`` checks every settings function's dry run field by field.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class S:
    ...     width: int
    ...     steps: int
    >>> capped(S(width=1024, steps=300_000), steps=4)
    S(width=1024, steps=4)
    >>> capped(S(width=1024, steps=300_000), steps=10**6)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: capped: S.steps = 1000000 is not a count below the paper's ... a shape.
    """
    if not dataclasses.is_dataclass(paper) or isinstance(paper, type):
        raise TypeError(f"capped: `paper` must be a settings dataclass instance (the paper "
                        f"profile's); got {type(paper).__name__}.")
    fields = {f.name for f in dataclasses.fields(paper)}
    owner = type(paper).__name__
    unknown = sorted(set(caps) - fields)
    if unknown:
        raise ValueError(f"capped: {owner} has no field {', '.join(unknown)}; its fields: "
                         f"{', '.join(sorted(fields))}.")
    for name, cap in caps.items():
        _not_above(name, cap, getattr(paper, name), owner)
    return dataclasses.replace(paper, **caps)
