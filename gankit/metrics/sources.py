"""Turning what callers hold (a tensor, batches, a sampler) into a stream of uint8 batches.

Images are streamed batch by batch so that only features are ever kept: evaluating
50,000 generated images never holds 50,000 images in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import torch

from gankit.data.base import ImageDataset
from gankit.errors import GankitError

#: What the metrics accept as a set of images:
#: - a uint8 tensor ``[N, C, H, W]`` or an :class:`ImageDataset`;
#: - an iterable of uint8 batches ``[B, C, H, W]`` (a list, a generator, a DataLoader;
#:   a tuple/list item such as ``(images, labels)`` contributes its first element);
#: - a callable ``sample(b) -> uint8 [b, C, H, W]``, called until ``n`` images came
#:   (``n`` is required then).
ImageSource = torch.Tensor | ImageDataset | Iterable | Callable[[int], torch.Tensor]


def count_images(source: ImageSource, n: int | None, role: str) -> int | None:
    """How many images :func:`image_batches` will yield (``None``: unknown until the end)."""
    if isinstance(source, ImageDataset):
        source = source.images
    if isinstance(source, torch.Tensor):
        _check_n(n, len(source), role)
        return len(source) if n is None else n
    if callable(source) and not isinstance(source, Iterable):
        if n is None:
            raise GankitError(f"{role}: a sampling function needs the number of images n")
        return n
    return n


def image_batches(source: ImageSource, n: int | None, batch_size: int,
                  role: str) -> Iterator[torch.Tensor]:
    """Yield uint8 batches of ``batch_size`` images (the last may be smaller), ``n`` in all
    (or all there are), whatever batches the source arrives in.

    Args:
        source: see :data:`ImageSource`.
        n: how many images to take; ``None`` takes them all (not allowed for callables).
        batch_size: images per batch yielded.
        role: ``"fake"`` or ``"real"``, for messages.

    Raises:
        GankitError: a batch is not uint8 ``[B, 1|3, H, W]``, or fewer than ``n`` images
            are available (FID is only comparable at equal sample counts).
    """
    if isinstance(source, ImageDataset):
        source = source.images
    if isinstance(source, torch.Tensor):
        _check_batch(source, role)
        total = count_images(source, n, role)
        yield from source[:total].split(batch_size)
    elif callable(source) and not isinstance(source, Iterable):
        yield from _sampled(source, count_images(source, n, role), batch_size, role)
    elif isinstance(source, Iterable):
        yield from _rechunked(_taken(source, n, role), batch_size)
    else:
        raise GankitError(f"{role}: expected uint8 images as a tensor, batches or a sampling "
                          f"function, got {type(source).__name__}")


def _sampled(sample: Callable[[int], torch.Tensor], n: int, batch_size: int,
             role: str) -> Iterator[torch.Tensor]:
    done = 0
    while done < n:
        want = min(batch_size, n - done)
        batch = sample(want)
        _check_batch(batch, role)
        if len(batch) < want:
            raise GankitError(f"{role}: the sampling function returned {len(batch)} images "
                              f"when asked for {want}")
        done += want
        yield batch[:want]


def _taken(batches: Iterable, n: int | None, role: str) -> Iterator[torch.Tensor]:
    """The checked batches of an iterable, cut at ``n`` images in all."""
    done = 0
    for item in batches:
        batch = item[0] if isinstance(item, (tuple, list)) else item
        _check_batch(batch, role)
        if n is not None:
            batch = batch[: n - done]
        done += len(batch)
        yield batch
        if n is not None and done >= n:
            return
    _check_n(n, done, role)


def _rechunked(batches: Iterator[torch.Tensor], batch_size: int) -> Iterator[torch.Tensor]:
    """Re-cut a stream of uneven batches into batches of exactly ``batch_size`` (the last
    may be smaller), so the feature network sees the same batches however the images
    arrived: CPU kernels round differently at different batch sizes."""
    pending: list[torch.Tensor] = []
    held = 0
    for batch in batches:
        while len(batch):
            piece, batch = batch[: batch_size - held], batch[batch_size - held:]
            pending.append(piece)
            held += len(piece)
            if held == batch_size:
                yield torch.cat(pending)
                pending, held = [], 0
    if held:
        yield torch.cat(pending)


def _check_batch(batch: object, role: str) -> None:
    if not isinstance(batch, torch.Tensor):
        raise GankitError(f"{role}: expected uint8 image tensors, got {type(batch).__name__}")
    if batch.dtype != torch.uint8 or batch.dim() != 4 or batch.shape[1] not in (1, 3):
        raise GankitError(
            f"{role}: expected uint8 images [N, 1|3, H, W], got {batch.dtype} "
            f"{list(batch.shape)}; convert [-1, 1] floats with gankit.data.base.to_uint8")


def _check_n(n: int | None, available: int, role: str) -> None:
    if n is not None and n > available:
        raise GankitError(f"{role}: asked for n={n} images but only {available} are available; "
                          f"lower n (compare FID only at equal n)")
