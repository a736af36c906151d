"""Variable types (thesis Sect. 6.4.1) on constructed variance representations."""
import doctest

import numpy as np
import pytest

import latentdims.maths.variables as variables
from latentdims.maths.variables import (classify_variables, count_variable_types,
                                        polarised_trace_gap, type_combinations, type_indices,
                                        variable_types)


def test_doctests():
    assert doctest.testmod(variables).failed == 0


def test_constant_and_alternating_columns():
    # the rule of thesis Sect. 6.4.1 on columns == 1, == 0 and alternating 0/1
    s = np.column_stack([np.ones(10), np.zeros(10), np.tile([0.0, 1.0], 5)])
    for rule in ("thesis", "code"):
        types = variable_types(s, rule=rule)
        assert types.tolist() == ["passive", "active", "mixed"]
        assert sum(count_variable_types(types).values()) == s.shape[1]


def test_statistics_are_mean_and_population_variance():
    rng = np.random.default_rng(0)
    s = rng.uniform(0, 2, size=(50, 4))
    result = classify_variables(s)
    np.testing.assert_allclose(result.mean, s.sum(axis=0) / 50)
    np.testing.assert_allclose(result.variance, ((s - s.mean(0)) ** 2).sum(axis=0) / 50)


def test_thesis_bounds_are_inclusive_and_code_variance_bound_strict():
    # alternating 0.5 / 1.5: mean exactly 1, population variance exactly 0.25 = alpha
    s = np.column_stack([np.tile([0.5, 1.5], 4),      # passive (thesis) / mixed (code)
                         np.full(8, 0.75),             # mean 0.75 = 1 - alpha: passive
                         np.full(8, 0.25),             # mean 0.25 = alpha: active
                         np.full(8, 0.2500001)])       # just above: mixed
    assert variable_types(s, 0.25).tolist() == ["passive", "passive", "active", "mixed"]
    assert variable_types(s, 0.25, rule="code").tolist() == ["mixed", "passive", "active",
                                                             "mixed"]


def test_mean_outside_bands_is_mixed():
    s = np.column_stack([np.full(5, 0.5), np.full(5, 1.2), np.full(5, 0.05)])
    assert variable_types(s).tolist() == ["mixed", "mixed", "active"]
    assert variable_types(s, alpha=0.0).tolist() == ["mixed", "mixed", "mixed"]


def test_simulated_vae_variances():
    # passive: variance ~ 1 with small spread; active: ~ 0.01; mixed: half the inputs passive
    rng = np.random.default_rng(1)
    n = 2000
    passive = np.clip(rng.normal(1.0, 0.02, n), 0, None)
    active = rng.uniform(0.001, 0.02, n)
    mixed = np.where(rng.random(n) < 0.5, passive, active)
    result = classify_variables(np.column_stack([active, passive, mixed, active]))
    assert result.types.tolist() == ["active", "passive", "mixed", "active"]
    assert result.active.tolist() == [0, 3]
    assert result.passive.tolist() == [1] and result.mixed.tolist() == [2]
    assert result.counts == {"active": 2, "mixed": 1, "passive": 1}


def test_type_indices_and_combinations():
    types = np.array(["active", "passive", "mixed", "active", "passive"])
    assert type_indices(types, "passive").tolist() == [1, 4]
    combos = type_combinations(types)
    assert list(combos) == ["full", "active", "mixed", "passive", "active+mixed",
                            "active+passive", "mixed+passive"]
    assert combos["full"].tolist() == [0, 1, 2, 3, 4]
    assert combos["active+passive"].tolist() == [0, 1, 3, 4]
    assert combos["mixed+passive"].tolist() == [1, 2, 4]
    # no mixed variable: the combinations naming it are left out
    assert sorted(type_combinations(["active", "active"])) == ["active", "full"]


@pytest.mark.parametrize("bad, match", [
    (np.array([[1.0, -0.1], [1.0, 0.2]]), "non-negative; got -0.1 at example 0, latent 1"),
    (np.array([[1.0, np.nan], [1.0, 0.2]]), "non-finite"),
    (np.ones(5), "2 dimensions"),
    (np.ones((1, 3)), "at least 2 rows"),
    (np.ones((4, 0)), "no latent variable"),
])
def test_bad_variances(bad, match):
    with pytest.raises(ValueError, match=match):
        variable_types(bad)


def test_bad_options():
    s = np.ones((3, 2))
    with pytest.raises(ValueError, match=r"`alpha` must lie in \[0, 0.5\)"):
        variable_types(s, alpha=0.5)
    with pytest.raises(ValueError, match=r"`alpha` must lie"):
        variable_types(s, alpha=-0.1)
    with pytest.raises(TypeError, match="`alpha` must be a number"):
        variable_types(s, alpha="big")
    with pytest.raises(ValueError, match="unknown `rule` 'paper'"):
        variable_types(s, rule="paper")
    with pytest.raises(ValueError, match="unknown variable type"):
        count_variable_types(["active", "dormant"])
    with pytest.raises(ValueError, match="at least one type"):
        type_indices(["active"])
    with pytest.raises(ValueError, match="unknown `kinds`"):
        type_indices(["active"], "dormant")
    with pytest.raises(ValueError, match="1-D"):
        type_combinations([["active"]])


def test_polarised_trace_gap_counts_variable_types():
    """Props 8.3.1-8.3.3: 0 per active latent, 1 per passive one, 1 - w per mixed one; a model
    whose variances are not polarised departs from it while the law of total variance holds."""
    h = 400
    S = np.zeros((h, 4))
    S[:, 1] = 1.0                                   # passive
    S[: h // 4, 2] = 1.0                            # mixed, active on w = 3/4 of the examples
    S[:, 3] = 0.02                                  # active (small variance)
    assert polarised_trace_gap(S) == pytest.approx(1.0 + 0.25)
    assert polarised_trace_gap(np.zeros((h, 3))) == 0.0
    half = np.full((h, 4), 0.45)                    # not polarised: "active" by the 1/2 cut, mixed by the rule
    from latentdims.maths.fondue import expected_trace_gap
    assert expected_trace_gap(half) == pytest.approx(1.8)
    assert abs(polarised_trace_gap(half) - expected_trace_gap(half)) > 0.5   # the claim can fail
    with pytest.raises(ValueError, match="classify_variables.*variances"):
        polarised_trace_gap(-S)
