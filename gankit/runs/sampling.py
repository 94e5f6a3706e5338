"""The one sampling loop, and the conditions it draws for."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import torch
import torch.nn.functional as F

from gankit.data.base import Dataset, to_uint8
from gankit.data.iclevr import read_conditions
from gankit.data.loader import condition_vectors
from gankit.errors import GankitError
from gankit.models import DataSpec, Generator
from gankit.models.base import with_code


@torch.no_grad()
def generate_batches(G: Generator, n: int, cond: torch.Tensor | None = None,
                     source: torch.Tensor | None = None, seed: int = 0, batch_size: int = 256,
                     device: str | torch.device = "cpu",
                     z: torch.Tensor | None = None,
                     code: int | None = None) -> Iterator[torch.Tensor]:
    """Yield float images in [-1, 1] on the CPU, ``n`` in all, ``batch_size`` at a time.

    Args:
        G: the generator (run in eval mode; its mode is restored afterwards).
        n: how many images.
        cond: ``[n, K]`` one-/multi-hot rows for conditional models.
        source: ``[n, Cs, H, W]`` float sources in [-1, 1] for image-to-image models.
        seed: seeds the noise, so the same call gives the same images.
        batch_size: images per forward pass.
        device: where ``G`` runs.
        z: ``[n, ...]`` noise to use instead of seeded draws (fixed grids).
        code: draw every image with this latent code (InfoGAN: ``G.latent_codes`` > 0).
    """
    rng = torch.Generator().manual_seed(seed)
    was_training = G.training
    G.eval()
    try:
        for start in range(0, n, batch_size):
            m = min(batch_size, n - start)
            noise = (G.sample_z(m, device, rng) if z is None
                     else z[start:start + m].to(device))
            if code is not None:
                noise = with_code(noise, code, G.latent_codes)
            c = None if cond is None else cond[start:start + m].to(device)
            s = None if source is None else source[start:start + m].to(device)
            yield G(noise, c, s).float().cpu()
    finally:
        G.train(was_training)


def seeded_latents(G: Generator, n: int, seed: int = 0,
                   batch_size: int = 256) -> torch.Tensor | None:
    """The ``[n, z_dim]`` latents :func:`generate_batches` draws for ``seed`` and
    ``batch_size`` (on the CPU; ``None`` for a noise-free model), to hand a part of them
    to each of several processes."""
    if G.z_dim == 0:
        return None
    rng = torch.Generator().manual_seed(seed)
    return torch.cat([G.sample_z(min(batch_size, n - start), "cpu", rng)
                      for start in range(0, n, batch_size)])


def generate(G: Generator, n: int, **kwargs) -> torch.Tensor:
    """:func:`generate_batches` as one ``[n, ...]`` tensor (``n`` > 0)."""
    return torch.cat(list(generate_batches(G, n, **kwargs)))


def generate_uint8(G: Generator, n: int, **kwargs) -> Iterator[torch.Tensor]:
    """Like :func:`generate_batches`, as uint8 ``[B, C, H, W]`` batches."""
    for batch in generate_batches(G, n, **kwargs):
        yield to_uint8(batch)


def class_condition(name_or_index: str | int, class_names: list[str], n: int) -> torch.Tensor:
    """``n`` one-hot rows for a class given by name or index."""
    k = len(class_names)
    text = str(name_or_index)
    if text in class_names:
        index = class_names.index(text)
    elif text.lstrip("-").isdigit() and 0 <= int(text) < k:
        index = int(text)
    else:
        shown = ", ".join(class_names[:12]) + (", ..." if k > 12 else "")
        raise GankitError(f"unknown class {text!r}; this model knows {k} classes: {shown}")
    return F.one_hot(torch.full((n,), index), k).float()


def conditions_from_file(path: str | Path, class_names: list[str]) -> torch.Tensor:
    """Multi-hot rows from a JSON list of object-name lists (iCLEVR ``test.json``)."""
    return read_conditions(path, class_names)


def default_conditions(spec: DataSpec, n: int, seed: int = 0) -> torch.Tensor | None:
    """Conditions when the user gives none: classes in turn, or random 1–3 objects."""
    if spec.num_classes == 0:
        return None
    k = spec.num_classes
    if not spec.multi_label:
        return F.one_hot(torch.arange(n) % k, k).float()
    rng = torch.Generator().manual_seed(seed)
    rows = torch.zeros(n, k)
    for i in range(n):
        count = int(torch.randint(1, 4, (1,), generator=rng))
        rows[i, torch.randperm(k, generator=rng)[:count]] = 1.0
    return rows


def sample_conditions(dataset: Dataset, n: int, seed: int = 0) -> torch.Tensor | None:
    """``n`` condition rows drawn (with replacement, seeded) from the dataset's labels."""
    if dataset.labels is None:
        return None
    index = torch.randint(len(dataset), (n,), generator=torch.Generator().manual_seed(seed))
    return condition_vectors(dataset.labels[index], dataset.num_classes)


def cycle_conditions(conditions: torch.Tensor, n: int) -> torch.Tensor:
    """``conditions`` repeated in turn up to ``n`` rows."""
    repeats = -(-n // len(conditions))
    return conditions.repeat(repeats, 1)[:n]
