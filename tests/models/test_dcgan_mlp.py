import pytest
import torch
import torch.nn.functional as F

from gankit.config import ModelConfig
from gankit.errors import GankitError
from gankit.models import DataSpec, build_discriminator, build_generator
from gankit.models.conditioning import LabelEmbedding
from gankit.models.registry import check_options


@pytest.mark.parametrize("resolution", [32, 64, 128, 256])
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_shapes_for_every_resolution_and_channel_count(resolution, channels):
    spec = DataSpec("image", channels, resolution)
    cfg = ModelConfig(g_width=8, d_width=8)
    G, D = build_generator(cfg, spec), build_discriminator(cfg, spec)
    x = G(G.sample_z(2))
    assert x.shape == (2, channels, resolution, resolution)
    assert x.min() >= -1 and x.max() <= 1
    out = D(x)
    assert out.score.shape == (2,) and out.aux is None


def test_dcgan_init_is_normal_002():
    G = build_generator(ModelConfig(), DataSpec("image", 3, 64))
    w = G.net[0].weight
    assert abs(w.std().item() - 0.02) < 0.002 and abs(w.mean().item()) < 0.002


@pytest.mark.parametrize("g_cond", ["onehot", "embedding", "slots"])
@pytest.mark.parametrize("d_cond", ["onehot", "embedding", "channel", "projection"])
@pytest.mark.parametrize("multi", [False, True])
def test_conditioning_changes_outputs(g_cond, d_cond, multi):
    spec = DataSpec("image", 3, 32, num_classes=5, multi_label=multi)
    cfg = ModelConfig(g_width=8, d_width=8, g_cond=g_cond, d_cond=d_cond, embed_dim=6,
                      aux_classifier=True, d_norm="layer")
    G, D = build_generator(cfg, spec).eval(), build_discriminator(cfg, spec).eval()
    z = G.sample_z(2).repeat(2, 1)[:2]
    z[1] = z[0]
    a = torch.tensor([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0]], dtype=torch.float)
    if multi:
        a[1, 3] = 1
    x = G(z, a)
    assert not torch.allclose(x[0], x[1]), "same z, different condition → different image"
    x2 = x[:1].repeat(2, 1, 1, 1)
    out = D(x2, a)
    assert out.score.shape == (2,) and out.aux.shape == (2, 5)
    assert not torch.allclose(out.score[0], out.score[1]), "D must see the condition"


def test_embedding_equals_lookup_for_one_hot():
    emb = LabelEmbedding(7, 4)
    idx = torch.tensor([3, 0, 6])
    assert torch.allclose(emb(F.one_hot(idx, 7).float()), emb.embedding(idx))


@pytest.mark.parametrize("norm", ["batch", "layer", "instance", "none"])
def test_discriminator_norms_and_spectral_norm(norm):
    spec = DataSpec("image", 3, 32)
    cfg = ModelConfig(d_width=8, d_norm=norm, spectral_norm=True, d_dropout=0.3)
    D = build_discriminator(cfg, spec)
    names = {type(m).__name__ for m in D.modules()}
    assert ("BatchNorm2d" in names) == (norm == "batch")
    assert "Dropout" in names
    assert any(hasattr(m, "parametrizations") for m in D.modules())
    assert D(torch.randn(4, 3, 32, 32)).score.shape == (4,)


def test_mlp_points_and_images():
    G = build_generator(ModelConfig(generator="mlp", z_dim=2, g_width=16), DataSpec("points", 2, 0))
    assert G(G.sample_z(5)).shape == (5, 2)
    spec = DataSpec("image", 1, 16)
    cfg = ModelConfig(generator="mlp", discriminator="mlp", g_width=16, d_width=16)
    G, D = build_generator(cfg, spec), build_discriminator(cfg, spec)
    assert G(G.sample_z(3)).shape == (3, 1, 16, 16)
    assert D(torch.randn(3, 1, 16, 16)).score.shape == (3,)


def test_bad_model_choices_are_user_errors():
    with pytest.raises(GankitError, match="resolution"):
        build_generator(ModelConfig(), DataSpec("image", 3, 48))
    with pytest.raises(GankitError, match="labels"):
        build_generator(ModelConfig(g_cond="onehot"), DataSpec("image", 3, 32))
    with pytest.raises(GankitError, match="unknown generator"):
        build_generator(ModelConfig(generator="nope"), DataSpec("image", 3, 32))
    with pytest.raises(GankitError, match="unknown normalisation"):
        build_discriminator(ModelConfig(d_norm="group"), DataSpec("image", 3, 32))


def test_model_option_typos_are_user_errors():
    check_options(ModelConfig(generator="unet", discriminator="patchgan",
                              options={"n_layers": 2, "depth": 3}))
    with pytest.raises(GankitError, match="n_layer"):
        check_options(ModelConfig(generator="unet", discriminator="patchgan",
                                  options={"n_layer": 2}))
    with pytest.raises(GankitError, match="they take: upsample"):
        check_options(ModelConfig(options={"depth": 3}))
    with pytest.raises(GankitError, match="none"):
        check_options(ModelConfig(generator="resnet", discriminator="resnet",
                                  options={"depth": 3}))
    with pytest.raises(GankitError, match="upsample"):  # a G option; this G is a ResNet
        check_options(ModelConfig(generator="resnet", options={"upsample": "nearest"}))


def test_spectral_norm_applies_to_every_discriminator():
    spec = DataSpec("image", 3, 32, source_channels=1)
    for name in ("patchgan", "dropout-conv", "dcgan", "mlp"):
        D = build_discriminator(ModelConfig(discriminator=name, d_width=8, spectral_norm=True,
                                            options={"n_layers": 2}), spec)
        convs = [m for m in D.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
        assert convs and all(hasattr(m, "parametrizations") for m in convs), name


def test_conditioning_choices_on_image_to_image_networks_are_refused():
    with pytest.raises(GankitError, match="aux_classifier"):
        check_options(ModelConfig(generator="unet", discriminator="patchgan", aux_classifier=True))


@pytest.mark.parametrize("resolution", [16, 64])
def test_resize_convolution_generator_has_no_transposed_convs(resolution):
    spec = DataSpec("image", 3, resolution, num_classes=4)
    cfg = ModelConfig(g_width=8, g_cond="cbn", options={"upsample": "nearest"})
    G = build_generator(cfg, spec)
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in G.modules()
                   if m is not G.net[0])  # only the z → 4×4 projection stays transposed
    x = G(G.sample_z(2), F.one_hot(torch.tensor([0, 3]), 4).float())
    assert x.shape == (2, 3, resolution, resolution) and x.abs().max() <= 1
    with pytest.raises(GankitError, match="model.options.upsample"):
        build_generator(ModelConfig(options={"upsample": "bicubic"}), spec)
