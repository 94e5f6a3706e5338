"""Training on several processes with PyTorch DDP, launched by ``torchrun``.

``torchrun --nproc_per_node N -m gankit train ...`` starts N copies of the command;
each finds its place in the environment torchrun sets (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``) and :meth:`Distributed.start` joins them into one process group (NCCL
for the GPUs, gloo for CPU tensors and control messages). The rules, all kept here so
the loop reads as it does for one process:

* ``train.batch_size`` is the **global** batch: each of the N processes trains on its
  slice (:class:`~gankit.sharding.Shard`) of the batch one process would draw, and DDP
  averages the gradients, so a recipe means the same on 1 or 8 GPUs.
* G and D are wrapped in DDP; their weights, optimisers, EMA, data order and noise
  generator stay identical everywhere, so rank 0's checkpoint is everyone's state.
  torch's global RNG (augmentation, dropout) gets a seed per process and step from the
  run seed (:func:`process_seed`), so the processes draw different augmentations and a
  resumed run draws what an uninterrupted one would.
* Only rank 0 writes the run folder and prints; evaluation is split over all.
* Collectives that decide something (stop, out of time, a failed setup) use small CPU
  tensors, so they never wait on the GPU stream.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import TypeVar

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from gankit.device import pick_device
from gankit.errors import GankitError
from gankit.models.base import PassesAttributes
from gankit.sharding import Shard

T = TypeVar("T")
#: what torchrun sets for every process it starts
LAUNCH_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK")
#: a Ctrl-C reaches each process twice (from the terminal and forwarded by torchrun);
#: a repeat this soon after the first is the same request, not "stop at once"
SIGNAL_REPEAT_GRACE_S = 3.0


def launched() -> bool:
    """Whether this process is one of several started by torchrun."""
    return (all(name in os.environ for name in LAUNCH_VARIABLES)
            and int(os.environ["WORLD_SIZE"]) > 1)


def launch_rank() -> int:
    """This process's rank as torchrun set it (0 when not launched by torchrun); usable
    before any process group exists (e.g. to print from rank 0 only)."""
    return int(os.environ["RANK"]) if launched() else 0


def process_seed(seed: int, rank: int, step: int) -> int:
    """The seed of torch's global RNG for process ``rank`` at ``step`` of a run seeded
    ``seed``: a hash, so nearby ranks and steps get unrelated streams."""
    digest = hashlib.blake2b(f"gankit/{seed}/{rank}/{step}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


class OtherProcessFailed(GankitError):
    """Another training process failed; its message is printed by rank 0."""


class DDPModule(PassesAttributes, DistributedDataParallel):
    """DDP that lets the wrapped model's own attributes through (``sample_z``, ``z_dim``),
    so losses call it as they call the bare model."""


class Distributed:
    """This process's place among the training processes.

    The default, one process (rank 0 of 1), makes every method a no-op that returns
    its input, so single-process training runs exactly the code it always did.

    Attributes:
        rank, world_size, local_rank: as torchrun numbers the processes.
        device: this process's device (``cuda:LOCAL_RANK`` on GPUs).
    """

    def __init__(self, device: torch.device | str = "cpu", rank: int = 0, world_size: int = 1,
                 local_rank: int = 0, owns_group: bool = False, group=None):
        self.device = torch.device(device)
        self.rank, self.world_size, self.local_rank = rank, world_size, local_rank
        self._owns_group = owns_group
        self._group = group  # CPU-capable group for control messages (None: the default)

    # ---------------------------------------------------------------- joining and leaving

    @classmethod
    def start(cls, device_name: str) -> Distributed:
        """One process: just the device. Launched by torchrun: join (or create) the
        process group and pick ``cuda:LOCAL_RANK`` or the CPU.

        Raises:
            GankitError: a device the processes cannot share (``cuda:N``, no GPU for this
                local rank, CUDA without NCCL); every process raises it alike.
        """
        if not launched():
            return cls(pick_device(device_name))
        rank, world, local = (int(os.environ[name]) for name in LAUNCH_VARIABLES)
        device = pick_device(device_name)  # the same answer on every process of a node
        if device.type == "cuda":
            if ":" in device_name:
                raise GankitError(f"--device {device_name}: under torchrun each process uses "
                                  "the GPU of its LOCAL_RANK; pass --device cuda and choose "
                                  "GPUs with CUDA_VISIBLE_DEVICES")
            if not dist.is_nccl_available():
                raise GankitError("training on several GPUs needs NCCL, which this PyTorch "
                                  "build lacks; install a CUDA build of PyTorch")
        elif device.type != "cpu":
            raise GankitError(f"--device {device_name}: several processes train on CUDA GPUs "
                              "or on the CPU")
        # torch.optim loads torch._dynamo at the first optimiser; loaded after the process
        # group exists, 1 exit in ~10 aborted ("terminate called without an active
        # exception"), so it is loaded first (it costs nothing extra: every run loads it)
        import torch._dynamo  # noqa: F401

        owns = not dist.is_initialized()
        if owns:
            dist.init_process_group("cpu:gloo,cuda:nccl" if device.type == "cuda" else "gloo")
        group = None
        if dist.get_backend() == "nccl":  # a caller's NCCL-only group: add a CPU one
            group = dist.new_group(backend="gloo")
        if dist.get_world_size() != world or dist.get_rank() != rank:
            raise GankitError("the process group does not match torchrun's RANK/WORLD_SIZE")
        joined = cls(device, rank, world, local, owns, group)
        joined.together(joined._claim_device)
        return joined

    def _claim_device(self) -> None:
        if self.device.type != "cuda":
            return
        count = torch.cuda.device_count()
        if self.local_rank >= count:
            raise GankitError(f"process {self.local_rank} of this machine has no GPU: "
                              f"{count} are visible; use --nproc_per_node {count} or fewer")
        self.device = torch.device("cuda", self.local_rank)
        torch.cuda.set_device(self.device)

    def close(self) -> None:
        """Leave the process group (when :meth:`start` created it)."""
        if self._owns_group and dist.is_initialized():
            dist.destroy_process_group()
            self._owns_group = False

    def __enter__(self) -> Distributed:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---------------------------------------------------------------- who does what

    @property
    def active(self) -> bool:
        """Whether there are other processes to work with."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that writes the run folder and prints."""
        return self.rank == 0

    @property
    def shard(self) -> Shard:
        """This process's part of every global batch and of each evaluation."""
        return Shard(self.rank, self.world_size, self.gather_rows if self.active else None)

    @property
    def signal_grace(self) -> float:
        """Seconds within which a repeated stop signal counts as the first one."""
        return SIGNAL_REPEAT_GRACE_S if self.active else 0.0

    def seed_step(self, seed: int, step: int) -> None:
        """Seed torch's global RNG for ``step`` of this process (several processes only:
        one process keeps its single, checkpointed stream)."""
        if self.active:
            torch.manual_seed(process_seed(seed, self.rank, step))

    def wrap(self, module: nn.Module, sync_batchnorm: bool = False) -> nn.Module:
        """``module`` in DDP (itself for one process); ``sync_batchnorm`` first turns its
        BatchNorm layers into SyncBatchNorm (the same parameters, so optimisers and
        checkpoints are unaffected)."""
        if not self.active:
            return module
        if sync_batchnorm:
            if self.device.type != "cuda":
                raise GankitError("train.sync_batchnorm needs GPU processes (PyTorch's "
                                  "SyncBatchNorm runs on CUDA only); drop it on the CPU")
            module = nn.SyncBatchNorm.convert_sync_batchnorm(module)
        ids = [self.device.index] if self.device.type == "cuda" else None
        return DDPModule(module, device_ids=ids)

    # ---------------------------------------------------------------- agreeing

    def together(self, work: Callable[[], T]) -> T:
        """Run ``work`` on every process and agree on the outcome: when it fails on any,
        it fails on all (rank 0 raising the first failure's message), so no process is
        left waiting for a collective the others will never reach."""
        if not self.active:
            return work()
        try:
            result, failure = work(), None
        except GankitError as error:
            result, failure = None, (str(error), error)
        except BaseException as error:  # noqa: BLE001 - re-raised below, after telling the others
            result, failure = None, (f"process {self.rank} failed ({type(error).__name__})",
                                     error)
        failures = [None] * self.world_size
        dist.all_gather_object(failures, None if failure is None else failure[0],
                               group=self._group)
        first = next(((r, text) for r, text in enumerate(failures) if text is not None), None)
        if first is None:
            return result
        if failure is not None and (first[0] == self.rank or not isinstance(
                failure[1], GankitError)):
            raise failure[1]
        where = "" if first[0] == 0 else f"process {first[0]}: "
        raise OtherProcessFailed(where + first[1])

    def on_main(self, work: Callable[[], T]) -> T:
        """Run ``work`` on rank 0 only and hand its result (or its failure) to all."""
        if not self.active:
            return work()
        result = self.together(lambda: work() if self.is_main else None)
        box = [result]
        dist.broadcast_object_list(box, src=0, group=self._group)
        return box[0]

    def check_same(self, what: str, value) -> None:
        """Raise on every process unless all hold the same ``value`` (``what`` names it)."""
        if not self.active:
            return
        values = [None] * self.world_size
        dist.all_gather_object(values, value, group=self._group)
        if any(v != values[0] for v in values):
            raise GankitError(f"the processes see different {what}: {values}; give every "
                              "machine the same files (a shared filesystem)")

    def max_int(self, value: int) -> int:
        """The largest ``value`` over the processes (flags and signal numbers)."""
        if not self.active:
            return value
        box = torch.tensor([int(value)], dtype=torch.int64)
        dist.all_reduce(box, op=dist.ReduceOp.MAX, group=self._group)
        return int(box)

    def barrier(self) -> None:
        if self.active:
            dist.barrier(group=self._group)

    # ---------------------------------------------------------------- numbers

    def mean(self, stats: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Each scalar stat averaged over the processes (one all-reduce, on the device,
        without a host sync), so rank 0 logs the global batch's figures."""
        if not self.active or not stats:
            return stats
        flat = torch.stack([v.detach().float().reshape(()).to(self.device)
                            for v in stats.values()])
        dist.all_reduce(flat)
        return dict(zip(stats, (flat / self.world_size).unbind()))

    def sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """``tensor`` summed over the processes (a new tensor on its device)."""
        total = tensor.detach().clone()
        if self.active:
            dist.all_reduce(total, group=self._group if total.device.type == "cpu" else None)
        return total

    def gather_rows(self, rows: torch.Tensor) -> torch.Tensor:
        """Every process's ``rows`` (CPU, any count per process) concatenated by rank."""
        if not self.active:
            return rows
        rows = rows.cpu().contiguous()
        count = torch.tensor([len(rows)], dtype=torch.int64)
        counts = [torch.zeros_like(count) for _ in range(self.world_size)]
        dist.all_gather(counts, count, group=self._group)
        longest = int(max(counts))
        padded = rows.new_zeros((longest, *rows.shape[1:]))
        padded[:len(rows)] = rows
        parts = [torch.empty_like(padded) for _ in range(self.world_size)]
        dist.all_gather(parts, padded, group=self._group)
        return torch.cat([part[:int(n)] for part, n in zip(parts, counts)])
