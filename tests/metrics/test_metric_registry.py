"""Every metric declares its result keys and their direction in the registry."""

import pytest

from gankit.errors import GankitError
from gankit.metrics.registry import (check_metric_names, higher_is_better, is_better, metric,
                                     metric_names, result_key)


def test_every_metric_the_cli_offers_is_registered_with_keys():
    names = metric_names()
    for name in ("fid", "is", "kid", "pr", "fid_evaluator", "kid_evaluator", "pr_evaluator",
                 "acc", "per_class", "l1", "psnr", "ssim"):
        assert name in names and metric(name).keys


@pytest.mark.parametrize("name, key, higher", [
    ("fid", "fid", False), ("is", "is_mean", True), ("kid", "kid_mean", False),
    ("pr", "f_score", True), ("acc", "acc", True), ("per_class", "fid_evaluator_class_mean",
                                                    False),
    ("l1", "l1", False), ("psnr", "psnr", True), ("ssim", "ssim", True)])
def test_rank_keys_and_directions(name, key, higher):
    assert result_key(name) == key and higher_is_better(key) is higher
    assert is_better(key, 2.0, 1.0) is higher and is_better(key, 1.0, None)
    assert not is_better(key, float("nan"), 1.0)


def test_only_feature_metrics_go_to_the_suite_and_only_some_need_labels():
    assert metric("fid").from_features and not metric("acc").from_features
    assert metric("acc").conditional and metric("per_class").conditional
    assert not metric("fid_evaluator").conditional


def test_unknown_names_are_one_clear_error():
    with pytest.raises(GankitError, match="unknown metric 'fdi'.*fid"):
        check_metric_names(["fid", "fdi"])
    with pytest.raises(KeyError):
        higher_is_better("no_such_key")


def test_only_declared_result_keys_are_results():
    from gankit.metrics.registry import declares
    assert declares("fid") and declares("is_mean") and declares("BtoA/acc")
    assert not declares("n") and not declares("n_fake") and not declares("loss_d")
