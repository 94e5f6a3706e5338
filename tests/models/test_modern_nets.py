"""The ResNet (SNGAN / WGAN-GP), BigGAN and R3GAN generators and discriminators."""

import pytest
import torch
from torch import nn

from gankit.config import ModelConfig, load_config
from gankit.errors import GankitError
from gankit.models import DataSpec, build_discriminator, build_generator
from gankit.models.blocks import SelfAttention
from gankit.models.r3gan import InvertedBottleneck
from gankit.models.registry import check_options

ARCHS = ("resnet", "biggan", "r3gan")
G_COND = {"resnet": "cbn", "biggan": "cbn", "r3gan": "embedding"}
NORMS = (nn.BatchNorm2d, nn.GroupNorm, nn.LayerNorm, nn.InstanceNorm2d)


def config(arch: str, conditional: bool = False, **changes) -> ModelConfig:
    """A tiny ``arch`` G/D pair (class-conditional the architecture's way)."""
    settings = {"generator": arch, "discriminator": arch, "g_width": 8, "d_width": 8,
                "z_dim": 16, "embed_dim": 8, "d_norm": "none",
                "g_norm": "none" if arch == "r3gan" else "batch"}
    if conditional:
        settings.update(g_cond=G_COND[arch], d_cond="projection")
    settings.update(changes)
    return ModelConfig(**settings)


def two_conditions(multi: bool) -> torch.Tensor:
    cond = torch.tensor([[1.0, 0, 0, 0, 0], [0, 1.0, 0, 0, 0]])
    if multi:
        cond[1, 3] = 1
    return cond


def pair(arch: str, spec: DataSpec, **changes):
    cfg = config(arch, spec.num_classes > 0, **changes)
    check_options(cfg)
    return build_generator(cfg, spec), build_discriminator(cfg, spec)


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("resolution", [32, 64, 128])
@pytest.mark.parametrize("channels, labels", [(1, "none"), (3, "class"), (3, "multi")])
def test_shapes_for_every_resolution_channels_and_condition(arch, resolution, channels, labels):
    spec = DataSpec("image", channels, resolution, num_classes=0 if labels == "none" else 5,
                    multi_label=labels == "multi")
    G, D = pair(arch, spec)
    cond = None if labels == "none" else two_conditions(labels == "multi")
    with torch.no_grad():
        x = G(G.sample_z(2), cond)
        out = D(x, cond)
    assert x.shape == (2, channels, resolution, resolution)
    assert x.min() >= -1 and x.max() <= 1
    assert out.score.shape == (2,) and out.aux is None


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("multi", [False, True])
def test_the_condition_changes_the_image_and_the_score(arch, multi):
    torch.manual_seed(0)
    spec = DataSpec("image", 3, 32, num_classes=5, multi_label=multi)
    G, D = pair(arch, spec, aux_classifier=True)
    G.eval(), D.eval()
    cond = two_conditions(multi)
    with torch.no_grad():
        z = G.sample_z(1).repeat(2, 1)
        x = G(z, cond)
        assert not torch.allclose(x[0], x[1]), "same z, two classes → two images"
        out = D(x[:1].repeat(2, 1, 1, 1), cond)
    assert out.aux.shape == (2, 5)
    assert not torch.allclose(out.score[0], out.score[1]), "the projection sees the class"


@pytest.mark.parametrize("arch", ARCHS)
def test_gradients_reach_every_generator_weight_and_r1_works(arch):
    torch.manual_seed(0)
    spec = DataSpec("image", 3, 32, num_classes=5)
    G, D = pair(arch, spec, options={"attention": 16} if arch == "biggan" else {})
    cond = two_conditions(False)
    D(G(G.sample_z(2), cond), cond).score.mean().backward()
    for name, p in G.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    real = torch.rand(2, 3, 32, 32, requires_grad=True)
    grad, = torch.autograd.grad(D(real, cond).score.sum(), real, create_graph=True)
    grad.square().sum().backward()  # R1 needs the gradient of an input-gradient
    assert all(torch.isfinite(p.grad).all() for p in D.parameters() if p.grad is not None)


def test_biggan_attention_only_where_asked():
    spec = DataSpec("image", 3, 64, num_classes=5)
    for attention, expected in ((0, 0), (16, 1), (32, 1)):
        G, D = pair("biggan", spec, options={"attention": attention})
        for net in (G, D):
            assert sum(isinstance(m, SelfAttention) for m in net.modules()) == expected
    G, D = pair("biggan", spec, options={"attention": 32})
    assert G(G.sample_z(2), two_conditions(False)).shape == (2, 3, 64, 64)
    with pytest.raises(GankitError, match="options.attention"):
        pair("biggan", DataSpec("image", 3, 32), options={"attention": 64})
    with pytest.raises(GankitError, match="options.attention"):  # D's maps stop at 16 px
        pair("biggan", DataSpec("image", 3, 32), options={"attention": 32})


def test_biggan_is_orthogonal_and_spectrally_normalised_once():
    spec = DataSpec("image", 3, 32, num_classes=5)
    for sn in (False, True):
        G, D = pair("biggan", spec, spectral_norm=sn)
        for net in (G, D):
            layers = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
            assert layers and all(len(m.parametrizations.weight) == 1 for m in layers)
    conv = G.blocks[0].branch[3]  # the first 3×3 conv: [out, in·9], rows orthonormal
    w = conv.parametrizations.weight.original.flatten(1)
    assert torch.allclose(w @ w.T, torch.eye(len(w)), atol=1e-5)
    w = G.linear.parametrizations.weight.original  # tall: columns orthonormal
    assert torch.allclose(w.T @ w, torch.eye(w.shape[1]), atol=1e-5)


def test_biggan_generator_splits_z_over_the_blocks():
    G, _ = pair("biggan", DataSpec("image", 3, 64), z_dim=17)
    assert G.z_split == [5, 3, 3, 3, 3] and sum(G.z_split) == G.z_dim
    with pytest.raises(GankitError, match="z_dim"):
        pair("biggan", DataSpec("image", 3, 64), z_dim=4)


def test_r3gan_has_no_norms_and_every_block_starts_as_the_identity():
    torch.manual_seed(0)
    G, D = pair("r3gan", DataSpec("image", 3, 64, num_classes=5),
                options={"blocks": 1, "group_channels": 2})
    for net in (G, D):
        assert not any(isinstance(m, NORMS) for m in net.modules())
        blocks = [m for m in net.modules() if isinstance(m, InvertedBottleneck)]
        assert len(blocks) == 5  # one per stage: 4, 8, 16, 32, 64 px
        for block in blocks:
            assert torch.count_nonzero(block.branch[-1].weight) == 0
            x = torch.randn(2, block.branch[0].in_channels, 4, 4)
            assert torch.equal(block(x), x)
    grouped = G.body[1].branch[2]  # 4×4 stage: width 8 × expansion 2, 8 groups of 2
    assert grouped.groups == 8 and grouped.in_channels == 16


def test_resnet_discriminator_has_four_blocks_at_32_px_and_no_batchnorm():
    G, D = pair("resnet", DataSpec("image", 3, 32), spectral_norm=True, d_norm="layer")
    assert len(D.blocks) == 4 and len(G.blocks) == 3
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())
    assert all(hasattr(m, "parametrizations") for m in D.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear)))


def test_bad_sizes_options_and_settings_are_user_errors():
    bad = DataSpec("image", 3, 48)
    for arch in ARCHS:
        cfg = config(arch)
        with pytest.raises(GankitError, match="data.resolution"):
            build_generator(cfg, bad)
        with pytest.raises(GankitError, match="data.resolution"):
            build_discriminator(cfg, bad)
    with pytest.raises(GankitError, match="options.blocks"):
        check_options(config("biggan", options={"blocks": 2}))
    with pytest.raises(GankitError, match="options.attention"):
        check_options(config("r3gan", options={"attention": 16}))
    check_options(config("r3gan", options={"blocks": 1, "group_channels": 4, "expansion": 3}))
    spec = DataSpec("image", 3, 32, num_classes=5)
    cases = [(config("r3gan", options={"group_channels": 0}), "group_channels"),
             (config("r3gan", options={"blocks": 0}), "options.blocks"),
             (config("r3gan", g_norm="batch"), "g_norm=none"),
             (config("r3gan", g_cond="cbn"), "g_cond"),
             (config("resnet", d_norm="batch"), "d_norm=none"),
             (config("biggan", g_cond="onehot"), "g_cond=cbn")]
    for cfg, message in cases:
        with pytest.raises(GankitError, match=message):
            build_generator(cfg, spec), build_discriminator(cfg, spec)


@pytest.mark.parametrize("arch", ARCHS)
def test_built_from_a_preset_with_overrides(arch):
    options = {"resnet": [], "biggan": ["model.options.attention=16"],
               "r3gan": ["model.options.blocks=1", "model.options.group_channels=4",
                         "model.g_norm=none"]}[arch]
    cfg = load_config("default", [f"model.generator={arch}", f"model.discriminator={arch}",
                                  "model.g_width=8", "model.d_width=8", "model.d_norm=none",
                                  *options]).model
    check_options(cfg)
    spec = DataSpec("image", 1, 32)
    G, D = build_generator(cfg, spec), build_discriminator(cfg, spec)
    assert D(G(G.sample_z(2))).score.shape == (2,)
