"""The evaluators shipped for the built-in shapes reach ≥ 99 % on held-out scenes."""

import pytest

from gankit.data import DataRequest, load_dataset
from gankit.metrics.evaluator import Evaluator
from gankit.metrics.shipped import RESOLUTIONS, default_evaluator, shipped_evaluator_path


@pytest.mark.parametrize("resolution", RESOLUTIONS)
@pytest.mark.parametrize("name, labels", [("shapes", "multi"), ("shapes-single", "class")])
def test_shipped_evaluator_is_accurate_on_the_test_split(name, labels, resolution):
    test = load_dataset(DataRequest(name=name, labels=labels, split="test", size=600,
                                    resolution=resolution))
    path = default_evaluator(test)
    assert path == shipped_evaluator_path(labels == "multi", resolution) and path.is_file()
    evaluator = Evaluator.load(path)
    assert evaluator.resolution == resolution and evaluator.class_names == test.class_names
    assert evaluator.accuracy(test.images, test.labels) >= 0.99


def test_no_shipped_evaluator_for_other_data():
    unlabelled = load_dataset(DataRequest(name="shapes", labels="none", size=64))
    other_res = load_dataset(DataRequest(name="shapes", labels="multi", size=64, resolution=128))
    assert default_evaluator(unlabelled) is None and default_evaluator(other_res) is None
