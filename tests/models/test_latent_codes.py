"""InfoGAN's categorical latent code: in z, in D's code head, and where it cannot go."""

import pytest
import torch
import torch.nn.functional as F

from gankit.config import ModelConfig
from gankit.errors import GankitError
from gankit.models import DataSpec, build_discriminator, build_generator
from gankit.models.base import with_code
from gankit.models.coarse_code import CoarseCodeNet

SPEC = DataSpec("image", 3, 32, num_classes=5)


def test_the_last_columns_of_z_are_a_uniform_one_hot_code():
    G = build_generator(ModelConfig(g_width=8, z_dim=20, latent_codes=4), DataSpec())
    z = G.sample_z(4000, generator=torch.Generator().manual_seed(0))
    code = z[:, -4:]
    assert z.shape == (4000, 20)
    assert torch.equal(code.sum(1), torch.ones(4000))
    assert set(code.unique().tolist()) == {0.0, 1.0}
    counts = torch.bincount(G.codes_of(z), minlength=4)
    assert counts.min() > 900 and counts.max() < 1100
    assert abs(z[:, :-4].std().item() - 1) < 0.02  # the rest stays standard normal


def test_latents_with_codes_are_the_same_drawn_at_once_or_in_batches():
    G = build_generator(ModelConfig(g_width=8, z_dim=20, latent_codes=4), DataSpec())
    whole = G.sample_z(10, generator=torch.Generator().manual_seed(3))
    rng = torch.Generator().manual_seed(3)
    parts = torch.cat([G.sample_z(4, generator=rng), G.sample_z(6, generator=rng)])
    assert torch.equal(whole, parts)


def test_with_code_sets_one_code_for_every_row_or_one_per_row():
    z = torch.randn(3, 6)
    same = with_code(z, 1, 3)
    assert torch.equal(same[:, :3], z[:, :3])
    assert torch.equal(same[:, 3:], F.one_hot(torch.tensor([1, 1, 1]), 3).float())
    each = with_code(z, torch.tensor([2, 0, 1]), 3)
    assert each[:, 3:].argmax(1).tolist() == [2, 0, 1]


def test_without_codes_sampling_is_unchanged():
    G = build_generator(ModelConfig(g_width=8), DataSpec())
    z = G.sample_z(3, generator=torch.Generator().manual_seed(1))
    assert torch.equal(z, torch.randn(3, 100, generator=torch.Generator().manual_seed(1)))


@pytest.mark.parametrize("arch", ["dcgan", "resnet", "biggan", "r3gan"])
def test_every_configurable_d_grows_a_code_head_and_g_uses_the_code(arch):
    torch.manual_seed(0)
    norm = {"r3gan": "none"}.get(arch, "batch")
    cfg = ModelConfig(generator=arch, discriminator=arch, g_width=8, d_width=8, z_dim=32,
                      g_norm=norm, d_norm="none", g_cond="embedding" if arch == "r3gan" else "cbn",
                      d_cond="projection", latent_codes=6, spectral_norm=arch == "dcgan")
    G, D = build_generator(cfg, SPEC).eval(), build_discriminator(cfg, SPEC).eval()
    cond = F.one_hot(torch.arange(4) % 5, 5).float()
    z = G.sample_z(4, generator=torch.Generator().manual_seed(0))
    out = D(G(z, cond), cond)
    assert out.info.shape == (4, 6)
    assert out.aux is None and out.score.shape == (4,)
    other = with_code(z, (G.codes_of(z) + 1) % 6, 6)
    assert not torch.allclose(G(z, cond), G(other, cond))


def test_mlp_d_on_points_has_a_code_head():
    spec = DataSpec("points", 2, 0)
    cfg = ModelConfig(generator="mlp", discriminator="mlp", z_dim=10, latent_codes=8,
                      g_width=16, d_width=16)
    G, D = build_generator(cfg, spec), build_discriminator(cfg, spec)
    assert D(G(G.sample_z(5))).info.shape == (5, 8)


def test_codes_need_room_in_z_and_a_d_with_heads():
    with pytest.raises(GankitError, match="model.z_dim above 8"):
        build_generator(ModelConfig(z_dim=8, latent_codes=8), SPEC)
    with pytest.raises(GankitError,
                       match="model.latent_codes needs a discriminator with configurable heads"):
        build_discriminator(ModelConfig(discriminator="patchgan", latent_codes=4),
                            DataSpec("image", 3, 32, source_channels=3))


def _coarse_d(**kw) -> torch.nn.Module:
    cfg = ModelConfig(d_width=8, latent_codes=4, code_head="coarse", aux_classifier=True, **kw)
    return build_discriminator(cfg, SPEC)


def test_the_coarse_code_head_sees_only_the_image_pooled_to_8x8():
    torch.manual_seed(0)
    D = _coarse_d().eval()
    x = torch.rand(6, 3, 32, 32) * 2 - 1
    # detail inside each 4×4 block that averages to zero: invisible at 8×8
    checker = (torch.arange(32)[:, None] + torch.arange(32)) % 2 * 0.4 - 0.2
    detailed = D(x + checker)
    plain = D(x)
    assert detailed.info.shape == (6, 4)
    torch.testing.assert_close(detailed.info, plain.info, atol=1e-5, rtol=0)
    assert not torch.allclose(detailed.score, plain.score)  # D itself does see it
    moved = D(torch.roll(x, 8, dims=3))  # what is where does change the code's logits
    assert not torch.allclose(moved.info, plain.info, atol=1e-3)


def test_the_coarse_code_loss_trains_its_own_net_not_d():
    D = _coarse_d(spectral_norm=True)
    out = D(torch.randn(4, 3, 32, 32), F.one_hot(torch.arange(4), 5).float())
    F.cross_entropy(out.info, torch.tensor([0, 1, 2, 3])).backward()
    assert all(p.grad is not None for p in D.code.parameters())
    assert all(p.grad is None for p in D.module.parameters())
    assert D.heads.info is None  # no second code head on D's features


def test_the_coarse_code_head_needs_images_a_multiple_of_8_wide():
    with pytest.raises(GankitError, match="multiple of 8, not 28"):
        CoarseCodeNet(3, 28, 4)
    with pytest.raises(GankitError, match="image data"):
        build_discriminator(ModelConfig(generator="mlp", discriminator="mlp", latent_codes=4,
                                        code_head="coarse"), DataSpec("points", 2, 0))
    with pytest.raises(GankitError, match="set model.latent_codes"):
        build_discriminator(ModelConfig(code_head="coarse"), SPEC)
    with pytest.raises(GankitError, match="unknown model.code_head 'pixels'"):
        build_discriminator(ModelConfig(latent_codes=4, code_head="pixels"), SPEC)
