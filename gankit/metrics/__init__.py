"""Evaluation: FID, Inception Score, KID, precision/recall/density/coverage (through
torch-fidelity, offline), and a domain evaluator trained on the user's labelled data.

Importing this package is cheap: torch-fidelity and the networks load only when one of
the names below is first used.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "compute_metrics": "gankit.metrics.compute",
    "MetricSuite": "gankit.metrics.compute",
    "metric": "gankit.metrics.registry",
    "metric_names": "gankit.metrics.registry",
    "DEFAULTS": "gankit.metrics.defaults",
    "DEFAULT_METRICS": "gankit.metrics.defaults",
    "EXTRACTORS": "gankit.metrics.extractors",
    "find_inception_weights": "gankit.metrics.inception_weights",
    "save_random_inception_weights": "gankit.metrics.inception",
    "Evaluator": "gankit.metrics.evaluator",
    "train_evaluator": "gankit.metrics.evaluator",
    "EVALUATOR_ARCHS": "gankit.metrics.evaluator_models",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'gankit.metrics' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
