"""The one way gankit reads a ``torch.save`` file: ``weights_only=True``, so unpickling
can build tensors, containers, numbers and strings but never call anything.

A file that holds anything else (a class with ``__reduce__``, i.e. code that would run on
loading) is refused with a one-line :class:`~gankit.errors.GankitError`, without torch's
advice to retry with ``weights_only=False``.
"""

from __future__ import annotations

import os
import pickle

import torch

from gankit.errors import GankitError

REFUSED = "it holds Python objects besides tensors, which could run code when loaded; refused"


def why_unreadable(error: BaseException) -> str:
    """A short, one-line reason for a failed ``torch.load``."""
    if isinstance(error, pickle.UnpicklingError) and "weights only" in str(error).lower():
        return REFUSED
    first = (str(error).strip().splitlines() or [""])[0][:160]
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def load_tensors(path: str | os.PathLike, what: str, fix: str,
                 map_location: str | torch.device = "cpu"):
    """``torch.load(path, weights_only=True)``, any failure a one-line error.

    Args:
        path: the file.
        what: what it should be, for the message (``"a gankit checkpoint"``).
        fix: what the user can do (``"delete it or set pretrained=false"``).
        map_location: where tensors go.

    Raises:
        GankitError: ``"{path} is not readable as {what} ({reason}); {fix}"``.
    """
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # noqa: BLE001 - any unpickling failure is a bad file
        raise GankitError(f"{path} is not readable as {what} ({why_unreadable(error)}); "
                          f"{fix}") from None
