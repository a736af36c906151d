"""Absolute paths of the project's folders.

Every path is computed from the installed package location, so notebooks, the runner and the
tests agree wherever they are started from.  Each folder can be redirected by an environment
variable, which is how the tests keep their files in a temporary folder:

==========================  ===========================  =====================================
folder                      environment variable         default
==========================  ===========================  =====================================
data (user data, samples)   ``LATENTDIMS_DATA``          ``<repo>/data``
cache (trained models ...)  ``LATENTDIMS_CACHE``         ``<data>/cache``
figures                     ``LATENTDIMS_FIGURES``       ``<repo>/figures`` for the default
                                                         profile (quick), else
                                                         ``<build>/figures-<profile>``
figure manifest             ``LATENTDIMS_MANIFEST``      ``<repo>/figures/manifest.csv``
notebooks                   ``LATENTDIMS_NOTEBOOKS``     ``<repo>/notebooks``
executed notebooks          ``LATENTDIMS_BUILD``         ``<repo>/build``
==========================  ===========================  =====================================
"""
from __future__ import annotations

import os
from pathlib import Path

from latentdims.core.profiles import DEFAULT_PROFILE, check_profile, default_profile

__all__ = ["repo_root", "notebooks_dir", "data_dir", "cache_dir", "figures_dir", "build_dir",
           "manifest_path"]


def repo_root() -> Path:
    """The repository root (the folder holding ``lib/``)."""
    return Path(__file__).resolve().parents[3]


def _from_env(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


def notebooks_dir() -> Path:
    return _from_env("LATENTDIMS_NOTEBOOKS", repo_root() / "notebooks")


def data_dir() -> Path:
    return _from_env("LATENTDIMS_DATA", repo_root() / "data")


def cache_dir() -> Path:
    return _from_env("LATENTDIMS_CACHE", data_dir() / "cache")


def figures_dir(profile: str | None = None) -> Path:
    """Where the figures, their records, the claims and ``REPORT.md`` of ``profile`` go.

    ``$LATENTDIMS_FIGURES`` if set (for every profile); else ``<repo>/figures`` for the default
    profile (``quick``: the gallery that ``make figures`` writes) and ``<build>/figures-<profile>``
    for the others, so that a smoke or paper run, from the runner or from JupyterLab, never
    overwrites the quick figures.  ``profile=None`` means ``$LATENTDIMS_PROFILE``, else ``quick``.
    """
    profile = default_profile() if profile is None else check_profile(profile, func="figures_dir")
    if os.environ.get("LATENTDIMS_FIGURES"):
        return _from_env("LATENTDIMS_FIGURES", repo_root() / "figures")
    if profile == DEFAULT_PROFILE:
        return repo_root() / "figures"
    return build_dir() / f"figures-{profile}"


def build_dir() -> Path:
    return _from_env("LATENTDIMS_BUILD", repo_root() / "build")


def manifest_path() -> Path:
    """The figure manifest (tracked in git; ``LATENTDIMS_MANIFEST`` redirects it, for tests)."""
    return _from_env("LATENTDIMS_MANIFEST", repo_root() / "figures" / "manifest.csv")

