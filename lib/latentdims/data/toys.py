"""The toy data sets of the jet papers' appendix, the talks and the thesis' background (notebooks
00-04).

* :func:`gaussian_data`: a centred Gaussian with independent directions (optionally rotated by
  :func:`random_rotation`); :func:`curse_data` is the talks' curse-of-dimensionality toy (ten
  N(0, 1) directions and one N(0, 0.1)).
* :func:`banana_data`: the talks' 2-D "bananas"; :func:`ring_data`: a filled disc for the plain
  autoencoder's "dense packing".
* The named data sets :data:`TOY_DATASETS`: :func:`toy_data_spec` gives a name's generator and
  parameters (part of the cache keys of the toy studies), :func:`toy_data` draws its points and
  :func:`toy_population` gives the population behind the Gaussian ones.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentdims.core.validation import check_array, check_choice, check_int, check_positive

__all__ = ["random_rotation", "gaussian_data", "banana_data", "ring_data", "curse_data",
           "TOY_DATASETS", "toy_data_spec", "toy_data", "ToyPopulation", "toy_population"]


def random_rotation(d: int, *, seed: int = 0) -> np.ndarray:
    """A uniformly random rotation matrix (orthogonal, determinant +1), shape (d, d).

    >>> r = random_rotation(3, seed=1)
    >>> bool(np.allclose(r @ r.T, np.eye(3)) and np.isclose(np.linalg.det(r), 1.0))
    True
    """
    d = check_int(d, name="d", func="random_rotation", minimum=1)
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    q = q * np.sign(np.diag(r))          # the sign fix makes the draw uniform (Haar)
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def gaussian_data(n: int, sigmas, *, seed: int = 0, rotation=None) -> np.ndarray:
    """``n`` points of a centred Gaussian with independent directions of std ``sigmas``, (n, d).

    With ``rotation`` (an orthogonal (d, d) matrix ``R``) the principal directions are the
    columns of ``R``: ``x = R (sigmas * eps)``, covariance ``R diag(sigmas^2) R^T``.

    >>> x = gaussian_data(20000, [2.0, 0.5], seed=1)
    >>> x.shape, np.round(x.std(axis=0), 1).tolist()
    ((20000, 2), [2.0, 0.5])
    """
    func = "gaussian_data"
    s = check_array(sigmas, name="sigmas", func=func, ndim=1, min_rows=1)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((check_int(n, name="n", func=func, minimum=1), len(s))) * s
    if rotation is not None:
        r = check_array(rotation, name="rotation", func=func, shape=(len(s), len(s)))
        if not np.allclose(r @ r.T, np.eye(len(s)), atol=1e-6):
            raise ValueError(f"{func}: `rotation` must be orthogonal (R R^T = I); got max "
                             f"|R R^T - I| = {np.abs(r @ r.T - np.eye(len(s))).max():.3g}. "
                             f"Use random_rotation(d, seed=...).")
        x = x @ r.T
    return x.astype(np.float32)


def banana_data(n: int, *, seed: int = 0, noise: float = 0.05, n_bananas: int = 2) -> np.ndarray:
    """The talks' "bananas": ``n_bananas`` (1 or 2) crescents in 2-D, of size ~1, centred.

    The talks show banana-shaped 2-D data without giving their formula.  A crescent is a half
    circle of radius 1 with points uniform in angle and Gaussian thickness ``noise``; two are
    interleaved like scikit-learn's ``make_moons``.  Their scales: the extent along a crescent
    (standard deviation ~0.9) and the width ``noise``, which a VAE resolves in turn as beta
    decreases.  The notebooks' data set ``"bananas"`` is one crescent of width 0.1, which puts the
    two steps where the talks see them (two latents below beta ~ 0.1, one between 0.1 and 1, none
    above; talk 'Autoencoder introduction', slides 'Bananas'); with two crescents a one-dimensional latent has to jump between them,
    and at resolutions comparable to their gap it cuts across instead of following them.

    >>> x = banana_data(1000, seed=0, n_bananas=1)
    >>> x.shape, bool(abs(x.mean()) < 1e-6)
    ((1000, 2), True)
    """
    func = "banana_data"
    n = check_int(n, name="n", func=func, minimum=2)
    check_positive(noise, name="noise", func=func, strict=False)
    check_choice(n_bananas, (1, 2), name="n_bananas", func=func)
    rng = np.random.default_rng(seed)
    which = np.arange(n) % n_bananas                      # crescent of each point
    t = rng.uniform(0.0, np.pi, size=n)
    # make_moons' layout: the upper arc centred at (0, 0), the lower one flipped and shifted
    x = np.where(which == 0, np.cos(t), 1.0 - np.cos(t))
    y = np.where(which == 0, np.sin(t), 0.5 - np.sin(t))
    pts = np.stack([x, y], axis=1) + noise * rng.standard_normal((n, 2))
    return (pts - pts.mean(axis=0)).astype(np.float32)


def ring_data(n: int, *, seed: int = 0) -> np.ndarray:
    """A filled 2-D disc of radius 1 (uniform), for the plain autoencoder's "dense packing".

    >>> bool(np.all(np.hypot(*ring_data(500, seed=2).T) <= 1.0))
    True
    """
    n = check_int(n, name="n", func="ring_data", minimum=1)
    rng = np.random.default_rng(seed)
    r, t = np.sqrt(rng.uniform(size=n)), rng.uniform(0, 2 * np.pi, size=n)
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=1).astype(np.float32)


def curse_data(n: int, *, seed: int = 0, n_wide: int = 10, small_sigma: float = 0.1) -> np.ndarray:
    """The talks' curse-of-dimensionality toy: ``n_wide`` N(0, 1) directions and one N(0, 0.1).

    >>> curse_data(5).shape
    (5, 11)
    """
    return gaussian_data(n, [1.0] * n_wide + [small_sigma], seed=seed)


TOY_DATASETS = ("gaussian1d", "gaussian3d", "rotated4d", "bananas", "ring", "curse")
ROTATED4D_SEED = 4   # the fixed rotation of "rotated4d" (part of the data set's definition)


def toy_data_spec(name: str, *, func: str = "toy_data_spec") -> dict:
    """The generator and parameters of a named toy data set (part of the toy studies' cache keys).

    ``func`` names the caller in the error message for an unknown ``name``.

    >>> toy_data_spec("gaussian3d")
    {'kind': 'gaussian', 'sigmas': [2.0, 0.5, 0.1], 'rotation_seed': None}
    """
    check_choice(name, TOY_DATASETS, name="dataset", func=func)
    if name == "gaussian1d":
        return {"kind": "gaussian", "sigmas": [1.0], "rotation_seed": None}
    if name == "gaussian3d":
        return {"kind": "gaussian", "sigmas": [2.0, 0.5, 0.1], "rotation_seed": None}
    if name == "rotated4d":
        return {"kind": "gaussian", "sigmas": [2.0, 1.0, 0.5, 0.25], "rotation_seed": ROTATED4D_SEED}
    if name == "curse":
        return {"kind": "gaussian", "sigmas": [1.0] * 10 + [0.1], "rotation_seed": None}
    if name == "bananas":
        return {"kind": "bananas", "noise": 0.1, "n_bananas": 1}
    return {"kind": "disc"}


def toy_data(name: str, n: int, seed: int) -> np.ndarray:
    """``n`` points of the named toy data set (see :func:`toy_data_spec`), shape (n, d), float32.

    >>> toy_data("rotated4d", 3, seed=0).shape
    (3, 4)
    """
    spec = toy_data_spec(name, func="toy_data")
    if spec["kind"] == "gaussian":
        pop = toy_population(name)
        return gaussian_data(n, pop.sigmas, seed=seed,
                             rotation=None if spec["rotation_seed"] is None else pop.rotation)
    if spec["kind"] == "bananas":
        return banana_data(n, seed=seed, noise=spec["noise"], n_bananas=spec["n_bananas"])
    return ring_data(n, seed=seed)


@dataclass(frozen=True)
class ToyPopulation:
    """The population behind a Gaussian toy: ``x = rotation @ (sigmas * eps)``.

    Attributes
    ----------
    sigmas : (d,)
        Standard deviations of the principal directions.
    rotation : (d, d)
        Orthogonal; its columns are the principal directions (the identity if not rotated).
    """
    sigmas: np.ndarray
    rotation: np.ndarray

    @property
    def covariance(self) -> np.ndarray:
        """``R diag(sigmas^2) R^T``, shape (d, d)."""
        return (self.rotation * self.sigmas**2) @ self.rotation.T


def toy_population(dataset: str) -> ToyPopulation:
    """The standard deviations and principal directions of a Gaussian toy data set.

    >>> toy_population("gaussian3d").sigmas.tolist()
    [2.0, 0.5, 0.1]
    """
    spec = toy_data_spec(dataset, func="toy_population")
    if spec["kind"] != "gaussian":
        gaussian = [n for n in TOY_DATASETS if toy_data_spec(n)["kind"] == "gaussian"]
        raise ValueError(f"toy_population: {dataset!r} is not a Gaussian toy; expected one of "
                         f"{', '.join(repr(g) for g in gaussian)}.")
    s = np.asarray(spec["sigmas"], dtype=float)
    rot = (np.eye(len(s)) if spec["rotation_seed"] is None
           else random_rotation(len(s), seed=spec["rotation_seed"]))
    return ToyPopulation(sigmas=s, rotation=rot)
