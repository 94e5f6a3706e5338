"""2-D toy distributions for MLP GANs, where mode collapse is visible and countable.

- ``ring8``: 8 Gaussians evenly spaced on a circle of radius 2, std 0.02 (the
  unrolled-GAN setup of Metz et al., 2017).
- ``grid25``: 25 Gaussians on the grid {-4, -2, 0, 2, 4}², std 0.05.
- ``swissroll``: the 2-D swiss roll of scikit-learn's ``make_swiss_roll`` (x, z
  coordinates), divided by 7.5 to lie in about [-2, 2]; it has no modes, so no labels
  or centres.

Gaussian mixtures pick each point's mode uniformly; the mode index is its label.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from gankit.data.base import PointDataset, check_label_mode
from gankit.data.registry import DATASETS, DataRequest
from gankit.data.shapes import check_options, split_seed
from gankit.errors import GankitError
from gankit.registry import Registry

# name → sampler(n, generator, std) -> PointDataset; std=None means the default.
MixtureSampler = Callable[[int, torch.Generator, "float | None"], PointDataset]
MIXTURES: Registry[MixtureSampler] = Registry("toy2d mixture")

_SWISSROLL_SCALE = 7.5       # sklearn's roll spans about ±14; this maps it into ±2
_SWISSROLL_NOISE = 0.25 / _SWISSROLL_SCALE


def _gaussian_mixture(name: str, centers: torch.Tensor, std: float, n: int,
                      generator: torch.Generator) -> PointDataset:
    labels = torch.randint(len(centers), (n,), generator=generator)
    noise = torch.randn(n, 2, generator=generator) * std
    return PointDataset(
        points=centers[labels] + noise,
        labels=labels,
        class_names=[f"mode {k}" for k in range(len(centers))],
        centers=centers,
        std=std,
        description=f"{name}: {n} points from {len(centers)} Gaussians, std {std:g}",
    )


@MIXTURES.register("ring8", help="8 Gaussians on a circle of radius 2, std 0.02")
def sample_ring8(n: int, generator: torch.Generator, std: float | None = None) -> PointDataset:
    angles = torch.arange(8, dtype=torch.float64) * (2 * math.pi / 8)
    centers = (2.0 * torch.stack([angles.cos(), angles.sin()], dim=1)).float()
    return _gaussian_mixture("ring8", centers, 0.02 if std is None else std, n, generator)


@MIXTURES.register("grid25", help="25 Gaussians on the grid {-4,-2,0,2,4}^2, std 0.05")
def sample_grid25(n: int, generator: torch.Generator, std: float | None = None) -> PointDataset:
    axis = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
    centers = torch.cartesian_prod(axis, axis)  # mode 5*i + j is (axis[i], axis[j])
    return _gaussian_mixture("grid25", centers, 0.05 if std is None else std, n, generator)


@MIXTURES.register("swissroll", help="2-D swiss roll in about [-2, 2]^2 (no modes)")
def sample_swissroll(n: int, generator: torch.Generator,
                     std: float | None = None) -> PointDataset:
    std = _SWISSROLL_NOISE if std is None else std
    t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator))
    roll = torch.stack([t * t.cos(), t * t.sin()], dim=1) / _SWISSROLL_SCALE
    points = roll + torch.randn(n, 2, generator=generator) * std
    return PointDataset(points=points, std=std,
                        description=f"swissroll: {n} points, noise std {std:g}")


def sample_mixture(name: str, n: int, seed: int = 0, std: float | None = None) -> PointDataset:
    """Sample ``n`` points of a toy distribution.

    Args:
        name: ``ring8``, ``grid25`` or ``swissroll``.
        n: number of points.
        seed: the same seed gives identical points.
        std: noise standard deviation; ``None`` for the distribution's default.

    Returns:
        float32 points ``[n, 2]``, with mode labels and centres for the mixtures.
    """
    sampler = MIXTURES.get(name)
    if n < 0:
        raise GankitError(f"{name}: size={n} is negative; use 0 (default) or more")
    if std is not None and not (isinstance(std, (int, float)) and std > 0):
        raise GankitError(f"{name}: std={std!r} is invalid; use a positive number")
    data = sampler(n, torch.Generator().manual_seed(seed), std)
    data.meta.update({"generator": "gankit.data.toy2d", "mixture": name, "seed": seed})
    return data


# ---------------------------------------------------------------- dataset builders

_DEFAULT_SIZE = {"train": 50_000, "valid": 10_000, "test": 10_000}


def _keep_labels(data: PointDataset, dataset: str) -> PointDataset:
    return data


def _require_labels(data: PointDataset, dataset: str) -> PointDataset:
    if data.labels is None:
        raise GankitError(f"{dataset}: labels='class' needs a mixture with modes; "
                          f"use mixture ring8 or grid25, or labels='none'")
    return data


def _drop_labels(data: PointDataset, dataset: str) -> PointDataset:
    data.labels, data.class_names = None, None
    return data


_LABEL_MODES = {"auto": _keep_labels, "class": _require_labels, "none": _drop_labels}


def _build(req: DataRequest, dataset: str, mixture: str) -> PointDataset:
    check_label_mode(dataset, req.labels, tuple(_LABEL_MODES))
    if req.paired:
        raise GankitError(f"{dataset}: 2-D points have no paired sources; set paired=false")
    seed = split_seed(req.seed, req.split, "toy2d")
    size = req.size or _DEFAULT_SIZE[req.split]
    data = sample_mixture(mixture, size, seed, req.options.get("std"))
    data.meta.update({"seed": req.seed, "split": req.split, "split_seed": seed})
    data.description += f" (split {req.split}, seed {req.seed})"
    return _LABEL_MODES[req.labels](data, dataset)


@DATASETS.register("toy2d", help="2-D toy mixtures for MLP GANs "
                                 "(options: mixture=ring8|grid25|swissroll, std)")
def build_toy2d(req: DataRequest) -> PointDataset:
    """A 2-D toy distribution; options ``mixture`` (default ring8) and ``std``."""
    check_options("toy2d", req.options, ("mixture", "std"))
    return _build(req, "toy2d", str(req.options.get("mixture", "ring8")))


def _shortcut(mixture: str) -> Callable[[DataRequest], PointDataset]:
    def build(req: DataRequest) -> PointDataset:
        check_options(mixture, req.options, ("std",))
        return _build(req, mixture, mixture)

    build.__doc__ = f"The {mixture} toy distribution (toy2d with mixture={mixture})."
    return build


for _name in MIXTURES:
    DATASETS.register(_name, help=MIXTURES.help(_name))(_shortcut(_name))
