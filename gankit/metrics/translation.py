"""Paired-output metrics for image-to-image runs: L1, PSNR and SSIM against ground truth.

All three compare an output with its own target image, pixel by pixel, so they only make
sense for translation models (sketch → image), never for unconditional samples.

* L1: mean absolute error as a fraction of the data range (0 = identical, 1 = opposite).
* PSNR: ``10·log10(range² / MSE)`` per image, in dB, then averaged over images;
  an image identical to its target scores ``inf``.
* SSIM (Wang, Bovik, Sheikh & Simoncelli, 2004, "Image Quality Assessment: From Error
  Visibility to Structural Similarity"): local statistics under an 11×11 Gaussian window
  with σ = 1.5, constants K1 = 0.01, K2 = 0.03, population (not sample) covariances,
  averaged over the window positions that lie fully inside the image and over channels.
  This equals ``skimage.metrics.structural_similarity(..., gaussian_weights=True,
  sigma=1.5, use_sample_covariance=False, data_range=...)``.

Images are ``[N, C, H, W]`` tensors: uint8 (data range 255) or floats in [0, 1]
(data range 1); convert generator outputs in [-1, 1] with
:func:`gankit.data.base.to_uint8` first.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gankit.metrics.registry import HIGHER, LOWER, MetricSpec, register_metric

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1, SSIM_K2 = 0.01, 0.03
CHUNK = 64  # images per step: bounds the float64 work tensors


def _data_range(images: torch.Tensor, data_range: float | None) -> float:
    if data_range is not None:
        return float(data_range)
    return 255.0 if images.dtype == torch.uint8 else 1.0


def _check_pair(x: torch.Tensor, y: torch.Tensor) -> None:
    if x.dim() != 4 or x.shape != y.shape:
        raise ValueError(f"outputs and targets must be [N, C, H, W] tensors of one shape, "
                         f"got {tuple(x.shape)} and {tuple(y.shape)}")


def gaussian_window(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> torch.Tensor:
    """The normalised 1-D Gaussian ``[size]`` (float64) that SSIM filters with, per axis."""
    offsets = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    weights = torch.exp(-offsets.pow(2) / (2 * sigma**2))
    return weights / weights.sum()


def _local_mean(x: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian filtering of ``[B, 1, H, W]``, valid positions only."""
    size = len(window)
    x = F.conv2d(x, window.view(1, 1, size, 1))
    return F.conv2d(x, window.view(1, 1, 1, size))


def ssim(x: torch.Tensor, y: torch.Tensor, data_range: float | None = None) -> torch.Tensor:
    """Per-image SSIM ``[N]`` between ``x`` and ``y`` (see the module docstring).

    Args:
        x, y: ``[N, C, H, W]`` images, uint8 or float; H and W at least 11.
        data_range: the value span L of the pixels (default: 255 for uint8, else 1).
    """
    _check_pair(x, y)
    n, c, h, w = x.shape
    if min(h, w) < SSIM_WINDOW:
        raise ValueError(f"SSIM needs images of at least {SSIM_WINDOW}x{SSIM_WINDOW} px, "
                         f"got {h}x{w}")
    span = _data_range(x, data_range)
    c1, c2 = (SSIM_K1 * span) ** 2, (SSIM_K2 * span) ** 2
    window = gaussian_window().to(x.device)
    a = x.to(torch.float64).reshape(n * c, 1, h, w)
    b = y.to(torch.float64).reshape(n * c, 1, h, w)
    mu_a, mu_b = _local_mean(a, window), _local_mean(b, window)
    var_a = _local_mean(a * a, window) - mu_a**2
    var_b = _local_mean(b * b, window) - mu_b**2
    cov = _local_mean(a * b, window) - mu_a * mu_b
    score = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)
             / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)))
    return score.reshape(n, -1).mean(dim=1)


def psnr(x: torch.Tensor, y: torch.Tensor, data_range: float | None = None) -> torch.Tensor:
    """Per-image PSNR in dB ``[N]`` (``inf`` where an image equals its target)."""
    _check_pair(x, y)
    span = _data_range(x, data_range)
    mse = (x.to(torch.float64) - y.to(torch.float64)).pow(2).flatten(1).mean(dim=1)
    return 10 * torch.log10(span**2 / mse)


def l1_error(x: torch.Tensor, y: torch.Tensor, data_range: float | None = None) -> torch.Tensor:
    """Per-image mean absolute error ``[N]`` as a fraction of the data range."""
    _check_pair(x, y)
    span = _data_range(x, data_range)
    return (x.to(torch.float64) - y.to(torch.float64)).abs().flatten(1).mean(dim=1) / span


def translation_metrics(outputs: torch.Tensor, targets: torch.Tensor,
                        data_range: float | None = None) -> dict[str, float]:
    """L1, PSNR and SSIM of translated images against their ground truth.

    Args:
        outputs: ``[N, C, H, W]`` model outputs, uint8 (or floats in [0, 1]).
        targets: the ground-truth images, same shape and type.
        data_range: pixel value span (default: 255 for uint8, else 1).

    Returns:
        ``{"l1": ..., "psnr": ..., "ssim": ...}``: each the mean over the N images
        (L1 as a fraction of the range, PSNR in dB, SSIM in [-1, 1]).
    """
    _check_pair(outputs, targets)
    if len(outputs) == 0:
        raise ValueError("translation_metrics needs at least one image pair")
    sums = {"l1": 0.0, "psnr": 0.0, "ssim": 0.0}
    for start in range(0, len(outputs), CHUNK):
        x, y = outputs[start:start + CHUNK], targets[start:start + CHUNK]
        sums["l1"] += float(l1_error(x, y, data_range).sum())
        sums["psnr"] += float(psnr(x, y, data_range).sum())
        sums["ssim"] += float(ssim(x, y, data_range).sum())
    return {name: total / len(outputs) for name, total in sums.items()}


__all__ = ["gaussian_window", "l1_error", "psnr", "ssim", "translation_metrics"]


register_metric(MetricSpec("l1", {"l1": LOWER}),
                help="mean absolute error of translations against their targets")
register_metric(MetricSpec("psnr", {"psnr": HIGHER}),
                help="peak signal-to-noise ratio of translations against their targets, dB")
register_metric(MetricSpec("ssim", {"ssim": HIGHER}),
                help="structural similarity of translations against their targets")
