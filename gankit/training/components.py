"""Builds the trainable parts of a run from a Config: models, optimisers, objective, EMA."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gankit.config import Config
from gankit.errors import GankitError
from gankit.losses import Objective, build_objective
from gankit.models import (
    DataSpec,
    Discriminator,
    Generator,
    build_discriminator,
    build_generator,
)
from gankit.models.registry import check_options
from gankit.training.augment import build_augment
from gankit.training.ema import EMA
from gankit.training.optim import build_optimizers


@dataclass
class Components:
    """The trainable parts of a run."""

    G: Generator
    D: Discriminator
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    objective: Objective
    ema: EMA | None
    noise: torch.Generator


def build_components(cfg: Config, spec: DataSpec, device: torch.device) -> Components:
    """Models (seeded by ``train.seed``), optimisers, D's augmentation, objective and EMA
    on ``device``."""
    check_options(cfg.model)
    check_objective(cfg)
    torch.manual_seed(cfg.train.seed)
    G = build_generator(cfg.model, spec).to(device)
    D = build_discriminator(cfg.model, spec).to(device)
    opt_g, opt_d = build_optimizers(G, D, cfg.optim)
    noise = torch.Generator().manual_seed(cfg.train.seed + 1)
    paired = spec.source_channels > 0 and cfg.loss.objective != "cycle"
    augment = build_augment(cfg.augment, spec, device, paired=paired)
    objective = build_objective(cfg.loss, spec, noise, augment)
    wants_ema = cfg.train.ema > 0 or cfg.schedule.ema_halflife > 0
    ema = EMA(G, cfg.train.ema, cfg.train.ema_start) if wants_ema else None
    return Components(G, D, opt_g, opt_d, objective, ema, noise)


def check_objective(cfg: Config) -> None:
    """CycleGAN's objective and networks come together (a one-line error before the run
    folder is written, not at the first step)."""
    cycle_nets = cfg.model.generator == "cyclegan" and cfg.model.discriminator == "cyclegan"
    if cfg.loss.objective == "cycle" and not cycle_nets:
        raise GankitError("loss.objective=cycle trains CycleGAN's two-way networks; set "
                          "model.generator=cyclegan and model.discriminator=cyclegan "
                          "(or start from the cyclegan preset)")
