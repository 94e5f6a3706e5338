"""Train a classifier from scratch on labelled uint8 images and follow its held-out
accuracy and loss epoch by epoch (the loop of the augmentation study).

The network is an ``EVALUATOR_ARCHS`` architecture trained with SGD (momentum 0.9) on
cross-entropy (class indices) or binary cross-entropy with logits (multi-hot labels);
accuracy is top-1, or the iCLEVR top-k rule for multi-hot labels
(:mod:`gankit.metrics.accuracy`). Images are mapped to [-1, 1] like the domain evaluator's.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from gankit.metrics.accuracy import HIT_COUNTERS, pooled_accuracy
from gankit.metrics.evaluator import LOSSES, Evaluator
from gankit.metrics.evaluator_models import EVALUATOR_ARCHS


@dataclass
class LabelledImages:
    """uint8 images ``[N, C, H, W]`` with int64 ``[N]`` class indices or float ``[N, K]``
    multi-hot rows."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.images)

    @property
    def multi_label(self) -> bool:
        return self.labels.dim() == 2

    def __add__(self, other: "LabelledImages") -> "LabelledImages":
        return LabelledImages(torch.cat([self.images, other.images]),
                              torch.cat([self.labels, other.labels]))


@dataclass(frozen=True)
class ClassifierSettings:
    """How the classifier is built and trained.

    Attributes:
        arch: a name in ``EVALUATOR_ARCHS`` (``resnet18``, ``small-cnn``, ...).
        epochs: passes over the training images.
        batch_size: images per SGD step.
        lr: SGD learning rate.
        momentum: SGD momentum.
    """

    arch: str = "resnet18"
    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    momentum: float = 0.9


@dataclass
class History:
    """Per-epoch figures of one training run (lists of length ``epochs``)."""

    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0


def held_out_scores(evaluator: Evaluator, test: LabelledImages,
                    batch_size: int = 256) -> tuple[float, float]:
    """``(accuracy, mean loss)`` of a classifier on labelled images (no gradients)."""
    logits = evaluator.predict_logits(test.images, batch_size)
    labels = test.labels.to(logits.dtype) if test.multi_label else test.labels
    loss = float(LOSSES[test.multi_label](logits, labels))
    return pooled_accuracy([HIT_COUNTERS[test.multi_label](logits, labels)]), loss


def train_classifier(train: LabelledImages, test: LabelledImages, num_classes: int,
                     settings: ClassifierSettings = ClassifierSettings(), seed: int = 0,
                     device: torch.device | str = "cpu", progress: bool = False,
                     desc: str = "classifier") -> tuple[Evaluator, History]:
    """Train a fresh classifier on ``train``, scoring it on ``test`` after every epoch.

    ``seed`` fixes the initial weights and the batch order, so equal inputs and seed give
    equal figures. Returns the classifier (as an :class:`Evaluator`, in eval mode) and its
    :class:`History`.
    """
    if len(train) == 0 or len(test) == 0:
        raise ValueError("train_classifier needs training and test images")
    builder = EVALUATOR_ARCHS.get(settings.arch)
    channels, resolution = train.images.shape[1], train.images.shape[-1]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = builder(channels, resolution, num_classes).to(device)
    evaluator = Evaluator(model, settings.arch, [str(i) for i in range(num_classes)],
                          train.multi_label, resolution, channels)
    optimizer = torch.optim.SGD(model.parameters(), lr=settings.lr, momentum=settings.momentum)
    loss_fn = LOSSES[train.multi_label]
    labels = train.labels.float() if train.multi_label else train.labels.long()
    generator = torch.Generator().manual_seed(seed)
    history = History()
    start = time.perf_counter()
    steps = settings.epochs * -(-len(train) // settings.batch_size)
    with tqdm(total=steps, desc=desc, disable=not progress, leave=False) as bar:
        for _ in range(settings.epochs):
            model.train()
            total, seen = 0.0, 0
            batches = torch.randperm(len(train), generator=generator).split(
                settings.batch_size)
            if len(batches) > 1 and len(batches[-1]) == 1:
                # BatchNorm cannot train on one image when the map is 1×1 (ResNet-18 at
                # 32 px); the shuffle leaves out a different image each epoch
                batches = batches[:-1]
            for index in batches:
                logits = model(evaluator.prepare(train.images[index]))
                loss = loss_fn(logits, labels[index].to(logits.device))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(index)
                seen += len(index)
                bar.update()
            accuracy, test_loss = held_out_scores(evaluator, test)
            history.train_loss.append(total / seen)
            history.test_loss.append(test_loss)
            history.test_accuracy.append(accuracy)
            bar.set_postfix(loss=f"{test_loss:.3f}", acc=f"{accuracy:.3f}")
    model.eval()
    history.seconds = time.perf_counter() - start
    return evaluator, history


def mean_std(values: list[float]) -> dict:
    """Mean and sample standard deviation (0 for a single value)."""
    return {"mean": statistics.fmean(values),
            "std": statistics.stdev(values) if len(values) > 1 else 0.0}


def summarise_runs(runs: list[dict]) -> dict:
    """Mean ± std over repeated trainings (``asdict(History)`` rows): the last epoch's
    ``accuracy`` and ``loss``, per-epoch ``curves``, and the ``runs`` themselves."""
    curves = {}
    for metric, key in (("accuracy", "test_accuracy"), ("loss", "test_loss")):
        per_epoch = [mean_std(list(values)) for values in zip(*(r[key] for r in runs))]
        curves[f"{metric}_mean"] = [e["mean"] for e in per_epoch]
        curves[f"{metric}_std"] = [e["std"] for e in per_epoch]
    return {"accuracy": mean_std([r["test_accuracy"][-1] for r in runs]),
            "loss": mean_std([r["test_loss"][-1] for r in runs]),
            "curves": curves, "runs": runs}
