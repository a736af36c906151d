"""Chapters 5-6 helpers (latentdims.studies.thesis_ch5_6) on constructed arrays, plus one smoke sweep."""
import doctest
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import latentdims.studies.thesis_ch5_6 as ch6  # noqa: E402
from latentdims.maths.scores import correlation_matrix  # noqa: E402
from latentdims.maths.variables import classify_variables  # noqa: E402
from latentdims.plotting import thesis_ch5_6 as plots  # noqa: E402
from latentdims.studies import thesis_ch7, thesis_runs  # noqa: E402
from latentdims.studies.thesis_runs import thesis_run  # noqa: E402

SMOKE, QUICK, PAPER = (ch6.settings(p) for p in ("smoke", "quick", "paper"))


def test_doctests():
    assert doctest.testmod(ch6).failed == 0


def test_paper_profile_is_the_thesis_setup():
    paper = PAPER
    assert paper.seeds == tuple(range(50))            # thesis Sec. 6.4
    assert paper.snapshot_steps == 1000                # thesis Sec. 6.5
    assert paper.thesis_datasets
    assert paper.training == thesis_runs.settings("paper")
    assert ch6.figure_setup("figure-6.6a", PAPER).dataset == "smallnorb"
    assert ch6.ch6_values("annealed_vae", PAPER) == ("c_max", (5.0, 10.0, 25.0, 50.0, 75.0, 100.0))
    assert {m: ch6.ch6_values(m, PAPER) for m in ch6.CH6_GRID} == ch6.CH6_GRID
    quick = ch6.figure_setup("figure-6.6a", QUICK)
    assert quick.dataset == "dsprites" and quick.substituted
    # quick scores the beta-TC VAE figures on the beta-VAE sweep (no passive variables otherwise)
    assert (quick.model, quick.thesis_model) == ("beta_vae", "beta_tc_vae")
    assert quick.describe() == "beta_vae, dsprites (thesis: beta_tc_vae, smallnorb)"
    dip = ch6.figure_setup("figure-6.7", QUICK)
    assert dip.model == dip.thesis_model == "dip_vae_ii" and dip.describe() == "dip_vae_ii, dsprites"
    paper6 = ch6.figure_setup("figure-6.6a", PAPER)
    assert (paper6.model, paper6.dataset, paper6.substituted) == ("beta_tc_vae", "smallnorb", False)
    with pytest.raises(ValueError, match="figure_setup"):
        ch6.figure_setup("figure-9.9", QUICK)
    with pytest.raises(TypeError, match=r"figure_setup: `cfg` must be a Ch56Settings"):
        ch6.figure_setup("figure-6.7", "quick")


def test_classifier_settings_scale_with_the_profile():
    paper, quick, smoke = (c.classifier for c in (PAPER, QUICK, SMOKE))
    assert (paper.n_train, paper.n_test, paper.n_cs, paper.n_folds) == (10_000, 5000, 10, 5)
    assert smoke.n_train < quick.n_train < paper.n_train
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        ch6.settings("fast")


def test_runs_share_cache_keys_with_plain_thesis_runs():
    # the chapter 6 sweep must reuse models trained by the other thesis notebooks: the beta-VAE and
    # DIP-VAE II (and Annealed VAE) runs keep snapshots, so they are chapter 7's runs of the same configuration
    training = QUICK.training
    ch7 = thesis_ch7.settings("quick")
    assert ch6.ch6_run("beta_vae", 8, QUICK) == thesis_run("beta_vae", training, beta=8, snapshots=True)
    # (and the Annealed VAE with C_max = 5, chapter 7's Figs 7.2 and C.4 model)
    for model, name, v in (("beta_vae", "beta", 1.0), ("beta_vae", "beta", 8.0), ("dip_vae_ii", "lambda_od", 1.0),
                           ("annealed_vae", "c_max", 5.0)):
        config = thesis_ch7.Config(model, ((name, v),))
        assert ch6.ch6_run(model, v, QUICK) == thesis_ch7.config_runs(config, ch7)[0]
    assert ch6.ch6_run("beta_tc_vae", 8, QUICK) == thesis_run("beta_tc_vae", training, beta=8)
    assert not ch6.ch6_run("beta_vae", 8, QUICK, snapshots=False).snapshots
    assert not ch6.ch6_run("beta_vae", 8, PAPER).snapshots
    longer = dict(ch6.ch6_run("annealed_vae", 25, QUICK, steps=3000).params)
    assert longer["iteration_threshold"] == 1000
    ann = dict(ch6.ch6_run("annealed_vae", 25, QUICK).params)
    assert ann == {"c_max": 25.0, "iteration_threshold": 500}     # a third of 1,500 steps
    assert "iteration_threshold" not in dict(ch6.ch6_run("annealed_vae", 25, PAPER).params)
    snap = ch6.snapshot_run(QUICK)
    assert snap.snapshots and snap.steps_per_epoch == 100 and snap.epochs == 15
    runs = ch6.ivae_runs(QUICK)
    assert {k: dict(r.params)["learn_prior_mean"] for k, r in runs.items()} == {"fixed": False, "learned": True}
    assert runs["fixed"].latent_dim == 30                          # Table A.1


def test_choose_ivae_variables_and_errors():
    kl = np.array([1.0, 1e-4, 3.0, 0.5, 1e-3])
    assert ch6.choose_ivae_variables(kl) == (1, 2)
    assert ch6.choose_ivae_variables(np.array([0.5, 0.5, 0.5])) == (0, 0)   # ties: lowest index
    with pytest.raises(ValueError, match="at least 2"):
        ch6.choose_ivae_variables(kl[:1])
    with pytest.raises(ValueError, match="non-negative"):
        ch6.choose_ivae_variables(-kl)
    bad = kl.copy()
    bad[0] = np.nan
    with pytest.raises(ValueError, match="choose_ivae_variables"):
        ch6.choose_ivae_variables(bad)


def test_definition_sets_agree_with_the_rule_on_polarised_variances():
    n = 60
    s = np.column_stack([np.ones(n), np.full(n, 0.01), np.tile([0.02, 1.0], n // 2), np.full(n, 0.5)])
    sets = ch6.definition_sets(ch6.per_example_types(s))
    assert {k: v.tolist() for k, v in sets.items()} == {"passive": [0], "active": [1], "mixed": [2], "other": [3]}
    types = classify_variables(s).types
    assert types[:3].tolist() == ["passive", "active", "mixed"]
    with pytest.raises(ValueError, match="non-negative"):
        ch6.per_example_types(-s)
    with pytest.raises(ValueError, match="definition_sets"):
        ch6.definition_sets(np.array([["passive", "unknown"]]))


def _polarised(n=3000, seed=0):
    """3 correlated active variables and 2 passive ones: near-constant in the mean representation
    yet correlated with the active ones there (as Sect. 6.5 finds), N(0, 1) in the sampled one."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, 1))
    active = base + 0.6 * rng.normal(size=(n, 3))
    mean = np.column_stack([active, 1e-3 * (base + 0.2 * rng.normal(size=(n, 2)))])
    sampled = np.column_stack([active + 0.05 * rng.normal(size=(n, 3)), rng.normal(size=(n, 2))])
    return mean, sampled, np.array(["active"] * 3 + ["passive"] * 2)


def test_representation_scores_follow_theorems_6_4_1_and_6_4_2():
    mean, sampled, types = _polarised()
    rows = ch6.representation_scores(mean, sampled, types)
    score = {(r["representation"], r["subset"], r["metric"]): r["score"] for r in rows}
    # Thm 6.4.1: independent N(0, 1) passive variables leave the sampled TC unchanged
    assert abs(score["sampled", "full", "tc"] - score["sampled", "no passive", "tc"]) < 0.02
    # Thm 6.4.2: they dilute the averaged MI (pairs with a passive variable carry ~0)
    assert score["sampled", "full", "mi"] < 0.6 * score["sampled", "no passive", "mi"]
    # erank(mean) ~ d - #passive, erank(sampled) closer to d
    assert score["mean", "full", "erank"] < 3.2
    assert score["sampled", "full", "erank"] > score["mean", "full", "erank"] + 1
    # without passive variables, mean and sampled TC agree
    gap_full = abs(score["mean", "full", "tc"] - score["sampled", "full", "tc"])
    gap_removed = abs(score["mean", "no passive", "tc"] - score["sampled", "no passive", "tc"])
    assert gap_removed < 0.2 * gap_full
    one = ch6.representation_scores(mean, sampled, np.array(["active"] + ["passive"] * 4))
    assert all(np.isnan(r["score"]) for r in one if r["subset"] == "active")


def test_representation_scores_bad_inputs():
    mean, sampled, types = _polarised(100)
    with pytest.raises(ValueError, match="same shape"):
        ch6.representation_scores(mean, sampled[:, :4], types)
    with pytest.raises(ValueError, match="one type per variable"):
        ch6.representation_scores(mean, sampled, types[:4])


def test_snapshot_correlations_match_pearson_and_handle_constant_columns():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 50, 4))
    np.testing.assert_allclose(ch6.snapshot_correlations(x), correlation_matrix(x), atol=1e-12)
    np.testing.assert_allclose(ch6.snapshot_correlations(x[0]), np.corrcoef(x[0], rowvar=False), atol=1e-12)
    x[1, :, 2] = 0.7
    c = ch6.snapshot_correlations(x)
    assert c[1, 2, 2] == 1.0 and np.all(c[1, 2, [0, 1, 3]] == 0) and np.all(np.isfinite(c))


def test_smoke_sweep_tables_and_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENTDIMS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("LATENTDIMS_DATA", str(tmp_path / "data"))
    sweep = ch6.ch6_sweep("beta_vae", SMOKE, values=(1.0,))
    assert sweep.param == "beta" and len(sweep.folders) == 1
    counts = ch6.type_count_table(sweep)
    assert counts[["active", "mixed", "passive"]].sum(axis=1).tolist() == [10]
    scores = ch6.sweep_scores(sweep)
    assert set(scores.metric) == {"tc", "mi", "erank"} and set(scores.representation) == {"mean", "sampled"}
    acc = ch6.classifier_table(sweep, SMOKE)
    assert {"mean", "sampled", "random"} <= set(acc.representation)
    assert acc.accuracy.between(0, 1).all()
    assert ch6.mean_accuracy(acc, "random", "random", 1.0) == float(acc[acc.representation == "random"].accuracy.mean())
    assert np.isnan(ch6.mean_accuracy(acc, "mean", "full", 99.0))
    assert ch6.is_stand_in(sweep)
    assert ch6.count_sweeps(SMOKE, {"beta_vae": sweep}) == {"beta_vae": sweep}
    scores_for = ch6.FigureScores(SMOKE)
    assert scores_for._scores == {}
    scores_for._scores["beta_vae", "dsprites"] = (sweep, scores, True)     # no second training
    assert scores_for("figure-6.2") == (sweep, scores, "beta_vae, dsprites [STAND-IN]")
    tc = ch6.sweep_score(scores, "tc", "full", "sampled", 1.0)
    assert tc == float(scores[(scores.metric == "tc") & (scores.subset == "full")
                              & (scores.representation == "sampled")].score.mean())
    assert ch6.mean_passive(scores, 1.0) == float(counts.passive.mean())
    gaps = ch6.removal_gaps(sweep, scores, "tc")
    assert set(gaps) == ({1.0} if ch6.mean_passive(scores, 1.0) > 0 else set())
    for fig in (plots.type_counts_plot(counts), plots.scores_plot(scores, "tc"),
                plots.classifier_plot(acc, "mean")):
        assert fig.axes
    with pytest.raises(ValueError, match="no rows"):
        plots.scores_plot(scores, "tc", subset="nothing")
    with pytest.raises(ValueError, match="iVAE"):
        ch6.ivae_histograms(sweep.folders[0][0])
    with pytest.raises(FileNotFoundError, match="train_run"):
        ch6.read_arrays(tmp_path)
    table = ch6.table_a1(ch6.ivae_runs(SMOKE)["fixed"])
    assert table.set_index("parameter").loc["Latent space dimension"].tolist() == ["30", "30"]


# ------------------------------------------------------------------------------ ledger labels
def test_substitutions_say_what_the_profile_changes_and_nothing_in_paper():
    sub = ch6.figure_substitution("figure-6.6a", QUICK)
    for part in ("beta-VAE in place of the beta-TC VAE", "dsprites in place of smallnorb",
                 "beta = 1, 4, 8 in place of 1, 2, 4, 6, 8, 10", "1 seed where the thesis averages 50",
                 "1,500 training steps at lr 1e-3 in place of 300,000 at 1e-4"):
        assert part in sub, (part, sub)
    # the panels of one figure: every caption's data set, each substitution once
    b1 = ch6.figure_substitution(["figure-B.1a", "figure-B.1b", "figure-B.1c"], QUICK)
    assert b1.count("dsprites in place of scream_dsprites and cars3d") == 1
    assert "Annealed VAE in place of" not in b1                 # the objective is the thesis'
    assert ch6.figure_substitution("figure-6.4", QUICK, averaged=False, values=False) == \
        thesis_runs.training_substitution(QUICK.training)
    assert ch6.figure_data("figure-6.6a", QUICK) == "dsprites"
    assert ch6.figure_data(["figure-6.6a", "figure-6.6b"], PAPER) == ["smallnorb", "cars3d"]
    assert ch6.ledger("figure-6.8", QUICK, kind="sanity")["kind"] == "sanity"
    assert "beta-VAE and DIP-VAE II only" in ch6.count_substitution(QUICK)
    run = ch6.snapshot_run(QUICK)
    assert ch6.snapshot_substitution("figure-6.9", run, QUICK).startswith(
        "beta = 8 on dsprites in place of beta = 16 on colour_dsprites")
    assert "15 snapshots, one every 100 steps" in ch6.snapshot_substitution("figure-6.10", run, QUICK)
    # Fig 6.9 has its own model, the thesis' beta = 16 beta-VAE on colour dSprites
    run69 = ch6.correlation_run(QUICK)
    assert (run69.model, dict(run69.params), run69.dataset) == ("beta_vae", {"beta": 16.0}, "colour_dsprites")
    assert ch6.snapshot_substitution("figure-6.9", run69, QUICK) == thesis_runs.training_substitution(QUICK.training)
    with pytest.raises(TypeError, match="correlation_run"):
        ch6.correlation_run("quick")
    assert "scored on the beta-VAE sweep" in ch6.profile_note(QUICK)
    # paper is the thesis' set-up: no record on any panel says it differs
    assert all(ch6.figure_substitution(f, PAPER) is None for f in ch6.CH6_FIGURES)
    assert ch6.count_substitution(PAPER) is None and thesis_runs.training_substitution(PAPER.training) is None
    assert ch6.snapshot_substitution("figure-6.11", ch6.snapshot_run(PAPER), PAPER) is None
    assert ch6.profile_note(PAPER).startswith("**This profile** runs the thesis' set-up")
    with pytest.raises(ValueError, match="figure_substitution: `figures` is empty"):
        ch6.figure_substitution([], QUICK)
    with pytest.raises(ValueError, match="figure_setup"):
        ch6.figure_data("figure-9.9", QUICK)
    with pytest.raises(TypeError, match="training_substitution: `training` must be a ThesisSettings"):
        thesis_runs.training_substitution("quick")
    with pytest.raises(ValueError, match="snapshot_substitution"):
        ch6.snapshot_substitution("figure-6.6a", run, QUICK)


def test_example_model_is_the_thesis_beta_8_when_the_sweep_has_it():
    folders = tuple((Path(name),) for name in "abc")
    with_8 = ch6.Ch6Sweep("beta_vae", "dsprites", "beta", (1.0, 8.0, 16.0), (0,), folders)
    assert ch6.example_model(with_8) == (8.0, Path("b"))
    assert ch6.example_substitution(with_8, PAPER) is None
    without = ch6.Ch6Sweep("beta_vae", "dsprites", "beta", (1.0, 4.0, 6.0), (0,), folders)
    assert ch6.example_model(without) == (6.0, Path("c"))
    assert ch6.example_substitution(without, PAPER) == "beta = 6 in place of 8"


def test_zero_peak_tells_a_spike_from_a_plain_spread():
    rng = np.random.default_rng(0)
    plain = rng.normal(size=4000)                        # no spike: about the normal law's share
    p = ch6.zero_peak(plain, plain + 0.3 * rng.normal(size=4000))
    assert p["mean"] == pytest.approx(p["gaussian"], abs=0.02) and p["mean"] < 2 * p["gaussian"]
    # a mixed variable: passive (mean 0, sampled N(0, 1)) on 40 % of the inputs, active elsewhere
    passive = rng.random(4000) < 0.4
    mean = np.where(passive, 1e-3 * rng.normal(size=4000), rng.normal(size=4000))
    sampled = mean + np.where(passive, 1.0, 0.05) * rng.normal(size=4000)
    spike = ch6.zero_peak(mean, sampled)
    assert spike["mean"] > 2 * spike["gaussian"] and spike["sampled"] < spike["mean"] / 2
    with pytest.raises(ValueError, match="zero_peak: `mean` is constant"):
        ch6.zero_peak(np.zeros(10), np.ones(10))
    with pytest.raises(ValueError, match="zero_peak"):
        ch6.zero_peak(mean, sampled[:-1])
    with pytest.raises(ValueError, match="width"):
        ch6.zero_peak(mean, sampled, width=2.0)


def test_definition_note_names_the_variables_the_definition_and_the_rule_disagree_on():
    n = 200
    dips = np.ones(n)
    dips[:3] = 0.85                                      # passive by the rule, not on 3 inputs
    s = np.column_stack([dips, np.full(n, 0.01), np.ones(n)])
    types = classify_variables(s)
    assert types.types.tolist() == ["passive", "active", "passive"]
    note = ch6.definition_note(s, types)
    assert "Definition 6.3.1 gives passive [2], active [1], mixed [] and neither [0]" in note
    assert "latent 0: passive by the rule, but outside |sigma - 1| <= 0.1 on 3 of 200 inputs" in note
    assert "latent 2" not in note


def test_ivae_passive_count_and_summary():
    h = {"kl": np.array([2.0, 0.05, 0.01, 1.0]), "passive": 2,
         "values": {"passive": {"posterior mean": np.array([0.1, -0.1]),
                                "prior variance": np.array([0.2, 0.4])}}}
    assert ch6.ivae_passive_count(h) == 2                # below 5 % of 2 nats
    assert ch6.ivae_passive_count(h, fraction=0.004) == 0
    text = ch6.ivae_summary({"fixed": h})
    assert "prior mean fixed: 2 of 4 latents" in text and "median prior variance 0.300" in text
    with pytest.raises(ValueError, match="ivae_passive_count"):
        ch6.ivae_passive_count(h, fraction=1.5)
