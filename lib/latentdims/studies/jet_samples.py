"""The jet samples of notebooks 10-13 (and of the jet VAE's): per profile, generated once with
Pythia 8 + FastJet, kept under ``data_dir() / "jets"``, loaded with
:func:`latentdims.data.jets.load_jets`.

A notebook resolves its profile once: ``samples = sample_settings(profile)``, then asks for
``jet_sample("w", samples, split="valid")``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from latentdims.core import paths
from latentdims.core.cache import config_key
from latentdims.core.profiles import by_profile, check_profile
from latentdims.core.validation import check_choice, check_int
from latentdims.data.jetgen import PROCESSES, GeneratorConfig, generate_jets, generator_config
from latentdims.data.jets import JetSample, load_jets

__all__ = ["JetSampleSettings", "sample_settings", "jet_sample_path", "ensure_jet_sample",
           "jet_sample"]



@dataclass(frozen=True)
class JetSampleSettings:
    """Sizes of a profile's jet samples.

    ``profile`` names the profile they came from (it is part of the file name, nothing branches
    on it). ``chunk_size`` is part of a sample's definition (each chunk has its own seed); small
    chunks spread a small sample over both CI cores at the cost of one Pythia initialisation
    (about 0.4 s) per chunk.
    """
    profile: str
    n_w: int            # W jets
    n_other: int        # top and QCD jets each
    chunk_size: int

    def n_jets(self, process: str) -> int:
        """Jets kept for ``process`` (one of ``'w'``, ``'top'``, ``'qcd'``)."""
        check_choice(process, PROCESSES, name="process", func="JetSampleSettings.n_jets")
        return self.n_w if process == "w" else self.n_other

    def generator(self, process: str) -> GeneratorConfig:
        """The generator configuration of ``process``'s sample."""
        return generator_config(process, chunk_size=self.chunk_size)


def sample_settings(profile: str) -> JetSampleSettings:
    """The jet-sample sizes of ``profile``.

    * smoke: 300 jets of each process in chunks of 75 (seconds on two cores; CI generates them
      from a clean clone);
    * quick: 20 000 W jets (16 667 for training: enough for a small VAE on a 2-core CPU, ~170
      batches of 100 per pass), 10 000 top and 10 000 QCD jets; about 10 minutes on 2 cores;
    * paper: 6e5 jets (the papers' W sample; the same size for top and QCD).

    >>> sample_settings("quick").n_jets("top")
    10000
    """
    check_profile(profile, func="sample_settings")
    return by_profile(profile, smoke=JetSampleSettings("smoke", 300, 300, 75),
                      quick=JetSampleSettings("quick", 20_000, 10_000, 1000),
                      paper=JetSampleSettings("paper", 600_000, 600_000, 2000))


def _check_settings(samples, func: str) -> JetSampleSettings:
    if not isinstance(samples, JetSampleSettings):
        raise TypeError(f"{func}: `samples` must be a JetSampleSettings (from "
                        f"sample_settings(profile)); got {type(samples).__name__} {samples!r}.")
    return samples


def jet_sample_path(process: str, samples: JetSampleSettings, *, seed: int = 0) -> Path:
    """Where the sample of ``process`` with the sizes ``samples`` and ``seed`` lives.

    The name carries a hash of the full generator configuration and size, so a change of
    settings (or of ``FORMAT_VERSION``) makes a new file rather than reusing a stale one.
    """
    _check_settings(samples, "jet_sample_path")
    key = config_key({"config": samples.generator(process).to_dict(), "n": samples.n_jets(process),
                      "seed": seed})
    return paths.data_dir() / "jets" / f"{process}-{samples.profile}-seed{seed}-{key[:10]}.h5"


def ensure_jet_sample(process: str, samples: JetSampleSettings, *, seed: int = 0,
                      workers: int | None = None, progress: bool = True) -> Path:
    """The path of the sample, generating (or finishing) it if it is missing."""
    check_choice(process, PROCESSES, name="process", func="ensure_jet_sample")
    _check_settings(samples, "ensure_jet_sample")
    seed = check_int(seed, name="seed", func="ensure_jet_sample", minimum=0)
    path = jet_sample_path(process, samples, seed=seed)
    if not path.exists():
        generate_jets(samples.generator(process), samples.n_jets(process), path, seed=seed,
                      workers=workers, progress=progress)
    return path


def jet_sample(process: str, samples: JetSampleSettings, *, seed: int = 0, split: str = "train",
               centred: bool = False, n: int | None = None, workers: int | None = None,
               progress: bool = True) -> JetSample:
    """The jets of ``process`` with the sizes ``samples``: kept under ``data_dir()/jets``,
    generated (Pythia 8 + FastJet) if missing, then loaded with
    :func:`latentdims.data.jets.load_jets`.

    Parameters
    ----------
    process : {'w', 'top', 'qcd'}
    samples : JetSampleSettings
        Sizes, from :func:`sample_settings`.
    seed : int
        Generator seed; each seed is its own cached file.
    split, centred, n
        As in :func:`load_jets`.
    workers : int, optional
        Generation processes (default: all CPUs); the file does not depend on it.
    progress : bool
        Progress bar while generating.
    """
    path = ensure_jet_sample(process, samples, seed=seed, workers=workers, progress=progress)
    return load_jets(path, n=n, split=split, centred=centred)
