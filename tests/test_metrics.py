"""Representation metrics of thesis Ch. 6 against independent formulas and constructed arrays."""
import doctest

import numpy as np
import pytest
from scipy.stats import entropy
from sklearn.metrics import mutual_info_score

import latentdims.maths.scores as metrics
from latentdims.maths.scores import (averaged_mutual_information, correlation_matrix,
                                     correlations_with, discrete_mutual_information, discretise,
                                     effective_rank, gaussian_total_correlation,
                                     logistic_regression_accuracy, random_classifier_accuracy,
                                     representation_effective_rank, strong_correlation_counts)


def test_doctests():
    assert doctest.testmod(metrics).failed == 0


def _correlated(n, d, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(d, d))
    return rng.normal(size=(n, d)) @ a


# --------------------------------------------------------------------------- total correlation
def test_tc_equals_minus_half_log_det_of_correlation_matrix():
    # independent identity: log det Cov = sum log Cov_jj + log det Corr
    x = _correlated(500, 4, seed=0)
    expected = -0.5 * np.log(np.linalg.det(np.corrcoef(x, rowvar=False)))
    assert gaussian_total_correlation(x) == pytest.approx(expected, rel=1e-10)


def test_tc_bivariate_closed_form_and_scale_invariance():
    x = _correlated(300, 2, seed=1)
    rho = np.corrcoef(x, rowvar=False)[0, 1]
    tc = gaussian_total_correlation(x)
    assert tc == pytest.approx(-0.5 * np.log(1 - rho ** 2), rel=1e-10)
    assert gaussian_total_correlation(x * [3.0, -0.01] + 7) == pytest.approx(tc, rel=1e-9)


def test_tc_unchanged_by_appended_uncorrelated_unit_block():
    # Theorem 6.4.1 exactly: passive columns with zero sample covariance to the rest
    rng = np.random.default_rng(2)
    n = 200
    x = _correlated(n, 3, seed=2)
    q, _ = np.linalg.qr(np.column_stack([np.ones(n), x - x.mean(0), rng.normal(size=(n, 4))]))
    passive = q[:, 4:] * np.sqrt(n - 1)      # orthonormal to 1, x and each other: Cov = I
    assert gaussian_total_correlation(np.column_stack([x, passive])) == pytest.approx(
        gaussian_total_correlation(x), abs=1e-10)


def test_tc_indices_and_batch():
    x = _correlated(200, 5, seed=3)
    assert gaussian_total_correlation(x, indices=[0, 3]) == pytest.approx(
        gaussian_total_correlation(x[:, [0, 3]]))
    assert gaussian_total_correlation(x, indices=[2]) == pytest.approx(0.0, abs=1e-12)
    batch = np.stack([x, _correlated(200, 5, seed=4)])
    np.testing.assert_allclose(gaussian_total_correlation(batch),
                               [gaussian_total_correlation(b) for b in batch])


def test_tc_errors():
    x = _correlated(50, 3, seed=5)
    with pytest.raises(ValueError, match=r"variable\(s\) \[1\] are constant"):
        gaussian_total_correlation(np.column_stack([x[:, 0], np.ones(50), x[:, 1]]))
    with pytest.raises(ValueError, match="singular"):
        gaussian_total_correlation(np.column_stack([x, x[:, 0] + x[:, 1]]))
    with pytest.raises(ValueError, match="non-finite"):
        gaussian_total_correlation(np.where(np.eye(50, 3) == 1, np.nan, x))
    with pytest.raises(ValueError, match="at least 1 variable"):
        gaussian_total_correlation(x, indices=[])
    with pytest.raises(ValueError, match=r"`indices` must lie in \[0, 2\]"):
        gaussian_total_correlation(x, indices=[0, 3])
    with pytest.raises(ValueError, match="repeats a column"):
        gaussian_total_correlation(x, indices=[1, 1])
    with pytest.raises(TypeError, match="1-D array of column indices"):
        gaussian_total_correlation(x, indices=[0.5])
    with pytest.raises(ValueError, match="at least 2 examples"):
        gaussian_total_correlation(x[:1])


# --------------------------------------------------------------------------- mutual information
def test_discretise_matches_numpy_histogram_bins():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(1000, 3)) * [1, 10, 0.1]
    codes = discretise(x, n_bins=20)
    for j in range(3):
        edges = np.histogram(x[:, j], bins=20)[1]
        np.testing.assert_array_equal(codes[:, j], np.digitize(x[:, j], edges[:-1]) - 1)
    assert discretise(np.full((4, 1), 3.0)).ravel().tolist() == [0, 0, 0, 0]


def test_mi_matches_sklearn_and_entropy():
    rng = np.random.default_rng(7)
    u = rng.integers(0, 5, 3000)
    v = (u + rng.integers(0, 3, 3000)) % 6
    assert discrete_mutual_information(u, v) == pytest.approx(mutual_info_score(u, v), rel=1e-10)
    counts = np.bincount(u)
    assert discrete_mutual_information(u, u) == pytest.approx(entropy(counts), rel=1e-10)
    # an exactly balanced product design is independent: MI = 0
    a, b = np.meshgrid(np.arange(4), np.arange(3))
    assert discrete_mutual_information(a.ravel(), b.ravel()) == pytest.approx(0.0, abs=1e-12)


def test_averaged_mi_matches_pairwise_sklearn():
    x = _correlated(2000, 4, seed=8)
    codes = discretise(x, 20)
    pairs = [mutual_info_score(codes[:, i], codes[:, j])
             for i in range(4) for j in range(4) if i != j]
    assert averaged_mutual_information(x) == pytest.approx(np.mean(pairs), rel=1e-10)
    assert averaged_mutual_information(x, indices=[1, 3]) == pytest.approx(
        mutual_info_score(codes[:, 1], codes[:, 3]), rel=1e-10)
    batch = np.stack([x, x[::-1] * 2])
    np.testing.assert_allclose(averaged_mutual_information(batch),
                               averaged_mutual_information(x))


def test_averaged_mi_dilution_theorem_6_4_2():
    rng = np.random.default_rng(9)
    n = 20000
    active = rng.normal(size=n)
    pair = np.column_stack([active, active + 0.3 * rng.normal(size=n)])
    c = averaged_mutual_information(pair)
    for k in (3, 5):
        # exact with constant passive columns (MI with a constant is 0)
        const = np.column_stack([pair, np.zeros((n, k - 2))])
        assert averaged_mutual_information(const) == pytest.approx(2 * c / (k * k - k),
                                                                   rel=1e-12)
        # approximately with independent N(0, 1) passive columns (plug-in MI bias ~ 0.01 nats)
        noisy = np.column_stack([pair, rng.normal(size=(n, k - 2))])
        assert averaged_mutual_information(noisy) == pytest.approx(2 * c / (k * k - k),
                                                                   rel=0.1)


def test_mi_errors():
    with pytest.raises(TypeError, match="integer bin labels"):
        discrete_mutual_information([0.5, 1.0], [0, 1])
    with pytest.raises(ValueError, match="same number of examples"):
        discrete_mutual_information([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="at least 2 variable"):
        averaged_mutual_information(np.ones((5, 3)), indices=[0])
    with pytest.raises(ValueError, match="`n_bins` must be >= 1"):
        averaged_mutual_information(np.ones((5, 3)), n_bins=0)


# --------------------------------------------------------------------------- effective rank
def test_effective_rank_closed_forms():
    assert effective_rank(np.eye(4)) == pytest.approx(4.0)
    assert effective_rank(np.outer([1, 2, 3], [4, 5])) == pytest.approx(1.0)
    p = np.array([0.75, 0.25])
    assert effective_rank(np.diag([3.0, 1.0])) == pytest.approx(np.exp(-np.sum(p * np.log(p))))


def test_effective_rank_invariances_and_bounds():
    rng = np.random.default_rng(10)
    a = rng.normal(size=(6, 4))
    u, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    v, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    e = effective_rank(a)
    assert 1 <= e <= 4
    assert effective_rank(u @ a @ v) == pytest.approx(e)
    assert effective_rank(-5.0 * a) == pytest.approx(e)


def test_effective_rank_of_correlated_gaussian_is_slightly_above_one():
    # thesis Sect. 6.4.2.3: rank 2, effective rank "only slightly above one"
    rng = np.random.default_rng(11)
    z = rng.normal(size=(5000, 1))
    x = np.column_stack([z, z + 0.05 * rng.normal(size=(5000, 1))])
    e = representation_effective_rank(x)
    assert np.linalg.matrix_rank(np.cov(x, rowvar=False)) == 2
    assert 1.0 < e < 1.05


def test_representation_effective_rank_counts_non_passive_variables():
    # thesis Sect. 6.4.3, Fig 6.6: erank(mean) ~ d - #passive
    rng = np.random.default_rng(12)
    n = 4000
    mean_rep = np.column_stack([rng.normal(size=(n, 3)), 1e-3 * rng.normal(size=(n, 2))])
    assert representation_effective_rank(mean_rep) == pytest.approx(3.0, abs=0.05)
    sampled = np.column_stack([mean_rep[:, :3], rng.normal(size=(n, 2))])
    assert representation_effective_rank(sampled) == pytest.approx(5.0, abs=0.1)
    # the centred-data variant uses the square roots of the covariance eigenvalues
    x = _correlated(300, 3, seed=13)
    s = np.sqrt(np.linalg.eigvalsh(np.cov(x, rowvar=False)))
    p = s / s.sum()
    assert representation_effective_rank(x, of="centred_data") == pytest.approx(
        np.exp(-np.sum(p * np.log(p))))
    with pytest.raises(ValueError, match="unknown `of`"):
        representation_effective_rank(x, of="gram")
    with pytest.raises(ValueError, match="matrix` is zero"):
        effective_rank(np.zeros((2, 2)))


# --------------------------------------------------------------------------- classifiers
def _labelled(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    y = np.column_stack([(x[:, 0] > 0).astype(int), np.digitize(x[:, 1], [-0.5, 0.5])])
    return x, y


def test_logistic_regression_uses_the_informative_variables():
    # factor 0 depends on variable 0 only, factor 1 on variable 1 only
    x, y = _labelled(400, 14)
    full = logistic_regression_accuracy(x[:250], y[:250], x[250:], y[250:], n_cs=2, n_folds=2)
    assert full.per_factor[0] > 0.9 and full.per_factor[1] > 0.75
    assert full.mean == pytest.approx(full.per_factor.mean())
    assert full.converged and np.all(np.isfinite(full.best_c))
    np.testing.assert_allclose(full.chance, [1 / 2, 1 / 3])
    swapped = logistic_regression_accuracy(x[:250], y[:250], x[250:], y[250:], indices=[1, 2],
                                           n_cs=2, n_folds=2, standardise=True)
    assert swapped.per_factor[0] < 0.65 and swapped.per_factor[1] > 0.75


def test_logistic_regression_single_class_factor_and_convergence_warning():
    x, y = _labelled(200, 15)
    y = np.column_stack([y[:, 0], np.zeros(200, dtype=int)])
    res = logistic_regression_accuracy(x[:150], y[:150], x[150:], y[150:], n_cs=2, n_folds=2)
    assert res.per_factor[1] == 1.0 and np.isnan(res.best_c[1])
    with pytest.warns(RuntimeWarning, match="increase `max_iter`"):
        slow = logistic_regression_accuracy(x[:150] * 1e3, y[:150], x[150:] * 1e3, y[150:],
                                            n_cs=2, n_folds=2, max_iter=1)
    assert not slow.converged
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = logistic_regression_accuracy(x[:150] * 1e3, y[:150], x[150:] * 1e3, y[150:],
                                             n_cs=2, n_folds=2, max_iter=1, warn=False)
    assert not quiet.converged


def test_logistic_regression_errors():
    x, y = _labelled(40, 16)
    with pytest.raises(ValueError, match="same number of examples"):
        logistic_regression_accuracy(x, y[:30], x, y)
    with pytest.raises(TypeError, match="integer factor classes"):
        logistic_regression_accuracy(x, y * 0.5, x, y)
    with pytest.raises(ValueError, match="same numbers of variables and factors"):
        logistic_regression_accuracy(x, y, x[:, :3], y)
    with pytest.raises(ValueError, match="exceeds the 5 training"):
        logistic_regression_accuracy(x[:5], y[:5], x, y, n_folds=6)
    with pytest.raises(ValueError, match="at least 1 variable"):
        logistic_regression_accuracy(x, y, x, y, indices=np.array([], dtype=int))


def test_random_classifier_is_at_chance():
    rng = np.random.default_rng(17)
    y = np.column_stack([rng.integers(0, 3, 20000), rng.integers(0, 40, 20000)])
    res = random_classifier_accuracy(y[:2000], y)
    np.testing.assert_allclose(res.chance, [1 / 3, 1 / 40])
    np.testing.assert_allclose(res.per_factor, res.chance, atol=0.012)
    again = random_classifier_accuracy(y[:2000], y)
    assert again.mean == res.mean
    with pytest.raises(ValueError, match="same number of factors"):
        random_classifier_accuracy(y[:, :1], y)


# --------------------------------------------------------------------------- correlations
def test_correlation_matrix_matches_numpy():
    x = _correlated(100, 4, seed=18)
    np.testing.assert_allclose(correlation_matrix(x), np.corrcoef(x, rowvar=False))
    batch = np.stack([x, x ** 3])
    np.testing.assert_allclose(correlation_matrix(batch)[1], np.corrcoef(x ** 3, rowvar=False))
    with pytest.raises(ValueError, match="variable 2 of snapshot 1 is constant"):
        correlation_matrix(np.stack([x, np.where(np.arange(4) == 2, 0.0, x)]))


def test_strong_correlation_counts():
    c = np.tile(np.eye(4), (3, 1, 1))
    for s, (i, j, value) in enumerate([(0, 1, 0.5), (0, 2, -0.9), (1, 3, 0.2)]):
        c[s, i, j] = c[s, j, i] = value
    c[1, 0, 3] = c[1, 3, 0] = 0.25
    # |0.2| is not > 0.2: snapshot 2 counts nothing
    assert strong_correlation_counts(c).tolist() == [2, 1, 1, 1]
    assert strong_correlation_counts(c, count="pairs").tolist() == [3, 1, 1, 1]
    assert strong_correlation_counts(c, threshold=0.1).tolist() == [2, 2, 1, 2]
    with pytest.raises(ValueError, match=r"must lie in \[-1, 1\]"):
        strong_correlation_counts(2 * c)
    with pytest.raises(ValueError, match="square"):
        strong_correlation_counts(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"`threshold` must lie in \[0, 1\)"):
        strong_correlation_counts(c, threshold=1.0)


def test_correlations_with():
    c = correlation_matrix(np.stack([_correlated(50, 4, seed=19), _correlated(50, 4, seed=20)]))
    partners, values = correlations_with(c, 2)
    assert partners.tolist() == [0, 1, 3]
    np.testing.assert_allclose(values, c[:, 2, [0, 1, 3]])
    with pytest.raises(ValueError, match="below the 4 variables"):
        correlations_with(c, 4)
