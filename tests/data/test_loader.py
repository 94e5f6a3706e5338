"""BatchLoader with ``class_groups``: batches made of runs of one class, every epoch, resumable."""

import pytest
import torch

from gankit.data.base import ImageDataset
from gankit.data.loader import BatchLoader
from gankit.errors import GankitError


def dataset(counts: list[int], multi: bool = False) -> ImageDataset:
    """Images whose single pixel value is their own index; ``counts[c]`` of class c."""
    labels = torch.cat([torch.full((n,), c) for c, n in enumerate(counts)])
    n = len(labels)
    images = torch.arange(n, dtype=torch.uint8).reshape(n, 1, 1, 1)
    if multi:
        labels = torch.nn.functional.one_hot(labels, len(counts)).float()
    return ImageDataset(images, labels, [f"c{c}" for c in range(len(counts))])


def indices(batch) -> torch.Tensor:
    """The dataset rows of a batch, read back from the pixel values."""
    return ((batch.x.flatten() + 1) * 127.5).round().long()


def test_batches_are_runs_of_one_class_and_an_epoch_covers_every_full_run():
    data = dataset([10, 7, 9])  # runs of 3: 3 + 2 + 3 per epoch, 1 + 1 + 0 left out
    loader = BatchLoader(data, 6, class_groups=3, seed=1)
    assert len(loader.order) == 24
    for epoch in range(2):
        seen = []
        for _ in range(4):
            batch = next(loader)
            runs = batch.cond.argmax(1).reshape(-1, 3)
            assert bool((runs == runs[:, :1]).all())
            rows = indices(batch)
            assert torch.equal(data.labels[rows], batch.cond.argmax(1))
            seen.append(rows)
        seen = torch.cat(seen)
        assert len(seen.unique()) == 24  # no image twice in an epoch
        assert torch.bincount(data.labels[seen], minlength=3).tolist() == [9, 6, 9]


def test_a_resumed_loader_continues_with_the_same_runs():
    data = dataset([12, 12])
    first = BatchLoader(data, 4, class_groups=2, seed=3)
    next(first)
    second = BatchLoader(data, 4, class_groups=2, seed=99)
    second.load_state_dict(first.state_dict())
    for _ in range(8):  # across the end of an epoch
        assert torch.equal(indices(next(first)), indices(next(second)))


@pytest.mark.parametrize("counts, multi, batch, group, message", [
    ([8, 8], True, 4, 2, "needs class labels"),
    ([8, 8], False, 6, 4, "must divide the batch of 6"),
    ([8, 3], False, 4, 4, "class 'c1' has 3 images"),
])
def test_settings_the_data_cannot_serve_are_one_clear_error(counts, multi, batch, group,
                                                            message):
    with pytest.raises(GankitError, match=message):
        BatchLoader(dataset(counts, multi), batch, class_groups=group)


def test_gankit_train_with_class_groups_trains_and_rejects_multi_label_data(tmp_path, capsys):
    from gankit.cli.main import main

    tiny = ["data.size=480", "data.resolution=16", "model.g_width=8", "model.d_width=8",
            "train.batch_size=16", "train.tensorboard=false", "train.grid_size=8",
            "train.epochs=0", "train.class_groups=4", "model.d_mbstd=4"]
    args = [a for setting in tiny for a in ("--set", setting)]
    assert main(["train", "acgan", "--steps", "2", "--no-progress", "--device", "cpu",
                 "--out", str(tmp_path / "run"), *args]) == 0
    assert (tmp_path / "run" / "checkpoints").is_dir()
    capsys.readouterr()
    assert main(["train", "iclevr-32", "--steps", "1", "--no-progress", "--device", "cpu",
                 "--out", str(tmp_path / "multi"), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: error: train.class_groups"), err
    assert not (tmp_path / "multi").exists()
    assert main(["train", "acgan", "--steps", "1", "--no-progress", "--device", "cpu",
                 "--out", str(tmp_path / "straddle"), *args, "--set", "model.d_mbstd=8"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "model.d_mbstd=8 must divide train.class_groups=4" in err[0], err
    assert not (tmp_path / "straddle").exists()
