"""The feature-space registry: how each space's extractor is built from the caller's options."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import torch

from gankit.errors import GankitError
from gankit.metrics.evaluator_features import EVALUATOR_SPACE, EvaluatorFeatures
from gankit.metrics.features import FeatureExtractor
from gankit.registry import Registry


@dataclass
class ExtractorOptions:
    """Everything a feature-space builder may need.

    Attributes:
        device: where extraction runs.
        inception_weights: explicit Inception weights file (``None``: search, see
            :func:`gankit.metrics.inception_weights.find_inception_weights`).
        allow_download: fetch the Inception weights when they are nowhere on disk.
        evaluator: a trained :class:`gankit.metrics.evaluator.Evaluator` or its file.
    """

    device: torch.device
    inception_weights: str | os.PathLike | None = None
    allow_download: bool = False
    evaluator: object | str | os.PathLike | None = None


EXTRACTORS: Registry[Callable[[ExtractorOptions], FeatureExtractor]] = Registry("feature space")


@EXTRACTORS.register("inception")
def build_inception(options: ExtractorOptions) -> FeatureExtractor:
    """FID InceptionV3 (torch-fidelity) with the standard weights."""
    from gankit.metrics.inception import InceptionFeatures
    from gankit.metrics.inception_weights import find_inception_weights

    weights = find_inception_weights(options.inception_weights, options.allow_download)
    return InceptionFeatures(weights, options.device)


@EXTRACTORS.register(EVALUATOR_SPACE)
def build_evaluator(options: ExtractorOptions) -> FeatureExtractor:
    """The penultimate layer of a trained domain evaluator."""
    from gankit.metrics.evaluator import Evaluator

    if options.evaluator is None:
        raise GankitError("the *_evaluator metrics need a trained evaluator: pass its file "
                          "(train one with gankit evaluator train --data DATA --out FILE)")
    evaluator = options.evaluator
    if not isinstance(evaluator, Evaluator):
        evaluator = Evaluator.load(evaluator, options.device)
    return EvaluatorFeatures(evaluator, options.device)
