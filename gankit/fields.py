"""Config fields with declared ranges, checked once when a config is built.

>>> from dataclasses import dataclass
>>> @dataclass
... class Train:
...     steps: int = bounded(2000, min=1)
...     ema: float = bounded(0.0, min=0, below=1)
"""

from __future__ import annotations

import math
from dataclasses import Field, field

from gankit.errors import GankitError

RANGE = "range"


def bounded(default, *, min: float | None = None, max: float | None = None,
            above: float | None = None, below: float | None = None):
    """A dataclass field holding a number in a range: ``min ≤ v ≤ max``, ``above < v <
    below`` (any bound may be left out)."""
    return field(default=default, metadata={RANGE: (min, max, above, below)})


def describe_range(bounds: tuple) -> str:
    """``≥ 1``, ``> 0``, ``in [0, 1)``... for messages."""
    low, high, above, below = bounds
    lower = f"[{low:g}" if low is not None else (f"({above:g}" if above is not None else "")
    upper = f"{high:g}]" if high is not None else (f"{below:g})" if below is not None else "")
    if lower and upper:
        return f"in {lower}, {upper}"
    if lower:
        return f"{'≥' if low is not None else '>'} {lower[1:]}"
    return f"{'≤' if high is not None else '<'} {upper[:-1]}"


def check_range(value, spec: Field, key: str):
    """``value`` if it lies in ``spec``'s declared range (and is finite), else a
    :class:`GankitError` naming ``key``, the range and the value."""
    bounds = spec.metadata.get(RANGE)
    if bounds is None or value is None:
        return value
    low, high, above, below = bounds
    try:
        inside = (math.isfinite(value)
                  and (low is None or value >= low) and (high is None or value <= high)
                  and (above is None or value > above) and (below is None or value < below))
    except OverflowError:  # an int beyond any float
        inside = False
    if not inside:
        shown = f"{value!r}" if len(f"{value!r}") < 40 else f"{value!r}"[:37] + "..."
        raise GankitError(f"config key {key!r} must be {describe_range(bounds)}, got {shown}")
    return value
