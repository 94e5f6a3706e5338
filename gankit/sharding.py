"""One process's part of the work when several processes share it (``torchrun``).

A :class:`Shard` says which of ``count`` equal parts of every global batch (and of an
evaluation's samples) this process handles. The data loader, the objective and the
evaluation take one; with the default single shard they behave exactly as they do
without it. Nothing here talks to other processes: the ``gather`` function, when there
is one, is handed in by whoever does (:mod:`gankit.training.distributed`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class Shard:
    """Part ``index`` of ``count``.

    Attributes:
        index: this process's part (its rank).
        count: how many parts (the world size).
        gather: concatenates every part's rows of a CPU tensor, in part order (``None``
            for a single shard, where there is nothing to gather).
    """

    index: int = 0
    count: int = 1
    gather: Callable[[torch.Tensor], torch.Tensor] | None = field(
        default=None, compare=False, repr=False)

    @property
    def whole(self) -> bool:
        """Whether this one part is all there is."""
        return self.count == 1

    def batch_rows(self, n: int) -> slice:
        """This part's rows of a global batch of ``n`` items (``n`` divisible by
        :attr:`count`): ``count`` contiguous, equal slices."""
        part = n // self.count
        return slice(self.index * part, (self.index + 1) * part)

    def rows(self, n: int) -> slice:
        """This part's rows of ``n`` items that need not divide evenly (the first
        ``n % count`` parts get one more): contiguous, in part order, covering all ``n``."""
        base, extra = divmod(n, self.count)
        start = self.index * base + min(self.index, extra)
        return slice(start, start + base + (self.index < extra))

    def draw(self, sample: Callable[[int], torch.Tensor], n: int) -> torch.Tensor:
        """``n`` rows of a random draw made for the whole global batch.

        Every process calls ``sample`` with the global size on a generator seeded alike
        and keeps its own rows, so the generators stay in step across processes (one
        checkpoint holds everyone's state) and the union of all parts' rows is what a
        single process would have drawn. With one shard this is just ``sample(n)``.
        """
        if self.whole:
            return sample(n)
        return sample(n * self.count)[self.index * n:(self.index + 1) * n]

    def gather_rows(self, rows: torch.Tensor) -> torch.Tensor:
        """Every part's ``rows`` (a CPU tensor) concatenated in part order."""
        if self.whole or self.gather is None:
            return rows
        return self.gather(rows)


WHOLE = Shard()
