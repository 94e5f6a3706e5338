"""2-D toy mixtures: geometry of the modes, labels, determinism and the registry."""

import math

import pytest
import torch

from gankit.data.base import PointDataset
from gankit.data.registry import DATASETS, DataRequest
from gankit.data.toy2d import MIXTURES, sample_mixture
from gankit.errors import GankitError


def test_ring8_is_eight_gaussians_on_a_circle_of_radius_two():
    data = sample_mixture("ring8", 16_000, seed=1)
    assert isinstance(data, PointDataset) and len(data) == 16_000
    assert data.points.shape == (16_000, 2) and data.points.dtype == torch.float32
    assert data.centers.shape == (8, 2) and data.std == 0.02
    assert torch.allclose(data.centers.norm(dim=1), torch.full((8,), 2.0))
    angles = torch.atan2(data.centers[:, 1], data.centers[:, 0]).remainder(2 * math.pi)
    assert torch.allclose(angles.sort().values, torch.arange(8) * (2 * math.pi / 8),
                          atol=1e-5)
    offset = data.points - data.centers[data.labels]
    assert abs(offset.std().item() - 0.02) < 0.001
    assert offset.abs().max() < 6 * 0.02  # every point is near the mode of its label
    share = torch.bincount(data.labels, minlength=8) / len(data)
    assert (share - 1 / 8).abs().max() < 0.02  # modes are equally likely


def test_grid25_is_a_five_by_five_grid():
    data = sample_mixture("grid25", 25_000, seed=2)
    axis = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
    assert data.centers.shape == (25, 2) and data.std == 0.05
    assert set(map(tuple, data.centers.tolist())) == {(x, y) for x in axis.tolist()
                                                       for y in axis.tolist()}
    assert data.num_classes == 25 and len(data.class_names) == 25
    offset = data.points - data.centers[data.labels]
    assert abs(offset.std().item() - 0.05) < 0.002
    assert set(data.labels.tolist()) == set(range(25))


def test_swissroll_is_an_unlabelled_spiral_in_the_unit_box():
    data = sample_mixture("swissroll", 20_000, seed=3)
    assert data.labels is None and data.centers is None
    assert data.points.abs().max() < 2.2
    assert data.points.abs().max() > 1.5
    # a spiral: the radius grows with the angle travelled; no point near the origin
    radius = data.points.norm(dim=1)
    assert radius.min() > 0.5
    assert radius.max() / radius.min() > 2.5


def test_same_seed_same_points_and_std_override():
    first, again = sample_mixture("grid25", 500, seed=9), sample_mixture("grid25", 500, seed=9)
    assert torch.equal(first.points, again.points) and torch.equal(first.labels, again.labels)
    assert not torch.equal(first.points, sample_mixture("grid25", 500, seed=10).points)
    wide = sample_mixture("ring8", 8000, seed=1, std=0.2)
    assert wide.std == 0.2
    assert abs((wide.points - wide.centers[wide.labels]).std().item() - 0.2) < 0.01
    with pytest.raises(GankitError, match="std"):
        sample_mixture("ring8", 10, std=-1.0)
    with pytest.raises(GankitError, match="spiral"):
        sample_mixture("spiral", 10)


def build(name="toy2d", **fields):
    return DATASETS.get(name)(DataRequest(name=name, **fields))


def test_registry_builders_and_shortcuts():
    default = build()
    assert len(default) == 50_000 and default.centers.shape == (8, 2)  # ring8
    assert len(build(split="test")) == 10_000
    for name in MIXTURES:
        assert name in DATASETS
        short, long = build(name, size=300, seed=4), build(size=300, seed=4,
                                                           options={"mixture": name})
        assert torch.equal(short.points, long.points)
    grid = build(size=100, options={"mixture": "grid25", "std": 0.1})
    assert grid.std == 0.1 and grid.labels.dtype == torch.int64
    assert grid.meta["seed"] == 0 and grid.meta["mixture"] == "grid25"


def test_registry_splits_differ_and_labels_modes():
    train = build(size=1000, seed=5)
    test = build(size=1000, seed=5, split="test")
    assert not torch.equal(train.points, test.points)
    assert torch.equal(train.points, sample_mixture("ring8", 1000, seed=5).points)
    assert build(size=10, labels="none").labels is None
    labelled = build(size=10, labels="class")
    assert labelled.labels.shape == (10,) and labelled.num_classes == 8
    assert build("swissroll", size=10).labels is None
    with pytest.raises(GankitError, match="labels='class'"):
        build("swissroll", size=10, labels="class")
    with pytest.raises(GankitError, match="toy2d: labels='multi' is not supported; "
                                          "use one of: auto, class, none"):
        build(size=10, labels="multi")


def test_registry_rejects_bad_options():
    with pytest.raises(GankitError, match="'radius'.*mixture, std"):
        build(size=10, options={"radius": 3})
    with pytest.raises(GankitError, match="'mixture'.*std"):
        build("ring8", size=10, options={"mixture": "grid25"})
    with pytest.raises(GankitError, match="moons"):
        build(size=10, options={"mixture": "moons"})
    with pytest.raises(GankitError, match="paired"):
        build(size=10, paired=True)
    with pytest.raises(GankitError, match="split"):
        build(size=10, split="holdout")
