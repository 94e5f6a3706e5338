"""The generator's moving average: ramped decay, copied buffers, start step."""

import torch
from torch import nn

from gankit.training.ema import EMA


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
