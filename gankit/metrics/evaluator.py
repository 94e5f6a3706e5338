"""The domain evaluator: a classifier trained on a labelled dataset, fully offline.

It scores conditional generators (does the image show the asked-for class/objects?) and
provides a feature space for the ``*_evaluator`` distances. Single-label data trains a
softmax classifier with cross-entropy (top-1 accuracy); multi-hot data trains sigmoid
outputs with binary cross-entropy (iCLEVR accuracy rule, see
:mod:`gankit.metrics.accuracy`). Inputs are uint8 images, mapped to [-1, 1]
(``x / 127.5 - 1``) and resized to the training resolution when they differ.

An evaluator is saved as one self-describing safetensors file: the weights, plus JSON
metadata (architecture, class names, label kind, resolution, channels, normalisation,
held-out accuracy) in its header. Nothing is pickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm

from gankit.data.base import ImageDataset, to_unit
from gankit.errors import GankitError
from gankit.metrics.accuracy import HIT_COUNTERS, pooled_accuracy
from gankit.metrics.defaults import EVALUATOR_DEFAULTS
from gankit.metrics.evaluator_augment import perturb
from gankit.metrics.evaluator_models import EVALUATOR_ARCHS, Classifier

FILE_FORMAT = "gankit-evaluator/1"
NORMALIZATION = "x / 127.5 - 1"

#: multi_label flag → training loss on (logits, labels).
LOSSES = {False: F.cross_entropy, True: F.binary_cross_entropy_with_logits}


class Evaluator:
    """A trained classifier with everything needed to use it on new images.

    Attributes:
        model: the :class:`Classifier` (``body`` → features, ``head`` → logits).
        arch: its registry name in ``EVALUATOR_ARCHS``.
        class_names: the K class (or object) names, output order.
        multi_label: sigmoid outputs for multi-hot labels (else softmax, one label).
        resolution: side of the square training images.
        channels: image channels (1 or 3).
        normalization: how uint8 pixels are mapped before the network.
        held_out_accuracy: accuracy on the validation split (``None``: no split).
    """

    def __init__(self, model: Classifier, arch: str, class_names: list[str], multi_label: bool,
                 resolution: int, channels: int, held_out_accuracy: float | None = None):
        self.model = model.eval()
        self.arch = arch
        self.class_names = list(class_names)
        self.multi_label = multi_label
        self.resolution = resolution
        self.channels = channels
        self.normalization = NORMALIZATION
        self.held_out_accuracy = held_out_accuracy

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def to(self, device: torch.device | str) -> "Evaluator":
        self.model.to(device)
        return self

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 ``[N, C, H, W]`` → float [-1, 1] at the evaluator's resolution and device."""
        if images.dtype != torch.uint8 or images.dim() != 4:
            raise GankitError(f"evaluator: expected uint8 images [N, C, H, W], got "
                              f"{images.dtype} {list(images.shape)}")
        if images.shape[1] != self.channels:
            raise GankitError(f"evaluator: trained on {self.channels}-channel images, got "
                              f"{images.shape[1]} channels")
        x = to_unit(images.to(self.device))
        if tuple(x.shape[-2:]) != (self.resolution, self.resolution):
            x = F.interpolate(x, size=(self.resolution, self.resolution), mode="bilinear",
                              align_corners=False, antialias=True)
        return x

    @torch.no_grad()
    def predict_logits(self, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        """Class logits ``[N, K]`` (float32, CPU) of uint8 images."""
        return self._map(images, self.model, batch_size)

    @torch.no_grad()
    def features(self, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        """Penultimate-layer features ``[N, D]`` (float32, CPU) of uint8 images."""
        return self._map(images, self.model.body, batch_size)

    @torch.no_grad()
    def features_and_logits(self, images: torch.Tensor,
                            batch_size: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`features` and :meth:`predict_logits` of uint8 images in one pass."""
        features = self.features(images, batch_size)
        return features, self.model.head(features.to(self.device)).float().cpu()

    def accuracy(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 256) -> float:
        """Top-1 accuracy (single label) or the pooled iCLEVR object accuracy (multi-hot)."""
        count = HIT_COUNTERS[self.multi_label]
        logits = self.predict_logits(images, batch_size)
        return pooled_accuracy([count(logits, labels.cpu())])

    def _map(self, images: torch.Tensor, net: torch.nn.Module, batch_size: int) -> torch.Tensor:
        self.model.eval()
        return torch.cat([net(self.prepare(batch)).float().cpu()
                          for batch in images.split(batch_size)])

    def config(self) -> dict:
        """The JSON metadata stored with the weights."""
        return {"format": FILE_FORMAT, "arch": self.arch, "class_names": self.class_names,
                "multi_label": self.multi_label, "resolution": self.resolution,
                "channels": self.channels, "normalization": self.normalization,
                "held_out_accuracy": self.held_out_accuracy}

    def fingerprint(self) -> str:
        """Hash of the configuration and weights (keys the real-feature cache)."""
        digest = hashlib.sha256(json.dumps(self.config(), sort_keys=True).encode())
        for name, tensor in sorted(self.model.state_dict().items()):
            digest.update(name.encode())
            raw = tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8)
            digest.update(raw.numpy().tobytes())
        return digest.hexdigest()[:16]

    def save(self, path: str | os.PathLike) -> Path:
        """Write the weights and metadata to one ``.safetensors`` file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {name: t.detach().cpu().contiguous() for name, t in self.model.state_dict().items()}
        save_file(state, str(path), metadata={"gankit": json.dumps(self.config())})
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, device: torch.device | str = "cpu") -> "Evaluator":
        """Rebuild an evaluator written by :meth:`save`.

        Raises:
            GankitError: the file is missing or is not a gankit evaluator file.
        """
        path = Path(path)
        if not path.is_file():
            raise GankitError(f"{path}: no such evaluator file; train one with "
                              "gankit evaluator train --data DATA --out FILE")
        try:
            with safe_open(str(path), framework="pt") as file:
                meta = file.metadata() or {}
            config = json.loads(meta.get("gankit", "{}"))
            state = load_file(str(path))
        except (SafetensorError, OSError, json.JSONDecodeError) as error:
            raise GankitError(f"{path}: not a gankit evaluator file ({error})") from error
        if config.get("format") != FILE_FORMAT:
            raise GankitError(f"{path}: not a gankit evaluator file (format "
                              f"{config.get('format')!r}, expected {FILE_FORMAT!r})")
        model = EVALUATOR_ARCHS.get(config["arch"])(
            config["channels"], config["resolution"], len(config["class_names"]))
        model.load_state_dict(state)
        return cls(model.to(device), config["arch"], config["class_names"],
                   config["multi_label"], config["resolution"], config["channels"],
                   config["held_out_accuracy"])


def train_evaluator(dataset: ImageDataset, arch: str = EVALUATOR_DEFAULTS["arch"],
                    epochs: int = EVALUATOR_DEFAULTS["epochs"],
                    batch_size: int = EVALUATOR_DEFAULTS["batch_size"],
                    lr: float = EVALUATOR_DEFAULTS["lr"],
                    weight_decay: float = EVALUATOR_DEFAULTS["weight_decay"],
                    val_fraction: float = EVALUATOR_DEFAULTS["val_fraction"],
                    seed: int = EVALUATOR_DEFAULTS["seed"],
                    robust: bool = EVALUATOR_DEFAULTS["robust"],
                    device: torch.device | str = "cpu",
                    progress: bool = True) -> tuple[Evaluator, dict]:
    """Train a classifier on a labelled image dataset (Adam).

    Args:
        dataset: images with int64 ``[N]`` labels (softmax, cross-entropy) or float
            ``[N, K]`` multi-hot labels (sigmoid, binary cross-entropy).
        arch: a name in ``EVALUATOR_ARCHS`` (``small-cnn``, ``resnet18``, ``resnet18-small``).
        epochs: passes over the training split.
        batch_size: images per step.
        lr: Adam learning rate.
        weight_decay: Adam weight decay.
        val_fraction: share of the images held out (random, from ``seed``) to measure
            accuracy; 0 holds out nothing.
        seed: seed of the split, the initial weights and the batch order.
        robust: train on mildly blurred / noisy / tone-shifted copies too
            (:mod:`gankit.metrics.evaluator_augment`), so that the evaluator judges
            imperfect generated images by their content.
        device: where to train.
        progress: show a tqdm bar.

    Returns:
        The trained :class:`Evaluator` (in eval mode, on ``device``) and a report:
        ``arch``, ``epochs``, ``n_train``, ``n_val``, per-epoch ``train_loss`` and
        ``val_accuracy``, ``held_out_accuracy`` (last epoch) and ``seconds``.

    Raises:
        GankitError: the dataset has no labels, non-square images, or too few images.
    """
    builder = EVALUATOR_ARCHS.get(arch)
    images, labels = _check_dataset(dataset)
    multi_label = dataset.multi_label
    class_names = dataset.class_names or [str(i) for i in range(dataset.num_classes)]
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(images), generator=generator)
    n_val = 0
    if val_fraction > 0:
        n_val = min(max(round(val_fraction * len(images)), 1), len(images) - 1)
    val_index, train_index = order[:n_val], order[n_val:]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = builder(images.shape[1], images.shape[-1], len(class_names)).to(device)
    evaluator = Evaluator(model, arch, class_names, multi_label, images.shape[-1],
                          images.shape[1])
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = LOSSES[multi_label]
    report = {"arch": arch, "epochs": epochs, "robust": robust,
              "n_train": len(train_index), "n_val": n_val,
              "train_loss": [], "val_accuracy": []}
    start = time.perf_counter()
    steps = epochs * -(-len(train_index) // batch_size)
    with tqdm(total=steps, desc=f"evaluator ({arch})", disable=not progress) as bar:
        for _ in range(epochs):
            model.train()
            losses = []
            shuffled = train_index[torch.randperm(len(train_index), generator=generator)]
            for index in shuffled.split(batch_size):
                x = evaluator.prepare(images[index])
                logits = model(perturb(x, generator) if robust else x)
                loss = loss_fn(logits, labels[index].to(logits.device))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
                bar.update()
            report["train_loss"].append(sum(losses) / len(losses))
            if n_val:
                report["val_accuracy"].append(
                    evaluator.accuracy(images[val_index], labels[val_index]))
            bar.set_postfix(loss=f"{report['train_loss'][-1]:.3f}",
                            val_acc=f"{report['val_accuracy'][-1]:.3f}" if n_val else "-")
    model.eval()
    evaluator.held_out_accuracy = report["val_accuracy"][-1] if n_val else None
    report["held_out_accuracy"] = evaluator.held_out_accuracy
    report["seconds"] = time.perf_counter() - start
    return evaluator, report


def _check_dataset(dataset: ImageDataset) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(dataset, ImageDataset) or dataset.labels is None:
        raise GankitError("evaluator: the dataset has no labels; it needs class labels or "
                          "multi-hot object labels (--labels class|multi)")
    height, width = dataset.images.shape[-2:]
    if height != width:
        raise GankitError(f"evaluator: images must be square, got {height}x{width}")
    if len(dataset) < 2:
        raise GankitError(f"evaluator: needs at least 2 labelled images, got {len(dataset)}")
    labels = dataset.labels.float() if dataset.multi_label else dataset.labels.long()
    return dataset.images, labels
