"""Grids are laid out by gankit itself (no torchvision import before a run's first step),
pixel for pixel as torchvision's ``make_grid`` / ``save_image`` would draw them."""

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.runs.grids import image_grid, save_image_grid, save_samples

torchvision_utils = pytest.importorskip("torchvision.utils")

CASES = [((1, 3, 8, 8), None), ((5, 3, 8, 6), 2), ((64, 3, 4, 4), 8), ((7, 1, 5, 5), 3),
         ((9, 3, 4, 4), None), ((3, 3, 4, 4), 8)]


@pytest.mark.parametrize("shape,nrow", CASES)
def test_image_grid_is_torchvisions_make_grid(shape, nrow):
    images = torch.randn(shape, generator=torch.Generator().manual_seed(0)) * 1.3
    ours = image_grid(images, nrow)
    nrow = nrow or max(1, int(len(images) ** 0.5))
    theirs = torchvision_utils.make_grid(images, nrow=nrow, normalize=True,
                                         value_range=(-1, 1), padding=2)
    assert torch.equal(ours, theirs)


@pytest.mark.parametrize("shape,nrow", CASES)
def test_saved_grids_and_single_images_match_torchvisions_pixels(shape, nrow, tmp_path):
    images = torch.rand(shape, generator=torch.Generator().manual_seed(1)) * 2 - 1
    ours = save_image_grid(images, tmp_path / "ours.png", nrow)
    torchvision_utils.save_image(images, tmp_path / "theirs.png",
                                 nrow=nrow or max(1, int(len(images) ** 0.5)),
                                 normalize=True, value_range=(-1, 1), padding=2)
    assert np.array_equal(np.asarray(Image.open(ours)),
                          np.asarray(Image.open(tmp_path / "theirs.png")))
    paths = save_samples(images, tmp_path / "each")
    torchvision_utils.save_image(images[0], tmp_path / "one.png", normalize=True,
                                 value_range=(-1, 1), padding=0)
    assert np.array_equal(np.asarray(Image.open(paths[0])),
                          np.asarray(Image.open(tmp_path / "one.png")))
