"""L1 / PSNR / SSIM of translation outputs, checked against scikit-image."""

import math

import numpy as np
import pytest
import torch

from gankit.data.shapes import render_shapes
from gankit.metrics.translation import gaussian_window, l1_error, psnr, ssim, translation_metrics

skimage_metrics = pytest.importorskip("skimage.metrics")


def skimage_ssim(a: torch.Tensor, b: torch.Tensor, data_range: float) -> float:
    """scikit-image's SSIM of one [C, H, W] pair with the Wang et al. Gaussian settings."""
    return skimage_metrics.structural_similarity(
        a.permute(1, 2, 0).numpy(), b.permute(1, 2, 0).numpy(), channel_axis=2,
        gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=data_range)


@pytest.fixture(scope="module")
def pairs():
    """Shapes scenes and degraded copies: noise, a shift, a colour change."""
    g = torch.Generator().manual_seed(0)
    clean = render_shapes(4, 32, seed=3).images
    noisy = (clean.float() + 25 * torch.randn(clean.shape, generator=g)).clamp(0, 255)
    shifted = torch.roll(clean, shifts=2, dims=3)
    recoloured = clean.flip(1)  # RGB → BGR
    degraded = torch.cat([noisy.round().to(torch.uint8), shifted, recoloured, clean[:1]])
    return torch.cat([clean, clean, clean, clean[:1]]), degraded


def test_ssim_matches_skimage_on_uint8(pairs):
    clean, degraded = pairs
    ours = ssim(degraded, clean)
    theirs = [skimage_ssim(d, c, 255) for d, c in zip(degraded, clean)]
    assert ours.shape == (len(clean),)
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=0, atol=1e-6)
    assert float(ours[-1]) == pytest.approx(1.0)  # the identical pair
    assert float(ours[:-1].max()) < 0.95


def test_ssim_matches_skimage_on_unit_floats_and_grey_odd_sizes():
    g = torch.Generator().manual_seed(1)
    a = torch.rand(3, 1, 23, 17, generator=g, dtype=torch.float64)
    b = (a + 0.1 * torch.randn(a.shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    theirs = [skimage_ssim(x, y, 1.0) for x, y in zip(a, b)]
    np.testing.assert_allclose(ssim(a, b).numpy(), theirs, rtol=0, atol=1e-9)


def test_gaussian_window_is_normalised_and_peaked():
    w = gaussian_window()
    assert w.shape == (11,) and float(w.sum()) == pytest.approx(1.0)
    assert int(w.argmax()) == 5 and torch.allclose(w, w.flip(0))
    assert float(w[5] / w[4]) == pytest.approx(math.exp(1 / (2 * 1.5**2)))


def test_psnr_and_l1_match_skimage_and_direct_formulas(pairs):
    clean, degraded = pairs
    ours = psnr(degraded[:3], clean[:3])
    theirs = [skimage_metrics.peak_signal_noise_ratio(c.numpy(), d.numpy(), data_range=255)
              for c, d in zip(clean[:3], degraded[:3])]
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-9)
    assert math.isinf(float(psnr(clean[:1], clean[:1])[0]))
    half = torch.full((1, 3, 16, 16), 0.5, dtype=torch.float64)
    assert float(l1_error(half, torch.zeros_like(half))[0]) == pytest.approx(0.5)
    white = torch.full((1, 1, 16, 16), 255, dtype=torch.uint8)
    assert float(l1_error(white, torch.zeros_like(white))[0]) == pytest.approx(1.0)


def test_translation_metrics_averages_per_image_values(pairs, monkeypatch):
    clean, degraded = pairs
    monkeypatch.setattr("gankit.metrics.translation.CHUNK", 2)  # several chunks
    got = translation_metrics(degraded[:3], clean[:3])
    assert set(got) == {"l1", "psnr", "ssim"}
    assert got["ssim"] == pytest.approx(float(ssim(degraded[:3], clean[:3]).mean()))
    assert got["psnr"] == pytest.approx(float(psnr(degraded[:3], clean[:3]).mean()))
    assert got["l1"] == pytest.approx(
        float((degraded[:3].double() - clean[:3].double()).abs().mean() / 255))
    better = translation_metrics(clean[:3], clean[:3].clone())
    assert better["l1"] == 0 and better["ssim"] == pytest.approx(1.0) and got["l1"] > 0


def test_metric_input_errors():
    a = torch.zeros(2, 3, 16, 16, dtype=torch.uint8)
    with pytest.raises(ValueError, match="one shape"):
        translation_metrics(a, a[:1])
    with pytest.raises(ValueError, match="at least 11x11"):
        ssim(a[:, :, :8, :8], a[:, :, :8, :8])
    with pytest.raises(ValueError, match="at least one"):
        translation_metrics(a[:0], a[:0])
