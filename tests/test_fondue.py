"""FONDUE: the trace identities of Props 8.3.1-8.3.3, the search logic on cheap stand-ins
(doubling, bisection, memoisation, logging; every logged step against Algorithm 1; the "Models
trained" columns of Tables 8.1, 8.6, D.5), the three criteria, the supervised baselines, the
Renyi entropies, the downstream task of the elbow curves, errors and plots."""
import dataclasses
import doctest
import logging

import matplotlib

matplotlib.use("agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from latentdims.maths import fondue as fondue_module  # noqa: E402
from latentdims.maths.fondue import (CRITERIA, DATA_IDE, TrainingOutput, binary_search,  # noqa: E402
                                     covariance_traces, downstream_accuracy, expected_trace_gap,
                                     fondue, ib_scores, rbf_gram, renyi_entropy,
                                     renyi_mutual_information, stable_epochs)
from latentdims.plotting import thesis_ch8 as plots  # noqa: E402


def polarised(n, n_active, *, mixed=(), h=2000, seed=0):
    """TrainingOutput of n latents in the polarised regime: the first ``n_active`` active
    (M ~ N(0, 1), S = 0), then mixed ones active on a fraction w of the examples, then passive
    (M = 0, S = 1)."""
    rng = np.random.default_rng(seed)
    M, S = np.zeros((h, n)), np.ones((h, n))
    a = min(n, n_active)
    M[:, :a], S[:, :a] = rng.normal(size=(h, a)), 0.0
    for j, w in enumerate(mixed[:max(n - a, 0)]):
        rows = rng.permutation(h)[:int(round(w * h))]
        M[rows, a + j], S[rows, a + j] = rng.normal(size=len(rows)), 0.0
    return TrainingOutput(mean=M, variance=S, model=f"vae-{n}")


def step(n_star):
    """A stand-in whose gap jumps above any t in [0, 2) past n_star latents."""
    return lambda n, epochs: (2.0 * (n > n_star), 0.0)


def test_doctests():
    assert doctest.testmod(fondue_module).failed == 0


# --- Props 8.3.1-8.3.3 --------------------------------------------------------------------------


def test_trace_gap_counts_passive_and_mixed_variables():
    only_active = polarised(5, 5)
    assert covariance_traces(only_active.mean, only_active.variance).difference == 0.0  # 8.3.1
    passive = polarised(7, 4, h=4000)                                                   # 8.3.2
    assert covariance_traces(passive.mean, passive.variance, seed=1).difference == \
        pytest.approx(3.0, abs=0.15)
    assert expected_trace_gap(passive.variance) == 3.0
    mixed = polarised(6, 4, mixed=(0.25, 0.7), h=4000)                                  # 8.3.3
    gap = covariance_traces(mixed.mean, mixed.variance, seed=2).difference
    assert gap == pytest.approx(0.75 + 0.3, abs=0.1) and 0 < gap < 2
    assert expected_trace_gap(mixed.variance) == pytest.approx(1.05)


def test_covariance_traces_options():
    rep = polarised(4, 2, h=500)
    a = covariance_traces(rep.mean, rep.variance, seed=3)
    assert a == covariance_traces(rep.mean, rep.variance, seed=3)
    assert a != covariance_traces(rep.mean, rep.variance, seed=4)
    z = rep.mean + np.sqrt(rep.variance) * np.random.default_rng(3).standard_normal(rep.mean.shape)
    assert covariance_traces(rep.mean, sampled=z) == a
    floored = covariance_traces(rep.mean, rep.variance, seed=3, precision=3)
    assert 0 <= a.sampled - floored.sampled < 4e-3 and floored.sampled * 1000 == \
        pytest.approx(round(floored.sampled * 1000))
    with pytest.raises(ValueError, match="give `variance`"):
        covariance_traces(rep.mean)
    with pytest.raises(ValueError, match="must be >= 0 \\(a variance, not a log-variance\\)"):
        covariance_traces(rep.mean, -rep.variance)
    with pytest.raises(ValueError, match=r"`sampled` must have shape \(500, 4\)"):
        covariance_traces(rep.mean, sampled=z[:, :3])
    lv = TrainingOutput.from_log_variance(rep.mean, np.log(rep.variance + 1e-9))
    assert np.allclose(lv.variance, rep.variance, atol=1e-8)


# --- the search ----------------------------------------------------------------------------------


def test_fondue_doubles_then_bisects_and_memoises(caplog):
    calls = []

    def train(n, epochs):
        calls.append((n, epochs))
        return step(19)(n, epochs)

    with caplog.at_level(logging.INFO, logger="latentdims.maths.fondue"):
        res = fondue(train, n_init=DATA_IDE["symsol"], epochs=1)
    # Table 8.1, Symsol: 8 models trained; the visiting order of Algorithm 1
    assert res.n == 19 and res.models_trained == 8 and res.algorithm == "FONDUE"
    assert [n for n, _ in calls] == [4, 8, 16, 32, 24, 20, 18, 19]
    assert all(e == 1 for _, e in calls)
    assert [s.n for s in res.steps] == [4, 8, 16, 32, 24, 20, 18, 20, 19, 20]
    assert [s.trained for s in res.steps].count(False) == 2          # n = 20 came from the memo
    assert [s.accepted for s in res.steps[:4]] == [True, True, True, False]
    assert res.steps[-1].lower == 19 and res.steps[-1].upper == 20
    assert len(caplog.records) == len(res.steps)
    assert "FONDUE step 1: n=4 trained" in caplog.records[0].getMessage()
    assert "memo" in caplog.records[7].getMessage()
    assert res.scores()["n"].tolist() == [4, 8, 16, 18, 19, 20, 24, 32]
    assert list(res.steps_frame().columns)[:3] == ["iteration", "n", "first"]


def follows_algorithm_1(res, max_n):
    """Whether a logged search is Algorithm 1 (thesis Sec. 8.3.2): a step with D(n) <= t sets
    l <- n and doubles n (capped by u and by ``max_n``), a step with D(n) > t sets u <- n and
    bisects; the search stops with u = n + 1 (as the termination proof says) unless it hit
    ``max_n`` or no n passed; "models trained" is the number of distinct n visited."""
    for st in res.steps:
        if st.accepted and (st.lower != st.n or st.next_n != min(2 * st.n, st.upper, max_n)):
            return False
        if not st.accepted and (st.upper != st.n or st.next_n != (st.lower + st.n) // 2):
            return False
    ends = res.hit_max_n or res.n == 0 or res.steps[-1].upper == res.n + 1
    return ends and res.models_trained == len({st.n for st in res.steps})


def gap_with_a_dip(n, epochs):
    """A gap that is not monotone in n (as on the Symsol stand-in: D(13) > t but D(14) <= t)."""
    return (2.0 * (n > 14 or n == 13), 0.0)


@pytest.mark.parametrize("n_init", [1, 2, 4, 11, 22, 40, 150])
@pytest.mark.parametrize("train", [step(0), step(1), step(5), step(11), step(19), step(40),
                                   step(10**6), gap_with_a_dip],
                         ids=["n*=0", "n*=1", "n*=5", "n*=11", "n*=19", "n*=40", "unbounded", "dip"])
@pytest.mark.parametrize("max_n", [64, 1024])
def test_every_logged_step_follows_algorithm_1(train, n_init, max_n):
    # what notebook 51 checked on its own searches (claim ch8-fondue-steps), on stand-ins that
    # reach every branch: doubling, bisection, the memo, max_n and "no latent passes"
    cap = max(max_n, n_init)                     # as the study's run_fondue passes it
    res = fondue(train, n_init=n_init, epochs=1, max_n=cap, warn=False)
    assert follows_algorithm_1(res, cap), res.steps_frame().to_string()
    if res.n not in (0, cap):
        assert train(res.n, 1)[0] <= res.threshold < train(res.n + 1, 1)[0]


def test_algorithm_1_check_rejects_other_searches():
    res = fondue(step(19), n_init=4, epochs=1)
    assert follows_algorithm_1(res, 1024)
    assert not follows_algorithm_1(binary_search(step(19)), 1024)      # Algorithm 8 bisects first
    tampered = dataclasses.replace(res.steps[0], next_n=9)         # 4 -> 9 is not a doubling
    assert not follows_algorithm_1(dataclasses.replace(res, steps=(tampered, *res.steps[1:])), 1024)


def test_models_trained_of_table_8_6():
    # dSprites (n* = 11) from ten random initialisations: the "Models trained" column of
    # Table 8.6 is exactly the number of distinct n Algorithm 1 visits
    inits = [5, 19, 22, 39, 74, 94, 116, 145, 180, 182]
    results = [fondue(step(11), n_init=n0) for n0 in inits]
    assert [r.n for r in results] == [11] * 10
    assert [r.models_trained for r in results] == [6, 6, 5, 7, 7, 8, 8, 8, 8, 8]


def test_fondue_on_polarised_representations():
    # t < 1 keeps only active variables (Thm 8.3.1): n* = 6 with passive latents beyond
    res = fondue(lambda n, e: polarised(n, 6, h=3000, seed=n), n_init=3, threshold=0.5)
    assert res.n == 6 and res.evaluations[0].model == "vae-3"
    # t = 1 allows the mixed latent (gap 0.4) but not the first passive one (gap 1.4), Thm 8.3.2
    res = fondue(lambda n, e: polarised(n, 6, mixed=(0.6,), h=3000, seed=n), n_init=3)
    assert res.n == 7 and res.threshold == 1.0


def test_fondue_ide_on_polarised_representations():
    res = fondue(lambda n, e: polarised(n, 3, h=800, seed=n), n_init=2, criterion="ide",
                 threshold=0.5)
    assert res.n == 3 and res.algorithm == "FONDUE_IDE" and res.labels == ("IDE_z", "IDE_mu")
    first = res.scores()
    assert first["difference"][0] == pytest.approx(0.0, abs=0.2)     # all active: same IDE
    assert first["difference"][-1] > 0.5                             # a passive latent appears


def test_fondue_ib_criterion():
    rng = np.random.default_rng(0)
    x = rng.random((300, 16))

    def train(n, e):
        rep = polarised(n, 2, h=300, seed=n)
        return TrainingOutput(rep.mean, rep.variance, inputs=x,
                               reconstructions=x + 0.1 * rng.normal(size=x.shape))

    res = fondue(train, n_init=2, criterion="ib", max_n=8, warn=False)
    assert res.algorithm == "FONDUE_IB" and res.threshold == -0.01
    assert all(np.isfinite([e.first, e.second]).all() for e in res.evaluations)
    assert all(round(e.first * 100) == pytest.approx(e.first * 100) for e in res.evaluations)
    with pytest.raises(ValueError, match="needs a training output with `inputs`"):
        fondue(lambda n, e: polarised(n, 2, h=50), n_init=2, criterion="ib")


def test_fondue_limits_and_warnings():
    with pytest.warns(UserWarning, match="up to max_n=50"):
        res = fondue(step(10**6), n_init=3, max_n=50)
    assert res.n == 50 and res.hit_max_n
    with pytest.warns(UserWarning, match="no latent passes"):
        res = fondue(step(0), n_init=5)
    assert res.n == 0 and [s.n for s in res.steps] == [5, 2, 1]


def test_fondue_errors():
    with pytest.raises(ValueError, match="fondue: `n_init` must be >= 1; got 0"):
        fondue(step(3), n_init=0)
    with pytest.raises(ValueError, match="`max_n` must be >= 10"):
        fondue(step(3), n_init=10, max_n=5)
    with pytest.raises(ValueError, match="unknown `criterion` 'elbow'"):
        fondue(step(3), n_init=2, criterion="elbow")
    with pytest.raises(ValueError, match="custom `criterion` needs an explicit `threshold`"):
        fondue(step(3), n_init=2, criterion=lambda rep: (0.0, 0.0))
    with pytest.raises(TypeError, match=r"`train\(2, 2\)` must return TrainingOutput or a pair"):
        fondue(lambda n, e: "model", n_init=2)
    with pytest.raises(ValueError, match="the training with n=4 latents gave non-finite scores"):
        fondue(lambda n, e: (np.nan if n == 4 else 0.0, 0.0), n_init=2)
    with pytest.raises(TypeError, match="`train` must be callable"):
        fondue(None, n_init=2)


def test_custom_criterion():
    res = fondue(lambda n, e: polarised(n, 5, h=500), n_init=2, threshold=0.5,
                 criterion=lambda rep: (float(rep.variance.mean(0).sum()), 0.0))
    assert res.n == 5 and res.algorithm == "custom"


def test_binary_search_is_algorithms_7_and_8():
    res = binary_search(step(19))                         # l = 1, u = 200 (Appendix D.3)
    assert res.n == 19 and res.models_trained == 8 and res.algorithm == "BS_FONDUE"
    assert [e.n for e in res.evaluations] == [100, 50, 25, 13, 19, 22, 21, 20]
    assert all(s.trained for s in res.steps)              # a bisection never revisits an n
    assert binary_search(step(0)).n == 0
    assert binary_search(step(500)).n == 199
    # the IB hypothesis: H(z) - I(x, x_hat) < 0 below n*, about 0 from n* on
    # (thesis Secs 8.2.4 and 8.4.2)
    ib = binary_search(lambda n, e: (-0.5 * (n <= 10), 0.0), criterion="ib", lower=4, upper=40)
    assert ib.algorithm == "IB" and ib.n == 10 and ib.threshold == -0.01
    with pytest.raises(ValueError, match="`upper` must be >= 5"):
        binary_search(step(3), lower=4, upper=4)


def test_stable_epochs():
    res = stable_epochs(lambda n, e: (2.0 * (n > (19 if e >= 2 else 25)), 0.0), n_init=4)
    assert (res.epochs, res.n, res.stable) == (2, 19, True)
    assert [r.epochs for r in res.results] == [1, 2, 3]
    bs = stable_epochs(step(12), search="binary_search", lower=1, upper=64)
    assert (bs.epochs, bs.n) == (1, 12)
    with pytest.warns(UserWarning, match="n kept changing up to max_epochs=3"):
        drift = stable_epochs(lambda n, e: step(10 * e)(n, e), n_init=4, max_epochs=3)
    assert not drift.stable and [r.n for r in drift.results] == [10, 20, 30]
    with pytest.raises(TypeError, match="`epochs` is what this function searches"):
        stable_epochs(step(3), n_init=2, epochs=2)


def test_spec_constants():
    assert {k: c.threshold for k, c in CRITERIA.items()} == {"trace": 1.0, "ib": -0.01, "ide": 1.0}
    assert dict(DATA_IDE) == {"symsol": 4, "dsprites": 11, "celeba": 22}


# --- Renyi entropies (Appendix D.2) --------------------------------------------------------------


@pytest.mark.parametrize("alpha", [1.0, 1.01, 2.0, 3.0])
def test_renyi_entropy_closed_forms(alpha):
    h = 8
    assert renyi_entropy(np.eye(h) / h, alpha) == pytest.approx(3.0)         # log2 h bits
    assert renyi_entropy(np.ones((h, h)) / h, alpha) == pytest.approx(0.0, abs=1e-12)
    assert renyi_mutual_information(np.eye(h) / h, np.eye(h) / h, alpha) == pytest.approx(3.0)


def test_rbf_gram_and_ib_scores():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3, 2))
    A = rbf_gram(X)
    assert A.shape == (50, 50) and np.trace(A) == pytest.approx(1.0) and np.allclose(A, A.T)
    assert np.linalg.eigvalsh(A).min() > -1e-12
    # Silverman's bandwidth scales with the data: the Gram matrix is scale invariant
    assert np.allclose(rbf_gram(7.0 * X), A)
    z, x = rng.normal(size=(50, 4)), rng.random((50, 6))
    xh = x + 0.05 * rng.normal(size=x.shape)
    h_z, i_x = ib_scores(z, x, xh, batch_size=50, precision=None)
    assert h_z == pytest.approx(renyi_entropy(rbf_gram(z)))
    assert i_x == pytest.approx(renyi_mutual_information(rbf_gram(x), rbf_gram(xh)))
    h2, _ = ib_scores(z, x, xh, batch_size=25, precision=None)
    assert h2 == pytest.approx(np.mean([renyi_entropy(rbf_gram(z[:25])),
                                        renyi_entropy(rbf_gram(z[25:]))]))
    floored = ib_scores(z, x, xh, batch_size=50)
    assert floored == (np.floor(h_z * 100) / 100, np.floor(i_x * 100) / 100)
    with pytest.raises(ValueError, match="ib_scores: the arguments must have the same number"):
        ib_scores(z[:10], x, xh)
    with pytest.raises(ValueError, match="`alpha` must be finite and > 0"):
        renyi_entropy(A, alpha=0)
    with pytest.raises(ValueError, match="`A` must be square"):
        renyi_entropy(A[:3])


# --- the downstream task (elbow curves) ----------------------------------------------------------


def test_downstream_accuracy_learns_and_guesses():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    y = np.stack([(x[:, 0] > 0).astype(int), rng.integers(0, 4, 400)], axis=1)
    acc_first = downstream_accuracy(x, y[:, :1], iterations=20)
    acc_noise = downstream_accuracy(x, y[:, 1:], iterations=20)
    assert acc_first > 0.95
    assert acc_noise < 0.45                        # 4 balanced classes unrelated to x: chance 0.25
    both = downstream_accuracy(x, y, iterations=20)
    assert both == pytest.approx((acc_first + acc_noise) / 2)


def test_downstream_accuracy_rejects_bad_input():
    x = np.zeros((10, 2))
    with pytest.raises(ValueError, match="downstream_accuracy"):
        downstream_accuracy(x, np.zeros((9, 1), dtype=int))
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="downstream_accuracy"):
        downstream_accuracy(bad, np.zeros((10, 1), dtype=int))
    with pytest.raises(ValueError, match="downstream_accuracy: need at least 4 examples"):
        downstream_accuracy(x[:3], np.zeros((3, 1), dtype=int))


# --- plots ---------------------------------------------------------------------------------------


def test_fondue_plots():
    res = fondue(step(19), n_init=4)
    assert plots.fondue_steps_plot(res).axes[0].get_xlabel() == "number of latent dimensions n"
    ns = np.array([3, 6, 10, 18])
    rng = np.random.default_rng(0)
    fig = plots.elbow_plot(ns, rng.random((5, 4)), rng.random((5, 4)),
                           chosen={"FONDUE": 19.1, "FONDUE_IB": 23.3})
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 3
    plots.mean_sampled_plot(ns, rng.random((3, 4)), 1 + rng.random((3, 4)), threshold=1.0,
                            chosen={"FONDUE": 10})
    plots.ide_bars({"dSprites": {"MLE (k=20)": [10.8, 11.2], "TwoNN": [11.9]},
                    "Symsol": {"MLE (k=20)": [4.1]}})
    plots.variable_type_counts(ns, {"active": [3, 6, 8, 9], "mixed": [0, 0, 1, 2],
                                    "passive": [0, 0, 1, 7]})
    plots.layer_ide_plot(["input", "encoder/1", "mean"], {1: rng.random((2, 3)), 5: [1, 2, 3]})
    with pytest.raises(ValueError, match=r"`mean_values` must have shape \(n_seeds, 4\)"):
        plots.mean_sampled_plot(ns, [1, 2], [1, 2, 3, 4])
    with pytest.raises(ValueError, match="needs the key 'passive'"):
        plots.variable_type_counts(ns, {"active": [1] * 4, "mixed": [0] * 4})
    plt.close("all")
