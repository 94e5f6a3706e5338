"""Schedules of learning rate, R1/R2 γ, Adam β2 and EMA half-life over images seen.

R3GAN's recipe (Huang et al., 2024) decays lr 2e-4 → 5e-5 and γ tenfold, raises β2
0.9 → 0.99 and grows the EMA half-life from 0, all along one cosine over images seen;
CycleGAN holds lr for half the run and then decays it linearly to 0. Both are one
:class:`~gankit.config.ScheduleConfig`. Every value is a function of images seen, so a
resumed run and a changed batch size keep the recipe.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from gankit.config import Config
from gankit.errors import GankitError
from gankit.registry import Registry

SHAPES: Registry[Callable[[float], float]] = Registry("schedule shape")
SHAPES.register("constant", "values stay at their start")(lambda t: 0.0)
SHAPES.register("linear", "straight from start to end")(lambda t: t)
SHAPES.register("cosine", "half a cosine from start to end")(
    lambda t: 0.5 * (1.0 - math.cos(math.pi * t)))


class Schedule:
    """Sets the scheduled values on the optimisers and the objective before each step.

    Args:
        cfg: the whole config (``schedule`` plus the start values it moves from).
        optimizers: ``{"g": opt_g, "d": opt_d}``.
        objective: has ``gamma_factor`` when γ is scheduled.
        span_images: images over which values move (``schedule.images`` or the run).
    """

    def __init__(self, cfg: Config, optimizers: dict[str, torch.optim.Optimizer],
                 objective: object, span_images: int):
        self.cfg = cfg.schedule
        self.shape = SHAPES.get(self.cfg.shape)
        self.optimizers = optimizers
        self.objective = objective
        self.span = max(1, self.cfg.images or span_images)
        self.base_lr = {"g": cfg.optim.lr_g, "d": cfg.optim.lr_d}
        self.beta2_start = float(cfg.optim.betas[1])
        #: whether the learning rates move at all (only then are they logged)
        self.moves = self.cfg.shape != "constant" or self.cfg.lr_warmup_images > 0
        check_schedule(cfg, objective)

    def fraction(self, images: float) -> float:
        """How far along the shape the values are (0 at the start, 1 at the end)."""
        t = min(1.0, images / self.span)
        begin = self.cfg.begin
        return self.shape(max(0.0, t - begin) / (1.0 - begin))

    def apply(self, images: float, lr_scale: float = 1.0) -> dict[str, float]:
        """Set lr, β2 and γ for the step that starts after ``images`` images; returns
        the scheduled values to log (none when nothing moves). ``lr_scale`` multiplies the learning rates (a
        divergence rollback lowers them)."""
        s, cfg = self.fraction(images), self.cfg
        warmup = min(1.0, images / cfg.lr_warmup_images) if cfg.lr_warmup_images else 1.0
        factor = (1.0 + (cfg.lr_end - 1.0) * s) * warmup * lr_scale
        for key, opt in self.optimizers.items():
            for group in opt.param_groups:
                group["lr"] = self.base_lr[key] * factor
                if cfg.beta2_end is not None:
                    beta2 = self.beta2_start + (cfg.beta2_end - self.beta2_start) * s
                    group["betas"] = (group["betas"][0], beta2)
        values = {"lr_g": self.base_lr["g"] * factor} if self.moves else {}
        if hasattr(self.objective, "gamma_factor"):
            self.objective.gamma_factor = 1.0 + (cfg.gamma_end - 1.0) * s
        return values

    def ema_decay(self, images: float, images_per_step: int) -> float | None:
        """The EMA decay for one step of ``images_per_step`` images from a half-life in
        images (None: the EMA uses ``train.ema``)."""
        cfg = self.cfg
        if cfg.ema_halflife <= 0:
            return None
        start = cfg.ema_halflife if cfg.ema_halflife_start is None else cfg.ema_halflife_start
        halflife = start + (cfg.ema_halflife - start) * self.fraction(images)
        if cfg.ema_rampup > 0:
            halflife = min(halflife, images * cfg.ema_rampup)
        return 0.5 ** (images_per_step / halflife) if halflife > 0 else 0.0


def check_schedule(cfg: Config, objective: object) -> None:
    """One-line errors for schedules that would be silently ignored."""
    s = cfg.schedule
    SHAPES.get(s.shape)
    moving = [key for key, on in (("lr_end", s.lr_end != 1.0), ("gamma_end", s.gamma_end != 1.0),
                                  ("beta2_end", s.beta2_end is not None),
                                  ("ema_halflife_start", s.ema_halflife_start is not None))
              if on]
    if moving and s.shape == "constant":
        raise GankitError(f"schedule.{moving[0]} is set but schedule.shape is constant; "
                          "set schedule.shape=cosine or linear")
    if s.beta2_end is not None and cfg.optim.name != "adam":
        raise GankitError(f"schedule.beta2_end needs optim.name=adam, not {cfg.optim.name}")
    if s.gamma_end != 1.0 and not hasattr(objective, "gamma_factor"):
        raise GankitError(f"schedule.gamma_end: the {cfg.loss.objective} objective has no "
                          "R1/R2 γ to schedule")
    if s.ema_halflife_start is not None and s.ema_halflife <= 0:
        raise GankitError("schedule.ema_halflife_start needs schedule.ema_halflife > 0 "
                          "(the half-life it moves to)")
