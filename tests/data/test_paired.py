"""Paired folders (images + sketches + labels CSV) and pix2pix aligned A|B images."""

from pathlib import Path

import pytest
import torch
from PIL import Image

from gankit.data.aligned import build_aligned, is_aligned_folder, load_aligned
from gankit.data.paired import build_paired, is_paired_folder, load_paired, read_label_csv
from gankit.data.registry import DATASETS, DataRequest
from gankit.errors import GankitError

CLASSES = ["MEL", "NV", "BCC", "AKIEC", "BKL", "DF", "VASC"]
STEMS = ["ISIC_0024306", "ISIC_0024307", "ISIC_0024308"]
CLASS_OF = {"ISIC_0024306": 1, "ISIC_0024307": 0, "ISIC_0024308": 6}


def _save(path: Path, value, size=(40, 30), mode="RGB") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value).save(path)
    return path


def _one_hot_row(stem: str) -> list[str]:
    return ["1.0" if i == CLASS_OF[stem] else "0.0" for i in range(len(CLASSES))]


def _isic_csv(path: Path, stems=STEMS) -> Path:
    lines = ["image," + ",".join(CLASSES)] + [f"{s}," + ",".join(_one_hot_row(s)) for s in stems]
    path.write_text("\n".join(lines) + "\n")
    return path


def _course_csv(path: Path, first_header: str, id_suffix: str = "") -> Path:
    lines = [f"{first_header},image_id," + ",".join(CLASSES)]
    lines += [f"{i},{s}{id_suffix}," + ",".join(_one_hot_row(s)) for i, s in enumerate(STEMS)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _paired_folder(root: Path, images="images", sketches="sketches", stems=STEMS) -> Path:
    """Image i is a constant colour (10*i+50, 0, 200); its sketch the grey 30*i+60."""
    for i, stem in enumerate(stems):
        _save(root / images / f"{stem}.jpg", (10 * i + 50, 0, 200))
        _save(root / sketches / f"{stem}.png", 30 * i + 60, mode="L")
    return root


def _request(root: Path, **kwargs) -> DataRequest:
    options = {"root": str(root), **kwargs.pop("options", {})}
    return DataRequest(name="paired", resolution=16, paired=True, options=options, **kwargs)


def test_paired_isic_layout_matches_images_sketches_and_labels(tmp_path):
    root = _paired_folder(tmp_path)
    _isic_csv(tmp_path / "ISIC2018_Task3_Training_GroundTruth.csv")
    data = DATASETS.get("paired")(_request(root))
    assert data.names == STEMS
    assert data.images.shape == (3, 3, 16, 16) and data.sources.shape == (3, 1, 16, 16)
    assert data.class_names == CLASSES
    assert data.labels.dtype == torch.int64
    assert data.labels.tolist() == [CLASS_OF[s] for s in STEMS]
    for i in range(3):  # each sketch stays with its own image
        assert int(data.sources[i].float().mean().round()) == 30 * i + 60
        assert abs(float(data.images[i, 0].float().mean()) - (10 * i + 50)) <= 3
    assert data.meta["labels_layout"] == "isic"


@pytest.mark.parametrize("first_header,id_suffix", [("", ""), ("Unnamed: 0", ".jpg"),
                                                    ("row", "")])
def test_paired_course_csv_with_index_column(tmp_path, first_header, id_suffix):
    csv_path = _course_csv(tmp_path / "labels.csv", first_header, id_suffix)
    labels, names, layout = read_label_csv(csv_path)
    assert layout == "indexed" and names == CLASSES
    assert {k: int(v) for k, v in labels.items()} == CLASS_OF
    data = build_paired(_request(_paired_folder(tmp_path)))
    assert data.labels.tolist() == [CLASS_OF[s] for s in STEMS]


def test_paired_isic_csv_with_numeric_ids_is_not_mistaken_for_indexed(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("image,A,B\n0001,0,1\n0002,1,0\n")
    labels, names, layout = read_label_csv(path)
    assert layout == "isic" and names == ["A", "B"]
    assert int(labels["0001"]) == 1 and int(labels["0002"]) == 0


def test_paired_alternative_and_configured_folder_names(tmp_path):
    data = build_paired(_request(_paired_folder(tmp_path / "a", "image", "sketch")))
    assert data.names == STEMS and data.labels is None
    root = _paired_folder(tmp_path / "b", "photos_x", "lines_y")
    assert not is_paired_folder(root)
    data = build_paired(_request(root, options={"images": "photos_x", "sketches": "lines_y",
                                                "sketch_channels": 3}))
    assert data.sources.shape == (3, 3, 16, 16)


def test_paired_split_folders_and_detector(tmp_path):
    _paired_folder(tmp_path / "train", stems=STEMS[:2])
    _paired_folder(tmp_path / "test", stems=STEMS[2:])
    assert is_paired_folder(tmp_path) and is_paired_folder(tmp_path / "test")
    assert not is_paired_folder(tmp_path / "train" / "images")
    assert build_paired(_request(tmp_path)).names == STEMS[:2]
    assert build_paired(_request(tmp_path, split="test")).names == STEMS[2:]
    with pytest.raises(GankitError, match="valid"):
        build_paired(_request(tmp_path, split="valid"))


def test_paired_path_loader_takes_the_path_as_root(tmp_path):
    root = _paired_folder(tmp_path / "isic")
    req = DataRequest(name=str(root), resolution=8, paired=True, options={"root": "elsewhere"})
    assert load_paired(root, req).names == STEMS
    assert build_paired(DataRequest(name=str(root), resolution=8)).names == STEMS
    assert req.options == {"root": "elsewhere"}  # the caller's request is not modified


def test_paired_sources_only_when_asked_and_labels_modes(tmp_path):
    root = _paired_folder(tmp_path)
    path = tmp_path / "labels.csv"
    path.write_text("image,A,B\n" + "".join(f"{s},1,1\n" for s in STEMS))
    data = build_paired(DataRequest(resolution=8, labels="multi", options={"root": str(root)}))
    assert data.sources is None and data.images.shape == (3, 3, 8, 8)
    assert data.labels.dtype == torch.float32 and data.labels.tolist() == [[1.0, 1.0]] * 3
    assert build_paired(_request(root, labels="none")).labels is None
    with pytest.raises(GankitError, match="2 classes set"):
        build_paired(_request(root))  # single label wanted: two ones is an error


def test_paired_picks_the_csv_named_after_the_split(tmp_path):
    root = _paired_folder(tmp_path)
    _isic_csv(tmp_path / "ISIC2018_Task3_Training_GroundTruth.csv")
    (tmp_path / "ISIC2018_Task3_Test_GroundTruth.csv").write_text("image,A\n")
    assert build_paired(_request(root)).class_names == CLASSES
    (tmp_path / "other.csv").write_text("image,A\n")
    (tmp_path / "ISIC2018_Task3_Test_GroundTruth.csv").rename(tmp_path / "train_2.csv")
    with pytest.raises(GankitError, match="labels_csv"):
        build_paired(_request(root))
    chosen = build_paired(_request(
        root, options={"labels_csv": "ISIC2018_Task3_Training_GroundTruth.csv"}))
    assert chosen.labels.tolist() == [CLASS_OF[s] for s in STEMS]


def test_paired_image_without_sketch(tmp_path):
    root = _paired_folder(tmp_path)
    _save(root / "images" / "lonely.png", 0)
    with pytest.raises(GankitError, match=r"images/lonely\.png has no sketch"):
        build_paired(_request(root))


def test_paired_sketch_without_image(tmp_path):
    root = _paired_folder(tmp_path)
    _save(root / "sketches" / "orphan.png", 0, mode="L")
    with pytest.raises(GankitError, match=r"sketches/orphan\.png has no image"):
        build_paired(_request(root))


def test_paired_sizes_must_match(tmp_path):
    root = _paired_folder(tmp_path)
    _save(root / "sketches" / f"{STEMS[1]}.png", 0, size=(41, 30), mode="L")
    with pytest.raises(GankitError, match=rf"{STEMS[1]}\.jpg is 40x30 but its sketch .*is 41x30"):
        build_paired(_request(root))


def test_paired_missing_label_row(tmp_path):
    root = _paired_folder(tmp_path)
    _isic_csv(tmp_path / "labels.csv", stems=STEMS[:2])
    with pytest.raises(GankitError,
                       match=rf"{STEMS[2]}\.jpg has no row in labels file .*labels\.csv"):
        build_paired(_request(root))


@pytest.mark.parametrize("row,count", [("0,0,0,0,0,0,0", 0), ("1,0,0,0,0,1,0", 2)])
def test_paired_label_row_must_be_one_hot(tmp_path, row, count):
    root = _paired_folder(tmp_path)
    _isic_csv(tmp_path / "labels.csv")
    text = (tmp_path / "labels.csv").read_text().replace(
        f"{STEMS[1]}," + ",".join(_one_hot_row(STEMS[1])), f"{STEMS[1]},{row}")
    (tmp_path / "labels.csv").write_text(text)
    with pytest.raises(GankitError,
                       match=rf"labels\.csv line 3: image '{STEMS[1]}' has {count} classes"):
        build_paired(_request(root))


def test_paired_other_user_errors(tmp_path):
    root = _paired_folder(tmp_path)
    with pytest.raises(GankitError, match="no labels CSV"):
        build_paired(_request(root, labels="class"))
    with pytest.raises(GankitError, match="sketch_channels=2"):
        build_paired(_request(root, options={"sketch_channels": 2}))
    with pytest.raises(GankitError, match="paired: labels='boxes' is not supported; "
                                          "use one of: auto, none, class, multi"):
        build_paired(_request(root, labels="boxes"))
    with pytest.raises(GankitError, match="no images"):
        build_paired(_request(tmp_path / "images"))
    with pytest.raises(GankitError, match="needs its folder"):
        build_paired(DataRequest(name="paired"))
    _save(root / "images" / f"{STEMS[0]}.png", 0)
    with pytest.raises(GankitError, match="share the name"):
        build_paired(_request(root))


def test_paired_broken_image_is_named(tmp_path):
    root = _paired_folder(tmp_path)
    (root / "images" / f"{STEMS[0]}.jpg").write_bytes(b"not an image")
    with pytest.raises(GankitError, match=rf"{STEMS[0]}\.jpg"):
        build_paired(_request(root))


# ---------------------------------------------------------------- aligned A|B


def _aligned_file(path: Path, left, right, height=40) -> Path:
    image = Image.new("RGB", (2 * height, height), left)
    image.paste(Image.new("RGB", (height, height), right), (height, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def _aligned_request(root, **options) -> DataRequest:
    return DataRequest(name="aligned", resolution=16, paired=True,
                       options={"root": str(root), **options})


@pytest.mark.parametrize("direction", ["AtoB", "BtoA"])
def test_aligned_split_and_direction(tmp_path, direction):
    red, blue = (250, 10, 10), (10, 10, 250)
    _aligned_file(tmp_path / "train" / "1.png", red, blue)
    _aligned_file(tmp_path / "train" / "2.png", red, blue)
    data = DATASETS.get("aligned")(_aligned_request(tmp_path, direction=direction))
    source, target = (red, blue) if direction == "AtoB" else (blue, red)
    assert data.images.shape == data.sources.shape == (2, 3, 16, 16)
    # the halves are resized separately: no colour bleeds across the seam
    assert (data.sources == torch.tensor(source, dtype=torch.uint8)[:, None, None]).all()
    assert (data.images == torch.tensor(target, dtype=torch.uint8)[:, None, None]).all()
    assert data.names == ["1", "2"] and data.labels is None


def test_aligned_split_aliases_gray_sources_and_no_sources(tmp_path):
    _aligned_file(tmp_path / "val" / "a.jpg", (200, 200, 200), (0, 0, 0))
    data = build_aligned(DataRequest(resolution=8, split="valid",
                                     options={"root": str(tmp_path), "source_channels": 1}))
    assert data.sources is None and data.images.shape == (1, 3, 8, 8)
    data = build_aligned(DataRequest(resolution=8, split="valid", paired=True,
                                     options={"root": str(tmp_path), "source_channels": 1}))
    assert data.sources.shape == (1, 1, 8, 8)
    assert int(data.sources.float().mean()) in range(195, 206)


def test_aligned_path_loader(tmp_path):
    _aligned_file(tmp_path / "edges2shoes" / "train" / "1.jpg", 0, 255)
    data = load_aligned(tmp_path / "edges2shoes", DataRequest(resolution=8, paired=True))
    assert data.sources.shape == (1, 3, 8, 8) and data.meta["direction"] == "AtoB"


def test_aligned_errors(tmp_path):
    _aligned_file(tmp_path / "a.png", 0, 0)
    with pytest.raises(GankitError, match="direction='AB'"):
        build_aligned(_aligned_request(tmp_path, direction="AB"))
    _save(tmp_path / "b.png", 0, size=(50, 40))
    with pytest.raises(GankitError, match=r"b\.png is 50x40"):
        build_aligned(_aligned_request(tmp_path))
    (tmp_path / "empty").mkdir()
    with pytest.raises(GankitError, match="no image files"):
        build_aligned(_aligned_request(tmp_path / "empty"))
    with pytest.raises(GankitError, match="not a folder"):
        build_aligned(_aligned_request(tmp_path / "missing"))
    with pytest.raises(GankitError, match="aligned: labels='class' is not supported; "
                                          "use one of: auto, none"):
        build_aligned(DataRequest(resolution=8, labels="class", options={"root": str(tmp_path)}))


def test_aligned_detector(tmp_path):
    _aligned_file(tmp_path / "facades" / "train" / "1.jpg", 0, 255)
    assert is_aligned_folder(tmp_path / "facades")
    _save(tmp_path / "squares" / "1.png", 0, size=(40, 40))
    assert not is_aligned_folder(tmp_path / "squares")
    assert not is_aligned_folder(tmp_path / "missing")
    paired = _paired_folder(tmp_path / "paired")
    _aligned_file(paired / "images" / "x.png", 0, 0)  # even with 2:1 images inside
    assert not is_aligned_folder(paired)
