"""Mode seeking (MSGAN, and DSGAN's capped form): pairs that share a condition, the
terms against hand computations, their effect on a generator, and their user errors."""

import pytest
import torch
import torch.nn.functional as F

from gankit.cli.main import main
from gankit.config import LossConfig, ModelConfig, load_config
from gankit.data.base import Batch
from gankit.errors import GankitError
from gankit.losses import GANObjective
from gankit.losses.mode_seeking import (
    EPS,
    capped_pair_loss,
    check_mode_seeking,
    mode_seeking_loss,
    paired_latents,
    paired_rows,
)
from gankit.models import DataSpec, build_discriminator, build_generator


def test_paired_rows_repeat_the_first_half_and_keep_an_odd_last_row():
    rows = torch.arange(5.0)[:, None]
    assert paired_rows(rows).flatten().tolist() == [0, 1, 0, 1, 4]
    assert paired_rows(None) is None


def test_paired_latents_share_the_code_and_keep_their_own_noise():
    z = torch.randn(6, 10, generator=torch.Generator().manual_seed(0))
    paired = paired_latents(z, latent_codes=3)
    codes = paired[:, -3:].argmax(1)
    assert torch.equal(codes[:3], codes[3:])
    assert torch.equal(codes[:3], z[:3, -3:].argmax(1))
    assert torch.equal(paired[:, :-3], z[:, :-3])  # the free noise is untouched
    assert torch.equal(paired_latents(z, 0), z)


def test_the_term_is_the_inverse_of_image_distance_per_latent_distance():
    fake = torch.tensor([[0.0, 1.0], [2.0, 2.0], [1.0, 0.0], [2.0, -2.0]])
    z = torch.tensor([[0.0], [1.0], [2.0], [4.0]])
    # image gaps |0-1|,|1-0| and |2-2|,|2+2| → mean 1.5; latent gaps 2 and 3 → mean 2.5
    expected = 1.0 / (1.5 / 2.5 + EPS)
    assert mode_seeking_loss(fake, z).item() == pytest.approx(expected)
    collapsed = torch.zeros(4, 2)
    assert mode_seeking_loss(collapsed, z).item() == pytest.approx(1 / EPS)


def test_the_capped_term_rewards_each_pair_up_to_the_cap():
    fake = torch.tensor([[0.0, 1.0], [2.0, 2.0], [1.0, 0.0], [2.0, -2.0]])
    z = torch.tensor([[0.0], [1.0], [2.0], [4.0]])
    # pair 1: image gap 1 over latent gap 2 → 0.5; pair 2: image gap 2 over 3 → 0.667
    assert capped_pair_loss(fake, z, cap=1.0).item() == pytest.approx(-(0.5 + 2 / 3) / 2)
    assert capped_pair_loss(fake, z, cap=0.6).item() == pytest.approx(-(0.5 + 0.6) / 2)
    fake.requires_grad_(True)
    capped_pair_loss(fake, z, cap=0.6).backward()
    # only the pair below the cap is pushed apart, and away from its twin
    assert fake.grad[[1, 3]].abs().sum() == 0
    assert torch.equal(fake.grad[0].sign(), torch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError):
        capped_pair_loss(fake[:1], z[:1], cap=1.0)


def test_a_collapsed_pair_counts_even_when_the_batch_mean_is_high():
    z = torch.zeros(4, 1)
    z[2:] = 1.0
    varied = torch.tensor([[0.0], [0.0], [4.0], [0.0]])  # pair 1 identical, pair 2 apart
    # MSGAN's batch mean hides the identical pair: the same term as two pairs 2 apart
    even = torch.tensor([[0.0], [0.0], [2.0], [2.0]])
    assert mode_seeking_loss(varied, z).item() == pytest.approx(mode_seeking_loss(even, z).item())
    assert capped_pair_loss(varied, z, cap=2.0) > capped_pair_loss(even, z, cap=2.0)


def _conditional(mode_seeking: float, latent_codes: int = 0, cap: float = 0.0):
    torch.manual_seed(0)
    spec = DataSpec("image", 3, 16, num_classes=4)
    model = ModelConfig(g_width=8, d_width=8, g_cond="cbn", d_cond="projection",
                        latent_codes=latent_codes)
    G, D = build_generator(model, spec), build_discriminator(model, spec)
    cond = F.one_hot(torch.tensor([0, 1, 2, 3, 1, 2]), 4).float()
    batch = Batch(torch.rand(6, 3, 16, 16) * 2 - 1, cond)
    objective = GANObjective(LossConfig(mode_seeking=mode_seeking, mode_seeking_cap=cap), False,
                             torch.Generator().manual_seed(1))
    return G, D, batch, objective


def test_g_phase_draws_its_own_pairs_under_shared_conditions_and_adds_the_term():
    G, D, batch, objective = _conditional(0.5, latent_codes=2)
    seen = []
    G.register_forward_hook(lambda module, args, out: seen.append((args[0], args[1], out)))
    assert not objective.shares_fakes
    loss, stats = objective.g_loss(G, D, batch, fake=torch.zeros(6, 3, 16, 16))
    (z, cond, fake), = seen
    assert cond.argmax(1).tolist() == [0, 1, 2, 0, 1, 2]
    assert torch.equal(objective.codes[:3], objective.codes[3:])
    term = mode_seeking_loss(fake, z)
    torch.testing.assert_close(stats["mode_seeking"], term.detach())
    out = D(fake, cond)
    code = F.cross_entropy(out.info, objective.codes)  # InfoGAN's term, weight 1
    adversarial = F.softplus(-out.score).mean()
    torch.testing.assert_close(loss, adversarial + 0.5 * term + code)


def test_with_a_cap_the_g_phase_adds_the_capped_term_instead():
    G, D, batch, objective = _conditional(2.0, cap=0.05)
    seen = []
    G.register_forward_hook(lambda module, args, out: seen.append((args[0], out)))
    loss, stats = objective.g_loss(G, D, batch)
    (z, fake), = seen
    term = capped_pair_loss(fake, z, 0.05)
    torch.testing.assert_close(stats["mode_seeking"], term.detach())
    adversarial = F.softplus(-D(fake, paired_rows(batch.cond)).score).mean()
    torch.testing.assert_close(loss, adversarial + 2.0 * term)


def test_without_mode_seeking_the_g_phase_reuses_the_d_phase_fakes():
    G, D, batch, objective = _conditional(0.0)
    assert objective.shares_fakes
    fake = torch.zeros(6, 3, 16, 16)
    loss, stats = objective.g_loss(G, D, batch, fake)
    assert "mode_seeking" not in stats
    torch.testing.assert_close(loss, F.softplus(-D(fake, batch.cond).score).mean())


def test_the_term_alone_teaches_a_generator_to_use_its_noise():
    torch.manual_seed(0)
    G = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh())
    with torch.no_grad():
        G[0].weight.mul_(0.01)  # nearly ignores z, as a collapsed G does
    opt = torch.optim.Adam(G.parameters(), lr=1e-2)
    z = torch.randn(64, 4)

    def spread():
        return mode_seeking_loss(G(z), z).item()

    before = spread()
    for _ in range(100):
        z = torch.randn(64, 4)
        loss = mode_seeking_loss(G(z), z)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert spread() < before / 10


def test_the_capped_term_alone_teaches_a_generator_its_noise_up_to_the_cap():
    def trained(cap: float) -> torch.Tensor:
        torch.manual_seed(0)
        G = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh())
        with torch.no_grad():
            G[0].weight.mul_(0.01)  # nearly ignores z, as a collapsed G does
        opt = torch.optim.Adam(G.parameters(), lr=3e-3)
        for _ in range(200):
            z = torch.randn(64, 4)
            loss = capped_pair_loss(G(z), z, cap)
            opt.zero_grad()
            loss.backward()
            opt.step()
        z = torch.randn(256, 4, generator=torch.Generator().manual_seed(1))
        fake = G(z)
        return (fake[:128] - fake[128:]).abs().mean(1) / (z[:128] - z[128:]).abs().mean(1)

    capped, uncapped = trained(0.2), trained(5.0)
    assert (capped < 0.2).float().mean() < 0.1  # collapsed pairs were pushed to the cap
    assert capped.median() < 0.5 * uncapped.median()  # and no further


def test_user_errors(tmp_path, capsys):
    config = load_config("pix2pix", ["loss.mode_seeking=1"])
    with pytest.raises(GankitError, match="loss.mode_seeking"):
        check_mode_seeking(config, z_dim=0)
    config = load_config("cyclegan", ["loss.mode_seeking=1"])
    with pytest.raises(GankitError, match="loss.objective=cycle"):
        check_mode_seeking(config, z_dim=100)
    config = load_config("default", ["loss.mode_seeking=1", "train.batch_size=1"])
    with pytest.raises(GankitError, match="train.batch_size"):
        check_mode_seeking(config, z_dim=100)
    config.loss.mode_seeking = 0.0
    check_mode_seeking(config, z_dim=0)  # off: nothing to check
    config.loss.mode_seeking_cap = 0.05
    with pytest.raises(GankitError, match="loss.mode_seeking_cap"):
        check_mode_seeking(config, z_dim=100)
    assert main(["train", "pix2pix", "--set", "loss.mode_seeking=1", "--steps", "1",
                 "--out", str(tmp_path / "run"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "loss.mode_seeking" in err[0]
    assert not (tmp_path / "run").exists()
    assert main(["train", "--set", "loss.mode_seeking=-1", "--steps", "1",
                 "--out", str(tmp_path / "run"), "--no-progress"]) == 2
    assert "loss.mode_seeking" in capsys.readouterr().err
