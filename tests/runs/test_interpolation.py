"""Latent interpolation: slerp between two seeds' codes, and the strip a run draws."""

import pytest
import torch

from gankit.errors import GankitError
from gankit.runs import TrainedRun
from gankit.runs.interpolation import interpolate, latent_code, latent_path, slerp


def test_slerp_keeps_the_ends_and_walks_the_sphere():
    a, b = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 3.0])
    path = slerp(a, b, torch.linspace(0, 1, 5))
    assert path.shape == (5, 2)
    assert torch.allclose(path[0], a, atol=1e-6) and torch.allclose(path[-1], b, atol=1e-6)
    # equal-norm ends: every frame stays on their circle (a straight line would dip to 2.12)
    assert torch.allclose(path.norm(dim=1), torch.full((5,), 3.0), atol=1e-5)
    assert torch.allclose(path[2], torch.tensor([1.0, 1.0]) * 3 / 2**0.5, atol=1e-5)


def test_slerp_of_parallel_codes_is_a_straight_line():
    a = torch.tensor([1.0, 2.0, 3.0])
    path = slerp(a, 2 * a, torch.tensor([0.0, 0.5, 1.0]))
    assert torch.allclose(path, torch.stack([a, 1.5 * a, 2 * a]), atol=1e-6)


def test_a_strip_runs_from_seed_a_to_seed_b(tiny_run):
    run = TrainedRun.open(tiny_run("cdcgan"))
    cond = run.class_condition("red cube", 6)
    strip = interpolate(run, 1, 2, 6, cond)
    assert strip.shape == (6, 3, 32, 32)
    G = run.generator
    ends = G(torch.cat([latent_code(G, 1), latent_code(G, 2)]), cond[:2])
    assert torch.allclose(strip[0], ends[0], atol=1e-5)
    assert torch.allclose(strip[-1], ends[1], atol=1e-5)
    assert torch.equal(strip, interpolate(run, 1, 2, 6, cond))  # repeatable
    assert latent_path(G, 1, 2, 6).shape == (6, G.z_dim)


def test_interpolation_needs_noise_and_the_right_conditions(tiny_run):
    conditional = TrainedRun.open(tiny_run("cdcgan"))
    with pytest.raises(GankitError, match="conditional"):
        interpolate(conditional, 1, 2, 4)
    translating = TrainedRun.open(tiny_run("pix2pix"))
    with pytest.raises(GankitError, match="image-to-image"):
        interpolate(translating, 1, 2, 4)
    with pytest.raises(ValueError, match="frames"):
        latent_path(conditional.generator, 1, 2, 1)
