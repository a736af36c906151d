"""Absolute paths of the project's folders.

Every path is computed from the installed package location, so notebooks, the runner and the
tests agree wherever they are started from.  Each folder can be redirected by an environment
variable, which is how the tests keep their files in a temporary folder:

==========================  ===========================  =============================
folder                      environment variable         default
==========================  ===========================  =============================
data (user data, samples)   ``LATENTDIMS_DATA``          ``<repo>/data``
cache (trained models ...)  ``LATENTDIMS_CACHE``         ``<data>/cache``
figures                     ``LATENTDIMS_FIGURES``       ``<repo>/figures``
figure manifest             ``LATENTDIMS_MANIFEST``      ``<repo>/figures/manifest.csv``
notebooks                   ``LATENTDIMS_NOTEBOOKS``     ``<repo>/notebooks``
executed notebooks          ``LATENTDIMS_BUILD``         ``<repo>/build``
==========================  ===========================  =============================
"""
from __future__ import annotations

import os
from pathlib import Path

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


def figures_dir() -> Path:
    return _from_env("LATENTDIMS_FIGURES", repo_root() / "figures")


def build_dir() -> Path:
    return _from_env("LATENTDIMS_BUILD", repo_root() / "build")


def manifest_path() -> Path:
    """The figure manifest (tracked in git; ``LATENTDIMS_MANIFEST`` redirects it, for tests)."""
    return _from_env("LATENTDIMS_MANIFEST", repo_root() / "figures" / "manifest.csv")

