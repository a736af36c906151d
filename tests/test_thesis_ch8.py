"""Tests of the chapter-8 design, the FONDUE adapter, notebook 51's bookkeeping, tables and plots
(the downstream task is tested with the rest of FONDUE's maths in test_fondue.py)."""
import matplotlib

matplotlib.use("Agg")

import cloudpickle
import numpy as np
import pytest

from latentdims.maths.fondue import fondue
from latentdims.plotting.thesis_ch8 import elbow_panels, fondue_branch_plot
from latentdims.studies import thesis_ch8 as c8
from latentdims.studies import thesis_runs
from latentdims.studies.thesis_ch8 import (THESIS_TABLES, Search, architecture_table, ch8_run,
                                           chosen_n, fondue_table, fondue_tables,
                                           has_real_data, improvement_left, init_datasets,
                                           initialisation_searches, main_searches, mean_n,
                                           measure_run, mle_table, run_fondue,
                                           search_training_seconds, settings, settings_table,
                                           side_elbow_panels, side_searches, supervised_searches,
                                           sweep_over_n, thesis_value)


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENTDIMS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("LATENTDIMS_DATA", str(tmp_path / "data"))
    return tmp_path


def test_paper_settings_are_the_thesis():
    s = settings("paper")
    assert s.ns == (3, 6, 8, 10, 12, 18, 24, 32, 42)          # Sec. 8.4.1
    assert s.seeds == (0, 1, 2, 3, 4) and len(s.fondue_seeds) == 10
    assert s.supervised_range == (1, 200) and s.ide_points == 10_000
    assert s.ide_ks == (3, 5, 10, 20) and s.random_inits[:3] == (5, 19, 22)
    q = settings("quick")
    assert 10 in q.ns            # the shared chapter 6-8 model (beta = 1, n = 10)
    assert q.training == thesis_runs.settings("quick") and q.profile == "quick"
    with pytest.raises(ValueError, match="profile"):
        settings("huge")


def test_initialisation_datasets_add_real_celeba_only(tmp_cache):
    quick = settings("quick")
    assert settings("paper").ib_seeds == settings("paper").fondue_seeds
    assert init_datasets(quick) == quick.init_datasets
    assert "celeba" not in init_datasets(quick) and not has_real_data("celeba")
    (tmp_cache / "data" / "celeba").mkdir(parents=True)
    (tmp_cache / "data" / "celeba" / "list_attr_celeba.txt").write_text("")
    assert has_real_data("celeba") and init_datasets(quick)[-1] == "celeba"
    with pytest.raises(ValueError, match="dataset"):
        has_real_data("mnist")


def test_ch8_run_shares_the_thesis_runs_key_and_epochs():
    quick = settings("quick")
    assert ch8_run(quick, latent_dim=10) == thesis_runs.thesis_run("beta_vae", quick.training, beta=1)
    r = ch8_run(quick, model="dip_vae_ii", latent_dim=5, epochs=3, lambda_od=0.5)
    assert r.steps == 3 * quick.epoch_steps and r.epochs == 3
    assert dict(r.params) == {"lambda_od": 0.5}
    with pytest.raises(ValueError, match="model"):
        ch8_run(quick, model="pca")
    with pytest.raises(ValueError, match="epochs"):
        ch8_run(quick, epochs=0)
    with pytest.raises(TypeError, match="ch8_run.*settings\\(profile\\)"):
        ch8_run("quick")


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
    assert settings_table(settings("quick")).shape[1] == 3 and mle_table(settings("smoke")).shape[1] == 3


def test_fondue_on_cached_trainings_and_trace_identity(tmp_cache):
    """The adapter trains through the cache: a repeated search trains nothing new, and the
    measured trace gap of a real (tiny) model equals its expectation up to sampling noise."""
    smoke = settings("smoke")
    res = run_fondue(smoke, dataset="dsprites", seed=0)
    assert res.models_trained >= 1 and res.n in (0, 1, 2)
    again = run_fondue(smoke, dataset="dsprites", seed=0, criterion="ide")
    assert [e.n for e in again.evaluations][0] == [e.n for e in res.evaluations][0]
    assert again.seconds < res.seconds       # cached trainings: loading only
    assert np.isfinite(search_training_seconds(Search(res), smoke))     # found in the cache
    sweep = sweep_over_n(smoke, dataset="dsprites", ns=(2,), seeds=(0,), epochs=1)
    row = measure_run(sweep.folders[0][0], smoke)
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


def test_helpers_of_the_elbow_claims():
    assert improvement_left([1, 2, 3], [[3.0, 2.0, 1.0]], 3) == 0.0
    assert improvement_left([1, 2, 3], [0.2, 0.5, 0.8], 1, higher_is_better=True) == 1.0
    assert np.isnan(improvement_left([1, 2], [1.0, 1.0], 1))          # no improvement
    assert thesis_value("8.2", "beta=4", "symsol") == 10 and np.isnan(thesis_value("8.2", "x", "y"))
    res = [Search(fondue(lambda n, e, s=s: (2.0 * (n > 5 + s), 0.0), n_init=4, epochs=1), seed=s)
           for s in (0, 1)]
    assert [r.result.n for r in res] == [5, 6] and mean_n(res) == 5.5
    assert chosen_n({("FONDUE", "dsprites"): res}, ("FONDUE",), "dsprites") == {"FONDUE": 5.5}


def test_notebook_51_bookkeeping_on_the_smoke_design(tmp_cache, monkeypatch):
    """Every search of notebook 51 carries its training configuration into the tables, and every
    figure gets its panels; trainings and sweeps are replaced by cheap stand-ins here (the real
    adapter is tested above and by the notebook under nbval)."""
    monkeypatch.setattr(c8, "fondue_trainer", lambda cfg, **kw: (lambda n, e: (2.0 * (n > 1), 0.0)))

    def fake_curves(sweep, cfg):
        return c8.ElbowCurves(sweep.runs[0].dataset, sweep.ns, np.ones((1, len(sweep.ns))),
                              np.zeros((1, len(sweep.ns))), True)

    monkeypatch.setattr(c8, "elbow_curves", fake_curves)
    monkeypatch.setenv("LATENTDIMS_SCHEDULER", "inline")        # the fake trainer lives here

    def sweep(fn, jobs, **options):                              # FONDUE searches run; no training
        return [fn(job) for job in jobs] if fn is c8.search_task else [None] * len(jobs)

    monkeypatch.setattr(c8, "run_sweep", sweep)
    monkeypatch.setattr(c8, "fondue_start", lambda cfg, dataset, seed=0: 2)   # no data IDEs here
    smoke = settings("smoke")
    main = main_searches(smoke)
    assert set(main) == {(a, "dsprites") for a in ("FONDUE", "FONDUE_IB", "FONDUE_IDE")}
    assert [r.result.n for r in main[("FONDUE", "dsprites")]] == [1]
    sent = cloudpickle.loads(cloudpickle.dumps(main))            # what a Dask worker sends back
    assert [r.result.n for r in sent[("FONDUE", "dsprites")]] == [1]
    side, fc = side_searches(smoke)
    assert list(side) == list(smoke.side_searches) and list(fc) == list(smoke.side_criteria)
    assert fc["trace"] is side["fc"]                          # one search, not two
    assert side["dip05"][0].params == (("lambda_od", 0.5),) and fc["ib"][0].architecture == "fc"
    assert side["dip05"][0].model == "dip_vae_ii" and side["dip05"][0].result.criterion == "trace"
    refs, inits = initialisation_searches(smoke, main)
    assert refs["dsprites"] is main[("FONDUE", "dsprites")][0] and refs["symsol"].dataset == "symsol"
    assert list(inits) == [(1, "symsol"), (1, "dsprites")]
    supervised = supervised_searches(smoke)
    assert set(supervised) == {("BS_FONDUE", "dsprites"), ("IB", "dsprites")}
    assert np.isnan(search_training_seconds(supervised[("IB", "dsprites")][0], smoke))  # not cached
    tables = fondue_tables(smoke, main=main, side=side, fc=fc, references=refs, inits=inits,
                           supervised=supervised)
    assert list(tables) == [f"table-{t}" for t in ("8.1", "8.2", "8.3", "8.7", "8.8", "D.5",
                                                    "8.4", "8.5", "8.6")]
    t81, caption = tables["table-8.1"]
    assert caption.startswith("FONDUE and FONDUE_IB. Ours: profile smoke;")
    row = t81[(t81.setting == "FONDUE") & (t81.dataset == "dsprites")].iloc[0]
    assert row["n (ours)"] == 1 and "training time/run (ours, s)" in t81.columns
    t86 = tables["table-8.6"][0].set_index("setting")
    assert t86.loc["n_init=2 (data IDE)", "n (ours)"] == 1 and "n_init=1" in t86.index
    assert "not run in profile smoke" in tables["table-8.5"][1]
    panels = side_elbow_panels(smoke, main, side, fc)
    assert list(panels) == ["figure-8.6", "figure-8.7", "figure-8.8", "figure-D.1", "figure-D.2",
                            "figure-D.3", "figure-D.4"]
    (ns, rec, acc, lines), = panels["figure-8.8"].values()
    assert ns == smoke.side_ns and set(lines) == {"FONDUE (ours)", "FONDUE_IB (ours)"}
    assert lines["FONDUE (ours)"] == mean_n(fc["trace"]) == 1.0
    assert list(panels["figure-D.2"]) == ["beta = 4, dsprites (STAND-IN)"]
    (d1,) = panels["figure-D.1"].values()
    assert d1.dataset == "symsol" and "FONDUE (ours)" in d1[3]          # the Symsol search's line
    assert set(tables["table-8.2"][0].dataset[tables["table-8.2"][0]["n (ours)"].notna()]) == {
        "dsprites", "symsol"}
    assert set(next(iter(panels["figure-D.2"].values()))[3]) == {"FONDUE (ours)", "FONDUE (thesis)"}
    with pytest.raises(TypeError, match="main_searches.*settings"):
        main_searches("smoke")


# --- the checks of the claims (issue #13) --------------------------------------------------------


def test_elbow_finds_the_bend_and_needs_four_points():
    ns = (3, 6, 10, 18)
    assert c8.elbow(ns, [60.0, 30.0, 26.0, 25.0]) == 6.0
    assert c8.elbow(ns, [60.0, 50.0, 26.0, 25.0]) == 10.0
    assert c8.elbow(ns, [[0.2, 0.5, 0.9, 0.92], [0.2, 0.5, 0.9, 0.9]], higher_is_better=True) == 10.0
    assert np.isnan(c8.elbow((3, 6, 10), [60.0, 30.0, 25.0]))            # fewer than 4 n
    assert np.isnan(c8.elbow(ns, [25.0, 26.0, 30.0, 60.0]))              # gets worse
    assert np.isnan(c8.elbow(ns, [60.0, 59.0, 55.0, 25.0]))              # no bend below the chord
    assert np.isnan(c8.elbow(ns, [60.0, np.nan, 26.0, 25.0]))
    rec, acc = [60.0, 50.0, 26.0, 25.0], [0.2, 0.5, 0.9, 0.9]
    value, passed = c8.elbow_check(ns, rec, acc, 11)
    assert passed and value["reconstruction elbow"] == 10.0 and value["accuracy elbow"] == 10.0
    assert not c8.elbow_check(ns, rec, acc, 5)[1]                        # nearest swept n is 6
    assert not c8.elbow_check(ns, rec, acc, 17)[1]                       # overestimates
    assert c8.elbow_check(ns, rec, acc, 17, above=1)[1]                  # allowed on Symsol
    value, passed = c8.elbow_check((2, 4), [2.0, 1.0], [0.5, 0.6], 3)
    assert not passed and "needs 4" in value["undecidable"]
    value, passed = c8.elbow_check(ns, [60.0, 59.0, 55.0, 25.0], acc, 10)
    assert not passed and "no elbow" in value["undecidable"]


def test_figure_elbow_check_reads_the_panels():
    ns, acc = (3, 6, 10, 18), [0.2, 0.5, 0.9, 0.9]
    good = c8.Panel(ns, [60.0, 50.0, 26.0, 25.0], acc, {"FONDUE (ours)": 10, "FONDUE (thesis)": 3},
                    dataset="dsprites")
    over = c8.Panel(ns, [60.0, 50.0, 26.0, 25.0], acc, {"FONDUE (ours)": 18}, dataset="symsol")
    thesis_only = c8.Panel(ns, [60.0, 30.0, 26.0, 25.0], acc, {"FONDUE (thesis)": 99},
                           dataset="dsprites")
    ns_, rec, acc_, lines = good                                       # still a 4-tuple
    assert lines["FONDUE (ours)"] == 10 and good.dataset == "dsprites"
    value, passed = c8.figure_elbow_check({"a": good, "b": over, "c": thesis_only})
    assert passed and set(value) == {"a", "b"}                          # Symsol: one step above
    over_dsprites = c8.Panel(*over, dataset="dsprites")
    assert not c8.figure_elbow_check({"a": good, "b": over_dsprites})[1]
    value, passed = c8.figure_elbow_check({"c": thesis_only})
    assert not passed and "undecidable" in value
    assert set(c8.ELBOW_FIGURES) <= {*c8.FIGURE_CONFIGS, "figure-8.7", *c8.D_FIGURES}


def test_searches_start_from_the_cached_data_ide(tmp_cache):
    """FONDUE starts from the MLE (k = 20) of Fig 8.4, computed once and kept in the cache,
    so notebook 51 uses notebook 50's numbers without notebook 50 having run."""
    smoke = settings("smoke")
    ides = c8.data_ides("dsprites", smoke)
    entries = list((tmp_cache / "cache" / "ch8_data_ide").iterdir())
    assert len(entries) == 1 and set(ides["values"]) == {"MLE (k=3)", "MLE (k=5)", "MLE (k=10)",
                                                         "MLE (k=20)", "TwoNN"}
    again = c8.data_ides("dsprites", smoke)
    assert all(np.array_equal(again["values"][k], v) for k, v in ides["values"].items())
    assert again["stand_in"] == ides["stand_in"] and again["description"] == ides["description"]
    start = c8.fondue_start(smoke, "dsprites")
    assert start == max(1, round(float(np.mean(ides["values"]["MLE (k=20)"]))))
    assert len(list((tmp_cache / "cache" / "ch8_data_ide").iterdir())) == 1    # read, not rebuilt
    assert f"dsprites (stand-in): n_init = {start}" in c8.start_note(smoke, ["dsprites"])
    import dataclasses
    with pytest.raises(ValueError, match="fondue_start.*k = 20"):
        c8.fondue_start(dataclasses.replace(smoke, ide_ks=(3, 5)), "dsprites")


def test_init_check_and_beta_pruning():
    def search(n_star, n_init=4, **kw):
        return Search(fondue(lambda n, e: (2.0 * (n > n_star), 0.0), n_init=n_init, epochs=1), **kw)

    refs = {"dsprites": search(10, n_init=11)}
    value, passed = c8.init_check(refs, {(5, "dsprites"): [search(10, n_init=5)],
                                         (40, "dsprites"): [search(10, n_init=40)]}, "dsprites")
    assert passed and value == {"IDE start 11: n = 10": {"n_init=5": [10], "n_init=40": [10]}}
    assert not c8.init_check(refs, {(5, "dsprites"): [search(12, n_init=5)]}, "dsprites")[1]
    value, passed = c8.init_check(refs, {}, "celeba")
    assert not passed and "celeba" in value["undecidable"]
    main = {("FONDUE", "dsprites"): [search(10)]}
    side = {"beta4": [search(6)], "dip05": [search(12)], "beta4-symsol": [search(5)]}
    assert c8.beta_pruning(main, side) == {"dsprites": {"beta=1": 10.0, "beta=4": 6.0}}


def test_claim_ledger_of_each_profile():
    paper, quick = settings("paper"), settings("quick")
    figures = ("figure-8.2", "figure-8.4", "figure-8.5", "figure-8.7", "figure-8.9", "figure-8.11",
               "figure-D.2", "table-8.1", "table-8.4", "table-D.5")
    assert all(c8.figure_substitution(f, paper) is None for f in figures)
    assert "in place of CelebA" in c8.figure_substitution("figure-8.1", paper)   # Fig 8.1 is CelebA's
    assert "the thesis gives no AE loss" in c8.figure_substitution("figure-8.6", paper)
    sub = c8.figure_substitution("figure-8.5", quick)
    assert "1,500 training steps" in sub and "2 FONDUE seed(s)" in sub
    assert "[1, 64]" in c8.figure_substitution("table-D.5", quick)
    assert "n_init in {5, 40}" in c8.figure_substitution("table-8.6", quick)
    assert "300 steps" in c8.figure_substitution("figure-D.1", quick)
    assert c8.figure_data("figure-D.3", quick) == "symsol" and c8.figure_data("table-8.5", quick) == "celeba"
    assert c8.figure_data("table-8.2", quick) == ["dsprites", "symsol"]
    assert c8.figure_data("figure-8.9", paper) == ["symsol", "dsprites", "celeba"]
    led = c8.ledger("table-8.1", quick, kind="sanity", data="dsprites", note="extra")
    assert led["kind"] == "sanity" and led["data"] == "dsprites" and led["substitution"].endswith("; extra")
    assert "1,500 training steps" in c8.cost_substitution(quick, other_model=True)
    with pytest.raises(ValueError, match="figure_substitution.*figure-9.9"):
        c8.figure_substitution("figure-9.9", quick)


def test_side_searches_cover_every_elbow_figure():
    """Every conv panel of Figs 8.7 and D.1-D.4 that the quick design draws at a searched
    configuration gets our FONDUE line (the symsol searches included), and the side sweeps
    have enough n for an elbow."""
    quick = settings("quick")
    assert len(quick.side_ns) >= c8.MIN_ELBOW_POINTS and len(quick.ns) >= c8.MIN_ELBOW_POINTS
    searched = {(m, next(iter(p.values())), ds) for m, p, arch, _, _, ds in
                (c8.SIDE_SEARCHES[k] for k in quick.side_searches) if arch == "conv"}
    for fig, (model, ds, key, _) in c8.D_FIGURES.items():
        values = quick.d_betas if key == "beta" else quick.d_lambdas
        assert any((model, v, ds) in searched for v in values), fig


def test_cost_check_against_one_full_training(tmp_cache):
    smoke = settings("smoke")
    assert np.isnan(c8.full_training_seconds(smoke))            # nothing trained yet
    res = run_fondue(smoke, dataset="dsprites", seed=0, n_init=1)
    sweep_over_n(smoke, dataset="dsprites", ns=(2,), seeds=(0,))     # one full training
    full = c8.full_training_seconds(smoke)
    assert np.isfinite(full) and full > 0
    search = Search(res)
    cost = search_training_seconds(search, smoke)
    value, passed, used = c8.cost_check({"FONDUE": [search]}, smoke, reference={"dsprites": full},
                                        at_most=10 * cost / full)
    assert passed and used == ["dsprites"]
    assert value["FONDUE, seed 0"]["share"] == pytest.approx(cost / full, abs=1e-3)
    assert not c8.cost_check({"FONDUE": [search]}, smoke, reference={"dsprites": full},
                             at_most=0.1 * cost / full)[1]
    value, passed, used = c8.cost_check({"FONDUE": [search]}, smoke, reference={}, at_most=1e9)
    assert not passed and used == [] and "no full training" in value["FONDUE, seed 0"]
    # a search whose models are not in the cache never passes
    other = Search(res, model="dip_vae_ii", params=(("lambda_od", 3.0),))
    assert not c8.cost_check({"x": [other]}, smoke, reference={"dsprites": full}, at_most=1e9)[1]
    main = {("FONDUE", "dsprites"): [search], ("FONDUE_IB", "dsprites"): [other]}
    supervised = {("BS_FONDUE", "dsprites"): [other], ("IB", "dsprites"): [other]}
    value, passed = c8.binary_search_cost_check(smoke, main, supervised)
    assert not passed and set(value) == {"BS_FONDUE / FONDUE, dsprites", "IB / FONDUE_IB, dsprites"}
