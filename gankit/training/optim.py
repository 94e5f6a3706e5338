"""Optimisers by name, with separate learning rates for G and D."""

from __future__ import annotations

from typing import Callable, Iterable

import torch

from gankit.config import OptimConfig
from gankit.registry import Registry

OPTIMIZERS: Registry[Callable[[Iterable, float, OptimConfig], torch.optim.Optimizer]] = \
    Registry("optimizer")


@OPTIMIZERS.register("adam")
def _adam(params, lr: float, cfg: OptimConfig):
    """Adam with the configured betas (DCGAN: 0.5, 0.999; WGAN-GP: 0, 0.9)"""
    return torch.optim.Adam(params, lr=lr, betas=tuple(float(b) for b in cfg.betas),
                            weight_decay=cfg.weight_decay)


@OPTIMIZERS.register("rmsprop")
def _rmsprop(params, lr: float, cfg: OptimConfig):
    """RMSprop (the WGAN paper's choice with weight clipping)"""
    return torch.optim.RMSprop(params, lr=lr, weight_decay=cfg.weight_decay)


def build_optimizers(G: torch.nn.Module, D: torch.nn.Module, cfg: OptimConfig
                     ) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """(opt_g, opt_d) for the configured optimiser and learning rates."""
    make = OPTIMIZERS.get(cfg.name)
    return make(G.parameters(), cfg.lr_g, cfg), make(D.parameters(), cfg.lr_d, cfg)
