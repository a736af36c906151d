"""Models: the thesis' VAE family and the jet papers' EMD-VAE, with their training loop.

The thesis' models are built by name through the registry below (:data:`MODELS`,
:func:`model_class`, :func:`make_model`); each family lives in its own file (``vaes``: the
beta-VAE, beta-TC VAE, DIP-VAE II, Annealed VAE and autoencoder; ``factor_vae``; ``ivae``),
``jet_vae`` is the EMD-VAE, ``dense_vae`` the toys' dense VAE, ``classifier`` chapter 7's factor
classifier, ``training`` the one training loop
and ``annealing`` the jet papers' beta-annealing schedule.

On a GPU: importing this package lets each GPU's memory grow on demand
(:func:`latentdims.models.devices.allow_memory_growth`, before any model exists), and
:func:`latentdims.models.training.train` XLA-compiles the training steps
(:func:`latentdims.models.training.xla_steps`).
"""
from __future__ import annotations

import dataclasses
from typing import Any

from latentdims.models.devices import allow_memory_growth

allow_memory_growth()      # first, before any module below builds a layer (see devices)

from latentdims.models.factor_vae import FactorVAE  # noqa: E402
from latentdims.models.ivae import IVAE  # noqa: E402
from latentdims.models.vaes import (  # noqa: E402
    AnnealedVAE, Autoencoder, BetaTCVAE, BetaVAE, DIPVAEII, ThesisVAE)

__all__ = ["MODELS", "model_class", "make_model"]

MODELS = ("beta_vae", "beta_tc_vae", "factor_vae", "dip_vae_ii", "annealed_vae", "autoencoder",
          "ivae")


# ----------------------------------------------------------------------------------- factory
def model_class(name: str) -> type:
    """The class of the model called ``name`` (one of :data:`MODELS`)."""
    classes = {c.model_name: c for c in (BetaVAE, BetaTCVAE, FactorVAE, DIPVAEII, AnnealedVAE,
                                         Autoencoder, IVAE)}
    if name not in classes:
        raise ValueError(f"make_model: unknown model name {name!r}; expected one of "
                         f"{', '.join(repr(m) for m in MODELS)}.")
    return classes[name]


def make_model(name: str, **config: Any) -> ThesisVAE:
    """Build a model of the family by name, e.g. ``make_model("beta_vae", beta=8, latent_dim=10)``.

    Parameters
    ----------
    name : str
        One of :data:`MODELS`.
    **config
        Fields of the model's config dataclass (e.g. :class:`BetaVAEConfig`); the others keep
        the thesis' defaults.

    Raises
    ------
    ValueError
        For an unknown name or a bad value.
    TypeError
        For a field the model's config does not have.
    """
    cls = model_class(name)
    allowed = [f.name for f in dataclasses.fields(cls.config_class)]
    unknown = sorted(set(config) - set(allowed))
    if unknown:
        raise TypeError(f"make_model: {name!r} has no setting(s) {', '.join(map(repr, unknown))}; "
                        f"its settings are {', '.join(allowed)}.")
    return cls(cls.config_class(**config))
