"""Mode statistics for 2-D toy mixtures: how many modes a generator reaches, and how well.

The conventions follow the mode-collapse literature (unrolled GAN, VEEGAN, PacGAN):

- a sample is *high quality* when it lies within 3σ of its nearest mode centre;
- a mode is *covered* when at least ``min_share`` of its fair share of the samples
  (``N / M``) are high-quality samples nearest to it. The default 0.2 is PacGAN's rule
  for the 25-mode grid (a mode is lost with fewer than 20 of 2,500 samples within 3σ),
  written relative to N/M so that it carries over to any sample count and mode count.
  Demanding a fraction of the fair share, rather than a single sample, keeps a few
  stray samples from counting as a mode the generator learned.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

SIGMAS = 3.0            # a sample within SIGMAS * std of a centre belongs to that mode
MIN_SHARE = 0.2         # a covered mode gets ≥ MIN_SHARE * N / M high-quality samples
_ROWS_PER_BLOCK = 1 << 16


@dataclass
class ModeStats:
    """How a set of samples spreads over the modes of a mixture.

    Attributes:
        num_modes: M, the number of mode centres.
        modes_covered: modes with at least ``min_count`` high-quality samples.
        high_quality_fraction: fraction of samples within 3σ of their nearest mode
            (samples of the mixture itself score 1 - exp(-4.5) ≈ 0.989 in 2-D).
        mean_nearest_distance: mean distance from a sample to its nearest centre.
        per_mode_counts: int64 ``[M]``, high-quality samples nearest to each mode.
        min_count: the coverage threshold used, in samples.
    """

    num_modes: int
    modes_covered: int
    high_quality_fraction: float
    mean_nearest_distance: float
    per_mode_counts: torch.Tensor
    min_count: int

    def as_dict(self) -> dict[str, float]:
        """The scalar statistics, for logs and metric files."""
        return {"modes_covered": float(self.modes_covered),
                "num_modes": float(self.num_modes),
                "high_quality_fraction": self.high_quality_fraction,
                "mean_nearest_distance": self.mean_nearest_distance}


def _nearest(samples: torch.Tensor, centers: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Index ``[N]`` and distance ``[N]`` of each sample's nearest centre."""
    if samples.dim() != 2 or centers.dim() != 2 or samples.shape[1] != centers.shape[1]:
        raise ValueError(f"samples {tuple(samples.shape)} and centers "
                         f"{tuple(centers.shape)} must be [N, D] and [M, D]")
    samples = samples.detach().float().cpu()
    centers = centers.detach().float().cpu()
    index, distance = [], []
    for block in samples.split(_ROWS_PER_BLOCK):
        nearest = torch.cdist(block, centers).min(dim=1)
        index.append(nearest.indices)
        distance.append(nearest.values)
    if not index:
        return torch.zeros(0, dtype=torch.int64), torch.zeros(0)
    return torch.cat(index), torch.cat(distance)


def mode_assignment(samples: torch.Tensor, centers: torch.Tensor) -> torch.Tensor:
    """The nearest mode of each sample.

    Args:
        samples: float ``[N, D]``.
        centers: float ``[M, D]`` mode centres.

    Returns:
        int64 ``[N]`` indices into ``centers``.
    """
    return _nearest(samples, centers)[0]


def mode_stats(samples: torch.Tensor, centers: torch.Tensor, std: float,
               min_share: float = MIN_SHARE) -> ModeStats:
    """Coverage and quality of ``samples`` against a Gaussian mixture's modes.

    Args:
        samples: float ``[N, D]`` generated points.
        centers: float ``[M, D]`` mode centres.
        std: the modes' standard deviation σ (high quality: within 3σ).
        min_share: a mode is covered with at least ``min_share * N / M`` high-quality
            samples (at least one).

    Returns:
        The statistics; see ``ModeStats``.
    """
    if len(samples) == 0:
        raise ValueError("mode_stats needs at least one sample")
    index, distance = _nearest(samples, centers)
    good = distance <= SIGMAS * std
    counts = torch.bincount(index[good], minlength=len(centers))
    min_count = max(1, round(min_share * len(samples) / len(centers)))
    return ModeStats(
        num_modes=len(centers),
        modes_covered=int((counts >= min_count).sum()),
        high_quality_fraction=float(good.float().mean()),
        mean_nearest_distance=float(distance.mean()),
        per_mode_counts=counts,
        min_count=min_count,
    )


def class_accuracy(samples: torch.Tensor, labels: torch.Tensor, centers: torch.Tensor,
                   std: float) -> float:
    """Fraction of conditional samples that land on the mode they were asked for.

    A sample counts when its nearest centre is its label and it lies within 3σ of it.

    Args:
        samples: float ``[N, D]`` generated points.
        labels: int64 ``[N]`` requested mode per sample (or one-hot ``[N, M]``).
        centers: float ``[M, D]`` mode centres.
        std: the modes' standard deviation σ.
    """
    if len(samples) == 0:
        raise ValueError("class_accuracy needs at least one sample")
    if labels.dim() == 2:
        labels = labels.argmax(dim=1)
    index, distance = _nearest(samples, centers)
    hit = (index == labels.cpu().long()) & (distance <= SIGMAS * std)
    return float(hit.float().mean())
