"""Diversity of repeated multi-label conditions, against a hand computation."""

import math

import pytest
import torch

from gankit.metrics.condition_diversity import (
    condition_diversity,
    condition_name,
    exact_matches,
    repeated_conditions,
)

A, B, C = [1, 0, 0], [1, 1, 0], [0, 0, 1]
# 4 images of A, 2 of B, 5 of C (the C row in the middle of the A rows)
LABELS = torch.tensor([A, A, C, A, B, C, C, A, B, C, C])


def test_exact_matches_ignores_supersets_and_label_dtype():
    assert exact_matches(LABELS, torch.tensor([1.0, 0.0, 0.0])).tolist() == [0, 1, 3, 7]
    assert exact_matches(LABELS.float(), torch.tensor(B)).tolist() == [4, 8]


def test_repeated_conditions_keeps_candidates_in_order_once_with_enough_members():
    candidates = torch.tensor([B, C, C, A, [0, 1, 1], A])
    rows, members = repeated_conditions(LABELS, candidates, count=5, min_members=3)
    assert rows.tolist() == [C, A]  # B has 2 images, [0, 1, 1] none; repeats dropped
    assert [m.tolist() for m in members] == [[2, 5, 6, 9, 10], [0, 1, 3, 7]]
    rows, members = repeated_conditions(LABELS, candidates, count=1, min_members=2)
    assert rows.tolist() == [B] and members[0].tolist() == [4, 8]
    rows, members = repeated_conditions(LABELS, candidates[4:5], min_members=1)
    assert rows.shape == (0, 3) and members == []


def test_condition_name_lists_the_objects_in_class_order():
    names = ["red cube", "blue sphere", "gray cylinder"]
    assert condition_name(torch.tensor([0.0, 1.0, 1.0]), names) == "blue sphere + gray cylinder"
    assert condition_name(torch.zeros(3), names) == "(none)"


def test_condition_diversity_matches_a_hand_computation():
    # one-pixel, one-channel "images"; mean pairwise distance by hand:
    # fakes:  list 0 {0, 3} → 3;        list 1 {0, 1, 3} → (1 + 3 + 2) / 3 = 2;  list 2 {5, 5} → 0
    # reals:  list 0 {0, 6, 6} → (6 + 6 + 0) / 3 = 4;  list 1 {0, 1, 2} → 4/3;  list 2 {7} → NaN
    fake = torch.tensor([0, 3, 0, 1, 3, 5, 5], dtype=torch.uint8).reshape(-1, 1, 1, 1)
    fake_groups = torch.tensor([0, 0, 1, 1, 1, 2, 2])
    real = torch.tensor([0, 6, 6, 0, 1, 2, 7], dtype=torch.uint8).reshape(-1, 1, 1, 1)
    real_groups = torch.tensor([0, 0, 0, 1, 1, 1, 2])
    out = condition_diversity(fake, fake_groups, real, real_groups, ["a", "b", "c"], worst=2)
    table = out["per_condition"]
    assert table["a"]["diversity_fake"] == pytest.approx(3.0)
    assert table["a"]["diversity_real"] == pytest.approx(4.0)
    assert table["a"]["diversity_ratio"] == pytest.approx(0.75)
    assert table["b"]["diversity_ratio"] == pytest.approx(2 / (4 / 3))
    assert math.isnan(table["c"]["diversity_ratio"])  # one real image: no reference
    assert (table["b"]["n_fake"], table["b"]["n_real"]) == (3, 3)
    assert out["diversity_ratio"] == pytest.approx((0.75 + 1.5) / 2)
    assert out["diversity_ratio_min"] == pytest.approx(0.75)
    assert out["worst_conditions"] == {"diversity_ratio": ["a", "b"]}


def test_no_conditions_give_nan_figures():
    none = torch.zeros(0, dtype=torch.long)
    out = condition_diversity(torch.zeros(0, 1, 2, 2), none, torch.zeros(0, 1, 2, 2), none, [])
    assert math.isnan(out["diversity_ratio"]) and math.isnan(out["diversity_ratio_min"])
    assert out["per_condition"] == {} and out["worst_conditions"] == {"diversity_ratio": []}
