"""CycleGAN's networks: both ResNet-block generators and both PatchGANs, their shapes and
options."""

import pytest
import torch

from gankit.config import ModelConfig
from gankit.errors import GankitError
from gankit.models import DataSpec, build_discriminator, build_generator
from gankit.models.cyclegan import CycleGenerator, ResnetBlock, default_blocks, reversed_spec
from gankit.models.registry import check_options


def cycle_models(spec: DataSpec, **options):
    cfg = ModelConfig(generator="cyclegan", discriminator="cyclegan", z_dim=0, g_width=8,
                      d_width=8, g_norm="instance", d_norm="instance", options=options)
    check_options(cfg)
    return build_generator(cfg, spec), build_discriminator(cfg, spec)


@pytest.mark.parametrize("resolution, side", [(32, 2), (64, 6)])
def test_both_generators_and_patchgans_at_32_and_64_px(resolution, side):
    spec = DataSpec(channels=3, resolution=resolution, source_channels=1)
    G, D = cycle_models(spec)
    a = torch.rand(2, 1, resolution, resolution) * 2 - 1
    b = torch.rand(2, 3, resolution, resolution) * 2 - 1
    fake_b, fake_a = G.a_to_b(None, None, a), G.b_to_a(None, None, b)
    assert fake_b.shape == b.shape and fake_a.shape == a.shape
    assert fake_b.abs().max() <= 1 and fake_a.abs().max() <= 1  # tanh
    assert torch.equal(G(None, None, a), fake_b), "forward translates A → B"
    assert G.towards("BtoA") is G.b_to_a and G.towards("AtoB") is G.a_to_b
    # 70×70 PatchGANs on one domain's images alone: 2×2 scores at 32 px, 6×6 at 64 px
    assert D.d_a(a).score.shape == (2, 1, side, side)
    assert D.d_b(b).score.shape == (2, 1, side, side)
    assert torch.equal(D(b).score, D.d_b(b).score), "forward scores domain B"
    assert G.z_dim == 0 and G.sample_z(2) is None


def test_the_paper_layout_and_block_count():
    assert (default_blocks(128), default_blocks(256)) == (6, 9)
    G = CycleGenerator(DataSpec(channels=3, resolution=256, source_channels=3), width=4)
    assert sum(isinstance(m, ResnetBlock) for m in G.a_to_b.modules()) == 9
    convs = [m for m in G.a_to_b.modules() if isinstance(m, torch.nn.Conv2d)]
    # c7s1-w, d2w, d4w, then 2 convs per residual block at 4w, the last c7s1-3
    assert [c.out_channels for c in convs[:3]] == [4, 8, 16]
    assert convs[0].kernel_size == (7, 7) and convs[-1].kernel_size == (7, 7)
    assert any(isinstance(m, torch.nn.ReflectionPad2d) for m in G.modules())
    assert any(isinstance(m, torch.nn.InstanceNorm2d) for m in G.modules())


def test_options_blocks_and_dropout():
    spec = DataSpec(channels=3, resolution=32, source_channels=3)
    G, D = cycle_models(spec, blocks=2, dropout=0.5, n_layers=2)
    assert sum(isinstance(m, ResnetBlock) for m in G.b_to_a.modules()) == 2
    assert any(isinstance(m, torch.nn.Dropout) for m in G.modules())
    assert D.d_a(torch.zeros(1, 3, 32, 32)).score.shape == (1, 1, 6, 6)


def test_reversed_spec_swaps_the_domains():
    spec = DataSpec(channels=3, resolution=32, source_channels=1)
    back = reversed_spec(spec)
    assert (back.channels, back.source_channels, back.resolution) == (1, 3, 32)


@pytest.mark.parametrize("spec, options, fragment", [
    (DataSpec(channels=3, resolution=32), {}, "two image domains"),
    (DataSpec(channels=3, resolution=32, source_channels=1, num_classes=24), {}, "no labels"),
    (DataSpec(channels=3, resolution=32, source_channels=1), {"blocks": -1}, "blocks"),
    (DataSpec(channels=3, resolution=32, source_channels=1), {"dropout": 1.5}, "dropout"),
    (DataSpec(channels=3, resolution=32, source_channels=1), {"depth": 3}, "options.depth"),
])
def test_user_errors(spec, options, fragment):
    with pytest.raises(GankitError, match=fragment):
        cycle_models(spec, **options)
