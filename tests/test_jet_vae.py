"""The EMD-VAE (issue 5): loss on hand-made cases, per-latent KL, masking, the annealing schedule,
resume after an interruption, NaN recovery, the profile settings and the cached run's API
(latentdims.models.jet_vae, latentdims.models.annealing, latentdims.studies.jet_vae)."""
import dataclasses
import json

import numpy as np
import pytest
import tensorflow as tf

from latentdims.data.jets import JetSample
from latentdims.maths.sinkhorn import sinkhorn_emd, toy_two_prong_jets
from latentdims.models.annealing import AnnealRun, AnnealSchedule, AnnealSettings, train_annealing
from latentdims.models.jet_vae import (JetVAE, JetVAEConfig, decode_latents, decoder_of,
                                       encode_jets, jet_batch, traversal_grid)
from latentdims.models.training import TrainConfig, train
from latentdims.studies import jet_vae as study
from latentdims.studies.jet_samples import sample_settings

P = 10   # particles per jet in these tests (the papers' 50 would only be slower)
TINY = JetVAEConfig(n_particles=P, latent_dim=3, pfn_widths=(8,), encoder_widths=(8,),
                    decoder_widths=(8,), seed=0)


def _jets(n, seed=0, centred=True):
    jets = toy_two_prong_jets(n, P, centred=centred, min_particles=4, seed=seed)
    return jet_batch(jets[..., 0], jets[..., 1:])


def _set_dense(layer, kernel=0.0, bias=None):
    k, b = layer.kernel, layer.bias
    k.assign(np.full(k.shape, kernel, np.float32))
    b.assign(np.zeros(b.shape, np.float32) if bias is None else np.asarray(bias, np.float32))


# ------------------------------------------------------------------------------------ loss
def test_loss_on_a_hand_made_case():
    """Decoder pinned to one particle at (0.3, 0.4), input one particle at the origin: S = 0.5.

    Posterior pinned to mu = (1, 0, 0), sigma = 1: KL = 1/2.  With beta-hat = 0.5,
    L = 0.25 / (2 * 0.25) + 0.5 = 1.
    """
    model = JetVAE(TINY, beta_hat=0.5).ensure_built()
    _set_dense(model.mean_head, bias=[1.0, 0.0, 0.0])
    _set_dense(model.log_var_head)
    logits = np.full((P, 4), 0.0, np.float32)
    logits[:, 0] = -60.0
    logits[0] = [60.0, 0.3, np.sin(0.4), np.cos(0.4)]
    _set_dense(model.output_layer, bias=logits.ravel())
    w = np.zeros((2, P))
    w[:, 0] = 1.0
    pts = np.zeros((2, P, 2))
    pts[1, 1:] = 5.0   # padding far away must not matter
    loss, distortion, kl, _ = model.loss_terms(w, pts)
    np.testing.assert_allclose(distortion, 0.25, rtol=1e-4)
    np.testing.assert_allclose(kl, [[0.5, 0.0, 0.0]] * 2, atol=1e-6)
    np.testing.assert_allclose(loss, 1.0, rtol=1e-4)
    model.beta_hat.assign(0.25)   # the non-trainable beta-hat: D / (2 * 0.0625) + 0.5 = 2.5
    np.testing.assert_allclose(model.loss_terms(w, pts)[0], 2.5, rtol=1e-4)
    assert all(v is not model.beta_hat for v in model.trainable_variables)


def test_a_diverging_decoder_gives_a_nan_loss_in_a_graph_not_an_error():
    """train() recovers from NaN losses: a decoder that outputs NaN must give one (inside the
    traced step too), never a finite wrong number nor an error that ends the training."""
    import tensorflow as tf

    model = JetVAE(TINY, beta_hat=0.5).ensure_built()
    data = _jets(4)
    k = model.output_layer.kernel
    k.assign(np.full(k.shape, np.nan, np.float32))
    loss_eager = model.loss_terms(data["weights"], data["points"])[0]
    loss_graph = tf.function(lambda w, p: model.loss_terms(w, p)[0])(
        tf.constant(data["weights"]), tf.constant(data["points"]))
    assert np.all(np.isnan(np.asarray(loss_eager))) and np.all(np.isnan(np.asarray(loss_graph)))


def test_loss_matches_its_parts_with_fixed_noise():
    """Eq. 1 term by term: Sinkhorn on the decoding of mu + sigma * eps, plus the Gaussian KL."""
    model = JetVAE(TINY, beta_hat=0.2).ensure_built()
    data = _jets(6)
    noise = np.random.default_rng(1).standard_normal((6, 1, 3)).astype(np.float32)
    loss, distortion, kl, _ = model.loss_terms(data["weights"], data["points"], noise=noise)
    mean, log_var = encode_jets(model, data["weights"], data["points"])
    z = mean + np.exp(0.5 * log_var) * noise[:, 0]
    w, p = decode_latents(model, z)
    s = np.asarray(sinkhorn_emd(data["weights"], data["points"], w / w.sum(1, keepdims=True), p))
    np.testing.assert_allclose(distortion, s ** 2, rtol=1e-3)
    kl_ref = 0.5 * (mean ** 2 + np.exp(log_var) - log_var - 1)
    np.testing.assert_allclose(kl, kl_ref, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(loss, s ** 2 / (2 * 0.04) + kl_ref.sum(1), rtol=1e-3)


def test_per_latent_kl_tracker_and_measure():
    model = JetVAE(TINY, beta_hat=0.3).ensure_built()
    data = _jets(8)
    _set_dense(model.log_var_head, bias=[-1.0, 0.0, 0.5])
    out = model.measure(data, batch_size=3, seed=0)   # 8 jets in padded batches of 3
    mean, log_var = encode_jets(model, data["weights"], data["points"])
    kl = 0.5 * (mean ** 2 + np.exp(log_var) - log_var - 1)
    np.testing.assert_allclose(out["kl_per_latent"], kl.mean(0), rtol=1e-4)
    np.testing.assert_allclose(out["rate"], kl.sum(1).mean(), rtol=1e-4)
    np.testing.assert_allclose(out["log_sigma"], [-0.5, 0.0, 0.25], atol=1e-5)
    model.reset_metrics()
    model.test_step({k: v[:4] for k, v in data.items()})
    np.testing.assert_allclose(model.kl_tracker.result(), kl[:4].mean(0), rtol=1e-4)


def test_decoded_jets_are_normalised_and_phi_wrapped():
    model = JetVAE(TINY).ensure_built()
    z = np.random.default_rng(0).standard_normal((5, 3)) * 3
    w, p = decode_latents(model, z)
    np.testing.assert_allclose(w.sum(1), 1.0, rtol=1e-5)
    assert np.all(w > 0) and np.all(np.abs(p[..., 1]) <= np.pi + 1e-6)
    with pytest.raises(ValueError, match="decode_latents.*3 columns"):
        decode_latents(model, np.zeros((2, 4)))


def test_masking_padding_does_not_change_the_encoding():
    model = JetVAE(TINY).ensure_built()
    data = _jets(4, centred=False)
    moved = {k: v.copy() for k, v in data.items()}
    pad = moved["weights"] == 0
    assert pad.any()
    moved["points"][pad] = np.random.default_rng(2).uniform(-3, 3, (pad.sum(), 2))
    a = encode_jets(model, data["weights"], data["points"])
    b = encode_jets(model, moved["weights"], moved["points"])
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    # A real particle moved does change it (the check can fail).
    moved["points"][~pad] += 0.1
    assert not np.allclose(a[0], encode_jets(model, moved["weights"], moved["points"])[0])


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="jet_batch.*sum to 1"):
        jet_batch(np.full((2, P), 0.2), np.zeros((2, P, 2)))
    with pytest.raises(ValueError, match="JetVAEConfig.*decoder_widths"):
        JetVAEConfig(decoder_widths=(8, 0))
    with pytest.raises(ValueError, match="beta_hat"):
        JetVAE(TINY, beta_hat=0.0)


# -------------------------------------------------------------------------------- schedule
def test_schedule_shape_priming_zigzag_production():
    s = AnnealSchedule()   # the papers': 1e-5..1, four per decade
    grid = s.grid()
    assert len(grid) == 21 and np.isclose(grid[0], 1e-5) and np.isclose(grid[-1], 1.0)
    np.testing.assert_allclose(np.diff(np.log10(grid)), 0.25)
    steps = s.grid_indices()
    phases = [p for p, _, _ in steps]
    assert phases == sorted(phases, key=["priming", "zigzag", "production"].index)
    prim = [i for p, _, i in steps if p == "priming"]
    prod = [i for p, _, i in steps if p == "production"]
    assert prim == prod == list(range(21))
    runs = {}
    for p, seg, i in steps:
        if p == "zigzag":
            runs.setdefault(seg, []).append(i)
    starts = [r[0] for r in runs.values()]
    assert len(runs) >= 2 and starts[-1] == 0                 # reaches the smallest beta again
    assert all(a > b for a, b in zip(starts, starts[1:]))      # each run starts lower
    assert all(np.all(np.diff(r) == 1) for r in runs.values())  # short upward runs
    assert [b for _, _, b in s.steps()][:21] == list(grid)
    with pytest.raises(ValueError, match="AnnealSchedule.*beta_max"):
        AnnealSchedule(beta_min=1.0, beta_max=0.1)


def test_profile_settings():
    paper = study.settings("paper").uncent.anneal
    assert paper.model.latent_dim == 256 and paper.model.pfn_widths == (1024,) * 4
    assert paper.model.decoder_widths == (1024,) * 5 and paper.train.learning_rate == 3e-5
    assert paper.train.steps_per_epoch == 1000 and paper.epochs == (50, 50, 50)
    cfg = study.settings("quick")
    quick = cfg.uncent.anneal
    gev = 550 * quick.schedule.grid()
    assert gev[0] < 5 and gev[-1] > 400                        # covers ~3-500 GeV
    assert cfg.mix.anneal.model.n_categories == 2 and cfg.mix.process == "mix" and cfg.mix.centred
    assert cfg.cent.anneal == quick and cfg.top.anneal.epochs == quick.epochs
    assert cfg.mix.anneal.epochs == (1, 1, 4) and cfg.top.anneal.n_train == 8000
    assert {r.profile for r in (cfg.uncent, cfg.cent, cfg.top, cfg.mix)} == {"quick"}
    with pytest.raises(ValueError, match="AnnealRunSettings.*process"):
        dataclasses.replace(cfg.uncent, process="z")
    with pytest.raises(ValueError, match="jet_vae.settings.*profile"):
        study.settings("fast")
    # the first step (from the random initialisation) may run longer than the other steps
    assert quick.epochs_for("priming", 0) == quick.first_epochs > quick.epochs_for("priming", 1)
    assert paper.first_epochs is None and paper.epochs_for("priming", 0) == 50
    with pytest.raises(ValueError, match="AnnealSettings.*first_epochs"):
        dataclasses.replace(quick, first_epochs=0)


def test_first_epochs_apply_to_step_zero_only(tmp_path):
    settings = dataclasses.replace(_tiny_settings(), first_epochs=3)
    out = train_annealing(settings, _jets(60, seed=1), _jets(20, seed=2), work_dir=tmp_path,
                          ht_mean=550.0, seed=0, progress=False)
    assert [s["epochs"] for s in out["steps"]] == [3, 1, 1, 2, 2]


# ---------------------------------------------------------------------------------- runner
def _tiny_settings(epochs=(1, 1, 2), nan=0):
    return AnnealSettings(
        model=TINY, schedule=AnnealSchedule(beta_min=0.05, beta_max=0.5, per_decade=1,
                                            zigzag_drop=1, zigzag_length=1),
        train=TrainConfig(epochs=2, batch_size=20, steps_per_epoch=2, learning_rate=3e-3,
                          monitor="val_loss", max_nan_recoveries=nan),
        epochs=epochs, n_train=60, n_valid=20, measure_batch=20)


def _final_weights(work, manifest):
    with np.load(work / "steps" / f"step_{len(manifest['steps']) - 1:03d}" / "model.npz") as f:
        return [f[k] for k in sorted(f.files, key=lambda s: int(s.split("_")[1]))]


def test_resume_after_interruption_gives_the_same_weights(tmp_path):
    settings = _tiny_settings()
    train_d, valid_d = _jets(60, seed=1), _jets(20, seed=2)
    kw = dict(ht_mean=550.0, seed=3, progress=False)
    ref = train_annealing(settings, train_d, valid_d, work_dir=tmp_path / "ref", **kw)
    assert [s["phase"] for s in ref["steps"]] == ["priming", "priming", "zigzag",
                                                 "production", "production"]

    class Killed(Exception):
        pass

    calls = {"n": 0}

    def kill_at(epochs):
        def hook(epoch, model, logs):
            calls["n"] += 1
            if calls["n"] in epochs:
                raise Killed
        return hook

    work = tmp_path / "killed"
    # Epochs per step: 1, 1, 1, 2, 2.  The first kill comes in step 2's only epoch (before its
    # checkpoint: it resumes at the start of step 2, after the state saved at the end of step 1);
    # the second in the 2nd epoch of step 3 (it resumes from that step's epoch-0 checkpoint).
    for hook in (kill_at({3}), kill_at({3})):
        calls["n"] = 0
        with pytest.raises(Killed):
            train_annealing(settings, train_d, valid_d, work_dir=work, on_epoch_end=hook, **kw)
    resumed = train_annealing(settings, train_d, valid_d, work_dir=work, **kw)
    assert len(resumed["steps"]) == len(ref["steps"])
    for a, b in zip(_final_weights(tmp_path / "ref", ref), _final_weights(work, resumed)):
        np.testing.assert_array_equal(a, b)
    for s, r in zip(ref["steps"], resumed["steps"]):
        assert s["beta_hat"] == r["beta_hat"]
        np.testing.assert_allclose(s["metrics"]["rate"], r["metrics"]["rate"], rtol=1e-6)
    saved = json.loads((work / "manifest.json").read_text())
    assert saved["steps"][-1]["beta_gev"] == pytest.approx(550.0 * 0.5)


def test_nan_recovery_is_bounded():
    counter = tf.Variable(0)   # outside the model: not rolled back by the recovery

    class Flaky(JetVAE):
        def train_step(self, data):
            logs = super().train_step(data)
            counter.assign_add(1)
            bad = tf.equal(counter, 3)
            return {**logs, "loss": tf.where(bad, tf.constant(np.nan, tf.float32), logs["loss"])}

    data = _jets(40)
    cfg = TrainConfig(epochs=2, batch_size=20, learning_rate=1e-3, monitor="loss",
                      max_nan_recoveries=1)
    result = train(Flaky(TINY), data, config=cfg, progress=False)
    assert result.nan_recoveries == 1 and len(result.history) == 2
    assert result.history[-1]["lr"] == pytest.approx(1e-4)
    counter.assign(0)
    with pytest.raises(FloatingPointError, match="non-finite"):
        train(Flaky(TINY), data, config=dataclasses.replace(cfg, max_nan_recoveries=0),
              progress=False)


def test_cached_run_api(monkeypatch):
    """annealing_run -> AnnealRun: steps, beta in GeV, closest step, reloaded model = saved one."""
    def fake_data(process, samples, *, centred=False, split="train", n=None, seed=0):
        d = _jets(n or 20, seed={"train": 1, "valid": 2}[split])
        m = d["weights"] > 0
        ht = np.full(len(m), 500.0)
        z = np.zeros(len(m))
        return JetSample(d["weights"], d["points"], m, ht, z + 550, z, z, z + 80), None

    monkeypatch.setattr(study, "anneal_data", fake_data)
    settings = study.AnnealRunSettings("smoke", "w", False, _tiny_settings(epochs=(1, 1, 1)),
                                       sample_settings("smoke"))
    run = study.annealing_run(settings, progress=False)
    assert run.ht_mean == 500.0 and len(run.steps) == 5
    np.testing.assert_allclose(run.beta_gev("production"), [25.0, 250.0])
    assert run.closest_step(200.0) == 4 and run.closest_step(1.0) == 3
    assert run.closest_step(30.0, phase="priming") == 0
    model = run.load_model(4)
    assert float(model.beta_hat.numpy()) == pytest.approx(0.5)
    valid = run.data("valid", n=20)
    out = model.measure(jet_batch(valid.weights, valid.points), batch_size=20, seed=0)
    np.testing.assert_allclose(out["rate"], run.metric("rate", "production")[-1], rtol=1e-5)
    assert run.metric("kl_per_latent", "production").shape == (2, 3)
    again = study.annealing_run(settings, progress=False)
    assert again.path == run.path   # from the cache
    with pytest.raises(ValueError, match="load_model"):
        run.load_model(5)
    # the bookkeeping the notebooks share
    shape = study.schedule_shape(run)
    assert (shape.n_priming, shape.n_zigzag, shape.n_production, shape.ok) == (2, 1, 2, True)
    assert "5 steps, <H_T> = 500 GeV" in study.training_summary({"x": run})
    view = study.latent_view(run, 200.0, valid)
    assert view.step == 4 and view.beta_gev == pytest.approx(250.0) and view.n_latent == 3
    assert view.means.shape == (20, 3) and sorted(view.order.tolist()) == [0, 1, 2]
    beta, count = study.informative_counts(run)
    np.testing.assert_allclose(beta, [25.0, 250.0])
    assert count.shape == (2,)
    # a run read back without its sampler cannot load jets, and says how to fix it
    with pytest.raises(ValueError, match="AnnealRun.data.*studies.jet_vae.annealing_run"):
        AnnealRun(run.path).data("valid")


def test_settings_keep_the_cache_keys():
    """The configuration hashed into jet_anneal/<key> is the one of the profile-string API."""
    from latentdims.core.cache import config_key
    keys = {p: {n: config_key(study._run_config(getattr(study.settings(p), n), 0))
                for n in ("uncent", "cent", "top", "mix")} for p in ("smoke", "quick")}
    assert keys["smoke"] == {"uncent": "8cb5764b895fdadb", "cent": "5e5d9560ffb6a2af",
                             "top": "33dc4d074200cae8", "mix": "027acf3690f53dd8"}
    assert keys["quick"] == {"uncent": "96088bc4a1829666", "cent": "998dafd5318a6bb1",
                             "top": "db220b7baf4c519f", "mix": "f5954950fcf26286"}


def test_decoder_of_and_traversal_grid_decode_the_model():
    model = JetVAE(TINY).ensure_built()
    z = np.random.default_rng(3).standard_normal((4, 3))
    np.testing.assert_array_equal(decoder_of(model)(z)[1], decode_latents(model, z)[1])
    w, p = traversal_grid(model, (0, 2), [-1.0, 0.0, 1.0], [0.5, 1.5])
    assert w.shape == (2, 3, P) and p.shape == (2, 3, P, 2)
    np.testing.assert_allclose(p[1, 0], decode_latents(model, np.array([[-1.0, 0.0, 1.5]]))[1][0],
                               rtol=1e-6)
    with pytest.raises(ValueError, match="traversal_grid: `dims` must be two different"):
        traversal_grid(model, (1, 1), [0.0], [0.0])


def test_mean_over():
    assert study.mean_over([1, 10, 100], [1.0, 2.0, 4.0], 5, 200) == pytest.approx(3.0)
    assert np.isnan(study.mean_over([1, 10], [1.0, 2.0], 50, 60))


# ------------------------------------------------ what the claims ledger records about a run
def test_substitution_says_what_differs_from_the_papers():
    paper, smoke, quick = (study.settings(p) for p in ("paper", "smoke", "quick"))
    runs = ("uncent", "cent", "top", "mix")
    assert all(study.substitution(getattr(paper, r)) is None for r in runs)
    assert study.max_batches(paper.uncent.anneal) == 72 * 50 * 1000     # 72 steps, 50 x 1000 each
    text = study.substitution(smoke.uncent)
    assert text.startswith("6 latents, widths 16, at most 10 batches, 200 training jets")
    assert "in place of the papers' 256 latents, widths 1024, at most 3.6M batches" in text
    assert study.substitution(smoke.uncent, parts=("grid",)) == (
        "beta-hat 0.02-0.5 at 1 per decade in place of the papers' beta-hat 1e-5-1 at 4 per decade")
    with pytest.raises(ValueError, match="substitution: unknown `parts`"):
        study.substitution(smoke.uncent, parts=("epochs",))
    with pytest.raises(TypeError, match="substitution: `run` must be an AnnealRunSettings"):
        study.substitution(smoke)
    # two runs behind one claim: one phrase if they agree, named ones if not (quick's top run
    # trains on fewer jets than its W run)
    same = study.substitutions({"top": smoke.top, "W": smoke.uncent})
    assert same == study.substitution(smoke.top)
    both = study.substitutions({"top": quick.top, "W": quick.uncent})
    assert both.startswith("top: ") and "; W: " in both
    assert study.substitutions({"top": paper.top, "W": paper.uncent}) is None
    assert [study.data_name(getattr(smoke, r)) for r in runs] == [
        "w-jets", "w-jets", "top-jets", "mixed-jets"]
    assert "differs from the papers:** 6 latents" in study.profile_note(smoke.cent)
    assert "trains the papers' model" in study.profile_note(paper.cent)


def _written_run(tmp_path, name, betas, phases, kl, *, rates=None, category_kl=None):
    """A real AnnealRun read from a manifest written here (no weights: the studies below only
    read the per-step measurements)."""
    segment = {"priming": 0, "zigzag": 1, "production": 2}
    steps = []
    for i, (b, ph, k) in enumerate(zip(betas, phases, kl)):
        metrics = {"kl_per_latent": list(k), "rate": float(sum(k) if rates is None else rates[i]),
                   "distortion": 0.0}
        if category_kl is not None:
            metrics["category_kl"] = category_kl[i]
        steps.append({"index": i, "phase": ph, "segment": segment[ph], "beta_hat": b / 500,
                      "beta_gev": b, "metrics": metrics})
    folder = tmp_path / name
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({
        "model": {"latent_dim": len(kl[0]), "n_categories": 2 if category_kl else 0},
        "ht_mean": 500.0, "profile": "smoke", "process": "w", "centred": False, "steps": steps}))
    return AnnealRun(folder)


def test_organisation_switch_off_and_preservation(tmp_path):
    # priming 1, 10, 100 GeV; zig-zag 10, 100 | 1, 10; production 1, 10, 100
    betas = [1, 10, 100, 10, 100, 1, 10, 1, 10, 100]
    phases = ["priming"] * 3 + ["zigzag"] * 4 + ["production"] * 3
    kl = [[1, 1, 1], [1, 1, 1], [1, 1, 1],                  # priming: every latent informative
          [2, 1, 0], [2, 0, 0],
          [0, 2, 1],                                         # the leading latent swapped
          [3, 2, 0],
          [3, 2, 1], [3, 1, 0], [2, 0, 0]]                   # production: nested switch-off
    run = _written_run(tmp_path, "run", betas, phases, kl)
    org = study.organisation(run)
    assert org.priming.tolist() == [3, 3, 3] and org.priming_all_fraction == 1.0
    assert org.production.tolist() == [3, 2, 1] and org.production_most == 3
    crit = study.switch_off(*study.kl_curves(run, "production"))
    assert crit.beta_crit.tolist() == [100.0, 10.0, 1.0] and crit.clean.all()
    assert (crit.n_directions, crit.n_clean, crit.n_switched) == (3, 3, 2)
    # a direction that comes back above its switch-off has no single critical beta
    flicker = study.switch_off([1.0, 10.0, 100.0], [[1, 1], [0, 1], [1, 1]])
    assert flicker.clean.tolist() == [False, True] and flicker.n_switched == 0
    kept = study.preserved_descents(run)
    # lowerings: 100 -> 10 (saturated before: not judged), 100 -> 1 (swapped), 10 -> 1 (kept)
    assert kept.steps == [(4, 5), (6, 7)] and kept.preserved.tolist() == [False, True]
    assert kept.n_skipped == 1 and kept.n_preserved == 1
    assert study.informative_at(run, 12.0) == 2 and study.informative_at(run, 1e4) == 1
    assert study.value_near([1.0, 10.0, 100.0], [5.0, 6.0, 7.0], 40.0) == 7.0


def test_compare_dimensions_is_undecided_when_both_runs_saturate(tmp_path):
    """The top-versus-W comparison: steps where both runs use every latent say nothing."""
    betas, phases = [10.0, 20.0, 40.0], ["production"] * 3

    def run(name, kl, rates):
        return _written_run(tmp_path, name, betas, phases, kl, rates=rates)

    full = [[1, 1], [1, 1], [1, 1]]
    both_full = study.compare_dimensions(run("a", full, [9, 4, 0]), run("b", full, [2, 1, 0]),
                                         lo=5, hi=50)
    assert both_full.saturated.all() and not both_full.decided and not both_full.first_larger
    top = run("top", [[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0]], [6, 3, 0])
    w = run("w", [[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]], [2, 1, 0])
    cmp = study.compare_dimensions(top, w, lo=5, hi=50)
    assert cmp.decided and cmp.first_larger and not cmp.saturated.any()
    assert cmp.d1_first == pytest.approx(3 / np.log(2))
    assert cmp.d1_second == pytest.approx(1 / np.log(2))
    assert study.compare_dimensions(w, top, lo=5, hi=50).first_larger is False
    # saturated at the first two steps: no midpoint with two free ends is left
    top2 = run("top2", [[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 0, 0]], [6, 3, 0])
    w2 = run("w2", [[1, 1, 1, 1], [1, 1, 1, 1], [1, 0, 0, 0]], [2, 1, 0])
    part = study.compare_dimensions(top2, w2, lo=5, hi=50)
    assert part.saturated.tolist() == [True, True, False] and not part.first_larger


def test_dcorr_alignment_and_category_usage(tmp_path):
    from latentdims.maths.dimensionality import DimensionCurve
    b = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    dc = study.JetDcorr(b, 5 - np.log2(b), 0 * b, 0 * b, np.ones(5, bool))
    rising = DimensionCurve(b[1:4], np.array([1.0, 2.0, 3.0]), 0 * b[1:4])
    rho, k = study.dcorr_alignment(rising, dc)
    assert (rho, k) == (pytest.approx(-1.0), 3)              # anti-aligned: D1 rises with beta
    few = study.JetDcorr(b, 5 - np.log2(b), 0 * b, 0 * b, np.array([1, 1, 0, 0, 0], bool))
    assert np.isnan(study.dcorr_alignment(DimensionCurve(b, 5 - np.log2(b), 0 * b), few)[0])
    mix = _written_run(tmp_path, "mix", [10.0, 10.0, 100.0],
                       ["priming", "production", "production"], [[1.0], [1.0], [0.0]],
                       category_kl=[0.66, 0.14, 0.0])
    text = study.category_usage(mix)
    assert "log 2 = 0.69" in text and "0.66 after the first step at 10.0 GeV" in text
    assert "0.14 at 10 GeV, 0.00 at 100 GeV" in text
    plain = _written_run(tmp_path, "plain", [10.0], ["production"], [[1.0]])
    with pytest.raises(ValueError, match="category_usage: the run's steps record no"):
        study.category_usage(plain)
