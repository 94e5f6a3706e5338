"""The R3GAN objective: relativistic pairing loss, R1 and R2, lazy regularisation."""

import pytest
import torch
import torch.nn.functional as F

from gankit.config import LossConfig
from gankit.data.base import Batch
from gankit.losses import GANObjective, build_adversarial_loss
from gankit.losses.regularizers import zero_centred_penalty
from gankit.models import Discriminator, DOutput, Generator


class QuadraticCritic(Discriminator):
    """D(x) = Σ w·x² — its input gradient 2·w·x is known by hand."""

    def __init__(self, w):
        super().__init__()
        self.w = torch.nn.Parameter(w)

    def forward(self, x, cond=None, source=None):
        return DOutput((self.w * x * x).flatten(1).sum(1))


class ShiftGenerator(Generator):
    """G(z) = z reshaped + b: fakes that depend on one parameter."""

    z_dim = 4

    def __init__(self):
        super().__init__()
        self.b = torch.nn.Parameter(torch.zeros(1))

    def forward(self, z, cond=None, source=None):
        return z.view(-1, 1, 2, 2) + self.b


def test_r1_and_r2_equal_the_hand_computed_gradient_norms():
    torch.manual_seed(0)
    w = torch.randn(1, 2, 2)
    D = QuadraticCritic(w)
    real, fake = torch.randn(5, 1, 2, 2), torch.randn(5, 1, 2, 2)
    by_hand = {name: (2 * w * x).flatten(1).pow(2).sum(1).mean()
               for name, x in (("r1", real), ("r2", fake))}
    assert torch.allclose(zero_centred_penalty(D, real), by_hand["r1"], rtol=1e-5)
    assert torch.allclose(zero_centred_penalty(D, fake), by_hand["r2"], rtol=1e-5)


def test_penalty_through_an_augmentation_differentiates_the_unaugmented_images():
    w = torch.randn(1, 2, 2)
    D = QuadraticCritic(w)
    x = torch.randn(3, 1, 2, 2)
    # D(3x) = Σ w·9x² → gradient 18·w·x with respect to x
    expected = (18 * w * x).flatten(1).pow(2).sum(1).mean()
    assert torch.allclose(zero_centred_penalty(D, x, augment=lambda t: 3 * t), expected,
                          rtol=1e-5)


def test_rpgan_pairs_each_fake_with_a_real():
    loss = build_adversarial_loss("rpgan")
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, 1.0])
    assert loss.d_loss(real, fake).item() == pytest.approx(
        F.softplus(fake - real).mean().item())
    assert loss.g_loss(fake, real).item() == pytest.approx(F.softplus(real - fake).mean().item())
    # pairing, not means: swapping which real meets which fake changes the loss
    assert loss.d_loss(real.flip(0), fake).item() != pytest.approx(loss.d_loss(real, fake).item())
    with pytest.raises(ValueError):
        loss.g_loss(fake)


def _objective(**loss):
    return GANObjective(LossConfig(name="rpgan", **loss), noise=torch.Generator().manual_seed(3))


def _parts(w, real, fake):
    D = QuadraticCritic(w)
    adv = F.softplus(D(fake).score - D(real).score).mean()
    r1 = (2 * w * real).flatten(1).pow(2).sum(1).mean()
    r2 = (2 * w * fake).flatten(1).pow(2).sum(1).mean()
    return adv, r1, r2


def test_r3gan_d_loss_is_rpgan_plus_half_gamma_r1_and_r2():
    torch.manual_seed(1)
    w, G = torch.randn(1, 2, 2), ShiftGenerator()
    batch = Batch(torch.randn(6, 1, 2, 2))
    fake = G(torch.randn(6, 4))
    objective = _objective(r1_weight=0.2, r2_weight=0.2)
    loss, stats = objective.d_loss(G, QuadraticCritic(w), batch, fake)
    adv, r1, r2 = _parts(w, batch.x, fake)
    assert torch.allclose(loss, adv + 0.1 * r1 + 0.1 * r2, rtol=1e-5)
    assert torch.allclose(stats["r1"], r1) and torch.allclose(stats["r2"], r2)
    objective.gamma_factor = 0.5  # a γ schedule halfway down
    loss, _ = objective.d_loss(G, QuadraticCritic(w), batch, fake)
    assert torch.allclose(loss, adv + 0.05 * r1 + 0.05 * r2, rtol=1e-5)


def test_lazy_regularisation_penalises_every_kth_step_k_times_as_hard():
    torch.manual_seed(2)
    w, G = torch.randn(1, 2, 2), ShiftGenerator()
    batch = Batch(torch.randn(4, 1, 2, 2))
    fake = G(torch.randn(4, 4))
    adv, r1, _ = _parts(w, batch.x, fake)
    objective = _objective(r1_weight=1.0, reg_every=4)
    losses = [objective.d_loss(G, QuadraticCritic(w), batch, fake)[0] for _ in range(8)]
    with_penalty = [i for i, loss in enumerate(losses) if not torch.allclose(loss, adv)]
    assert with_penalty == [0, 4]
    assert torch.allclose(losses[0], adv + 4 * 0.5 * r1, rtol=1e-5)
    # the step counter is state: a resumed objective keeps the rhythm
    resumed = _objective(r1_weight=1.0, reg_every=4)
    resumed.load_state_dict(objective.state_dict())
    assert resumed.d_calls == 8


def test_relativistic_g_loss_compares_fakes_with_reals_and_trains_g():
    torch.manual_seed(4)
    w, G = torch.rand(1, 2, 2) + 0.5, ShiftGenerator()
    D = QuadraticCritic(w).requires_grad_(False)
    batch = Batch(torch.randn(5, 1, 2, 2))
    fake = G(torch.randn(5, 4))
    loss, _ = _objective().g_loss(G, D, batch, fake)
    expected = F.softplus(D(batch.x).score - D(fake).score).mean()
    assert torch.allclose(loss, expected, rtol=1e-5)
    loss.backward()
    assert G.b.grad is not None and torch.isfinite(G.b.grad).all() and G.b.grad.abs() > 0
