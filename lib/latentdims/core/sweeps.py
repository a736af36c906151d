"""Run a grid of configurations (models over beta x seed, ...) through an executor.

``run_sweep(fn, configs)`` maps a picklable, module-level function over configurations and
returns the results in the order given.  Where it runs is a choice of the caller, not of the code:

* ``workers=0``: in this process, one after another (what the notebooks use on a laptop when
  each task already uses every core, e.g. TensorFlow training);
* ``workers=N`` (default: the number of cores): local processes (``spawn``, so TensorFlow starts
  clean in each);
* ``scheduler="tcp://host:8786"`` or a ``dask.distributed.Client``: a Dask cluster, e.g. one
  started with dask-jobqueue on SLURM; nothing else changes.

Combine with :func:`latentdims.core.cache.cached` inside ``fn`` so that every configuration is
trained once and re-runs only read the cache.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Callable, Iterable, Sequence

__all__ = ["grid", "run_sweep"]


def grid(**axes: Iterable[Any]) -> list[dict[str, Any]]:
    """The Cartesian product of named axes, as a list of dicts (last axis fastest).

    >>> grid(beta=[1, 8], seed=[0, 1])
    [{'beta': 1, 'seed': 0}, {'beta': 1, 'seed': 1}, {'beta': 8, 'seed': 0}, {'beta': 8, 'seed': 1}]
    """
    combos: list[dict[str, Any]] = [{}]
    for name, values in axes.items():
        values = list(values)
        if not values:
            raise ValueError(f"grid: axis `{name}` is empty; give at least one value.")
        combos = [{**c, name: v} for c in combos for v in values]
    return combos


def run_sweep(fn: Callable[[Any], Any], configs: Sequence[Any], *, workers: int | None = None,
              scheduler: Any = None, progress: bool = True, desc: str = "sweep") -> list[Any]:
    """Apply ``fn`` to every configuration; results in the order of ``configs``.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled to reach other processes or machines).
    configs : sequence
        The configurations (dicts or dataclasses), e.g. from :func:`grid`.
    workers : int, optional
        ``0`` runs in this process; ``N > 0`` uses N local processes; ``None`` uses
        ``os.cpu_count()`` processes.  Ignored when ``scheduler`` is given.
    scheduler : str or dask.distributed.Client, optional
        A Dask scheduler address or client; the sweep then runs on that cluster.
    progress : bool
        Show a tqdm bar over finished configurations.

    Raises
    ------
    RuntimeError
        If a configuration fails; the message names it, and the original error is chained.
    """
    from tqdm.auto import tqdm

    configs = list(configs)
    if not callable(fn):
        raise TypeError(f"run_sweep: `fn` must be callable; got {type(fn).__name__}.")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 0):
        raise ValueError(f"run_sweep: `workers` must be None or an integer >= 0; got {workers!r}.")
    results: list[Any] = [None] * len(configs)
    bar = tqdm(total=len(configs), desc=desc, disable=not progress)

    def fail(i: int, exc: BaseException) -> RuntimeError:
        return RuntimeError(f"run_sweep: configuration {i} ({configs[i]!r}) failed: "
                            f"{type(exc).__name__}: {exc}")

    if scheduler is not None:
        from distributed import Client, as_completed as dask_completed

        client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        try:
            futures = client.map(fn, configs, pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            for fut in dask_completed(futures):
                i = index[fut.key]
                try:
                    results[i] = fut.result()
                except Exception as exc:
                    raise fail(i, exc) from exc
                bar.update()
        finally:
            if client is not scheduler:
                client.close()
    elif workers == 0 or len(configs) <= 1:
        for i, cfg in enumerate(configs):
            try:
                results[i] = fn(cfg)
            except Exception as exc:
                raise fail(i, exc) from exc
            bar.update()
    else:
        n = min(workers or os.cpu_count() or 1, len(configs))
        with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(fn, cfg): i for i, cfg in enumerate(configs)}
            for fut in as_completed(futures):
                i = futures[fut]
                try:
                    results[i] = fut.result()
                except Exception as exc:
                    for other in futures:
                        other.cancel()
                    raise fail(i, exc) from exc
                bar.update()
    bar.close()
    return results
