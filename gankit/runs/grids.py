"""Pictures of samples: image grids as PNG, side-by-side pairs, 2-D point clouds as
scatter plots, one PNG per image, and bands of text (captions) for grids.

Grids are laid out here rather than by torchvision, whose import (~1 s: it loads
torch's compiler stack) would otherwise come before a training run's first step; the
layout is torchvision's ``make_grid`` convention (``padding`` black pixels around and
between images, grey images repeated to RGB, a single image without a border), and
pixels are rounded as its ``save_image`` rounds them.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from gankit.data.base import to_unit

PADDING = 2
"""Black pixels around and between the images of a grid."""


def save_image_grid(images: torch.Tensor, path: str | Path, nrow: int | None = None) -> Path:
    """Save float images in [-1, 1] ``[N, C, H, W]`` as one PNG grid."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_png(image_grid(images, nrow), path)
    return path


@torch.no_grad()
def image_grid(images: torch.Tensor, nrow: int | None = None,
               padding: int = PADDING) -> torch.Tensor:
    """A ``[3, H, W]`` float grid in [0, 1] of images in [-1, 1] (``[N, C, H, W]``, or one
    ``[C, H, W]``), ``nrow`` images a row, ``padding`` black pixels around and between
    them; grey images are repeated to RGB, values outside [-1, 1] are clipped, and a
    single image comes back alone, without a border."""
    x = images.detach().float().cpu()
    x = x[None] if x.dim() == 3 else x
    nrow = nrow or max(1, int(math.sqrt(len(x))))
    x = x.clamp(-1.0, 1.0).add_(1.0).div_(2.0)
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    if len(x) == 1:
        return x[0].clone()
    n, channels, height, width = x.shape
    columns = min(nrow, n)
    rows = math.ceil(n / columns)
    cell_h, cell_w = height + padding, width + padding
    grid = x.new_zeros(channels, rows * cell_h + padding, columns * cell_w + padding)
    for k in range(n):
        top = padding + (k // columns) * cell_h
        left = padding + (k % columns) * cell_w
        grid[:, top:top + height, left:left + width] = x[k]
    return grid


def save_png(image: torch.Tensor, path: str | Path) -> None:
    """Write a float ``[3, H, W]`` image in [0, 1] as an 8-bit PNG (rounded to nearest)."""
    from PIL import Image

    pixels = image.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(torch.uint8)
    Image.fromarray(pixels.numpy()).save(path)


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
        save_png(image_grid(image, padding=0), path)
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
