"""Builds the trainable parts of a run from a Config: models, optimisers, objective, EMA."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gankit.config import Config
from gankit.losses import GANObjective
from gankit.models import (
    DataSpec,
    Discriminator,
    Generator,
    build_discriminator,
    build_generator,
)
from gankit.models.registry import check_options
from gankit.training.ema import EMA
from gankit.training.optim import build_optimizers


@dataclass
class Components:
    """The trainable parts of a run."""

    G: Generator
    D: Discriminator
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    objective: GANObjective
    ema: EMA | None
    noise: torch.Generator


def build_components(cfg: Config, spec: DataSpec, device: torch.device) -> Components:
    """Models (seeded by ``train.seed``), optimisers, objective and EMA on ``device``."""
    check_options(cfg.model)
    torch.manual_seed(cfg.train.seed)
    G = build_generator(cfg.model, spec).to(device)
    D = build_discriminator(cfg.model, spec).to(device)
    opt_g, opt_d = build_optimizers(G, D, cfg.optim)
    noise = torch.Generator().manual_seed(cfg.train.seed + 1)
    objective = GANObjective(cfg.loss, spec.multi_label, noise)
    ema = EMA(G, cfg.train.ema, cfg.train.ema_start) if cfg.train.ema > 0 else None
    return Components(G, D, opt_g, opt_d, objective, ema, noise)
