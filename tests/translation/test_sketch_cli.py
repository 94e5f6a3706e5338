"""`gankit sketch`: the options reach the sketchers, and the result pairs with the images."""

import numpy as np
import pytest
from PIL import Image

from gankit.cli.main import main
from gankit.data import DataRequest, load_dataset
from gankit.data.shapes import render_shapes
from gankit.data.sketching import image_to_edges, mask_to_outline


@pytest.fixture(scope="module")
def isic_like(tmp_path_factory):
    """ISIC-style folders: images/ISIC_i.jpg... here PNG, masks/ISIC_i_segmentation.png."""
    root = tmp_path_factory.mktemp("isic")
    scenes = render_shapes(3, 32, seed=2, max_objects=2)
    (root / "images").mkdir()
    (root / "masks").mkdir()
    for i, (image, mask) in enumerate(zip(scenes.images, scenes.masks)):
        Image.fromarray(image.permute(1, 2, 0).numpy()).save(root / "images" / f"ISIC_{i}.png")
        Image.fromarray(mask[0].numpy()).save(root / "masks" / f"ISIC_{i}_segmentation.png")
    return root, scenes


def load(path):
    return np.array(Image.open(path))


@pytest.mark.parametrize("flags, kwargs", [
    ([], {}),
    (["--width", "2", "--invert"], {"width": 2, "invert": True}),
    (["--threshold", "255"], {"threshold": 255}),  # nothing is above 255: empty
])
def test_outline_sketches_follow_the_options(isic_like, tmp_path, flags, kwargs, capsys):
    root, scenes = isic_like
    out = tmp_path / "sketches"
    assert main(["sketch", str(root / "masks"), str(out), "--strip-suffix", "_segmentation",
                 *flags]) == 0
    assert "wrote 3 outline sketches" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["ISIC_0.png", "ISIC_1.png", "ISIC_2.png"]
    for i in range(3):
        mask = scenes.masks[i, 0].numpy()
        np.testing.assert_array_equal(load(out / f"ISIC_{i}.png"), mask_to_outline(mask, **kwargs))


def test_edge_sketches_follow_the_options(isic_like, tmp_path):
    root, _ = isic_like
    out = tmp_path / "edges"
    assert main(["sketch", str(root / "images"), str(out), "--mode", "edges", "--threshold",
                 "50", "--sigma", "0.5", "--width", "2"]) == 0
    for i in range(3):
        image = load(root / "images" / f"ISIC_{i}.png")
        np.testing.assert_array_equal(load(out / f"ISIC_{i}.png"),
                                      image_to_edges(image, 50, 0.5, width=2))


def test_sketched_masks_make_a_paired_folder(isic_like, tmp_path):
    root, scenes = isic_like
    assert main(["sketch", str(root / "masks"), str(root / "sketches"),
                 "--strip-suffix", "_segmentation"]) == 0
    data = load_dataset(DataRequest(str(root), resolution=32, paired=True, cache_dir=""))
    assert data.names == ["ISIC_0", "ISIC_1", "ISIC_2"]
    assert data.sources.shape == (3, 1, 32, 32)
    assert (data.images == scenes.images).all()
    assert ((data.sources > 0) <= (scenes.masks > 0)).all()  # outlines lie on the objects


def test_sketch_user_errors_are_one_line(isic_like, tmp_path, capsys):
    root, _ = isic_like
    for argv, fragment in ((["--mode", "scribble"], "unknown sketch mode 'scribble'"),
                           (["--width", "0"], "line width 0")):
        assert main(["sketch", str(root / "masks"), str(tmp_path / "o"), *argv]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and fragment in err[0]
