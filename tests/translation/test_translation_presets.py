"""Smoke test of the image-to-image presets: `pix2pix` and `sketch2image` train on shapes."""

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.config import load_config
from gankit.runs import load_checkpoint
from gankit.training import train

TINY = ["data.resolution=32", "data.size=16", "model.g_width=8", "model.d_width=8",
        "train.steps=2", "train.epochs=0", "train.grid_size=4", "train.progress=false",
        "train.tensorboard=false"]
EXTRA = {"pix2pix": [], "sketch2image": ["model.options={pretrained: false}"]}


def test_presets_keep_the_cited_settings():
    pix = load_config("pix2pix")
    assert (pix.model.generator, pix.model.discriminator) == ("unet", "patchgan")
    assert (pix.loss.name, pix.loss.recon, pix.loss.recon_weight) == ("ns", "l1", 100.0)
    ref = load_config("sketch2image")
    assert (ref.model.generator, ref.model.discriminator) == ("encoder-decoder", "dropout-conv")
    assert (ref.loss.recon, ref.model.d_dropout, ref.model.z_dim) == ("mse", 0.3, 0)
    assert (ref.data.resolution, ref.train.batch_size, ref.data.labels) == (256, 4, "class")
    for cfg in (pix, ref):
        assert cfg.data.paired and cfg.description
        assert (cfg.optim.name, cfg.optim.lr_g, cfg.optim.lr_d) == ("adam", 2e-4, 2e-4)
        assert cfg.optim.betas == [0.5, 0.999]


@pytest.mark.parametrize("preset", ["pix2pix", "sketch2image"])
def test_preset_trains_on_shapes_and_grids_show_sketch_output_target(preset, tmp_path):
    cfg = load_config(preset, TINY + EXTRA[preset])
    result = train(cfg, out=tmp_path / "run")
    trainer = result.trainer
    state = load_checkpoint(result.run_dir)
    assert state["step"] == 2 and state["data_spec"]["source_channels"] == 1
    assert trainer.spec.num_classes == (24 if preset == "sketch2image" else 0)
    if trainer.spec.num_classes:  # each grid item is drawn with its own label
        own = torch.nn.functional.one_hot(trainer.dataset.labels[:4], 24).float()
        assert torch.equal(trainer.fixed["cond"], own)

    # 4 items of 32 px, as sketch | output | target triplets: 12 cells in one row
    grid = torch.from_numpy(np.array(Image.open(result.latest_samples)))
    assert grid.shape == (2 + 34, 2 + 12 * 34, 3)

    def cell(column):
        x = 2 + 34 * column
        return grid[2:34, x:x + 32].permute(2, 0, 1)

    sketches, targets = trainer.dataset.sources[:4], trainer.dataset.images[:4]
    for item in range(4):
        assert torch.equal(cell(3 * item), sketches[item].expand(3, -1, -1))
        assert torch.equal(cell(3 * item + 2), targets[item])
    assert not torch.equal(cell(1), targets[0])
