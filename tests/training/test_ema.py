"""The generator's moving average: ramped decay, copied buffers, start step, standing statistics."""

import torch
from torch import nn

from gankit.training.ema import EMA, StandingStatistics


def _model(value: float) -> nn.Module:
    model = nn.BatchNorm1d(1)
    with torch.no_grad():
        model.weight.fill_(value)
    return model


def test_decay_ramps_up_so_early_weights_fade():
    model, ema = _model(0.0), EMA(_model(0.0), decay=0.999)
    ema.shadow.weight.data.fill_(0.0)
    expected = 0.0
    for step in range(1, 201):
        model.weight.data.fill_(float(step))
        model.running_mean.fill_(float(step))
        ema.update(model, step)
        decay = min(0.999, step / (9 + step))  # (1 + t) / (10 + t), t = step - 1
        expected = decay * expected + (1 - decay) * step
    assert abs(float(ema.shadow.weight) - expected) < 1e-3 * expected  # float32 steps
    # a fixed 0.999 would still sit near the first weights (~20); the ramp tracks the
    # recent ones
    assert float(ema.shadow.weight) > 150
    assert float(ema.shadow.running_mean) == 200.0  # buffers are copied


def test_before_start_step_the_shadow_follows_the_model():
    model, ema = _model(1.0), EMA(_model(1.0), decay=0.99, start_step=10)
    model.weight.data.fill_(5.0)
    ema.update(model, 3)
    assert float(ema.shadow.weight) == 5.0


class _TinyG(nn.Module):
    """z → Linear → BatchNorm (no affine), the shape of a generator's first block."""

    z_dim = 4

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.bn = nn.BatchNorm1d(3, affine=False)

    def forward(self, z, cond=None, source=None):
        return self.bn(self.fc(z))

    def sample_z(self, n, device="cpu", generator=None):
        return torch.randn(n, 4, generator=generator)


def _draw_counting(calls: list):
    def draw(rng):
        calls.append(1)
        return (torch.randn(256, 4, generator=rng),)
    return draw


def test_standing_statistics_fit_the_averaged_weights_not_the_copied_ones():
    torch.manual_seed(0)
    model = _TinyG()
    ema = EMA(model, decay=0.5, standing=StandingStatistics(_draw_counting([]), batches=8))
    with torch.no_grad():  # the trained weights move far: the average lies between
        model.fc.weight.mul_(10.0)
        model.fc.bias.add_(5.0)
    model.train()
    for _ in range(20):  # the trained net's running statistics
        model(torch.randn(256, 4))
    ema.update(model, step=100)
    z = torch.randn(4096, 4)
    copied = ema.shadow.eval()(z)
    standing = ema.sampler(z)
    # normalised activations should be ~N(0, 1); the copied statistics belong to weights
    # 10× larger (the average's are 5.5×): spread ≈ 0.55, and shifted
    assert copied.std(0).max() < 0.7 and copied.mean(0).abs().max() > 0.3
    assert standing.mean(0).abs().max() < 0.1
    assert (standing.std(0) - 1).abs().max() < 0.1
    assert not ema.sampler.training


def test_standing_statistics_are_a_plain_average_over_the_batches():
    torch.manual_seed(0)
    net = _TinyG()
    batches = [torch.randn(64, 4) for _ in range(3)]
    feed = iter(batches)
    StandingStatistics(lambda rng: (next(feed),), batches=3).apply(net)
    with torch.no_grad():
        acts = [net.fc(b) for b in batches]
    mean = torch.stack([a.mean(0) for a in acts]).mean(0)
    var = torch.stack([a.var(0, unbiased=True) for a in acts]).mean(0)
    assert torch.allclose(net.bn.running_mean, mean, atol=1e-6)
    assert torch.allclose(net.bn.running_var, var, atol=1e-6)
    assert net.bn.momentum == 0.1  # restored


def test_standing_statistics_run_once_per_update_and_leave_the_global_rng_alone():
    calls = []
    model = _TinyG()
    ema = EMA(model, decay=0.9, standing=StandingStatistics(_draw_counting(calls), batches=4))
    state = torch.get_rng_state()
    assert ema.sampler is ema.sampler is ema.shadow
    assert len(calls) == 4  # fresh until the next update
    ema.update(model, step=1)
    ema.state_dict()  # what a checkpoint saves is re-estimated too
    assert ema.sampler is ema.shadow
    assert len(calls) == 8
    assert torch.equal(torch.get_rng_state(), state)


def test_a_generator_without_batchnorm_is_never_re_estimated():
    calls = []
    ema = EMA(nn.Linear(4, 3), standing=StandingStatistics(_draw_counting(calls), batches=4))
    ema.update(nn.Linear(4, 3), step=1)
    assert ema.sampler is ema.shadow
    assert ema.standing is None and not calls
