"""PNG bytes of what the explorer shows: sample grids, strips, sketch | output pairs."""

from __future__ import annotations

import io
import math
import tempfile
from pathlib import Path

import torch
from PIL import Image

from gankit.data.base import to_unit
from gankit.runs.grids import image_grid, save_point_plot, side_by_side


def png_bytes(picture: torch.Tensor) -> bytes:
    """A float ``[C, H, W]`` picture in [0, 1] (C = 1 or 3) as PNG."""
    array = (picture.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    buffer = io.BytesIO()
    Image.fromarray(array[..., 0] if array.shape[2] == 1 else array).save(buffer, "PNG")
    return buffer.getvalue()


def grid_columns(n: int) -> int:
    """Images per row of an ``n``-image grid: square, or one wider than tall."""
    return max(1, math.ceil(math.sqrt(n)))


def grid_png(images: torch.Tensor, per_row: int | None = None) -> bytes:
    """Float images ``[N, C, H, W]`` in [-1, 1] as one PNG grid (2 px gaps)."""
    return png_bytes(image_grid(images, per_row or grid_columns(len(images))))


def pairs_png(sources: torch.Tensor, outputs: torch.Tensor) -> bytes:
    """uint8 sources and outputs, one pair (source | output) per row, as PNG."""
    images, per_row = side_by_side([to_unit(sources), to_unit(outputs)], per_row=1)
    return png_bytes(image_grid(images, per_row))


def image_png(image: torch.Tensor) -> bytes:
    """One uint8 ``[C, H, W]`` image as PNG."""
    return png_bytes(image.float() / 255)


def points_png(points: torch.Tensor) -> bytes:
    """Generated 2-D points as a scatter plot PNG."""
    with tempfile.TemporaryDirectory() as folder:
        path = save_point_plot(points, Path(folder) / "points.png")
        return path.read_bytes()
