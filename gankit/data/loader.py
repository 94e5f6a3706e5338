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
    """

    def __init__(self, dataset: Dataset, batch_size: int, device: torch.device | str = "cpu",
                 flip: bool = False, seed: int = 0, shard: Shard = WHOLE):
        if len(dataset) < batch_size:
            raise GankitError(f"the dataset has {len(dataset)} items, fewer than one batch "
                              f"of {batch_size}; lower train.batch_size")
        if batch_size % shard.count:
            raise GankitError(f"train.batch_size={batch_size} is the global batch and must "
                              f"divide evenly among the {shard.count} processes; use a "
                              f"multiple of {shard.count}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shard = shard
        self.device = torch.device(device)
        self.is_image = isinstance(dataset, ImageDataset)
        self.flip = flip and self.is_image
        self.generator = torch.Generator().manual_seed(seed)
        self.epoch = 0
        self.cursor = 0
        self.order = torch.randperm(len(dataset), generator=self.generator)
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
            self.order = torch.randperm(len(self.dataset), generator=self.generator)
        index = self.order[self.cursor:self.cursor + self.batch_size]
        self.cursor += self.batch_size
        return self.batch(index)

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
