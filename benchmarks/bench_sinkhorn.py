"""Benchmark of the float64 sharp-Sinkhorn EMD (issue 3): speed and accuracy against exact EMD.

Prints one table for ``--pairs`` pairs of ``--particles``-particle jets in float64 on the CPU:

* ours (``latentdims.maths.sinkhorn.sinkhorn_emd``): forward, and forward + gradient, at the papers'
  schedule (eps 1 -> 0.01, 10 x 10 iterations) and at eps_end=1e-3 (20 scales x 20 iterations),
  in batches of ``--batch`` pairs (the VAE's batch size is 100);
* POT's ``sinkhorn_stabilized`` (reg 0.01) and POT's exact ``emd2``, one pair at a time;
* the ``wasserstein`` package's exact EMD (Komiske) one pair at a time, if it imports;
* the float64 arithmetic bound of our iterations: the number of batched matrix-vector products
  and exponential passes the paper-schedule solver ran, times the time of one such operation on
  the same (chunk, n, m) shape as the solver's (on a CPU it works on chunks of <= 32 pairs),
  measured in the same run under XLA.

Columns: time per pair, ratio to ours (forward + gradient at the papers' schedule), and the mean
relative error against the exact EMD (POT ``emd2``).  Jets are ``toy_two_prong_jets``: synthetic
centred W-like jets (the real W jets need the data pipeline).  The machine is shared: numbers are
indicative; compare ratios within one run.

Run: ``.venv/bin/python benchmarks/bench_sinkhorn.py [--pairs 1000] [--batch 100]``.
"""
from __future__ import annotations

import argparse
import math
import os
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from latentdims.maths.sinkhorn import (delta_r, sinkhorn_emd, sinkhorn_plan,  # noqa: E402
                                 toy_two_prong_jets)
from latentdims.maths.sinkhorn import _CPU_CHUNK  # noqa: E402  (the solver's chunk size on a CPU)

PAPER = dict(eps_start=1.0, eps_end=0.01, n_eps=10, iters_per_eps=10)
FINE = dict(eps_start=1.0, eps_end=1e-3, n_eps=20, iters_per_eps=20)


def best_of(fn, repeats: int) -> tuple[float, float]:
    """Smallest wall and CPU (all threads) times of ``repeats`` calls after one warm-up call.

    The minimum is the least disturbed run; the CPU time is less sensitive than the wall time to
    other jobs on a shared machine.
    """
    fn()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def batches(arrays, size):
    n = len(arrays[0])
    return [tuple(tf.constant(a[k:k + size]) for a in arrays) for k in range(0, n, size)]


def ours(data, schedule, gradient: bool):
    def run():
        out = []
        for a, x, b, y in data:
            if gradient:
                b = tf.Variable(b)
                y = tf.Variable(y)
                with tf.GradientTape() as tape:
                    cost = sinkhorn_emd(a, x, b, y, **schedule)
                grads = tape.gradient(cost, [b, y])
                grads[0].numpy()
            else:
                cost = sinkhorn_emd(a, x, b, y, **schedule)
            out.append(cost.numpy())
        return np.concatenate(out)
    return run


def live_pairs(a, x, b, y):
    """Per pair: the weights and points without padding, and their Delta R matrix.

    The matrices are computed once, outside the timed loops (in POT's favour: a caller would
    have to build them too).
    """
    costs = delta_r(x, y).numpy()
    pairs = []
    for k in range(len(a)):
        ka, kb = a[k] > 0, b[k] > 0
        pairs.append((a[k][ka], x[k][ka], b[k][kb], y[k][kb], costs[k][np.ix_(ka, kb)]))
    return pairs


def per_pair(fn, pairs):
    def run():
        return np.array([fn(*pair) for pair in pairs])
    return run


def pot_stabilised(wa, pa, wb, pb, cost):
    import ot
    return ot.sinkhorn2(wa, wb, cost, 0.01, method="sinkhorn_stabilized", numItermax=1000)


def pot_exact(wa, pa, wb, pb, cost):
    import ot
    return ot.emd2(wa, wb, cost)


def operation_times(batch: int, n: int, m: int, repeats: int):
    """(wall, CPU) seconds of one batched (batch, n, m) matrix-vector product and of one
    exponential pass over a (batch, n, m) array, under XLA like the solver."""
    if n != m:
        raise ValueError("operation_times: the chained products need n == m.")
    rng = np.random.default_rng(0)
    kernel = tf.constant(rng.random((batch, n, m)) / m)
    vec = tf.constant(rng.random((batch, m)))
    chain = 200

    @tf.function(jit_compile=True)
    def matvecs(kernel, v):
        # A dependent chain, like the Sinkhorn iterations, so nothing can be hoisted or fused away.
        def body(i, v):
            return i + 1, tf.linalg.matvec(kernel, v) + 1.0
        return tf.while_loop(lambda i, v: i < chain, body, (0, v))[1]

    @tf.function(jit_compile=True)
    def exps(kernel):
        def body(i, z):
            return i + 1, tf.exp(z - 1.0)
        return tf.while_loop(lambda i, z: i < chain // 10, body, (0, kernel))[1]

    t_mv = np.array(best_of(lambda: matvecs(kernel, vec).numpy(), repeats)) / chain
    t_exp = np.array(best_of(lambda: exps(kernel).numpy(), repeats)) / (chain // 10)
    return t_mv, t_exp


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--particles", type=int, default=50)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    jets = toy_two_prong_jets(2 * args.pairs, args.particles, seed=args.seed)
    a, x = jets[:args.pairs, :, 0], jets[:args.pairs, :, 1:]
    b, y = jets[args.pairs:, :, 0], jets[args.pairs:, :, 1:]
    data = batches((a, x, b, y), args.batch)
    n = m = args.particles
    rows = []       # (name, seconds for all pairs, costs or None, note)

    pairs = live_pairs(a, x, b, y)
    exact = per_pair(pot_exact, pairs)
    t_exact = best_of(exact, 1)
    exact_costs = exact()
    for label, schedule in (("paper", PAPER), ("eps_end=1e-3", FINE)):
        for gradient in (False, True):
            fn = ours(data, schedule, gradient)
            rows.append((f"ours {label}, {'fwd + grad' if gradient else 'forward'}",
                         best_of(fn, args.repeats), fn(),
                         f"batches of {args.batch}" + (", d/d(y_w, y_pts)" if gradient else "")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # POT warns when it hits numItermax
        fn = per_pair(pot_stabilised, pairs)
        rows.append(("POT sinkhorn_stabilized reg 0.01", best_of(fn, 1), fn(), "per pair"))
    rows.append(("POT emd2 (exact)", t_exact, exact_costs, "per pair"))
    try:
        import wasserstein
        emd = wasserstein.EMD()
        fn = per_pair(lambda wa, pa, wb, pb, cost: emd(wa, pa, wb, pb), pairs)
        rows.append(("wasserstein EMD (exact)", best_of(fn, 1), fn(), "per pair"))
    except Exception as exc:  # not installed, or built against an incompatible NumPy
        why = ("not installed (its 1.1.0 wheel requires NumPy < 2)"
               if isinstance(exc, ModuleNotFoundError)
               else f"{type(exc).__name__}: {str(exc).splitlines()[0][:60]}")
        rows.append(("wasserstein EMD (exact)", (math.nan, math.nan), None, f"skipped: {why}"))

    # Arithmetic bound of the paper-schedule forward: count what the solver ran.
    probe = sinkhorn_plan(a[:args.batch], x[:args.batch], b[:args.batch], y[:args.batch],
                          warn=False, **PAPER)
    n_iter, n_absorb = probe.n_iter, probe.n_absorb
    # Each iteration: 2 matrix-vector products; each absorption: 1 exponential pass + 1 product
    # (the column masses).
    n_matvec, n_exp = 2 * n_iter + n_absorb, n_absorb
    # On a CPU the solver works on balanced chunks of at most _CPU_CHUNK pairs (see
    # latentdims.maths.sinkhorn._forward_core): time the operations at that size.
    chunk = args.batch if tf.config.list_logical_devices("GPU") else min(args.batch, _CPU_CHUNK)
    chunk = -(-args.batch // -(-args.batch // chunk))
    n_chunks = args.pairs / chunk
    (t_mv, c_mv), (t_exp, c_exp) = operation_times(chunk, n, m, args.repeats)
    bound = ((n_matvec * t_mv + n_exp * t_exp) * n_chunks,
             (n_matvec * c_mv + n_exp * c_exp) * n_chunks)
    rows.append((f"bound: {n_matvec} matvec + {n_exp} exp passes", bound, None,
                 f"{t_mv / (chunk * n * m) * 1e9:.3f} ns/madd, "
                 f"{t_exp / (chunk * n * m) * 1e9:.2f} ns/exp (wall, {chunk} pairs)"))

    reference = rows[1][1]
    print(f"\n{args.pairs} pairs of {args.particles}-particle toy W jets, float64, CPU "
          f"({os.cpu_count()} cores), best of {args.repeats}; error = mean |S - EMD| / EMD "
          f"against POT emd2\n")
    print(f"{'method':<48} {'ms/pair':>8} {'CPU ms':>8} {'ratio':>6} {'CPU ratio':>9} "
          f"{'rel. error':>10}  note")
    for name, (wall, cpu), costs, note in rows:
        err = "" if costs is None else f"{np.mean(np.abs(costs - exact_costs) / exact_costs):.3%}"
        print(f"{name:<48} {wall / args.pairs * 1e3:>8.4f} {cpu / args.pairs * 1e3:>8.4f} "
              f"{wall / reference[0]:>6.2f} {cpu / reference[1]:>9.2f} {err:>10}  {note}")
    fwd, pot = rows[0][1], rows[4][1]
    print("\nratio: time / time of 'ours paper, forward + gradient'; CPU ms counts both cores.")
    print("Targets (issue 3): POT stabilised / ours >= 3; ours / wasserstein <= 2; ours forward / "
          "bound <= 2; error at eps_end=1e-3 <= 1 %.")
    print(f"ours paper forward / arithmetic bound = {fwd[0] / bound[0]:.2f} (wall), "
          f"{fwd[1] / bound[1]:.2f} (CPU); POT stabilised / ours forward + gradient = "
          f"{pot[0] / reference[0]:.1f} (wall), {pot[1] / reference[1]:.1f} (CPU)")


if __name__ == "__main__":
    main()
