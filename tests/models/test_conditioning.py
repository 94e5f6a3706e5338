"""Conditioning modules: initial scales that let the condition be seen, and
class-conditional BatchNorm."""

import torch
import torch.nn.functional as F

from gankit.config import ModelConfig
from gankit.models import DataSpec, build_discriminator, build_generator
from gankit.models.conditioning import ConditionalNorm

SPEC = DataSpec("image", 3, 16, num_classes=5)


def test_the_label_channel_of_d_starts_at_the_scale_of_pixels():
    # DCGAN's N(0, 0.02) init used to shrink it to ~0.02: D could not see the label
    torch.manual_seed(0)
    D = build_discriminator(ModelConfig(d_width=8, d_cond="channel"), SPEC)
    maps = D.conditioner.encoder(torch.eye(5)).detach()
    assert 0.7 < float(maps.std()) < 1.3


def test_projection_embedding_starts_beside_the_score_weights():
    torch.manual_seed(0)
    D = build_discriminator(ModelConfig(d_width=8, d_cond="projection"), SPEC)
    embedding = D.heads.projection.embed.embedding.weight.detach()
    score = D.heads.score.weight.detach()
    assert abs(float(embedding.std()) - float(score.std())) < 0.005


def test_cbn_generator_follows_the_class_through_its_norms():
    torch.manual_seed(0)
    G = build_generator(ModelConfig(g_width=8, g_cond="cbn", z_dim=16), SPEC).eval()
    norms = [m for m in G.modules() if isinstance(m, ConditionalNorm)]
    assert len(norms) == 2 and G.net[0].in_channels == 16  # z alone enters the first layer
    z = torch.randn(4, 16)
    a, b = G(z, F.one_hot(torch.tensor([0, 0, 0, 0]), 5).float()), \
        G(z, F.one_hot(torch.tensor([1, 1, 1, 1]), 5).float())
    assert (a - b).abs().max() > 0  # the class changes the image
    with torch.no_grad():
        for norm in norms:
            norm.gain.weight.zero_()
            norm.bias.weight.zero_()
    assert torch.equal(G(z, F.one_hot(torch.zeros(4).long(), 5).float()),
                       G(z, F.one_hot(torch.ones(4).long(), 5).float()))


def test_conditional_norm_adds_the_gains_of_a_multi_hot_row():
    norm = ConditionalNorm(torch.nn.Identity(), 3, 4)
    with torch.no_grad():
        norm.gain.weight.copy_(torch.arange(12.0).view(3, 4) / 10)
        norm.bias.weight.copy_(torch.ones(3, 4))
    x = torch.ones(1, 3, 2, 2)
    out = norm(x, torch.tensor([[1.0, 0, 1, 0]]))
    gain = 1 + (norm.gain.weight[:, 0] + norm.gain.weight[:, 2])
    assert torch.allclose(out[0, :, 0, 0], gain + 2)


def test_cbn_mlp_generator_for_points():
    spec = DataSpec("points", 2, 0, num_classes=3)
    G = build_generator(ModelConfig(generator="mlp", g_width=16, g_cond="cbn", z_dim=4), spec)
    out = G(torch.randn(5, 4), F.one_hot(torch.arange(5) % 3, 3).float())
    assert out.shape == (5, 2)
