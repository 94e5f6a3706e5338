"""Pictures of samples: image grids as PNG, side-by-side pairs, 2-D point clouds as
scatter plots, one PNG per image, and bands of text (captions) for grids."""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torchvision.utils import make_grid, save_image

from gankit.data.base import to_unit


def save_image_grid(images: torch.Tensor, path: str | Path, nrow: int | None = None) -> Path:
    """Save float images in [-1, 1] ``[N, C, H, W]`` as one PNG grid."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nrow = nrow or max(1, int(math.sqrt(len(images))))
    save_image(images.detach().float().cpu(), path, nrow=nrow, normalize=True,
               value_range=(-1, 1), padding=2)
    return path


def image_grid(images: torch.Tensor, nrow: int | None = None) -> torch.Tensor:
    """A ``[3, H, W]`` float grid in [0, 1] (for TensorBoard)."""
    nrow = nrow or max(1, int(math.sqrt(len(images))))
    return make_grid(images.detach().float().cpu(), nrow=nrow, normalize=True,
                     value_range=(-1, 1), padding=2)


def side_by_side(columns: list[torch.Tensor], per_row: int = 4) -> tuple[torch.Tensor, int]:
    """Interleave image sets so that each item's versions sit next to each other.

    Args:
        columns: float ``[N, C_i, H, W]`` tensors in [-1, 1] (e.g. sketch, output,
            target); grey ones are repeated to the largest channel count.
        per_row: items per grid row.

    Returns:
        ``(images [N * len(columns), C, H, W], nrow)`` for :func:`save_image_grid`.
    """
    channels = max(c.shape[1] for c in columns)
    same = [c.expand(-1, channels, -1, -1) if c.shape[1] == 1 else c for c in columns]
    images = torch.stack([c.detach().float().cpu() for c in same], dim=1).flatten(0, 1)
    return images, len(columns) * max(1, min(per_row, len(columns[0])))


def save_samples(images: torch.Tensor, out: str | Path, nrow: int = 8) -> list[Path]:
    """Save float images as one grid (``out`` ends in .png) or one PNG each in the folder
    ``out`` plus its ``grid.png``; returns the written paths (the grid last)."""
    out = Path(out)
    if out.suffix.lower() == ".png":
        return [save_image_grid(images, out, nrow)]
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, image in enumerate(images):
        path = out / f"{i:06d}.png"
        save_image(image.detach().float().cpu(), path, normalize=True, value_range=(-1, 1),
                   padding=0)
        paths.append(path)
    return paths + [save_image_grid(images, out / "grid.png", nrow)]


def save_pair_grid(sketches: torch.Tensor, outputs: torch.Tensor, path: str | Path,
                   targets: torch.Tensor | None = None, per_row: int = 4) -> Path:
    """Save uint8 sketches | outputs (| targets) side by side, ``per_row`` items a row."""
    columns = [to_unit(sketches), to_unit(outputs)]
    if targets is not None:
        columns.append(to_unit(targets))
    images, nrow = side_by_side(columns, per_row)
    return save_image_grid(images, Path(path), nrow)


def save_point_plot(points: torch.Tensor, path: Path, real: torch.Tensor | None = None,
                    title: str = "") -> Path:
    """Scatter generated 2-D points (over a faint sample of the real data)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    if real is not None:
        r = real[:2000].cpu()
        ax.scatter(r[:, 0], r[:, 1], s=2, c="#bbbbbb", label="data")
    p = points.detach().cpu()
    ax.scatter(p[:, 0], p[:, 1], s=2, c="#d62728", label="generated")
    ax.set_aspect("equal")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def caption_band(image, captions: list[tuple[float, str]], above: bool = False,
                 height: int = 16):
    """A copy of the PIL ``image`` with a white band of text above or below it.

    Args:
        image: a PIL image.
        captions: ``(x centre in pixels, text)`` pairs; a text wider than the image is
            clipped at its edges.
        above: put the band on top (column headings) instead of at the bottom.
        height: the band's height in pixels.
    """
    from PIL import Image, ImageDraw

    image = image.convert("RGB")
    out = Image.new("RGB", (image.width, image.height + height), "white")
    out.paste(image, (0, height if above else 0))
    draw = ImageDraw.Draw(out)
    font = _caption_font(height)
    top = 0 if above else image.height
    for centre, text in captions:
        left, upper, right, lower = draw.textbbox((0, 0), text, font=font)
        width = right - left
        x = min(max(0.0, centre - width / 2), max(0.0, image.width - width)) - left
        y = top + (height - (lower - upper)) / 2 - upper
        draw.text((x, y), text, fill="black", font=font)
    return out


def caption_width(text: str, height: int = 16) -> float:
    """How many pixels ``text`` takes in a :func:`caption_band` of ``height``."""
    return _caption_font(height).getlength(text)


def _caption_font(height: int):
    from PIL import ImageFont
    return ImageFont.load_default(size=max(8, height - 5))
