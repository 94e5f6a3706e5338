"""Mask outlines, edge sketches and the folder tool."""

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from gankit.data.sketching import image_to_edges, mask_to_outline, sketch_folder
from gankit.errors import GankitError


def _disk(size=48, radius=15, value=255) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size]
    inside = (yy - size / 2) ** 2 + (xx - size / 2) ** 2 <= radius ** 2
    return np.where(inside, value, 0).astype(np.uint8)


def _square_image(size=40, top=10, left=12, side=20, colour=(200, 150, 100)) -> np.ndarray:
    image = np.zeros((size, size, 3), np.uint8)
    image[top:top + side, left:left + side] = colour
    return image


def test_outline_lies_on_the_mask_boundary_and_leaves_the_interior_empty():
    mask = _disk()
    solid = mask > 127
    outline = mask_to_outline(mask) == 255
    boundary = solid & ~ndimage.binary_erosion(solid)  # object pixels 4-adjacent to background
    assert outline.any()
    assert np.array_equal(outline, boundary)
    assert not outline[~solid].any()
    interior = ndimage.binary_erosion(solid, iterations=2)
    assert not outline[interior].any()
    assert set(np.unique(mask_to_outline(mask))) == {0, 255}


@pytest.mark.parametrize("width", [1, 2, 4])
def test_outline_width_is_honoured(width):
    mask = np.zeros((40, 40), np.uint8)
    mask[8:32, 5:35] = 200
    outline = mask_to_outline(mask, width=width) == 255
    assert outline[:, 20].sum() == 2 * width  # top and bottom edges, each `width` thick
    assert outline[20, :].sum() == 2 * width
    assert outline[8:8 + width, 20].all() and not outline[8 + width:32 - width, 20].any()


def test_outline_draws_only_external_contours_and_honours_threshold_and_invert():
    mask = _disk()
    mask[20:28, 20:28] = 0  # a hole: its rim is not an external contour
    outline = mask_to_outline(mask)
    assert not outline[18:30, 18:30].any()
    assert np.array_equal(mask_to_outline(mask, invert=True), 255 - outline)
    faint = _disk(value=100)
    assert not mask_to_outline(faint).any()  # below the default threshold 127
    assert np.array_equal(mask_to_outline(faint, threshold=50), mask_to_outline(_disk()))


def test_outline_of_a_mask_touching_the_image_border_closes_along_the_border():
    mask = np.zeros((10, 10), np.uint8)
    mask[:, :5] = 255
    outline = mask_to_outline(mask) == 255
    assert outline[:, 0].all() and outline[:, 4].all() and outline[0, :5].all()
    assert not outline[1:-1, 1:4].any()


def test_edges_of_a_drawn_square_follow_its_sides():
    image = _square_image()
    edges = image_to_edges(image) == 255
    square = np.zeros((40, 40), bool)
    square[10:30, 12:32] = True
    near_border = ndimage.binary_dilation(square) & ~ndimage.binary_erosion(square, iterations=2)
    assert not edges[~near_border].any()  # nothing in the interior or the background
    for row in (15, 20, 25):  # left and right sides, one pixel thin
        assert edges[row, 10:14].sum() == 1 and edges[row, 30:34].sum() == 1
    for col in (17, 22, 27):  # top and bottom sides
        assert edges[8:12, col].sum() == 1 and edges[28:32, col].sum() == 1
    labels, count = ndimage.label(edges, structure=np.ones((3, 3)))
    assert count == 1  # one closed contour


def test_edges_width_invert_threshold_and_grey_input():
    image = _square_image()
    thick = image_to_edges(image, width=3) == 255
    assert thick[20, 8:16].sum() == 3
    assert np.array_equal(image_to_edges(image, invert=True), 255 - image_to_edges(image))
    grey = image[..., 0]
    assert image_to_edges(grey).any()
    assert not image_to_edges(np.full((30, 30), 90, np.uint8)).any()  # flat: no edges
    faint = _square_image(colour=(20, 20, 20))
    assert not image_to_edges(faint).any()  # a 20-level step is below the default 30
    assert image_to_edges(faint, threshold=5).any()


def test_sketch_bad_width_and_shape():
    with pytest.raises(GankitError, match="width 0"):
        mask_to_outline(_disk(), width=0)
    with pytest.raises(ValueError, match=r"\[H, W\]"):
        mask_to_outline(np.zeros((4, 4, 3), np.uint8))


def test_sketch_folder_outlines_with_stems_and_suffix(tmp_path):
    src = tmp_path / "masks"
    src.mkdir()
    for stem in ("ISIC_001_segmentation", "ISIC_002_segmentation"):
        Image.fromarray(_disk()).save(src / f"{stem}.png")
    (src / "notes.txt").write_text("not an image")
    count = sketch_folder(src, tmp_path / "sketches", width=2, invert=True,
                          strip_suffix="_segmentation")
    assert count == 2
    written = sorted(p.name for p in (tmp_path / "sketches").iterdir())
    assert written == ["ISIC_001.png", "ISIC_002.png"]
    saved = np.asarray(Image.open(tmp_path / "sketches" / "ISIC_001.png"))
    assert np.array_equal(saved, mask_to_outline(_disk(), width=2, invert=True))


def test_sketch_folder_edges(tmp_path):
    src = tmp_path / "photos"
    src.mkdir()
    Image.fromarray(_square_image()).save(src / "a.jpg", quality=95)
    assert sketch_folder(src, tmp_path / "out", mode="edges") == 1
    saved = np.asarray(Image.open(tmp_path / "out" / "a.png"))
    assert saved.shape == (40, 40) and saved[20, 10:14].max() == 255 and saved[20, 16:28].max() == 0


def test_sketch_folder_errors(tmp_path):
    with pytest.raises(GankitError, match="is not a folder"):
        sketch_folder(tmp_path / "missing", tmp_path / "out")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(GankitError, match="no image files"):
        sketch_folder(empty, tmp_path / "out")
    src = tmp_path / "src"
    src.mkdir()
    Image.fromarray(_disk()).save(src / "a.png")
    with pytest.raises(GankitError, match="input folder"):
        sketch_folder(src, src)
    with pytest.raises(GankitError, match="unknown sketch mode 'canny'"):
        sketch_folder(src, tmp_path / "out", mode="canny")
    Image.fromarray(_disk()).save(src / "a_mask.png")
    with pytest.raises(GankitError, match=r"a\.png"):
        sketch_folder(src, tmp_path / "out", strip_suffix="_mask")
    (src / "a_mask.png").unlink()
    (src / "b.png").write_bytes(b"broken")
    with pytest.raises(GankitError, match=r"b\.png"):
        sketch_folder(src, tmp_path / "out")
