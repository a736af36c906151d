"""Jet observables on stored particles: kinematics, centring, N-subjettiness, merging for display.

Every function is batched: jets are arrays of shape (N, P) for per-particle scalars and (N, P, 2)
for (eta, phi) points, with zero-weight padding slots marked by ``masks`` (or by zero weight).
A single jet is the batch ``N = 1``.

Conventions (as in the papers, ICLR paper App. A.1):

* ``pt`` in GeV, ``eta`` the pseudorapidity, ``phi`` the azimuth in radians;
* differences in ``phi`` are wrapped to ``[-pi, pi)`` (the papers' EMD, ICLR 2022 paper App. A.1.3);
* four-momenta are ``(px, py, pz, E)`` in GeV, the order FastJet and Pythia use.
"""
from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass

import numpy as np

from latentdims.core.validation import check_array, check_int, check_positive

__all__ = ["check_jets", "wrap_phi", "four_momenta", "JetKinematics", "jet_kinematics", "weighted_centroid",
           "centre_jets", "n_subjettiness", "merge_nearby", "rest_frame_angles", "import_fastjet"]


def wrap_phi(phi):
    r"""Wrap angles to ``[-pi, pi)``.

    .. math:: \mathrm{wrap}(\phi) = ((\phi + \pi) \bmod 2\pi) - \pi

    >>> float(wrap_phi(3 * np.pi / 2)) == -np.pi / 2
    True
    """
    return np.mod(np.asarray(phi, dtype=np.float64) + np.pi, 2.0 * np.pi) - np.pi


def four_momenta(pt, eta, phi, energy=None) -> np.ndarray:
    r"""Cartesian four-momenta ``(px, py, pz, E)`` from ``(pT, eta, phi)``, shape ``pt.shape + (4,)``.

    .. math::
        p_x = p_T\cos\phi,\quad p_y = p_T\sin\phi,\quad p_z = p_T\sinh\eta,\quad
        E = p_T\cosh\eta \ \text{(massless, when no energy is given)}

    Parameters
    ----------
    pt, eta, phi : arrays of the same shape
        Transverse momentum [GeV], pseudorapidity, azimuth [rad].
    energy : array of the same shape, optional
        Energies [GeV] of massive objects (e.g. the stored R = 0.07 subjets); massless if omitted.
    """
    pt = np.asarray(pt, dtype=np.float64)
    eta = np.asarray(eta, dtype=np.float64)
    phi = np.asarray(phi, dtype=np.float64)
    e = pt * np.cosh(eta) if energy is None else np.asarray(energy, dtype=np.float64)
    return np.stack([pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta), e], axis=-1)


@dataclass(frozen=True)
class JetKinematics:
    """Jet-level kinematics of the four-momentum sum of a jet's particles, each of shape (N,).

    Attributes
    ----------
    pt : transverse momentum [GeV]
    eta : pseudorapidity
    phi : azimuth in ``(-pi, pi]`` [rad]
    mass : invariant mass [GeV] (0 where rounding makes ``m^2`` slightly negative)
    """
    pt: np.ndarray
    eta: np.ndarray
    phi: np.ndarray
    mass: np.ndarray


def jet_kinematics(pt, eta, phi, energy=None) -> JetKinematics:
    r"""pT, eta, phi and mass of the four-momentum sum of each jet's particles.

    .. math::
        P^\mu = \sum_{i=1}^{P} p_i^\mu, \qquad m = \sqrt{\max(P^\mu P_\mu, 0)}

    Padding slots must have ``pt = 0`` (and ``energy = 0``), so that they add nothing.

    Parameters
    ----------
    pt, eta, phi : arrays, shape (N, P)
        The particles of N jets: pT [GeV], pseudorapidity, azimuth [rad].
    energy : array, shape (N, P), optional
        Particle energies [GeV]; massless particles if omitted.  The generated samples store the
        energies of their R = 0.07 subjets, which makes the jet mass exact up to the truncation
        to 50 subjets; without them the mass is that of massless subjets (slightly lower).

    Returns
    -------
    JetKinematics
        Arrays of shape (N,).

    Examples
    --------
    Two massless particles of 50 GeV at eta = 0 and phi = +-0.5:
    :math:`m^2 = 2 p_{T1} p_{T2} (\cosh\Delta\eta - \cos\Delta\phi)`.

    >>> k = jet_kinematics([[50.0, 50.0]], [[0.0, 0.0]], [[0.5, -0.5]])
    >>> round(float(k.mass[0]), 3), round(float(k.pt[0]), 3)
    (47.943, 87.758)
    >>> bool(np.isclose(k.mass[0], np.sqrt(2 * 50 * 50 * (1 - np.cos(1.0)))))
    True
    """
    func = "jet_kinematics"
    pt = check_array(pt, name="pt", func=func, ndim=2)
    eta = check_array(eta, name="eta", func=func, shape=pt.shape)
    phi = check_array(phi, name="phi", func=func, shape=pt.shape)
    if energy is not None:
        energy = check_array(energy, name="energy", func=func, shape=pt.shape)
    total = four_momenta(pt, eta, phi, energy).sum(axis=1)          # (N, 4)
    px, py, pz, e = total.T
    jpt = np.hypot(px, py)
    with np.errstate(divide="ignore", invalid="ignore"):
        jeta = np.where(jpt > 0, np.arcsinh(pz / np.where(jpt > 0, jpt, 1.0)), 0.0)
    m2 = e**2 - px**2 - py**2 - pz**2
    return JetKinematics(pt=jpt, eta=jeta, phi=np.arctan2(py, px), mass=np.sqrt(np.maximum(m2, 0)))


def check_jets(weights, points, func: str, masks=None):
    """Validate a batch of weighted point clouds; return float64 arrays and a boolean mask.

    ``weights`` (N, P) must be non-negative and every jet must keep a particle of positive
    weight (under ``masks`` (N, P) if given, else ``weights > 0``); ``points`` is (N, P, 2).
    Errors name ``func``, the argument and the first offending jet.
    """
    weights = check_array(weights, name="weights", func=func, ndim=2)
    points = check_array(points, name="points", func=func, shape=(*weights.shape, 2))
    if np.any(weights < 0):
        bad = int(np.argwhere(weights < 0)[0][0])
        raise ValueError(f"{func}: `weights` must be non-negative; got min {weights.min():.3g} in "
                         f"jet {bad}. Padding slots should carry weight 0.")
    if masks is None:
        masks = weights > 0
    else:
        masks = check_array(masks, name="masks", func=func, shape=weights.shape, dtype=bool)
    empty = ~np.any(masks & (weights > 0), axis=1)
    if np.any(empty):
        raise ValueError(f"{func}: jet {int(np.argmax(empty))} has no particle with positive "
                         f"weight ({int(empty.sum())} empty jet(s)); remove empty jets first.")
    return weights, points, masks


def weighted_centroid(weights, points, masks=None) -> np.ndarray:
    r"""The pT-weighted centroid of each jet in the (eta, phi) plane, shape (N, 2).

    .. math::
        \bar\eta = \frac{\sum_i w_i \eta_i}{\sum_i w_i}, \qquad
        \bar\phi = \phi_\mathrm{ref} + \frac{\sum_i w_i\, \mathrm{wrap}(\phi_i - \phi_\mathrm{ref})}
        {\sum_i w_i}

    with :math:`\phi_\mathrm{ref}` the azimuth of the hardest particle, so that a jet that
    straddles :math:`\phi = \pm\pi` is averaged across the seam rather than around the circle.
    The result's azimuth is wrapped to ``[-pi, pi)``.

    Parameters
    ----------
    weights : array, shape (N, P)
        Non-negative weights (pT or pT / H_T); padding has weight 0.
    points : array, shape (N, P, 2)
        (eta, phi) of each particle.
    masks : bool array, shape (N, P), optional
        Real particles; default ``weights > 0``.

    Examples
    --------
    Two equal particles on either side of the seam at phi = pi:

    >>> c = weighted_centroid([[1.0, 1.0]], [[[0.0, np.pi - 0.1], [0.2, -np.pi + 0.1]]])
    >>> np.round(np.abs(c), 6).tolist()
    [[0.1, 3.141593]]
    """
    weights, points, masks = check_jets(weights, points, "weighted_centroid", masks)
    w = np.where(masks, weights, 0.0)
    ref = points[np.arange(len(w)), np.argmax(w, axis=1), 1]              # (N,)
    dphi = wrap_phi(points[..., 1] - ref[:, None])
    total = w.sum(axis=1)
    eta_c = (w * points[..., 0]).sum(axis=1) / total
    phi_c = wrap_phi(ref + (w * dphi).sum(axis=1) / total)
    return np.stack([eta_c, phi_c], axis=-1)


def centre_jets(weights, points, masks=None, *, centres=None) -> np.ndarray:
    r"""Translate each jet so that its centre sits at (eta, phi) = (0, 0): the VAE_cent input.

    .. math::
        \eta_i' = \eta_i - \eta_c, \qquad \phi_i' = \mathrm{wrap}(\phi_i - \phi_c)

    Padding slots are put at (0, 0), the centre, as the original analysis put them on the jet
    axis (the papers' pre-processing, ICLR 2022 paper App. A.1.2).

    Parameters
    ----------
    weights : array, shape (N, P)
        Non-negative weights; padding has weight 0.
    points : array, shape (N, P, 2)
        (eta, phi) of each particle.
    masks : bool array, shape (N, P), optional
        Real particles; default ``weights > 0``.
    centres : array, shape (N, 2), optional
        The (eta, phi) to move to the origin.  Default: :func:`weighted_centroid`.

    Choosing parameters
    -------------------
    The default centre, the pT-weighted centroid, needs nothing but the stored particles, so it
    applies equally to generated jets, public data sets and a VAE's reconstructions; it differs
    from the R = 1.0 jet axis by about 0.01 in (eta, phi).  Pass ``centres`` to use the axis.

    Returns
    -------
    ndarray, shape (N, P, 2)
        Centred (eta, phi).

    Examples
    --------
    >>> p = centre_jets([[3.0, 1.0, 0.0]], [[[1.0, 3.1], [1.4, -3.1], [9.0, 9.0]]])
    >>> np.round(p, 4).tolist()
    [[[-0.1, -0.0208], [0.3, 0.0624], [0.0, 0.0]]]
    """
    weights, points, masks = check_jets(weights, points, "centre_jets", masks)
    if centres is None:
        centres = weighted_centroid(weights, points, masks)
    else:
        centres = check_array(centres, name="centres", func="centre_jets",
                              shape=(len(weights), 2))
    out = np.empty_like(points)
    out[..., 0] = points[..., 0] - centres[:, None, 0]
    out[..., 1] = wrap_phi(points[..., 1] - centres[:, None, 1])
    out[~masks] = 0.0
    return out


@contextlib.contextmanager
def _silenced_stdout():
    """Send file descriptor 1 to /dev/null: FastJet prints its banner there from C++, once per
    process, which would interleave with notebook output and progress bars.  FastJet and its
    authors are cited in the data card and in every generated file instead."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def import_fastjet():
    """Import FastJet with its one-time banner silenced (the citation is in the data card)."""
    import fastjet
    try:
        with _silenced_stdout():
            fastjet._swig.ClusterSequence.print_banner()
    except (AttributeError, OSError):    # a FastJet build without the SWIG layer: print it
        pass
    return fastjet


def n_subjettiness(weights, points, masks=None, *, n_axes=(1, 2, 3), beta: float = 1.0,
                   r0: float = 1.0, energies=None) -> np.ndarray:
    r"""Normalised N-subjettiness :math:`\tau_N` of each jet (Thaler and Van Tilburg 2011).

    .. math::
        \tau_N = \frac{\sum_k p_{T,k} \min_{j \le N} \Delta R_{jk}^{\beta}}
                      {\sum_k p_{T,k} R_0^{\beta}}

    with axes from one-pass minimisation seeded by exclusive-kT axes (FastJet contrib
    ``Nsubjettiness``, ``OnePass_KT_Axes`` with ``NormalizedMeasure``), and
    :math:`\Delta R^2 = \Delta y^2 + \Delta\phi^2`.  The ratio :math:`\tau_{21} = \tau_2/\tau_1` is
    small for two-pronged jets (W), :math:`\tau_{32}` for three-pronged ones (top).

    Parameters
    ----------
    weights : array, shape (N, P)
        pT of each particle, in any unit (the measure is normalised): pT or pT / H_T.
    points : array, shape (N, P, 2)
        (eta, phi) of each particle.
    masks : bool array, shape (N, P), optional
        Real particles; default ``weights > 0``.
    n_axes : sequence of int
        The N for which to compute :math:`\tau_N`.
    beta : float
        Angular exponent (1: the usual choice).
    r0 : float
        Characteristic radius; the jet radius, 1.0 for the papers' jets.
    energies : array, shape (N, P), optional
        Particle energies (then ``weights`` must be pT in the same unit); massless if omitted.

    Choosing parameters
    -------------------
    The defaults (beta = 1, R0 = 1.0, OnePass kT axes) are those of the ``tau`` dataset stored
    at generation time, which is computed from all constituents.  From the stored R = 0.07
    subjets the values come out lower, since the reclustering removes the spread of particles
    within 0.07 of each other, which is much of what tau_2 and tau_3 measure in a two-pronged
    jet (on W jets: median -8 % for tau_1, -37 % for tau_2).  Compare like with like.

    Returns
    -------
    ndarray, shape (N, len(n_axes))
        :math:`\tau_N`, 0 for a jet with at most N particles.

    Examples
    --------
    Two equal particles at Delta R = 0.4: the single best axis lies between them, so
    :math:`\tau_1 = 0.2`, and two axes fit them exactly, :math:`\tau_2 = 0`.

    >>> tau = n_subjettiness([[1.0, 1.0]], [[[0.0, 0.2], [0.0, -0.2]]], n_axes=(1, 2))
    >>> np.round(tau, 6).tolist()
    [[0.2, 0.0]]

    References
    ----------
    [1] J. Thaler and K. Van Tilburg, "Identifying boosted objects with N-subjettiness",
    JHEP 03 (2011) 015, Eq. (2)-(3).
    """
    func = "n_subjettiness"
    weights, points, masks = check_jets(weights, points, func, masks)
    n_axes = [check_int(n, name="n_axes", func=func, minimum=1) for n in np.atleast_1d(n_axes)]
    beta = check_positive(beta, name="beta", func=func)
    r0 = check_positive(r0, name="r0", func=func)
    if energies is not None:
        energies = check_array(energies, name="energies", func=func, shape=weights.shape)
    import awkward as ak
    fastjet = import_fastjet()
    keep = masks & (weights > 0)
    p4 = four_momenta(weights, points[..., 0], points[..., 1], energies)[keep]    # (M, 4)
    arr = ak.unflatten(ak.zip({"px": p4[:, 0], "py": p4[:, 1], "pz": p4[:, 2], "E": p4[:, 3]},
                              with_name="Momentum4D"), keep.sum(axis=1))
    # The jet definition is not used by N-subjettiness (it finds its own axes), but the
    # multi-event interface needs a clustering to hold the particles.
    cs = fastjet.ClusterSequence(arr, fastjet.JetDefinition(fastjet.antikt_algorithm, r0))
    tau = cs.njettiness(njets=n_axes, beta=beta, R0=r0)
    return np.asarray(ak.to_numpy(tau), dtype=np.float64).reshape(len(weights), len(n_axes))


def merge_nearby(weights, points, masks=None, *, radius: float = 0.02):
    r"""Merge particles closer than ``radius`` in (eta, phi), for drawing jets (ICLR Fig. 4).

    Greedy, hardest first: the hardest unmerged particle absorbs every unmerged particle within
    ``radius`` of it; the merged particle carries the summed weight at the weighted mean position

    .. math::
        w = \sum_{i \in C} w_i, \qquad x = \frac{\sum_{i\in C} w_i x_i}{w}

    (azimuths averaged as offsets from the hardest particle, then wrapped).

    Parameters
    ----------
    weights : array, shape (N, P)
        Non-negative weights; padding has weight 0.
    points : array, shape (N, P, 2)
        (eta, phi) of each particle.
    masks : bool array, shape (N, P), optional
        Real particles; default ``weights > 0``.
    radius : float
        Merging distance in (eta, phi); the ICLR figure merges within about 0.02.

    Returns
    -------
    weights : ndarray, shape (N, P)
        Merged weights, hardest first, zero-padded (the total weight of each jet is unchanged).
    points : ndarray, shape (N, P, 2)
        Their positions; padding at (0, 0).
    masks : ndarray of bool, shape (N, P)

    Examples
    --------
    >>> w, p, m = merge_nearby([[3.0, 1.0, 2.0]], [[[0.0, 0.0], [0.01, 0.0], [0.5, 0.5]]])
    >>> w.tolist(), np.round(p[0, :2], 4).tolist(), m.tolist()
    ([[4.0, 2.0, 0.0]], [[0.0025, 0.0], [0.5, 0.5]], [[True, True, False]])
    """
    func = "merge_nearby"
    weights, points, masks = check_jets(weights, points, func, masks)
    radius = check_positive(radius, name="radius", func=func, strict=False)
    n, p = weights.shape
    out_w = np.zeros((n, p))
    out_p = np.zeros((n, p, 2))
    out_m = np.zeros((n, p), dtype=bool)
    for j in range(n):                     # a display helper: a loop over a few jets is fine
        live = np.flatnonzero(masks[j] & (weights[j] > 0))
        live = live[np.argsort(-weights[j, live], kind="stable")]
        k = 0
        while live.size:
            seed = live[0]
            d_eta = points[j, live, 0] - points[j, seed, 0]
            d_phi = wrap_phi(points[j, live, 1] - points[j, seed, 1])
            near = np.hypot(d_eta, d_phi) < radius
            near[0] = True                 # the seed itself, also for radius = 0
            w = weights[j, live[near]]
            out_w[j, k] = w.sum()
            out_p[j, k, 0] = points[j, seed, 0] + np.dot(w, d_eta[near]) / w.sum()
            out_p[j, k, 1] = wrap_phi(points[j, seed, 1] + np.dot(w, d_phi[near]) / w.sum())
            out_m[j, k] = True
            live = live[~near]
            k += 1
        order = np.argsort(-out_w[j, :k], kind="stable")
        out_w[j, :k], out_p[j, :k] = out_w[j, order], out_p[j, order]
    return out_w, out_p, out_m


def rest_frame_angles(parent, daughter):
    r"""Decay angles (theta*, phi*) of ``daughter`` in the rest frame of ``parent``.

    The daughter is boosted into the parent's rest frame.  The polar angle is measured from the
    parent's flight direction :math:`\hat n`; the azimuth around it from the direction of
    increasing pseudorapidity:

    .. math::
        \cos\theta^* = \hat p^* \cdot \hat n, \qquad
        \phi^* = \operatorname{atan2}(\vec p^{\,*}\cdot\hat e_\phi,\; \vec p^{\,*}\cdot\hat e_\eta)

    with :math:`\hat e_\eta = (-\cos\theta\cos\phi, -\cos\theta\sin\phi, \sin\theta)` and
    :math:`\hat e_\phi = (-\sin\phi, \cos\phi, 0)` at the parent's direction
    :math:`(\theta, \phi)`.  A boost along :math:`\hat n` leaves the transverse components
    unchanged, so in the lab the daughter's prong sits at a displacement along
    :math:`(\cos\phi^*, \sin\phi^*)` in the jet's (eta, phi) plane: this is the orientation the
    VAE_cent latent plane maps (NeurIPS paper Fig. 2), and :math:`\theta^*` fixes the prong's
    momentum fraction :math:`z = (1 + \beta\cos\theta^*)/2`.

    Parameters
    ----------
    parent, daughter : arrays, shape (N, 4)
        Four-momenta (px, py, pz, E) in GeV.

    Returns
    -------
    theta : ndarray, shape (N,)
        In ``[0, pi]``.
    phi : ndarray, shape (N,)
        In ``(-pi, pi]``.

    Examples
    --------
    A W moving along +x (eta = phi = 0) whose quark is emitted along +z (towards larger eta)
    and along +y (larger phi) in its rest frame:

    >>> m, p = 80.0, 400.0
    >>> w = [[p, 0, 0, np.hypot(m, p)]] * 2
    >>> q = np.array([[0, 0, m / 2, m / 2], [0, m / 2, 0, m / 2]])
    >>> gamma, beta = np.hypot(m, p) / m, p / np.hypot(m, p)
    >>> q[:, 0], q[:, 3] = gamma * beta * q[:, 3], gamma * q[:, 3]   # boost along +x
    >>> theta, phi = rest_frame_angles(w, q)
    >>> np.round(theta, 6).tolist(), np.round(phi, 6).tolist()
    ([1.570796, 1.570796], [0.0, 1.570796])
    """
    func = "rest_frame_angles"
    parent = check_array(parent, name="parent", func=func, ndim=2)
    daughter = check_array(daughter, name="daughter", func=func, shape=parent.shape)
    if parent.shape[1] != 4:
        raise ValueError(f"{func}: `parent` must have shape (N, 4) (px, py, pz, E); "
                         f"got {parent.shape}.")
    pvec, e = parent[:, :3], parent[:, 3]
    m2 = e**2 - np.sum(pvec**2, axis=1)
    if np.any(m2 <= 0):
        raise ValueError(f"{func}: `parent` must be massive (E > |p|); jet "
                         f"{int(np.argmax(m2 <= 0))} has m^2 = {m2[m2 <= 0][0]:.3g} GeV^2.")
    b = pvec / e[:, None]                                   # (N, 3) velocity
    b2 = np.sum(b**2, axis=1)
    gamma = 1.0 / np.sqrt(1.0 - b2)
    q, qe = daughter[:, :3], daughter[:, 3]
    bq = np.sum(b * q, axis=1)
    # Lorentz boost by -b: p* = p + [(gamma - 1)/b^2 (b.p) - gamma E] b, and
    # (gamma - 1)/b^2 = gamma^2/(gamma + 1), which stays finite as b -> 0.
    q_star = q + (gamma**2 / (gamma + 1.0) * bq - gamma * qe)[:, None] * b
    n_hat = pvec / np.linalg.norm(pvec, axis=1, keepdims=True)
    theta_p = np.arccos(np.clip(n_hat[:, 2], -1.0, 1.0))
    phi_p = np.arctan2(n_hat[:, 1], n_hat[:, 0])
    e_eta = np.stack([-np.cos(theta_p) * np.cos(phi_p), -np.cos(theta_p) * np.sin(phi_p),
                      np.sin(theta_p)], axis=1)
    e_phi = np.stack([-np.sin(phi_p), np.cos(phi_p), np.zeros_like(phi_p)], axis=1)
    q_norm = np.linalg.norm(q_star, axis=1)
    cos_t = np.sum(q_star * n_hat, axis=1) / q_norm
    theta = np.arccos(np.clip(cos_t, -1.0, 1.0))
    phi = np.arctan2(np.sum(q_star * e_phi, axis=1), np.sum(q_star * e_eta, axis=1))
    return theta, phi
