"""train.precision: the networks' forward passes run in bf16/fp16 under autocast, the
losses see float32, GP/R1/R2 run in float32, fp16's loss scalers resume exactly, and
checkpoints hold the plain float32 models."""

import io

import pytest
import torch
from torch import nn

from gankit.config import load_config
from gankit.errors import GankitError
from gankit.models import build_generator
from gankit.precision import Autocast, LossScaler, full_precision
from gankit.training import Trainer

TINY = ["data.size=64", "data.resolution=16", "model.g_width=4", "model.d_width=4",
        "train.batch_size=8", "train.progress=false", "train.device=cpu"]


def conv_output_dtypes(module: nn.Module) -> list[torch.dtype]:
    """Records the output dtype of the first convolution of ``module`` at every call."""
    seen = []
    conv = next(m for m in module.modules() if isinstance(m, nn.Conv2d))
    conv.register_forward_hook(lambda _m, _i, out: seen.append(out.dtype))
    return seen


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_autocast_runs_the_network_in_half_and_returns_float32(dtype):
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 2, 3))
    seen = conv_output_dtypes(net)
    wrapped = Autocast(net, dtype, "cpu")
    x = torch.randn(2, 3, 8, 8)
    out = wrapped(x)
    assert seen == [dtype] and out.dtype == torch.float32
    assert torch.allclose(out, net(x), atol=0.05)  # the same function, rounded
    with full_precision():
        assert wrapped(x).dtype == torch.float32
    assert seen[-1] == torch.float32
    assert set(wrapped.module.state_dict()) == set(net.state_dict())


def test_penalties_run_in_float32_while_the_adversarial_passes_run_in_bf16(tmp_path):
    cfg = load_config("default", [*TINY, "train.precision=bf16", "loss.r1_weight=1"])
    trainer = Trainer(cfg, tmp_path, torch.device("cpu"), callbacks=[])
    seen = conv_output_dtypes(trainer.D)
    stats = trainer.train_step()
    # D: real, fake, R1 on the reals (float32), then the G phase's pass
    assert seen == [torch.bfloat16, torch.bfloat16, torch.float32, torch.bfloat16]
    assert all(v.dtype == torch.float32 and torch.isfinite(v) for v in stats.values())
    assert all(p.dtype == torch.float32 for p in trainer.G.parameters())
    plain = build_generator(cfg.model, trainer.spec)
    plain.load_state_dict(trainer.state_dict()["generator"])  # strict: the plain names


def test_fp16_scalers_are_saved_and_a_resumed_run_continues_identically(tmp_path):
    cfg = load_config("default", [*TINY, "train.precision=fp16", "loss.gp_weight=1",
                                  "loss.name=wasserstein"])
    first = Trainer(cfg, tmp_path / "a", torch.device("cpu"), callbacks=[])
    for _ in range(2):
        first.train_step()
    saved = io.BytesIO()
    torch.save(first.state_dict(), saved)  # as a checkpoint: a copy, not live tensors
    saved.seek(0)
    state = torch.load(saved, weights_only=True)
    assert state["scalers"]["d"]["scale"] > 0 and state["scalers"]["g"]["scale"] > 0
    second = Trainer(cfg, tmp_path / "b", torch.device("cpu"), callbacks=[])
    second.load_state_dict(state)
    first.train_step()
    second.train_step()
    for a, b in zip(first.G.state_dict().values(), second.G.state_dict().values()):
        assert torch.equal(a, b)
    assert first.scalers["d"].state_dict() == second.scalers["d"].state_dict()


def test_fp32_has_no_scaler_and_changes_nothing(tmp_path):
    assert LossScaler("fp32", torch.device("cpu")).state_dict() is None
    cfg = load_config("default", TINY)
    trainer = Trainer(cfg, tmp_path, torch.device("cpu"), callbacks=[])
    assert trainer.G_train is trainer.G and trainer.D_frozen is trainer.D


@pytest.mark.parametrize("overrides,culprit", [
    (["train.precision=fp8"], "train.precision='fp8' is not known"),
    (["train.precision=bf16"], "not supported with loss.objective=cycle"),
])
def test_bad_precision_settings_are_one_line_errors(overrides, culprit, tmp_path):
    preset = "cyclegan" if "bf16" in overrides[0] else "default"
    extra = (["data.size=16", "data.resolution=32", "model.g_width=4", "model.d_width=4"]
             if preset == "cyclegan" else TINY)
    cfg = load_config(preset, [*extra, *overrides])
    with pytest.raises(GankitError, match=culprit):
        Trainer(cfg, tmp_path, torch.device("cpu"), callbacks=[])
