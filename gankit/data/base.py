"""In-memory dataset containers, and the label-mode check, shared by every reader.

Every reader decodes once into one uint8 tensor at the model resolution; batches are
cut from it with tensor indexing and augmented per batch, never per image in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import torch

from gankit.errors import GankitError


@dataclass
class ImageDataset:
    """Images held as one uint8 tensor, with optional conditions and paired sources.

    Attributes:
        images: uint8 tensor ``[N, C, H, W]``.
        labels: ``None``; int64 ``[N]`` class indices (single label); or float32
            ``[N, K]`` multi-hot vectors (multi-label, e.g. iCLEVR objects).
        class_names: the K condition names, index order.
        sources: optional uint8 ``[N, Cs, H, W]`` paired inputs (e.g. sketches) for
            image-to-image models.
        names: optional per-item names (file stems), used by paired data and outputs.
        description: where the data came from, for run folders and messages.
    """

    images: torch.Tensor
    labels: torch.Tensor | None = None
    class_names: list[str] | None = None
    sources: torch.Tensor | None = None
    names: list[str] | None = None
    description: str = ""
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.dim() != 4:
            raise ValueError("images must be a uint8 tensor [N, C, H, W]")
        n = len(self.images)
        for name in ("labels", "sources"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"{name} has {len(value)} rows for {n} images")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])  # type: ignore[return-value]

    @property
    def multi_label(self) -> bool:
        return self.labels is not None and self.labels.dim() == 2

    @property
    def num_classes(self) -> int:
        if self.labels is None:
            return 0
        if self.class_names is not None:
            return len(self.class_names)
        return int(self.labels.shape[1]) if self.multi_label else int(self.labels.max()) + 1


@dataclass
class PointDataset:
    """2-D points (toy mixtures) with optional mode labels and the mode centres."""

    points: torch.Tensor
    labels: torch.Tensor | None = None
    class_names: list[str] | None = None
    centers: torch.Tensor | None = None
    std: float = 0.0
    description: str = ""
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.points)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.points.shape[1:])

    @property
    def multi_label(self) -> bool:
        return False

    @property
    def num_classes(self) -> int:
        if self.labels is None:
            return 0
        return len(self.class_names) if self.class_names else int(self.labels.max()) + 1


Dataset = ImageDataset | PointDataset


class Batch(NamedTuple):
    """A training batch: real images/points in [-1, 1], condition [N, K], source."""

    x: torch.Tensor
    cond: torch.Tensor | None = None
    source: torch.Tensor | None = None


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``[0, 255]`` → float ``[-1, 1]``."""
    return images.float().div_(127.5).sub_(1.0)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """float ``[-1, 1]`` → uint8 ``[0, 255]`` (rounded, clamped)."""
    return images.detach().add(1.0).mul(127.5).round_().clamp_(0, 255).to(torch.uint8)


def check_label_mode(dataset: str, labels: str, supported: tuple[str, ...]) -> None:
    """Raise :class:`GankitError` unless ``labels`` is one of the modes ``dataset`` supports."""
    if labels not in supported:
        raise GankitError(f"{dataset}: labels={labels!r} is not supported; use one of: "
                          + ", ".join(supported))
