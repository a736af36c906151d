"""Run the independent trainings of a sweep (models over beta x seed, ...) on a Dask cluster.

``run_sweep(fn, configs)`` maps a picklable, module-level function over configurations and
returns the results in order.  Where: the ``scheduler`` argument, else ``$LATENTDIMS_SCHEDULER``,
else ``"local"``:

* ``"local"``: a Dask ``LocalCluster`` of this process (kernel), started at its first sweep of
  more than one configuration, reused by later sweeps, closed at exit; on a CPU one
  single-threaded worker per core (:func:`local_cluster_shape`), with GPUs one worker per GPU
  (dask-cuda's ``LocalCUDACluster`` where installed).  A worker runs one task at a time;
* ``"inline"``: in this process, one after another;
* ``"tcp://host:8786"``, a ``distributed.Client`` or a cluster object (e.g. dask-jobqueue's
  ``SLURMCluster``): that cluster.

``workers=0`` (inline) or ``workers=N`` (N local processes) still choose a process pool.  Each
task runs with the sender's ``LATENTDIMS_*`` variables, so ``LATENTDIMS_CACHE`` must be a folder
every worker sees: the cache is the meeting point.  ``fn`` trains through
:func:`latentdims.core.cache.cached` and returns the entry's folder; a worker that dies loses no
finished entry, and Dask runs its task again (up to three deaths), which resumes from the
checkpoints in the cache's work folder.
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
import re
import shutil
import subprocess
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Callable, Iterable, Sequence

__all__ = ["grid", "run_sweep", "cpu_cores", "SCHEDULER_ENV", "check_scheduler", "resolve_scheduler",
           "local_cluster_shape", "thread_env", "start_local_cluster", "local_client", "close_local_cluster"]

SCHEDULER_ENV = "LATENTDIMS_SCHEDULER"
_KEYWORDS = ("local", "inline")
_ADDRESS = re.compile(r"(tcp|tls|ucx|ws|wss|inproc)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?(/\d+)*")
_FORMS = ("'local' (a Dask LocalCluster on this machine, the default), 'inline' (in this process, "
          "one after another), a scheduler address such as 'tcp://host:8786', or a "
          "distributed.Client / cluster object")
# what a worker must share with the process that sends it work (read when TensorFlow loads)
_WORKER_ENV = ("TF_CPP_MIN_LOG_LEVEL", "MPLBACKEND")
_IN_TASK = False                   # True inside a sweep's task: a nested sweep runs inline
_LOCAL: tuple[Any, Any] | None = None


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


# ------------------------------------------------------------------------- choosing the scheduler
def check_scheduler(value: Any, *, source: str = "scheduler") -> Any:
    """``value`` as :func:`run_sweep` uses it: ``"local"``, ``"inline"``, an address, or the
    client / cluster object itself.

    Raises
    ------
    ValueError
        For anything else; the message names ``source`` (the argument or the environment
        variable it came from) and the accepted forms.

    >>> check_scheduler(" Local "), check_scheduler("tcp://10.0.0.5:8786")
    ('local', 'tcp://10.0.0.5:8786')
    """
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in _KEYWORDS:
            return text.lower()
        if _ADDRESS.fullmatch(text):
            return text
        hint = (f" (did you mean 'tcp://{text}'?)" if re.fullmatch(r"[\w.-]+:\d+", text) else "")
        raise ValueError(f"{source}: {value!r} is not a scheduler{hint}; give {_FORMS}.")
    from distributed import Client

    if isinstance(value, Client) or hasattr(value, "scheduler_address"):
        return value
    raise ValueError(f"{source}: an object of type {type(value).__name__} is not a scheduler; "
                     f"give {_FORMS}.")


def resolve_scheduler(scheduler: Any = None) -> Any:
    """The scheduler a sweep uses: ``scheduler`` if given, else ``$LATENTDIMS_SCHEDULER``, else
    ``"local"`` (checked by :func:`check_scheduler`)."""
    if scheduler is not None:
        return check_scheduler(scheduler, source="run_sweep: `scheduler`")
    env = os.environ.get(SCHEDULER_ENV, "").strip()
    if env:
        return check_scheduler(env, source=f"the environment variable {SCHEDULER_ENV}")
    return "local"


# ------------------------------------------------------------------------- the local cluster
def cpu_cores() -> int:
    """The cores this process may use (its CPU affinity on Linux, else ``os.cpu_count()``)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:          # macOS, Windows
        return os.cpu_count() or 1


def _gpu_ids() -> list[str]:
    """The GPUs a worker may be given: ``CUDA_VISIBLE_DEVICES`` if set, else ``nvidia-smi -L``."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [g for g in (x.strip() for x in visible.split(",")) if g and not g.startswith("-")]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(i) for i, line in enumerate(l for l in out.splitlines() if l.startswith("GPU "))]


def local_cluster_shape() -> dict[str, Any]:
    """What ``"local"`` starts here: ``{"workers": W, "threads": T, "gpus": [ids]}``.

    One worker per GPU where there are GPUs (the cores shared out among them as TensorFlow
    threads); on a CPU one single-threaded worker per core, at most one per
    :data:`WORKER_MEMORY_GIB` GiB of memory.  The models of both works are small for a CPU, and
    TensorFlow's second thread buys little on them: measured on 2 cores
    (``benchmarks/bench_sweep_shape.py``), two 1-thread trainings side by side finish
    1.2-1.7x the steps of one 2-thread training (jet VAE, conv and FC thesis VAEs).  A
    1-thread training differs from a 2-thread one in the last bits (TensorFlow splits its
    reductions by thread count), so a sweep on this cluster is reproducible run to run, but
    not bit-identical to the same sweep inline.
    """
    cores, gpus = cpu_cores(), _gpu_ids()
    if gpus:
        return {"workers": len(gpus), "threads": max(1, cores // len(gpus)), "gpus": gpus}
    return {"workers": max(1, min(cores, _memory_gib() // WORKER_MEMORY_GIB)), "threads": 1,
            "gpus": gpus}


WORKER_MEMORY_GIB = 2
"""Memory a CPU worker of the local cluster is given room for (TensorFlow, a model, its data)."""


def _memory_gib() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
    except (ValueError, OSError, AttributeError):     # not POSIX: no cap
        return 1 << 20


def thread_env(threads: int) -> dict[str, str]:
    """The environment variables that give a worker process ``threads`` TensorFlow threads."""
    t = str(threads)
    return {"TF_NUM_INTRAOP_THREADS": t, "TF_NUM_INTEROP_THREADS": t, "OMP_NUM_THREADS": t}


def _worker_env(threads: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.startswith("LATENTDIMS_") or k in _WORKER_ENV}
    env.pop(SCHEDULER_ENV, None)
    env.update(thread_env(threads))
    return env


def start_local_cluster(n_workers: int | None = None, threads: int | None = None, *,
                        gpus: Sequence[str] | None = None):
    """A new cluster of worker processes on this machine (what ``"local"`` starts, once).

    Parameters
    ----------
    n_workers, threads : int, optional
        Workers and the cores (TensorFlow threads) of each; default :func:`local_cluster_shape`.
        Each worker runs one task at a time.
    gpus : sequence of str, optional
        GPU ids, one worker each (``CUDA_VISIBLE_DEVICES`` per worker); default: the GPUs found.

    Returns
    -------
    distributed.deploy.Cluster
        ``LocalCluster`` on a CPU; with GPUs dask-cuda's ``LocalCUDACluster`` if importable, else
        a ``SpecCluster`` of one ``Nanny`` per GPU.  Close it (or use it in ``with``).
    """
    from distributed import LocalCluster, Nanny, Scheduler, SpecCluster

    for name, v in (("n_workers", n_workers), ("threads", threads)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"start_local_cluster: `{name}` must be an integer >= 1; got {v!r}.")
    if gpus is None and n_workers is None:
        shape = local_cluster_shape()
        gpus, n_workers, threads = shape["gpus"], shape["workers"], threads or shape["threads"]
    gpus = _gpu_ids() if gpus is None else [str(g) for g in gpus]
    if n_workers is None:
        n_workers = len(gpus) if gpus else max(1, cpu_cores())
    if gpus and n_workers != len(gpus):
        raise ValueError(f"start_local_cluster: one worker per GPU; got n_workers={n_workers} "
                         f"for the GPUs {gpus}.")
    threads = threads or max(1, cpu_cores() // n_workers)
    env = _worker_env(threads)
    common = dict(threads_per_worker=1, dashboard_address=":0", env=env)   # any free port
    if not gpus:
        return LocalCluster(n_workers=n_workers, processes=True, **common)
    try:
        from dask_cuda import LocalCUDACluster
    except ImportError:
        workers = {i: {"cls": Nanny, "options": {"nthreads": 1, "env": {**env, "CUDA_VISIBLE_DEVICES": g}}}
                   for i, g in enumerate(gpus)}
        return SpecCluster(workers=workers, scheduler={"cls": Scheduler,
                                                       "options": {"dashboard_address": ":0"}})
    return LocalCUDACluster(CUDA_VISIBLE_DEVICES=",".join(gpus), **common)


def local_client():
    """The client of this process's ``"local"`` cluster, started on first use (closed at exit)."""
    global _LOCAL
    if _LOCAL is not None and _LOCAL[1].status != "running":
        close_local_cluster()
    if _LOCAL is None:
        from distributed import Client

        cluster = start_local_cluster()
        _LOCAL = (cluster, Client(cluster, set_as_default=False))
    return _LOCAL[1]


@atexit.register
def close_local_cluster() -> None:
    """Close this process's ``"local"`` cluster, if it was started."""
    global _LOCAL
    if _LOCAL is not None:
        cluster, client = _LOCAL
        _LOCAL = None
        for thing in (client, cluster):
            try:
                thing.close()
            except Exception:  # at exit, a cluster already gone is not an error
                pass


# ------------------------------------------------------------------------- running a sweep
class _Task:
    """``fn(cfg)`` in a worker with the sending process's ``LATENTDIMS_*`` variables."""

    def __init__(self, fn: Callable[[Any], Any]):
        self.fn = fn
        self.__name__ = getattr(fn, "__name__", "task")       # the Dask task's name
        self.env = {k: v for k, v in os.environ.items() if k.startswith("LATENTDIMS_")}

    def __call__(self, cfg: Any) -> Any:
        global _IN_TASK
        saved = {k: v for k, v in os.environ.items() if k.startswith("LATENTDIMS_")}
        for k in saved:
            os.environ.pop(k)
        os.environ.update(self.env)
        nested, _IN_TASK = _IN_TASK, True
        try:
            return self.fn(cfg)
        finally:
            _IN_TASK = nested
            for k in [k for k in os.environ if k.startswith("LATENTDIMS_")]:
                os.environ.pop(k)
            os.environ.update(saved)


def run_sweep(fn: Callable[[Any], Any], configs: Sequence[Any], *, scheduler: Any = None,
              workers: int | None = None, progress: bool = True, desc: str = "sweep") -> list[Any]:
    """Apply ``fn`` to every configuration; results in the order of ``configs``.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled to reach other processes or machines) that
        returns something small, e.g. the cache folder of a training.
    configs : sequence
        The configurations (dicts or dataclasses), e.g. from :func:`grid`.
    scheduler : str, distributed.Client or cluster, optional
        ``"local"``, ``"inline"``, a scheduler address or a client / cluster (see the module's
        docstring); default ``$LATENTDIMS_SCHEDULER``, else ``"local"``.  ``"local"`` runs a
        single configuration inline (there is nothing to spread).
    workers : int, optional
        Only when no ``scheduler`` is given: ``0`` runs inline, ``N > 0`` uses N local processes.
    progress : bool
        Show a tqdm bar over finished configurations.

    Raises
    ------
    ValueError
        For a bad ``scheduler`` (or ``$LATENTDIMS_SCHEDULER``) or ``workers``.
    RuntimeError
        If a configuration fails; the message names it, and the original error is chained.
    """
    from tqdm.auto import tqdm

    configs = list(configs)
    if not callable(fn):
        raise TypeError(f"run_sweep: `fn` must be callable; got {type(fn).__name__}.")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 0):
        raise ValueError(f"run_sweep: `workers` must be None or an integer >= 0; got {workers!r}.")
    if scheduler is not None or workers is None:
        where = resolve_scheduler(scheduler)
    else:
        where = "inline" if workers == 0 else workers
    if _IN_TASK or (where == "local" and len(configs) <= 1):
        where = "inline"
    results: list[Any] = [None] * len(configs)

    def fail(i: int, exc: BaseException) -> RuntimeError:
        hint = ""
        if type(exc).__name__ == "KilledWorker":
            hint = (" (its worker process died each time it ran it, e.g. out of memory; the "
                    "finished configurations are in the cache: run the sweep again to resume)")
        return RuntimeError(f"run_sweep: configuration {i} ({configs[i]!r}) failed{hint}: "
                            f"{type(exc).__name__}: {exc}")

    with tqdm(total=len(configs), desc=desc, disable=not progress) as bar:
        if where == "inline":
            for i, cfg in enumerate(configs):
                try:
                    results[i] = fn(cfg)
                except Exception as exc:
                    raise fail(i, exc) from exc
                bar.update()
        elif isinstance(where, int):
            n = min(where, len(configs))
            with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn")) as pool:
                futures = {pool.submit(_Task(fn), cfg): i for i, cfg in enumerate(configs)}
                for fut in as_completed(futures):
                    i = futures[fut]
                    try:
                        results[i] = fut.result()
                    except Exception as exc:
                        for other in futures:
                            other.cancel()
                        raise fail(i, exc) from exc
                    bar.update()
        else:
            _on_dask(_Task(fn), configs, where, results, fail, bar)
    return results


def _on_dask(task: _Task, configs: list, where: Any, results: list, fail, bar) -> None:
    from distributed import Client, as_completed as dask_completed

    if where == "local":
        client, own = local_client(), False
    elif isinstance(where, Client):
        client, own = where, False
    else:                          # an address or a cluster object
        client, own = Client(where, set_as_default=False), True
    try:
        futures = client.map(task, configs, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in dask_completed(futures, loop=client.loop):
            i = index[fut.key]
            try:
                results[i] = fut.result()
            except Exception as exc:
                client.cancel(futures)
                raise fail(i, exc) from exc
            bar.update()
        client.cancel(futures)                 # the results are here: free the workers' copies
    finally:
        if own:
            client.close()
