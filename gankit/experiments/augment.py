"""The synthetic-data augmentation study: does a conditional GAN's output help a
classifier trained from scratch?

A classifier is trained on each of three kinds of training set and tested on the real
test split:

- ``real``: the real training split;
- ``real+synthetic xR``: the real split plus R generated images per real image of each
  class (class-conditional runs: labelled with the class asked for; multi-label runs:
  conditions drawn from the real label rows, labelled with them);
- ``synthetic``: generated images only, as many per class as the real split
  (train on synthetic, test on real).

Every setting is trained once per seed (``seed``, ``seed + 1``, ...); within a seed all
settings share the classifier's initial weights, and the generated images of one seed
are nested (a smaller ratio uses the first images of a larger one).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable

import torch
import torch.nn.functional as F

from gankit.data.base import ImageDataset, to_uint8
from gankit.errors import GankitError
from gankit.experiments.classifier import (ClassifierSettings, LabelledImages,
                                           summarise_runs, train_classifier)
from gankit.metrics.evaluator_models import EVALUATOR_ARCHS
from gankit.runs.sampling import sample_conditions
from gankit.runs.trained import TrainedRun

REAL, MIXED, SYNTHETIC = "real", "real+synthetic", "synthetic"


@dataclass(frozen=True)
class AugmentOptions:
    """What the study runs: ratios, repeats, the classifier and the test split.

    Raises:
        GankitError: a number out of range or an unknown classifier, before any work.
    """

    ratios: tuple[float, ...] = (1.0,)
    repeats: int = 3
    classifier: ClassifierSettings = field(default_factory=ClassifierSettings)
    seed: int = 0
    split_test: str = "test"

    def __post_init__(self):
        c = self.classifier
        if not self.ratios:
            raise GankitError("give at least one --ratio")
        for ratio in self.ratios:
            if not (ratio > 0 and math.isfinite(ratio)):
                raise GankitError(f"--ratio must be a positive number, got {ratio:g}")
        for flag, value in (("--repeats", self.repeats), ("--epochs", c.epochs),
                            ("--batch-size", c.batch_size)):
            if value < 1:
                raise GankitError(f"{flag} must be at least 1, got {value}")
        if not (c.lr > 0 and math.isfinite(c.lr)):
            raise GankitError(f"--lr must be a positive number, got {c.lr:g}")
        EVALUATOR_ARCHS.get(c.arch)
        object.__setattr__(self, "ratios", tuple(sorted(set(self.ratios))))


@dataclass
class RealData:
    """The real training and test sets, as the run's generator sees images."""

    train_set: ImageDataset
    test_set: ImageDataset
    class_names: list[str]

    @property
    def train(self) -> LabelledImages:
        return LabelledImages(self.train_set.images, self.train_set.labels)

    @property
    def test(self) -> LabelledImages:
        return LabelledImages(self.test_set.images, self.test_set.labels)


def check_run(run: TrainedRun, where: str) -> None:
    """Raise :class:`GankitError` unless the run generates labelled images."""
    if run.spec.kind != "image":
        raise GankitError(f"{where} generates 2-D points; augment needs an image GAN")
    if run.translation:
        raise GankitError(f"{where} translates sketches to images; augment needs a "
                          "class-conditional or multi-label run that generates from noise")
    if not run.conditional:
        raise GankitError(f"{where} is unconditional; augment needs a class-conditional or "
                          "multi-label run (trained with data.labels=class or multi) to "
                          "label its images")


def load_real(run: TrainedRun, data: str | None, split_test: str,
              per_class: int = 0, seed: int = 0) -> RealData:
    """The real training split (the run's) and ``split_test`` of ``data`` (default: the
    run's data), loaded at the run's resolution and channels, checked against the run.
    ``per_class`` > 0 keeps a seeded subset of that many training images per class (the
    low-data regime, where synthetic images can help most)."""
    if per_class < 0:
        raise GankitError(f"--per-class must be 0 (all) or positive, got {per_class}")
    train_split = run.config.data.split
    if split_test == train_split:
        raise GankitError(f"--split-test {split_test} is the training split; test on "
                          "held-out images (e.g. --split-test test)")
    expected = run.class_names or [str(i) for i in range(run.spec.num_classes)]
    sets = []
    for split in (train_split, split_test):
        dataset = run.real_data(data, split)
        where = f"{data or run.config.data.name} (split {split})"
        if not isinstance(dataset, ImageDataset) or dataset.labels is None:
            raise GankitError(f"{where} has no labels; augment needs labelled images")
        if len(dataset) == 0:
            raise GankitError(f"{where} holds no images")
        _check_classes(where, dataset, expected, run.spec.multi_label)
        shape = (run.spec.channels, run.spec.resolution, run.spec.resolution)
        if dataset.shape != shape:
            raise GankitError(f"{where}: images are {dataset.shape}, the run makes {shape}")
        sets.append(dataset)
    train_set = few_per_class(sets[0], per_class, seed) if per_class else sets[0]
    return RealData(train_set, sets[1], list(expected))


def few_per_class(dataset: ImageDataset, per_class: int, seed: int = 0) -> ImageDataset:
    """A seeded subset with at most ``per_class`` images of each class (multi-hot data:
    ``per_class × K`` images in all)."""
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))
    if dataset.multi_label:
        keep = order[:per_class * dataset.num_classes]
    else:
        labels = dataset.labels[order]
        keep = torch.cat([order[labels == c][:per_class] for c in range(dataset.num_classes)])
    keep = keep.sort().values
    return replace(dataset, images=dataset.images[keep], labels=dataset.labels[keep],
                   names=None, sources=None)


def _check_classes(where: str, dataset: ImageDataset, expected: list[str],
                   multi_label: bool) -> None:
    if dataset.multi_label != multi_label:
        kinds = {True: "multi-hot object labels", False: "one class per image"}
        raise GankitError(f"{where} has {kinds[dataset.multi_label]}, the run was trained "
                          f"on {kinds[multi_label]}")
    names = dataset.class_names or [str(i) for i in range(dataset.num_classes)]
    if names != expected:
        def show(items):
            return ", ".join(items[:6]) + (", ..." if len(items) > 6 else "")
        raise GankitError(f"the classes of {where} differ from the run's: the run knows "
                          f"{len(expected)} ({show(expected)}), the data has {len(names)} "
                          f"({show(names)}); pass --data with the run's classes")


# ---------------------------------------------------------------- generated images

def synthetic_counts(ratio: float, real_counts: list[int]) -> list[int]:
    """Generated images per class for ``real_counts`` real ones at ``ratio``: ``ratio × n``
    each, rounded so that the total is ``ratio × N`` rounded (largest remainders)."""
    exact = [ratio * n for n in real_counts]
    counts = [math.floor(x) for x in exact]
    extra = math.floor(ratio * sum(real_counts) + 0.5) - sum(counts)
    by_remainder = sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])
    for i in by_remainder[:max(extra, 0)]:
        counts[i] += 1
    return counts


def real_groups(real: RealData) -> list[int]:
    """Real images per class (one group of all images for multi-hot labels)."""
    if real.train.multi_label:
        return [len(real.train_set)]
    return torch.bincount(real.train_set.labels.long(),
                          minlength=len(real.class_names)).tolist()


class SyntheticPool:
    """The generated images of one seed, grouped by class, enough for every ratio."""

    def __init__(self, run: TrainedRun, real: RealData, largest_ratio: float, seed: int,
                 batch_size: int = 256):
        self.groups = real_groups(real)
        # rounding never gives a class more than the ceiling of its largest share
        wanted = [math.ceil(largest_ratio * n) for n in self.groups]
        if real.train.multi_label:
            cond = sample_conditions(real.train_set, wanted[0], seed)
            self.labels = cond
        else:
            k = len(self.groups)
            self.labels = torch.repeat_interleave(torch.arange(k), torch.tensor(wanted))
            cond = F.one_hot(self.labels, k).float()
        self.images = torch.cat([to_uint8(batch) for batch in
                                 run.batches(len(cond), cond, seed=seed,
                                             batch_size=batch_size)])
        self.starts = [sum(wanted[:i]) for i in range(len(wanted))]

    def take(self, ratio: float) -> LabelledImages:
        """``ratio`` generated images per real image of each class."""
        index = torch.cat([start + torch.arange(n) for start, n in
                           zip(self.starts, synthetic_counts(ratio, self.groups))])
        return LabelledImages(self.images[index], self.labels[index])


# ---------------------------------------------------------------- the study

@dataclass(frozen=True)
class Setting:
    """One kind of training set: ``kind`` is real, real+synthetic or synthetic; ``ratio``
    generated images per real one (0 for real)."""

    kind: str
    ratio: float = 0.0

    @property
    def name(self) -> str:
        return f"{MIXED} x{self.ratio:g}" if self.kind == MIXED else self.kind

    def training_set(self, real: LabelledImages, pool: SyntheticPool) -> LabelledImages:
        """This setting's training images and labels."""
        if self.kind == REAL:
            return real
        synthetic = pool.take(self.ratio)
        return real + synthetic if self.kind == MIXED else synthetic


def study_settings(ratios: tuple[float, ...]) -> list[Setting]:
    """real, real+synthetic at each ratio, synthetic."""
    return [Setting(REAL)] + [Setting(MIXED, r) for r in ratios] + [Setting(SYNTHETIC, 1.0)]


def run_study(run: TrainedRun, real: RealData, options: AugmentOptions,
              device: torch.device | str = "cpu", progress: bool = False,
              log: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> dict:
    """Train and test a classifier for every setting and seed; returns the record that
    :func:`~gankit.experiments.augment_report.write_report` saves (every per-epoch,
    per-seed figure and their mean ± std)."""
    for ratio in options.ratios:
        if sum(synthetic_counts(ratio, real_groups(real))) == 0:
            raise GankitError(f"--ratio {ratio:g} adds no generated image to "
                              f"{len(real.train_set)} real ones; use a larger ratio")
    settings = study_settings(options.ratios)
    runs: dict[str, list[dict]] = {s.name: [] for s in settings}
    sizes: dict[str, tuple[int, int]] = {}
    start = time.perf_counter()
    seeds = [options.seed + k for k in range(options.repeats)]
    for k, seed in enumerate(seeds):
        pool = SyntheticPool(run, real, max(options.ratios + (1.0,)), seed)
        for setting in settings:
            train = setting.training_set(real.train, pool)
            n_real = 0 if setting.kind == SYNTHETIC else len(real.train_set)
            sizes[setting.name] = (n_real, len(train) - n_real)
            label = f"{setting.name}, seed {seed} ({k + 1}/{len(seeds)})"
            _, history = train_classifier(train, real.test, len(real.class_names),
                                          options.classifier, seed, device, progress, label)
            runs[setting.name].append({"seed": seed, **asdict(history)})
            log(f"augment: {label}: held-out accuracy {history.test_accuracy[-1]:.4f}, "
                f"loss {history.test_loss[-1]:.4f} ({history.seconds:.1f} s)")
    summaries = [{"name": s.name, "kind": s.kind, "ratio": s.ratio, "n_real": sizes[s.name][0],
                  "n_synthetic": sizes[s.name][1], **summarise_runs(runs[s.name])}
                 for s in settings]
    return _record(run, real, options, seeds, summaries, time.perf_counter() - start)


def _record(run: TrainedRun, real: RealData, options: AugmentOptions, seeds: list[int],
            settings: list[dict], seconds: float) -> dict:
    c = options.classifier
    multi = real.train.multi_label
    return {
        "kind": "augment",
        "gan": {"checkpoint": str(run.checkpoint), "step": run.step,
                "conditioning": "multi-label" if multi else "class",
                "classes": len(real.class_names)},
        "data": {"train": real.train_set.description, "test": real.test_set.description,
                 "train_split": run.config.data.split, "test_split": options.split_test,
                 "n_train": len(real.train_set), "n_test": len(real.test_set),
                 "resolution": run.spec.resolution, "channels": run.spec.channels},
        "classifier": {**asdict(c), "optimizer": "SGD",
                       "loss": "BCE with logits" if multi else "cross-entropy",
                       "accuracy_rule": "iCLEVR top-k (k = objects per image)" if multi
                       else "top-1"},
        "ratios": list(options.ratios), "seeds": seeds, "class_names": real.class_names,
        "settings": settings, "seconds": seconds,
    }
