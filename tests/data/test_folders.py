"""Image folder layouts and the decoder behind every image reader."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import gankit.data.decode as decode
import gankit.data.paths as paths
from gankit.data.decode import decode_image, decode_many
from gankit.data.folders import list_folder, plan_layout, read_folder
from gankit.data.registry import DataRequest, load_builtin_datasets
from gankit.errors import GankitError
from gankit.registry import Registry

COLOURS = {"cat": (200, 30, 30), "dog": (30, 200, 30), "eel": (30, 30, 200)}


def write_image(path: Path, colour=(128, 64, 32), size=(12, 8), mode="RGB", fmt=None) -> Path:
    """A solid-colour image file (format from the suffix unless ``fmt``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour).save(path, fmt)
    return path


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def req(**kwargs) -> DataRequest:
    kwargs.setdefault("resolution", 8)
    kwargs.setdefault("cache_dir", "")
    return DataRequest(**kwargs)


# --- layouts ------------------------------------------------------------------------

def make_class_folder(root: Path) -> Path:
    for name, colour in COLOURS.items():
        for index in range(3):
            write_image(root / name / f"{index}.png", colour, size=(10 + index, 7))
    return root


def test_class_folders_give_sorted_classes_and_index_labels(tmp_path):
    root = make_class_folder(tmp_path / "pets")
    data = read_folder(root, req(resolution=6))
    assert data.class_names == ["cat", "dog", "eel"]
    assert data.labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert data.labels.dtype == torch.int64
    assert data.images.shape == (9, 3, 6, 6) and data.images.dtype == torch.uint8
    assert data.names[:2] == ["cat/0", "cat/1"]
    for image, label in zip(data.images, data.labels):  # each image is its class colour
        colour = COLOURS[data.class_names[label]]
        assert torch.allclose(image.float().mean((1, 2)), torch.tensor(colour).float(), atol=2)


def test_order_is_by_class_then_path_even_when_paths_sort_otherwise(tmp_path):
    # "cat-a/..." sorts before "cat/..." as text, but class "cat" comes first.
    write_image(tmp_path / "cat-a" / "x.png", (0, 0, 0))
    write_image(tmp_path / "cat" / "b.png", (255, 255, 255))
    write_image(tmp_path / "cat" / "a.png", (255, 255, 255))
    data = read_folder(tmp_path, req())
    assert data.class_names == ["cat", "cat-a"]
    assert data.names == ["cat/a", "cat/b", "cat-a/x"]
    assert data.labels.tolist() == [0, 0, 1]
    assert data.images[2].max() == 0 and data.images[0].min() == 255


def test_split_folders_choose_the_requested_split(tmp_path):
    for split, count in (("train", 3), ("val", 2), ("test", 1)):
        for index in range(count):
            write_image(tmp_path / split / "ace" / f"{index}.jpg")
            write_image(tmp_path / split / "king" / f"{index}.jpg")
    (tmp_path / "cards.csv").write_text("loose metadata beside the splits is ignored")
    sizes = {split: len(read_folder(tmp_path, req(split=split))) for split in
             ("train", "valid", "test")}
    assert sizes == {"train": 6, "valid": 4, "test": 2}
    data = read_folder(tmp_path, req(split="test"))
    assert data.class_names == ["ace", "king"] and data.labels.tolist() == [0, 1]


def test_training_and_testing_folders_name_splits(tmp_path):
    write_image(tmp_path / "training" / "ace" / "0.jpg")
    write_image(tmp_path / "testing" / "ace" / "0.jpg")
    write_image(tmp_path / "testing" / "king" / "0.jpg")
    assert len(read_folder(tmp_path, req(split="train"))) == 1
    assert read_folder(tmp_path, req(split="test")).class_names == ["ace", "king"]


def test_missing_split_is_an_error_listing_the_found_ones(tmp_path):
    write_image(tmp_path / "train" / "a" / "0.png")
    write_image(tmp_path / "test" / "a" / "0.png")
    with pytest.raises(GankitError, match=r"no 'valid' split \(found: test, train\)"):
        read_folder(tmp_path, req(split="valid"))


def test_folder_without_splits_gives_no_test_split(tmp_path):
    make_class_folder(tmp_path)
    assert len(read_folder(tmp_path, req(split="train"))) == 9
    with pytest.raises(GankitError, match="no split folders"):
        read_folder(tmp_path, req(split="test"))


def test_flat_folder_has_no_labels(tmp_path):
    for index in range(4):
        write_image(tmp_path / f"{index}.jpg", (index * 60, 0, 0))
    data = read_folder(tmp_path, req(labels="auto"))
    assert len(data) == 4 and data.labels is None and data.class_names is None
    assert data.names == ["0", "1", "2", "3"]
    assert data.images[:, 0].float().mean((1, 2)).tolist() == pytest.approx(
        [0, 60, 120, 180], abs=3)


def test_single_wrapping_folder_is_looked_through(tmp_path):
    make_class_folder(tmp_path / "wrap" / "pets")
    (tmp_path / "wrap" / "README.md").write_text("not an image, beside the wrapper")
    assert read_folder(tmp_path / "wrap", req()).class_names == ["cat", "dog", "eel"]


def test_hidden_and_junk_files_are_skipped(tmp_path):
    make_class_folder(tmp_path)
    (tmp_path / "cat" / ".DS_Store").write_bytes(b"\0\1junk")
    (tmp_path / "cat" / "._0.png").write_bytes(b"AppleDouble, not a png")
    (tmp_path / "dog" / "Thumbs.db").write_bytes(b"junk")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "x.txt").write_text("junk")
    (tmp_path / "README.md").write_text("metadata beside class folders is ignored")
    data = read_folder(tmp_path, req())
    assert len(data) == 9 and data.class_names == ["cat", "dog", "eel"]


def test_labels_none_drops_labels_and_nested_class_files_count(tmp_path):
    make_class_folder(tmp_path)
    write_image(tmp_path / "cat" / "deep" / "er.PNG")  # nested, upper-case suffix
    assert read_folder(tmp_path, req(labels="none")).labels is None
    data = read_folder(tmp_path, req(labels="class"))
    assert data.labels.bincount().tolist() == [4, 3, 3] and "cat/deep/er" in data.names


def test_any_source_size_and_grayscale(tmp_path):
    write_image(tmp_path / "wide.png", (10, 200, 10), size=(300, 40))
    write_image(tmp_path / "tall.jpg", (10, 200, 10), size=(7, 500))
    write_image(tmp_path / "tiny.bmp", (10, 200, 10), size=(2, 3))
    write_image(tmp_path / "large.jpg", (10, 200, 10), size=(1600, 1200))
    rgb = read_folder(tmp_path, req(resolution=16))
    gray = read_folder(tmp_path, req(resolution=16, channels=1))
    assert rgb.images.shape == (4, 3, 16, 16) and gray.images.shape == (4, 1, 16, 16)
    luma = 0.299 * 10 + 0.587 * 200 + 0.114 * 10
    assert torch.allclose(gray.images.float().mean((1, 2, 3)), torch.full((4,), luma), atol=3)
    assert torch.allclose(rgb.images.float().mean((2, 3)),
                          torch.tensor([[10.0, 200.0, 10.0]]).expand(4, 3), atol=4)


def test_plan_layout_is_pure_and_deterministic():
    paths = ["b/2.png", "a/1.png", "b/1.png", "a/.hidden", "notes.txt"]
    layout = plan_layout(paths, "mem")
    assert layout.files == ["a/1.png", "b/1.png", "b/2.png"]
    assert plan_layout(reversed(paths), "mem") == layout


def test_list_folder_gives_relative_posix_paths(tmp_path):
    write_image(tmp_path / "a" / "b" / "c.png")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x").write_text("pruned")
    assert list_folder(tmp_path) == ["a/b/c.png"]


# --- decoding ------------------------------------------------------------------------

def test_centre_crop_keeps_the_middle_of_wide_and_tall_images():
    stripes = np.zeros((30, 90, 3), np.uint8)
    stripes[:, :30, 0] = stripes[:, 30:60, 1] = stripes[:, 60:, 2] = 255  # red|green|blue
    wide = decode_image(encode(Image.fromarray(stripes), "PNG"), 10, 3)
    tall = decode_image(encode(Image.fromarray(stripes.transpose(1, 0, 2).copy()), "PNG"), 10, 3)
    for out in (wide, tall):
        assert out.shape == (3, 10, 10)
        assert out[1, 2:8, 2:8].min() >= 235  # the middle is the green stripe...
        assert out[0].float().mean() < 20 and out[2].float().mean() < 20  # ...no red, blue


def test_modes_alpha_palette_cmyk_and_16_bit():
    transparent = Image.new("RGBA", (8, 8), (0, 0, 0, 0))  # black, fully transparent
    assert decode_image(encode(transparent, "PNG"), 4, 3).min() == 255  # over white
    palette = Image.new("RGB", (8, 8), (10, 120, 250)).convert("P")
    assert decode_image(encode(palette, "GIF"), 4, 3)[:, 0, 0].tolist() == pytest.approx(
        [10, 120, 250], abs=8)
    cmyk = Image.new("CMYK", (16, 16), (0, 255, 255, 0))  # red
    out = decode_image(encode(cmyk, "JPEG"), 4, 3).float().mean((1, 2))
    assert out[0] > 200 and out[1] < 40 and out[2] < 40
    wide = Image.fromarray(np.full((8, 8), 32768, np.uint16))  # half of 16-bit range
    assert decode_image(encode(wide, "PNG"), 4, 1).float().mean() == pytest.approx(127.5, abs=1)
    assert decode_image(encode(wide, "PNG"), 4, 3).shape == (3, 4, 4)


def test_exif_orientation_is_applied():
    image = Image.new("L", (40, 20), 0)
    image.paste(255, (20, 0, 40, 20))  # stored: left black, right white
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90 degrees clockwise: black on top
    out = decode_image(encode(image, "JPEG", exif=exif.tobytes()), 20, 1)[0].float()
    assert out[:5].mean() < 30 and out[-5:].mean() > 225


def test_truncated_jpeg_is_detected():
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8))
    data = encode(noise, "JPEG")
    assert decode_image(data, 8, 3).shape == (3, 8, 8)
    for keep in (0.3, 0.9):
        with pytest.raises(GankitError, match=r"cut\.jpg is not a readable image"):
            decode_image(data[: int(len(data) * keep)], 8, 3, name="cut.jpg")


def test_threaded_decoding_matches_inline_and_honours_rows(monkeypatch):
    rng = np.random.default_rng(1)
    blobs = [encode(Image.fromarray(rng.integers(0, 255, (40, 50, 3), np.uint8)), "PNG")
             for _ in range(50)]
    items = [(f"{index}.png", blob) for index, blob in enumerate(blobs)]
    inline = decode_many(items, 50, 16, 3, workers=1)
    monkeypatch.setattr(decode, "_THREADS_WORTH_S", 0.0)  # force the pool
    threaded = decode_many(iter(items), 50, 16, 3, workers=3)
    assert torch.equal(inline, threaded)
    rows = list(reversed(range(50)))
    assert torch.equal(decode_many(items, 50, 16, 3, workers=3, rows=rows), inline.flip(0))
    assert torch.equal(inline[7], decode_image(blobs[7], 16, 3))


def test_a_bad_file_among_many_is_named_when_threaded(monkeypatch):
    good = encode(Image.new("RGB", (30, 30)), "PNG")
    items = [(f"{index}.png", good) for index in range(60)] + [("bad.png", b"not png")]
    monkeypatch.setattr(decode, "_THREADS_WORTH_S", 0.0)
    with pytest.raises(GankitError, match=r"bad\.png is not a readable image"):
        decode_many(items, len(items), 8, 3, workers=2)


def test_split_folders_beside_other_folders_are_an_error(tmp_path):
    write_image(tmp_path / "train" / "a" / "0.png")
    write_image(tmp_path / "extra" / "0.png")
    with pytest.raises(GankitError, match=r"mixes split folders \(train\) with other folders "
                                          r"\(extra\)"):
        read_folder(tmp_path, req())


# --- what a path means ---------------------------------------------------------------

def test_registered_path_format_is_tried_before_plain_folders(tmp_path, monkeypatch):
    # the built-in formats register on first load; done inside the patch, they would go
    # into the copy and be lost for every later test
    load_builtin_datasets()
    monkeypatch.setattr(paths, "PATH_FORMATS", list(paths.PATH_FORMATS))
    make_class_folder(tmp_path)
    (tmp_path / "MARKER").write_text("")
    seen = []
    paths.register_path_format("marked", lambda path: (path / "MARKER").exists(),
                               lambda path, request: seen.append(path) or "custom", priority=20)
    assert paths.load_path(req(name=str(tmp_path))) == "custom" and seen == [tmp_path]
    names = [item.name for item in paths.PATH_FORMATS]
    assert names.index("iclevr") < names.index("marked") < names.index("archive") < names.index("folder")
    with pytest.raises(ValueError, match="registered twice"):
        paths.register_path_format("marked", bool, lambda path, request: None)


def test_resolve_dataset_prefers_registered_names(tmp_path, monkeypatch):
    registry = Registry("dataset")
    registry.register("pets")(lambda request: f"built-in {request.resolution}")
    monkeypatch.setattr(paths, "DATASETS", registry)
    assert paths.resolve_dataset(req(name="pets")) == "built-in 8"
    make_class_folder(tmp_path / "pets")
    assert len(paths.resolve_dataset(req(name=str(tmp_path / "pets")))) == 9


def test_symlinked_folders_are_followed_but_loops_are_not(tmp_path):
    make_class_folder(tmp_path / "real")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "pets").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "real" / "cat" / "up").symlink_to(tmp_path / "real", target_is_directory=True)
    files = list_folder(tmp_path / "data")
    assert len(files) == 9 and "pets/cat/0.png" in files
