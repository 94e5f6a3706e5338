"""Every shipped preset trains a few steps on built-in data (shapes or toy2d)."""

import json

import pytest

from gankit.config import load_config, preset_names
from gankit.runs import load_checkpoint
from gankit.training import train

SMALL_IMAGES = ["data.resolution=32", "data.size=64", "model.g_width=8", "model.d_width=8",
                "train.batch_size=8"]
COMMON = ["train.steps=2", "train.epochs=0", "train.progress=false", "train.tensorboard=false",
          "train.grid_size=8", "train.checkpoint_every=2", "train.sample_every=2"]


@pytest.mark.parametrize("name", preset_names())
def test_preset_trains_on_builtin_data(name, tmp_path):
    cfg = load_config(name)
    assert cfg.data.name in {"shapes", "shapes-single", "ring8", "grid25", "toy2d", "swissroll"}, \
        "presets must run offline on built-in data"
    small = SMALL_IMAGES if cfg.model.generator != "mlp" else ["data.size=512",
                                                                "train.batch_size=32"]
    cfg = load_config(name, small + COMMON)
    result = train(cfg, out=tmp_path / name)
    state = load_checkpoint(result.run_dir)
    assert state["step"] == 2
    record = json.loads((result.run_dir / "metrics.jsonl").read_text().splitlines()[-1])
    assert record["loss_d"] == record["loss_d"], "loss is NaN"
    assert result.latest_samples is not None
