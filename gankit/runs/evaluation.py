"""Evaluating a generator: streamed fakes → metrics (torch-fidelity) + evaluator accuracy.

Used by ``gankit evaluate`` and by training-time evaluation. Fakes are generated in
batches and only their features are kept; conditional models draw their conditions
from the real data's labels (or a conditions file), and the same images feed FID/KID
and the evaluator's accuracy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import torch

from gankit.data.base import ImageDataset, to_uint8
from gankit.data.loader import condition_vectors
from gankit.data.unpaired import domain_sizes, is_unpaired
from gankit.errors import GankitError
from gankit.metrics.accuracy import HIT_COUNTERS, pooled_accuracy
from gankit.metrics.compute import MetricSuite
from gankit.metrics.condition_diversity import (
    PER_CONDITION,
    condition_diversity,
    condition_name,
    repeated_conditions,
)
from gankit.metrics.evaluator import Evaluator
from gankit.metrics.per_class import (
    ClassCollector,
    class_subset,
    object_metrics,
    per_class_metrics,
    samples_per_class,
)
from gankit.metrics.registry import DIRECTION_PREFIX, check_metric_names, metric
from gankit.metrics.translation import translation_metrics
from gankit.models import DataSpec, Generator
from gankit.models.cyclegan import DIRECTIONS, is_cycle_generator
from gankit.runs.sampling import (
    cycle_conditions,
    generate_batches,
    sample_conditions,
    seeded_latents,
)
from gankit.runs.translate import Translator, one_way
from gankit.sharding import WHOLE, Shard

ACCURACY = "acc"
PER_CLASS = "per_class"
#: metrics of translations against their own ground truth (need true pairs)
PAIRED_METRICS = ("l1", "psnr", "ssim")
#: multi-label runs: how many asked-for conditions are searched for lists real images share
SCANNED_CONDITIONS = 512


@dataclass
class EvaluationRequest:
    """What to measure. See :func:`evaluate_generator`."""

    metrics: tuple[str, ...] = ("fid",)
    n: int = 2000
    seed: int = 0
    batch_size: int = 128
    inception_weights: str | None = None
    allow_download: bool = False
    evaluator: str | object | None = None
    progress: bool = False

    def __post_init__(self):
        self.metrics = check_metric_names(tuple(self.metrics))


def fake_batches(G: Generator, n: int, cond: torch.Tensor | None, seed: int, batch_size: int,
                 device: torch.device | str, shard: Shard = WHOLE
                 ) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
    """``(uint8 images, their conditions)`` in batches, repeatable from ``seed``; with a
    ``shard``, only this process's part of the ``n`` (the same latents and conditions
    one process would use for those rows)."""
    z = None
    if not shard.whole:
        rows = shard.rows(n)
        z = seeded_latents(G, n, seed, batch_size)
        z = None if z is None else z[rows]
        cond = None if cond is None else cond[rows]
        n = rows.stop - rows.start
    batches = generate_batches(G, n, cond, seed=seed, batch_size=batch_size, device=device,
                               z=z)
    for start, images in zip(range(0, n, batch_size), batches):
        yield to_uint8(images), None if cond is None else cond[start:start + batch_size]


def evaluator_hits(evaluator, images: torch.Tensor, cond: torch.Tensor) -> tuple[int, int]:
    """``(hits, total)`` of the evaluator on uint8 ``images`` asked to show ``cond``."""
    return HIT_COUNTERS[evaluator.multi_label](evaluator.predict_logits(images),
                                               condition_labels(evaluator, cond))


def condition_labels(evaluator, cond: torch.Tensor) -> torch.Tensor:
    """What the evaluator is scored against: class indices, or multi-hot rows."""
    return cond.cpu() if evaluator.multi_label else cond.argmax(1).cpu()


def check_evaluator(metric: str, spec: DataSpec, evaluator) -> None:
    """Raise unless ``evaluator`` can judge the conditions of a model with ``spec``."""
    if not spec.num_classes:
        raise GankitError(f"metric {metric!r} needs a conditional model")
    if evaluator is None:
        raise GankitError(f"metric {metric!r} needs a domain evaluator: pass --evaluator FILE "
                          "(train one with `gankit evaluator train`)")
    if evaluator.multi_label != spec.multi_label or len(evaluator.class_names) != spec.num_classes:
        raise GankitError(f"the evaluator knows {len(evaluator.class_names)} "
                          f"{'multi-label ' if evaluator.multi_label else ''}classes, the "
                          f"model {spec.num_classes}; use an evaluator trained on its data")


def load_evaluator(evaluator: str | object | None, device: torch.device | str):
    """An Evaluator from an object or a file path (``None`` stays ``None``)."""
    if evaluator is None or not isinstance(evaluator, (str, Path)):
        return evaluator
    return Evaluator.load(evaluator, device)


def real_subset(dataset: ImageDataset, n: int) -> torch.Tensor:
    """A fixed random subset of ``n`` real images (folders are sorted by class, so the
    first ``n`` would not be representative)."""
    if n >= len(dataset):
        return dataset.images
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(0))
    return dataset.images[order[:n]]


def real_cache_key(dataset: ImageDataset) -> str:
    """A hash of the real images' content (keys the feature cache; ~0.2 s for 150 MB)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(str(tuple(dataset.images.shape)).encode())
    digest.update(dataset.images.contiguous().numpy().tobytes())
    return digest.hexdigest()


def evaluate_generator(G: Generator, spec: DataSpec, real: ImageDataset,
                       request: EvaluationRequest, device: torch.device | str = "cpu",
                       conditions: torch.Tensor | None = None, suite=None,
                       shard: Shard = WHOLE) -> dict:
    """Measure ``G`` against ``real``.

    Args:
        G: the generator (its train/eval mode is restored afterwards).
        spec: its data spec (conditions are needed when ``spec.num_classes``).
        real: the reference images (and labels, from which conditions are drawn).
        request: metric names (``fid``, ``is``, ``kid``, ``pr``, ``*_evaluator``,
            ``acc``, ``per_class``), sample count, seed, Inception weights, evaluator.
        conditions: ``[M, K]`` rows to use instead (cycled to ``n``).
        suite: a ready :class:`~gankit.metrics.compute.MetricSuite` to reuse.
        shard: with several processes, this process's part: each generates and measures
            its rows of the ``n`` fakes (and of the real subset), the features and
            evaluator counts are gathered, and every process returns the same figures.
            ``per_class`` is measured whole by every process.

    Returns:
        ``{key: value}`` as :meth:`MetricSuite.compute` gives, plus ``acc``, ``n`` and,
        for ``per_class``, the figures of :mod:`gankit.metrics.per_class` (the nested
        ``per_class`` and ``worst_classes`` entries and their scalar summaries).
    """
    n = request.n
    evaluator = load_evaluator(request.evaluator, device)
    if spec.num_classes:
        if conditions is None:
            conditions = sample_conditions(real, n, request.seed)
        else:
            conditions = cycle_conditions(conditions, n)
    wants_acc = ACCURACY in request.metrics
    for name in (ACCURACY, PER_CLASS):
        if name in request.metrics:
            check_evaluator(name, spec, evaluator)
    collector = class_collector(spec, real, n) if PER_CLASS in request.metrics else None
    if collector is not None or n < shard.count:
        shard = WHOLE
    counts: list[tuple[int, int]] = []

    def stream() -> Iterator[torch.Tensor]:
        for images, cond in fake_batches(G, n, conditions, request.seed, request.batch_size,
                                         device, shard):
            if collector is not None:
                labels = condition_labels(evaluator, cond)
                if spec.multi_label:
                    features, logits = None, evaluator.predict_logits(images)
                else:
                    features, logits = evaluator.features_and_logits(images)
                collector.add(labels, logits, features)
                if wants_acc:
                    counts.append(HIT_COUNTERS[spec.multi_label](logits, labels))
            elif wants_acc:
                counts.append(evaluator_hits(evaluator, images, cond))
            yield images

    results: dict = {}
    suite = metric_suite(request, evaluator, device, suite)
    if suite is not None:
        rows = shard.rows(n)
        results.update(suite.compute(stream(), real_subset(real, n), n=rows.stop - rows.start,
                                     real_cache_key=real_cache_key(real), shard=shard))
    else:
        for _ in stream():
            pass
    if wants_acc:
        totals = torch.tensor([[sum(h for h, _ in counts), sum(t for _, t in counts)]])
        results[ACCURACY] = pooled_accuracy(shard.gather_rows(totals).tolist())
    if collector is not None:
        results.update(class_results(collector, evaluator, real, request.seed))
        if collector.multi_label:
            results.update(condition_results(G, conditions, real, request, device))
    results["n"] = n
    return results


def class_collector(spec: DataSpec, real: ImageDataset, n: int):
    """The :class:`~gankit.metrics.per_class.ClassCollector` for ``n`` fakes of a model
    with ``spec``, checked against the real data's labels."""
    if real.labels is None or real.multi_label != spec.multi_label:
        raise GankitError(f"metric {PER_CLASS!r} compares each class with its real images: "
                          "use real data labelled like the model's (--data, --split)")
    return ClassCollector(spec.num_classes, samples_per_class(n, spec.num_classes),
                          spec.multi_label)


def class_results(collector, evaluator, real: ImageDataset, seed: int) -> dict:
    """The per-class figures of the collected fakes, against a seeded subset of real
    images of each class (as many per class as fakes were kept)."""
    names = [str(name) for name in real.class_names or range(collector.num_classes)]
    if collector.multi_label:
        return object_metrics(collector.hits, collector.totals, names)
    index = class_subset(real.labels, collector.num_classes, collector.per_class, seed)
    fake_features, fake_labels = collector.features()
    return per_class_metrics(fake_features, fake_labels, evaluator.features(real.images[index]),
                             real.labels[index], names,
                             counts=(collector.hits, collector.totals))


def condition_results(G: Generator, conditions: torch.Tensor, real: ImageDataset,
                      request: EvaluationRequest, device: torch.device | str) -> dict:
    """Multi-label runs: the spread of fakes for repeated object lists against real
    images with exactly those objects (:mod:`gankit.metrics.condition_diversity`). The
    lists are the first of ``conditions`` that real images share, else lists the real
    data repeats; NaN figures when it repeats none."""
    rng = torch.Generator().manual_seed(request.seed)
    rows, members = repeated_conditions(real.labels, conditions[:SCANNED_CONDITIONS])
    if not len(rows):
        order = torch.randperm(len(real.labels), generator=rng)[:SCANNED_CONDITIONS]
        rows, members = repeated_conditions(real.labels, real.labels[order])
    if not len(rows):
        none = torch.zeros(0, dtype=torch.long)
        return condition_diversity(real.images[:0], none, real.images[:0], none, [])
    class_names = [str(c) for c in real.class_names or range(rows.shape[1])]
    picks = [m[torch.randperm(len(m), generator=rng)[:PER_CONDITION]] for m in members]
    cond = rows.float().repeat_interleave(PER_CONDITION, dim=0)
    fake = torch.cat([images for images, _ in fake_batches(G, len(cond), cond, request.seed + 1,
                                                           request.batch_size, device)])
    return condition_diversity(
        fake, torch.arange(len(rows)).repeat_interleave(PER_CONDITION),
        real.images[torch.cat(picks)],
        torch.cat([torch.full((len(p),), i) for i, p in enumerate(picks)]),
        [condition_name(row, class_names) for row in rows])


def evaluate_translation(translator, pairs: ImageDataset, request: EvaluationRequest,
                         suite=None) -> dict:
    """Measure an image-to-image model (a :class:`~gankit.runs.translate.Translator`) on
    held-out pairs.

    Translates every source of ``pairs`` (with its own label for conditional models) and
    compares the outputs with the paired ground truth: ``l1``, ``psnr``, ``ssim`` always;
    FID/KID/PR against the ground-truth images and ``acc`` (evaluator accuracy of the
    outputs, for the pairs' labels) when ``request.metrics`` names them.
    """
    if pairs.sources is None:
        raise GankitError("translation evaluation needs paired data (sketches and images)")
    if is_unpaired(pairs):
        raise GankitError(f"{pairs.description or 'the data'} holds two unpaired domains, so "
                          "translations have no ground truth; evaluate on paired data "
                          "(--data, --split)")
    if PER_CLASS in request.metrics:
        raise GankitError(f"metric {PER_CLASS!r} measures noise-to-image generators, not "
                          "image-to-image runs")
    k = translator.spec.num_classes
    cond = condition_vectors(pairs.labels, k) if k else None
    outputs = translator.translate(pairs.sources, cond, request.batch_size, request.seed)
    results: dict = {k: float(v) for k, v in translation_metrics(outputs, pairs.images).items()}
    evaluator = load_evaluator(request.evaluator, translator.device)
    suite = metric_suite(request, evaluator, translator.device, suite)
    if suite is not None:
        results.update(suite.compute(outputs, pairs.images))
    if ACCURACY in request.metrics:
        if evaluator is None or cond is None:
            raise GankitError("metric 'acc' needs a labelled model and a domain evaluator "
                              "(--evaluator FILE)")
        results[ACCURACY] = pooled_accuracy([evaluator_hits(evaluator, outputs, cond)])
    results["n"] = len(pairs)
    return results


def available_metrics(metrics: tuple[str, ...], data: ImageDataset) -> tuple[str, ...]:
    """``metrics`` without the paired ones (L1/PSNR/SSIM) when ``data`` has no true pairs."""
    if data.sources is not None and not is_unpaired(data):
        return tuple(metrics)
    return tuple(m for m in metrics if m not in PAIRED_METRICS)


def evaluate_cycle(G: Generator, spec: DataSpec, data: ImageDataset, request: EvaluationRequest,
                   device: torch.device | str = "cpu", suite=None) -> dict:
    """Measure both directions of a CycleGAN generator on two domains.

    Each direction translates every distinct image of its source domain (``data.sources``
    for A → B, ``data.images`` for B → A) and is compared with the real images of its
    target domain by the feature metrics ``request.metrics`` names (FID, KID...); when
    ``data`` holds true pairs (a held-out split of paired data), also with each input's
    own ground truth: ``l1``, ``psnr``, ``ssim``.

    Returns:
        A → B figures under the plain keys (``fid``, ``l1``, ``n``...), B → A figures
        under ``BtoA/<key>``.
    """
    if data.sources is None:
        raise GankitError("a CycleGAN is measured on its two domains; use data with both "
                          "(data.unpaired=true, or a trainA/ + trainB/ folder)")
    wrong = [m for m in (ACCURACY, PER_CLASS) if m in request.metrics]
    if wrong:
        raise GankitError(f"metric {wrong[0]!r} needs a labelled model; a CycleGAN has no "
                          "labels")
    paired = not is_unpaired(data)
    asked = [m for m in request.metrics if m in PAIRED_METRICS]
    if asked and not paired:
        raise GankitError(f"metric {asked[0]!r} compares translations with their ground "
                          f"truth, but {data.description or 'the data'} holds unpaired "
                          "domains; drop it or evaluate on paired data (--data, --split)")
    n_a, n_b = domain_sizes(data)
    domains = {"AtoB": (data.sources[:n_a], data.images[:n_b]),
               "BtoA": (data.images[:n_b], data.sources[:n_a])}
    results: dict = {}
    for direction in DIRECTIONS:
        inputs, targets = domains[direction]
        translator = Translator(*one_way(G, spec, direction), [], torch.device(device))
        outputs = translator.translate(inputs, None, request.batch_size, request.seed)
        part: dict = {}
        if paired:  # rows are pairs: row i of the outputs has the target of row i
            part.update({k: float(v) for k, v in translation_metrics(outputs, targets).items()})
        if suite is not None:
            part.update(suite.compute(outputs, targets))
        part["n"] = len(inputs)
        results.update({DIRECTION_PREFIX[direction] + k: v for k, v in part.items()})
    return results


def metric_suite(request: EvaluationRequest, evaluator, device, suite=None):
    """The MetricSuite for the registry metrics of ``request`` (``suite`` if given;
    ``None`` when only acc / paired metrics are asked for)."""
    names = [m for m in request.metrics if metric(m).from_features]
    if not names:
        return None
    return suite or MetricSuite(names, inception_weights=request.inception_weights,
                                allow_download=request.allow_download, evaluator=evaluator,
                                device=device, progress=request.progress)


def evaluate_model(G: Generator, spec: DataSpec, real: ImageDataset, request: EvaluationRequest,
                   device: torch.device | str, suite=None,
                   conditions: torch.Tensor | None = None,
                   shard: Shard = WHOLE) -> tuple[dict, object]:
    """Evaluate a noise → image or an image-to-image generator (by ``spec``), reusing
    ``suite``; returns the results and the suite for the next call. A noise → image
    generator's evaluation is split by ``shard`` (see :func:`evaluate_generator`); the
    others are measured whole by every process."""
    evaluator = load_evaluator(request.evaluator, device)
    suite = metric_suite(request, evaluator, device, suite)
    if is_cycle_generator(G):
        return evaluate_cycle(G, spec, real, request, device, suite), suite
    if spec.source_channels:
        translator = Translator(G, spec, list(real.class_names or []), torch.device(device))
        return evaluate_translation(translator, real, request, suite), suite
    return evaluate_generator(G, spec, real, request, device, conditions, suite, shard), suite
