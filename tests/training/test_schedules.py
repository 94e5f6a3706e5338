"""Schedules of lr, γ, β2 and EMA half-life as functions of images seen."""

import json
import math

import pytest
import torch

from gankit.config import load_config
from gankit.errors import GankitError
from gankit.losses import GANObjective
from gankit.training import train
from gankit.training.schedules import Schedule

TINY = ["data.size=64", "data.resolution=16", "model.g_width=8", "model.d_width=8",
        "train.batch_size=16", "train.tensorboard=false", "train.progress=false",
        "train.grid_size=8", "train.device=cpu", "train.epochs=0"]


def _schedule(*overrides, objective=None, span=1000):
    cfg = load_config("default", ["optim.lr_g=2e-4", "optim.lr_d=4e-4",
                                  "optim.betas=[0, 0.9]", *overrides])
    net = torch.nn.Linear(2, 2)
    opts = {key: torch.optim.Adam(net.parameters(), betas=(0.0, 0.9)) for key in "gd"}
    objective = objective if objective is not None else GANObjective(cfg.loss)
    return Schedule(cfg, opts, objective, span), opts, objective


def test_cosine_takes_r3gans_values_from_start_to_end():
    schedule, opts, objective = _schedule(
        "schedule.shape=cosine", "schedule.lr_end=0.25", "schedule.gamma_end=0.1",
        "schedule.beta2_end=0.99")
    for images, s in ((0, 0.0), (250, 0.5 * (1 - math.cos(math.pi / 4))), (500, 0.5),
                      (1000, 1.0), (5000, 1.0)):
        values = schedule.apply(images)
        assert values["lr_g"] == pytest.approx(2e-4 * (1 - 0.75 * s))
        assert opts["d"].param_groups[0]["lr"] == pytest.approx(4e-4 * (1 - 0.75 * s))
        assert opts["g"].param_groups[0]["betas"] == pytest.approx((0.0, 0.9 + 0.09 * s))
        assert objective.gamma_factor == pytest.approx(1 - 0.9 * s)


def test_linear_decay_over_the_second_half_as_cyclegan():
    schedule, opts, _ = _schedule("schedule.shape=linear", "schedule.begin=0.5",
                                  "schedule.lr_end=0")
    lrs = [schedule.apply(images)["lr_g"] for images in (0, 400, 500, 750, 1000)]
    assert lrs == pytest.approx([2e-4, 2e-4, 2e-4, 1e-4, 0.0])


def test_schedule_images_set_the_span_and_warmup_ramps_from_zero():
    schedule, _, _ = _schedule("schedule.shape=linear", "schedule.lr_end=0.5",
                               "schedule.images=100", "schedule.lr_warmup_images=50")
    assert [schedule.apply(i)["lr_g"] for i in (0, 25, 100, 900)] == pytest.approx(
        [0.0, 0.5 * 2e-4 * (1 - 0.5 * 0.25), 1e-4, 1e-4])


def test_constant_schedule_leaves_the_configured_values_and_scales_for_rollbacks():
    schedule, opts, objective = _schedule()
    assert schedule.apply(700) == {}  # nothing moves, nothing to log
    assert opts["g"].param_groups[0]["lr"] == 2e-4 and objective.gamma_factor == 1.0
    schedule.apply(700, lr_scale=0.25)
    assert opts["d"].param_groups[0]["lr"] == pytest.approx(1e-4)


def test_ema_half_life_in_images_with_growth_and_rampup():
    schedule, _, _ = _schedule("schedule.shape=linear", "schedule.ema_halflife=1000",
                               "schedule.ema_halflife_start=0")
    assert schedule.ema_decay(0, 10) == 0.0  # a half-life of 0 images: follow G
    assert schedule.ema_decay(500, 10) == pytest.approx(0.5 ** (10 / 500))
    assert schedule.ema_decay(1000, 10) == pytest.approx(0.5 ** (10 / 1000))
    ramped, _, _ = _schedule("schedule.ema_halflife=1000", "schedule.ema_rampup=0.05")
    assert ramped.ema_decay(2000, 10) == pytest.approx(0.5 ** (10 / 100))
    assert ramped.ema_decay(10 ** 6, 10) == pytest.approx(0.5 ** (10 / 1000))
    assert _schedule()[0].ema_decay(100, 10) is None  # train.ema decides


@pytest.mark.parametrize("overrides, culprit", [
    (["schedule.lr_end=0.1"], "schedule.lr_end"),
    (["schedule.shape=cosine", "schedule.beta2_end=0.99", "optim.name=rmsprop"],
     "schedule.beta2_end"),
    (["schedule.ema_halflife_start=0"], "schedule.ema_halflife_start"),
    (["schedule.shape=sine"], "sine"),
    (["schedule.begin=1"], "schedule.begin"),
])
def test_settings_that_would_be_ignored_are_errors(overrides, culprit):
    with pytest.raises(GankitError, match=culprit):
        _schedule(*overrides)


def test_gamma_schedule_needs_an_objective_with_gamma():
    with pytest.raises(GankitError, match="gamma_end"):
        _schedule("schedule.shape=cosine", "schedule.gamma_end=0.1", objective=object())


def test_a_run_logs_its_scheduled_lr_and_ends_at_the_end_value(tmp_path):
    cfg = load_config("default", [*TINY, "train.steps=6", "train.log_every=1",
                                  "schedule.shape=cosine", "schedule.lr_end=0.25"])
    trainer = train(cfg, out=tmp_path).trainer
    lrs = [json.loads(line)["lr_g"] for line in (tmp_path / "metrics.jsonl").read_text()
           .splitlines() if "lr_g" in line]
    images, span = [(i - 1) * 16 for i in range(1, 7)], 6 * 16
    assert lrs == pytest.approx([cfg.optim.lr_g * (1 - 0.75 * 0.5 * (1 - math.cos(math.pi * i
                                                                                  / span)))
                                 for i in images], rel=1e-5)
    assert lrs == sorted(lrs, reverse=True)
    assert trainer.opt_g.param_groups[0]["lr"] == pytest.approx(lrs[-1], rel=1e-5)
