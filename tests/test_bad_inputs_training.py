"""Bad inputs to the training loop, its checkpoints and the atomic writes under them (issue 16).

What a newcomer passes by mistake (strings for numbers, float64 or pandas data, empty or NaN
sets, a batch larger than the data), resumed runs whose configuration or data changed, damaged
checkpoint files, and interrupts at every rename of a checkpoint replacement.  Every case ends
in a clear error naming the argument or file and what to do, or in a correct result; none in a
silently wrong training.
"""
import dataclasses
import json
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from latentdims.core import io
from latentdims.core.io import DamagedFileError, atomic_dir, atomic_path, read_json, read_npz
from latentdims.maths.sinkhorn import toy_two_prong_jets
from latentdims.models.annealing import AnnealSchedule, AnnealSettings, train_annealing
from latentdims.models.base import representations
from latentdims.models.dense_vae import DenseVAE, DenseVAEConfig
from latentdims.models.jet_vae import JetVAEConfig, jet_batch
from latentdims.models.training import (CheckpointError, CheckpointMismatchError, TrainConfig,
                                        data_fingerprint, load_weights, save_weights, train)

X = (np.random.default_rng(0).standard_normal((240, 3)) * [1.0, 0.5, 0.1]).astype("float32")
CFG = TrainConfig(epochs=3, batch_size=40, learning_rate=1e-2, monitor="val_loss")
INTERNALS = ("allow_pickle", "pickle", "BadZipFile", "zipfile", "Expecting", "JSONDecodeError",
             "zlib", "Traceback")


def _model(seed=1, beta=0.3, hidden=(8,)):
    return DenseVAE(DenseVAEConfig(3, 2, hidden=hidden, seed=seed), beta=beta)


def _weights(model):
    return [np.asarray(v.numpy()) for v in model.variables]


def _same_weights(a, b):
    for wa, wb in zip(_weights(a), _weights(b)):
        np.testing.assert_array_equal(wa, wb)


def _fit(model=None, data=X[:200], valid=X[200:], config=CFG, **kwargs):
    model = _model() if model is None else model
    return model, train(model, data, valid_data=valid, config=config, seed=3, progress=False,
                        **kwargs)


def _clean(message):
    for word in INTERNALS:
        assert word not in message, f"{word!r} in: {message}"


# =============================================================================== TrainConfig
@pytest.mark.parametrize("field, value, kind", [
    ("learning_rate", "1e-3", TypeError), ("learning_rate", None, TypeError),
    ("learning_rate", True, TypeError), ("learning_rate", float("nan"), ValueError),
    ("learning_rate", float("inf"), ValueError), ("learning_rate", -1e-3, ValueError),
    ("epochs", "3", TypeError), ("epochs", 3.0, TypeError), ("epochs", True, TypeError),
    ("epochs", 0, ValueError), ("batch_size", 2.5, TypeError), ("batch_size", 0, ValueError),
    ("steps_per_epoch", "10", TypeError), ("steps_per_epoch", 0, ValueError),
    ("early_stopping_patience", 0, ValueError), ("lr_patience", "5", TypeError),
    ("lr_factor", None, TypeError), ("lr_factor", 1.5, ValueError), ("nan_lr_factor", 0, ValueError),
    ("min_lr", -1.0, ValueError), ("min_delta", "0", TypeError), ("max_nan_recoveries", -1, ValueError),
    ("max_nan_recoveries", 1.0, TypeError), ("adam_beta_1", 1.0, ValueError),
    ("adam_beta_2", "0.999", TypeError), ("adam_epsilon", 0.0, ValueError),
    ("monitor", 3, TypeError), ("monitor", "", TypeError), ("restore_best", "yes", TypeError),
    ("jit_compile", 1, TypeError),
])
def test_config_values_of_the_wrong_kind_or_range_name_the_field(field, value, kind):
    with pytest.raises(kind, match=rf"TrainConfig: `{field}` must"):
        TrainConfig(**{"epochs": 1, "batch_size": 1, field: value})


def test_numpy_numbers_are_accepted_in_the_config():
    cfg = TrainConfig(epochs=np.int64(2), batch_size=np.int32(4), learning_rate=np.float32(1e-3))
    assert cfg.epochs == 2


# ============================================================================ train's arguments
@pytest.mark.parametrize("kwargs, kind, match", [
    (dict(config={"epochs": 1, "batch_size": 10}), TypeError, "`config` must be a TrainConfig"),
    (dict(seed=-1), ValueError, "`seed` must be >= 0"),
    (dict(seed="0"), TypeError, "`seed` must be an integer"),
    (dict(resume="yes"), ValueError, "unknown `resume` 'yes'"),
    (dict(on_epoch_end=5), TypeError, "`on_epoch_end` must be callable"),
    (dict(checkpoint_dir=5), TypeError, "`checkpoint_dir` must be a folder path"),
])
def test_bad_arguments_fail_before_any_step(kwargs, kind, match):
    model = _model()
    with pytest.raises(kind, match=match):
        train(model, X, **{"config": TrainConfig(epochs=1, batch_size=40, monitor="loss"),
                           "progress": False, **kwargs})
    assert getattr(model, "optimizer", None) is None          # nothing compiled, nothing trained


def test_a_checkpoint_dir_that_is_a_file_is_a_clear_error(tmp_path):
    path = tmp_path / "ckpt"
    path.write_text("not a folder")
    with pytest.raises(NotADirectoryError, match=r"`checkpoint_dir` .*ckpt' is a file"):
        _fit(checkpoint_dir=path)


# ===================================================================================== data
def test_empty_validation_set_fails_before_the_first_epoch():
    model = _model()
    with pytest.raises(ValueError, match=r"train: `valid_data` is empty .*valid_data=None"):
        _fit(model, valid=X[:0])
    assert getattr(model, "optimizer", None) is None


def test_empty_training_set_and_empty_parts():
    with pytest.raises(ValueError, match=r"`train_data` is empty"):
        _fit(data=X[:0])
    with pytest.raises(ValueError, match="empty tuple or dict"):
        _fit(data=())
    with pytest.raises(ValueError, match="same number of examples"):
        _fit(data=(X[:10], X[:11]))


def test_batch_larger_than_the_data_is_a_clear_error():
    model = _model()
    with pytest.raises(ValueError, match=r"batch_size \(40\) is larger than the 30 training "
                                         r"examples; lower batch_size to at most 30"):
        _fit(model, data=X[:30])
    assert getattr(model, "optimizer", None) is None


@pytest.mark.parametrize("jit", [False, True])
def test_float64_data_are_cast_to_the_models_dtype(jit):
    """NumPy's default float64 trains, in tf.function graphs and under XLA, as its float32 copy."""
    cfg = dataclasses.replace(CFG, epochs=1, jit_compile=jit)
    a, ra = _fit(data=X[:200].astype(np.float64), valid=X[200:].astype(np.float64), config=cfg)
    b, rb = _fit(config=cfg)
    _same_weights(a, b)
    assert ra.history[-1]["val_loss"] == rb.history[-1]["val_loss"]


@pytest.mark.parametrize("convert", [
    pytest.param(lambda x: pd.DataFrame(x, index=np.arange(len(x)) + 1000), id="DataFrame"),
    pytest.param(tf.constant, id="tf.Tensor"),
    pytest.param(lambda x: x.tolist(), id="list"),
    pytest.param(lambda x: np.asfortranarray(x.astype(np.float64)), id="Fortran-float64"),
])
def test_array_likes_train_as_numpy_arrays(convert):
    train_x, valid_x = convert(X[:200]), convert(X[200:])
    before = pd.DataFrame(train_x).copy() if isinstance(train_x, pd.DataFrame) else None
    a, _ = _fit(data=train_x, valid=valid_x, config=dataclasses.replace(CFG, epochs=1))
    b, _ = _fit(config=dataclasses.replace(CFG, epochs=1))
    _same_weights(a, b)
    if before is not None:                   # the user's frame is left as it was
        pd.testing.assert_frame_equal(train_x, before)


@pytest.mark.parametrize("data, match", [
    (pd.DataFrame({"a": ["x"] * 50, "b": ["y"] * 50}), "must hold numbers; got an array of dtype object"),
    (np.array(["1.0"] * 50), "must hold numbers; got an array of dtype <U3"),
    (None, "must hold numbers"),
    (np.float32(3.0), "one row per example"),
    (X[:50].astype(complex), "must hold numbers"),
])
def test_non_numeric_data_is_a_type_error(data, match):
    with pytest.raises((TypeError, ValueError), match=match):
        _fit(data=data, valid=None, config=TrainConfig(epochs=1, batch_size=10, monitor="loss"))


@pytest.mark.parametrize("where, value", [("train", np.nan), ("train", np.inf), ("valid", np.nan)])
def test_nan_or_inf_in_the_data_fails_before_training(where, value):
    train_x, valid_x = X[:200].copy(), X[200:].copy()
    (train_x if where == "train" else valid_x)[7, 1] = value
    model = _model()
    with pytest.raises(ValueError, match=rf"train: `{where}_data` contains 1 non-finite value\(s\)"
                                         rf", the first .* at index \(7, 1\)"):
        _fit(model, data=train_x, valid=valid_x)
    assert getattr(model, "optimizer", None) is None


class _Lazy:
    """A set rendered on demand (len() and integer-array indexing only), one bad example."""

    def __init__(self, x, bad=None):
        self.x, self.bad = x, bad

    def __len__(self):
        return len(self.x)

    def __getitem__(self, index):
        out = self.x[index].astype(np.float64)
        if self.bad is not None:
            out[np.asarray(index) == self.bad] = np.nan
        return out


def test_lazily_indexed_sets_train_and_their_nan_is_named_by_example():
    a, _ = _fit(data=_Lazy(X[:200]), valid=_Lazy(X[200:]), config=dataclasses.replace(CFG, epochs=1))
    b, _ = _fit(config=dataclasses.replace(CFG, epochs=1))
    _same_weights(a, b)
    with pytest.raises(ValueError, match=r"`train_data` gave non-finite values for example\(s\) \[17\]"):
        _fit(data=_Lazy(X[:200], bad=17), valid=None,
             config=TrainConfig(epochs=1, batch_size=40, monitor="loss"))


def test_unknown_monitor_fails_at_the_first_step_not_after_an_epoch():
    model = _model()
    with pytest.raises(KeyError, match="'val_accuracy' is not among the logs"):
        _fit(model, config=dataclasses.replace(CFG, monitor="val_accuracy"))
    assert int(model.optimizer.iterations.numpy()) == 0
    model = _model()
    with pytest.raises(KeyError, match="'accuracy' is not among the logs"):
        _fit(model, config=dataclasses.replace(CFG, monitor="accuracy"))
    assert int(model.optimizer.iterations.numpy()) == 1


# ==================================================================================== resume
@pytest.mark.parametrize("change, field", [
    (dict(config=dataclasses.replace(CFG, batch_size=50)), "batch_size: 40 -> 50"),
    (dict(config=dataclasses.replace(CFG, learning_rate=1e-3)), "learning_rate: 0.01 -> 0.001"),
    (dict(config=dataclasses.replace(CFG, restore_best=True)), "restore_best: False -> True"),
    (dict(config=dataclasses.replace(CFG, jit_compile=True)), "jit_compile: False -> True"),
    (dict(seed=4), "seed: 3 -> 4"),
    (dict(data=X[:200] * 2), "train_data.hash"),
    (dict(data=X[:199]), "train_data.shape: [200, 3] -> [199, 3]"),
    (dict(valid=X[210:]), "valid_data.shape: [40, 3] -> [30, 3]"),
    (dict(model=lambda: _model(beta=0.5)),
     "model.scalars: [['beta', 0.30000001192092896]] -> [['beta', 0.5]]"),
    (dict(model=lambda: _model(seed=2)), "model.config.seed: 1 -> 2"),
    (dict(model=lambda: _model(hidden=(16,))), "model.config.hidden: [8] -> [16]"),
])
def test_resuming_with_another_configuration_or_data_is_refused(tmp_path, change, field):
    kill = _kill_at(1)
    with pytest.raises(_Killed):
        _fit(checkpoint_dir=tmp_path, on_epoch_end=kill)
    kwargs = {"model": _model, "data": X[:200], "valid": X[200:], "config": CFG, "seed": 3,
              **change}
    model = kwargs["model"]()
    model(X[:2])                                # built, to compare its weights afterwards
    fresh = [np.asarray(v.numpy()) for v in model.trainable_variables]
    with pytest.raises(CheckpointMismatchError) as err:
        train(model, kwargs["data"], valid_data=kwargs["valid"],
              config=kwargs["config"], seed=kwargs["seed"], progress=False,
              checkpoint_dir=tmp_path)
    message = str(err.value)
    assert field in message
    assert str(tmp_path / "last") in message and "resume='restart'" in message
    assert "Use another checkpoint_dir" in message and "delete the folder" in message
    for v, f in zip(model.trainable_variables, fresh):   # nothing of the checkpoint assigned
        w = np.asarray(v.numpy())
        np.testing.assert_array_equal(w, f)


def test_restart_discards_the_old_checkpoint(tmp_path):
    _fit(checkpoint_dir=tmp_path)
    other = dataclasses.replace(CFG, batch_size=50)
    ref, r_ref = _fit(config=other)
    model, r = _fit(config=other, checkpoint_dir=tmp_path, resume="restart")
    assert r.resumed_from_epoch is None and r.epochs_run == 3
    _same_weights(ref, model)
    _, again = _fit(config=other, checkpoint_dir=tmp_path)     # now it is this run's checkpoint
    assert again.resumed_from_epoch == 2


def test_float64_and_float32_copies_resume_each_other(tmp_path):
    with pytest.raises(_Killed):
        _fit(checkpoint_dir=tmp_path, on_epoch_end=_kill_at(1))
    _, r = _fit(data=X[:200].astype(np.float64), checkpoint_dir=tmp_path)
    assert r.resumed_from_epoch == 0


def test_more_epochs_extend_a_finished_run_exactly(tmp_path):
    """Documented: `epochs` may grow; the extended run equals an uninterrupted longer one."""
    longer = dataclasses.replace(CFG, epochs=5)
    ref, r_ref = _fit(config=longer)
    _fit(checkpoint_dir=tmp_path)                                  # 3 epochs, finished
    model, r = _fit(config=longer, checkpoint_dir=tmp_path)
    assert r.resumed_from_epoch == 2 and [h["epoch"] for h in r.history] == [0, 1, 2, 3, 4]
    _same_weights(ref, model)
    assert r.history[-1]["val_loss"] == r_ref.history[-1]["val_loss"]
    with pytest.raises(CheckpointMismatchError, match=r"epochs: 5 -> 4 .*checkpoint's 5 epochs"):
        _fit(config=dataclasses.replace(CFG, epochs=4), checkpoint_dir=tmp_path)


def test_an_early_stopped_run_stays_stopped_when_epochs_grow(tmp_path):
    cfg = TrainConfig(epochs=6, batch_size=40, learning_rate=1e-12, monitor="loss",
                      early_stopping_patience=2, min_delta=1.0)
    _, r = _fit(config=cfg, valid=None, checkpoint_dir=tmp_path)
    assert r.stopped_early and r.epochs_run == 3
    _, again = _fit(config=dataclasses.replace(cfg, epochs=50), valid=None, checkpoint_dir=tmp_path)
    assert again.stopped_early and again.epochs_run == 3


def test_a_checkpoint_without_a_recorded_run_resumes_with_a_warning(tmp_path):
    with pytest.raises(_Killed):
        _fit(checkpoint_dir=tmp_path, on_epoch_end=_kill_at(1))
    state = tmp_path / "last" / "state.json"
    content = json.loads(state.read_text())
    del content["run"]                      # as written before runs were recorded
    state.write_text(json.dumps(content))
    with pytest.warns(UserWarning, match="resumed without checking"):
        _, r = _fit(checkpoint_dir=tmp_path)
    assert r.resumed_from_epoch == 0


# ======================================================================= damaged checkpoints
def _write_npy(path):
    with open(path, "wb") as f:
        np.save(f, np.zeros(3))


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("damage, name, reason", [
    (lambda d: _truncate(d / "model.npz"), "model.npz", "cut off or corrupt"),
    (lambda d: (d / "model.npz").write_bytes(b""), "model.npz", "empty or cut off"),
    (lambda d: (d / "optimizer.npz").write_bytes(b"\x80\x04garbage" * 10), "optimizer.npz",
     "not an .npz archive of plain arrays"),
    (lambda d: _write_npy(d / "model.npz"), "model.npz", "single .npy array"),
    (lambda d: (d / "model.npz").unlink(), "model.npz", "is missing"),
    (lambda d: _truncate(d / "state.json"), "state.json", "not valid JSON from line"),
    (lambda d: (d / "state.json").write_bytes(b"\xff\xfe\x00garbage"), "state.json", "bytes are not text"),
    (lambda d: (d / "state.json").write_text(""), "state.json", "it is empty"),
    (lambda d: (d / "state.json").write_text('{"epoch": "two"}'), "state.json", "not a training state"),
    (lambda d: (d / "state.json").write_text("[1, 2]"), "state.json", "not a training state"),
    (lambda d: (d / "state.json").unlink(), "state.json", "has no state.json"),
])
def test_damaged_checkpoint_files_name_the_file_and_the_remedy(tmp_path, damage, name, reason):
    with pytest.raises(_Killed):
        _fit(checkpoint_dir=tmp_path, on_epoch_end=_kill_at(1))
    damage(tmp_path / "last")
    with pytest.raises(CheckpointError) as err:
        _fit(checkpoint_dir=tmp_path)
    message = str(err.value)
    assert reason in message and str(tmp_path / "last") in message
    assert name in message or reason == "has no state.json"
    assert "resume='restart'" in message and "Delete the folder" in message
    assert err.value.__cause__ is None or not isinstance(err.value.__cause__, json.JSONDecodeError)
    _clean(message)
    # the remedy works
    _, r = _fit(checkpoint_dir=tmp_path, resume="restart")
    assert r.resumed_from_epoch is None and r.epochs_run == 3


def test_load_weights_of_a_damaged_or_foreign_file(tmp_path):
    model = _model()
    _fit(model, config=dataclasses.replace(CFG, epochs=1))
    path = save_weights(model, tmp_path / "w.npz")
    _truncate(path)
    with pytest.raises(DamagedFileError, match=r"load_weights: the file .*w.npz' cannot be read"):
        load_weights(_model(), path)
    np.savez(tmp_path / "other.npz", weights=np.zeros(3))
    with pytest.raises(DamagedFileError, match="not one of saved variables"):
        load_weights(_model(), tmp_path / "other.npz")
    save_weights(_model(hidden=(4, 4)), tmp_path / "deeper.npz")
    with pytest.raises(ValueError, match=r"deeper.npz' holds \d+ model variables but the model has"):
        load_weights(model, tmp_path / "deeper.npz")
    with pytest.raises(FileNotFoundError, match="missing.npz' does not exist"):
        load_weights(model, tmp_path / "missing.npz")


# ================================================================ interrupted checkpoint writes
class _Killed(Exception):
    pass


def _kill_at(epoch):
    def kill(e, model, logs):
        if e == epoch:
            raise _Killed
    return kill


class _Interrupted(BaseException):
    """What a kill does to a rename: it never happens (BaseException, as KeyboardInterrupt)."""


def _break_renames(monkeypatch, n, mode):
    """From the n-th rename on ("dead": every later one too; "once": only the n-th) raise."""
    real = os.replace
    calls = {"n": 0}

    def replace(src, dst, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n or (mode == "dead" and calls["n"] > n):
            raise _Interrupted(f"interrupted at rename {calls['n']}: {src} -> {dst}")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "rename", replace)
    return real


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_an_interrupt_at_any_rename_of_a_checkpoint_keeps_the_old_or_the_new(tmp_path, monkeypatch, n):
    """save_state's renames: model.npz, state.json, tmp -> new, last -> old, new -> last, old ->
    trash.  Killed at any of them, the next run resumes from epoch 1 (old) or 2 (new), never 0,
    and ends with the uninterrupted run's weights and no leftovers."""
    saved = {}

    def break_during_epoch_2_save(epoch, model, logs):
        if epoch == 2:                   # on_epoch_end runs just before the epoch's save_state
            saved["replace"] = _break_renames(monkeypatch, n, "dead")

    with pytest.raises(_Interrupted):
        _fit(checkpoint_dir=tmp_path, on_epoch_end=break_during_epoch_2_save)
    monkeypatch.setattr(os, "replace", saved["replace"])
    monkeypatch.setattr(os, "rename", saved["replace"])
    model, r = _fit(config=dataclasses.replace(CFG, epochs=4), checkpoint_dir=tmp_path)
    assert r.resumed_from_epoch == (1 if n <= 4 else 2)
    ref, _ = _fit(config=dataclasses.replace(CFG, epochs=4))
    _same_weights(ref, model)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last"]


@pytest.mark.parametrize("mode", ["dead", "once"])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_atomic_dir_interrupted_at_each_rename_leaves_old_or_new(tmp_path, monkeypatch, n, mode):
    target = tmp_path / "folder"
    with atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("old")
    real = _break_renames(monkeypatch, n, mode)
    try:
        with atomic_dir(target) as tmp:           # renames: a.txt, tmp->new, old aside, new in, trash
            io.write_text(tmp / "a.txt", "new")
    except _Interrupted:
        pass
    monkeypatch.setattr(os, "replace", real)
    monkeypatch.setattr(os, "rename", real)
    io.recover_dir(target)                          # what every reader does first
    assert (target / "a.txt").read_text() == ("old" if n <= 3 else "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]


def test_atomic_path_interrupted_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = io.write_json(tmp_path / "a.json", {"v": 1})
    real = _break_renames(monkeypatch, 1, "dead")
    with pytest.raises(_Interrupted):
        io.write_json(path, {"v": 2})
    monkeypatch.setattr(os, "replace", real)
    assert read_json(path) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_recover_dir_restores_an_aside_copy_of_an_older_version(tmp_path):
    """Before this fix, atomic_dir moved the old folder to `.old-<name>-<random>/x`."""
    aside = tmp_path / ".old-last-k2j4h5g6" / "x"
    aside.mkdir(parents=True)
    (aside / "state.json").write_text("{}")
    assert io.recover_dir(tmp_path / "last")
    assert (tmp_path / "last" / "state.json").is_file()


# ========================================================================= stale temporaries
def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_temporaries_of_dead_runs_are_removed_by_the_next_write(tmp_path):
    dead, alive = _dead_pid(), os.getppid()
    (tmp_path / "kept").mkdir()
    leftovers = [   # (name, a folder?, kept?)
        (f".tmp-model-p{dead}-0123abcd.npz", False, False),   # dead writer's file
        (f".tmp-last-p{dead}-0123abce", True, False),         # dead writer's folder
        (f".old-kept-p{dead}-0123abcf", True, False),         # aside copy, target exists
        (f".new-gone-p{dead}-0123abd0", True, True),          # target missing: kept to recover
        (f".tmp-model-p{alive}-0123abd1.npz", False, True),   # a live writer's
        (f".tmp-model-p{os.getpid()}-0123abd2.npz", False, True),   # this process's
        (".tmp-legacy-abcdefgh.json", False, False),          # no pid, two days old
        (".tmp-fresh-abcdefgh.json", False, True),            # no pid, fresh
        (".tmpfile-not-ours", False, True),                   # not a temporary's name
    ]
    for name, folder, _ in leftovers:
        path = tmp_path / name
        if folder:
            path.mkdir()
            (path / "x.npz").write_bytes(b"half")
        else:
            path.write_bytes(b"half")
    day_old = time.time() - 2 * io.STALE_AGE_S
    os.utime(tmp_path / ".tmp-legacy-abcdefgh.json", (day_old, day_old))
    io.write_json(tmp_path / "result.json", {"ok": True})
    for name, _, kept in leftovers:
        assert (tmp_path / name).exists() == kept, name
    assert read_json(tmp_path / "result.json") == {"ok": True}
    assert io.recover_dir(tmp_path / "gone") and (tmp_path / "gone" / "x.npz").is_file()


def test_temporary_names_carry_the_process_id(tmp_path):
    with atomic_path(tmp_path / "a.npz") as tmp:
        assert tmp.name.startswith(f".tmp-a-p{os.getpid()}-") and tmp.suffix == ".npz"
    with atomic_dir(tmp_path / "d") as tmp:
        assert tmp.name.startswith(f".tmp-d-p{os.getpid()}-")


# ================================================================================ damaged files
@pytest.mark.parametrize("content, reason", [
    ('{"a": 1', "not valid JSON from line 1, column 8"), ("", "it is empty"),
    (b"\x89PNG\r\n\x1a\n\xff", "bytes are not text"),
])
def test_read_json_names_the_file_and_the_remedy(tmp_path, content, reason):
    path = tmp_path / "state.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(DamagedFileError, match=r"read_json: the file .*state.json' cannot be read") as err:
        read_json(path)
    assert reason in str(err.value) and "Delete it" in str(err.value)
    assert err.value.path == path
    _clean(str(err.value))


def test_read_npz_refuses_python_objects_and_names_the_file(tmp_path):
    import pickle

    path = tmp_path / "a.npz"
    path.write_bytes(pickle.dumps({"evil": 1}))
    with pytest.raises(DamagedFileError, match="not an .npz archive of plain arrays") as err:
        read_npz(path)
    _clean(str(err.value))
    io.save_npz(path, x=np.arange(3))
    assert read_npz(path)["x"].tolist() == [0, 1, 2]


# ================================================================================ annealing
P = 8
TINY = JetVAEConfig(n_particles=P, latent_dim=2, pfn_widths=(8,), encoder_widths=(8,),
                    decoder_widths=(8,), seed=0)


def _jets(n, seed=0):
    jets = toy_two_prong_jets(n, P, centred=True, min_particles=4, seed=seed)
    return jet_batch(jets[..., 0], jets[..., 1:])


def _anneal_settings(**change):
    return AnnealSettings(**{
        "model": TINY, "schedule": AnnealSchedule(beta_min=0.1, beta_max=0.5, per_decade=1,
                                                  zigzag_drop=1, zigzag_length=1),
        "train": TrainConfig(epochs=1, batch_size=20, steps_per_epoch=1, learning_rate=1e-3,
                             monitor="val_loss"),
        "epochs": (1, 1, 1), "n_train": 40, "n_valid": 20, "measure_batch": 20, **change})


def test_annealing_refuses_another_run_in_its_work_folder_and_names_damage(tmp_path):
    train_x, valid_x = _jets(40), _jets(20, seed=1)
    settings = _anneal_settings()
    stop = {"n": 0}

    def kill_in_step_2(epoch, model, logs):
        stop["n"] += 1
        if stop["n"] == 2:
            raise _Killed

    with pytest.raises(_Killed):
        train_annealing(settings, train_x, valid_x, work_dir=tmp_path, ht_mean=500.0,
                        progress=False, on_epoch_end=kill_in_step_2)
    for kwargs, field in [
        (dict(settings=_anneal_settings(train=dataclasses.replace(settings.train, batch_size=10))),
         "settings.train.batch_size: 20 -> 10"),
        (dict(settings=_anneal_settings(epochs=(2, 1, 1))), "settings.epochs: [1, 1, 1] -> [2, 1, 1]"),
        (dict(seed=1), "seed: 0 -> 1"), (dict(ht_mean=400.0), "ht_mean: 500.0 -> 400.0"),
        (dict(train_data=_jets(40, seed=5)), "train_data['points'].hash"),
    ]:
        call = {"settings": settings, "train_data": train_x, "valid_data": valid_x,
                "seed": 0, "ht_mean": 500.0, **kwargs}
        with pytest.raises(CheckpointMismatchError, match=r"train_annealing: the run in") as err:
            train_annealing(call["settings"], call["train_data"], call["valid_data"],
                            work_dir=tmp_path, ht_mean=call["ht_mean"], seed=call["seed"],
                            progress=False)
        assert field in str(err.value) and "resume='restart'" in str(err.value)
    done = train_annealing(settings, train_x, valid_x, work_dir=tmp_path, ht_mean=500.0,
                           progress=False)
    assert len(done["steps"]) == len(settings.schedule.steps())
    (tmp_path / "manifest.json").write_text('{"steps": [')
    with pytest.raises(CheckpointError, match=r"manifest.json' cannot be read .*Delete the work "
                                              r"folder .*resume='restart'"):
        train_annealing(settings, train_x, valid_x, work_dir=tmp_path, ht_mean=500.0,
                        progress=False)
    again = train_annealing(settings, train_x, valid_x, work_dir=tmp_path, ht_mean=500.0,
                            progress=False, resume="restart")
    assert [s["index"] for s in again["steps"]] == [s["index"] for s in done["steps"]]


@pytest.mark.parametrize("change, kind, match", [
    (dict(epochs=(1, 1)), TypeError, "`epochs` must be a tuple of 3 integers"),
    (dict(epochs=(1, 0, 1)), ValueError, r"`epochs \(zigzag\)` must be >= 1"),
    (dict(n_train=0), ValueError, "`n_train` must be >= 1"),
    (dict(measure_batch=2.5), TypeError, "`measure_batch` must be an integer"),
    (dict(train={"epochs": 1}), TypeError, "`train` must be a TrainConfig"),
])
def test_anneal_settings_are_checked(change, kind, match):
    with pytest.raises(kind, match=rf"AnnealSettings: {match}"):
        _anneal_settings(**change)


def test_train_annealing_arguments():
    with pytest.raises(TypeError, match="`train_data` must be a dict of arrays"):
        train_annealing(_anneal_settings(), _jets(40)["points"], _jets(20), work_dir="unused",
                        ht_mean=500.0)
    with pytest.raises(ValueError, match="unknown `resume`"):
        train_annealing(_anneal_settings(), _jets(40), _jets(20), work_dir="unused",
                        ht_mean=500.0, resume="again")


# ========================================================================== representations
def test_representations_refuse_empty_nan_and_convert_pandas():
    seen = []

    def encode(batch):
        seen.append(type(batch))
        return batch, np.zeros_like(batch)

    with pytest.raises(ValueError, match=r"representations: `x` is empty"):
        representations(encode, X[:0])
    with pytest.raises(ValueError, match="`batch_size` must be >= 1"):
        representations(encode, X, batch_size=0)
    x = X[:20].copy()
    x[4, 0] = np.nan
    with pytest.raises(ValueError, match=r"non-finite means or log-variances for 1 example\(s\), "
                                         r"the first at row 4"):
        representations(encode, x)
    reps = representations(encode, pd.DataFrame(X[:20], index=np.arange(20) + 50), batch_size=7)
    assert set(seen[-3:]) == {np.ndarray}
    np.testing.assert_allclose(reps.mean, X[:20])


def test_data_fingerprint_sees_every_value_of_small_arrays_and_a_sample_of_big_ones():
    x = np.zeros((1000, 4), np.float32)
    y = x.copy()
    y[555, 2] = 1.0
    assert data_fingerprint(x) != data_fingerprint(y)
    assert data_fingerprint(x)["data"]["hashed"] == "all"
    assert data_fingerprint(_Lazy(X))["data"]["hashed"] == "240 rows"
