"""Batches cut from an in-memory dataset, augmented per batch, resumable exactly.

The whole uint8 tensor is indexed with a shuffled permutation; conversion to float,
the random horizontal flip and the move to the device happen once per batch. When the
device is a GPU and the data is small enough, the uint8 tensor lives on the GPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gankit.data.base import Batch, Dataset, ImageDataset, to_unit
from gankit.errors import GankitError
from gankit.sharding import WHOLE, Shard

GPU_RESIDENT_BYTES = 4 << 30


def condition_vectors(labels: torch.Tensor | None, num_classes: int) -> torch.Tensor | None:
    """Labels → float condition rows: class indices become one-hot, multi-hot stays."""
    if labels is None:
        return None
    if labels.dim() == 2:
        return labels.float()
    return F.one_hot(labels.long(), num_classes).float()


def _check_class_groups(dataset: Dataset, group: int, batch: int) -> None:
    """Raise unless ``dataset`` can be cut into runs of ``group`` images of one class
    that fill batches of ``batch`` (per process) exactly."""
    labels = getattr(dataset, "labels", None)
    if labels is None or labels.dim() != 1:
        raise GankitError("train.class_groups puts images of one class together and needs "
                          "class labels (data.labels=class); set train.class_groups=0")
    if batch % group:
        raise GankitError(f"train.class_groups={group} must divide the batch of {batch} "
                          "(per process); change train.batch_size or train.class_groups")
    counts = torch.bincount(labels.long(), minlength=dataset.num_classes)
    if int(counts.min()) < group:
        names = dataset.class_names or [str(c) for c in range(dataset.num_classes)]
        c = int(counts.argmin())
        raise GankitError(f"class {names[c]!r} has {int(counts[c])} images, fewer than "
                          f"train.class_groups={group}; lower train.class_groups")


class BatchLoader:
    """An endless stream of :class:`Batch` es over ``dataset``.

    Args:
        dataset: an :class:`ImageDataset` or :class:`PointDataset`.
        batch_size: items per batch; the last partial batch of an epoch is dropped.
        device: where batches go.
        flip: random horizontal flips (images only).
        seed: seeds the loader's own generator (shuffling, flips).
        shard: with several processes, this process's part of each batch: every process
            walks the same shuffled order in global batches of ``batch_size`` and yields
            its own slice (its flips too), so the processes' slices of a step together
            are the batch one process would see.
        class_groups: g > 0 makes every batch runs of g images of one class (class
            labels only), so that a discriminator with a minibatch standard deviation
            over groups of g (``model.d_mbstd``) sees the spread within a class, and
            the fakes, made for the batch's labels, come in the same runs.
    """

    def __init__(self, dataset: Dataset, batch_size: int, device: torch.device | str = "cpu",
                 flip: bool = False, seed: int = 0, shard: Shard = WHOLE,
                 class_groups: int = 0):
        if len(dataset) < batch_size:
            raise GankitError(f"the dataset has {len(dataset)} items, fewer than one batch "
                              f"of {batch_size}; lower train.batch_size")
        if batch_size % shard.count:
            raise GankitError(f"train.batch_size={batch_size} is the global batch and must "
                              f"divide evenly among the {shard.count} processes; use a "
                              f"multiple of {shard.count}")
        if class_groups:
            _check_class_groups(dataset, class_groups, batch_size // shard.count)
        self.dataset = dataset
        self.batch_size = batch_size
        self.shard = shard
        self.device = torch.device(device)
        self.is_image = isinstance(dataset, ImageDataset)
        self.flip = flip and self.is_image
        self.generator = torch.Generator().manual_seed(seed)
        self.class_groups = class_groups
        self.epoch = 0
        self.cursor = 0
        self.order = self._shuffled()
        self._data = dataset.images if self.is_image else dataset.points
        self._sources = dataset.sources if self.is_image else None
        self._cond = condition_vectors(dataset.labels, dataset.num_classes)
        if self.device.type == "cuda" and self._data.numel() < GPU_RESIDENT_BYTES:
            self._data = self._data.to(self.device)
            if self._sources is not None:
                self._sources = self._sources.to(self.device)
            if self._cond is not None:
                self._cond = self._cond.to(self.device)

    def __iter__(self):
        return self

    def __next__(self) -> Batch:
        if self.cursor + self.batch_size > len(self.order):
            self.epoch += 1
            self.cursor = 0
            self.order = self._shuffled()
        index = self.order[self.cursor:self.cursor + self.batch_size]
        self.cursor += self.batch_size
        return self.batch(index)

    def _shuffled(self) -> torch.Tensor:
        """One epoch's order: a permutation, or with ``class_groups`` g, shuffled runs of
        g images of one class (each class's remainder left out this epoch)."""
        if not self.class_groups:
            return torch.randperm(len(self.dataset), generator=self.generator)
        g, labels = self.class_groups, self.dataset.labels
        runs = []
        for c in range(self.dataset.num_classes):
            members = (labels == c).nonzero().flatten()
            members = members[torch.randperm(len(members), generator=self.generator)]
            runs.append(members[:len(members) // g * g].reshape(-1, g))
        runs = torch.cat(runs)
        return runs[torch.randperm(len(runs), generator=self.generator)].flatten()

    def _flips(self, n: int) -> torch.Tensor:
        """One coin per item of this process's slice (drawn for the global batch)."""
        return self.shard.draw(lambda m: torch.rand(m, generator=self.generator) < 0.5, n)

    def batch(self, index: torch.Tensor) -> Batch:
        """This process's part of the batch of items at ``index`` (no shuffling state
        changes except flips)."""
        index = index[self.shard.batch_rows(len(index))]
        x = self._data[index.to(self._data.device)].to(self.device, non_blocking=True)
        x = to_unit(x) if self.is_image else x.float()
        source = None
        if self._sources is not None:
            source = to_unit(self._sources[index.to(self._sources.device)].to(self.device))
        if self.flip:
            mask = self._flips(len(index)).to(self.device)
            x = torch.where(mask[:, None, None, None], x.flip(3), x)
            if source is not None:
                source = torch.where(mask[:, None, None, None], source.flip(3), source)
        cond = None if self._cond is None else self._cond[index.to(self._cond.device)].to(self.device)
        return Batch(x, cond, source)

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "cursor": self.cursor, "order": self.order.clone(),
                "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.epoch = state["epoch"]
        self.cursor = state["cursor"]
        self.order = state["order"].clone()
        self.generator.set_state(state["generator"])
