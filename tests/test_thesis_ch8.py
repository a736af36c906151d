"""Tests of the chapter-8 design, downstream task, FONDUE adapter, tables and plots."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from latentdims.maths.fondue import fondue
from latentdims.plotting.thesis_ch8 import elbow_panels, fondue_branch_plot
from latentdims.studies.thesis_ch8 import (THESIS_TABLES, architecture_table, ch8_run, ch8_settings,
                                   downstream_accuracy, fondue_table, has_real_data,
                                   init_datasets, measure_run, mle_table, run_fondue,
                                   settings_table, sweep_over_n)
from latentdims.studies.thesis_runs import thesis_run


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENTDIMS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("LATENTDIMS_DATA", str(tmp_path / "data"))
    return tmp_path


def test_paper_settings_are_the_thesis():
    s = ch8_settings("paper")
    assert s.ns == (3, 6, 8, 10, 12, 18, 24, 32, 42)          # L2253
    assert s.seeds == (0, 1, 2, 3, 4) and len(s.fondue_seeds) == 10
    assert s.supervised_range == (1, 200) and s.ide_points == 10_000
    assert s.ide_ks == (3, 5, 10, 20) and s.random_inits[:3] == (5, 19, 22)
    q = ch8_settings("quick")
    assert 10 in q.ns            # the shared chapter 6-8 model (beta = 1, n = 10)
    with pytest.raises(ValueError, match="profile"):
        ch8_settings("huge")


def test_initialisation_datasets_add_real_celeba_only(tmp_cache):
    assert ch8_settings("paper").ib_seeds == ch8_settings("paper").fondue_seeds
    assert init_datasets("quick") == ch8_settings("quick").init_datasets
    assert "celeba" not in init_datasets("quick") and not has_real_data("celeba")
    (tmp_cache / "data" / "celeba").mkdir(parents=True)
    (tmp_cache / "data" / "celeba" / "list_attr_celeba.txt").write_text("")
    assert has_real_data("celeba") and init_datasets("quick")[-1] == "celeba"
    with pytest.raises(ValueError, match="dataset"):
        has_real_data("mnist")


def test_ch8_run_shares_the_thesis_runs_key_and_epochs():
    assert ch8_run(profile="quick", latent_dim=10) == thesis_run("beta_vae", profile="quick", beta=1)
    r = ch8_run("dip_vae_ii", profile="quick", latent_dim=5, epochs=3, lambda_od=0.5)
    assert r.steps == 3 * ch8_settings("quick").epoch_steps and r.epochs == 3
    assert dict(r.params) == {"lambda_od": 0.5}
    with pytest.raises(ValueError, match="model"):
        ch8_run("pca", profile="quick")
    with pytest.raises(ValueError, match="epochs"):
        ch8_run(profile="quick", epochs=0)


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


def test_fondue_table_puts_ours_beside_the_thesis():
    # a step stand-in with Symsol's answer reproduces Table 8.1's eight trainings
    res = [fondue(lambda n, e, s=s: (2.0 * (n > 19 + s), 0.0), n_init=4, epochs=1) for s in (0, 1)]
    df = fondue_table("8.1", {("FONDUE", "symsol"): res})
    row = df[(df.setting == "FONDUE") & (df.dataset == "symsol")].iloc[0]
    assert row["n (ours)"] == 19.5 and row["n (thesis)"] == 19.1
    assert row["models trained (ours)"] == 8 == row["models trained (thesis)"]
    assert len(df) == len(THESIS_TABLES["8.1"])
    assert np.isnan(df[df.dataset == "celeba"]["n (ours)"]).all()   # not run: left empty
    with pytest.raises(ValueError, match="table"):
        fondue_table("9.9", {})


def test_configuration_tables():
    for kind in ("conv", "fc"):
        t = architecture_table(kind)
        assert {"part", "thesis (as printed)", "ours"} <= set(t.columns)
        assert (t.part == "decoder").any() and (t.part == "encoder").any()
    assert "Conv 2x2, 64" in " ".join(architecture_table("conv")["ours"])   # code's kernels
    assert settings_table("quick").shape[1] == 3 and mle_table("smoke").shape[1] == 3


def test_fondue_on_cached_trainings_and_trace_identity(tmp_cache):
    """The adapter trains through the cache: a repeated search trains nothing new, and the
    measured trace gap of a real (tiny) model equals its expectation up to sampling noise."""
    res = run_fondue(profile="smoke", dataset="dsprites", seed=0)
    assert res.models_trained >= 1 and res.n in (0, 1, 2)
    again = run_fondue(profile="smoke", dataset="dsprites", seed=0, criterion="ide")
    assert [e.n for e in again.evaluations][0] == [e.n for e in res.evaluations][0]
    assert again.seconds < res.seconds       # cached trainings: loading only
    sweep = sweep_over_n(profile="smoke", dataset="dsprites", ns=(2,), seeds=(0,), epochs=1)
    row = measure_run(sweep.folders[0][0], profile="smoke")
    assert row["n"] == 2 and row["active"] + row["mixed"] + row["passive"] == 2
    # Var[Z] = Var[M] + mean posterior variance (law of total variance), sampled once
    assert row["trace_gap"] == pytest.approx(row["expected_gap"], rel=0.35, abs=0.3)
    assert 0.0 <= row["accuracy"] <= 1.0 and np.isfinite(row["reconstruction"])


def test_plots_from_a_logged_search():
    res = fondue(lambda n, e: (2.0 * (n > 10), 0.0), n_init=4, epochs=1)
    for branch in ("increase", "decrease"):
        fig = fondue_branch_plot(res, branch)
        assert fig.axes[0].get_title()
    with pytest.raises(ValueError, match="branch"):
        fondue_branch_plot(res, "sideways")
    fig = elbow_panels({"a": ((3, 6), [1.0, 0.5], [0.2, 0.4], {"FONDUE": 5})})
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="empty"):
        elbow_panels({})
