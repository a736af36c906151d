"""Input checks shared by the library, with messages that say what, where and how to fix.

Every message names the calling function and the argument, quotes what was received and states
what is allowed (``ValueError`` for bad values, ``TypeError`` for wrong kinds).
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np

__all__ = ["check_array", "check_finite", "check_choice", "check_positive", "check_same_length",
           "check_int", "check_in_interval"]


def _shape_str(shape: Sequence[int | None]) -> str:
    return "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"


def check_array(x: Any, *, name: str, func: str, ndim: int | Iterable[int] | None = None,
                shape: Sequence[int | None] | None = None, dtype: Any = np.float64,
                finite: bool = True, min_rows: int | None = None, min_cols: int | None = None,
                writable: bool = False) -> np.ndarray:
    """Convert ``x`` to a NumPy array and check its dimensions, shape and values.

    Array-likes are accepted: lists, pandas objects, TensorFlow eager tensors and variables.
    With a numeric ``dtype``, text (strings, bytes), complex numbers and dates are refused
    (``TypeError``) rather than parsed, truncated or counted in days.

    Parameters
    ----------
    x : array-like
    name, func : str
        The argument's and the calling function's names, used in messages.
    ndim : int or iterable of int, optional
        Allowed numbers of dimensions.
    shape : sequence of int or None, optional
        Required shape; ``None`` entries match any size.
    dtype : dtype or None
        Cast to this dtype (``None`` keeps the input's).
    finite : bool
        Refuse NaN and infinite values.
    min_rows : int, optional
        Minimum size of the first axis.
    min_cols : int, optional
        Minimum size of the second axis (features, latents) of a 2-D array.
    writable : bool
        Return an array that the caller may modify in place: a private copy unless the
        conversion already made one (the caller's array, DataFrame or tensor is never changed).
    """
    raw = _as_numpy(x, name, func)
    numeric = dtype is not None and np.issubdtype(np.dtype(dtype), np.number)
    if numeric:
        _refuse_non_numbers(raw, name, func)
    try:
        arr = raw if dtype is None else raw.astype(dtype, copy=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{func}: `{name}` must be an array of numbers; got {type(x).__name__} "
                        f"({exc})") from exc
    if writable and arr is raw and not isinstance(x, (list, tuple)):
        # raw may be the caller's array or a view of a DataFrame's or tensor's memory
        arr = arr.copy()
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(f"{func}: `{name}` must have {want} dimensions; got shape {arr.shape}.")
    if shape is not None:
        if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
            raise ValueError(f"{func}: `{name}` must have shape {_shape_str(shape)}; "
                             f"got {arr.shape}.")
    if min_rows is not None and (arr.ndim == 0 or arr.shape[0] < min_rows):
        got = 0 if arr.ndim == 0 else arr.shape[0]
        raise ValueError(f"{func}: `{name}` needs at least {min_rows} rows; got {got}.")
    if min_cols is not None and arr.ndim == 2 and arr.shape[1] < min_cols:
        raise ValueError(f"{func}: `{name}` needs at least {min_cols} column(s) (features); got "
                         f"shape {arr.shape}.")
    if finite:
        check_finite(arr, name=name, func=func)
    return arr


def _as_numpy(x: Any, name: str, func: str) -> np.ndarray:
    """``np.asarray(x)`` with messages for None, ragged lists and symbolic tensors."""
    if x is None:
        raise TypeError(f"{func}: `{name}` is missing (got None); pass an array of numbers.")
    try:
        return np.asarray(x)
    except NotImplementedError as exc:   # a symbolic tf.Tensor, inside tf.function
        raise TypeError(f"{func}: `{name}` is a symbolic tensor ({type(x).__name__}): {func} "
                        f"computes with NumPy and needs concrete values. Call it eagerly (outside "
                        f"tf.function), e.g. on `{name}.numpy()`.") from exc
    except (TypeError, ValueError) as exc:  # ragged lists, objects without an array form
        raise TypeError(f"{func}: `{name}` must be an array of numbers; got {type(x).__name__} "
                        f"({exc})") from exc


def _refuse_non_numbers(raw: np.ndarray, name: str, func: str) -> None:
    kind = raw.dtype.kind
    if kind == "O":
        text = next((v for v in raw.flat if isinstance(v, (str, bytes))), None)
        kind = "U" if text is not None else ("c" if any(isinstance(v, complex)
                                                         for v in raw.flat) else kind)
    if kind in "USV":
        raise TypeError(f"{func}: `{name}` must hold numbers; got text (dtype {raw.dtype}). "
                        f"Convert it explicitly (e.g. np.asarray({name}, dtype=float)) once you "
                        f"know why the values are strings.")
    if kind == "c":
        raise TypeError(f"{func}: `{name}` must hold real numbers; got complex values. Pass the "
                        f"part you mean explicitly (np.real, np.abs).")
    if kind in "Mm":
        raise TypeError(f"{func}: `{name}` must hold numbers; got dates or durations (dtype "
                        f"{raw.dtype}). Convert them to numbers explicitly first.")


def check_finite(arr: np.ndarray, *, name: str, func: str) -> None:
    """Raise ``ValueError`` naming the first non-finite entry of ``arr``."""
    if np.issubdtype(arr.dtype, np.number) and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = tuple(int(i) for i in bad)
        kind = "NaN" if np.isnan(arr[tuple(bad)]) else "infinite"
        n_bad = int(np.sum(~np.isfinite(arr)))
        raise ValueError(f"{func}: `{name}` contains {n_bad} non-finite value(s), the first "
                         f"{kind} at index {where}. Remove or impute them first.")


def check_choice(value: Any, choices: Iterable[Any], *, name: str, func: str) -> Any:
    choices = list(choices)
    if value not in choices:
        raise ValueError(f"{func}: unknown `{name}` {value!r}; expected one of "
                         f"{', '.join(repr(c) for c in choices)}.")
    return value


def check_positive(value: Any, *, name: str, func: str, strict: bool = True) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{func}: `{name}` must be a number; got {value!r}.") from exc
    if not np.isfinite(v) or (v <= 0 if strict else v < 0):
        rel = "> 0" if strict else ">= 0"
        raise ValueError(f"{func}: `{name}` must be finite and {rel}; got {value!r}.")
    return v


def check_int(value: Any, *, name: str, func: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{func}: `{name}` must be an integer; got {value!r}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"{func}: `{name}` must be >= {minimum}; got {value}.")
    return int(value)


def check_same_length(*, func: str, **arrays: Any) -> int:
    """Check that all given arrays have the same first dimension; return it."""
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        got = ", ".join(f"`{k}` has {n}" for k, n in lengths.items())
        raise ValueError(f"{func}: the arguments must have the same number of examples (rows); "
                         f"{got}.")
    return next(iter(lengths.values()))


def check_in_interval(value: Any, *, name: str, func: str, low: float, high: float,
                      hint: str = "") -> float:
    """Return ``value`` as a float if ``low <= value < high``; else ``TypeError``/``ValueError``.

    ``hint`` is appended to the message (e.g. why the bound exists, or the usual value).
    """
    if isinstance(value, bool):
        raise TypeError(f"{func}: `{name}` must be a number; got {value!r}.")
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{func}: `{name}` must be a number; got {value!r}.") from exc
    if not low <= v < high:
        raise ValueError(f"{func}: `{name}` must lie in [{low:g}, {high:g}); got {value!r}."
                         + (f" {hint}" if hint else ""))
    return v
