"""Reading and checking the explorer API's query parameters.

Every check raises :class:`ApiError` with the HTTP status and a message that names the
parameter and says what is allowed, so the page can show it as it is.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

import torch

from gankit.data.iclevr import MAX_OBJECTS
from gankit.errors import GankitError
from gankit.models import DataSpec
from gankit.runs.sampling import class_condition, default_conditions

#: seeds are unsigned 32-bit integers (what the page's random draws give)
SEED_LIMIT = 2**32


class ApiError(Exception):
    """A bad request: answered as ``{"error": message}`` with ``status``."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


def required(args: Mapping[str, str], name: str) -> str:
    """The non-empty text of parameter ``name``."""
    value = (args.get(name) or "").strip()
    if not value:
        raise ApiError(f"missing parameter {name!r}")
    return value


def int_param(args: Mapping[str, str], name: str, default: int | None, low: int,
              high: int) -> int:
    """Parameter ``name`` as an integer in ``low..high`` (``default`` when absent; no
    default: required)."""
    text = (args.get(name) or "").strip()
    if not text:
        if default is None:
            raise ApiError(f"missing parameter {name!r} (an integer in {low}..{high})")
        return default
    try:
        value = int(text)
    except ValueError:
        raise ApiError(f"{name}={text[:40]!r} is not an integer; use {low}..{high}") from None
    if not low <= value <= high:
        raise ApiError(f"{name}={value} is out of range; use {low}..{high}")
    return value


def seed_param(args: Mapping[str, str], name: str = "seed", draw: bool = True) -> int:
    """A seed in ``0..2**32-1``; a fresh random one when absent and ``draw`` (else
    required)."""
    default = secrets.randbelow(SEED_LIMIT) if draw else None
    return int_param(args, name, default, 0, SEED_LIMIT - 1)


def object_names(text: str) -> list[str]:
    """Comma-separated object names, trimmed, empty ones dropped."""
    return [name.strip() for name in text.split(",") if name.strip()]


def objects_condition(names: list[str], class_names: list[str], n: int) -> torch.Tensor:
    """``n`` identical multi-hot rows naming 1 to :data:`MAX_OBJECTS` distinct objects."""
    if not names:
        raise ApiError(f"objects is empty; name 1 to {MAX_OBJECTS} objects, comma-separated")
    if len(names) > MAX_OBJECTS:
        raise ApiError(f"{len(names)} objects asked for ({', '.join(names)[:80]}); a scene "
                       f"holds 1 to {MAX_OBJECTS} distinct objects")
    twice = next((name for i, name in enumerate(names) if name in names[:i]), None)
    if twice is not None:
        raise ApiError(f"objects names {twice!r} twice; name each object once")
    row = torch.zeros(len(class_names))
    for name in names:
        if name not in class_names:
            shown = ", ".join(class_names[:6])
            raise ApiError(f"unknown object {name[:60]!r}; this model knows "
                           f"{len(class_names)} objects, like {shown}, ...")
        row[class_names.index(name)] = 1.0
    return row.repeat(n, 1)


def condition(args: Mapping[str, str], spec: DataSpec, class_names: list[str], n: int,
              seed: int) -> torch.Tensor | None:
    """The ``[n, K]`` conditions a request asks for (``None``: unconditional).

    ``class=NAME`` (class runs: name or index), ``objects=A,B`` (multi-label runs), or
    neither: classes in turn, or random object lists drawn with ``seed``.
    """
    class_name = (args.get("class") or "").strip()
    objects = args.get("objects")
    if spec.num_classes == 0:
        if class_name or objects is not None:
            raise ApiError("this run is unconditional; drop class / objects")
        return None
    if spec.multi_label:
        if class_name:
            raise ApiError("this run is multi-label: pass objects=NAME,NAME (1 to "
                           f"{MAX_OBJECTS} object names), not class")
        if objects is None:
            return default_conditions(spec, n, seed)
        names = object_names(objects)
        if not class_names:  # a multi-label run without names: objects by index
            class_names = [str(i) for i in range(spec.num_classes)]
        return objects_condition(names, class_names, n)
    if objects is not None:
        raise ApiError("this run is class-conditional: pass class=NAME, not objects")
    if not class_name:
        return default_conditions(spec, n, seed)
    try:
        return class_condition(class_name, class_names, n)
    except GankitError as err:
        raise ApiError(str(err)) from None

