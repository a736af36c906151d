r"""Analysis of jets as weighted point clouds: exact EMDs and plans, jet images, prongs, example
jets, the transformations behind the generative scales of ICLR Fig. 5, and the convergence of the
sharp Sinkhorn approximation against the exact EMD.

Jets are given as ``weights`` (N, P) (pT / H_T, padding 0) and ``points`` (N, P, 2) of
:math:`(\eta, \phi)`, as in :class:`latentdims.data.jets.JetSample`.  EMDs here are in units of
:math:`\Delta R` for unit total weight; multiply by :math:`H_T` [GeV] for the papers' GeV values
(ICLR paper, section "Data and architecture": pT is divided by :math:`H_T`).

:func:`energy_correlation_d2` measures two-prongness independently of the N-subjettiness the
example jets are selected on.

Used by notebooks 10-13 (samples, Fig. 4, Fig. 5, the EMD illustrations, Sinkhorn convergence) and
by the jet-VAE notebooks (jet images, example jets).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import tensorflow as tf

from latentdims.core.validation import check_array, check_choice, check_int, check_positive
from latentdims.data.jetobs import check_jets, weighted_centroid, wrap_phi
from latentdims.maths.sinkhorn import sinkhorn_emd

__all__ = ["ground_distance", "exact_emd", "ExactTransport", "exact_transport", "jet_images",
           "pixel_distance", "ProngSplit", "split_prongs", "prong_skeleton", "translate_jets",
           "rotate_jets", "rebalance_prongs", "GarbageTriplet", "garbage_triplet", "ExampleJets",
           "select_example_jets", "GenerativeScales", "generative_scales", "sinkhorn_errors", "M_W",
           "energy_correlation_d2"]

M_W = 80.4  # W mass [GeV] (PDG), the decay scale of ICLR Fig. 5


# --------------------------------------------------------------------------------------------
# exact EMD
def ground_distance(x_points, y_points) -> np.ndarray:
    r"""Pairwise :math:`\Delta R` between two batches of points, in NumPy (float64).

    .. math::
        M_{ij} = \sqrt{(\eta_i - \eta_j)^2 + \mathrm{wrap}(\phi_i - \phi_j)^2}

    The same ground distance as :func:`latentdims.maths.sinkhorn.delta_r`, without TensorFlow (cheap
    for the per-pair loops of the exact solver).

    Parameters
    ----------
    x_points, y_points : array, shape (..., n, 2) and (..., m, 2)

    Returns
    -------
    ndarray, shape (..., n, m)

    Examples
    --------
    >>> float(ground_distance([[0.0, 3.1]], [[0.0, -3.1]])[0, 0].round(6))
    0.083185
    """
    func = "ground_distance"
    x, y = (check_array(v, name=name, func=func) for v, name in ((x_points, "x_points"),
                                                                  (y_points, "y_points")))
    for name, v in (("x_points", x), ("y_points", y)):
        if v.ndim < 2 or v.shape[-1] != 2:
            raise ValueError(f"{func}: `{name}` must have shape (..., n, 2) with columns (eta, "
                             f"phi); got {v.shape}.")
    d_eta = x[..., :, None, 0] - y[..., None, :, 0]
    d_phi = wrap_phi(x[..., :, None, 1] - y[..., None, :, 1])
    return np.sqrt(d_eta**2 + d_phi**2)


def _check_pairs(x_weights, x_points, y_weights, y_points, func):
    xw, xp, _ = check_jets(x_weights, x_points, func)
    yw, yp, _ = check_jets(y_weights, y_points, func)
    if len(xw) != len(yw):
        raise ValueError(f"{func}: `x_weights` and `y_weights` must hold the same number of jets "
                         f"(pairs); got {len(xw)} and {len(yw)}.")
    for name, w in (("x_weights", xw), ("y_weights", yw)):
        total = w.sum(axis=1)
        if np.any(np.abs(total - 1) > 1e-6):
            k = int(np.argmax(np.abs(total - 1)))
            raise ValueError(f"{func}: each row of `{name}` must sum to 1 (pT / H_T); row {k} sums "
                             f"to {total[k]:.6g}. Divide by the row sums first.")
    return xw, xp, yw, yp


@dataclass(frozen=True)
class ExactTransport:
    """Result of :func:`exact_transport` for B pairs of jets with n and m particles.

    Attributes
    ----------
    cost : ndarray, shape (B,)
        The exact EMD :math:`\\langle P^*, M\\rangle` (units of :math:`\\Delta R`).
    plan : ndarray, shape (B, n, m)
        An optimal plan :math:`P^*` (network simplex).
    cost_matrix : ndarray, shape (B, n, m)
    point_gradient : ndarray, shape (B, n, 2)
        :math:`\\partial\\,\\mathrm{EMD}/\\partial x_i = \\sum_j P^*_{ij}(x_i - y_j)/M_{ij}`
        (the envelope theorem; exact where the optimal plan is unique).
    weight_gradient : ndarray, shape (B, n)
        The dual potential of ``x`` centred over its real particles (the gradient along the
        simplex; 0 at padding).
    """
    cost: np.ndarray
    plan: np.ndarray
    cost_matrix: np.ndarray
    point_gradient: np.ndarray
    weight_gradient: np.ndarray


def exact_transport(x_weights, x_points, y_weights, y_points) -> ExactTransport:
    r"""Exact EMD between B pairs of jets, with the optimal plan and the EMD's gradients.

    .. math::
        \mathrm{EMD}(a, x; b, y) = \min_{P \ge 0,\ P1 = a,\ P^T1 = b} \sum_{ij} P_{ij} M_{ij},
        \qquad M_{ij} = \Delta R(x_i, y_j)

    where :math:`a, b` are ``x_weights`` (B, n) and ``y_weights`` (B, m), each row summing to 1,
    and :math:`x, y` the (B, n, 2), (B, m, 2) points :math:`(\eta, \phi)`.  Solved pair by pair
    with POT's network simplex (``ot.emd``) on the real particles only.

    Returns
    -------
    ExactTransport

    Examples
    --------
    Half the weight moves by 0.1, so the EMD is 0.05:

    >>> res = exact_transport([[0.5, 0.5]], [[[0, 0], [0, 1]]], [[0.5, 0.5]], [[[0, 0], [0, 1.1]]])
    >>> round(float(res.cost[0]), 9), res.plan[0].tolist()
    (0.05, [[0.5, 0.0], [0.0, 0.5]])

    References
    ----------
    [1] Komiske, Metodiev, Thaler, "Metric space of collider events", PRL 123 (2019) 041801, Eq. 1.
    [2] Flamary et al., "POT: Python Optimal Transport", JMLR 22 (2021) (``ot.emd``).
    """
    xw, xp, yw, yp = _check_pairs(x_weights, x_points, y_weights, y_points, "exact_transport")
    return _solve_exact(xw, xp, yw, yp, gradients=True)


def _solve_exact(xw, xp, yw, yp, *, gradients):
    """The network-simplex loop behind :func:`exact_transport` and :func:`exact_emd`."""
    import ot   # POT is an optional extra (dev): imported only where an exact plan is solved

    m_all = ground_distance(xp, yp)
    plan = np.zeros_like(m_all) if gradients else None
    cost = np.zeros(len(xw))
    u_all = np.zeros_like(xw)
    for k in range(len(xw)):
        rx, ry = np.flatnonzero(xw[k] > 0), np.flatnonzero(yw[k] > 0)
        a, b = xw[k, rx], yw[k, ry]
        # renormalise against rounding so that the network simplex sees equal masses
        a, b = a / a.sum(), b / b.sum()
        m = np.ascontiguousarray(m_all[k][np.ix_(rx, ry)])
        p, log = ot.emd(a, b, m, log=True)
        cost[k] = float(log["cost"])
        if gradients:
            plan[k][np.ix_(rx, ry)] = p
            u_all[k, rx] = log["u"] - np.mean(log["u"])
    if not gradients:
        return cost
    # envelope theorem: d/dx_i sum_j P_ij |x_i - y_j| = sum_j P_ij (x_i - y_j) / M_ij
    diff = xp[:, :, None, :] - yp[:, None, :, :]
    diff[..., 1] = wrap_phi(diff[..., 1])
    safe = np.where(m_all > 0, m_all, 1.0)
    grad = np.sum((plan / safe)[..., None] * diff, axis=2)
    return ExactTransport(cost=cost, plan=plan, cost_matrix=m_all, point_gradient=grad,
                          weight_gradient=u_all)


def exact_emd(x_weights, x_points, y_weights, y_points) -> np.ndarray:
    r"""Exact EMD for B pairs of jets, shape (B,) (the ``cost`` of :func:`exact_transport`).

    Examples
    --------
    Two one-particle jets: the EMD is their distance.

    >>> exact_emd([[1.0]], [[[0.0, 0.0]]], [[1.0]], [[[0.3, 0.4]]]).round(9).tolist()
    [0.5]
    """
    xw, xp, yw, yp = _check_pairs(x_weights, x_points, y_weights, y_points, "exact_emd")
    return _solve_exact(xw, xp, yw, yp, gradients=False)


# --------------------------------------------------------------------------------------------
# jet images
def jet_images(weights, points, masks=None, *, n_pixels: int = 32, half_width: float = 1.0,
               centre=(0.0, 0.0)) -> np.ndarray:
    r"""Pixelise jets: the summed weight of the particles in each (eta, phi) pixel.

    .. math::
        I_{kl} = \sum_i w_i\, [\eta_i \in \text{bin}_k]\, [\phi_i \in \text{bin}_l]

    on a square window of ``n_pixels`` x ``n_pixels`` pixels of side
    :math:`2 h / n_\mathrm{pixels}` centred at ``centre``.

    Parameters
    ----------
    weights : array, shape (N, P)
        pT fractions (padding 0).
    points : array, shape (N, P, 2)
        (eta, phi).
    masks : bool array, shape (N, P), optional
    n_pixels : int
    half_width : float
        :math:`h`, half the window's side in eta and phi.
    centre : (eta, phi) or array of shape (N, 2) or None
        Window centre; None: each jet's pT-weighted centroid.  Azimuths are taken relative to it
        (wrapped), so a jet across :math:`\phi = \pi` is not cut in two.

    Returns
    -------
    ndarray, shape (N, n_pixels, n_pixels)
        Axis 1 is eta, axis 2 is phi.  Particles outside the window are dropped, so an image sums
        to less than 1 when the window is too small.

    Choosing parameters
    -------------------
    Jet images in the literature use pixels of about 0.1 x 0.1 (the calorimeter granularity) on
    a window of the jet radius (R = 1.0); the "jet images are garbage" panel uses finer pixels to
    show how the pixel metric ignores distances.

    Examples
    --------
    >>> img = jet_images([[0.75, 0.25]], [[[0.1, 0.1], [-0.9, 0.5]]], n_pixels=2)
    >>> img[0].tolist()
    [[0.0, 0.25], [0.0, 0.75]]
    """
    func = "jet_images"
    n_pixels = check_int(n_pixels, name="n_pixels", func=func, minimum=1)
    half_width = check_positive(half_width, name="half_width", func=func)
    w, p, m = check_jets(weights, points, func, masks)
    if centre is None:
        c = weighted_centroid(w, p, m)
    else:
        c = np.broadcast_to(check_array(centre, name="centre", func=func, ndim=(1, 2)),
                            (len(w), 2))
    rel_eta = p[..., 0] - c[:, None, 0]
    rel_phi = wrap_phi(p[..., 1] - c[:, None, 1])
    scale = n_pixels / (2 * half_width)
    k = np.floor((rel_eta + half_width) * scale).astype(int)
    l_ = np.floor((rel_phi + half_width) * scale).astype(int)
    keep = m & (k >= 0) & (k < n_pixels) & (l_ >= 0) & (l_ < n_pixels)
    images = np.zeros((len(w), n_pixels * n_pixels))
    jet = np.broadcast_to(np.arange(len(w))[:, None], w.shape)
    np.add.at(images, (jet[keep], k[keep] * n_pixels + l_[keep]), w[keep])
    return images.reshape(len(w), n_pixels, n_pixels)


def pixel_distance(images_a, images_b, *, norm: str = "l2") -> np.ndarray:
    r"""Pixel-wise distance between jet images, shape (N,).

    .. math::
        d_{L2} = \Big(\sum_{kl} (I^a_{kl} - I^b_{kl})^2\Big)^{1/2}, \qquad
        d_{L1} = \sum_{kl} |I^a_{kl} - I^b_{kl}|

    For images summing to 1, :math:`d_{L1} \le 2` with equality exactly when no pixel is lit in
    both ("maximally different" in the talks' "summed pixel intensity difference").

    Parameters
    ----------
    images_a, images_b : array, shape (N, H, W) or (H, W)
    norm : {'l2', 'l1'}

    Examples
    --------
    >>> float(pixel_distance([[1.0, 0.0]], [[0.0, 1.0]], norm="l1"))
    2.0
    """
    func = "pixel_distance"
    check_choice(norm, ("l2", "l1"), name="norm", func=func)
    a = check_array(images_a, name="images_a", func=func, ndim=(2, 3))
    b = check_array(images_b, name="images_b", func=func, ndim=(2, 3))
    if a.shape != b.shape:
        raise ValueError(f"{func}: `images_a` and `images_b` must have the same shape; got "
                         f"{a.shape} and {b.shape}.")
    d = (a - b).reshape(*a.shape[:-2], -1)
    return np.sum(np.abs(d), axis=-1) if norm == "l1" else np.sqrt(np.sum(d**2, axis=-1))


# --------------------------------------------------------------------------------------------
# prongs
@dataclass(frozen=True)
class ProngSplit:
    """Result of :func:`split_prongs` for N jets and K prongs.

    Attributes
    ----------
    labels : ndarray of int, shape (N, P)
        Prong of each particle (0: the hardest prong), -1 for padding.
    centres : ndarray, shape (N, K, 2)
        The pT-weighted (eta, phi) centre of each prong.
    fractions : ndarray, shape (N, K)
        The share of the jet's weight in each prong, decreasing.
    """
    labels: np.ndarray
    centres: np.ndarray
    fractions: np.ndarray

    @property
    def orientation(self) -> np.ndarray:
        r"""Angle of the axis from prong 0 to prong 1 in the (eta, phi) plane, in
        :math:`[-\pi, \pi)`, shape (N,)."""
        d = self.centres[:, 1] - self.centres[:, 0]
        return np.arctan2(wrap_phi(d[:, 1]), d[:, 0])

    @property
    def separation(self) -> np.ndarray:
        r""":math:`\Delta R` between prongs 0 and 1, shape (N,)."""
        return ground_distance(self.centres[:, :1], self.centres[:, 1:2])[:, 0, 0]


def split_prongs(weights, points, masks=None, *, n_prongs: int = 2, n_iter: int = 20,
                 min_separation: float = 0.1) -> ProngSplit:
    r"""Assign each particle to one of ``n_prongs`` prongs by pT-weighted k-means in (eta, phi).

    .. math::
        \min_{c_1..c_K} \sum_i w_i \min_k \Delta R(x_i, c_k)^2

    seeded with the hardest particle and then, greedily, the hardest particle farther than
    ``min_separation`` from the seeds so far (the two quarks of a W decay carry the hardest
    subjets, about :math:`2 m_W / p_T \approx 0.3` apart), then Lloyd iterations.

    Parameters
    ----------
    weights, points, masks : as in :func:`jet_images`
    n_prongs : int
    n_iter : int
        Lloyd iterations (a handful converge on two-prong jets).
    min_separation : float
        Smallest :math:`\Delta R` between seeds.  A jet with no particle that far out reuses the
        hardest unused particle.

    Returns
    -------
    ProngSplit
        Prongs ordered by decreasing weight.

    Examples
    --------
    >>> res = split_prongs([[0.5, 0.1, 0.4]], [[[0.0, 0.0], [0.02, 0.0], [0.3, 0.0]]])
    >>> res.labels.tolist(), res.fractions.round(3).tolist()
    ([[0, 0, 1]], [[0.6, 0.4]])
    """
    func = "split_prongs"
    n_prongs = check_int(n_prongs, name="n_prongs", func=func, minimum=1)
    n_iter = check_int(n_iter, name="n_iter", func=func, minimum=0)
    min_separation = check_positive(min_separation, name="min_separation", func=func, strict=False)
    w, p, m = check_jets(weights, points, func, masks)
    w = np.where(m, w, 0.0)
    n_jets = len(w)
    rows = np.arange(n_jets)
    # positions relative to the hardest particle, so azimuths never straddle the seam
    ref = p[rows, np.argmax(w, axis=1)]
    rel = p - ref[:, None, :]
    rel[..., 1] = wrap_phi(rel[..., 1])
    centres = np.zeros((n_jets, n_prongs, 2))
    free = m.copy()
    for k in range(n_prongs):
        if k:
            d = np.min(np.linalg.norm(rel[:, :, None, :] - centres[:, None, :k, :], axis=-1), axis=2)
            far = free & (d > min_separation)
            cand = np.where(np.any(far, axis=1)[:, None], far, free)
        else:
            cand = free
        pick = np.argmax(np.where(cand, w, -1.0), axis=1)
        centres[:, k] = rel[rows, pick]
        free[rows, pick] = False
    for _ in range(n_iter):
        d2 = np.sum((rel[:, :, None, :] - centres[:, None, :, :]) ** 2, axis=-1)   # (N, P, K)
        lab = np.argmin(d2, axis=2)
        onehot = (lab[..., None] == np.arange(n_prongs)) * w[..., None]            # (N, P, K)
        mass = onehot.sum(axis=1)                                                  # (N, K)
        new = np.einsum("npk,npd->nkd", onehot, rel) / np.where(mass > 0, mass, 1.0)[..., None]
        centres = np.where(mass[..., None] > 0, new, centres)
    d2 = np.sum((rel[:, :, None, :] - centres[:, None, :, :]) ** 2, axis=-1)
    lab = np.argmin(d2, axis=2)
    frac = np.stack([np.sum(np.where(lab == k, w, 0.0), axis=1) for k in range(n_prongs)], axis=1)
    order = np.argsort(-frac, axis=1, kind="stable")
    rank = np.argsort(order, axis=1)
    labels = np.where(m, np.take_along_axis(rank, lab, axis=1), -1)
    centres = np.take_along_axis(centres, order[..., None], axis=1) + ref[:, None, :]
    centres[..., 1] = wrap_phi(centres[..., 1])
    frac = np.take_along_axis(frac, order, axis=1) / w.sum(axis=1, keepdims=True)
    return ProngSplit(labels=labels, centres=centres, fractions=frac)


def prong_skeleton(weights, points, masks=None, *, n_prongs: int = 2):
    r"""Each jet reduced to its prongs: one particle per prong carrying the prong's weight at its
    pT-weighted centre (what is left when the spread of the shower is removed).

    Returns
    -------
    weights : ndarray, shape (N, n_prongs)
    points : ndarray, shape (N, n_prongs, 2)

    Examples
    --------
    >>> w, p = prong_skeleton([[0.5, 0.1, 0.4]], [[[0.0, 0.0], [0.06, 0.0], [0.3, 0.0]]])
    >>> w.round(3).tolist(), p.round(3).tolist()
    ([[0.6, 0.4]], [[[0.01, 0.0], [0.3, 0.0]]])
    """
    res = split_prongs(weights, points, masks, n_prongs=n_prongs)
    return res.fractions, res.centres


# --------------------------------------------------------------------------------------------
# transformations (ICLR Fig. 5)
def translate_jets(points, shift) -> np.ndarray:
    r"""Translate jets rigidly in the (eta, phi) plane: :math:`(\eta, \phi) \to (\eta + \delta\eta,
    \mathrm{wrap}(\phi + \delta\phi))`.

    For a translation by :math:`\Delta R = |\delta|` the exact EMD between a jet and its copy is
    :math:`\Delta R` (times :math:`H_T` in GeV): moving every particle by :math:`\delta` costs
    that, and no plan costs less, since :math:`\sum_{ij} P_{ij}|x_i - y_j| \ge
    |\sum_{ij} P_{ij}(x_i - y_j)| = |\bar x - \bar y|` (as long as no particle pair is closer the
    other way round the :math:`\phi` circle).

    Parameters
    ----------
    points : array, shape (N, P, 2)
    shift : array, shape (2,) or (N, 2)

    Examples
    --------
    >>> translate_jets([[[0.0, 3.0]]], [0.5, 0.5]).round(4).tolist()
    [[[0.5, -2.7832]]]
    """
    func = "translate_jets"
    p = check_array(points, name="points", func=func, shape=(None, None, 2))
    s = check_array(shift, name="shift", func=func, ndim=(1, 2))
    if s.shape not in ((2,), (len(p), 2)):
        raise ValueError(f"{func}: `shift` must have shape (2,) or ({len(p)}, 2) (d_eta, d_phi "
                         f"for all jets or for each); got {s.shape}.")
    out = p + np.broadcast_to(s, (len(p), 2))[:, None, :]
    out[..., 1] = wrap_phi(out[..., 1])
    return out


def rotate_jets(weights, points, angle, masks=None, *, centre=None) -> np.ndarray:
    r"""Rotate each jet (its particles in ``masks``) about a centre :math:`c` in the (eta, phi)
    plane, by default the pT-weighted centroid of those particles.

    .. math::
        x_i' = c + R(\alpha)(x_i - c)

    Rotating a two-prong jet rotates the decay plane's projection: the "rotations of the two
    major prongs" of the decay process (ICLR appendix A.1.1).

    Parameters
    ----------
    weights, points, masks : as in :func:`jet_images`
    angle : float or array, shape (N,)
        :math:`\alpha` in radians.
    centre : array, shape (2,) or (N, 2), optional
        :math:`c`; rotating only one prong (``masks``) about the jet's centre moves that prong.

    Examples
    --------
    >>> rotate_jets([[0.5, 0.5]], [[[0.0, -0.1], [0.0, 0.1]]], np.pi / 2).round(6).tolist()
    [[[0.1, 0.0], [-0.1, 0.0]]]
    """
    func = "rotate_jets"
    w, p, m = check_jets(weights, points, func, masks)
    a = np.broadcast_to(check_array(angle, name="angle", func=func, ndim=(0, 1)), (len(w),))
    if centre is None:
        c = weighted_centroid(w, p, m)
    else:
        c = np.broadcast_to(check_array(centre, name="centre", func=func, ndim=(1, 2)), (len(w), 2))
    rel = p - c[:, None, :]
    rel[..., 1] = wrap_phi(rel[..., 1])
    cos, sin = np.cos(a)[:, None], np.sin(a)[:, None]
    out = np.stack([c[:, None, 0] + cos * rel[..., 0] - sin * rel[..., 1],
                    c[:, None, 1] + sin * rel[..., 0] + cos * rel[..., 1]], axis=-1)
    out[..., 1] = wrap_phi(out[..., 1])
    return np.where(m[..., None], out, p)


def rebalance_prongs(weights, labels, z) -> np.ndarray:
    r"""Change the balance of two prongs: prong 0 carries ``z`` of the weight, prong 1 the rest.

    .. math::
        w_i' = w_i \, z / z_0 \ (i \in \text{prong } 0), \qquad
        w_i' = w_i \, (1 - z) / (1 - z_0) \ (\text{otherwise})

    where :math:`z_0` is prong 0's present share; the shape of each prong's shower is kept.  In a
    W decay :math:`z = (1 + \beta\cos\theta^*)/2` is set by the decay angle.

    Parameters
    ----------
    weights : array, shape (N, P), rows summing to 1
    labels : int array, shape (N, P)
        From :func:`split_prongs` (0: prong 0; anything else counts as prong 1; -1 padding).
    z : float or array, shape (N,), in (0, 1)

    Examples
    --------
    >>> rebalance_prongs([[0.6, 0.4]], [[0, 1]], 0.5).tolist()
    [[0.5, 0.5]]
    """
    func = "rebalance_prongs"
    w = check_array(weights, name="weights", func=func, ndim=2)
    lab = check_array(labels, name="labels", func=func, shape=w.shape)
    if np.any(lab != np.round(lab)):
        raise ValueError(f"{func}: `labels` must be integer prong labels (from split_prongs); "
                         f"got non-integer values such as {lab[lab != np.round(lab)][0]:g}.")
    lab = lab.astype(int)
    z = np.broadcast_to(check_array(z, name="z", func=func, ndim=(0, 1)), (len(w),))
    if np.any((z <= 0) | (z >= 1)):
        raise ValueError(f"{func}: `z` must lie in (0, 1); got values in [{z.min():.3g}, "
                         f"{z.max():.3g}].")
    in0 = lab == 0
    z0 = np.sum(np.where(in0, w, 0.0), axis=1)
    if np.any((z0 <= 0) | (z0 >= w.sum(axis=1))):
        k = int(np.argmax((z0 <= 0) | (z0 >= w.sum(axis=1))))
        raise ValueError(f"{func}: jet {k} does not have two non-empty prongs in `labels`; "
                         f"split it with split_prongs(n_prongs=2) first.")
    scale0, scale1 = z / z0, (1 - z) / (w.sum(axis=1) - z0)
    return w * np.where(in0, scale0[:, None], scale1[:, None])


@dataclass(frozen=True)
class GarbageTriplet:
    """Three jets for the talks' "jet images are garbage" panel (:func:`garbage_triplet`).

    Attributes
    ----------
    weights : ndarray, shape (3, P)
    points : ndarray, shape (3, P, 2)
        Jets (a), (b), (c) in that order.
    shift : float
        The displacement of (a) from (b) along eta.
    angle : float
        The rotation of (c)'s softer prong about the jet centre.
    """
    weights: np.ndarray
    points: np.ndarray
    shift: float
    angle: float


def garbage_triplet(weights, points, mask=None, *, n_pixels: int = 40, half_width: float = 0.8,
                    angle: float = np.pi / 2, max_steps: int = 50) -> GarbageTriplet:
    r"""Three jets whose pixel distances disagree with their EMDs ("jet images are garbage").

    From one jet (b): (a) is (b) translated along eta by the smallest whole number of pixels
    for which the two images share no lit pixel (pixel-wise maximally different, yet at EMD
    :math:`= \Delta R` of the shift); (c) is (b) with its softer prong (:func:`split_prongs`)
    rotated by ``angle`` about the jet's centroid: the harder prong's pixels are shared, so
    (b) and (c) are closer pixel-wise, but a whole prong moved by about its distance to the axis.

    Parameters
    ----------
    weights : array, shape (P,)
    points : array, shape (P, 2)
    mask : bool array, shape (P,), optional
    n_pixels, half_width : as in :func:`jet_images`
    angle : float
    max_steps : int
        Largest shift tried, in pixels.

    Returns
    -------
    GarbageTriplet
    """
    func = "garbage_triplet"
    w, p, m = check_jets(np.atleast_2d(weights), np.asarray(points, dtype=float)[None],
                          func, None if mask is None else np.atleast_2d(mask))
    pixel = 2 * half_width / n_pixels
    img_b = jet_images(w, p, m, n_pixels=n_pixels, half_width=half_width, centre=None)
    centre = weighted_centroid(w, p, m)
    for step in range(1, max_steps + 1):
        moved = translate_jets(p, [step * pixel, 0.0])
        img_a = jet_images(w, moved, m, n_pixels=n_pixels, half_width=half_width, centre=centre)
        if not np.any((img_a > 0) & (img_b > 0)):
            break
    else:
        raise ValueError(f"{func}: no shift up to {max_steps} pixels separates the images; "
                         f"increase `max_steps` (got {max_steps}).")
    prongs = split_prongs(w, p, m)
    rotated = rotate_jets(w, p, angle, m & (prongs.labels == 1), centre=centre)
    return GarbageTriplet(weights=np.concatenate([w, w, w]),
                          points=np.concatenate([moved, p, rotated]),
                          shift=step * pixel, angle=float(angle))


# --------------------------------------------------------------------------------------------
# example jets (ICLR Fig. 4)
@dataclass(frozen=True)
class ExampleJets:
    """Indices chosen by :func:`select_example_jets` and why.

    Attributes
    ----------
    two_prong_a, two_prong_b, third_prong : int
        Jets in the sample: two-pronged with the prong axis along eta (a) and along phi (b), and
        one with a prominent third prong.
    rule : str
        The selection rule in words (for the notebook's text).
    """
    two_prong_a: int
    two_prong_b: int
    third_prong: int
    rule: str

    @property
    def indices(self) -> list:
        return [self.two_prong_a, self.two_prong_b, self.third_prong]


def select_example_jets(weights, points, tau, masks=None, *, quantile: float = 0.2) -> ExampleJets:
    r"""Choose the three example W jets of ICLR Fig. 4 by a stated rule.

    With :math:`\tau_{21} = \tau_2/\tau_1`, :math:`\tau_{32} = \tau_3/\tau_2` (N-subjettiness of all
    constituents) and the orientation :math:`\alpha` of the axis joining the two prongs
    (:func:`split_prongs`):

    * two-pronged: :math:`\tau_{21}` in the lowest ``quantile`` and :math:`\tau_{32}` above its
      median; among those, (a) the jet with the most nearly equal prongs whose axis lies within
      :math:`\pi/8` of the eta axis, (b) likewise within :math:`\pi/8` of the phi axis;
    * a prominent third prong: :math:`\tau_{21}` below its median (two hard prongs) and the lowest
      :math:`\tau_{32}` (a third prong fits the radiation far better than two axes do).

    Parameters
    ----------
    weights, points, masks : as in :func:`jet_images`
    tau : array, shape (N, 3)
        :math:`\tau_1, \tau_2, \tau_3` (``JetSample.tau``).
    quantile : float
        Fraction of jets, by lowest :math:`\tau_{21}`, that count as clean two-pronged.

    Returns
    -------
    ExampleJets
    """
    func = "select_example_jets"
    w, p, m = check_jets(weights, points, func, masks)
    t = check_array(tau, name="tau", func=func, shape=(len(w), 3))
    q = check_positive(quantile, name="quantile", func=func)
    with np.errstate(divide="ignore", invalid="ignore"):
        t21 = np.where(t[:, 0] > 0, t[:, 1] / t[:, 0], np.inf)
        t32 = np.where(t[:, 1] > 0, t[:, 2] / t[:, 1], np.inf)
    prongs = split_prongs(w, p, m)
    alpha = prongs.orientation
    balance = np.abs(prongs.fractions[:, 0] - 0.5)
    clean = (t21 <= np.quantile(t21, min(q, 1.0))) & (t32 > np.median(t32))
    along_eta = np.abs(np.sin(alpha)) < np.sin(np.pi / 8)
    along_phi = np.abs(np.cos(alpha)) < np.sin(np.pi / 8)
    picks = []
    for sel in (clean & along_eta, clean & along_phi):
        if not np.any(sel):
            raise ValueError(f"{func}: no clean two-pronged jet with the required orientation among "
                             f"{len(w)} jets; pass more jets or a larger `quantile` (got {q}).")
        picks.append(int(np.flatnonzero(sel)[np.argmin(balance[sel])]))
    hard2 = t21 < np.median(t21)
    third = int(np.flatnonzero(hard2)[np.argmin(t32[hard2])])
    rule = (f"two-pronged: tau21 in the lowest {q:.0%} and tau32 above its median, the most "
            f"balanced prongs with the prong axis within pi/8 of the eta (left) or phi (centre) "
            f"axis; third prong (right): tau21 below its median and the lowest tau32")
    return ExampleJets(two_prong_a=picks[0], two_prong_b=picks[1], third_prong=third, rule=rule)


# --------------------------------------------------------------------------------------------
# generative scales (ICLR Fig. 5)
@dataclass(frozen=True)
class GenerativeScales:
    """EMDs [GeV] between jets and their transformed copies (:func:`generative_scales`).

    Attributes
    ----------
    translation : ndarray, shape (N,)
        Jet vs the same jet moved to another jet's (eta, phi) position.
    translation_delta_r : ndarray, shape (N,)
        The :math:`\\Delta R` of each translation (so ``translation / (ht * delta_r)`` checks the
        exact value 1).
    translation_dphi : ndarray, shape (N,)
        The wrapped :math:`\\delta\\phi` of each translation.
    rotation : ndarray, shape (N,)
        Jet vs the jet rotated about its centroid by another jet's prong orientation minus its own.
    rebalance : ndarray, shape (N,)
        Jet vs the jet with its prongs rebalanced to another jet's prong share.
    decay : ndarray, shape (N,)
        Jet vs the jet with both (the decay redone as another jet's).
    shower : ndarray, shape (N,)
        Jet vs its two-prong skeleton (:func:`prong_skeleton`).
    ht : ndarray, shape (N,)
        :math:`H_T` [GeV] of each jet.
    """
    translation: np.ndarray
    translation_delta_r: np.ndarray
    translation_dphi: np.ndarray
    rotation: np.ndarray
    rebalance: np.ndarray
    decay: np.ndarray
    shower: np.ndarray
    ht: np.ndarray


def generative_scales(weights, points, ht, masks=None, *, seed: int = 0) -> GenerativeScales:
    r"""EMD scales of the generative processes of W jets, computed on real jets (ICLR Fig. 5).

    For each jet :math:`x` and a partner jet :math:`x'` drawn at random from the same set,

    .. math::
        \mathrm{EMD}_\mathrm{GeV}(x, T x) = H_T\, \mathrm{EMD}(x, Tx)

    with the exact EMD (:func:`exact_emd`) and the transformations

    * production, :math:`T` = translation to :math:`x'`'s centroid (exactly :math:`H_T\Delta R`);
    * decay, :math:`T` = rotation about the centroid by :math:`\alpha' - \alpha` (the prong
      orientations) and/or rebalancing to :math:`x'`'s prong share (:func:`rebalance_prongs`):
      the decay redone with :math:`x'`'s angles, expected :math:`\sim m_W`;
    * showering, :math:`T` = the two-prong skeleton (:func:`prong_skeleton`): the cost of the
      spread of particles around the prongs, "up to ~10 GeV".

    Parameters
    ----------
    weights, points, masks : as in :func:`jet_images`, *uncentred* jets (their positions give the
        translations).  Rows of ``weights`` sum to 1.
    ht : array, shape (N,)
        :math:`H_T` [GeV].
    seed : int
        Seed of the partner draw.

    Returns
    -------
    GenerativeScales

    References
    ----------
    ICLR 2022 workshop paper, appendix A.1.1 and Fig. 5.
    """
    func = "generative_scales"
    w, p, m = check_jets(weights, points, func, masks)
    ht = check_array(ht, name="ht", func=func, shape=(len(w),))
    if len(w) < 2:
        raise ValueError(f"{func}: need at least 2 jets to draw partners; got {len(w)}.")
    rng = np.random.default_rng(seed)
    partner = (np.arange(len(w)) + rng.integers(1, len(w), len(w))) % len(w)   # never itself
    c = weighted_centroid(w, p, m)
    shift = c[partner] - c
    shift[:, 1] = wrap_phi(shift[:, 1])
    moved = translate_jets(p, shift)
    prongs = split_prongs(w, p, m)
    turn = prongs.orientation[partner] - prongs.orientation
    rotated = rotate_jets(w, p, turn, m)
    z_new = np.clip(prongs.fractions[partner, 0], 0.5, 0.99)
    rebalanced = rebalance_prongs(w, prongs.labels, z_new)
    sk_w, sk_p = prong_skeleton(w, p, m)
    return GenerativeScales(
        translation=ht * exact_emd(w, p, w, moved),
        translation_delta_r=np.hypot(shift[:, 0], shift[:, 1]),
        translation_dphi=shift[:, 1],
        rotation=ht * exact_emd(w, p, w, rotated),
        rebalance=ht * exact_emd(w, p, rebalanced, p),
        decay=ht * exact_emd(w, p, rebalanced, rotated),
        shower=ht * exact_emd(w, p, sk_w, sk_p),
        ht=ht)


# --------------------------------------------------------------------------------------------
# Sinkhorn convergence against the exact EMD
def sinkhorn_errors(x_weights, x_points, y_weights, y_points, *, eps_ends, iters_per_eps,
                    n_eps=10, eps_start: float = 1.0, jit_compile: bool = True, extra=()):
    r"""Errors of the sharp Sinkhorn EMD and of its gradients against the exact EMD, over a grid
    of schedules.

    .. math::
        e_\mathrm{cost} = \frac{|\hat S - \mathrm{EMD}|}{\mathrm{EMD}}, \qquad
        e_x = \frac{\lVert \nabla_x \hat S - \nabla_x \mathrm{EMD}\rVert}
                   {\lVert \nabla_x \mathrm{EMD}\rVert}, \qquad
        e_w = \frac{\lVert \Pi\nabla_w \hat S - \Pi\nabla_w \mathrm{EMD}\rVert}
                   {\lVert \Pi\nabla_w \mathrm{EMD}\rVert}

    per pair, where :math:`\hat S` is :func:`latentdims.maths.sinkhorn.sinkhorn_emd` with
    :math:`\varepsilon` falling from ``eps_start`` to ``eps_end`` in ``n_eps`` log-uniform steps of
    ``iters_per_eps`` iterations, the exact gradients come from :func:`exact_transport` (plan and
    dual potentials), and :math:`\Pi` centres over the jet's real particles (the simplex
    tangent).  The position gradient is also checked against central finite differences of the
    sharp cost itself along a random direction :math:`d` (each pair's own),

    .. math::
        e_\mathrm{fd} = \frac{|\nabla_x \hat S \cdot d - (\hat S(x + hd) - \hat S(x - hd))/2h|}
                             {|(\hat S(x + hd) - \hat S(x - hd))/2h|}, \qquad h = 10^{-6}.

    Parameters
    ----------
    x_weights, x_points, y_weights, y_points : arrays, shapes (B, n), (B, n, 2), (B, m), (B, m, 2)
    eps_ends, iters_per_eps : sequences
        The grid (every combination).
    n_eps : int
        Scales per schedule (the paper's 10).
    eps_start : float
    jit_compile : bool
        As in :func:`sinkhorn_emd`.
    extra : sequence of dict
        Further schedules ``{"eps_end": ..., "n_eps": ..., "iters_per_eps": ...}`` to add.

    Returns
    -------
    pandas.DataFrame
        One row per schedule: ``eps_end, n_eps, iters_per_eps, iterations, mean_rel_error,
        median_rel_error, max_rel_error, mean_signed_error, point_grad_error, weight_grad_error``
        ``point_fd_error`` (the gradient errors are medians over pairs).

    Examples
    --------
    >>> from latentdims.maths.sinkhorn import toy_two_prong_jets
    >>> j = toy_two_prong_jets(4, 10, seed=0)
    >>> df = sinkhorn_errors(j[:2, :, 0], j[:2, :, 1:], j[2:, :, 0], j[2:, :, 1:], eps_ends=[1e-3],
    ...                      iters_per_eps=[20], n_eps=20, jit_compile=False)
    >>> bool(df.mean_rel_error[0] < 0.01)
    True
    """
    func = "sinkhorn_errors"
    xw, xp, yw, yp = _check_pairs(x_weights, x_points, y_weights, y_points, func)
    exact = exact_transport(xw, xp, yw, yp)
    real = xw > 0
    schedules = [dict(eps_end=float(e), n_eps=int(n_eps), iters_per_eps=int(i))
                 for e in eps_ends for i in iters_per_eps] + [dict(s) for s in extra]
    unique = []
    for s in schedules:   # an extra schedule may repeat a grid point: solve it once
        if s not in unique:
            unique.append(s)
    schedules = unique
    tw, tp = tf.constant(xw), tf.constant(xp)
    # one random unit direction per pair, on its real particles; h small against Delta R ~ 0.01-1
    direction = np.random.default_rng(0).normal(size=xp.shape) * real[..., None]
    direction /= np.linalg.norm(direction, axis=(1, 2), keepdims=True)
    h = 1e-6
    rows = []
    for s in schedules:
        def solve(points):
            return sinkhorn_emd(tw, points, yw, yp, eps_start=eps_start, jit_compile=jit_compile, **s)

        with tf.GradientTape() as tape:
            tape.watch([tw, tp])
            cost = solve(tp)
            total = tf.reduce_sum(cost)   # pairs are independent: one backward pass for all
        gw, gp = (g.numpy() for g in tape.gradient(total, [tw, tp]))
        cost = cost.numpy()
        fd = (solve(xp + h * direction).numpy() - solve(xp - h * direction).numpy()) / (2 * h)
        fd_err = np.abs(np.sum(gp * direction, axis=(1, 2)) - fd) / np.abs(fd)
        rel = (cost - exact.cost) / exact.cost
        gp_err = (np.linalg.norm((gp - exact.point_gradient) * real[..., None], axis=(1, 2))
                  / np.linalg.norm(exact.point_gradient * real[..., None], axis=(1, 2)))
        gw = np.where(real, gw - np.sum(gw * real, 1, keepdims=True) / real.sum(1, keepdims=True), 0)
        gw_err = (np.linalg.norm(gw - exact.weight_gradient, axis=1)
                  / np.linalg.norm(exact.weight_gradient, axis=1))
        rows.append({**s, "iterations": s["n_eps"] * s["iters_per_eps"],
                     "mean_rel_error": float(np.mean(np.abs(rel))),
                     "median_rel_error": float(np.median(np.abs(rel))),
                     "max_rel_error": float(np.max(np.abs(rel))),
                     "mean_signed_error": float(np.mean(rel)),
                     "point_grad_error": float(np.median(gp_err)),
                     "weight_grad_error": float(np.median(gw_err)),
                     "point_fd_error": float(np.median(fd_err))})
    return pd.DataFrame(rows)


def energy_correlation_d2(weights, points, *, beta: float = 1.0, chunk: int = 1000) -> np.ndarray:
    r"""The energy-correlation ratio :math:`D_2^{(\beta)} = e_3 / e_2^3` of each jet, shape (N,).

    .. math::
        e_2 = \sum_{i<j} z_i z_j \Delta R_{ij}^\beta, \qquad
        e_3 = \sum_{i<j<k} z_i z_j z_k (\Delta R_{ij} \Delta R_{ik} \Delta R_{jk})^\beta

    with :math:`z_i` the weights (pT / H_T; padding has weight 0).  Low :math:`D_2` means two
    prongs (Larkoski, Moult and Neill 2014): a measure of two-prongness independent of the
    N-subjettiness that :func:`select_example_jets` selects on.  Computed as
    :math:`e_3 = \mathrm{tr}((ZM)^3)/6` with :math:`M_{ij} = \Delta R_{ij}^\beta` (zero diagonal),
    ``chunk`` jets at a time.  A jet with fewer than two particles has :math:`D_2 = \infty`.

    Examples
    --------
    Three equal particles on a line, 0.1 apart: :math:`e_2 = 0.4/9`, :math:`e_3 = 0.002/27`.

    >>> float(energy_correlation_d2([[1/3, 1/3, 1/3]], [[[0, 0], [0.1, 0], [0.2, 0]]])[0].round(6))
    0.84375
    """
    func = "energy_correlation_d2"
    w = np.asarray(weights, dtype=np.float64)
    p = np.asarray(points, dtype=np.float64)
    if w.ndim != 2 or p.shape != w.shape + (2,):
        raise ValueError(f"{func}: `weights` must have shape (N, P) and `points` (N, P, 2); got "
                         f"{w.shape} and {p.shape}.")
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(p))) or np.any(w < 0):
        raise ValueError(f"{func}: `weights` must be finite and non-negative and `points` "
                         f"finite; clean the jets first.")
    chunk = check_int(chunk, name="chunk", func=func, minimum=1)
    out = np.empty(len(w))
    for lo in range(0, len(w), chunk):
        z, m = w[lo:lo + chunk], ground_distance(p[lo:lo + chunk], p[lo:lo + chunk]) ** beta
        zm = z[:, :, None] * m
        e2 = 0.5 * np.einsum("np,npq,nq->n", z, m, z)
        e3 = np.einsum("npq,nqp->n", zm @ zm, zm) / 6.0
        with np.errstate(divide="ignore", invalid="ignore"):
            out[lo:lo + chunk] = np.where(e2 > 0, e3 / np.where(e2 > 0, e2, 1.0) ** 3, np.inf)
    return out
