"""The rules that let several processes train as one (in one process, no torchrun)."""

import os
import signal

import pytest
import torch
from torch import nn

from gankit.config import load_config
from gankit.data.loader import BatchLoader
from gankit.errors import GankitError
from gankit.runs.data import build_dataset
from gankit.sharding import Shard
from gankit.training.distributed import Distributed, process_seed
from gankit.training.signals import StopRequests


@pytest.mark.parametrize("n, count", [(10, 3), (64, 2), (5, 8), (7, 1)])
def test_rows_split_n_items_into_contiguous_parts_in_rank_order(n, count):
    parts = [Shard(i, count).rows(n) for i in range(count)]
    assert [i for part in parts for i in range(n)[part]] == list(range(n))
    sizes = [part.stop - part.start for part in parts]
    assert max(sizes) - min(sizes) <= 1


def test_the_parts_of_a_draw_are_the_single_process_draw():
    def draw(m):
        return torch.randn(m, 3, generator=torch.Generator().manual_seed(7))

    parts = [Shard(i, 4).draw(draw, 5) for i in range(4)]
    assert torch.equal(torch.cat(parts), draw(20))
    assert torch.equal(Shard().draw(draw, 5), draw(5))


def test_the_processes_batches_together_are_the_single_process_batch():
    dataset = build_dataset(load_config("default", ["data.size=40", "data.resolution=16"]).data)
    whole = BatchLoader(dataset, 16, flip=True, seed=3)
    parts = [BatchLoader(dataset, 16, flip=True, seed=3, shard=Shard(i, 2)) for i in range(2)]
    for _ in range(5):  # two epochs of two batches, and into a third
        batch = next(whole)
        halves = [next(loader) for loader in parts]
        assert torch.equal(torch.cat([h.x for h in halves]), batch.x)
    assert [loader.epoch for loader in parts] == [whole.epoch] * 2
    assert all(torch.equal(loader.order, whole.order) for loader in parts)


def test_a_global_batch_that_does_not_split_evenly_is_refused():
    dataset = build_dataset(load_config("default", ["data.size=40", "data.resolution=16"]).data)
    with pytest.raises(GankitError, match="batch_size=15 is the global batch .* multiple of 2"):
        BatchLoader(dataset, 15, shard=Shard(0, 2))


def test_each_process_and_step_gets_its_own_seed():
    seeds = {process_seed(0, rank, step) for rank in range(4) for step in range(100)}
    assert len(seeds) == 400
    assert process_seed(5, 1, 9) == process_seed(5, 1, 9) != process_seed(6, 1, 9)


def test_one_process_makes_every_collective_a_no_op():
    dist = Distributed("cpu")
    stats = {"loss": torch.tensor(1.5)}
    assert not dist.active and dist.is_main and dist.shard.whole
    assert dist.mean(stats) is stats and dist.max_int(3) == 3
    assert dist.together(lambda: 4) == 4 and dist.on_main(lambda: 5) == 5
    module = nn.Linear(2, 2)
    assert dist.wrap(module, sync_batchnorm=True) is module


def test_sync_batchnorm_on_cpu_processes_is_refused():
    dist = Distributed("cpu", rank=0, world_size=2)
    with pytest.raises(GankitError, match="sync_batchnorm needs GPU"):
        dist.wrap(nn.BatchNorm2d(3), sync_batchnorm=True)


def test_a_repeated_signal_within_the_grace_time_is_the_same_request():
    with StopRequests(grace_s=60) as stop:
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)  # torchrun forwarding the terminal's Ctrl-C
    assert stop.signum == signal.SIGINT
    with pytest.raises(KeyboardInterrupt), StopRequests() as stop:
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)


def test_cyclegan_with_several_processes_is_refused_before_any_work(tmp_path):
    from gankit.training import Trainer

    cfg = load_config("cyclegan", ["data.size=8"])
    with pytest.raises(GankitError, match="cycle trains with one process"):
        Trainer(cfg, tmp_path, torch.device("cpu"), dist=Distributed("cpu", world_size=2))
    assert not any(tmp_path.iterdir())
