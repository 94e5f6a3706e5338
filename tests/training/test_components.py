"""Where the trainable parts are placed: on a CPU, image nets keep their conv weights
channels-last (faster oneDNN convolutions), unless a model opts out; the layout is not
saved into the run's meaning (checkpoints load into plain models) and runs repeat."""

import pytest
import torch

from gankit.config import load_config
from gankit.errors import GankitError
from gankit.models import DataSpec, build_discriminator, build_generator
from gankit.training import Trainer
from gankit.training.components import place

TINY = ["data.size=64", "data.resolution=16", "model.g_width=4", "model.d_width=4",
        "train.batch_size=8", "train.ema=0.9", "train.progress=false", "train.device=cpu"]


def conv_weights(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p for p in model.parameters() if p.dim() == 4]


def test_cpu_image_nets_and_their_ema_are_channels_last(tmp_path):
    trainer = Trainer(load_config("default", TINY), tmp_path, torch.device("cpu"),
                      callbacks=[])
    for model in (trainer.G, trainer.D, trainer.ema.shadow):
        weights = conv_weights(model)
        assert weights and all(w.is_contiguous(memory_format=torch.channels_last)
                               for w in weights)
    trainer.train_step()  # activations follow the weights' layout without help


@pytest.mark.parametrize("preset", ["cyclegan", "simple-gan"])
def test_models_that_opt_out_or_have_no_images_stay_as_built(preset):
    cfg = load_config(preset)
    spec = (DataSpec(channels=3, resolution=32, source_channels=3) if preset == "cyclegan"
            else DataSpec(kind="points", channels=2, resolution=0))
    for model in (build_generator(cfg.model, spec), build_discriminator(cfg.model, spec)):
        placed = place(model, torch.device("cpu"))
        assert all(p.is_contiguous() for p in placed.parameters())


def test_a_channels_last_checkpoint_loads_into_plain_models_exactly(tmp_path):
    trainer = Trainer(load_config("default", TINY), tmp_path, torch.device("cpu"),
                      callbacks=[])
    trainer.train_step()
    plain = build_generator(trainer.cfg.model, trainer.spec)
    plain.load_state_dict(trainer.G.state_dict())
    for mine, theirs in zip(trainer.G.state_dict().values(), plain.state_dict().values()):
        assert torch.equal(mine, theirs)
    assert all(p.is_contiguous() for p in plain.parameters())


def test_compiled_training_keeps_plain_weight_names_and_an_eager_d_under_r1(tmp_path):
    cfg = load_config("default", [*TINY, "train.compile=true", "loss.r1_weight=1"])
    trainer = Trainer(cfg, tmp_path, torch.device("cpu"), callbacks=[])
    assert trainer.G._compiled_call_impl is not None
    assert trainer.D._compiled_call_impl is None  # R1's double backward stays eager
    losses = [trainer.train_step() for _ in range(2)]
    assert all(torch.isfinite(torch.as_tensor(float(v))) for step in losses
               for v in step.values())
    plain = build_generator(cfg.model, trainer.spec)
    plain.load_state_dict(trainer.G.state_dict())  # strict: the same names
    z = trainer.G.sample_z(4)
    trainer.G.eval()
    plain.eval()
    with torch.no_grad():
        assert torch.allclose(trainer.G(z), plain(z), atol=1e-5)


def test_compiling_on_a_cpu_without_a_compiler_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setattr("gankit.training.components.shutil.which", lambda name: None)
    cfg = load_config("default", [*TINY, "train.compile=true"])
    with pytest.raises(GankitError, match="train.compile=true on the CPU needs a C"):
        Trainer(cfg, tmp_path, torch.device("cpu"), callbacks=[])
