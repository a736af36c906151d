"""Benchmark of linear CKA (issue 7) on 10,000 x 4,096 activations and of the MLE and TwoNN
intrinsic dimensions on 10,000 x 10 points, against scikit-dimension and plain NumPy references.

Rows, each with its wall time, the ratio to ours (the first row of its block) and the value it
computed (so that a speed-up never hides a different answer):

* CKA: ``linear_cka`` (``method="auto"``, here the feature-space form), ``linear_cka`` forced to
  the Gram form, and two plain NumPy references: the thesis code's form (centred n x n Gram
  matrices, <K, L> / (|K| |L|)) and Eq 2.2 written in feature space.  scikit-dimension has no
  CKA.  Activations are float32 (as Keras gives them); every method computes in float64.
* ID: ``mle(k=20)`` (MacKay-Ghahramani, k - 1) and ``twonn(discard=0.1)``, scikit-dimension's
  ``MLE(comb="mle")`` and ``TwoNN(discard_fraction=0.1)``, and NumPy references that find the
  neighbours by brute force (chunked distance matrix + ``argpartition``).

The data are synthetic: correlated Gaussian activations; points on a 6-dimensional linear
manifold in R^10.  Times are the best of ``--repeats`` runs after a warm-up; the machine is
shared, so the numbers are indicative: compare ratios within one run.

Run: ``.venv/bin/python benchmarks/bench_similarity_id.py [--cka-n 10000] [--cka-p 4096]
[--id-n 10000] [--repeats 3]`` (two to five minutes on 2 shared cores; the Gram forms of the
10,000 x 4,096 case take most of it).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import skdim

from latentdims.maths.intrinsic_dim import mle, twonn
from latentdims.maths.similarity import linear_cka


def timed(fn, repeats: int, warm_up: bool = True) -> tuple[float, float]:
    """(best wall time of ``repeats`` calls, after one untimed warm-up call, and the value)."""
    if warm_up:
        fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def numpy_cka_gram(X, Y):
    X = X.astype(np.float64)
    Y = Y.astype(np.float64)
    X -= X.mean(0)
    Y -= Y.mean(0)
    K, L = X @ X.T, Y @ Y.T
    return float(np.sum(K * L) / (np.linalg.norm(K) * np.linalg.norm(L)))


def numpy_cka_features(X, Y):
    X = X.astype(np.float64)
    Y = Y.astype(np.float64)
    X -= X.mean(0)
    Y -= Y.mean(0)
    return float(np.linalg.norm(X.T @ Y) ** 2
                 / (np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y)))


def numpy_knn(X, k, chunk=1000):
    """Sorted distances to the k nearest other points, by brute force, (N, k)."""
    sq = np.einsum("ij,ij->i", X, X)
    out = np.empty((len(X), k))
    for s in range(0, len(X), chunk):
        d2 = sq[s:s + chunk, None] + sq[None, :] - 2 * X[s:s + chunk] @ X.T
        d2[np.arange(len(d2)), np.arange(s, s + len(d2))] = np.inf       # not oneself
        part = np.partition(d2, k - 1, axis=1)[:, :k]
        out[s:s + chunk] = np.sqrt(np.maximum(np.sort(part, axis=1), 0))
    return out


def numpy_mle(X, k=20):
    T = numpy_knn(X, k)
    inv = np.log(T[:, -1:] / T[:, :-1]).sum(1) / (k - 1)
    return float(1 / inv.mean())


def numpy_twonn(X, discard=0.1):
    T = numpy_knn(X, 2)
    mu = np.sort(T[:, 1] / T[:, 0])
    n_keep = int(len(mu) * (1 - discard))
    x = np.log(mu[:n_keep])
    y = -np.log(1 - np.arange(1, n_keep + 1) / len(mu))
    return float(x @ y / (x @ x))


def table(title, rows):
    print(f"\n{title}")
    print(f"{'method':<46} {'time (s)':>10} {'ratio':>8} {'value':>12}")
    base = rows[0][1]
    for name, t, value in rows:
        print(f"{name:<46} {t:>10.3f} {t / base:>8.2f} {value:>12.6f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cka-n", type=int, default=10_000)
    parser.add_argument("--cka-p", type=int, default=4096)
    parser.add_argument("--id-n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    n, p = args.cka_n, args.cka_p
    X = rng.standard_normal((n, p), dtype=np.float32)
    Y = np.maximum(X[:, rng.permutation(p)] + rng.standard_normal((n, p), dtype=np.float32), 0)
    # the big case (about 10^12 flops per call) gets one timed call and no warm-up: there is
    # nothing to warm up at that size, and it keeps the whole run within a few minutes
    big = n * p > 10**7
    opts = dict(repeats=1 if big else args.repeats, warm_up=not big)
    rows = [("latentdims linear_cka (auto: features)", *timed(lambda: linear_cka(X, Y), **opts)),
            ("latentdims linear_cka (method='gram')",
             *timed(lambda: linear_cka(X, Y, method="gram"), **opts)),
            ("NumPy reference, Gram form (thesis code)",
             *timed(lambda: numpy_cka_gram(X, Y), **opts)),
            ("NumPy reference, Eq 2.2 feature form",
             *timed(lambda: numpy_cka_features(X, Y), **opts))]
    table(f"Linear CKA, {n} x {p} activations (float32 in, float64 maths)", rows)
    del X, Y

    d = 6
    P = rng.random((args.id_n, d)) @ rng.normal(size=(d, 10))
    r = args.repeats
    table(f"MLE (k = 20), {args.id_n} x 10 points on a {d}-dimensional manifold", [
        ("latentdims mle", *timed(lambda: mle(P, k=20), r)),
        ("scikit-dimension MLE(comb='mle')",
         *timed(lambda: skdim.id.MLE().fit(P, n_neighbors=20, comb="mle").dimension_, r)),
        ("NumPy reference (brute-force neighbours)", *timed(lambda: numpy_mle(P), r))])
    table(f"TwoNN (discard 10%), {args.id_n} x 10 points", [
        ("latentdims twonn", *timed(lambda: twonn(P), r)),
        ("scikit-dimension TwoNN(discard_fraction=0.1)",
         *timed(lambda: skdim.id.TwoNN(discard_fraction=0.1).fit(P).dimension_, r)),
        ("NumPy reference (brute-force neighbours)", *timed(lambda: numpy_twonn(P), r))])


if __name__ == "__main__":
    main()
