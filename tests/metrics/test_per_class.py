"""Per-class figures: hand-computed values on a tiny fixture, and collapsed / wrong-class /
real-image "generators" measured end to end by ``evaluate_generator``."""

import math

import pytest
import torch

from gankit.data import DataRequest, load_dataset
from gankit.data.base import to_unit
from gankit.runs.evaluation import EvaluationRequest, evaluate_generator
from gankit.metrics.per_class import (
    ClassCollector,
    class_subset,
    object_hit_counts,
    object_metrics,
    per_class_metrics,
    samples_per_class,
)
from gankit.metrics.shipped import default_evaluator
from gankit.models import Generator
from gankit.runs.data import data_spec

NAMES = ["a", "b", "c"]


def _tiny():
    """3 classes of 2-D features (distances and FIDs worked out by hand below)."""
    fake = torch.tensor([[0., 0.], [1., 1.], [0., 0.], [3., 4.], [1., 1.], [1., 0.], [0., 1.]])
    fake_y = torch.tensor([0, 1, 2, 0, 1, 2, 2])
    # top-1 predictions: class a → a, c (1/2); b → b, b (2/2); c → c, a, c (2/3)
    predicted = torch.tensor([0, 1, 2, 2, 1, 0, 2])
    logits = torch.nn.functional.one_hot(predicted, 3).float()
    # real class a has a third row, dropped so both sides of a class have 2 rows
    real = torch.tensor([[0., 0.], [0., 0.], [6., 8.], [0., 2.], [0., 0.], [1., 0.],
                         [0., 1.], [100., 100.]])
    real_y = torch.tensor([1, 0, 0, 1, 2, 2, 2, 0])
    return fake, fake_y, logits, real, real_y


def test_per_class_figures_match_a_hand_computation():
    fake, fake_y, logits, real, real_y = _tiny()
    r = per_class_metrics(fake, fake_y, real, real_y, NAMES, fake_logits=logits)
    a, b, c = (r["per_class"][name] for name in NAMES)
    # a: fakes (0,0),(3,4) are 5 apart, reals (0,0),(6,8) 10 apart. Both covariances are
    # rank one along u = (3,4)/5: 12.5 uu' and 50 uu', so tr(S1 + S2 - 2 sqrt(S1 S2)) =
    # 12.5 + 50 - 2 * 25 = 12.5; |mu1 - mu2|^2 = |(1.5, 2)|^2 = 6.25 → 18.75.
    assert (a["acc"], a["diversity_fake"], a["diversity_real"]) == (0.5, 5.0, 10.0)
    assert a["diversity_ratio"] == 0.5 and a["fid_evaluator"] == pytest.approx(18.75, abs=1e-6)
    # b: collapsed fakes (1,1) twice; reals (0,0),(0,2): |(1,0)|^2 + 0 + 2 = 3
    assert (b["acc"], b["diversity_fake"], b["diversity_real"], b["diversity_ratio"]) == \
        (1.0, 0.0, 2.0, 0.0)
    assert b["fid_evaluator"] == pytest.approx(3.0, abs=1e-6)
    # c: the same three points on both sides: distances 1, 1, sqrt 2
    assert c["acc"] == pytest.approx(2 / 3)
    assert c["diversity_fake"] == pytest.approx((2 + math.sqrt(2)) / 3)
    assert c["diversity_ratio"] == pytest.approx(1.0)
    assert c["fid_evaluator"] == pytest.approx(0, abs=1e-6)
    assert [(row["n"], row["n_features"]) for row in (a, b, c)] == [(2, 2), (2, 2), (3, 3)]
    assert r["acc_class_min"] == 0.5 and r["acc_class_mean"] == pytest.approx(13 / 18)
    assert r["diversity_ratio"] == pytest.approx(0.5) and r["diversity_ratio_min"] == 0.0
    assert r["fid_evaluator_class_mean"] == pytest.approx(7.25, abs=1e-6)
    assert r["fid_evaluator_class_max"] == pytest.approx(18.75, abs=1e-6)
    assert r["worst_classes"] == {"acc": ["a", "c", "b"], "diversity_ratio": ["b", "a", "c"],
                                  "fid_evaluator": ["a", "b", "c"]}
    assert per_class_metrics(fake, fake_y, real, real_y, NAMES, fake_logits=logits,
                             worst=1)["worst_classes"]["acc"] == ["a"]


def test_classes_with_too_few_images_are_nan_not_errors():
    fake = torch.tensor([[0., 0.], [1., 0.], [5., 5.]])
    fake_y = torch.tensor([0, 0, 1])
    real = torch.tensor([[0., 0.], [2., 0.], [1., 1.]])
    r = per_class_metrics(fake, fake_y, real, torch.tensor([0, 0, 1]), NAMES)
    assert r["per_class"]["a"]["diversity_ratio"] == 0.5
    for name in ("b", "c"):  # one image, no image
        assert all(math.isnan(r["per_class"][name][k])
                   for k in ("acc", "diversity_ratio", "fid_evaluator"))
    assert r["diversity_ratio_min"] == 0.5 and r["worst_classes"]["diversity_ratio"] == ["a"]
    assert math.isnan(r["acc_class_min"])


def test_collector_keeps_every_hit_but_few_features():
    collector = ClassCollector(3, per_class=2)
    for labels in (torch.tensor([0, 0, 1]), torch.tensor([0, 2, 1, 1])):
        logits = torch.nn.functional.one_hot(torch.zeros_like(labels), 3).float()  # says a
        features = (labels * 10 + torch.arange(len(labels))).float().unsqueeze(1)
        collector.add(labels, logits, features)
    features, labels = collector.features()
    assert collector.hits.tolist() == [3, 0, 0] and collector.totals.tolist() == [3, 3, 1]
    assert labels.tolist() == [0, 0, 1, 2, 1] and features[:, 0].tolist() == [0, 1, 12, 21, 12]


def test_class_subset_is_seeded_and_capped():
    labels = torch.tensor([0, 1, 0, 2, 0, 1, 0])
    index = class_subset(labels, 3, per_class=2, seed=1)
    assert labels[index].tolist() == [0, 0, 1, 1, 2]
    assert torch.equal(index, class_subset(labels, 3, per_class=2, seed=1))
    assert samples_per_class(10000, 24) == 200 and samples_per_class(48, 24) == 2
    assert samples_per_class(10, 24) == 2


def test_per_object_hit_rate_of_multi_label_fakes():
    # image 1 asks for objects {0, 1}: its top 2 are {0, 2} → 0 hit, 1 missed;
    # image 2 asks for {1}: its top 1 is {1} → hit; object 2 is never asked for
    logits = torch.tensor([[0.9, 0.1, 0.5], [0.2, 0.8, 0.1]])
    targets = torch.tensor([[1., 1., 0.], [0., 1., 0.]])
    hits, totals = object_hit_counts(logits, targets)
    r = object_metrics(hits, totals, NAMES)
    assert r["per_class"]["a"] == {"acc": 1.0, "n": 1} and r["per_class"]["b"]["acc"] == 0.5
    assert math.isnan(r["per_class"]["c"]["acc"]) and r["per_class"]["c"]["n"] == 0
    assert (r["acc_class_min"], r["acc_class_mean"]) == (0.5, 0.75)
    assert r["worst_classes"] == {"acc": ["b", "a"]}


class RealImages(Generator):
    """A "generator" that shows a random real image of the asked class (decided by z),
    the first image of each ``collapsed`` class always, and the next class's images for
    ``wrong`` classes."""

    z_dim = 1

    def __init__(self, data, collapsed=(), wrong=()):
        super().__init__()
        self.data, self.collapsed, self.wrong = data, set(collapsed), set(wrong)

    def forward(self, z, cond=None, source=None):
        picks = []
        for u, c in zip(torch.special.ndtr(z[:, 0]).tolist(), cond.argmax(1).tolist()):
            shown = (c + 1) % cond.shape[1] if c in self.wrong else c
            pool = (self.data.labels == shown).nonzero().flatten()
            i = 0 if c in self.collapsed else min(int(u * len(pool)), len(pool) - 1)
            picks.append(pool[i])
        return to_unit(self.data.images[torch.stack(picks)])


@pytest.fixture(scope="module")
def shapes():
    return load_dataset(DataRequest(name="shapes-single", labels="class", size=1200,
                                    resolution=32))


def _evaluate(G, data):
    request = EvaluationRequest(("acc", "per_class"), n=480, batch_size=128,
                                evaluator=default_evaluator(data))
    return evaluate_generator(G, data_spec(data), data, request)


def test_real_images_of_the_asked_class_score_one(shapes):
    r = _evaluate(RealImages(shapes), shapes)
    assert r["acc"] == r["acc_class_min"] == 1.0
    assert r["diversity_ratio"] == pytest.approx(1.0, abs=0.1)
    assert 0.7 < r["diversity_ratio_min"] and r["fid_evaluator_class_max"] < 10
    assert sum(row["n"] for row in r["per_class"].values()) == 480
    assert max(row["n_features"] for row in r["per_class"].values()) == 20  # 480 / 24


def test_a_collapsed_and_a_wrong_class_are_named(shapes):
    collapsed, wrong = shapes.class_names[5], shapes.class_names[7]
    r = _evaluate(RealImages(shapes, collapsed=[5], wrong=[7]), shapes)
    assert r["per_class"][collapsed]["diversity_ratio"] == pytest.approx(0, abs=1e-3)
    assert r["per_class"][collapsed]["acc"] == 1.0
    assert r["worst_classes"]["diversity_ratio"][0] == collapsed
    assert r["per_class"][wrong]["acc"] == 0.0 == r["acc_class_min"]
    assert r["worst_classes"]["acc"][0] == wrong
    assert r["worst_classes"]["fid_evaluator"][0] == wrong
    others = [row["diversity_ratio"] for name, row in r["per_class"].items() if name != collapsed]
    assert min(others) > 0.7
