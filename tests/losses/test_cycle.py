"""CycleGAN's objective: the history pool, the loss terms on hand-made networks, its
errors, and an exact resume of a cycle run (pools included)."""

import pytest
import torch
from torch import nn

from gankit.config import LossConfig, load_config
from gankit.data.base import Batch
from gankit.errors import GankitError
from gankit.losses import OBJECTIVES, build_objective
from gankit.losses.cycle import CycleFakes, CycleObjective, HistoryPool
from gankit.models import DataSpec, DOutput
from gankit.runs import load_checkpoint
from gankit.training import train

SPEC = DataSpec(channels=3, resolution=8, source_channels=3)


def images(n, value=None, seed=0):
    if value is not None:
        return torch.full((n, 3, 8, 8), float(value))
    return torch.rand(n, 3, 8, 8, generator=torch.Generator().manual_seed(seed)) * 2 - 1


# ---------------------------------------------------------------- the pool

def test_pool_fills_first_then_swaps_half_of_the_fakes():
    pool = HistoryPool(4, torch.Generator().manual_seed(0))
    first = images(4, seed=1)
    assert torch.equal(pool.query(first), first) and len(pool) == 4
    old = 0
    for step in range(200):
        fakes = images(4, 100 + step)  # a new value per batch: an old image shows
        out = pool.query(fakes)
        assert len(pool) == 4 and out.shape == fakes.shape
        old += int((out != 100 + step).flatten(1).all(1).sum())
    assert 0.4 < old / 800 < 0.6, "about half of the returned fakes are stored ones"


def test_pool_returns_what_it_stored():
    pool = HistoryPool(2, torch.Generator().manual_seed(3))
    pool.query(torch.stack([images(1, 1)[0], images(1, 2)[0]]))
    seen = set()
    for _ in range(20):
        out = pool.query(images(1, 9))
        seen.add(float(out.flatten()[0]))
    assert seen <= {1.0, 2.0, 9.0} and 9.0 in seen and seen & {1.0, 2.0}


def test_pool_of_size_zero_passes_fakes_through_and_draws_nothing():
    noise = torch.Generator().manual_seed(0)
    state = noise.get_state()
    fakes = images(3)
    assert torch.equal(HistoryPool(0, noise).query(fakes), fakes)
    assert torch.equal(noise.get_state(), state)


def test_pool_state_round_trip_and_seeded_repeatability():
    def run(pool, start):
        return torch.cat([pool.query(images(2, seed=start + i)) for i in range(6)])

    a = HistoryPool(3, torch.Generator().manual_seed(7))
    b = HistoryPool(3, torch.Generator().manual_seed(7))
    assert torch.equal(run(a, 0), run(b, 0)), "same seed, same picks"
    noise = torch.Generator().manual_seed(11)
    saved_noise = noise.get_state()
    c = HistoryPool(3, noise)
    saved = a.state_dict()
    assert saved["images"].shape == (3, 3, 8, 8)
    c.load_state_dict(saved)
    a.generator.set_state(saved_noise)
    assert torch.equal(run(a, 50), run(c, 50)), "a restored pool continues identically"
    assert not torch.equal(run(HistoryPool(3, torch.Generator().manual_seed(8)), 0),
                           run(HistoryPool(3, torch.Generator().manual_seed(7)), 0))


# ---------------------------------------------------------------- the loss terms

class Shift(nn.Module):
    """A "generator" adding a constant: identity for 0."""

    def __init__(self, by: float):
        super().__init__()
        self.by = by
        self.weight = nn.Parameter(torch.zeros(()))

    def forward(self, z, cond=None, source=None):
        return source + self.by + self.weight


class Pair(nn.Module):
    def __init__(self, a_to_b, b_to_a):
        super().__init__()
        self.a_to_b, self.b_to_a = a_to_b, b_to_a

    def forward(self, z, cond=None, source=None):
        return self.a_to_b(z, cond, source)


class ConstantD(nn.Module):
    def __init__(self, score: float):
        super().__init__()
        self.score = score

    def forward(self, x, cond=None, source=None):
        return DOutput(torch.full((len(x), 1, 2, 2), self.score))


class TwoD(nn.Module):
    def __init__(self, score_a: float, score_b: float):
        super().__init__()
        self.d_a, self.d_b = ConstantD(score_a), ConstantD(score_b)


def objective(**loss):
    cfg = LossConfig(objective="cycle", name="lsgan", **loss)
    return build_objective(cfg, SPEC, torch.Generator().manual_seed(0))


def test_identity_generators_have_zero_cycle_and_identity_loss():
    batch = Batch(images(4, seed=1), None, images(4, seed=2))
    G, D = Pair(Shift(0.0), Shift(0.0)), TwoD(0.5, 0.5)
    loss, stats = objective().g_loss(G, D, batch)
    assert stats["cycle"] == 0 and stats["identity"] == 0
    # CycleGAN's G term: MSE(D(fake), 1) per direction = 0.25 each
    assert float(stats["loss_g_adv"]) == pytest.approx(0.5)
    assert float(loss.detach()) == pytest.approx(0.5)


def test_hand_made_cycle_and_identity_values():
    a, b = images(2, seed=3), images(2, seed=4)
    batch = Batch(b, None, a)
    G, D = Pair(Shift(0.1), Shift(-0.1)), TwoD(1.0, 1.0)  # a cycle back to the input
    loss, stats = objective(cycle_weight=10.0, identity_weight=0.5).g_loss(G, D, batch)
    assert float(stats["cycle"]) == pytest.approx(0.0, abs=1e-6)
    # |G_AB(b) - b| = |G_BA(a) - a| = 0.1
    assert float(stats["identity"]) == pytest.approx(0.2, abs=1e-6)
    assert float(loss.detach()) == pytest.approx(0.5 * 10.0 * 0.2, abs=1e-5)  # D fooled

    G = Pair(Shift(0.3), Shift(0.0))  # no way back: each cycle is off by 0.3 on one side
    _, stats = objective(identity_weight=0.0).g_loss(G, D, batch)
    assert float(stats["cycle"]) == pytest.approx(0.6, abs=1e-6) and "identity" not in stats


def test_d_loss_is_half_the_lsgan_objective_per_domain():
    batch = Batch(images(4, seed=1), None, images(4, seed=2))
    G, D = Pair(Shift(0.0), Shift(0.0)), TwoD(0.0, 1.0)
    loss, stats = objective(history=0).d_loss(G, D, batch)
    # constant scores s on reals and fakes: ½((s-1)² + s²) = ½ per domain
    assert float(stats["loss_d_a"]) == pytest.approx(0.5)
    assert float(loss.detach()) == pytest.approx(1.0)
    assert set(stats) >= {"loss_d", "d_real", "d_fake"}


def test_fakes_are_both_translations_and_the_d_phase_sees_them_detached():
    G = Pair(Shift(0.2), Shift(-0.2))
    batch = Batch(images(2, seed=1), None, images(2, seed=2))
    obj = objective()
    fake = obj.fake(G, batch)
    assert isinstance(fake, CycleFakes)
    assert torch.allclose(fake.b, batch.source + 0.2) and torch.allclose(fake.a, batch.x - 0.2)
    assert fake.b.requires_grad
    obj.d_loss(G, TwoD(0.0, 0.0), batch, fake)
    assert obj.pool_a.images is not None and not obj.pool_a.images.requires_grad


def test_objective_errors_name_the_fix():
    assert "cycle" in OBJECTIVES
    with pytest.raises(GankitError, match="identity_weight=0"):
        build_objective(LossConfig(objective="cycle"),
                        DataSpec(channels=3, resolution=8, source_channels=1), None)
    with pytest.raises(GankitError, match="two image domains"):
        build_objective(LossConfig(objective="cycle"), DataSpec(channels=3, resolution=8), None)
    with pytest.raises(GankitError, match="model.generator=cyclegan"):
        objective().fake(Shift(0.0), Batch(images(1), None, images(1)))
    with pytest.raises(GankitError, match="unpaired data"):
        objective().fake(Pair(Shift(0.0), Shift(0.0)), Batch(images(1)))
    with pytest.raises(GankitError, match="lsgan"):
        CycleObjective(LossConfig(objective="cycle", name="rpgan"))


def test_the_trainer_runs_the_cycle_objective_with_a_gan_model_refused(tmp_path):
    cfg = load_config("cyclegan", ["model.generator=unet", "model.discriminator=patchgan",
                                   "model.options={}", "data.size=8", "data.resolution=32",
                                   "train.batch_size=4", "train.steps=1",
                                   "train.progress=false", "train.tensorboard=false"])
    with pytest.raises(GankitError, match="model.generator=cyclegan"):
        train(cfg, out=tmp_path / "run")


# ---------------------------------------------------------------- resume

CYCLE = ["data.size=24", "data.resolution=16", "model.g_width=4", "model.d_width=4",
         "model.options={blocks: 1, n_layers: 1}", "loss.history=6", "train.batch_size=4",
         "train.progress=false", "train.tensorboard=false", "train.grid_size=4",
         "train.sample_every=0", "train.device=cpu", "train.checkpoint_every=4",
         "schedule.images=32"]  # one lr schedule for the whole and the half run


def _weights(trainer):
    return torch.cat([p.detach().flatten() for p in list(trainer.G.parameters())
                      + list(trainer.D.parameters())])


def test_a_resumed_cycle_run_is_identical_pools_included(tmp_path):
    full = train(load_config("cyclegan", CYCLE + ["train.steps=8"]), out=tmp_path / "full")
    train(load_config("cyclegan", CYCLE + ["train.steps=4"]), out=tmp_path / "half")
    state = load_checkpoint(tmp_path / "half")
    pool = state["objective"]["pool_b"]["images"]
    assert pool.shape == (6, 3, 16, 16), "the pool is saved with the run"
    resumed = train(load_config("cyclegan", CYCLE + ["train.steps=8"]),
                    resume=tmp_path / "half").trainer
    assert resumed.step == 8
    assert torch.equal(_weights(full.trainer), _weights(resumed))
    for name in ("pool_a", "pool_b"):
        assert torch.equal(getattr(full.trainer.objective, name).images,
                           getattr(resumed.objective, name).images)
