"""The built-in shapes dataset: iCLEVR names, labels that match the drawing, sketches."""

import itertools
import json
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from scipy import ndimage

from gankit.data import shapes
from gankit.data.base import ImageDataset
from gankit.data.registry import DATASETS, DataRequest
from gankit.data.shapes import (BACKGROUND, COLORS, OBJECT_NAMES, SHAPES, render_shapes,
                                sketch_width)
from gankit.errors import GankitError

SHARED_OBJECTS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "iclevr"
                  / "objects.json")
ICLEVR_SHAPES = ["cube", "sphere", "cylinder"]
ICLEVR_COLOURS = ["gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow"]


def identify_shape(mask: np.ndarray) -> str:
    """Shape of one object from its mask geometry alone.

    A square fills its bounding box; the upright triangle has far less area in the
    top half of its box than in the bottom half; a circle is top-bottom symmetric.
    """
    rows, cols = np.nonzero(mask)
    top, height = rows.min(), rows.max() - rows.min() + 1
    width = cols.max() - cols.min() + 1
    fill = mask.sum() / (height * width)
    middle = top + height / 2
    upper, lower = (rows + 0.5 < middle).sum(), (rows + 0.5 > middle).sum()
    if fill > 0.97:
        return "cube"
    return "cylinder" if upper / lower < 0.6 else "sphere"


def identify_colour(pixels: np.ndarray) -> str:
    """Nearest named colour to the median of an object's pixels ``[P, 3]``."""
    median = np.median(pixels, axis=0)
    names = list(COLORS)
    distance = [np.linalg.norm(median - np.array(COLORS[c])) for c in names]
    return names[int(np.argmin(distance))]


def components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Connected objects of a 2-D mask, 8-connected (touching diagonally counts)."""
    return ndimage.label(mask, structure=np.ones((3, 3)))


def test_object_names_follow_iclevr_order():
    expected = [f"{colour} {shape}" for shape in ICLEVR_SHAPES for colour in ICLEVR_COLOURS]
    assert list(OBJECT_NAMES) == expected
    assert OBJECT_NAMES[0] == "gray cube" and OBJECT_NAMES[8] == "gray sphere"
    assert OBJECT_NAMES[17] == "red cylinder" and OBJECT_NAMES[23] == "yellow cylinder"
    assert list(SHAPES) == ICLEVR_SHAPES and list(COLORS) == ICLEVR_COLOURS


def test_object_names_equal_the_iclevr_objects_json():
    if not SHARED_OBJECTS.is_file():
        pytest.skip(f"no shared iCLEVR label files at {SHARED_OBJECTS}")
    mapping = json.loads(SHARED_OBJECTS.read_text())
    assert mapping == {name: index for index, name in enumerate(OBJECT_NAMES)}


def test_colours_are_well_separated_and_stand_out_from_the_background():
    rgb = {name: np.array(value, dtype=float) for name, value in COLORS.items()}
    background = np.array(BACKGROUND, dtype=float)
    for a, b in itertools.combinations(rgb, 2):
        assert np.linalg.norm(rgb[a] - rgb[b]) >= 80, (a, b)
    luma = np.array([0.299, 0.587, 0.114])
    for name, value in rgb.items():
        assert np.linalg.norm(value - background) >= 100, name
        assert value @ luma - background @ luma >= 50, name  # visible in grayscale too
    assert np.abs(rgb["gray"] - 128).max() <= 8


@pytest.mark.parametrize("resolution", [32, 64])
def test_single_object_label_is_the_drawn_colour_and_shape(resolution):
    scenes = render_shapes(240, resolution, seed=11, max_objects=1)
    assert (scenes.object_ids[:, 1:] == -1).all()
    assert torch.equal(scenes.single_label, scenes.object_ids[:, 0])
    assert torch.equal(scenes.multi_hot.argmax(1), scenes.single_label)
    seen = set()
    for image, mask, label in zip(scenes.images.numpy(), scenes.masks.numpy(),
                                  scenes.single_label.tolist()):
        inside = mask[0] > 0
        colour, shape = OBJECT_NAMES[label].split()
        assert identify_colour(image[:, inside].T) == colour
        assert identify_shape(inside) == shape
        assert (image[:, ~inside] == np.array(BACKGROUND)[:, None]).all()
        seen.add(label)
    assert len(seen) == 24  # every class appears in 240 draws


def test_multi_object_scenes_hold_distinct_separate_objects_matching_their_labels():
    scenes = render_shapes(200, 32, seed=3)
    counts = scenes.multi_hot.sum(1)
    assert ((counts >= 1) & (counts <= 3)).all()
    assert set(counts.long().tolist()) == {1, 2, 3}
    for row in range(len(scenes.images)):
        ids = [i for i in scenes.object_ids[row].tolist() if i >= 0]
        assert len(set(ids)) == len(ids) == int(counts[row])
        assert torch.nonzero(scenes.multi_hot[row]).flatten().tolist() == sorted(ids)
        image = scenes.images[row].numpy()
        labelled, found = components(scenes.masks[row, 0].numpy() > 0)
        assert found == len(ids)  # overlapping or touching objects would merge
        drawn = set()
        for k in range(1, found + 1):
            part = labelled == k
            pixels = image[:, part].T
            assert (pixels == pixels[0]).all()  # one flat colour: no object overlaps it
            drawn.add(f"{identify_colour(pixels)} {identify_shape(part)}")
        assert drawn == {OBJECT_NAMES[i] for i in ids}


def test_boxes_are_the_pixel_bounding_boxes_of_the_objects():
    scenes = render_shapes(150, 48, seed=12)
    for row in range(len(scenes.images)):
        labelled, found = components(scenes.masks[row, 0].numpy() > 0)
        drawn = sorted((cols.start, rows.start, cols.stop, rows.stop)
                       for rows, cols in ndimage.find_objects(labelled))
        boxes = [tuple(box) for box in scenes.boxes[row].tolist() if box[0] >= 0]
        assert sorted(boxes) == drawn
        assert all(x1 - x0 == y1 - y0 for x0, y0, x1, y1 in boxes)  # square boxes


def test_splits_never_share_an_image():
    # At 16 px a single object has one size and one place per cell: only 24 x 4 = 96
    # different images exist, so random draws repeat them often; each must still
    # belong to exactly one split.
    images = {split: {bytes(image.numpy()) for image in
                      render_shapes(n, 16, seed=1, max_objects=1, split=split).images}
              for split, n in (("train", 3000), ("valid", 600), ("test", 600))}
    assert not images["train"] & images["valid"]
    assert not images["train"] & images["test"]
    assert not images["valid"] & images["test"]
    assert len(images["train"] | images["valid"] | images["test"]) == 96
    assert len(images["test"]) >= 2 and len(images["train"]) >= 60


@pytest.mark.parametrize("resolution", [32, 128])
def test_sketches_trace_every_object_boundary(resolution):
    scenes = render_shapes(60, resolution, seed=5)
    width = sketch_width(resolution)
    assert width == 1 if resolution == 32 else width > 1
    for mask, sketch in zip(scenes.masks[:, 0].numpy() > 0, scenes.sketches[:, 0].numpy()):
        assert set(np.unique(sketch)) <= {0, 255}
        # chessboard distance of each object pixel to the nearest background pixel
        depth = ndimage.distance_transform_cdt(mask, metric="chessboard")
        assert np.array_equal(sketch > 0, mask & (depth <= width))
        labelled, found = components(mask)
        for k in range(1, found + 1):
            assert (sketch[labelled == k] > 0).any()
            assert (sketch[labelled == k] == 0).any()  # a line, not a filled shape


@pytest.mark.parametrize("resolution", [16, 32, 64, 128, 256])
@pytest.mark.parametrize("channels", [1, 3])
def test_any_resolution_and_channel_count(resolution, channels):
    scenes = render_shapes(6, resolution, seed=1, channels=channels)
    assert scenes.images.shape == (6, channels, resolution, resolution)
    assert scenes.images.dtype == torch.uint8
    for tensor in (scenes.sketches, scenes.masks):
        assert tensor.shape == (6, 1, resolution, resolution) and tensor.dtype == torch.uint8
    assert scenes.object_ids.shape == (6, 3) and scenes.object_ids.dtype == torch.int64
    assert scenes.multi_hot.shape == (6, 24) and scenes.multi_hot.dtype == torch.float32
    assert scenes.single_label.shape == (6,) and scenes.single_label.dtype == torch.int64
    for mask, count in zip(scenes.masks[:, 0].numpy() > 0, scenes.multi_hot.sum(1)):
        assert components(mask)[1] == int(count)


def test_grayscale_is_the_luminance_of_the_colour_scene():
    colour = render_shapes(20, 32, seed=8, channels=3).images
    gray = render_shapes(20, 32, seed=8, channels=1).images
    for rgb, luma in zip(colour, gray):
        reference = np.asarray(Image.fromarray(rgb.permute(1, 2, 0).numpy()).convert("L"))
        assert np.abs(reference.astype(int) - luma[0].numpy().astype(int)).max() <= 1


def test_object_size_scales_with_resolution():
    area = {res: (render_shapes(300, res, seed=2).masks > 0).float().mean().item()
            for res in (32, 128)}
    assert 0.08 < area[32] < 0.4
    assert 0.8 < area[128] / area[32] < 1.25


def test_same_seed_same_scenes_and_chunking_does_not_matter(monkeypatch):
    first, again = render_shapes(64, 32, seed=7), render_shapes(64, 32, seed=7)
    other = render_shapes(64, 32, seed=8)
    for name in ("images", "sketches", "masks", "object_ids", "multi_hot"):
        assert torch.equal(getattr(first, name), getattr(again, name)), name
    assert not torch.equal(first.images, other.images)
    assert not torch.equal(first.object_ids, other.object_ids)
    monkeypatch.setattr(shapes, "_PIXELS_PER_CHUNK", 5 * 32 * 32)  # chunks of 5 images
    chunked = render_shapes(64, 32, seed=7)
    assert torch.equal(chunked.images, first.images)
    assert torch.equal(chunked.sketches, first.sketches)


def test_rendering_is_fast():
    render_shapes(64, 32)  # warm up
    start = time.perf_counter()
    render_shapes(4000, 32, seed=1)
    assert time.perf_counter() - start < 4.0  # measured ~0.1 s: thousands of images/s


@pytest.mark.parametrize("kwargs, culprit", [
    ({"resolution": 8}, "resolution"), ({"resolution": 512}, "resolution"),
    ({"channels": 2}, "channels"), ({"max_objects": 4}, "max_objects"),
    ({"min_objects": 3, "max_objects": 2}, "min_objects"), ({"min_objects": 0}, "min_objects"),
])
def test_bad_arguments_name_the_culprit(kwargs, culprit):
    with pytest.raises(GankitError, match=culprit):
        render_shapes(2, **kwargs)


# ------------------------------------------------------------------- registry builders

def build(name="shapes", **fields) -> ImageDataset:
    return DATASETS.get(name)(DataRequest(name=name, **fields))


def test_shapes_builder_gives_multi_hot_iclevr_labels_by_default():
    data = build(size=40, resolution=32, seed=4)
    assert isinstance(data, ImageDataset) and len(data) == 40
    assert data.multi_label and data.labels.dtype == torch.float32
    assert data.labels.shape == (40, 24) and data.class_names == list(OBJECT_NAMES)
    assert data.sources is None
    scenes = render_shapes(40, 32, seed=4, split="train")
    assert torch.equal(data.images, scenes.images)
    assert torch.equal(data.labels, scenes.multi_hot)
    assert data.meta["seed"] == 4 and data.meta["resolution"] == 32
    assert "shapes" in data.description and "32" in data.description
    assert torch.equal(build(size=40, seed=4, labels="multi").labels, data.labels)


def test_shapes_builder_default_sizes_and_disjoint_splits():
    train, test = build(), build(split="test")
    valid = build(split="valid", size=500)
    assert (len(train), len(test), len(valid)) == (10_000, 2_000, 500)
    assert train.meta["split_seed"] != test.meta["split_seed"] != valid.meta["split_seed"]
    train_images = {bytes(image.numpy()) for image in train.images}
    assert not any(bytes(image.numpy()) in train_images for image in test.images)
    assert not torch.equal(valid.images, test.images[:500])
    with pytest.raises(GankitError, match="split"):
        build(split="holdout", size=4)


def test_shapes_builder_class_and_none_labels_and_paired_sketches():
    single = build(size=30, labels="class", seed=2)
    assert single.labels.dtype == torch.int64 and single.labels.shape == (30,)
    assert single.num_classes == 24 and not single.multi_label
    drawn = (single.images != torch.tensor(BACKGROUND)[:, None, None]).any(1)
    assert all(components(mask.numpy())[1] == 1 for mask in drawn)
    assert build(size=5, labels="none").labels is None
    paired = build(size=12, paired=True, resolution=64, seed=9)
    scenes = render_shapes(12, 64, seed=9, split="train")
    assert torch.equal(paired.sources, scenes.sketches)
    assert paired.names is not None and len(paired.names) == 12


def test_shapes_builder_options_and_bad_options():
    data = build(size=60, options={"min_objects": 2, "max_objects": 2})
    assert (data.labels.sum(1) == 2).all()
    gray = build(size=4, channels=1, resolution=16)
    assert gray.images.shape == (4, 1, 16, 16)
    with pytest.raises(GankitError, match="'colour'") as error:
        build(size=4, options={"colour": "red"})
    assert "min_objects" in str(error.value) and "max_objects" in str(error.value)
    with pytest.raises(GankitError, match="max_objects"):
        build(size=4, labels="class", options={"max_objects": 3})
    with pytest.raises(GankitError, match="shapes: labels='boxes' is not supported; "
                                          "use one of: auto, multi, class, none"):
        build(size=4, labels="boxes")
    with pytest.raises(GankitError, match="resolution"):
        build(size=4, resolution=1024)


def test_shapes_single_is_one_labelled_object_per_image():
    data = build("shapes-single", size=50, seed=6)
    assert data.labels.dtype == torch.int64 and data.class_names == list(OBJECT_NAMES)
    scenes = render_shapes(50, 32, seed=6, max_objects=1, split="train")
    assert torch.equal(data.labels, scenes.single_label)
    one_hot = build("shapes-single", size=50, seed=6, labels="multi").labels
    assert (one_hot.sum(1) == 1).all() and torch.equal(one_hot.argmax(1), data.labels)
    with pytest.raises(GankitError, match="max_objects"):
        build("shapes-single", size=4, options={"max_objects": 2})
