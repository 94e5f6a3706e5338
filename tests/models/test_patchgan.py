"""The pix2pix PatchGAN discriminator."""

import pytest
import torch
from torch import nn

from gankit.errors import GankitError
from gankit.models.base import DataSpec
from gankit.models.patchgan import PatchGANDiscriminator, build_patchgan


def _images(n, channels, res, seed=0):
    return torch.rand(n, channels, res, res, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_patchgan_70_is_pix2pix_at_256():
    d = build_patchgan(DataSpec(resolution=256, channels=3, source_channels=3))
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 128, 256, 512, 1]
    assert all(c.kernel_size == (4, 4) for c in convs)
    assert convs[0].in_channels == 6  # concat(source, image)
    out = d(_images(2, 3, 256), source=_images(2, 3, 256, seed=1))
    assert out.score.shape == (2, 1, 30, 30) and out.aux is None


@pytest.mark.parametrize("res,side", [(32, 2), (64, 6), (128, 14), (256, 30)])
@pytest.mark.parametrize("source_channels,channels,classes", [(1, 3, 0), (3, 3, 5), (1, 1, 2),
                                                               (0, 3, 0)])
def test_patchgan_score_map_shapes(res, side, source_channels, channels, classes):
    spec = DataSpec(channels=channels, resolution=res, num_classes=classes,
                    source_channels=source_channels)
    d = build_patchgan(spec, width=8)
    cond = torch.eye(classes)[:2] if classes else None
    source = _images(2, source_channels, res) if source_channels else None
    assert d(_images(2, channels, res), cond, source).score.shape == (2, 1, side, side)


def test_patchgan_each_score_sees_a_70x70_patch():
    d = build_patchgan(DataSpec(resolution=128, channels=1, source_channels=1), width=4)
    d = d.double().eval()
    image = _images(1, 1, 128).double().requires_grad_()
    d(image, source=_images(1, 1, 128).double()).score[0, 0, 7, 7].backward()
    rows, cols = (image.grad[0, 0].abs() > 0).nonzero(as_tuple=True)
    assert rows.max() - rows.min() + 1 == 70 and cols.max() - cols.min() + 1 == 70


def test_patchgan_uses_source_and_label():
    spec = DataSpec(resolution=32, channels=3, source_channels=1, num_classes=3)
    d = build_patchgan(spec, width=8, norm="instance").eval()
    image = _images(1, 3, 32).expand(3, -1, -1, -1)
    source = _images(1, 1, 32, seed=1).expand(3, -1, -1, -1)
    by_label = d(image, torch.eye(3), source).score
    assert not torch.allclose(by_label[0], by_label[1])
    other_source = d(image, torch.eye(3), -source).score
    assert not torch.allclose(by_label, other_source)
    with pytest.raises(ValueError, match="source"):
        d(image, torch.eye(3))
    with pytest.raises(ValueError, match="cond"):
        d(image, None, source)


def test_patchgan_norms_and_errors():
    spec = DataSpec(resolution=32, channels=3, source_channels=3)
    assert any(isinstance(m, nn.InstanceNorm2d)
               for m in PatchGANDiscriminator(spec, width=8, norm="instance").modules())
    plain = PatchGANDiscriminator(spec, width=8, norm="none")
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)) for m in plain.modules())
    with pytest.raises(GankitError, match="unknown normalisation"):
        build_patchgan(spec, norm="weird")
    with pytest.raises(GankitError, match="at least 24 px"):
        build_patchgan(DataSpec(resolution=16, source_channels=3))
    small = build_patchgan(DataSpec(resolution=16, source_channels=3), width=8, n_layers=2)
    assert small(_images(1, 3, 16), source=_images(1, 3, 16)).score.shape == (1, 1, 2, 2)
    with pytest.raises(GankitError, match="points"):
        build_patchgan(DataSpec(kind="points", channels=2, resolution=0))
