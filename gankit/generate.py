"""Sampling from trained generators: conditions, batched generation, saving."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import torch
import torch.nn.functional as F

from gankit.data.base import to_uint8
from gankit.errors import GankitError
from gankit.models import DataSpec, Generator


def load_generator(run_or_checkpoint: str | Path, device: str | torch.device = "cpu",
                   use_ema: bool = True):
    """``(G, cfg, spec, class_names, state)`` from a run folder or checkpoint file."""
    from gankit.training import generator_from_checkpoint, load_checkpoint

    state = load_checkpoint(run_or_checkpoint)
    G, cfg, spec = generator_from_checkpoint(state, device, use_ema)
    return G, cfg, spec, list(state.get("class_names") or []), state


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
    from gankit.data.iclevr import read_conditions

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


@torch.no_grad()
def generate_batches(G: Generator, n: int, cond: torch.Tensor | None = None,
                     source: torch.Tensor | None = None, seed: int = 0, batch_size: int = 256,
                     device: str | torch.device = "cpu") -> Iterator[torch.Tensor]:
    """Yield float images in [-1, 1] in batches (``n`` in all), repeatable from ``seed``."""
    rng = torch.Generator().manual_seed(seed)
    was_training = G.training
    G.eval()
    try:
        for start in range(0, n, batch_size):
            m = min(batch_size, n - start)
            z = G.sample_z(m, device, rng)
            c = None if cond is None else cond[start:start + m].to(device)
            s = None if source is None else source[start:start + m].to(device)
            yield G(z, c, s).float().cpu()
    finally:
        G.train(was_training)


def generate_uint8(G: Generator, n: int, **kwargs) -> Iterator[torch.Tensor]:
    """Like :func:`generate_batches`, as uint8 ``[B, C, H, W]`` batches."""
    for batch in generate_batches(G, n, **kwargs):
        yield to_uint8(batch)


def save_samples(images: torch.Tensor, out: str | Path, nrow: int = 8) -> list[Path]:
    """Save float images as one grid (``out`` ends in .png) or one PNG each (a folder)."""
    from torchvision.utils import save_image

    out = Path(out)
    if out.suffix.lower() == ".png":
        out.parent.mkdir(parents=True, exist_ok=True)
        save_image(images, out, nrow=nrow, normalize=True, value_range=(-1, 1), padding=2)
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, image in enumerate(images):
        path = out / f"{i:06d}.png"
        save_image(image, path, normalize=True, value_range=(-1, 1), padding=0)
        paths.append(path)
    grid = out / "grid.png"
    save_image(images, grid, nrow=nrow, normalize=True, value_range=(-1, 1), padding=2)
    return paths + [grid]


@torch.no_grad()
def rank_scores(images: torch.Tensor, cond: torch.Tensor | None, by: str, state: dict,
                spec: DataSpec, evaluator=None, device: str | torch.device = "cpu",
                batch_size: int = 256) -> torch.Tensor:
    """How convincing each image is: the discriminator's score, or the evaluator's
    confidence in the asked-for condition (mean probability of the asked-for objects)."""
    if by == "discriminator":
        from gankit.config import config_from_dict
        from gankit.models import build_discriminator

        D = build_discriminator(config_from_dict(state["config"]).model, spec)
        D.load_state_dict(state["discriminator"])
        D.to(device).eval()
        scores = []
        for start in range(0, len(images), batch_size):
            c = None if cond is None else cond[start:start + batch_size].to(device)
            out = D(images[start:start + batch_size].to(device), c).score
            scores.append(out.flatten(1).mean(1) if out.dim() > 1 else out)
        return torch.cat(scores).cpu()
    if evaluator is None or cond is None:
        raise GankitError("ranking by evaluator needs a conditional model and --evaluator FILE")
    logits = evaluator.predict_logits(to_uint8(images))
    if evaluator.multi_label:
        probs = torch.sigmoid(logits)
        return (probs * cond).sum(1) / cond.sum(1).clamp_min(1)
    return torch.softmax(logits, 1).gather(1, cond.argmax(1, keepdim=True)).squeeze(1)


def best_of(scores: torch.Tensor, n: int) -> torch.Tensor:
    """Indices of the ``n`` highest scores, best first."""
    return scores.argsort(descending=True)[:n]
