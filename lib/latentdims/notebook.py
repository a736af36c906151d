"""What a notebook needs to take part in the reproduction: one object per run that seeds, styles,
saves figures and tables, and records checks of the documents' claims.

Every notebook starts with::

    run = start_notebook("02_talks_bananas.ipynb", profile=profile, seed=seed)

and then, per figure::

    run.save_figure(fig, "talks", "bananas-dims")
    run.record_claim("bananas-d2-high-beta", figure="talks/bananas-dims",
                     source="talk 'Autoencoder introduction', slide 'The Variational Autoencoder'",
                     kind="document", data="toy:the talk's two-banana data",
                     value=d2_at_high_beta, expectation="D2 < 0.3 for beta >> 1",
                     passed=d2_at_high_beta < 0.3)

Every record says what it is and what it ran on:

* ``kind``: ``"document"`` for a claim a document makes about its results, checked at the
  document's strength; ``"sanity"`` for a property of our own code or data that must hold for the
  figure to mean anything (a plan's marginals, a sample's cuts, an identity, a schedule's shape).
  Sanity checks are counted apart and never enter the fidelity figure of ``figures/REPORT.md``.
* ``data``: a key of :data:`DATA_SOURCES` (the jet samples, ``"analytic"``), an image data set
  name of :mod:`latentdims.data.images` (resolved when recorded: the public files if present,
  else the labelled stand-in), ``"toy:<what>"`` for toy data a document defines itself,
  ``"stand-in:<what>"`` for any other stand-in, or a list of these (a stand-in if any is).
* ``substitution``: what differs from the document's experiment (``"beta-VAE in place of the
  beta-TC VAE"``), or None.
* ``source``: the document as its readers know it (paper, section, figure, equation; thesis
  section; talk and slide), never a line number of a text file.

A claim that fails is recorded, not raised: the notebook runs on and ``figures/REPORT.md``
shows the failure beside the figure.  The ledger of a notebook is
``figures/claims/<notebook>.json``, rewritten atomically at every record and cleared when the
notebook starts again.
"""
from __future__ import annotations

import json
import math
import os
import random
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from IPython.display import Markdown, display

from latentdims.core import manifest, paths
from latentdims.core.io import write_json
from latentdims.core.profiles import check_profile
from latentdims.core.sweeps import SCHEDULER_ENV, check_scheduler
from latentdims.data.images import DATASETS as IMAGE_DATASETS
from latentdims.data.images import has_real_data
from latentdims.plotting.output import save_figure, save_table
from latentdims.plotting.style import set_style

__all__ = ["Claim", "NotebookRun", "start_notebook", "claims_path", "read_claims", "KINDS",
           "DATA_SOURCES", "data_label", "Fidelity", "fidelity", "is_faithful"]

KINDS = ("document", "sanity")

# Data that are the documents' own or an equivalent (same generator, same selection).
DATA_SOURCES = {
    "w-jets": "W jets: Pythia8 + FastJet, the papers' process, generator and selection",
    "top-jets": "top jets: Pythia8 + FastJet, the talks' process and selection",
    "qcd-jets": "light-quark/gluon jets: Pythia8 + FastJet, the talks' process and selection",
    "mixed-jets": "the talks' mixed sample of top and light jets (Pythia8 + FastJet)",
    "analytic": "no data: closed forms and the document's own construction",
}
_LINE_CITATION = re.compile(r"\b\d{3}:L\d|\bL\d{2,5}\b")


def is_faithful(claim: dict[str, Any]) -> bool:
    """A record on the document's data (or an equivalent) and its experiment, no substitution."""
    return not claim.get("stand_in", False) and not claim.get("substitution")


@dataclass(frozen=True)
class Fidelity:
    """Document claims held / recorded, split by data; sanity checks apart."""
    held: int
    total: int
    faithful_held: int
    faithful_total: int
    other_held: int
    other_total: int
    sanity_passed: int
    sanity_total: int


def fidelity(claims) -> Fidelity:
    """Count ledger records (dicts, as :func:`read_claims` returns them) into a :class:`Fidelity`."""
    claims = list(claims)
    doc = [c for c in claims if c.get("kind", "document") == "document"]
    faithful = [c for c in doc if is_faithful(c)]
    other = [c for c in doc if not is_faithful(c)]
    sanity = [c for c in claims if c.get("kind") == "sanity"]
    held = lambda cs: sum(bool(c["passed"]) for c in cs)   # noqa: E731
    return Fidelity(held(doc), len(doc), held(faithful), len(faithful), held(other), len(other),
                    held(sanity), len(sanity))


def data_label(data: Any, *, func: str = "record_claim") -> tuple[str, bool]:
    """``(label, stand_in)`` for the ``data`` of a record (see the module docstring).

    >>> data_label("w-jets")[1]
    False
    >>> data_label(["toy:two bananas", "stand-in:rendered solids"])
    ('two bananas + rendered solids (stand-in)', True)
    """
    if isinstance(data, (list, tuple)):
        if not data:
            raise ValueError(f"{func}: `data` is an empty list; name the data the claim ran on.")
        parts = [data_label(d, func=func) for d in data]
        return " + ".join(p[0] for p in parts), any(p[1] for p in parts)
    if not isinstance(data, str) or not data.strip():
        raise TypeError(f"{func}: `data` must name the data the claim ran on (a key of "
                        f"DATA_SOURCES, an image data set, 'toy:<what>' or 'stand-in:<what>'); "
                        f"got {data!r}.")
    if data in DATA_SOURCES:
        return DATA_SOURCES[data], False
    if data in IMAGE_DATASETS:
        real = has_real_data(data)
        return (f"{data} (public files)", False) if real else (f"{data} (stand-in)", True)
    kind, _, what = data.partition(":")
    if kind in ("toy", "stand-in") and what.strip():
        return (what.strip(), False) if kind == "toy" else (f"{what.strip()} (stand-in)", True)
    raise ValueError(f"{func}: unknown `data` {data!r}; use one of {sorted(DATA_SOURCES)}, an "
                     f"image data set {list(IMAGE_DATASETS)}, 'toy:<what>' for toy data a "
                     f"document defines, or 'stand-in:<what>'.")


def claims_path(notebook: str, profile: str | None = None) -> Path:
    """``<figures>/claims/<notebook>.json``, in the figures folder of ``profile`` (see
    :func:`latentdims.core.paths.figures_dir`)."""
    return paths.figures_dir(profile) / "claims" / f"{Path(notebook).stem}.json"


def read_claims(notebook: str, profile: str | None = None) -> list[dict[str, Any]]:
    """The claims recorded by the last run of ``notebook`` (empty if none)."""
    path = claims_path(notebook, profile)
    if not path.is_file():
        return []
    with open(path) as f:
        return json.load(f)["claims"]


def _plain(value: Any) -> Any:
    """JSON-friendly value: NumPy scalars and small arrays to Python, NaN kept as a string."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Claim:
    """One check, on numbers computed in the notebook, of a document's claim or of our own code."""
    id: str
    figure: str          # "document/id" of the figure it belongs to
    source: str          # where the document says it, e.g. "ICLR 2022 paper, Sec. 3, Fig. 2"
    value: Any           # what we measured
    expectation: str     # what the document leads us to expect, as a readable condition
    passed: bool
    kind: str = "document"           # "document" claim or "sanity" check (see KINDS)
    data: str = ""                   # what it ran on (see data_label)
    stand_in: bool = False           # the data are a stand-in for the document's
    substitution: str | None = None  # what differs from the document's experiment

    @property
    def faithful(self) -> bool:
        """On the document's data (or an equivalent) and its experiment, with no substitution."""
        return is_faithful(asdict(self))


@dataclass
class NotebookRun:
    """The run of one notebook: its name, profile and seed, and the claims recorded so far."""
    notebook: str
    profile: str
    seed: int
    started: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S"))
    claims: list[Claim] = field(default_factory=list)

    def _ledger(self) -> None:
        write_json(claims_path(self.notebook, self.profile),
                   {"notebook": self.notebook, "profile": self.profile, "seed": self.seed,
                    "started": self.started, "claims": [asdict(c) for c in self.claims]})

    def save_figure(self, fig, document: str, id: str) -> list[Path]:
        """Save ``fig`` as ``figures/<document>/<id>.png|.pdf`` (see :func:`plotting.save_figure`)."""
        return save_figure(fig, document, id, notebook=self.notebook, profile=self.profile,
                           seed=self.seed)

    def save_table(self, table, document: str, id: str, *, caption: str = "") -> list[Path]:
        """Save a DataFrame as ``figures/<document>/<id>.csv|.md|.png|.pdf``."""
        return save_table(table, document, id, caption=caption, notebook=self.notebook,
                          profile=self.profile, seed=self.seed)

    def record_claim(self, claim_id: str, *, figure: str, source: str, value: Any,
                     expectation: str, passed: bool, kind: str, data: Any,
                     substitution: str | None = None) -> Claim:
        """Record a check of a claim (it is never raised; see the module docstring).

        ``figure`` must name a manifest entry (``"document/id"``), so the report can show the
        claim beside its figure; ``kind``, ``data`` and ``substitution`` say what it is and what
        it ran on.
        """
        if "/" not in figure:
            raise ValueError(f"record_claim: `figure` must be 'document/id' such as "
                             f"'talks/bananas-dims'; got {figure!r}.")
        document, fid = figure.split("/", 1)
        manifest.find_entry(document, fid)
        if not isinstance(passed, (bool, np.bool_)):
            raise TypeError(f"record_claim: `passed` must be a bool computed from the numbers; "
                            f"got {type(passed).__name__} {passed!r}.")
        if kind not in KINDS:
            raise ValueError(f"record_claim: `kind` must be one of {KINDS} ('document' for what a "
                             f"document claims, 'sanity' for a check of our own construction); "
                             f"got {kind!r}.")
        if not isinstance(source, str) or not source.strip() or _LINE_CITATION.search(source):
            raise ValueError(f"record_claim: `source` must cite the document as its readers know "
                             f"it (paper, section, figure or equation; thesis section; talk and "
                             f"slide), not by line numbers; got {source!r}.")
        if substitution is not None and (not isinstance(substitution, str)
                                         or not substitution.strip()):
            raise ValueError(f"record_claim: `substitution` must say what differs from the "
                             f"document's experiment, or be None; got {substitution!r}.")
        label, stand_in = data_label(data)
        claim = Claim(id=claim_id, figure=figure, source=source, value=_plain(value),
                      expectation=expectation, passed=bool(passed), kind=kind, data=label,
                      stand_in=stand_in, substitution=substitution)
        self.claims = [c for c in self.claims if c.id != claim_id] + [claim]
        self._ledger()
        return claim

    def summary(self):
        """The claims recorded so far as a DataFrame (shown at the end of each notebook)."""
        import pandas as pd

        return pd.DataFrame([asdict(c) for c in self.claims],
                            columns=["id", "kind", "figure", "source", "value", "expectation",
                                     "passed", "data", "substitution"])

    def conclude(self):
        """Show what this run found (:meth:`summary_markdown`) and return :meth:`summary`: the
        last cell of every notebook."""
        display(Markdown(self.summary_markdown()))
        return self.summary()

    def summary_markdown(self):
        """What this run found, as Markdown computed from the claims just recorded (display it
        with ``IPython.display.Markdown``; notebook text never types a result by hand)."""
        f = fidelity(asdict(c) for c in self.claims)
        lines = [f"**This run ({self.profile} profile, seed {self.seed}):** "
                 f"{f.held} of {f.total} document claims held "
                 f"({f.faithful_held}/{f.faithful_total} on the document's data or an equivalent, "
                 f"{f.other_held}/{f.other_total} on a stand-in or with a substitution); "
                 f"{f.sanity_passed} of {f.sanity_total} sanity checks passed."]
        failed = [c for c in self.claims if not c.passed]
        if failed:
            lines.append("")
            lines.append("Not held: " + ", ".join(f"`{c.id}`" for c in failed) + ".")
        return "\n".join(lines)


def start_notebook(notebook: str, *, profile: str, seed: int = 0,
                   scheduler: str | None = None) -> NotebookRun:
    """Begin a notebook run: check the profile, seed Python and NumPy, set the plot style and
    clear the notebook's claim ledger.

    Models and samplers in the library take their own explicit seeds; this seeds only the global
    generators, for code in the notebook itself.  ``scheduler`` (the papermill parameter), when
    given, is where this kernel's sweeps train: ``"local"``, ``"inline"`` or a Dask scheduler
    address such as ``"tcp://host:8786"`` (checked, then set as ``$LATENTDIMS_SCHEDULER``; see
    :mod:`latentdims.core.sweeps`); None keeps the environment's choice.
    """
    check_profile(profile, func="start_notebook")
    if scheduler is not None:
        if not isinstance(scheduler, str):
            raise TypeError(f"start_notebook: `scheduler` must be None or a string such as "
                            f"'local', 'inline' or 'tcp://host:8786'; got {type(scheduler).__name__}.")
        os.environ[SCHEDULER_ENV] = check_scheduler(scheduler, source="start_notebook: `scheduler`")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"start_notebook: `seed` must be an integer; got {seed!r}.")
    name = Path(notebook).name
    if not name.endswith(".ipynb"):
        raise ValueError(f"start_notebook: `notebook` must be the notebook's file name such as "
                         f"'02_talks_bananas.ipynb'; got {notebook!r}.")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    set_style()
    run = NotebookRun(notebook=name, profile=profile, seed=int(seed))
    run._ledger()
    return run
