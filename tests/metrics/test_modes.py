"""Mode coverage statistics on constructed samples."""

import pytest
import torch

from gankit.data.toy2d import sample_mixture
from gankit.metrics.modes import class_accuracy, mode_assignment, mode_stats


def test_mixture_data_covers_every_mode_with_high_quality():
    for name, modes in (("ring8", 8), ("grid25", 25)):
        data = sample_mixture(name, 10_000, seed=1)
        stats = mode_stats(data.points, data.centers, data.std)
        assert stats.num_modes == modes and stats.modes_covered == modes
        # a 2-D Gaussian puts 1 - exp(-3²/2) = 98.9% of its mass within 3σ
        assert abs(stats.high_quality_fraction - 0.989) < 0.005
        assert stats.mean_nearest_distance < 2 * data.std
        assert int(stats.per_mode_counts.sum()) == round(stats.high_quality_fraction * 10_000)
        assert torch.equal(mode_assignment(data.points, data.centers), data.labels)
        accuracy = class_accuracy(data.points, data.labels, data.centers, data.std)
        assert accuracy == pytest.approx(stats.high_quality_fraction)


def test_samples_at_one_mode_cover_one_mode():
    data = sample_mixture("ring8", 2000, seed=2)
    collapsed = data.centers[3] + 0.5 * data.std * torch.randn(2000, 2)
    stats = mode_stats(collapsed, data.centers, data.std)
    assert stats.modes_covered == 1
    assert stats.high_quality_fraction == 1.0
    assert stats.per_mode_counts.tolist() == [0, 0, 0, 2000, 0, 0, 0, 0]


def test_uniform_noise_is_low_quality():
    data = sample_mixture("grid25", 100, seed=3)
    noise = torch.rand(20_000, 2, generator=torch.Generator().manual_seed(0)) * 10 - 5
    stats = mode_stats(noise, data.centers, data.std)
    # 25 discs of radius 3σ = 0.15 cover 25·π·0.15² / 100 ≈ 1.8% of the square
    assert stats.high_quality_fraction < 0.03
    assert stats.mean_nearest_distance > 0.5
    assert stats.modes_covered == 0  # each mode gets ~14 of the 160 samples needed


def test_a_few_stray_samples_do_not_cover_a_mode():
    data = sample_mixture("ring8", 2000, seed=4)
    n = 8000
    points = data.centers[0].repeat(n, 1)
    points[:10] = data.centers[1]  # 10 < 0.2 * 8000 / 8 = 200
    points[10:400] = data.centers[2]  # 390 >= 200
    stats = mode_stats(points, data.centers, data.std)
    assert stats.min_count == 200
    assert stats.modes_covered == 2
    assert mode_stats(points, data.centers, data.std, min_share=0.001).modes_covered == 3


def test_mode_assignment_is_the_nearest_centre():
    centers = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 5.0]])
    samples = torch.tensor([[0.4, 0.0], [0.6, 0.1], [0.0, 3.0], [10.0, 10.0]])
    assert mode_assignment(samples, centers).tolist() == [0, 1, 2, 2]
    assert mode_assignment(samples, centers).dtype == torch.int64
    with pytest.raises(ValueError):
        mode_assignment(torch.zeros(4, 3), centers)


def test_class_accuracy_needs_the_right_mode_and_closeness():
    data = sample_mixture("ring8", 800, seed=5)
    wrong = (data.labels + 1) % 8
    assert class_accuracy(data.points, wrong, data.centers, data.std) == 0.0
    far = data.centers[data.labels] * 1.1  # right mode, but 0.2 = 10σ away
    assert class_accuracy(far, data.labels, data.centers, data.std) == 0.0
    one_hot = torch.nn.functional.one_hot(data.labels, 8).float()
    half = torch.where((torch.arange(800) % 2 == 0)[:, None], data.points, far)
    accuracy = class_accuracy(half, one_hot, data.centers, data.std)
    assert 0.48 < accuracy <= 0.5
