r"""Sharp Sinkhorn approximation of the Earth Mover's Distance between jets, in float64.

The reconstruction loss of the jet VAE (ICLR paper Eq. 1 and appendix A.1.3; NeurIPS paper Eq. 1)
is the *sharp* Sinkhorn cost :math:`\hat S = \langle P_\varepsilon, M\rangle`: the transport cost
of the entropic optimal plan :math:`P_\varepsilon`, without the entropy term (Luise et al. 2018),
between two weighted point clouds in the :math:`(\eta, \phi)` plane with ground distance
:math:`\Delta R = \sqrt{\Delta\eta^2 + \Delta\phi^2}` (:math:`\Delta\phi` wrapped to
:math:`[-\pi, \pi)`).

How it is computed, and why:

* **epsilon-scaling** (Kosowsky & Yuille 1994; Schmitzer 2016): :math:`\varepsilon` falls
  log-uniformly from ``eps_start`` to ``eps_end`` (the paper: 1 to 0.01 in ten steps, ten Sinkhorn
  iterations each), each step starting from the previous step's potentials.  Few iterations at
  each scale give a much better plan at the final :math:`\varepsilon` than the same number at a
  fixed small :math:`\varepsilon`.
* **kernel-domain iterations with absorption** (Schmitzer 2016, Sec. 3): the dual potentials
  :math:`(f, g)` are kept in the log domain and absorbed into a stabilised kernel
  :math:`\tilde K_{ij} = \exp((f_i + g_j - M_{ij})/\varepsilon)` once per scale (and whenever the
  scalings leave :math:`[10^{-100}, 10^{100}]`); the iterations in between are plain
  matrix-vector products with :math:`\tilde K`.  A log-sum-exp at every iteration would cost one
  exponential per matrix entry per iteration, and on a CPU one exponential pass costs as much as
  ~12 matrix-vector products; absorbing costs one exponential pass per scale.  Float64 gives the
  scalings the range (:math:`10^{\pm 308}`) that makes a whole scale safe between absorptions
  ("double precision is required", ICLR A.1.3).  When the potentials are too far from a scale
  for that (a first scale at a small :math:`\varepsilon`, a huge step between scales), the
  absorption is preceded by one log-domain iteration, so that any schedule is safe.
* **explicit gradient** (``tf.custom_gradient``), because autodiff through the loop "was
  unstable" (ICLR A.1.3) and would store every iterate: positions by the envelope theorem (the
  gradient of :math:`\langle \mathrm{stop\_gradient}(P), M(x, y)\rangle`), weights by the closed
  form of Luise et al. 2018, Thm 2, obtained with one Cholesky solve per pair.

Everything is TensorFlow ops on whole batches (no NumPy or Python loop over pairs), so the same
code runs eagerly, inside ``tf.function``, under XLA (``jit_compile=True``) and on a GPU.  The
solver and the gradient's assembly are XLA-compiled by the library (once per input shape); on a
CPU a batch is solved in chunks of about 32 pairs, whose kernels stay in the L2 cache, each chunk
a separate call that TensorFlow runs side by side on the CPU cores inside a traced graph; the
gradient takes the whole batch, and its Cholesky factorisation runs on TensorFlow's own kernel
(XLA:CPU's is ~50 times slower).  A GPU takes the whole batch at once
(``sinkhorn_emd(..., chunk_size=None)`` does so on any device).

Inputs are checked once per call, before the solver: eagerly with NumPy (``ValueError`` naming the
first bad entry), inside a traced graph with one ``tf.debugging`` op per input tensor
(``tf.errors.InvalidArgumentError`` naming the function, the argument and the remedy).  XLA
compiles those ops away, so under a caller's ``jit_compile=True`` a batch with a bad value gets
NaN costs instead (and :func:`delta_r` keeps NaN coordinates NaN), never a finite wrong number.
``sinkhorn_emd(..., invalid="nan")`` asks for NaN costs in every mode, for training loops that
recover from non-finite losses.

Public API: :func:`sinkhorn_emd` (the loss), :func:`sinkhorn_plan` (its companion returning the
plan and diagnostics), :func:`eps_schedule`, :func:`delta_r` and :func:`wrap_phi` (the ground
distance), :func:`pairwise_emd` (all pairs of a set of jets), :func:`toy_two_prong_jets`
(synthetic W-like jets for tests and illustrations) and, re-exported from
:mod:`latentdims.maths.dimensionality`, :func:`correlation_dimension` (ICLR Eq. 3).
"""
from __future__ import annotations

import math
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import tensorflow as tf
from scipy.spatial.distance import squareform
from tqdm.auto import tqdm

from latentdims.core.validation import check_choice, check_finite, check_int, check_positive
from latentdims.core.sweeps import cpu_cores
from latentdims.maths.dimensionality import correlation_dimension

__all__ = ["sinkhorn_emd", "sinkhorn_plan", "SinkhornPlan", "eps_schedule", "delta_r",
           "wrap_phi", "pairwise_emd", "toy_two_prong_jets", "correlation_dimension"]

_F64 = tf.float64
# Scalings outside [1/_SCALE_BOUND, _SCALE_BOUND] trigger an early absorption: their products
# with kernel entries (<= 1) then stay far inside float64's range (1e308).
_SCALE_BOUND = 1e100
# Exponents are clamped here (exp(700) ~ 1e304 is finite); only hopeless potentials reach it.
_MAX_EXPONENT = 700.0
# Kernel row sums are floored here so that 1 / (K v) stays finite.
_TINY = 1e-300
# Ridge added to the (unit-scaled) linear system of the weight gradient: it keeps the Cholesky
# factorisation defined when rounding makes a nearly disconnected plan's system indefinite, and is
# far below the spectral gap of any plan whose weight gradient is well defined.
_RIDGE = 1e-12
# Default tolerance on |sum(weights) - 1| (float32 softmax outputs of 50 particles sum to 1 within
# a few 1e-7).
_SUM_TOL = 1e-5
# Pairs per chunk on a CPU: 32 kernels of 50 x 50 float64 (640 kB) stay in L2 through the
# iterations (measured: 0.24 ms a pair in chunks of 16-64 against 1.3 ms for 1000 pairs at once).
_CPU_CHUNK = 32


# The library's TensorFlow code is written with explicit tf.while_loop / tf.cond: AutoGraph must
# not re-convert it when a caller's tf.function traces it (that takes seconds and buys nothing).
_not_autograph = tf.autograph.experimental.do_not_convert


# --------------------------------------------------------------------------------------------
# Ground distance
# --------------------------------------------------------------------------------------------
def _checked_finite(t: tf.Tensor, name: str, func: str) -> tf.Tensor:
    """``t``, refused when it holds NaN or infinite values.

    Eagerly: ``ValueError`` naming the first bad entry.  In a traced graph: a
    ``tf.debugging.check_numerics`` of ``t`` (one cheap op, run before ``t`` is used), which
    raises ``tf.errors.InvalidArgumentError`` with the same function, argument and remedy.  XLA
    (``jit_compile=True``) compiles the check away; the ground distance is then NaN wherever a
    coordinate is (:func:`_safe_norm`), and :func:`sinkhorn_emd` sets its costs to NaN.
    """
    if tf.executing_eagerly():
        check_finite(t.numpy(), name=name, func=func)
        return t
    check = tf.debugging.check_numerics(
        tf.stop_gradient(t), f"{func}: `{name}` must be finite (checked inside a traced graph: "
        f"tf.function). Remove or impute the NaN or infinite values before the call")
    with tf.control_dependencies([check]):
        return tf.identity(t)


def _wrap(dphi):
    # floor rather than floormod: the same result, and several times faster under XLA:CPU.
    wrapped = dphi - (2 * math.pi) * tf.floor((dphi + math.pi) * (1 / (2 * math.pi)))
    # Rounding can leave a value one ulp outside [-pi, pi); fold it back.
    return tf.where(wrapped >= math.pi, wrapped - 2 * math.pi, wrapped)


@_not_autograph
def wrap_phi(dphi):
    r"""Wrap azimuthal differences to :math:`[-\pi, \pi)`.

    .. math::
        \mathrm{wrap}(\Delta\phi) = \left((\Delta\phi + \pi) \bmod 2\pi\right) - \pi

    Parameters
    ----------
    dphi : tensor or array, any shape
        Differences of azimuthal angles in radians.

    Returns
    -------
    tf.Tensor, same shape, float64

    Raises
    ------
    ValueError
        NaN or infinite angles, when called eagerly.
    tf.errors.InvalidArgumentError
        The same, inside a traced graph (``tf.function``).

    Examples
    --------
    >>> wrap_phi([3 * np.pi / 2, -np.pi, np.pi]).numpy() / np.pi
    array([-0.5, -1. , -1. ])
    """
    return _wrap(_checked_finite(_as_float64(dphi, "dphi", "wrap_phi"), "dphi", "wrap_phi"))


def _safe_norm(d_eta, d_phi):
    """sqrt(d_eta^2 + d_phi^2) whose gradient is 0 (not NaN) where both vanish, and that stays
    NaN where a difference is NaN (a mask on ``r2 > 0`` alone would turn NaN into 0)."""
    r2 = d_eta * d_eta + d_phi * d_phi
    pos = r2 > 0
    norm = tf.where(pos, tf.sqrt(tf.where(pos, r2, tf.ones_like(r2))), tf.zeros_like(r2))
    return tf.where(tf.math.is_nan(r2), r2, norm)


def _differences(x_points, y_points):
    """Pairwise (d_eta, wrapped d_phi), each (..., n, m)."""
    d_eta = x_points[..., :, None, 0] - y_points[..., None, :, 0]
    d_phi = _wrap(x_points[..., :, None, 1] - y_points[..., None, :, 1])
    return d_eta, d_phi


def _delta_r(x_points, y_points):
    """:func:`delta_r` without the checks (the solver's inputs are checked once, up front)."""
    return _safe_norm(*_differences(x_points, y_points))


@_not_autograph
def delta_r(x_points, y_points):
    r"""Pairwise ground distances :math:`\Delta R` between points in :math:`(\eta, \phi)`.

    .. math::
        M_{ij} = \Delta R(x_i, y_j) = \sqrt{(\eta_i - \eta_j)^2 + \mathrm{wrap}(\phi_i - \phi_j)^2}

    where
        - :math:`x` : (..., n, 2) points :math:`(\eta, \phi)`, radians for :math:`\phi`;
        - :math:`y` : (..., m, 2) points, with the same leading (batch) dimensions;
        - :math:`\mathrm{wrap}` maps to :math:`[-\pi, \pi)` (:func:`wrap_phi`).

    Parameters
    ----------
    x_points : tensor or array, shape (..., n, 2)
    y_points : tensor or array, shape (..., m, 2)

    Returns
    -------
    tf.Tensor, shape (..., n, m), float64
        Dimensionless (radians); its gradient is 0 rather than NaN at coincident points.

    Raises
    ------
    ValueError
        A bad shape; NaN or infinite coordinates when called eagerly.
    tf.errors.InvalidArgumentError
        NaN or infinite coordinates inside a traced graph (``tf.function``).  Under XLA
        (``jit_compile=True``) TensorFlow drops the check, and those distances are NaN.

    Examples
    --------
    Two points across :math:`\phi = \pi` are close:

    >>> float(delta_r([[0.0, 3.1]], [[0.0, -3.1]])[0, 0])  # doctest: +ELLIPSIS
    0.0831853...
    """
    checked = []
    for name, pts in (("x_points", x_points), ("y_points", y_points)):
        pts = _as_float64(pts, name, "delta_r")
        if pts.shape.rank is not None and (pts.shape.rank < 2 or pts.shape[-1] not in (2, None)):
            raise ValueError(f"delta_r: `{name}` must have shape (..., n, 2) with columns "
                             f"(eta, phi); got {tuple(pts.shape)}.")
        checked.append(_checked_finite(pts, name, "delta_r"))
    return _delta_r(*checked)


# --------------------------------------------------------------------------------------------
# The solver (pure TensorFlow; runs eagerly, in graphs and under XLA)
# --------------------------------------------------------------------------------------------
def _log_where(mask, x):
    """log(x) where mask, 0 elsewhere (no -inf, no NaN in either branch)."""
    return tf.where(mask, tf.math.log(tf.where(mask, x, tf.ones_like(x))), tf.zeros_like(x))


def _chunks(n_pairs: int, chunk: int) -> tuple[int, int]:
    """(number of chunks, pairs per chunk): balanced, 100 pairs -> 4 chunks of 25, not 32."""
    n_chunks = -(-n_pairs // chunk)
    return n_chunks, -(-n_pairs // n_chunks)


def _split(tensors, n_pairs: int, n_chunks: int, chunk: int) -> list[list[tf.Tensor]]:
    """Each tensor cut into ``n_chunks`` pieces of ``chunk`` pairs along axis 0; the last piece is
    padded with copies of the first pair (their results are cut off by the caller), so that
    every piece has the same shape and one compiled solver serves them all."""
    pad = n_chunks * chunk - n_pairs
    pieces = []
    for i in range(n_chunks):
        lo, hi = i * chunk, min((i + 1) * chunk, n_pairs)
        row = []
        for t in tensors:
            piece = t[lo:hi]
            if hi - lo < chunk:
                piece = tf.concat([piece, tf.repeat(t[:1], pad, axis=0)], 0)
            row.append(piece)
        pieces.append(row)
    return pieces


def _chunked_forward(batch_fn):
    """The solver on the whole batch (``chunk=None``), or on consecutive chunks of ``chunk`` pairs.

    On a CPU the kernels of a few dozen pairs (20 kB each for 50 x 50 particles) stay in the
    L2 cache through all the iterations, which makes the matrix-vector products 2-3 times faster
    than streaming a batch of 1000 from memory at every iteration.  The chunks are independent
    calls of the same compiled solver: inside a traced graph (a training step) TensorFlow runs
    them side by side on the CPU cores.  A GPU wants the whole batch.
    """
    def forward(a, x, b, y, sched, chunk=None):
        n_pairs = a.shape[0]
        if chunk is None or n_pairs is None or n_pairs <= chunk:
            return batch_fn(a, x, b, y, sched)
        n_chunks, chunk = _chunks(n_pairs, chunk)
        outs = [batch_fn(*piece, sched) for piece in _split((a, x, b, y), n_pairs, n_chunks,
                                                            chunk)]
        cost, pi, f, g = (tf.concat([o[k] for o in outs], 0)[:n_pairs] for k in range(4))
        return (cost, pi, f, g, tf.reduce_max(tf.stack([o[4] for o in outs])),
                tf.reduce_sum(tf.stack([o[5] for o in outs])))
    return forward


def _forward_batch(a, x, b, y, sched):
    """Epsilon-scaling Sinkhorn with absorption; returns (cost, pi, f, g, n_absorb, n_rescue).

    Shapes: a (B, n), x (B, n, 2), b (B, m), y (B, m, 2); sched a _Schedule.  pi (B, n, m) is the
    row-conditional plan, P = a[:, :, None] * pi: each row of pi sums to 1, also for zero-weight
    rows, where it is the conditional that a unit of mass placed there would follow.  (f, g) are
    the potentials of P (f = 0 on zero-weight rows); n_absorb counts kernel rebuilds and n_rescue
    those that needed the log-domain rescue.

    Internally the row potentials are kept "per unit mass" (h = f - eps log a, defined for every
    row): the kernel exp((h_i + g_j - M_ij) / eps) then has rows summing to about 1, padding rows
    included, and its entries stay <= ~1 from one scale to the next.
    """
    cost_matrix = _delta_r(x, y)                                  # (B, n, m)
    live_a, live_b = a > 0, b > 0
    live_cols = tf.cast(live_b, _F64)[:, None, :]                 # (B, 1, m)
    minus_inf = tf.constant(-np.inf, _F64)
    log_a = tf.where(live_a, _log_where(live_a, a), minus_inf)    # -inf on padding rows
    log_b = _log_where(live_b, b)
    mask_cols = tf.where(live_b, tf.zeros_like(b), minus_inf)[:, None, :]

    def kernel(h, g, eps):
        # The one exponential pass of an absorption, fused by XLA with the subtraction.  The
        # clamp only acts on hopeless potentials, which the checks in absorb() then reject.
        z = (h[:, :, None] + g[:, None, :] - cost_matrix) * (1.0 / eps)
        return tf.exp(tf.minimum(z, _MAX_EXPONENT)) * live_cols

    def log_domain_iteration(h, g, eps):
        # One Sinkhorn iteration by log-sum-exp, valid for any potentials: afterwards every kernel
        # row sums to 1 and every live column carries mass >= b_j * min(a).
        zc = log_a[:, :, None] + (h[:, :, None] - cost_matrix) / eps
        g = tf.where(live_b, eps * (log_b - tf.reduce_logsumexp(zc, axis=1)), tf.zeros_like(b))
        zr = (g[:, None, :] - cost_matrix) / eps + mask_cols
        return -eps * tf.reduce_logsumexp(zr, axis=2), g

    def first_iteration(k):
        # Right after an absorption u = v = 1, so the first column update divides by the column
        # masses K^T a.
        col = tf.linalg.matvec(k, a, transpose_a=True)            # (B, m)
        v = tf.math.divide_no_nan(b, col)
        u = 1.0 / tf.maximum(tf.linalg.matvec(k, v), _TINY)
        return col, u, v

    def absorb(h, g, eps):
        k = kernel(h, g, eps)
        col, u, v = first_iteration(k)
        # The rebuilt kernel is usable if every live column has mass (within 1e+-100 of b_j) and
        # the first row scalings stay within [1e-100, 1e100].
        col_ok = tf.where(live_b, (col > 0) & (col >= b * (1 / _SCALE_BOUND))
                          & (col <= b * _SCALE_BOUND), True)
        fine = tf.reduce_all(col_ok) & bounded(u, v)

        def rescue():
            # Potentials far from this scale (first scale at a small eps, a huge step in eps,
            # or scalings that drifted): rebuild from a log-domain iteration.
            h2, g2 = log_domain_iteration(h, g, eps)
            k2 = kernel(h2, g2, eps)
            return (h2, g2, k2) + first_iteration(k2)[1:] + (tf.constant(1),)
        return tf.cond(fine, lambda: (h, g, k, u, v, tf.constant(0)), rescue)

    def bounded(u, v):
        v_in = tf.where(live_b, v, tf.ones_like(v))
        return ((tf.reduce_max(u) < _SCALE_BOUND) & (tf.reduce_min(u) > 1 / _SCALE_BOUND)
                & (tf.reduce_max(v_in) < _SCALE_BOUND) & (tf.reduce_min(v_in) > 1 / _SCALE_BOUND))

    def kernel_iterations(k, u, v, n_iter):
        # Plain Sinkhorn on P = diag(a u) K diag(v), continuing from the absorption's first
        # iteration; the row update treats every row as carrying unit mass (u = 1 / K v), so that
        # padding rows keep their conditional, while the column update weighs rows by a.
        def body(j, u, v):
            v = tf.math.divide_no_nan(b, tf.linalg.matvec(k, a * u, transpose_a=True))
            u = 1.0 / tf.maximum(tf.linalg.matvec(k, v), _TINY)
            return j + 1, u, v

        return tf.while_loop(lambda j, u, v: (j < n_iter) & bounded(u, v), body,
                             (tf.constant(1), u, v))

    def stage_body(k, n_absorb, n_rescue, h, g, kern, u, v):
        eps = sched.eps(k)

        def chunk_body(t, n_absorb, n_rescue, h, g, kern, u, v):
            h, g, kern, u, v, rescued = absorb(h, g, eps)
            n_iter = tf.minimum(sched.absorb_every, sched.iters_per_eps - t)
            j, u, v = kernel_iterations(kern, u, v, n_iter)
            h = h + eps * tf.math.log(u)
            g = g + eps * _log_where(live_b, tf.maximum(v, _TINY))
            return t + j, n_absorb + 1, n_rescue + rescued, h, g, kern, u, v

        out = tf.while_loop(lambda t, *_: t < sched.iters_per_eps, chunk_body,
                            (tf.constant(0), n_absorb, n_rescue, h, g, kern, u, v))
        return (k + 1,) + tuple(out[1:])

    shape = tf.stack([tf.shape(a)[0], tf.shape(a)[1], tf.shape(b)[1]])
    zero = tf.constant(0)
    _, n_absorb, n_rescue, h, g, kern, u, v = tf.while_loop(
        lambda k, *_: k < sched.n_eps, stage_body,
        (zero, zero, zero, tf.zeros_like(a), tf.zeros_like(b), tf.zeros(shape, _F64),
         tf.ones_like(a), tf.ones_like(b)))
    pi = u[:, :, None] * kern * v[:, None, :]                    # rows sum to 1
    cost = tf.reduce_sum(a * tf.linalg.matvec(pi * cost_matrix, tf.ones_like(b)), axis=1)
    f = tf.where(live_a, h + sched.eps_end * _log_where(live_a, a), tf.zeros_like(a))
    return cost, pi, f, g, n_absorb, n_rescue


def _gradient_system(d_cost, a, x, b, y, pi):
    """Everything of the gradient that does not need the linear solve.

    Weights (Luise et al. 2018, Thm 2): with the plan P = diag(a) pi at convergence, the Lagrange
    multipliers (lam_f, lam_g) of the marginal constraints of <P, M> solve
    [[D_a, P], [P^T, D_b]] [lam_f; lam_g] = [P M 1; P^T M 1] up to a common constant, and
    d<P, M>/da = lam_f, d<P, M>/db = lam_g.  Eliminating lam_f = rho - pi lam_g leaves the m x m
    Schur complement (D_col - P^T pi) lam_g = rhs, whose null vector is 1.  Scaled by D_col^-1/2
    on both sides it becomes I - N (N symmetric, spectrum in [0, 1]) with null vector
    s = sqrt(col), |s| = 1; adding s s^T makes it positive definite without changing the solution
    (rhs is orthogonal to s).  Columns without mass get identity rows.

    Points (envelope theorem): d<P, M>/dx_i = sum_j P_ij (x_i - y_j) / M_ij with P held fixed.

    Returns the (B, m, m) system, its (B, m, 1) right-hand side, rho (B, n), the scaling
    1/sqrt(col) (B, m), and the point gradients (B, n, 2), (B, m, 2) times d_cost.
    """
    # Row and column sums are written as products with vectors: XLA:CPU runs those several times
    # faster than reductions of (B, n, m) arrays.
    d_eta, d_phi = _differences(x, y)
    cost_matrix = _safe_norm(d_eta, d_phi)                        # (B, n, m)
    ones = tf.ones_like(b)
    col = tf.linalg.matvec(pi, a, transpose_a=True)               # (B, m) ~ b
    live = col > 0
    s = tf.where(live, tf.sqrt(tf.where(live, col, tf.ones_like(col))), tf.zeros_like(col))
    inv_s = tf.math.divide_no_nan(tf.ones_like(s), s)
    pi_cost = pi * cost_matrix
    rho = tf.linalg.matvec(pi_cost, ones)                         # (B, n) mean cost of row i
    rhs = (tf.linalg.matvec(pi_cost, a, transpose_a=True)         # (B, m): P^T M 1 - P^T rho
           - tf.linalg.matvec(pi, a * rho, transpose_a=True))
    gram = tf.matmul(a[:, :, None] * pi, pi, transpose_a=True)    # (B, m, m) = P^T pi
    system = (tf.eye(tf.shape(b)[1], batch_shape=tf.shape(b)[:1], dtype=_F64) * (1.0 + _RIDGE)
              - inv_s[:, :, None] * gram * inv_s[:, None, :] + s[:, :, None] * s[:, None, :])
    pull = tf.math.divide_no_nan(pi, cost_matrix)                 # (B, n, m): P_ij / (a_i M_ij)
    pull_eta, pull_phi = pull * d_eta, pull * d_phi
    weights = a * d_cost[:, None]
    grad_x = weights[:, :, None] * tf.stack([tf.linalg.matvec(pull_eta, ones),
                                             tf.linalg.matvec(pull_phi, ones)], axis=-1)
    grad_y = -tf.stack([tf.linalg.matvec(pull_eta, weights, transpose_a=True),
                        tf.linalg.matvec(pull_phi, weights, transpose_a=True)], axis=-1)
    return system, (inv_s * rhs)[:, :, None], rho, inv_s, grad_x, grad_y


def _solve_spd(system, rhs):
    # Kept out of the XLA clusters on purpose: XLA:CPU's batched Cholesky is ~50x slower than
    # TensorFlow's own kernel for (100, 50, 50) float64; on a GPU either is fast.
    return tf.linalg.cholesky_solve(tf.linalg.cholesky(system), rhs)


def _gradient_finish(d_cost, a, x, b, y, pi, f, eps, mu, rho, inv_s):
    """Weight gradients from the solution mu of the system, projected on the simplex."""
    lam_g = inv_s * mu[:, :, 0]                                   # (B, m), 0 on dead columns
    lam_f = rho - tf.linalg.matvec(pi, lam_g)                     # (B, n), also for padding rows
    live = inv_s > 0

    def dead_columns():
        # A column without mass: lam_g_j = E[M_ij - lam_f_i] under the column conditional that a
        # unit of mass at y_j would follow (softmax over live rows of (f_i - M_ij) / eps).
        cost_matrix = _delta_r(x, y)
        z = (f[:, :, None] - cost_matrix) / eps
        z = tf.where((a > 0)[:, :, None], z, tf.constant(-np.inf, _F64))
        cond_col = tf.nn.softmax(z, axis=1)
        value = tf.reduce_sum(cond_col * (cost_matrix - lam_f[:, :, None]), axis=1)
        return tf.where(live, lam_g, value)
    lam_g = tf.cond(tf.reduce_all(live), lambda: lam_g, dead_columns)
    # Project on the tangent space of the simplex (sum of the gradient = 0), as in Luise et al.
    grad_a = lam_f - tf.reduce_mean(lam_f, axis=1, keepdims=True)
    grad_b = lam_g - tf.reduce_mean(lam_g, axis=1, keepdims=True)
    return d_cost[:, None] * grad_a, d_cost[:, None] * grad_b


def _xla(fn):
    # No reduce_retracing: XLA compiles once per concrete shape in any case (the chunks of a
    # batch share one shape, the last one being padded).
    return tf.function(fn, jit_compile=True, autograph=False)


def _chunk_size(chunk_size="auto") -> int | None:
    """Pairs per solver chunk: ``"auto"``, a cache-sized chunk on a CPU and the whole batch
    (None) on a GPU; otherwise ``chunk_size`` itself (None: the whole batch)."""
    if chunk_size == "auto":
        return None if tf.config.list_logical_devices("GPU") else _CPU_CHUNK
    return chunk_size


def _check_chunk_size(chunk_size, func: str):
    if chunk_size is None or (isinstance(chunk_size, str) and chunk_size == "auto"):
        return chunk_size
    if isinstance(chunk_size, (bool, np.bool_)) or not isinstance(chunk_size, (int, np.integer)):
        raise TypeError(f"{func}: `chunk_size` must be 'auto', None (the whole batch at once) or "
                        f"an integer >= 1; got {chunk_size!r}.")
    if chunk_size < 1:
        raise ValueError(f"{func}: `chunk_size` must be 'auto', None (the whole batch at once) "
                         f"or an integer >= 1; got {chunk_size!r}.")
    return int(chunk_size)


@dataclass(frozen=True)
class _Solver:
    """The solver's pieces, either XLA-compiled or plain (eager when called eagerly)."""
    forward_fn: object
    system: object
    spd_solve: object
    finish: object

    def forward(self, a, x, b, y, sched, chunk_size="auto"):
        return self.forward_fn(a, x, b, y, sched, _chunk_size(chunk_size))

    def backward(self, d_cost, a, x, b, y, pi, f, eps):
        # The whole batch at once: its steps are few and large (one Cholesky factorisation of
        # (B, m, m) costs less than one per chunk).
        system, rhs, rho, inv_s, grad_x, grad_y = self.system(d_cost, a, x, b, y, pi)
        mu = self.spd_solve(system, rhs)
        grad_a, grad_b = self.finish(d_cost, a, x, b, y, pi, f, eps, mu, rho, inv_s)
        return grad_a, grad_x, grad_b, grad_y


# Compiled versions, traced once per input shape (a cache, like functools.lru_cache).
_COMPILED = _Solver(forward_fn=_chunked_forward(_xla(_forward_batch)),
                    system=_xla(_gradient_system), spd_solve=_solve_spd,
                    finish=_xla(_gradient_finish))
_PLAIN = _Solver(forward_fn=_chunked_forward(_forward_batch), system=_gradient_system,
                 spd_solve=_solve_spd, finish=_gradient_finish)


def _solvers(jit_compile: bool) -> _Solver:
    return _COMPILED if jit_compile else _PLAIN


# --------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------
def eps_schedule(eps_start: float = 1.0, eps_end: float = 0.01, n_eps: int = 10, *,
                 func: str = "eps_schedule") -> np.ndarray:
    r"""The log-uniform :math:`\varepsilon` schedule, shape (n_eps,).

    .. math::
        \varepsilon_k = \varepsilon_{\rm start}
        \left(\varepsilon_{\rm end}/\varepsilon_{\rm start}\right)^{k/(K-1)}, \quad k = 0..K-1

    ``n_eps = 1`` runs at the fixed ``eps_end`` (``eps_start`` is then ignored).

    Examples
    --------
    >>> eps_schedule(1.0, 0.01, 3)
    array([1.  , 0.1 , 0.01])
    """
    eps_start = check_positive(eps_start, name="eps_start", func=func)
    eps_end = check_positive(eps_end, name="eps_end", func=func)
    n_eps = check_int(n_eps, name="n_eps", func=func, minimum=1)
    if n_eps == 1:
        return np.array([eps_end])
    if eps_end > eps_start:
        raise ValueError(f"{func}: `eps_end` must not exceed `eps_start` (epsilon decreases); got "
                         f"eps_start={eps_start!r}, eps_end={eps_end!r}.")
    return np.geomspace(eps_start, eps_end, n_eps)


def _as_float64(value, name: str, func: str) -> tf.Tensor:
    """Cast real numbers to a float64 tensor; refuse other kinds (TypeError)."""
    if isinstance(value, (tf.Tensor, tf.Variable)):
        dtype = value.dtype
        if not (dtype.is_floating or dtype.is_integer) or dtype.is_complex or dtype == tf.bool:
            raise TypeError(f"{func}: `{name}` must hold real numbers (float64 preferred; other "
                            f"real dtypes are cast to float64); got dtype {dtype.name}.")
        return tf.cast(value, _F64)
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists, objects
        raise TypeError(f"{func}: `{name}` must be an array of real numbers; got "
                        f"{type(value).__name__} ({exc}).") from exc
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{func}: `{name}` must hold real numbers (float64 preferred; other real "
                        f"dtypes are cast to float64); got dtype {arr.dtype}.")
    return tf.constant(arr, _F64)


def _require_eager(func: str) -> None:
    if not tf.executing_eagerly():
        raise RuntimeError(f"{func} returns NumPy arrays and must be called eagerly, not inside "
                           f"tf.function; in a traced graph use sinkhorn_emd.")


def _check_values(weights: np.ndarray, points: np.ndarray, wname: str, pname: str, func: str,
                  normalize: bool) -> None:
    check_finite(weights, name=wname, func=func)
    check_finite(points, name=pname, func=func)
    if weights.size and weights.min() < 0:
        pair, slot = np.unravel_index(np.argmin(weights), weights.shape)
        raise ValueError(f"{func}: `{wname}` must be non-negative; got {weights.min():.3g} in pair "
                         f"{pair} (slot {slot}). Padding slots should carry weight 0.")
    sums = weights.sum(axis=1)
    if np.any(sums <= 0):
        pair = int(np.argmax(sums <= 0))
        raise ValueError(f"{func}: `{wname}` of pair {pair} are all zero; every cloud needs a "
                         f"positive total weight.")
    if not normalize and np.any(np.abs(sums - 1) > _SUM_TOL):
        pair = int(np.argmax(np.abs(sums - 1)))
        raise ValueError(f"{func}: `{wname}` must sum to 1 in every pair (within {_SUM_TOL:g}); "
                         f"pair {pair} sums to {sums[pair]:.6g}. Divide by the sum (pT / H_T) "
                         f"or pass normalize=True.")


def _weights_ok(w: tf.Tensor, normalize: bool) -> tuple[tf.Tensor, tf.Tensor]:
    """Pair sums (B,) and whether each pair's weights pass :func:`_check_values`' rules (B,)."""
    total = tf.reduce_sum(w, axis=1)
    ok = tf.reduce_all(tf.math.is_finite(w) & (w >= 0), axis=1) & (total > 0)
    if not normalize:
        ok &= tf.abs(total - 1) <= _SUM_TOL
    return total, ok


def _graph_checked_weights(w: tf.Tensor, name: str, func: str,
                           normalize: bool) -> tuple[tf.Tensor, tf.Tensor]:
    """The checks of :func:`_check_values` on weights (B, n) inside a traced graph: one
    assertion, run before the weights are used, raising ``tf.errors.InvalidArgumentError``.

    Returns the weights and whether they pass (a scalar): XLA (``jit_compile=True``) compiles
    assertions away, and the solver would take NaN weights for padding (a cost of 0), so
    :func:`sinkhorn_emd` sets the costs of a failing batch to NaN itself.
    """
    total, ok = _weights_ok(w, normalize)
    rule = "finite, non-negative, with a positive sum in every pair"
    if not normalize:
        rule = (f"finite, non-negative and sum to 1 in every pair (within {_SUM_TOL:g}; divide by "
                f"the sum, pT / H_T, or pass normalize=True)")
    check = tf.debugging.Assert(
        tf.reduce_all(ok),
        [f"{func}: `{name}` must be {rule}. Checked inside a traced graph (tf.function); call "
         f"{func} eagerly on the same values for the first bad entry. First bad pair, smallest "
         f"weight, smallest and largest pair sums:",
         # static shapes only (no tf.where of indices, which would sync a GPU every step)
         tf.reduce_min(tf.where(ok, tf.shape(ok)[0], tf.range(tf.shape(ok)[0]))),
         tf.reduce_min(w), tf.reduce_min(total), tf.reduce_max(total)])
    with tf.control_dependencies([check]):
        return tf.identity(w), tf.reduce_all(ok)


def _prepare(x_weights, x_points, y_weights, y_points, *, func: str, normalize: bool,
             allow_single: bool = False, invalid: str = "raise"):
    """Validate and convert; returns float64 tensors (a, x, b, y), whether a batch was given, and
    whether the values pass the checks: a scalar tensor in a traced graph or with
    ``invalid="nan"``, None where bad values have raised here (eagerly)."""
    tensors = {name: _as_float64(v, name, func) for name, v in
               (("x_weights", x_weights), ("x_points", x_points),
                ("y_weights", y_weights), ("y_points", y_points))}
    batched = True
    if allow_single and tensors["x_weights"].shape.rank == 1:
        batched = False
        tensors = {k: v[None] for k, v in tensors.items()}
    for side in ("x", "y"):
        w, p = tensors[f"{side}_weights"], tensors[f"{side}_points"]
        if w.shape.rank != 2:
            hint = " or (n,) for one pair" if allow_single else "; add a batch axis, e.g. w[None]"
            raise ValueError(f"{func}: `{side}_weights` must have shape (B, n){hint}; got "
                             f"{tuple(w.shape)}.")
        if (p.shape.rank != 3 or p.shape[-1] not in (2, None)
                or not p.shape[:2].is_compatible_with(w.shape)):
            raise ValueError(f"{func}: `{side}_points` must have shape (B, n, 2) = "
                             f"{(*tuple(w.shape), 2)} to match `{side}_weights` (columns eta, "
                             f"phi); got {tuple(p.shape)}.")
        if w.shape[1] == 0:
            raise ValueError(f"{func}: `{side}_weights` must have at least one point; got shape "
                             f"{tuple(w.shape)}.")
    bx, by = tensors["x_weights"].shape[0], tensors["y_weights"].shape[0]
    if bx is not None and by is not None and bx != by:
        raise ValueError(f"{func}: `x_weights` and `y_weights` must hold the same number of pairs "
                         f"B; got {bx} and {by}.")
    valid = []
    for side in ("x", "y"):
        wname, pname = f"{side}_weights", f"{side}_points"
        if invalid == "nan":
            valid += [tf.reduce_all(_weights_ok(tensors[wname], normalize)[1]),
                      tf.reduce_all(tf.math.is_finite(tensors[pname]))]
        elif tf.executing_eagerly():
            _check_values(tensors[wname].numpy(), tensors[pname].numpy(), wname, pname, func,
                          normalize)
        else:
            tensors[wname], ok = _graph_checked_weights(tensors[wname], wname, func, normalize)
            tensors[pname] = _checked_finite(tensors[pname], pname, func)
            valid += [ok, tf.reduce_all(tf.math.is_finite(tensors[pname]))]
    out = []
    for side in ("x", "y"):
        w = tensors[f"{side}_weights"]
        total = tf.reduce_sum(w, axis=1, keepdims=True)
        # normalize=True: differentiate through w / sum(w).  Otherwise the sum is 1 within
        # _SUM_TOL and dividing by it (without gradient) makes the two marginals exactly equal,
        # which Sinkhorn's fixed point needs.
        out.append(w / (total if normalize else tf.stop_gradient(total)))
        out.append(tensors[f"{side}_points"])
    a, x, b, y = out
    return a, x, b, y, batched, (tf.reduce_all(tf.stack(valid)) if valid else None)


class _Schedule(NamedTuple):
    """The epsilon schedule and iteration counts as scalar tensors: one compiled solver serves
    every schedule for a given input shape."""
    eps_start: tf.Tensor        # float64
    eps_end: tf.Tensor          # float64
    n_eps: tf.Tensor            # int32
    iters_per_eps: tf.Tensor    # int32
    absorb_every: tf.Tensor     # int32

    def eps(self, k):
        """eps_k of :func:`eps_schedule` (the last one exactly eps_end)."""
        steps = tf.cast(tf.maximum(self.n_eps - 1, 1), _F64)
        log_ratio = tf.math.log(self.eps_end / self.eps_start)
        inner = self.eps_start * tf.exp(tf.cast(k, _F64) / steps * log_ratio)
        return tf.where(k >= self.n_eps - 1, self.eps_end, inner)


def _check_schedule(eps_start, eps_end, n_eps, iters_per_eps, absorb_every, func) -> _Schedule:
    schedule = eps_schedule(eps_start, eps_end, n_eps, func=func)
    iters_per_eps = check_int(iters_per_eps, name="iters_per_eps", func=func, minimum=1)
    absorb_every = check_int(absorb_every, name="absorb_every", func=func, minimum=1)
    return _Schedule(tf.constant(schedule[0], _F64), tf.constant(schedule[-1], _F64),
                     tf.constant(len(schedule), tf.int32), tf.constant(iters_per_eps, tf.int32),
                     tf.constant(absorb_every, tf.int32))


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------
@_not_autograph
def sinkhorn_emd(x_weights, x_points, y_weights, y_points, *, eps_start: float = 1.0,
                 eps_end: float = 0.01, n_eps: int = 10, iters_per_eps: int = 10,
                 normalize: bool = False, absorb_every: int = 20,
                 jit_compile: bool = True, invalid: str = "raise",
                 chunk_size: int | str | None = "auto") -> tf.Tensor:
    r"""Sharp Sinkhorn approximation of the EMD for a batch of pairs of jets (differentiable).

    .. math::
        \hat S(a, x; b, y) = \langle P_\varepsilon, M \rangle = \sum_{ij} P_{ij} \Delta R(x_i, y_j),
        \qquad
        P_\varepsilon = \operatorname*{argmin}_{P \ge 0,\ P 1 = a,\ P^T 1 = b}
        \langle P, M\rangle + \varepsilon \sum_{ij} P_{ij} \log P_{ij}

    where
        - :math:`a` : ``x_weights``, (B, n), non-negative, each row summing to 1 (pT / H_T);
        - :math:`x` : ``x_points``, (B, n, 2), :math:`(\eta, \phi)` in radians;
        - :math:`b, y` : ``y_weights`` (B, m) and ``y_points`` (B, m, 2), likewise;
        - :math:`M_{ij} = \Delta R(x_i, y_j)` (:func:`delta_r`, :math:`\Delta\phi` wrapped);
        - :math:`\varepsilon` : the entropic regulator, falling from ``eps_start`` to ``eps_end``
          (same units as :math:`\Delta R`).

    :math:`\hat S` is in units of :math:`\Delta R` for unit total weight; multiply by
    :math:`H_T` (GeV) for the papers' GeV values.  Zero weights are padding: such points carry no
    mass and contribute nothing, whatever their position.

    Parameters
    ----------
    x_weights, y_weights : tensor or array, shape (B, n) and (B, m)
    x_points, y_points : tensor or array, shape (B, n, 2) and (B, m, 2)
        Any real dtype; computed in float64 (other dtypes are cast, and gradients flow back
        through the cast).
    eps_start, eps_end : float
        First and last regulator of the log-uniform schedule (:func:`eps_schedule`).
    n_eps : int
        Number of scales (1: a fixed ``eps_end``).
    iters_per_eps : int
        Sinkhorn iterations at each scale.
    normalize : bool
        False: each cloud's weights must sum to 1 (within 1e-5), else ``ValueError``.  True: the
        weights are divided by their sum, and the gradient is that of the normalised cost.
    absorb_every : int
        At most this many kernel iterations between absorptions (an absorption also happens at
        every new scale and whenever the scalings leave [1e-100, 1e100]).
    jit_compile : bool
        Run the solver and its gradient as XLA-compiled functions (fast; one compilation per
        input shape).  False runs the same ops as they are (eagerly when called eagerly).
    invalid : {"raise", "nan"}
        What bad values (NaN or infinite entries, negative or all-zero weights, sums off 1)
        give: ``"raise"``, errors (below); ``"nan"``, NaN costs for the whole batch, eagerly and
        in graphs, without host-side checks: for a training loop that checks its data once and
        recovers from non-finite losses (a diverging decoder's outputs).
    chunk_size : "auto", None or int
        How many pairs the solver takes at once.  ``"auto"`` (the default): balanced chunks of
        at most 32 pairs on a CPU (their kernels stay in the L2 cache), the whole batch where
        TensorFlow sees a GPU.  None: the whole batch on any device (what a GPU runs, e.g. to
        test that path on a CPU); an integer: chunks of at most that many pairs.  The costs and
        gradients are the same whichever is chosen (to rounding); only the speed differs.

    Returns
    -------
    tf.Tensor, shape (B,), float64
        The sharp costs.  Its gradient (``tf.GradientTape``, Keras ``train_step``) is explicit:
        for the points, the envelope-theorem gradient :math:`\sum_j P_{ij}(x_i - y_j)/M_{ij}`
        (exact for the entropic objective, within a few percent for the sharp cost at small
        :math:`\varepsilon`); for the weights, Luise et al.'s closed form projected on the
        simplex (its entries sum to zero).

    Raises
    ------
    ValueError
        Mismatched shapes or batch sizes; a bad schedule; with ``invalid="raise"``, negative,
        NaN or all-zero weights, weights not summing to one (unless ``normalize=True``) and
        non-finite points.  Called eagerly, the message names the first bad entry.
    tf.errors.InvalidArgumentError
        The same value checks inside a traced graph (``tf.function``, a Keras ``train_step``):
        one check per input tensor, run before the solver, whose message names the function,
        the argument and the remedy.  Under XLA (``jit_compile=True`` on the caller's function)
        TensorFlow compiles such checks away; a batch with a bad input then gets NaN costs (and
        the loss is NaN), never a finite number.
    TypeError
        Complex, boolean or non-numeric inputs.

    Choosing parameters
    -------------------
    The defaults are the papers' (ICLR A.1.3): :math:`\varepsilon` from 1 to 0.01 in ten
    log-uniform steps, ten iterations each.  On toy W jets (:func:`toy_two_prong_jets`, 50
    particles) the mean relative error against the exact EMD is then about 1 %, with a few pairs
    off by 5-10 % because ten iterations at 0.01 do not converge their marginals.
    ``eps_end=1e-3, n_eps=20, iters_per_eps=20`` brings the mean error to about 0.4 % for about
    four times the cost.  Smaller ``eps_end`` needs more iterations per scale: the plan's
    marginals (:func:`sinkhorn_plan`'s ``marginal_error``) say whether they were enough.

    On a CPU, call it from an un-jitted training step (Keras' default there) and let the library
    compile the solver: a caller's ``jit_compile=True`` also works, but pulls the Cholesky
    factorisation into XLA:CPU, which is slow.  On a GPU, jit the whole step.

    Examples
    --------
    Two one-particle jets: the EMD is their distance.

    >>> w = np.ones((1, 1))
    >>> float(sinkhorn_emd(w, [[[0.0, 0.0]]], w, [[[0.3, 0.4]]])[0])  # doctest: +ELLIPSIS
    0.5...

    References
    ----------
    [1] G. Luise, A. Rudi, M. Pontil, C. Ciliberto, "Differential properties of Sinkhorn
        approximation for learning with Wasserstein distance", NeurIPS 2018, Thm 2 (gradient).
    [2] B. Schmitzer, "Stabilized sparse scaling algorithms for entropy regularized transport
        problems", SIAM J. Sci. Comput. 2019 (arXiv 2016), Sec. 3 (absorption, eps-scaling).
    [3] M. Cuturi, "Sinkhorn distances", NeurIPS 2013.
    [4] J. Collins, "An exploration of learnt representations of W jets", ICLR 2022 workshop,
        Eq. 1 and appendix A.1.3 (the loss and its schedule).
    """
    func = "sinkhorn_emd"
    sched = _check_schedule(eps_start, eps_end, n_eps, iters_per_eps, absorb_every, func)
    check_choice(invalid, ("raise", "nan"), name="invalid", func=func)
    chunk_size = _check_chunk_size(chunk_size, func)
    a, x, b, y, _, valid = _prepare(x_weights, x_points, y_weights, y_points, func=func,
                                    normalize=normalize, invalid=invalid)
    solver = _solvers(bool(jit_compile))

    @tf.custom_gradient
    def sharp_cost(a, x, b, y):
        # stop_gradient: the tape must not try to differentiate through the solver's loops
        # (TensorFlow would otherwise record every iterate for a gradient we never use).
        a, x, b, y = (tf.stop_gradient(t) for t in (a, x, b, y))
        cost, pi, f, *_ = solver.forward(a, x, b, y, sched, chunk_size)

        def grad(d_cost):
            return solver.backward(tf.cast(d_cost, _F64), a, x, b, y, pi, f, sched.eps_end)
        return cost, grad

    cost = sharp_cost(a, x, b, y)
    if valid is not None:
        # invalid="nan"; or in a graph, where the checks raise before this unless XLA compiled
        # them away: a batch with bad inputs costs NaN, never a finite number.
        cost = tf.where(valid, cost, tf.constant(np.nan, _F64))
    return cost


@dataclass(frozen=True)
class SinkhornPlan:
    r"""Result of :func:`sinkhorn_plan` (arrays lose their batch axis for a single pair).

    Attributes
    ----------
    cost : ndarray, shape (B,)
        The sharp cost :math:`\langle P, M\rangle` (what :func:`sinkhorn_emd` returns).
    entropic_cost : ndarray, shape (B,)
        :math:`\langle P, M\rangle + \varepsilon \sum_{ij} P_{ij}\log P_{ij}` at the final
        :math:`\varepsilon` (the objective the plan minimises; its gradient in the points is
        exactly the envelope gradient of :func:`sinkhorn_emd`).
    plan : ndarray, shape (B, n, m)
        :math:`P_\varepsilon`; rows sum to ``x_weights`` exactly, columns to ``y_weights`` up to
        ``marginal_error``.
    f, g : ndarray, shapes (B, n) and (B, m)
        Dual potentials, :math:`P_{ij} = \exp((f_i + g_j - M_{ij})/\varepsilon)`; set to 0 at
        zero-weight points, where they are not defined.
    cost_matrix : ndarray, shape (B, n, m)
        :math:`\Delta R`.
    eps : float
        The final regulator.
    n_iter : int
        Sinkhorn iterations run in all (``n_eps * iters_per_eps``).
    n_absorb : int
        Absorptions (kernel rebuilds), at least one per scale.
    n_rescue : int
        Absorptions whose potentials were too far from the scale for a direct kernel rebuild and
        were first brought back by a log-domain iteration (typically 0 with eps-scaling).
    marginal_error : ndarray, shape (B,)
        :math:`\lVert P^T 1 - b\rVert_1` (the rows are exact after the last update).
    converged : ndarray of bool, shape (B,)
        ``marginal_error <= marginal_tol``.
    """
    cost: np.ndarray
    entropic_cost: np.ndarray
    plan: np.ndarray
    f: np.ndarray
    g: np.ndarray
    cost_matrix: np.ndarray
    eps: float
    n_iter: int
    n_absorb: int
    n_rescue: int
    marginal_error: np.ndarray
    converged: np.ndarray


@_not_autograph
def sinkhorn_plan(x_weights, x_points, y_weights, y_points, *, eps_start: float = 1.0,
                  eps_end: float = 0.01, n_eps: int = 10, iters_per_eps: int = 10,
                  normalize: bool = False, absorb_every: int = 20, marginal_tol: float = 1e-2,
                  warn: bool = True, jit_compile: bool = True) -> SinkhornPlan:
    r"""The entropic transport plan behind :func:`sinkhorn_emd`, with its diagnostics.

    .. math::
        P_\varepsilon = \operatorname{diag}(e^{f/\varepsilon})\, e^{-M/\varepsilon}\,
        \operatorname{diag}(e^{g/\varepsilon}), \qquad P 1 = a,\ P^T 1 \approx b

    Same inputs, symbols and schedule as :func:`sinkhorn_emd`; a single pair may be given
    without the batch axis (weights (n,), points (n, 2)), and the result then has none either.
    Not differentiable (NumPy results); for figures, convergence studies and checks.

    Parameters
    ----------
    marginal_tol : float
        A plan whose column marginals miss ``y_weights`` by more than this (L1) is reported as
        not converged.
    warn : bool
        Warn (``RuntimeWarning``) when some plan has not converged.

    Returns
    -------
    SinkhornPlan

    Choosing parameters
    -------------------
    ``marginal_error`` measures how far the last iterate is from the fixed point (the fraction of
    the mass that the plan puts in the wrong column).  At the papers' schedule it is about 0.6 %
    on toy W jets (median; a few percent for the worst pairs), so the default ``marginal_tol``
    of 1 % warns for a minority of pairs; ``eps_end=1e-3, n_eps=20, iters_per_eps=50`` brings the
    median below 0.1 %, and a fixed ``eps`` of 0.05-0.1 converges to rounding in a few hundred
    iterations.

    Examples
    --------
    Half of each jet's weight sits at the origin; the other half moves by 0.1:

    >>> res = sinkhorn_plan([0.5, 0.5], [[0, 0], [0, 1]], [0.5, 0.5], [[0, 0], [0, 1.1]],
    ...                     eps_end=1e-3, n_eps=20, iters_per_eps=20)
    >>> round(float(res.cost), 6), res.plan.round(3).tolist()
    (0.05, [[0.5, 0.0], [0.0, 0.5]])

    References
    ----------
    See :func:`sinkhorn_emd`.
    """
    func = "sinkhorn_plan"
    _require_eager(func)
    sched = _check_schedule(eps_start, eps_end, n_eps, iters_per_eps, absorb_every, func)
    marginal_tol = check_positive(marginal_tol, name="marginal_tol", func=func)
    a, x, b, y, batched, _ = _prepare(x_weights, x_points, y_weights, y_points, func=func,
                                      normalize=normalize, allow_single=True)
    solver = _solvers(bool(jit_compile))
    cost, pi, f, g, n_absorb, n_rescue = solver.forward(a, x, b, y, sched)
    eps = float(sched.eps_end)
    a_np, b_np = a.numpy(), b.numpy()
    plan = a_np[:, :, None] * pi.numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(plan > 0, plan * np.log(np.where(plan > 0, plan, 1.0)), 0.0)
    marginal_error = np.abs(plan.sum(axis=1) - b_np).sum(axis=1)
    converged = marginal_error <= marginal_tol
    if warn and not converged.all():
        worst = int(np.argmax(marginal_error))
        warnings.warn(f"{func}: the column marginals of {int((~converged).sum())} of "
                      f"{len(converged)} plans miss `y_weights` by more than marginal_tol="
                      f"{marginal_tol:g} (worst {marginal_error[worst]:.3g} in pair {worst}); "
                      f"increase `iters_per_eps` or `eps_end`, or pass warn=False.",
                      RuntimeWarning, stacklevel=2)
    cost = cost.numpy()
    fields = dict(cost=cost, entropic_cost=cost + eps * plogp.sum(axis=(1, 2)), plan=plan,
                  f=np.where(a_np > 0, f.numpy(), 0.0), g=np.where(b_np > 0, g.numpy(), 0.0),
                  cost_matrix=_delta_r(x, y).numpy(), marginal_error=marginal_error,
                  converged=converged)
    if not batched:
        fields = {k: v[0] for k, v in fields.items()}
    return SinkhornPlan(eps=eps, n_iter=int(sched.n_eps) * int(sched.iters_per_eps),
                        n_absorb=int(n_absorb), n_rescue=int(n_rescue), **fields)


def _condensed_to_pairs(k: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns (i < j) of condensed indices k of an n x n distance matrix (pdist order)."""
    # Row i starts at condensed index i*n - i*(i+1)/2; invert that quadratic, then fix rounding.
    i = np.floor(n - 0.5 - np.sqrt((n - 0.5) ** 2 - 2.0 * k)).astype(np.int64)
    start = i * n - i * (i + 1) // 2
    i = np.where(k < start, i - 1, i)
    start = i * n - i * (i + 1) // 2
    nxt = (i + 1) * n - (i + 1) * (i + 2) // 2
    i = np.where(k >= nxt, i + 1, i)
    start = i * n - i * (i + 1) // 2
    return i, k - start + i + 1


@_not_autograph
def pairwise_emd(jets, *, eps_start: float = 1.0, eps_end: float = 0.01, n_eps: int = 10,
                 iters_per_eps: int = 10, normalize: bool = False, batch_size: int = 256,
                 square: bool = False, progress: bool = True, workers: int | None = None,
                 jit_compile: bool = True) -> np.ndarray:
    r"""Sharp Sinkhorn EMDs between all pairs of a set of jets.

    .. math::
        D_{ij} = \hat S(x_i, x_j), \quad 0 \le i < j < N

    where each jet :math:`x_i` is ``jets[i]``, (n, 3) rows of (weight, eta, phi), and
    :math:`\hat S` is :func:`sinkhorn_emd` with the given schedule.

    Parameters
    ----------
    jets : array, shape (N, n, 3)
        Columns (pT / H_T, eta, phi); zero weights are padding.
    eps_start, eps_end, n_eps, iters_per_eps, normalize, jit_compile
        As in :func:`sinkhorn_emd`.
    batch_size : int
        Pairs per solver call; memory is about ``batch_size * n^2 * 40`` bytes (256 pairs of
        50-particle jets: ~26 MB), and batches of a few hundred keep the kernels in cache.
    square : bool
        Return the symmetric (N, N) matrix (zero diagonal) instead of the condensed vector.
    progress : bool
        Show a tqdm progress bar over batches.
    workers : int, optional
        Batches solved at the same time, in threads (TensorFlow releases the GIL; one compiled
        solver runs on one core).  Default: the number of CPU cores available.

    Returns
    -------
    ndarray, float64
        Condensed (N(N-1)/2,) in :func:`scipy.spatial.distance.pdist` order, or (N, N); either
        can be passed to :func:`correlation_dimension` (with ``Q`` in the same units).

    Choosing parameters
    -------------------
    The cost grows as N^2: 1000 jets are ~5e5 pairs (minutes on a laptop core at the papers'
    schedule); the papers' 1e4 jets (ICLR Fig 3) are for a GPU or patience.

    Examples
    --------
    >>> jets = np.array([[[1.0, 0.0, 0.0]], [[1.0, 0.3, 0.4]], [[1.0, 0.0, 1.0]]])
    >>> pairwise_emd(jets, progress=False).round(5).tolist()   # pairs (0, 1), (0, 2), (1, 2)
    [0.5, 1.0, 0.67082]

    References
    ----------
    See :func:`sinkhorn_emd`; ICLR paper Eq. 3 and Fig 3 for the use with the correlation
    dimension.
    """
    func = "pairwise_emd"
    _require_eager(func)
    sched = _check_schedule(eps_start, eps_end, n_eps, iters_per_eps, 20, func)
    batch_size = check_int(batch_size, name="batch_size", func=func, minimum=1)
    jets_t = _as_float64(jets, "jets", func)
    if jets_t.shape.rank != 3 or jets_t.shape[-1] != 3:
        raise ValueError(f"{func}: `jets` must have shape (N, n, 3) with columns (weight, eta, "
                         f"phi); got {tuple(jets_t.shape)}.")
    arr = jets_t.numpy()
    n_jets = arr.shape[0]
    if n_jets < 2:
        raise ValueError(f"{func}: `jets` needs at least 2 jets; got {n_jets}.")
    weights, points = arr[..., 0], arr[..., 1:]
    _check_values(weights, points, "jets[..., 0] (weights)", "jets[..., 1:] (points)", func,
                  normalize)
    if normalize:
        weights = weights / weights.sum(axis=1, keepdims=True)
    workers = cpu_cores() if workers is None else check_int(workers, name="workers", func=func,
                                                             minimum=1)
    n_pairs = n_jets * (n_jets - 1) // 2
    size = min(batch_size, n_pairs)
    solver = _solvers(bool(jit_compile))

    def solve(start: int) -> np.ndarray:
        k = np.arange(start, start + size)
        # The last batch is padded with copies of its first pair, so that every call has the
        # same shape and the compiled solver is reused.
        k = np.where(k < n_pairs, k, start)
        i, j = _condensed_to_pairs(k, n_jets)
        cost = solver.forward(tf.constant(weights[i]), tf.constant(points[i]),
                              tf.constant(weights[j]), tf.constant(points[j]), sched)[0]
        return cost.numpy()[:min(size, n_pairs - start)]

    out = np.empty(n_pairs)
    starts = range(0, n_pairs, size)
    with (tqdm(total=n_pairs, desc=func, unit="pair", disable=not progress) as bar,
          ThreadPoolExecutor(max_workers=workers) as pool):
        for start, cost in zip(starts, pool.map(solve, starts)):
            out[start:start + len(cost)] = cost
            bar.update(len(cost))
    if not np.all(np.isfinite(out)):  # pragma: no cover - the solver is built not to do this
        raise FloatingPointError(f"{func}: non-finite EMDs; please report the input jets.")
    if square:
        return squareform(out, checks=False)
    return out


def toy_two_prong_jets(n_jets: int, n_particles: int = 50, *, centred: bool = True,
                       min_particles: int = 20, seed: int = 0) -> np.ndarray:
    r"""Synthetic W-like two-prong jets for tests, benchmarks and illustrations (not physics).

    Each jet has two prongs with momentum fractions :math:`z, 1-z`, :math:`z \sim U(0.25, 0.75)`,
    separated by the two-body opening angle

    .. math::
        \Delta R \approx \frac{2 m_W}{p_T \sqrt{z(1-z)}}, \qquad m_W = 80.4\ \mathrm{GeV},\
        p_T \sim U(500, 600)\ \mathrm{GeV}

    along a random direction; the pT-weighted centroid of the particles is the jet axis.
    Particles scatter around their prong with a heavy-tailed spread and heavy-tailed weights;
    between ``min_particles`` and ``n_particles`` carry weight, the rest are zero-weight padding
    placed on the jet axis (as in the papers' data).

    Parameters
    ----------
    n_jets, n_particles : int
    centred : bool
        True: jet axes at :math:`\eta = \phi = 0`; False: axes uniform in
        :math:`|\eta| < 2`, :math:`\phi \in [-\pi, \pi)` (so some jets straddle :math:`\phi = \pi`).
    min_particles : int
        Fewest particles with non-zero weight.
    seed : int

    Returns
    -------
    ndarray, shape (n_jets, n_particles, 3)
        Columns (weight, eta, phi); weights sum to 1 per jet, phi in :math:`[-\pi, \pi)`.
    """
    func = "toy_two_prong_jets"
    n_jets = check_int(n_jets, name="n_jets", func=func, minimum=1)
    n_particles = check_int(n_particles, name="n_particles", func=func, minimum=2)
    min_particles = check_int(min_particles, name="min_particles", func=func, minimum=2)
    min_particles = min(min_particles, n_particles)
    rng = np.random.default_rng(seed)
    z = rng.uniform(0.25, 0.75, n_jets)
    pt = rng.uniform(500.0, 600.0, n_jets)
    opening = 2 * 80.4 / (pt * np.sqrt(z * (1 - z)))
    angle = rng.uniform(0, 2 * np.pi, n_jets)
    axis = np.stack([np.cos(angle), np.sin(angle)], axis=-1)                   # (N, 2)
    prong_1 = ((1 - z) * opening)[:, None] * axis                              # weight z
    prong_2 = (-z * opening)[:, None] * axis                                   # weight 1 - z
    n_live = rng.integers(min_particles, n_particles + 1, n_jets)
    live = np.arange(n_particles)[None, :] < n_live[:, None]                   # (N, n)
    first = rng.random((n_jets, n_particles)) < 0.5
    first[:, 0], first[:, 1] = True, False                                     # both prongs lit
    centre = np.where(first[..., None], prong_1[:, None], prong_2[:, None])    # (N, n, 2)
    spread = 0.04 * rng.exponential(1.0, (n_jets, n_particles, 1))
    points = centre + spread * rng.normal(size=(n_jets, n_particles, 2))
    raw = rng.exponential(1.0, (n_jets, n_particles)) ** 3 * live
    raw[:, :2] += 1.0                                                          # hard cores
    share = np.where(first, z[:, None], (1 - z)[:, None])
    sums_1 = np.sum(raw * first, axis=1, keepdims=True)
    sums_2 = np.sum(raw * ~first, axis=1, keepdims=True)
    weights = raw * share / np.where(first, sums_1, sums_2)
    # The jet axis is the pT-weighted centroid: put it exactly at the origin.
    points = points - np.einsum("nk,nkd->nd", weights, points)[:, None]
    points = np.where(live[..., None], points, 0.0)
    if not centred:
        points = points + np.stack([rng.uniform(-2, 2, n_jets),
                                    rng.uniform(-np.pi, np.pi, n_jets)], axis=-1)[:, None]
    points[..., 1] = np.mod(points[..., 1] + np.pi, 2 * np.pi) - np.pi
    return np.concatenate([weights[..., None], points], axis=-1)
