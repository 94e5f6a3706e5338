"""The pix2pix U-Net generator."""

import pytest
import torch
from torch import nn

from gankit.data.base import to_unit
from gankit.data.registry import DATASETS, DataRequest
from gankit.errors import GankitError
from gankit.models.base import DataSpec
from gankit.models.unet import UNetGenerator, build_unet


def _source(n, channels, res, seed=0):
    return torch.rand(n, channels, res, res, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize("res", [32, 64, 128, 256])
@pytest.mark.parametrize("source_channels,channels,classes", [(1, 3, 0), (3, 3, 7), (1, 1, 4)])
def test_unet_output_shapes(res, source_channels, channels, classes):
    spec = DataSpec(channels=channels, resolution=res, num_classes=classes,
                    source_channels=source_channels)
    g = build_unet(spec, width=8)
    cond = torch.eye(classes)[:2] if classes else None
    out = g(None, cond, _source(2, source_channels, res))
    assert out.shape == (2, channels, res, res)
    assert out.abs().max() <= 1
    assert g.z_dim == 0 and g.sample_z(2) is None


def test_unet_256_goes_down_to_1x1_with_pix2pix_dropout():
    g = build_unet(DataSpec(resolution=256, source_channels=3))
    assert len(g.downs) == 8
    sizes = []
    hooks = [d.register_forward_hook(lambda m, i, o: sizes.append(o.shape[-1])) for d in g.downs]
    g.eval()(None, source=_source(1, 3, 256))
    for hook in hooks:
        hook.remove()
    assert sizes == [128, 64, 32, 16, 8, 4, 2, 1]
    with_dropout = [i for i, up in enumerate(g.ups) if any(isinstance(m, nn.Dropout) for m in up)]
    assert with_dropout == [4, 5, 6]  # the three decoder blocks after the innermost one
    assert [m.p for m in g.modules() if isinstance(m, nn.Dropout)] == [0.5] * 3
    assert 53e6 < sum(p.numel() for p in g.parameters()) < 56e6  # pix2pix unet_256: 54.4 M


def test_unet_finest_skip_carries_local_detail():
    """With everything below the first encoder level cut off, the output still depends
    on the source, and only near the same position: the finest skip is wired."""
    res = 32
    g = build_unet(DataSpec(resolution=res, source_channels=1, channels=3), width=8).double().eval()
    source = _source(1, 1, res).double().requires_grad_()
    g(None, source=source)[0, :, 16, 16].sum().backward()
    assert source.grad[0, 0, 0, 0] != 0  # the full net sees the far corner (via the bottleneck)

    source.grad = None
    cut = g.downs[1].register_forward_hook(lambda m, i, o: torch.zeros_like(o))
    g(None, source=source)[0, :, 16, 16].sum().backward()
    cut.remove()
    grad = source.grad[0, 0].abs()
    window = torch.zeros_like(grad, dtype=torch.bool)
    window[13:19, 13:19] = True  # 4×4/2 conv then 4×4/2 transposed conv: rows 13..18
    assert (grad[window] > 0).all()
    assert (grad[~window] == 0).all()


def test_unet_dropout_is_the_noise_in_train_mode_only():
    g = build_unet(DataSpec(resolution=32, source_channels=1), width=8)
    source = _source(4, 1, 32)
    torch.manual_seed(0)
    assert not torch.allclose(g.train()(None, source=source), g(None, source=source))
    g.eval()
    assert torch.equal(g(None, source=source), g(None, source=source))


def test_unet_label_maps_change_the_output():
    g = build_unet(DataSpec(resolution=32, source_channels=1, num_classes=3), width=8).eval()
    source = _source(1, 1, 32).expand(3, -1, -1, -1)
    out = g(None, torch.eye(3), source)
    assert not torch.allclose(out[0], out[1]) and not torch.allclose(out[1], out[2])
    with pytest.raises(ValueError, match="cond"):
        g(None, None, source)
    with pytest.raises(ValueError, match="source"):
        g(None, torch.eye(3))


def test_unet_instance_norm_and_shallower_depth():
    g = UNetGenerator(DataSpec(resolution=64, source_channels=3), width=8, depth=4,
                      norm="instance")
    assert len(g.downs) == 4
    assert any(isinstance(m, nn.InstanceNorm2d) for m in g.modules())
    assert g(None, source=_source(1, 3, 64)).shape == (1, 3, 64, 64)


def test_unet_user_errors():
    with pytest.raises(GankitError, match="paired"):
        build_unet(DataSpec(resolution=32))
    with pytest.raises(GankitError, match="power-of-two"):
        build_unet(DataSpec(resolution=48, source_channels=1))
    with pytest.raises(GankitError, match="depth=9"):
        build_unet(DataSpec(resolution=256, source_channels=1), depth=9)
    with pytest.raises(GankitError, match="unknown normalisation"):
        build_unet(DataSpec(resolution=32, source_channels=1), norm="group")


def test_unet_on_shapes_sketches():
    if "shapes" not in DATASETS:
        pytest.importorskip("gankit.data.shapes")
    data = DATASETS.get("shapes")(DataRequest(resolution=32, size=4, paired=True))
    spec = DataSpec(channels=data.images.shape[1], resolution=32,
                    num_classes=data.num_classes, multi_label=True,
                    source_channels=data.sources.shape[1])
    out = build_unet(spec, width=8)(None, data.labels.float(), to_unit(data.sources))
    assert out.shape == data.images.shape
