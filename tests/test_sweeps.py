"""Sweeps run inline, in local processes and on real Dask clusters of worker processes, with real
TensorFlow trainings (the thesis' smoke-size VAEs) and a worker killed in the middle of one.

The workers import this module to find its task functions, so TensorFlow (through
``latentdims.studies.thesis_runs``) is imported only inside the tasks that train."""
import functools
import json
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from distributed import Client

from latentdims.core import sweeps
from latentdims.core.cache import work_path
from latentdims.core.sweeps import (SCHEDULER_ENV, check_scheduler, grid, local_cluster_shape,
                                    run_sweep, start_local_cluster)


def square_plus(cfg):
    return cfg["x"] ** 2 + cfg.get("offset", 0)


def fails_on_two(cfg):
    if cfg["x"] == 2:
        raise ValueError("bad x")
    return cfg["x"]


def worker_environment(_):
    return {k: os.environ.get(k) for k in ("CUDA_VISIBLE_DEVICES", "TF_NUM_INTRAOP_THREADS",
                                           "LATENTDIMS_CACHE", "LATENTDIMS_PROFILE")}


def test_grid_order():
    assert grid(a=[1, 2], b=["u"]) == [{"a": 1, "b": "u"}, {"a": 2, "b": "u"}]
    with pytest.raises(ValueError, match="axis `b` is empty"):
        grid(a=[1], b=[])


@pytest.mark.parametrize("where", [{"workers": 0}, {"workers": 2}, {"scheduler": "inline"}])
def test_local(where):
    configs = grid(x=[3, 1, 2], offset=[10])
    assert run_sweep(square_plus, configs, progress=False, **where) == [19, 11, 14]


def test_failure_names_the_configuration():
    with pytest.raises(RuntimeError, match=r"configuration 1 .*'x': 2.*bad x"):
        run_sweep(fails_on_two, grid(x=[1, 2, 3]), scheduler="inline", progress=False)


def test_default_is_one_local_cluster_per_process(monkeypatch):
    """No argument and no environment variable: the process-wide LocalCluster, started once
    and reused; the tasks see this process's LATENTDIMS_* (here its cache folder)."""
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    sweeps.close_local_cluster()
    try:
        assert run_sweep(square_plus, grid(x=[1, 2, 3]), progress=False) == [1, 4, 9]
        client = sweeps.local_client()
        assert len(client.scheduler_info()["workers"]) == local_cluster_shape()["workers"]
        monkeypatch.setenv("LATENTDIMS_CACHE", "/somewhere/else")
        seen = run_sweep(worker_environment, [0, 1], progress=False)
        assert sweeps.local_client() is client                       # reused, not restarted
        assert {s["LATENTDIMS_CACHE"] for s in seen} == {"/somewhere/else"}
    finally:
        sweeps.close_local_cluster()


def test_a_client_or_an_address(cluster):
    with Client(cluster) as client:
        assert run_sweep(square_plus, grid(x=[1, 2, 3, 4]), scheduler=client, progress=False) == [1, 4, 9, 16]
        out = run_sweep(square_plus, grid(x=[5, 6]), scheduler=cluster.scheduler_address, progress=False)
        assert out == [25, 36]
        assert run_sweep(square_plus, grid(x=[7, 8]), scheduler=cluster, progress=False) == [49, 64]


def test_bad_schedulers_say_what_is_accepted(monkeypatch):
    accepted = r"give 'local' .*'inline' .*'tcp://host:8786'"
    with pytest.raises(ValueError, match=r"run_sweep: `scheduler`: 'lcoal' is not a scheduler; " + accepted):
        run_sweep(square_plus, [{"x": 1}], scheduler="lcoal")
    with pytest.raises(ValueError, match=r"did you mean 'tcp://head:8786'"):
        run_sweep(square_plus, [{"x": 1}], scheduler="head:8786")
    with pytest.raises(ValueError, match=r"an object of type int is not a scheduler"):
        run_sweep(square_plus, [{"x": 1}], scheduler=8786)
    monkeypatch.setenv(SCHEDULER_ENV, "http://head:8786")
    with pytest.raises(ValueError, match=rf"the environment variable {SCHEDULER_ENV}: 'http://head:8786' "
                                         rf"is not a scheduler; " + accepted):
        run_sweep(square_plus, [{"x": 1}, {"x": 2}])
    with pytest.raises(ValueError, match="workers"):
        run_sweep(square_plus, [{"x": 1}], workers=-1)
    monkeypatch.delenv(SCHEDULER_ENV)
    assert check_scheduler(" INLINE ") == "inline" and check_scheduler("tls://[::1]:8786") == "tls://[::1]:8786"
    # the notebook parameter: checked, then handed to the kernel's sweeps
    from latentdims.notebook import start_notebook

    with pytest.raises(ValueError, match=r"start_notebook: `scheduler`: 'tpc://head:8786'"):
        start_notebook("00_toys_linear_vae.ipynb", profile="smoke", scheduler="tpc://head:8786")
    assert SCHEDULER_ENV not in os.environ
    start_notebook("00_toys_linear_vae.ipynb", profile="smoke", scheduler="tcp://head:8786")
    assert os.environ[SCHEDULER_ENV] == "tcp://head:8786"


def test_one_worker_per_gpu(monkeypatch):
    """The GPU layout without GPUs: one worker per id of CUDA_VISIBLE_DEVICES, each seeing only
    its own, with the cores shared out as TensorFlow threads."""
    if _has_dask_cuda():
        pytest.skip("dask-cuda's LocalCUDACluster needs real GPUs")
    cores = len(os.sched_getaffinity(0))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    assert local_cluster_shape() == {"workers": 2, "threads": max(1, cores // 2), "gpus": ["0", "1"]}
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    shape = local_cluster_shape()       # a CPU: one single-threaded worker per core
    assert shape["gpus"] == [] and shape["threads"] == 1 and 1 <= shape["workers"] <= cores
    monkeypatch.setattr(sweeps, "_memory_gib", lambda: 3)             # room for one worker
    assert local_cluster_shape()["workers"] == 1
    with start_local_cluster(gpus=["0", "1"]) as cluster, Client(cluster) as client:
        seen = client.run(worker_environment, None)
    assert sorted(s["CUDA_VISIBLE_DEVICES"] for s in seen.values()) == ["0", "1"]
    assert {s["TF_NUM_INTRAOP_THREADS"] for s in seen.values()} == {str(max(1, cores // 2))}


def _has_dask_cuda():
    try:
        import dask_cuda  # noqa: F401
    except ImportError:
        return False
    return True


# ------------------------------------------------------------------ real trainings on a cluster
@functools.cache
def _runs():
    """A smoke training (2 epochs) and a longer one (4 epochs), the one killed mid-way."""
    from latentdims.studies.thesis_runs import settings, thesis_run

    smoke = settings("smoke")
    return [thesis_run("beta_vae", smoke, beta=1.0), thesis_run("beta_vae", smoke, beta=8.0, steps=16)]
# TensorFlow's CPU kernels split their reductions by thread count, and a 1-thread training differs
# from a 2-thread one in the last bits (measured here).  The workers therefore get as many
# threads as TensorFlow uses in this process (its default: every core), and the comparisons are
# exact.
THREADS = int(os.environ.get("TF_NUM_INTRAOP_THREADS") or len(os.sched_getaffinity(0)))


def _arrays(folder):
    out = {}
    for name in ("model.npz", "representations.npz"):
        with np.load(Path(folder) / name) as z:
            out.update({f"{name}:{k}": z[k] for k in z.files})
    return out


def _assert_identical(folder, reference):
    got, want = _arrays(folder), _arrays(reference)
    assert got.keys() == want.keys()
    for k in want:
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)


@pytest.fixture(scope="module")
def inline_reference(tmp_path_factory):
    """The two trainings run inline, one after another, in a cache of their own."""
    from latentdims.studies.thesis_runs import train_run

    cache = tmp_path_factory.mktemp("inline-cache")
    saved = os.environ.get("LATENTDIMS_CACHE")
    os.environ["LATENTDIMS_CACHE"] = str(cache)
    try:
        return run_sweep(train_run, _runs(), scheduler="inline", progress=False)
    finally:
        if saved is None:
            del os.environ["LATENTDIMS_CACHE"]
        else:
            os.environ["LATENTDIMS_CACHE"] = saved


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes, each with THREADS TensorFlow threads."""
    with start_local_cluster(n_workers=2, threads=THREADS) as c:
        yield c


def test_two_worker_cluster_trains_what_the_serial_run_trains(inline_reference, cluster, tmp_path):
    from latentdims.studies.thesis_runs import train_run

    with Client(cluster) as client:
        folders = run_sweep(train_run, _runs(), scheduler=client, progress=False)
    for folder, reference in zip(folders, inline_reference):
        assert Path(folder).parent.parent == tmp_path / "cache"       # this test's cache
        _assert_identical(folder, reference)


def train_killing_its_worker_once(run):
    """``train_run(run)``, each call logged (``built`` or ``cached``) in ``calls.log``; for the
    longer run, the first attempt SIGKILLs its own worker process as soon as the training has
    written its first epoch's checkpoint (marked by a file), and the retry notes the checkpoint
    it finds before it trains."""
    from latentdims.core.cache import is_cached
    from latentdims.studies.thesis_runs import CACHE_NAME, train_run

    here = Path(os.environ["LATENTDIMS_CACHE"]).parent
    which = _runs().index(run)
    work, marker = work_path(CACHE_NAME, run), here / "killed-once"
    if which == 1 and not marker.exists():
        marker.write_text(str(os.getpid()))

        def kill_after_first_checkpoint():
            while not any(work.glob("**/state.json")):
                time.sleep(0.002)
            os.kill(os.getpid(), signal.SIGKILL)

        threading.Thread(target=kill_after_first_checkpoint, daemon=True).start()
        train_run(run, progress=False)
        time.sleep(60)                   # never reached in practice: the watcher kills first
    if which == 1 and not (here / "resumed-from").exists():
        epochs = [json.loads(p.read_text())["epoch"] for p in work.glob("**/state.json")]
        (here / "resumed-from").write_text(json.dumps(epochs))
    with open(here / "calls.log", "a") as log:
        log.write(f"{which} {'cached' if is_cached(CACHE_NAME, run) else 'built'}\n")
    return train_run(run, progress=False)


def test_a_worker_killed_mid_training_loses_nothing(inline_reference, cluster, tmp_path):
    from latentdims.studies.thesis_runs import CACHE_NAME

    with Client(cluster) as client:
        folders = run_sweep(train_killing_its_worker_once, _runs(), scheduler=client, progress=False)
        # the worker really died mid-training, and the retry found the checkpoint it left
        assert (tmp_path / "killed-once").read_text() not in {str(p) for p in client.run(os.getpid).values()}
        assert json.loads((tmp_path / "resumed-from").read_text()) != []
        assert not work_path(CACHE_NAME, _runs()[1]).exists()      # removed once the entry exists
        for folder, reference in zip(folders, inline_reference):
            _assert_identical(folder, reference)                   # resumed == uninterrupted
        stamps = [(Path(f) / "model.npz").stat().st_mtime_ns for f in folders]
        again = run_sweep(train_killing_its_worker_once, _runs(), scheduler=client, progress=False)
    assert again == folders and [(Path(f) / "model.npz").stat().st_mtime_ns for f in again] == stamps
    calls = (tmp_path / "calls.log").read_text().split("\n")[:-1]
    # each training built once (a result lost with the killed worker is read back, not rebuilt)
    assert sorted(c for c in calls if c.endswith("built")) == ["0 built", "1 built"]
    assert calls[-2:] == ["0 cached", "1 cached"] or calls[-2:] == ["1 cached", "0 cached"]
