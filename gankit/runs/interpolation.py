"""Walking between two latent codes: a strip of images from one seed's noise to another's.

::

    strip = interpolate(run, seed_a=1, seed_b=2, frames=8, cond=run.class_condition("red cube", 8))

The codes are interpolated spherically (slerp): the generators draw ``z`` from a standard
normal, whose mass lies near a sphere of radius ``sqrt(z_dim)``; a straight line between
two codes passes closer to the origin, where the generator saw no training noise.
"""

from __future__ import annotations

import torch

from gankit.errors import GankitError
from gankit.models import Generator
from gankit.runs.sampling import generate
from gankit.runs.trained import TrainedRun

METHOD = "slerp"


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation from ``a`` to ``b`` (same shape) at fractions ``t`` ``[F]``.

    Returns ``[F, *a.shape]``; falls back to a straight line when ``a`` and ``b`` point
    (almost) the same or opposite ways, where the sphere's arc is not defined.
    """
    flat_a, flat_b = a.flatten().double(), b.flatten().double()
    cos = torch.dot(flat_a, flat_b) / (flat_a.norm() * flat_b.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    t = t.double()[:, None]
    if torch.sin(omega).abs() < 1e-6:
        out = (1 - t) * flat_a + t * flat_b
    else:
        out = (torch.sin((1 - t) * omega) * flat_a + torch.sin(t * omega) * flat_b) / torch.sin(omega)
    return out.to(a.dtype).reshape(len(t), *a.shape)


def latent_code(G: Generator, seed: int) -> torch.Tensor:
    """The latent code ``[1, z_dim]`` that ``seed`` gives (CPU)."""
    return G.sample_z(1, "cpu", torch.Generator().manual_seed(seed))


def latent_path(G: Generator, seed_a: int, seed_b: int, frames: int) -> torch.Tensor:
    """``frames`` codes ``[frames, z_dim]`` from seed ``seed_a``'s code to ``seed_b``'s,
    both ends included."""
    if frames < 2:
        raise ValueError(f"frames must be at least 2, got {frames}")
    a, b = latent_code(G, seed_a)[0], latent_code(G, seed_b)[0]
    return slerp(a, b, torch.linspace(0, 1, frames))


def interpolate(run: TrainedRun, seed_a: int, seed_b: int, frames: int,
                cond: torch.Tensor | None = None) -> torch.Tensor:
    """Float images ``[frames, C, H, W]`` in [-1, 1] along :func:`latent_path`.

    Args:
        run: a noise → image run.
        seed_a, seed_b: the seeds of the two end codes.
        frames: images in the strip (≥ 2).
        cond: ``[frames, K]`` conditions for conditional models (e.g. one class repeated).

    Raises:
        GankitError: the model takes no noise, or translates images.
    """
    if run.translation:
        raise GankitError("this is an image-to-image run: its output follows the sketch, "
                          "not a latent code; interpolation needs a noise → image run")
    if run.generator.z_dim == 0:
        raise GankitError("this model takes no noise (z_dim 0): there is nothing to interpolate")
    if run.conditional != (cond is not None):
        raise GankitError("this model is conditional: pass conditions" if run.conditional
                          else "this model is unconditional; drop the conditions")
    z = latent_path(run.generator, seed_a, seed_b, frames)
    return generate(run.generator, frames, cond=cond, device=run.device, z=z)
