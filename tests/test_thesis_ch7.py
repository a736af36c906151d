"""Chapter 7 design, activation compaction, quadrant summaries and one tiny end-to-end run."""
import dataclasses
import doctest
import json

import numpy as np
import pytest
from scipy.stats import ortho_group

from latentdims.maths.similarity import SimilarityMatrix, linear_cka, procrustes_similarity
from latentdims.models.classifier import build_classifier, classifier_accuracy, fit_classifier
from latentdims.studies import thesis_ch7 as c7
from latentdims.studies import thesis_runs


def test_doctests():
    assert doctest.testmod(c7).failed == 0


# ----------------------------------------------------------------------------- compaction
@pytest.mark.parametrize("p", [3, 20, 200])
def test_compact_activations_keeps_cka_and_procrustes(p):
    rng = np.random.default_rng(p)
    X = rng.normal(size=(30, p)) + 5.0
    Y = X[:, :1] * rng.normal(size=(1, 7)) + 0.3 * rng.normal(size=(30, 7))
    c = c7.compact_activations({"x": X, "y": Y})
    assert c["x"].shape == (30, min(30, p))
    np.testing.assert_allclose(c["x"].mean(axis=0), 0.0, atol=1e-10)      # centred
    assert linear_cka(c["x"], c["y"]) == pytest.approx(linear_cka(X, Y), abs=1e-10)
    assert procrustes_similarity(c["x"], c["y"]) == pytest.approx(procrustes_similarity(X, Y), abs=1e-10)


def test_compact_activations_invariant_inputs_and_constant_layers():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(25, 40))
    Q = ortho_group.rvs(40, random_state=1)
    c = c7.compact_activations({"x": X, "xq": 2.5 * X @ Q + 1.0, "dead": np.full((25, 6), 0.7)})
    assert linear_cka(c["x"], c["xq"]) == pytest.approx(1.0, abs=1e-10)
    assert not c["dead"].any()                     # a constant layer becomes exactly zero
    with pytest.raises(ValueError, match="compact_activations.*'bad'.*NaN"):
        c7.compact_activations({"bad": np.array([[1.0, np.nan], [0.0, 1.0]])})


# ----------------------------------------------------------------------------- design
def test_paper_design_is_the_thesis():
    s = c7.settings("paper")
    assert s.seeds == (0, 1, 2, 3, 4) and s.n_examples == 5_000          # App. C.1, Sec. 7.3
    assert {c.dataset for a, b in s.objective_pairs for c in (a, b)} == {"cars3d", "dsprites", "smallnorb"}
    assert [dict(b.params)["beta"] for _, b in s.fc_beta_pairs] == [8.0, 16.0]   # Table C.5
    assert s.epoch_configs[0] == c7.Config("beta_tc_vae", (("beta", 2.0),), "cars3d")  # Fig 7.2a
    for profile in ("smoke", "quick"):
        q = c7.settings(profile)
        assert q.n_examples <= c7.settings("paper").n_examples
        assert q.training == thesis_runs.settings(profile)
        assert q.procrustes_examples <= q.n_examples


def test_config_runs_seeds_snapshots_and_annealing():
    beta1 = c7.Config("beta_vae", (("beta", 1.0),))
    paper, s = c7.settings("paper"), c7.settings("quick")
    runs = c7.config_runs(beta1, paper)
    assert [r.seed for r in runs] == [0, 1, 2, 3, 4] and all(r.snapshots for r in runs)
    quick = c7.config_runs(beta1, s)[0]
    # the chapter-8 Fig 8.11 model: thesis_run(beta_vae, beta=1) with snapshots, same cache key
    assert quick == dataclasses.replace(thesis_runs.thesis_run("beta_vae", s.training, beta=1.0),
                                        snapshots=True)
    annealed = c7.config_runs(c7.Config("annealed_vae", (("c_max", 5.0),), "dsprites", "fc"), s)[0]
    assert annealed.steps == s.fc_steps and dict(annealed.params)["iteration_threshold"] == s.fc_steps // 3
    # Fig 7.8's model is snapshotted more often than the other FC models
    assert annealed.steps_per_epoch == s.fc_epoch_steps_per_epoch < s.fc_steps_per_epoch
    fc_beta = c7.config_runs(s.fc_beta_pairs[0][0], s)[0]
    assert fc_beta.steps == s.fc_steps and fc_beta.steps_per_epoch == s.fc_steps_per_epoch
    assert max(s.fc_early_epochs) < annealed.epochs
    ann = c7.config_runs(c7.Config("annealed_vae", (("c_max", 5.0),)), paper, seeds=[0])[0]
    assert dict(ann.params)["iteration_threshold"] == 100_000                   # Table C.2
    with pytest.raises(TypeError, match="config_runs.*Config"):
        c7.config_runs(("beta_vae", 1.0), s)
    with pytest.raises(TypeError, match="config_runs.*settings\\(profile\\)"):
        c7.config_runs(beta1, "quick")


def test_figure_configs_list_each_configuration_once():
    s = c7.settings("quick")
    conv = c7.conv_figure_configs(s)
    assert len(conv) == len(set(conv)) and c7.classifier_partner("dsprites") in conv
    assert {c.architecture for c in conv} == {"conv"}
    fc = c7.fc_figure_configs(s)
    assert fc[0] == s.fc_epoch_config and {c.architecture for c in fc} == {"fc"}
    assert c7.classifier_run(s).steps == s.classifier_steps == 1_000


def test_configuration_tables_put_the_thesis_beside_ours():
    tables = c7.configuration_tables(c7.settings("paper"))
    assert sorted(tables) == [f"table-C.{i}" for i in range(1, 6)]
    c1 = tables["table-C.1"].set_index("Parameter")
    assert c1.loc["Training steps", "Ours"] == "300,000" and c1.loc["Batch size", "Ours"] == "64"
    c5 = tables["table-C.5"]
    assert c5.loc[c5["Model"] == "β-VAE", "Ours"].item() == "[1, 8, 16]"
    quick = c7.configuration_tables(c7.settings("quick"))["table-C.1"].set_index("Parameter")
    assert quick.loc["Training steps", "Ours"] != "300,000" and quick.shape[1] == 2


# ----------------------------------------------------------------------------- quadrants
def _matrix():
    layers = ("input", "encoder/1", "encoder/2", "mean", "sampled", "decoder/1", "decoder/2")
    m = np.full((7, 7), 0.2)
    np.fill_diagonal(m, [1.0, 0.9, 0.7, 0.5, 0.4, 0.3, 0.1])
    return SimilarityMatrix(m, np.zeros_like(m), layers, layers, 1, "cka")


def test_diagonal_and_block_means():
    m = _matrix()
    assert c7.diagonal_mean(m, "encoder") == pytest.approx(0.8)
    assert c7.diagonal_mean(m, "decoder") == pytest.approx(0.2)
    assert c7.block_mean(m, "", "sampled") == pytest.approx((6 * 0.2 + 0.4) / 7)
    assert c7.block_mean(m, "decoder", "decoder") == pytest.approx((0.3 + 0.1 + 0.4) / 4)
    assert c7.decoder_start(m.layers_a) == 5
    with pytest.raises(ValueError, match="diagonal_mean.*'variance'"):
        c7.diagonal_mean(m, "variance")
    with pytest.raises(ValueError, match="block_mean"):
        c7.block_mean(m, "class", "")


def test_layer_names():
    assert c7.layer_names("conv")[7:10] == ("mean", "variance", "sampled")
    assert "log_var" in c7.layer_names("fc", log_variance=True)
    with pytest.raises(ValueError, match="layer_names.*architecture"):
        c7.layer_names("resnet")


# ----------------------------------------------------------------------------- end to end
def test_tiny_runs_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENTDIMS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("LATENTDIMS_DATA", str(tmp_path / "data"))
    beta1 = c7.Config("beta_vae", (("beta", 1.0),))
    smoke = c7.settings("smoke")
    (folder,) = c7.train_config(beta1, smoke)
    n = 16
    final = c7.run_activations(folder, n=n)
    assert tuple(final) == c7.CONV_LAYERS and all(v.shape[0] == n and v.shape[1] <= n for v in final.values())
    # the last epoch is the trained model: the same cache entry
    assert np.array_equal(c7.run_activations(folder, epoch=2, n=n)["decoder/6"], final["decoder/6"])
    same = c7.config_similarity([folder], [folder], smoke)
    np.testing.assert_allclose(np.diag(same.mean), 1.0, atol=1e-5)
    init = c7.config_similarity([folder], [folder], smoke, epoch_a=0)
    assert init.mean[0, 0] == pytest.approx(1.0, abs=1e-6)         # the input is the input
    assert c7.diagonal_mean(init, "decoder") < 1.0 - 1e-3            # training changed the decoder
    epochs, layers, scores = c7.input_similarity_series([folder], smoke)
    assert list(epochs) == [0, 1, 2] and scores.shape == (1, 3, 6) and np.all((scores >= 0) & (scores <= 1))
    per_epoch = c7.epoch_similarities([folder], smoke)
    assert len(per_epoch) == 3 and per_epoch[-1].mean[0, 0] == pytest.approx(1.0, abs=1e-6)
    assert c7.uses_stand_in({beta1: [folder]})     # no DeepMind file in the test's data folder
    x, values = c7.loss_curves([folder])
    assert list(x) == [1, 2] and values.shape == (1, 2) and np.all(np.isfinite(values))
    with pytest.raises(ValueError, match="loss_curves.*'nope'"):
        c7.loss_curves([folder], key="nope")
    with pytest.raises(ValueError, match="run_activations.*past"):
        c7.run_activations(folder, epoch=5, n=n)
    with pytest.raises(ValueError, match="run_activations.*fewer"):
        c7.run_activations(folder, n=10_000)
    clf = c7.train_classifier(c7.classifier_run(smoke))
    history = json.loads((clf / "history.json").read_text())
    assert len(history["loss"]) == smoke.classifier_steps
    sim = c7.classifier_similarity([clf], [folder], smoke)
    assert sim.layers_a == c7.classifier_layers(clf) and sim.mean[0, 0] == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(TypeError, match="train_classifier.*ClassifierRun"):
        c7.train_classifier({"dataset": "dsprites"})


# ----------------------------------------------------------------------------- the classifier model
def test_classifier_model_trains_and_scores():
    rng = np.random.default_rng(0)
    x = rng.random((40, 64, 64, 1)).astype(np.float32)
    y = np.stack([(x[:, :32].mean(axis=(1, 2, 3)) > x[:, 32:].mean(axis=(1, 2, 3))).astype(int),
                  rng.integers(0, 3, 40)], axis=1)
    model = build_classifier(1, (2, 3), seed=0)
    assert [layer.name for layer in model.layers][-2:] == ["class_0", "class_1"]
    trained, losses = fit_classifier(x, y, (2, 3), steps=3, batch_size=8, seed=1)
    again, losses_again = fit_classifier(x, y, (2, 3), steps=3, batch_size=8, seed=1)
    assert len(losses) == 3 and losses == losses_again           # the seed fixes weights and batches
    acc = classifier_accuracy(trained, x, y)
    assert len(acc) == 2 and all(0.0 <= a <= 1.0 for a in acc)
    with pytest.raises(ValueError, match="fit_classifier.*classes"):
        fit_classifier(x, y[:, :1], (2, 3), steps=1)
    with pytest.raises(ValueError, match="fit_classifier.*batch_size"):
        fit_classifier(x, y, (2, 3), steps=1, batch_size=64)
    with pytest.raises(ValueError, match="build_classifier.*factor_sizes"):
        build_classifier(1, ())


# ----------------------------------------------------------------------------- ledger labels
def test_figure_substitution_names_what_the_design_changes_and_nothing_in_paper():
    quick, paper = c7.settings("quick"), c7.settings("paper")
    # the substitutions the thesis' readers must see: C.3 and C.4 train the captions' objectives
    # (beta-TC VAE, Annealed VAE), on dSprites; C.2's DIP-VAE II has a different strength
    assert c7.figure_substitution("figure-C.3", quick).startswith("dsprites in place of cars3d; ")
    assert c7.figure_substitution("figure-C.4", quick).startswith("dsprites in place of smallnorb; ")
    assert c7.figure_substitution("figure-C.2", quick).startswith(
        "DIP-VAE II (λ = 1) on dsprites in place of DIP-VAE II (λ = 5) on dsprites; ")
    assert [c.model for c in quick.epoch_configs] == [c.model for c in paper.epoch_configs]
    fig74 = c7.figure_substitution("figure-7.4", quick)
    assert fig74.startswith("dsprites only, where the thesis shows cars3d, dsprites and smallnorb; ")
    for part in ("1 seed per model where the thesis averages 5", "250 examples compared in place of 5,000",
                 "1,500 training steps at lr 1e-3 in place of 300,000 at 1e-4"):
        assert part in fig74
    assert "600 training steps" in c7.figure_substitution("figure-7.9", quick)       # the FC models
    assert "epochs 0, 1, 2 shown in place of 1, 10" in c7.figure_substitution("figure-7.8", quick)
    assert "classifiers trained 1,000 steps in place of 300,000" in c7.figure_substitution("figure-C.1", quick)
    assert c7.figure_substitution("figure-7.3", quick).startswith(
        "β-VAE (β = 1) vs β-VAE (β = 8) on dsprites only; the thesis also shows DIP-VAE II")
    assert c7.figure_substitution("figure-7.7", quick).startswith("dsprites in place of cars3d; ")
    assert c7.figure_data("figure-7.10", paper) == ["cars3d", "dsprites", "smallnorb"]
    assert c7.figure_data("figure-7.10", quick) == "dsprites"
    assert c7.ledger("figure-C.5", quick, kind="sanity")["kind"] == "sanity"
    assert all(c7.figure_substitution(f, paper) is None for f in c7.FIGURES)
    assert c7.design_note(paper, c7.FIGURES).startswith("**This profile** runs the thesis' design")
    assert c7.design_note(quick, ["figure-7.9"]).count("\n* Fig 7.9: ") == 1
    assert c7.synthetic_substitution(paper) is None
    assert "6 values of n up to 850 in place of 24 up to 970" in c7.synthetic_substitution(c7.settings("smoke"))
    with pytest.raises(ValueError, match="figure_configs"):
        c7.figure_substitution("figure-6.6", quick)
    with pytest.raises(TypeError, match="figure_substitution: `cfg` must be the chapter-7 settings"):
        c7.figure_substitution("figure-7.2", "quick")


def test_convergence_epoch_finds_the_plateau():
    epochs = np.arange(1, 6)
    curves = np.array([[100.0, 60.0, 52.0, 50.5, 50.0], [90.0, 62.0, 51.0, 50.0, 50.0]])
    assert c7.convergence_epoch(epochs, curves) == 3           # mean 51.5 within 5 % of 50
    assert c7.convergence_epoch(epochs, curves, tolerance=0.01) == 4
    falling = np.array([[100.0, 80.0, 60.0, 40.0, 20.0]])       # no plateau: only the last epoch
    assert c7.convergence_epoch(epochs, falling) == 5
    with pytest.raises(ValueError, match="convergence_epoch: `values` must be"):
        c7.convergence_epoch(epochs, curves[:, :3])
    with pytest.raises(ValueError, match="NaN"):
        c7.convergence_epoch(epochs, np.array([[1.0, np.nan, 1.0, 1.0, 1.0]]))


def test_the_classifier_key_records_its_data_source(monkeypatch, tmp_path):
    """A classifier trained on stand-in images is never reused once real files appear."""
    from latentdims.core import cache
    from latentdims.studies import thesis_ch7

    monkeypatch.setenv("LATENTDIMS_DATA", str(tmp_path))
    run = thesis_ch7.classifier_run(thesis_ch7.settings("smoke"))
    assert run.data_source.startswith("dsprites: stand-in")
    real = dataclasses.replace(run, data_source="dsprites: dsprites_ndarray.npz 1 bytes sha256 00")
    assert cache.config_key(real) != cache.config_key(run)
