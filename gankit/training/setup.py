"""Builds everything a run needs from a Config: data, models, optimisers, objective."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import torch

from gankit.config import Config, DataConfig
from gankit.data import load_dataset
from gankit.data.base import Dataset, ImageDataset
from gankit.data.registry import DataRequest
from gankit.errors import GankitError
from gankit.losses import GANObjective
from gankit.models import DataSpec, Discriminator, Generator, build_discriminator, build_generator
from gankit.models.registry import check_options
from gankit.training.ema import EMA
from gankit.training.optim import build_optimizers


def pick_device(name: str) -> torch.device:
    """``auto`` → CUDA when present, else CPU; ``cuda`` without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise GankitError("--device cuda was asked for but no CUDA GPU is visible; "
                          "use --device cpu or auto")
    try:
        return torch.device(name)
    except RuntimeError:
        raise GankitError(f"unknown device {name!r}; use auto, cpu or cuda") from None


def data_request(cfg: DataConfig) -> DataRequest:
    """The DataRequest a data config asks for."""
    fields = asdict(cfg)
    fields.pop("flip")
    return DataRequest(**fields)


def build_dataset(cfg: DataConfig) -> Dataset:
    """Load (or generate) the configured dataset and check its labels."""
    dataset = load_dataset(data_request(cfg))
    if cfg.labels in ("class", "multi") and dataset.labels is None:
        raise GankitError(f"data.labels={cfg.labels} but {cfg.name} has no labels")
    return dataset


def data_spec(dataset: Dataset) -> DataSpec:
    """The DataSpec that describes ``dataset`` to the models."""
    if isinstance(dataset, ImageDataset):
        c, h, _ = dataset.shape
        sources = 0 if dataset.sources is None else dataset.sources.shape[1]
        return DataSpec("image", c, h, dataset.num_classes, dataset.multi_label, sources)
    return DataSpec("points", dataset.shape[0], 0, dataset.num_classes, False, 0)


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


def generator_from_checkpoint(state: dict, device: torch.device | str = "cpu",
                              use_ema: bool = True) -> tuple[Generator, Config, DataSpec]:
    """Rebuild the (EMA) generator stored in a checkpoint, in eval mode."""
    from gankit.config import config_from_dict

    cfg = config_from_dict(state["config"])
    spec = DataSpec(**state["data_spec"])
    # every weight comes from the checkpoint: never look for ImageNet files (an encoder's
    # "pretrained" option would warn, or fail where the file is missing)
    G = build_generator(replace(cfg.model, options={**cfg.model.options, "pretrained": False}),
                        spec)
    weights = state["ema"] if use_ema and state.get("ema") is not None else state["generator"]
    G.load_state_dict(weights)
    return G.to(device).eval(), cfg, spec
