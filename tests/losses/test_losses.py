import pytest
import torch
import torch.nn.functional as F

from gankit.config import LossConfig, ModelConfig
from gankit.data.base import Batch
from gankit.losses import ADVERSARIAL_LOSSES, GANObjective, build_adversarial_loss
from gankit.losses.regularizers import gradient_penalty, zero_centred_penalty
from gankit.models import DataSpec, Discriminator, DOutput, build_discriminator, build_generator


class LinearCritic(Discriminator):
    """D(x, c) = <w, x> · (1 + Σc): gradient w.r.t. x is w · (1 + Σc), known exactly."""

    def __init__(self, w):
        super().__init__()
        self.w = torch.nn.Parameter(w)

    def forward(self, x, cond=None, source=None):
        scale = 1 + (cond.sum(1) if cond is not None else 0)
        return DOutput((x * self.w).flatten(1).sum(1) * scale)


def test_gradient_penalty_matches_analytic_linear_critic():
    torch.manual_seed(0)
    w = torch.randn(3, 4, 5)
    D = LinearCritic(w)
    real, fake = torch.randn(6, 3, 4, 5), torch.randn(6, 3, 4, 5)
    expected = (w.norm() - 1) ** 2  # norm over all of C×H×W, per sample
    assert torch.allclose(gradient_penalty(D, real, fake), expected, rtol=1e-5)
    # a per-axis norm (the common bug) would give a different number
    wrong = (w.norm(dim=1) - 1).pow(2).mean()
    assert not torch.allclose(expected, wrong, rtol=1e-2)


def test_gradient_penalty_passes_the_condition_per_sample():
    w = torch.randn(2, 3, 3)
    D = LinearCritic(w)
    cond = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    real, fake = torch.randn(3, 2, 3, 3), torch.randn(3, 2, 3, 3)
    norms = w.norm() * (1 + cond.sum(1))
    expected = (norms - 1).pow(2).mean()
    assert torch.allclose(gradient_penalty(D, real, fake, cond), expected, rtol=1e-5)


def test_gradient_penalty_is_differentiable_wrt_critic():
    D = LinearCritic(torch.full((1, 2, 2), 2.0))
    gp = gradient_penalty(D, torch.randn(4, 1, 2, 2), torch.randn(4, 1, 2, 2))
    gp.backward()
    # d/dw (||w|| - 1)^2 = 2(||w|| - 1) w / ||w||
    w = torch.full((1, 2, 2), 2.0)
    assert torch.allclose(D.w.grad, 2 * (w.norm() - 1) * w / w.norm(), rtol=1e-5)


def test_zero_centred_penalty_of_linear_critic():
    w = torch.randn(1, 3, 3)
    D = LinearCritic(w)
    assert torch.allclose(zero_centred_penalty(D, torch.randn(5, 1, 3, 3)), w.pow(2).sum(), rtol=1e-5)


def test_weight_clipping_keeps_every_critic_weight_in_range():
    spec = DataSpec("image", 3, 32)
    D = build_discriminator(ModelConfig(d_width=8, d_norm="none"), spec)
    with torch.no_grad():
        for p in D.parameters():
            p.mul_(100)
    objective = GANObjective(LossConfig(name="wasserstein", clip=0.01))
    objective.after_d_step(D)
    params = torch.cat([p.flatten() for p in D.parameters()])
    assert params.abs().max() <= 0.01 + 1e-9
    assert (params.abs() == 0.01).any()


@pytest.mark.parametrize("name", ADVERSARIAL_LOSSES.names())
def test_losses_prefer_real_scores_high(name):
    loss = build_adversarial_loss(name)
    good = loss.d_loss(torch.full((8,), 3.0), torch.full((8,), -3.0))
    bad = loss.d_loss(torch.full((8,), -3.0), torch.full((8,), 3.0))
    assert good < bad
    real = torch.zeros(8)
    assert loss.g_loss(torch.full((8,), 3.0), real) < loss.g_loss(torch.full((8,), -3.0), real)


def test_bce_losses_are_stable_for_extreme_logits():
    loss = build_adversarial_loss("ns")
    value = loss.d_loss(torch.tensor([1e4]), torch.tensor([-1e4]))
    assert torch.isfinite(value) and value.item() == pytest.approx(0.0, abs=1e-6)
    assert build_adversarial_loss("ns").g_loss(torch.tensor([-50.0])).item() == pytest.approx(50.0)


def test_known_values():
    r, f = torch.tensor([0.5, 2.0]), torch.tensor([-1.0, 0.0])
    assert build_adversarial_loss("hinge").d_loss(r, f).item() == pytest.approx(0.25 + 0.5)
    assert build_adversarial_loss("wasserstein").d_loss(r, f).item() == pytest.approx(-0.5 - 1.25)
    assert build_adversarial_loss("lsgan").d_loss(r, f).item() == pytest.approx(
        0.5 * ((0.25 + 1) / 2 + (1 + 0) / 2))
    ns = build_adversarial_loss("ns").d_loss(r, f).item()
    expect = (-torch.log(torch.sigmoid(r)).mean() - torch.log(1 - torch.sigmoid(f)).mean()).item()
    assert ns == pytest.approx(expect, rel=1e-6)


@pytest.mark.parametrize("multi", [False, True])
@pytest.mark.parametrize("fake_weight", [0.0, 0.5])
def test_acgan_loss_is_the_sum_of_its_parts(multi, fake_weight):
    torch.manual_seed(0)
    spec = DataSpec("image", 3, 16, num_classes=4, multi_label=multi)
    cfg = ModelConfig(g_width=8, d_width=8, g_cond="embedding", aux_classifier=True,
                      d_norm="layer")
    G, D = build_generator(cfg, spec).eval(), build_discriminator(cfg, spec).eval()
    cond = F.one_hot(torch.tensor([0, 1, 2, 3]), 4).float()
    if multi:
        cond[0, 2] = 1
    batch = Batch(torch.rand(4, 3, 16, 16) * 2 - 1, cond)
    objective = GANObjective(LossConfig(aux_weight=0.7, aux_fake_weight=fake_weight), multi,
                             torch.Generator().manual_seed(5))
    loss, stats = objective.d_loss(G, D, batch)
    fake = G(G.sample_z(4, generator=torch.Generator().manual_seed(5)), cond)
    real_out, fake_out = D(batch.x, cond), D(fake, cond)
    if multi:
        # summed over the objects, averaged over the images
        cls_real = 4 * F.binary_cross_entropy_with_logits(real_out.aux, cond)
        cls_fake = 4 * F.binary_cross_entropy_with_logits(fake_out.aux, cond)
    else:
        cls_real = F.cross_entropy(real_out.aux, cond.argmax(1))
        cls_fake = F.cross_entropy(fake_out.aux, cond.argmax(1))
    cls = cls_real + fake_weight * cls_fake  # D's classifier learns from fakes only if asked
    adv = F.softplus(-real_out.score).mean() + F.softplus(fake_out.score).mean()
    assert torch.allclose(loss, adv + 0.7 * cls, rtol=1e-5)
    assert torch.allclose(stats["loss_d_aux"], cls, rtol=1e-5)


def test_infogan_code_term_is_the_cross_entropy_of_the_fakes_codes():
    torch.manual_seed(0)
    spec = DataSpec("image", 3, 16)
    cfg = ModelConfig(g_width=8, d_width=8, d_norm="layer", latent_codes=3)
    G, D = build_generator(cfg, spec).eval(), build_discriminator(cfg, spec).eval()
    batch = Batch(torch.rand(6, 3, 16, 16) * 2 - 1)
    objective = GANObjective(LossConfig(info_weight=0.4), False, torch.Generator().manual_seed(5))
    d_loss, d_stats = objective.d_loss(G, D, batch)
    z = G.sample_z(6, generator=torch.Generator().manual_seed(5))
    codes = z[:, -3:].argmax(1)
    assert torch.equal(objective.codes, codes)
    real_out, fake_out = D(batch.x), D(G(z))
    info = F.cross_entropy(fake_out.info, codes)
    adv = F.softplus(-real_out.score).mean() + F.softplus(fake_out.score).mean()
    assert torch.allclose(d_loss, adv + 0.4 * info, rtol=1e-5)
    assert torch.allclose(d_stats["loss_d_info"], info, rtol=1e-5)
    fake = objective.fake(G, batch)  # the G phase reuses the latest fakes and their codes
    g_loss, g_stats = objective.g_loss(G, D, batch, fake)
    out = D(fake)
    expect = F.softplus(-out.score).mean() + 0.4 * F.cross_entropy(out.info, objective.codes)
    assert torch.allclose(g_loss, expect, rtol=1e-5)
    assert "loss_g_info" in g_stats


def test_infogan_term_is_absent_without_codes_or_weight():
    spec = DataSpec("image", 3, 16)
    batch = Batch(torch.rand(4, 3, 16, 16) * 2 - 1)
    for latent_codes, weight in ((0, 1.0), (3, 0.0)):
        cfg = ModelConfig(g_width=8, d_width=8, d_norm="layer", latent_codes=latent_codes)
        G, D = build_generator(cfg, spec), build_discriminator(cfg, spec)
        objective = GANObjective(LossConfig(info_weight=weight), False,
                                 torch.Generator().manual_seed(5))
        assert "loss_d_info" not in objective.d_loss(G, D, batch)[1]
        assert "loss_g_info" not in objective.g_loss(G, D, batch)[1]
