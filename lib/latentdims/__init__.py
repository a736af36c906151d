"""latentdims: a reproducible companion to two bodies of research on how VAEs spend their latent
dimensions (Collins' EMD-VAE on W jets; Bonheme's polarised regime of VAEs).

Import the submodules you need (``latentdims.maths.sinkhorn``, ``latentdims.maths.similarity``, ...); this
package file imports nothing heavy so that ``import latentdims`` stays fast.

A quiet terminal: importing the package (every module of it, every notebook) turns TensorFlow's
C++ start-up logs off before TensorFlow is first imported.  It sets ``TF_CPP_MIN_LOG_LEVEL=3``
unless that is set already (your own value wins), and, while ``tensorflow`` loads, drops the lines
below that level that TensorFlow 2.21 prints before it reads the variable (the absl notice,
oneDNN, CUDA probing, CPU features); every other line is shown.  ``LATENTDIMS_TF_LOGS=1`` (or
``python -m latentdims.reproduce --verbose``) keeps them all; :func:`show_tensorflow_logs` does
the same from Python before TensorFlow is imported.
"""
import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile

__version__ = "0.1.0"
__all__ = ["filter_tensorflow_startup", "quiet_tensorflow", "show_tensorflow_logs"]

# absl ("I0000 00:00:1796253177.010400    9335 port.cc:153] ...") and TSL
# ("2025-09-17 14:44:05.157831: I external/.../cudart_stub.cc:32] ...") log lines
_LOG_LINE = re.compile(r"^(?:([IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\]"
                       r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: ([IWEF]) \S+:\d+\])")
_ABSL_NOTICE = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
_CPU_FEATURES = "To enable the following instructions:"   # 2nd line of cpu_feature_guard's note
_SEVERITY = {"I": 0, "W": 1, "E": 2, "F": 3}
_ON = ("1", "true", "yes", "on")
_set_by_us = False


def filter_tensorflow_startup(text: str, min_level: int) -> str:
    """``text`` without TensorFlow's C++ log lines below ``min_level`` (``TF_CPP_MIN_LOG_LEVEL``:
    1 drops INFO, 2 also WARNING, 3 also ERROR; FATAL and every other line are kept).

    >>> out = filter_tensorflow_startup(
    ...     "I0000 00:00:1.5   9335 port.cc:153] oneDNN custom operations are on.\\n"
    ...     "E0000 00:00:1.7   9335 cuda_platform.cc:52] failed call to cuInit\\n"
    ...     "a line of our own\\n", 2)
    >>> out.splitlines()
    ['E0000 00:00:1.7   9335 cuda_platform.cc:52] failed call to cuInit', 'a line of our own']
    """
    kept, dropped_previous = [], False
    for line in text.splitlines(keepends=True):
        match = _LOG_LINE.match(line)
        if match:
            severity = _SEVERITY[match.group(1) or match.group(2)]
        elif line.rstrip("\r\n") == _ABSL_NOTICE:
            severity = _SEVERITY["W"]
        elif dropped_previous and line.startswith(_CPU_FEATURES):
            continue                      # the continuation of a note just dropped
        else:
            kept.append(line)
            dropped_previous = False
            continue
        dropped_previous = severity < min_level
        if not dropped_previous:
            kept.append(line)
    return "".join(kept)


def _min_level() -> int:
    try:
        return int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:
        return 0


class _FilteredLoader(importlib.abc.Loader):
    """Runs the real loader of ``tensorflow`` with file descriptor 2 caught and then filtered."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = self.loader          # the real loader, for anyone who asks later
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):   # no usable stderr: nothing to quiet
            return self.loader.exec_module(module)
        level = _min_level()
        with tempfile.TemporaryFile() as caught:
            os.dup2(caught.fileno(), 2)
            try:
                self.loader.exec_module(module)
            except BaseException:
                level = 0                        # a failed import shows everything it printed
                raise
            finally:
                try:
                    sys.stderr.flush()
                except (OSError, ValueError, AttributeError):
                    pass
                os.dup2(saved, 2)
                os.close(saved)
                caught.seek(0)
                text = filter_tensorflow_startup(caught.read().decode(errors="replace"), level)
                if text:
                    os.write(2, text.encode())


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` once, through the other finders, and wraps its loader."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        _remove_finder()
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _FilteredLoader(spec.loader)
        return spec


def _remove_finder() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _QuietTensorFlowFinder)]


def quiet_tensorflow() -> bool:
    """Turn TensorFlow's C++ start-up logs off (called on import; see the module docstring).

    Returns True if the logs will be quieted, False if ``LATENTDIMS_TF_LOGS`` asks for them.  The
    filter of what TensorFlow prints while it loads applies only if ``tensorflow`` is not imported
    yet.
    """
    global _set_by_us
    if os.environ.get("LATENTDIMS_TF_LOGS", "").strip().lower() in _ON:
        return False
    if "TF_CPP_MIN_LOG_LEVEL" not in os.environ:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        _set_by_us = True
    if "tensorflow" not in sys.modules and not any(
            isinstance(f, _QuietTensorFlowFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlowFinder())
    return True


def show_tensorflow_logs() -> None:
    """Keep TensorFlow's C++ logs, here and in child processes (kernels, workers): sets
    ``LATENTDIMS_TF_LOGS=1`` and undoes what :func:`quiet_tensorflow` set (a
    ``TF_CPP_MIN_LOG_LEVEL`` of your own stays)."""
    global _set_by_us
    os.environ["LATENTDIMS_TF_LOGS"] = "1"
    if _set_by_us:
        os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
        _set_by_us = False
    _remove_finder()


quiet_tensorflow()
