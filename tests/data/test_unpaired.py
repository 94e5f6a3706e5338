"""Unpaired domains: the CycleGAN folder layout, the unpaired view of paired data, and the
built-in shapes outlines ↔ filled scenes from disjoint scene sets."""

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.data import DataRequest, load_dataset
from gankit.data.shapes import BACKGROUND, _outline, render_shapes, sketch_width
from gankit.data.unpaired import domain_sizes, is_unpaired, to_channels
from gankit.errors import GankitError


def save(folder, names, value, mode="RGB", size=12):
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        Image.new(mode, (size, size), value + i if mode == "L" else (value + i,) * 3).save(
            folder / name)


def request(name, **kwargs):
    return DataRequest(name=str(name), resolution=8, cache_dir="", **kwargs)


@pytest.fixture()
def cyclegan_folder(tmp_path):
    root = tmp_path / "horse2zebra"
    save(root / "trainA", [f"a{i}.png" for i in range(3)], 10)
    save(root / "trainB", [f"b{i}.jpg" for i in range(5)], 200)
    save(root / "testA", ["x.png", "y.png"], 50)
    save(root / "testB", ["z.png"], 150)
    (root / "README.txt").write_text("not an image")
    return root


# ---------------------------------------------------------------- trainA/ + trainB/

def test_cyclegan_folder_loads_two_domains_of_equal_length(cyclegan_folder):
    data = load_dataset(request(cyclegan_folder, unpaired=True))
    assert is_unpaired(data) and data.labels is None
    assert data.images.shape == (5, 3, 8, 8) and data.sources.shape == (5, 3, 8, 8)
    assert domain_sizes(data) == (3, 5)
    # the smaller domain A: its own three images first, then seeded repeats of them
    assert data.sources[:3, 0, 0, 0].tolist() == [10, 11, 12]
    assert set(data.sources[3:, 0, 0, 0].tolist()) <= {10, 11, 12}
    assert abs(data.images[:, 0, 0, 0].int().sort().values - torch.arange(200, 205)).max() <= 2
    again = load_dataset(request(cyclegan_folder, unpaired=True))
    assert torch.equal(again.sources, data.sources), "resampling is seeded"

    test = load_dataset(request(cyclegan_folder, unpaired=True, split="test"))
    assert domain_sizes(test) == (2, 1) and len(test) == 2 and is_unpaired(test)


def test_cyclegan_folder_by_name_and_options(cyclegan_folder):
    data = load_dataset(DataRequest(name="unpaired", resolution=8, unpaired=True,
                                    options={"root": str(cyclegan_folder),
                                             "source_channels": 1}))
    assert data.sources.shape == (5, 1, 8, 8) and data.images.shape[1] == 3
    only_b = load_dataset(request(cyclegan_folder))  # not unpaired: domain B alone
    assert only_b.sources is None and len(only_b) == 5 and not is_unpaired(only_b)


@pytest.mark.parametrize("layout, extra, fragment", [
    ({"trainA": 2}, {}, "has no trainB/ beside it"),
    ({"trainB": 2}, {}, "has no trainA/ beside it"),
    ({"trainA": 2, "trainB": 0}, {}, "no image files in"),
    ({"trainA": 2, "trainB": 2}, {"split": "test"}, "no testA/ and testB/"),
    ({"trainA": 2, "trainB": 2}, {"paired": True, "unpaired": False}, "not pairs"),
    ({"trainA": 2, "trainB": 2}, {"labels": "class"}, "labels='class' is not supported"),
])
def test_bad_cyclegan_folders_are_one_line_errors(tmp_path, layout, extra, fragment):
    for folder, count in layout.items():
        (tmp_path / folder).mkdir()
        save(tmp_path / folder, [f"i{i}.png" for i in range(count)], 30)
    options = {"unpaired": True, **extra}
    with pytest.raises(GankitError, match=fragment) as error:
        load_dataset(request(tmp_path, **options))
    assert "\n" not in str(error.value)


def test_unreadable_domain_files_are_named(tmp_path):
    save(tmp_path / "trainA", ["a.png"], 10)
    save(tmp_path / "trainB", ["b.png"], 10)
    (tmp_path / "trainB" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(GankitError, match="broken.png"):
        load_dataset(request(tmp_path, unpaired=True))
    data = load_dataset(request(tmp_path, unpaired=True, options={"skip_bad_files": True}))
    assert domain_sizes(data) == (1, 1)


# ---------------------------------------------------------------- any paired data

def test_unpaired_view_of_a_paired_folder_breaks_the_pairs_on_train_only(tmp_path):
    for split in ("train", "test"):
        stems = [f"{split}{i}.png" for i in range(12)]
        for i, stem in enumerate(stems):  # each sketch value says which image it pairs with
            save(tmp_path / split / "images", [stem], 10 * i + 5)
            save(tmp_path / split / "sketches", [stem], 10 * i, mode="L")
    train = load_dataset(request(tmp_path, unpaired=True))
    assert is_unpaired(train) and train.sources.shape == (12, 3, 8, 8)
    pair_of = train.sources[:, 0, 0, 0].int() + 5  # the image each sketch came with
    assert sorted(pair_of.tolist()) == sorted(train.images[:, 0, 0, 0].int().tolist())
    assert (pair_of != train.images[:, 0, 0, 0]).sum() >= 6, "rows are no longer pairs"

    test = load_dataset(request(tmp_path, unpaired=True, split="test"))
    assert not is_unpaired(test), "held-out pairs stay pairs (ground truth)"
    assert torch.equal(test.sources[:, 0, 0, 0].int() + 5, test.images[:, 0, 0, 0].int())


def test_unpaired_on_single_domain_data_is_refused(tmp_path):
    save(tmp_path / "flat", ["a.png", "b.png"], 10)
    with pytest.raises(GankitError, match="two image domains.*trainA"):
        load_dataset(request(tmp_path / "flat", unpaired=True))
    with pytest.raises(GankitError, match="paired sources|two image domains"):
        load_dataset(DataRequest(name="ring8", unpaired=True))


# ---------------------------------------------------------------- built-in shapes

def true_outlines(images: torch.Tensor) -> torch.Tensor:
    """The outline sketch each filled scene has (what its paired source would be)."""
    background = torch.tensor(BACKGROUND, dtype=torch.uint8).view(1, 3, 1, 1)
    mask = (images != background).any(dim=1, keepdim=True)
    return _outline(mask, sketch_width(images.shape[-1])).to(torch.uint8) * 255


@pytest.mark.parametrize("resolution, size", [(32, 1500), (64, 1000)])
def test_builtin_outlines_and_scenes_come_from_disjoint_scene_sets(resolution, size):
    data = load_dataset(DataRequest("shapes", resolution=resolution, size=size, unpaired=True))
    assert is_unpaired(data) and domain_sizes(data) == (size, size)
    assert data.sources.shape == (size, 3, resolution, resolution)  # outlines as RGB
    outlines = data.sources[:, :1]
    assert torch.equal(data.sources, outlines.expand(-1, 3, -1, -1))
    assert set(outlines.unique().tolist()) == {0, 255}
    # no training outline is the outline of any training scene: no pair is ever seen
    seen = {bytes(o.numpy()) for o in outlines}
    assert not seen & {bytes(o.numpy()) for o in true_outlines(data.images)}
    # ... whereas two independent draws of scenes share many outlines
    other = render_shapes(size, resolution, seed=99, split="train")
    assert len(seen & {bytes(o.numpy()) for o in other.sketches}) > 10


def test_builtin_held_out_split_is_the_paired_ground_truth():
    test = load_dataset(DataRequest("shapes", resolution=32, size=40, unpaired=True,
                                    split="test"))
    paired = load_dataset(DataRequest("shapes", resolution=32, size=40, paired=True,
                                      split="test"))
    assert not is_unpaired(test)
    assert torch.equal(test.images, paired.images)
    assert torch.equal(test.sources, paired.sources.expand(-1, 3, -1, -1))
    assert torch.equal(true_outlines(test.images), paired.sources)
    grey = load_dataset(DataRequest("shapes", resolution=32, size=40, unpaired=True,
                                    split="test", options={"source_channels": 1}))
    assert torch.equal(grey.sources, paired.sources)


def test_builtin_unpaired_options_and_errors():
    single = load_dataset(DataRequest("shapes-single", resolution=32, size=30, unpaired=True))
    assert is_unpaired(single) and len(single) == 30
    with pytest.raises(GankitError, match="unknown option 'mixture'"):
        load_dataset(DataRequest("shapes", size=4, unpaired=True, options={"mixture": 1}))
    with pytest.raises(GankitError, match="source_channels=2"):
        load_dataset(DataRequest("shapes", size=4, unpaired=True,
                                 options={"source_channels": 2}))
    with pytest.raises(GankitError, match="labels='multi' is not supported"):
        load_dataset(DataRequest("shapes", size=4, unpaired=True, labels="multi"))


def test_to_channels():
    grey = torch.tensor([[[[0, 255]]]], dtype=torch.uint8)
    assert torch.equal(to_channels(grey, 3), grey.expand(1, 3, 1, 2))
    rgb = torch.tensor(np.array([[[[255]], [[0]], [[0]]]]), dtype=torch.uint8)
    assert to_channels(rgb, 1).item() == 76  # PIL's "L" of pure red
