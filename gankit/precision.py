"""Mixed precision for training (``train.precision``): the networks' forward passes run
under ``torch.autocast`` in bfloat16 or float16 while weights, optimiser state, losses
and the gradient penalties stay float32.

- ``fp32`` (default): nothing changes.
- ``bf16``: autocast to bfloat16 — float32's range, so no loss scaling (the GPU choice:
  Ampere and newer). On a CPU without native bf16 it is far slower than float32.
- ``fp16``: autocast to float16 with a gradient scaler per optimiser (its state is part
  of the checkpoint), for GPUs without bf16.

GP, R1 and R2 differentiate D's output with respect to its input and then again with
respect to D's weights; in half precision those small gradients lose most of their
digits, so they run inside :func:`full_precision`, where :class:`Autocast` wrappers call
their network in float32.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator

import torch
from torch import nn

from gankit.errors import GankitError
from gankit.models.base import PassesAttributes

#: ``train.precision`` → autocast dtype (None: no autocast)
DTYPES: dict[str, torch.dtype | None] = {"fp32": None, "bf16": torch.bfloat16,
                                          "fp16": torch.float16}

_FULL = contextvars.ContextVar("gankit_full_precision", default=False)


def autocast_dtype(precision: str) -> torch.dtype | None:
    """The autocast dtype of a ``train.precision`` value; a one-line error if unknown."""
    if precision not in DTYPES:
        raise GankitError(f"train.precision={precision!r} is not known; use one of "
                          f"{', '.join(DTYPES)}")
    return DTYPES[precision]


@contextlib.contextmanager
def full_precision() -> Iterator[None]:
    """Inside, :class:`Autocast` wrappers run their network in float32 (and any
    enclosing autocast is off)."""
    token = _FULL.set(True)
    try:
        with contextlib.ExitStack() as stack:
            for device_type in ("cpu", "cuda"):
                if torch.is_autocast_enabled(device_type):
                    stack.enter_context(torch.autocast(device_type, enabled=False))
            yield
    finally:
        _FULL.reset(token)


def to_float32(value):
    """``value`` with every floating tensor in it (also inside tuples, e.g. a
    ``DOutput``) cast to float32."""
    if isinstance(value, torch.Tensor):
        return value.float() if value.is_floating_point() else value
    if isinstance(value, tuple):
        items = [to_float32(item) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return value


class Autocast(PassesAttributes, nn.Module):
    """Runs ``module`` under autocast to ``dtype`` and hands back float32 outputs, except
    inside :func:`full_precision`. Other attributes (``sample_z``, ``z_dim``) pass
    through to the wrapped module, whose weights and ``state_dict`` are untouched."""

    def __init__(self, module: nn.Module, dtype: torch.dtype, device_type: str):
        super().__init__()
        self.module = module
        self.dtype = dtype
        self.device_type = device_type

    def forward(self, *args, **kwargs):
        if _FULL.get():
            return self.module(*args, **kwargs)
        with torch.autocast(self.device_type, dtype=self.dtype):
            out = self.module(*args, **kwargs)
        return to_float32(out)


class LossScaler:
    """Backward and optimiser step for one optimiser: plain in fp32/bf16, through a
    :class:`torch.amp.GradScaler` in fp16."""

    def __init__(self, precision: str, device: torch.device):
        self.scaler = (torch.amp.GradScaler(torch.device(device).type)
                       if precision == "fp16" else None)

    def backward_and_step(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        if self.scaler is None:
            loss.backward()
            optimizer.step()
            return
        self.scaler.scale(loss).backward()
        self.scaler.step(optimizer)  # skipped when a gradient overflowed
        self.scaler.update()

    def state_dict(self) -> dict | None:
        return None if self.scaler is None else self.scaler.state_dict()

    def load_state_dict(self, state: dict | None) -> None:
        if self.scaler is not None and state:
            self.scaler.load_state_dict(state)
