"""``real_vs_fake.png``: real images beside what the generator makes for the same input.

* conditional runs: each real image beside a fake of the real image's own label(s);
* image-to-image runs: input | output | target (CycleGAN: A | A->B | B | B->A);
* unconditional runs: real | fake, pairs with nothing in common but the data.

The real images are a fixed, seeded choice (for single-label data the classes take
turns), so the picture shows the same items at every step of a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from gankit.data.base import ImageDataset, to_unit
from gankit.data.loader import condition_vectors
from gankit.runs.atomic import replaced_atomically
from gankit.runs.grids import PADDING, caption_band, caption_width, image_grid, side_by_side
from gankit.runs.sampling import generate

#: the picture in a run folder
REAL_VS_FAKE_FILE = "real_vs_fake.png"
#: real items shown at most
MAX_ITEMS = 16


@dataclass
class RealFake:
    """What ``real_vs_fake.png`` shows.

    Attributes:
        columns: float ``[n, C, H, W]`` image sets in [-1, 1], item ``i`` of each set
            belonging together.
        names: a heading per column (``real``, ``fake``; ``input``, ``output``...).
        index: the dataset rows of the real items.
        cond: the condition rows the fakes were made for (``None``: unconditional).
    """

    columns: list[torch.Tensor]
    names: list[str]
    index: torch.Tensor
    cond: torch.Tensor | None = None


def pick_real(dataset: ImageDataset, n: int, seed: int = 0) -> torch.Tensor:
    """``n`` dataset rows chosen with ``seed``; with single-label data the classes take
    turns, so that as many classes as possible are shown."""
    n = min(n, len(dataset))
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))
    labels = dataset.labels
    if labels is None or labels.dim() != 1:
        return order[:n]
    shuffled = labels[order]
    per_class = [order[shuffled == c] for c in torch.unique(shuffled).tolist()]
    picked, turn = [], 0
    while len(picked) < n:
        picked += [rows[turn] for rows in per_class if turn < len(rows)]
        turn += 1
    return torch.stack(picked[:n])


def real_and_fake(G: torch.nn.Module, dataset: ImageDataset, n: int = MAX_ITEMS,
                  device: torch.device | str = "cpu", seed: int = 0,
                  z: torch.Tensor | None = None) -> RealFake:
    """Real items of ``dataset`` and the generator's counterparts (see the module).

    Args:
        G: the generator (its train/eval mode is restored afterwards).
        dataset: the run's training (or held-out) data.
        n: how many real items.
        device: where ``G`` runs.
        seed: chooses the real items and the noise.
        z: noise for the fakes (``[n, ...]``) instead of seeded draws.
    """
    index = pick_real(dataset, n, seed)
    real = to_unit(dataset.images[index])
    n = len(index)
    cond = (condition_vectors(dataset.labels[index], dataset.num_classes)
            if dataset.labels is not None else None)
    if dataset.sources is not None:
        source = to_unit(dataset.sources[index])
        output = generate(G, n, cond=cond, source=source, batch_size=n, device=device,
                          seed=seed, z=z)
        towards = getattr(G, "towards", None)
        if towards is None:
            return RealFake([source, output, real], ["input", "output", "target"], index, cond)
        back = generate(towards("BtoA"), n, source=real, batch_size=n, device=device,
                        seed=seed)
        return RealFake([source, output, real, back], ["A", "A->B", "B", "B->A"], index)
    fake = generate(G, n, cond=cond, batch_size=n, device=device, seed=seed, z=z)
    return RealFake([real, fake], ["real", "fake"], index, cond)


def real_fake_picture(pairs: RealFake, per_row: int = 4):
    """A PIL image of ``pairs``: each item's images side by side, ``per_row`` items a row,
    each column headed by its name."""
    from PIL import Image

    width = len(pairs.columns)
    images, nrow = side_by_side(pairs.columns, per_row)
    grid = image_grid(images, nrow)  # PADDING pixels around and between the items
    picture = Image.fromarray(grid.mul(255).round().byte().permute(1, 2, 0).numpy())
    cell = images.shape[-1] + PADDING
    if max(caption_width(name) for name in pairs.names) < cell - PADDING:
        headings = [((i + 0.5) * cell + PADDING / 2, pairs.names[i % width])
                    for i in range(min(nrow, len(images)))]
    else:  # cells too narrow for a heading each: one line says the order
        headings = [(picture.width / 2, " | ".join(pairs.names))]
    return caption_band(picture, headings, above=True)


def save_real_fake(pairs: RealFake, path: str | Path, per_row: int = 4) -> Path:
    """Write :func:`real_fake_picture` as a PNG at ``path``, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replaced_atomically(path) as tmp:
        real_fake_picture(pairs, per_row).save(tmp, format="PNG")
    return path
