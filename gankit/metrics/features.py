"""Feature sets and the single streaming pass that extracts them.

A *feature space* (``inception``, ``evaluator``) is served by one extractor that maps a
uint8 batch to named feature layers. Every space a call needs is fed from the same
stream, so a generator is sampled once however many feature spaces are measured.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

import torch
from tqdm.auto import tqdm

from gankit.errors import GankitError
from gankit.metrics.sources import ImageSource, count_images, image_batches


class FeatureExtractor(Protocol):
    """What the metrics need from a feature extractor.

    Attributes:
        space: the feature space it serves (``inception``, ``evaluator``).
        layers: the feature layers it provides.
        description: one line for reports, e.g. the weights file.
    """

    space: str
    layers: tuple[str, ...]
    description: str

    def fingerprint(self) -> str:
        """A string that changes whenever the features would (weights, preprocessing)."""

    def __call__(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """uint8 ``[B, C, H, W]`` on the extractor's device → ``{layer: float [B, D]}``."""


@dataclass(eq=False)
class FeatureSet:
    """The features of one image set in one feature space.

    Attributes:
        features: layer name → float32 CPU tensor ``[n, D]``.
        stats: derived statistics, filled lazily by the metrics (e.g. FID's float64
            mean and covariance per layer) and cached on disk with the features.
    """

    features: dict[str, torch.Tensor]
    stats: dict[str, dict] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(next(iter(self.features.values())))


@contextmanager
def float32_precision(allow_tf32: bool) -> Iterator[None]:
    """Run CUDA convolutions and matmuls in true float32 (or allow TF32), then restore.

    PyTorch lets cuDNN use TF32 by default, which on Ampere/Hopper GPUs shifts the
    Inception features away from the float32 reference.
    """
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = allow_tf32
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def extract_feature_sets(source: ImageSource, extractors: dict[str, FeatureExtractor],
                         layers: dict[str, tuple[str, ...]], n: int | None, batch_size: int,
                         device: torch.device, role: str, progress: bool = True,
                         allow_tf32: bool = False) -> dict[str, FeatureSet]:
    """Stream ``source`` once through every extractor and keep only the requested layers.

    Args:
        source: the images (see :data:`gankit.metrics.sources.ImageSource`).
        extractors: feature space → its extractor (already on ``device``).
        layers: feature space → the layers to keep.
        n: number of images (``None``: all of them).
        batch_size: images per batch.
        device: where batches are moved before extraction.
        role: ``"fake"`` or ``"real"``, for messages and the progress bar.
        progress: show a tqdm bar.
        allow_tf32: let CUDA use TF32 (faster, not float32-exact).

    Returns:
        Feature space → :class:`FeatureSet`.
    """
    kept: dict[str, dict[str, list[torch.Tensor]]] = {
        space: {layer: [] for layer in layers[space]} for space in extractors}
    total = count_images(source, n, role)
    bar = tqdm(total=total, desc=f"features ({role})", unit="img", disable=not progress,
               leave=False)
    with torch.no_grad(), float32_precision(allow_tf32), bar:
        for batch in image_batches(source, n, batch_size, role):
            batch = batch.to(device, non_blocking=True)
            for space, extractor in extractors.items():
                out = extractor(batch)
                for layer in layers[space]:
                    kept[space][layer].append(out[layer].float().cpu())
            bar.update(len(batch))
    if not any(kept[space][layer] for space in kept for layer in kept[space]):
        raise GankitError(f"{role}: no images to evaluate")
    return {space: FeatureSet({layer: torch.cat(parts) for layer, parts in by_layer.items()})
            for space, by_layer in kept.items()}
