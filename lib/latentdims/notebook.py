"""What a notebook needs to take part in the reproduction: one object per run that seeds, styles,
saves figures and tables, and records checks of the documents' claims.

Every notebook starts with::

    run = start_notebook("02_talks_bananas.ipynb", profile=profile, seed=seed)

and then, per figure::

    run.save_figure(fig, "talks", "bananas-dims")
    run.record_claim("bananas-d2-high-beta", figure="talks/bananas-dims", source="002:L85",
                     value=d2_at_high_beta, expectation="D2 < 0.3 for beta >> 1",
                     passed=d2_at_high_beta < 0.3)

A claim that fails is recorded, not raised: the notebook runs on and ``figures/REPORT.md``
shows the failure beside the figure.  The ledger of a notebook is
``figures/claims/<notebook>.json``, rewritten atomically at every record and cleared when the
notebook starts again.
"""
from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from latentdims.core import manifest, paths
from latentdims.core.io import write_json
from latentdims.core.profiles import check_profile
from latentdims.plotting.output import save_figure, save_table
from latentdims.plotting.style import set_style

__all__ = ["Claim", "NotebookRun", "start_notebook", "claims_path", "read_claims"]


def claims_path(notebook: str) -> Path:
    return paths.figures_dir() / "claims" / f"{Path(notebook).stem}.json"


def read_claims(notebook: str) -> list[dict[str, Any]]:
    """The claims recorded by the last run of ``notebook`` (empty if none)."""
    path = claims_path(notebook)
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
    """One check of a document's claim on numbers computed in the notebook."""
    id: str
    figure: str          # "document/id" of the figure it belongs to
    source: str          # where the document says it, e.g. "001:L55" (seed file : line)
    value: Any           # what we measured
    expectation: str     # what the document leads us to expect, as a readable condition
    passed: bool


@dataclass
class NotebookRun:
    """The run of one notebook: its name, profile and seed, and the claims recorded so far."""
    notebook: str
    profile: str
    seed: int
    started: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S"))
    claims: list[Claim] = field(default_factory=list)

    def _ledger(self) -> None:
        write_json(claims_path(self.notebook),
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
                     expectation: str, passed: bool) -> Claim:
        """Record a check of a claim (it is never raised; see the module docstring).

        ``figure`` must name a manifest entry (``"document/id"``), so the report can show the
        claim beside its figure.
        """
        if "/" not in figure:
            raise ValueError(f"record_claim: `figure` must be 'document/id' such as "
                             f"'talks/bananas-dims'; got {figure!r}.")
        document, fid = figure.split("/", 1)
        manifest.find_entry(document, fid)
        if not isinstance(passed, (bool, np.bool_)):
            raise TypeError(f"record_claim: `passed` must be a bool computed from the numbers; "
                            f"got {type(passed).__name__} {passed!r}.")
        claim = Claim(id=claim_id, figure=figure, source=source, value=_plain(value),
                      expectation=expectation, passed=bool(passed))
        self.claims = [c for c in self.claims if c.id != claim_id] + [claim]
        self._ledger()
        return claim

    def summary(self):
        """The claims recorded so far as a DataFrame (shown at the end of each notebook)."""
        import pandas as pd

        return pd.DataFrame([asdict(c) for c in self.claims],
                            columns=["id", "figure", "source", "value", "expectation", "passed"])


def start_notebook(notebook: str, *, profile: str, seed: int = 0) -> NotebookRun:
    """Begin a notebook run: check the profile, seed Python and NumPy, set the plot style and
    clear the notebook's claim ledger.

    Models and samplers in the library take their own explicit seeds; this seeds only the global
    generators, for code in the notebook itself.
    """
    check_profile(profile, func="start_notebook")
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
