"""Choosing the device a command runs on."""

from __future__ import annotations

import torch

from gankit.errors import GankitError


def pick_device(name: str) -> torch.device:
    """``auto`` → CUDA when present, else CPU; ``cuda`` without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise GankitError("--device cuda was asked for but no CUDA GPU is visible; "
                          "use --device cpu or auto")
    try:
        return torch.device(name)
    except RuntimeError:
        raise GankitError(f"unknown device {name!r}; use auto, cpu or cuda") from None
