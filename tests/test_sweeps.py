"""Sweeps run in-process, in local processes, and on a real (in-process) Dask LocalCluster."""
import pytest

from latentdims.core.sweeps import grid, run_sweep


def square_plus(cfg):
    return cfg["x"] ** 2 + cfg.get("offset", 0)


def fails_on_two(cfg):
    if cfg["x"] == 2:
        raise ValueError("bad x")
    return cfg["x"]


def test_grid_order():
    assert grid(a=[1, 2], b=["u"]) == [{"a": 1, "b": "u"}, {"a": 2, "b": "u"}]
    with pytest.raises(ValueError, match="axis `b` is empty"):
        grid(a=[1], b=[])


@pytest.mark.parametrize("workers", [0, 2])
def test_local(workers):
    configs = grid(x=[3, 1, 2], offset=[10])
    assert run_sweep(square_plus, configs, workers=workers, progress=False) == [19, 11, 14]


def test_failure_names_the_configuration():
    with pytest.raises(RuntimeError, match=r"configuration 1 .*'x': 2.*bad x"):
        run_sweep(fails_on_two, grid(x=[1, 2, 3]), workers=0, progress=False)


def test_dask_local_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        out = run_sweep(square_plus, grid(x=[1, 2, 3, 4]), scheduler=client, progress=False)
        assert out == [1, 4, 9, 16]
        # an address works the same way
        out = run_sweep(square_plus, grid(x=[5]), scheduler=cluster.scheduler_address, progress=False)
        assert out == [25]


def test_bad_workers():
    with pytest.raises(ValueError, match="workers"):
        run_sweep(square_plus, [{"x": 1}], workers=-1)
