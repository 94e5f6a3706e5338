"""Per-class figures of a conditional generator, from the domain evaluator's outputs.

Pooled FID and accuracy hide a generator that draws one image per class, or the wrong
class for a few of them. For each class ``c`` this module measures, on the fakes asked
for ``c``:

- ``acc``: the evaluator's top-1 accuracy;
- ``diversity_fake`` / ``diversity_real`` / ``diversity_ratio``: the mean pairwise
  Euclidean distance of the evaluator features (:mod:`gankit.metrics.diversity`) of the
  fakes and of real images of ``c``, and fake/real (~1 healthy, ~0 collapsed);
- ``fid_evaluator``: the Fréchet distance between the two feature sets ("intra-FID",
  :mod:`gankit.metrics.fid`). With fewer images than feature dimensions the covariances
  are singular; the distance is still defined (and biased upwards by the small count),
  so compare it only at equal ``n``.

Multi-label models (one image, several objects) get the per-object hit rate of the
iCLEVR rule instead (:func:`object_metrics`), and the diversity of fakes for repeated
object lists (:mod:`gankit.metrics.condition_diversity`).

Everything here works on tensors: features ``[N, D]``, logits ``[N, K]``, labels ``[N]``.
"""

from __future__ import annotations

import math

import torch

from gankit.metrics.accuracy import object_matches
from gankit.metrics.diversity import grouped_pairwise_distance
from gankit.metrics.fid import feature_statistics, frechet_distance
from gankit.metrics.registry import HIGHER, LOWER, MetricSpec, register_metric

#: most images per class, fake and real, behind the diversity and intra-FID figures
MAX_PER_CLASS = 200
#: how many classes are named in ``worst_classes``
WORST = 3

NAN = float("nan")


def samples_per_class(n: int, num_classes: int, cap: int = MAX_PER_CLASS) -> int:
    """Images per class to compare: about ``n / num_classes``, at least 2, at most ``cap``."""
    return max(2, min(cap, -(-n // max(num_classes, 1))))


def class_subset(labels: torch.Tensor, num_classes: int, per_class: int,
                 seed: int = 0) -> torch.Tensor:
    """Indices of a seeded random choice of up to ``per_class`` items of each class
    (class order, then random order within each class)."""
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    shuffled = labels.cpu()[order]
    return torch.cat([order[shuffled == c][:per_class] for c in range(num_classes)])


def class_hits(logits: torch.Tensor, labels: torch.Tensor,
               num_classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Int64 ``(hits, totals)`` ``[K]``: top-1 hits and image count per asked class."""
    labels = labels.cpu().long()
    hit = logits.cpu().argmax(dim=1) == labels
    return (torch.bincount(labels[hit], minlength=num_classes),
            torch.bincount(labels, minlength=num_classes))


def object_hit_counts(logits: torch.Tensor,
                      targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Int64 ``(hits, totals)`` ``[K]`` per object: images asked to show it, and those
    whose top-k outputs (k = their object count) include it."""
    hit, positive = object_matches(logits.cpu(), targets.cpu())
    return hit.sum(dim=0), positive.sum(dim=0)


class ClassCollector:
    """Accumulates what the per-class figures need from a stream of fake batches: the
    hit counts of every image, and the features of the first ``per_class`` images of each
    class (the stream is in random order), never the images.

    Args:
        num_classes: K.
        per_class: feature rows kept per class.
        multi_label: targets are multi-hot ``[N, K]`` (per-object hit counts only).
    """

    def __init__(self, num_classes: int, per_class: int, multi_label: bool = False):
        self.num_classes = num_classes
        self.per_class = per_class
        self.multi_label = multi_label
        self.hits = torch.zeros(num_classes, dtype=torch.long)
        self.totals = torch.zeros(num_classes, dtype=torch.long)
        self.kept = torch.zeros(num_classes, dtype=torch.long)
        self._features: list[torch.Tensor] = []
        self._labels: list[torch.Tensor] = []

    def add(self, labels: torch.Tensor, logits: torch.Tensor,
            features: torch.Tensor | None = None) -> None:
        """One batch: class indices ``[B]`` (multi-hot ``[B, K]`` when multi-label), the
        evaluator's logits ``[B, K]`` and, single-label, its features ``[B, D]``."""
        counter = object_hit_counts if self.multi_label else class_hits
        args = (logits, labels) if self.multi_label else (logits, labels, self.num_classes)
        hits, totals = counter(*args)
        self.hits += hits
        self.totals += totals
        if features is None or self.multi_label:
            return
        labels = labels.cpu().long()
        keep = rank_in_class(labels, self.num_classes) + self.kept[labels] < self.per_class
        self._features.append(features.cpu()[keep])
        self._labels.append(labels[keep])
        self.kept += torch.bincount(labels[keep], minlength=self.num_classes)

    def features(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The kept ``(features [M, D], labels [M])``."""
        if not self._features:
            return torch.zeros(0, 0), torch.zeros(0, dtype=torch.long)
        return torch.cat(self._features), torch.cat(self._labels)


def equal_counts(fake_labels: torch.Tensor, real_labels: torch.Tensor,
                 num_classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Boolean masks keeping, per class, the first ``min(fake count, real count)`` rows of
    each side, so both sides of a class are compared at the same count."""
    fake_labels, real_labels = fake_labels.cpu().long(), real_labels.cpu().long()
    count = torch.minimum(torch.bincount(fake_labels, minlength=num_classes),
                          torch.bincount(real_labels, minlength=num_classes))

    return (rank_in_class(fake_labels, num_classes) < count[fake_labels],
            rank_in_class(real_labels, num_classes) < count[real_labels])


def rank_in_class(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """For each row, how many earlier rows share its class (0 for a class's first row)."""
    onehot = torch.nn.functional.one_hot(labels, num_classes)
    return (onehot.cumsum(0) * onehot).sum(1) - 1


def class_frechet(fake: torch.Tensor, fake_labels: torch.Tensor, real: torch.Tensor,
                  real_labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Float64 ``[K]`` Fréchet distance between the fake and the real features of each
    class (NaN where a side has fewer than two rows)."""
    out = torch.full((num_classes,), NAN, dtype=torch.float64)
    for c in range(num_classes):
        f, r = fake[fake_labels == c], real[real_labels == c]
        if len(f) >= 2 and len(r) >= 2:
            out[c] = frechet_distance(feature_statistics(f), feature_statistics(r))
    return out


def per_class_metrics(fake_features: torch.Tensor, fake_labels: torch.Tensor,
                      real_features: torch.Tensor, real_labels: torch.Tensor,
                      class_names: list[str], *, fake_logits: torch.Tensor | None = None,
                      counts: tuple[torch.Tensor, torch.Tensor] | None = None,
                      worst: int = WORST) -> dict:
    """Per-class accuracy, diversity and intra-FID of fakes against reals.

    Args:
        fake_features: evaluator features ``[N, D]`` of fakes.
        fake_labels: the class ``[N]`` each fake was asked for.
        real_features: evaluator features ``[M, D]`` of real images.
        real_labels: their classes ``[M]``.
        class_names: the K class names (result keys).
        fake_logits: evaluator logits ``[N, K]`` of the same fakes, for ``acc``.
        counts: ``(hits, totals)`` ``[K]`` for ``acc`` and ``n`` instead (from more fakes
            than the features, see :class:`ClassCollector`).
        worst: how many classes to name per figure in ``worst_classes``.

    Returns:
        ``per_class``: ``{name: {"acc", "diversity_fake", "diversity_real",
        "diversity_ratio", "fid_evaluator", "n", "n_features"}}`` (``n``: fakes of the
        class behind ``acc``; ``n_features``: images per side behind the rest, trimmed to
        the same count); ``worst_classes``; and the summaries ``acc_class_mean``,
        ``acc_class_min``, ``diversity_ratio`` (mean over classes),
        ``diversity_ratio_min``, ``fid_evaluator_class_mean``,
        ``fid_evaluator_class_max``. NaN where a class has too few images.
    """
    k = len(class_names)
    if counts is None and fake_logits is not None:
        counts = class_hits(fake_logits, fake_labels, k)
    keep_fake, keep_real = equal_counts(fake_labels, real_labels, k)
    fake, fake_y = fake_features[keep_fake], fake_labels.cpu()[keep_fake]
    real, real_y = real_features[keep_real], real_labels.cpu()[keep_real]
    div_fake = grouped_pairwise_distance(fake, fake_y, k)
    div_real = grouped_pairwise_distance(real, real_y, k)
    figures = {
        "acc": _ratio(*counts) if counts is not None else torch.full((k,), NAN),
        "diversity_fake": div_fake,
        "diversity_real": div_real,
        "diversity_ratio": _ratio(div_fake, div_real),
        "fid_evaluator": class_frechet(fake, fake_y, real, real_y, k),
    }
    n = counts[1] if counts is not None else torch.bincount(fake_labels.cpu().long(), minlength=k)
    n_features = torch.bincount(fake_y.long(), minlength=k)
    table = {name: {**{key: float(v[c]) for key, v in figures.items()},
                    "n": int(n[c]), "n_features": int(n_features[c])}
             for c, name in enumerate(class_names)}
    return {**_summaries(figures),
            "per_class": table,
            "worst_classes": {"acc": _lowest(figures["acc"], class_names, worst),
                              "diversity_ratio": _lowest(figures["diversity_ratio"],
                                                         class_names, worst),
                              "fid_evaluator": _lowest(-figures["fid_evaluator"],
                                                       class_names, worst)}}


def object_metrics(hits: torch.Tensor, totals: torch.Tensor, class_names: list[str],
                   worst: int = WORST) -> dict:
    """Multi-label counterpart of :func:`per_class_metrics`: per object, the hit rate
    (``acc``) over the images asked to show it (``n``), from :func:`object_hit_counts`."""
    acc = _ratio(hits, totals)
    return {"acc_class_mean": _nan_reduce(acc, torch.mean),
            "acc_class_min": _nan_reduce(acc, torch.min),
            "per_class": {name: {"acc": float(acc[c]), "n": int(totals[c])}
                          for c, name in enumerate(class_names)},
            "worst_classes": {"acc": _lowest(acc, class_names, worst)}}


def _ratio(numerator: torch.Tensor, denominator: torch.Tensor) -> torch.Tensor:
    """Float64 element-wise ratio, NaN where the denominator is 0 (or NaN)."""
    num, den = numerator.double(), denominator.double()
    return torch.where(den > 0, num / den.clamp_min(1e-300), torch.full_like(den, NAN))


def _nan_reduce(values: torch.Tensor, reduce) -> float:
    finite = values[~torch.isnan(values)]
    return float(reduce(finite)) if len(finite) else NAN


def _summaries(figures: dict[str, torch.Tensor]) -> dict[str, float]:
    return {"acc_class_mean": _nan_reduce(figures["acc"], torch.mean),
            "acc_class_min": _nan_reduce(figures["acc"], torch.min),
            "diversity_ratio": _nan_reduce(figures["diversity_ratio"], torch.mean),
            "diversity_ratio_min": _nan_reduce(figures["diversity_ratio"], torch.min),
            "fid_evaluator_class_mean": _nan_reduce(figures["fid_evaluator"], torch.mean),
            "fid_evaluator_class_max": _nan_reduce(figures["fid_evaluator"], torch.max)}


def _lowest(values: torch.Tensor, class_names: list[str], worst: int) -> list[str]:
    """Names of the ``worst`` classes with the lowest values (NaN skipped; ties by index)."""
    ranked = sorted((float(v), c) for c, v in enumerate(values) if not math.isnan(float(v)))
    return [class_names[c] for _, c in ranked[:worst]]


register_metric(MetricSpec("per_class", {
    "fid_evaluator_class_mean": LOWER, "fid_evaluator_class_max": LOWER,
    "acc_class_mean": HIGHER, "acc_class_min": HIGHER,
    "diversity_ratio": HIGHER, "diversity_ratio_min": HIGHER}, conditional=True),
    help="each class's evaluator accuracy, diversity against real images and intra-FID, "
         "and the worst classes (multi-label: each object's hit rate, and the diversity "
         "of repeated object lists)")
