"""MLE and TwoNN intrinsic dimensions: known dimensions, scikit-dimension cross-checks (same
definitions, same numbers), duplicate policy, repeated estimates and the Section 8.2.4 procedure."""
import doctest
import warnings

import numpy as np
import pytest
import skdim

from latentdims.maths import intrinsic_dim
from latentdims.maths.intrinsic_dim import local_mle, mle, repeated_id, select_ide, twonn, unique_rows


def embedded(n, d, m, seed=0):
    """n points with intrinsic dimension d: a uniform cube mapped linearly into R^m."""
    rng = np.random.default_rng(seed)
    return rng.random((n, d)) @ rng.normal(size=(d, m))


@pytest.fixture(scope="module")
def cloud():
    return embedded(1500, 4, 9, seed=3)


def test_doctests():
    assert doctest.testmod(intrinsic_dim, optionflags=doctest.ELLIPSIS).failed == 0


@pytest.mark.parametrize("k", [3, 10, 20])
def test_mle_matches_skdim(cloud, k):
    # MacKay-Ghahramani (skdim comb="mle"), with k - 1 (skdim default) and k - 2 (unbiased=True)
    ours = mle(cloud, k=k)
    ref = skdim.id.MLE().fit(cloud, n_neighbors=k, comb="mle").dimension_
    assert ours == pytest.approx(ref, rel=1e-10)
    ours_k2 = mle(cloud, k=k, normalisation="k-2")
    ref_k2 = skdim.id.MLE(unbiased=True).fit(cloud, n_neighbors=k, comb="mle").dimension_
    assert ours_k2 == pytest.approx(ref_k2, rel=1e-10)
    # the plain Levina-Bickel mean (thesis Eq 8.3) is skdim's comb="mean"
    lb = mle(cloud, k=k, averaging="levina-bickel")
    assert lb == pytest.approx(skdim.id.MLE().fit(cloud, n_neighbors=k, comb="mean").dimension_,
                               rel=1e-10)


def test_mle_normalisations_differ_by_the_stated_factor(cloud):
    k = 20
    ratio = mle(cloud, k=k, normalisation="k-2") / mle(cloud, k=k)
    assert ratio == pytest.approx((k - 2) / (k - 1))


@pytest.mark.parametrize("m", [9, 30])   # skdim takes another code path above 25 features
def test_twonn_matches_skdim(m):
    X = embedded(1200, 3, m, seed=5)
    assert twonn(X) == pytest.approx(skdim.id.TwoNN(discard_fraction=0.1).fit(X).dimension_,
                                     rel=1e-10)


@pytest.mark.parametrize("d", [2, 5])
def test_known_dimensions(d):
    X = embedded(4000, d, 12, seed=d)
    assert mle(X, k=20) == pytest.approx(d, rel=0.12)
    assert twonn(X) == pytest.approx(d, rel=0.12)


def test_mle_rises_with_dimension_and_ignores_embedding():
    low, high = mle(embedded(2000, 2, 10)), mle(embedded(2000, 6, 10))
    assert low < high
    rot = np.linalg.qr(np.random.default_rng(1).normal(size=(10, 10)))[0]
    X = embedded(800, 3, 10)
    # distances are preserved by rotations and ratios by scaling: identical estimates
    assert mle(5.0 * X @ rot + 2.0, k=10) == pytest.approx(mle(X, k=10), rel=1e-9)


def test_worked_example_natural_log():
    X = np.array([[0, 0, 0], [0, 1, 0], [1, 0, 0], [2, 0, 0]], dtype=float)
    assert local_mle(X, k=3, queries=[0])[0] == pytest.approx(1 / np.log(2))


def test_queries_average_the_local_estimates(cloud):
    q = np.arange(0, 1500, 7)
    local = local_mle(cloud, k=10, queries=q)
    assert mle(cloud, k=10, queries=q) == pytest.approx(1 / np.mean(1 / local))
    assert mle(cloud, k=10, queries=q, averaging="levina-bickel") == pytest.approx(local.mean())


def test_duplicates_are_merged_with_a_warning(cloud):
    doubled = np.concatenate([cloud, cloud[:100]])
    with pytest.warns(UserWarning, match="merged 100 duplicate"):
        assert mle(doubled, k=10) == pytest.approx(mle(cloud, k=10))
    with pytest.warns(UserWarning, match="merged 100 duplicate"):
        assert twonn(doubled) == pytest.approx(twonn(cloud))
    with pytest.raises(ValueError, match="100 duplicate row"):
        twonn(doubled, duplicates="raise")
    with pytest.raises(ValueError, match="unknown `duplicates`"):
        mle(cloud, duplicates="ignore")


def test_unique_rows_keeps_first_seen_order():
    X = np.array([[3.0], [1.0], [3.0], [2.0]])
    with pytest.warns(UserWarning):
        assert unique_rows(X).ravel().tolist() == [3.0, 1.0, 2.0]


def test_bad_inputs_are_named():
    X = embedded(30, 2, 3)
    with pytest.raises(ValueError, match=r"mle: k=20 neighbours needs at least 21 distinct "
                                         r"points; got 15"):
        mle(X[:15], k=20)
    bad = X.copy()
    bad[4, 1] = np.nan
    with pytest.raises(ValueError, match=r"mle: `X` contains 1 non-finite value.*NaN at index "
                                         r"\(4, 1\)"):
        mle(bad, k=5)
    with pytest.raises(ValueError, match="must have 2 dimensions"):
        twonn(X[:, 0])
    with pytest.raises(ValueError, match="`k` must be >= 2"):
        mle(X, k=1)
    with pytest.raises(ValueError, match="'k-2' needs k >= 3"):
        mle(X, k=2, normalisation="k-2")
    with pytest.raises(ValueError, match=r"`discard` must lie in \[0, 1\)"):
        twonn(X, discard=1.0)
    with pytest.raises(ValueError, match="`queries` must index the 30 distinct points"):
        mle(X, k=3, queries=[0, 30])
    with pytest.raises(TypeError, match="`queries` must be a non-empty 1-D array"):
        mle(X, k=3, queries=[0.5])
    with pytest.raises(ValueError, match="unknown `averaging`"):
        mle(X, averaging="median")


def test_equidistant_neighbours():
    grid = np.stack(np.meshgrid(np.arange(6.0), np.arange(6.0)), -1).reshape(-1, 2)
    # on a square lattice the two nearest neighbours of every point are equidistant
    with pytest.raises(ValueError, match="equidistant"):
        twonn(grid)
    with pytest.raises(ValueError, match="every point are equidistant"):
        mle(grid, k=2)
    # interior points have 4 neighbours at distance 1, corners do not
    with pytest.raises(ValueError, match="Levina-Bickel mean is undefined"):
        mle(grid, k=3, averaging="levina-bickel")
    assert np.isfinite(mle(grid, k=8))


def test_repeated_estimates_have_spread_and_are_seeded(cloud):
    a = repeated_id(cloud, "mle", k=10, n_runs=4, seed=2)
    b = repeated_id(cloud, "mle", k=10, n_runs=4, seed=2)
    assert np.array_equal(a.values, b.values)
    assert a.values.shape == (4,) and a.std > 0 and a.n_points == 1500
    assert a.mean == pytest.approx(4, rel=0.15)
    # decimation (subsample="points") looks at a coarser scale but the same dimension
    pts = repeated_id(cloud, "twonn", subsample="points", fraction=0.5, n_runs=3)
    assert pts.mean == pytest.approx(4, rel=0.2)
    single = repeated_id(cloud, "twonn", n_runs=1)
    assert single.std == 0.0
    with pytest.raises(ValueError, match=r"`fraction` must lie in \(0, 1\]"):
        repeated_id(cloud, fraction=1.5)
    with pytest.raises(ValueError, match="unknown `method`"):
        repeated_id(cloud, "pca")


def test_select_ide_finds_the_plateau(cloud):
    sel = select_ide(cloud, n_runs=2)
    assert sel.ks == (3, 5, 10, 20)
    assert sel.k == 20 and sel.k in sel.plateau and len(sel.plateau) >= 2
    assert sel.ide == 4 and sel.stable and sel.twonn_agrees and sel.notes == ()
    assert sel.estimate == pytest.approx(sel.mle[-1].mean)


def test_select_ide_warns_without_plateau(cloud):
    with pytest.warns(UserWarning, match="no two consecutive k"):
        sel = select_ide(cloud, rtol=1e-6, n_runs=2)
    assert not sel.stable and sel.k == 20 and sel.plateau == (20,)
    with pytest.raises(ValueError, match="strictly increasing"):
        select_ide(cloud, ks=(10, 5))


def test_select_ide_flags_a_low_twonn():
    # tight pairs of points: the first neighbour is the twin, so r2/r1 is huge and TwoNN is
    # far below the MLE seen at k = 10-20
    base = embedded(600, 3, 6, seed=4)
    X = np.concatenate([base, base + 1e-4 * np.random.default_rng(0).normal(size=base.shape)])
    with pytest.warns(UserWarning, match="TwoNN .* is well below MLE"):
        select_ide(X, ks=(10, 20), n_runs=2, rtol=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sel = select_ide(X, ks=(10, 20), n_runs=2, rtol=0.5, warn=False)
    assert not sel.twonn_agrees and any("well below" in note for note in sel.notes)
