"""D1/D2 from rates and distortions (the analytic toy), and the correlation dimension."""
import numpy as np
import pytest
from scipy.spatial.distance import pdist, squareform

from latentdims.maths.dimensionality import (correlation_dimension, finite_difference, neighbour_counts,
                                       rate_distortion_dimensions)
from latentdims.maths.linear_vae import linear_vae_optimum


def test_d1_d2_on_the_analytic_linear_vae():
    sigmas = np.array([3.0, 1.0, 0.3])          # three principal directions
    betas = np.geomspace(0.05, 10, 60)
    opt = linear_vae_optimum(sigmas, betas)
    curve = rate_distortion_dimensions(betas, opt.rate, opt.distortion)
    expected = (sigmas[None, :] > curve.beta[:, None]).sum(axis=1)
    # away from the steps (a finite difference straddling a step is in between)
    far = np.all(np.abs(np.log(curve.beta[:, None] / sigmas[None, :])) > 0.1, axis=1)
    np.testing.assert_allclose(curve.d1[far], expected[far], atol=1e-9)
    np.testing.assert_allclose(curve.d2[far], expected[far], atol=1e-9)


def test_dimension_input_checks():
    with pytest.raises(ValueError, match="strictly increasing"):
        finite_difference([1, 1, 2], [0, 1, 2])
    with pytest.raises(ValueError, match="betas"):
        rate_distortion_dimensions([-1, 1], [0, 0], [0, 0])
    with pytest.raises(ValueError, match="NaN"):
        rate_distortion_dimensions([1, 2], [0, np.nan], [0, 0])
    with pytest.raises(ValueError, match="shape"):
        rate_distortion_dimensions([1, 2], [0, 1, 2], [0, 0])


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_correlation_dimension_of_uniform_cubes(dim):
    x = np.random.default_rng(dim).uniform(size=(1500, dim))
    q = np.geomspace(0.02, 0.1, 4)
    res = correlation_dimension(pdist(x), q, n_boot=50)
    assert np.all(res.valid)
    # boundary effects bias it slightly low at larger scales
    np.testing.assert_allclose(res.dcorr, dim, atol=0.25 * dim)
    assert np.all(res.lower <= res.dcorr + 1e-12) and np.all(res.dcorr <= res.upper + 1e-12)


def test_square_and_condensed_agree_and_sparsity_is_flagged():
    x = np.random.default_rng(0).normal(size=(200, 5))
    d = pdist(x)
    q = np.array([1e-3, 1e-2, 1.0, 2.0])
    a, b = correlation_dimension(d, q, n_boot=0), correlation_dimension(squareform(d), q, n_boot=0)
    np.testing.assert_array_equal(a.pair_counts, b.pair_counts)
    assert not a.valid[0] and np.isnan(a.dcorr[0]) and a.valid[-1]
    counts = neighbour_counts(d, q)
    assert counts.shape == (200, 4) and counts.sum(axis=0)[-1] == a.pair_counts[-1]


def test_correlation_dimension_input_checks():
    with pytest.raises(ValueError, match="N\\(N-1\\)/2"):
        correlation_dimension(np.ones(4), [1, 2])
    with pytest.raises(ValueError, match="strictly increasing"):
        correlation_dimension(np.ones(3), [2, 1])
    with pytest.raises(ValueError, match=">= 0"):
        correlation_dimension(-np.ones(3), [1, 2])
