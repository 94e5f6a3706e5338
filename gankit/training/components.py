"""Builds the trainable parts of a run from a Config: models, optimisers, objective, EMA."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import torch

from gankit.config import Config, LossConfig
from gankit.errors import GankitError
from gankit.losses import Objective, build_objective
from gankit.losses.auxiliary import needs_twin
from gankit.losses.mode_seeking import check_mode_seeking
from gankit.models import (
    DataSpec,
    Discriminator,
    Generator,
    build_discriminator,
    build_generator,
)
from gankit.models.registry import check_options
from gankit.precision import autocast_dtype
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
    G = place(build_generator(cfg.model, spec), device)
    check_mode_seeking(cfg, G.z_dim)
    twin = needs_twin(cfg.loss, cfg.model, spec.multi_label)
    D = place(build_discriminator(cfg.model, spec, twin), device)
    opt_g, opt_d = build_optimizers(G, D, cfg.optim)
    noise = torch.Generator().manual_seed(cfg.train.seed + 1)
    paired = spec.source_channels > 0 and cfg.loss.objective != "cycle"
    augment = None
    if cfg.augment.name != "none":  # kornia (~0.3 s of imports) only when asked for
        from gankit.training.augment import build_augment
        augment = build_augment(cfg.augment, spec, device, paired=paired)
    objective = build_objective(cfg.loss, spec, noise, augment)
    wants_ema = cfg.train.ema > 0 or cfg.schedule.ema_halflife > 0
    ema = EMA(G, cfg.train.ema, cfg.train.ema_start) if wants_ema else None
    if cfg.train.compile:  # after the EMA's copy: the average is only sampled from
        compile_models(G, D, cfg.loss, device)
    return Components(G, D, opt_g, opt_d, objective, ema, noise)


def place(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``model`` on ``device``; on a CPU with its image weights in channels-last layout
    unless the model says otherwise (``channels_last_on_cpu``).

    oneDNN's CPU convolutions run 1.2–1.5× faster on channels-last tensors (DCGAN 1.16×
    at 32 px and 1.18× at 64 px, the SNGAN ResNets 1.27–1.50×; ``benchmarks/RESULTS.md``,
    issue 13); activations follow the weights' layout, so inputs need no change. Only
    the arithmetic's order changes: a run stays repeatable and resumes bit for bit, and
    checkpoints load into models of either layout.
    """
    model = model.to(device)
    if torch.device(device).type == "cpu" and getattr(model, "channels_last_on_cpu", False):
        model = model.to(memory_format=torch.channels_last)
    return model


def compile_models(G: torch.nn.Module, D: torch.nn.Module, loss: LossConfig,
                   device: torch.device) -> None:
    """``train.compile``: G's and D's forward through ``torch.compile``, in place (the
    weights' names, hence checkpoints, stay those of the plain models). D stays eager
    when a gradient penalty (GP, R1, R2) needs its double backward, which compiled
    graphs do not support. On a CPU the compiled code is C++: a compiler must exist."""
    if torch.device(device).type == "cpu" and not any(
            shutil.which(name) for name in ("c++", "g++", "clang++")):
        raise GankitError("train.compile=true on the CPU needs a C++ compiler (e.g. "
                          "`apt-get install g++`); install one or leave train.compile off")
    G.compile()
    if not (loss.gp_weight > 0 or loss.r1_weight > 0 or loss.r2_weight > 0):
        D.compile()


def check_objective(cfg: Config) -> None:
    """CycleGAN's objective and networks come together, train.precision is known and
    applies, and D's minibatch groups fit the class runs (one-line errors before the run
    folder is written, not at the first step)."""
    cycle_nets = cfg.model.generator == "cyclegan" and cfg.model.discriminator == "cyclegan"
    if cfg.loss.objective == "cycle" and not cycle_nets:
        raise GankitError("loss.objective=cycle trains CycleGAN's two-way networks; set "
                          "model.generator=cyclegan and model.discriminator=cyclegan "
                          "(or start from the cyclegan preset)")
    if autocast_dtype(cfg.train.precision) is not None and cfg.loss.objective == "cycle":
        raise GankitError(f"train.precision={cfg.train.precision} is not supported with "
                          "loss.objective=cycle (its objective calls the networks' parts); "
                          "use train.precision=fp32")
    groups, mbstd = cfg.train.class_groups, cfg.model.d_mbstd
    if groups and mbstd and groups % mbstd:
        raise GankitError(f"model.d_mbstd={mbstd} must divide train.class_groups={groups}, "
                          "so that each group D measures lies within a run of one class")
