"""Differentiable augmentation for D: the ops, DiffAugment, ADA's controller, building and
training with them."""

import json

import pytest
import torch

from gankit.config import AugmentConfig, LossConfig, load_config
from gankit.errors import GankitError
from gankit.losses import GANObjective
from gankit.models.base import DataSpec
from gankit.runs import load_checkpoint
from gankit.training import train
from gankit.training.ada import AdaptiveAugment
from gankit.training.augment import GROUPS, OPS, DiffAugment, build_augment, policy_ops

IMAGE = DataSpec("image", 3, 16)


def images(n=8, c=3, side=16, seed=0):
    """Images in [0.1, 1]: no pixel is 0 before an op sets it."""
    return torch.rand(n, c, side, side, generator=torch.Generator().manual_seed(seed)) * 0.9 + 0.1


@pytest.mark.parametrize("method, policy", [("diffaugment", name) for name in OPS.names()]
                         + [("diffaugment", "auto"), ("ada", "auto")])
def test_every_op_keeps_shape_dtype_and_the_graph(method, policy):
    torch.manual_seed(0)
    x = images().requires_grad_(True)
    out = DiffAugment(policy_ops(policy, method), 1.0)(x)
    assert out.shape == x.shape and out.dtype == x.dtype and out.device == x.device
    assert torch.isfinite(out).all()
    (grad,) = torch.autograd.grad((out * torch.randn_like(out)).sum(), x)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_every_op_takes_grey_images():
    x = images(4, 1)
    out = DiffAugment(OPS.names(), 0.5)(x)
    assert out.shape == x.shape and torch.isfinite(out).all()


def test_p_zero_is_the_identity_and_p_gates_each_sample():
    x = images(64)
    assert torch.equal(DiffAugment(policy_ops("geometric,color-ada,color,translation,cutout"),
                                   0.0)(x), x)
    torch.manual_seed(0)
    out = DiffAugment(["brightness"], 0.5)(x)
    untouched = (out == x).flatten(1).all(1).sum().item()
    assert 16 < untouched < 48  # about half, each sample on its own


def _shift(image, dx, dy):
    out = torch.zeros_like(image)
    h, w = image.shape[-2:]
    out[:, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        image[:, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def test_translation_shifts_whole_pixels_by_at_most_an_eighth_with_zero_padding():
    torch.manual_seed(0)
    x = images(16, side=32)
    out = DiffAugment(["translation"], 1.0)(x)
    shifts = [[(dx, dy) for dx in range(-4, 5) for dy in range(-4, 5)
               if torch.equal(_shift(x[i], dx, dy), out[i])] for i in range(16)]
    assert all(len(s) == 1 for s in shifts), shifts
    assert any(s != [(0, 0)] for s in shifts)


def test_cutout_zeroes_a_square_of_half_the_side():
    torch.manual_seed(0)
    x = images(8, side=32)
    out = DiffAugment(["cutout"], 1.0)(x)
    for cut in (out == 0).all(dim=1):
        rows, cols = cut.any(1).nonzero(), cut.any(0).nonzero()
        assert cut.sum() == 16 * 16 and len(rows) == len(cols) == 16
    assert torch.equal(out[out != 0], x[out != 0])


def test_color_moves_brightness_and_contrast_reproducibly():
    x = images(32) * 2 - 1
    torch.manual_seed(3)
    out = DiffAugment(["color"], 1.0)(x)
    torch.manual_seed(3)
    assert torch.equal(out, DiffAugment(["color"], 1.0)(x))
    mean_shift = (out.mean((1, 2, 3)) - x.mean((1, 2, 3))).abs()
    std_ratio = out.std((1, 2, 3)) / x.std((1, 2, 3))
    assert mean_shift.max() > 0.2 and (std_ratio - 1).abs().max() > 0.2
    assert out.min() < -1 or out.max() > 1  # nothing clamped, as the paper


def test_ada_colour_ops_keep_or_flip_luma_as_the_paper():
    torch.manual_seed(0)
    x = images(8) * 2 - 1
    luma = x.mean(1)
    assert torch.allclose(DiffAugment(["hue"], 1.0)(x).mean(1), luma, atol=1e-5)
    assert torch.allclose(DiffAugment(["saturation"], 1.0)(x).mean(1), luma, atol=1e-5)
    flipped = DiffAugment(["lumaflip"], 1.0)(x).mean(1)  # applied to half the samples
    assert all(torch.allclose(f, -m, atol=1e-5) or torch.equal(f, m)
               for f, m in zip(flipped, luma))


def test_rotate90_turns_by_whole_quarters():
    torch.manual_seed(0)
    x = images(16)
    out = DiffAugment(["rotate90"], 1.0)(x)
    turns = [[k for k in range(4) if torch.equal(torch.rot90(x[i], k, (1, 2)), out[i])]
             for i in range(16)]
    assert all(len(t) == 1 for t in turns) and len({t[0] for t in turns}) > 2


def test_consecutive_bilinear_warps_resample_once_as_the_ops_one_after_another():
    torch.manual_seed(0)
    smooth = torch.nn.functional.interpolate(images(32, side=4) * 2 - 1, size=32,
                                             mode="bicubic", align_corners=False)
    augment = DiffAugment(["frac-translate", "scale", "rotate", "aniso"], 1.0)
    fused = augment(smooth)
    one_by_one = smooth
    for op in augment._last:
        one_by_one = op(one_by_one, params=op._params)
    centre = (fused - one_by_one)[..., 10:22, 10:22].abs()  # away from the padding
    assert centre.mean() < 0.02 and (fused - smooth).abs().mean() > 0.2


@pytest.mark.parametrize("policy", ["color,translation,cutout", "geometric,color-ada"])
def test_the_same_transform_on_real_and_fake_when_asked(policy):
    torch.manual_seed(0)
    augment = DiffAugment(policy_ops(policy), 0.7)
    x = images(8)
    real, fake = augment.pair(x, x.clone())
    assert torch.equal(real, fake) and not torch.equal(real, x)
    assert torch.equal(augment.repeat(x), real)
    assert not torch.equal(augment(x), real)  # a new call draws anew


def _ada(**kw):
    args = {"p": 0.0, "target": 0.6, "speed_images": 1000, "interval": 4}
    return AdaptiveAugment(["translation"], **{**args, **kw})


def test_ada_p_rises_on_an_overfitting_d_and_falls_back():
    ada = _ada()
    for _ in range(3):
        ada.observe(torch.ones(10))
    assert ada.p == 0  # no move inside an interval
    ada.observe(torch.ones(10))
    assert ada.p == pytest.approx(4 * 10 / 1000)  # interval × batch / speed_images
    for _ in range(200):
        ada.observe(torch.rand(10) + 0.1)
    assert ada.p == 1.0  # clamped
    for _ in range(4 * 3):
        ada.observe(-torch.rand(10))
    assert ada.p == pytest.approx(1 - 3 * 0.04)
    for _ in range(400):
        ada.observe(-torch.ones(10))
    assert ada.p == 0.0
    assert all(op.p == 0 for op, _ in ada.steps)


def test_ada_p_reaches_the_kornia_ops_and_holds_at_the_target():
    ada = _ada(p=0.5)
    ada.observe(torch.tensor([1.0, 1, 1, -1, -1]))  # mean sign 0.2 < 0.6
    for _ in range(3):
        ada.observe(torch.tensor([1.0, 1, 1, 1, -1]))  # 0.6: overall (0.2 + 3 × 0.6) / 4 = 0.5
    assert ada.p == pytest.approx(0.5 - 20 / 1000)
    assert [op.p for op, _ in ada.steps] == [ada.p]
    for _ in range(4):
        ada.observe(torch.tensor([1.0, 1, 1, 1, -1]))  # exactly at the target: no move
    assert ada.p == pytest.approx(0.48)
    ada.observe(torch.ones(2, 1, 3, 3))  # a patch map counts one mean sign per image
    assert ada._images == 2


def _drive(ada, seed, n):
    scores = torch.randn(n, 6, generator=torch.Generator().manual_seed(seed)) + 0.5
    for s in scores:
        ada.observe(s)
    return ada


def test_ada_state_round_trip_mid_interval_and_through_the_objective():
    whole = _drive(_ada(interval=3, speed_images=60), 0, 10)
    half = _drive(_ada(interval=3, speed_images=60), 0, 5)  # 5 % 3: mid-interval
    state = half.state_dict()
    assert state["sign_sum"].device.type == "cpu" and state["images"] == 12
    objective = GANObjective(LossConfig(), augment=half)
    restored = GANObjective(LossConfig(), augment=_ada(interval=3, speed_images=60))
    restored.load_state_dict(objective.state_dict())
    resumed = restored.augment
    assert resumed.p == half.p and resumed._images == 12
    scores = torch.randn(10, 6, generator=torch.Generator().manual_seed(0)) + 0.5
    for s in scores[5:]:
        resumed.observe(s)
    assert resumed.p == whole.p and 0 < whole.p < 1
    assert resumed.state_dict()["sign_sum"] == whole.state_dict()["sign_sum"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_on_the_gpu_ops_run_there_and_ada_counts_there():
    x = images(8).cuda().requires_grad_(True)
    augment = build_augment(AugmentConfig(name="ada", ada_start=0.5), IMAGE, x.device)
    out = augment(x)
    out.sum().backward()
    assert out.device == x.device and torch.isfinite(x.grad).all()
    augment.observe(torch.ones(8, device="cuda"))
    assert augment._sign_sum.device == x.device
    assert augment.state_dict()["sign_sum"].device.type == "cpu"


def test_build_picks_the_method_and_its_own_policy():
    assert build_augment(AugmentConfig(), IMAGE, torch.device("cpu")) is None
    diff = build_augment(AugmentConfig(name="diffaugment", p=0.3), IMAGE, "cpu")
    assert isinstance(diff, DiffAugment) and diff.p == 0.3
    assert diff.ops == ["color", "translation", "cutout"] and diff.state_dict() == {}
    ada = build_augment(AugmentConfig(name="ada", ada_start=0.2, policy="flip,color-ada"),
                        IMAGE, "cpu")
    assert isinstance(ada, AdaptiveAugment) and ada.p == 0.2
    assert ada.ops == ["flip", *GROUPS["color-ada"]]
    assert build_augment(AugmentConfig(name="ada"), IMAGE, "cpu").ops == [
        *GROUPS["geometric"], *GROUPS["color-ada"]]
    two_domains = DataSpec("image", 3, 16, source_channels=3)  # CycleGAN: unpaired
    assert build_augment(AugmentConfig(name="ada"), two_domains, "cpu", paired=False)


@pytest.mark.parametrize("cfg, spec, message", [
    (AugmentConfig(name="adaptive"), IMAGE, "augment.name 'adaptive'.*diffaugment"),
    (AugmentConfig(name="diffaugment", policy="color,blur"), IMAGE,
     "augment.policy .*'blur'.*cutout"),
    (AugmentConfig(name="ada", policy=" , "), IMAGE, "augment.policy .*no op"),
    (AugmentConfig(name="ada"), DataSpec("image", 3, 16, source_channels=1), "unpaired GANs"),
    (AugmentConfig(name="diffaugment"), DataSpec("points", 2, 0), "points"),
])
def test_build_errors_name_the_key_and_the_choices(cfg, spec, message):
    with pytest.raises(GankitError, match=message):
        build_augment(cfg, spec, torch.device("cpu"))


TINY = ["data.size=64", "data.resolution=16", "model.g_width=8", "model.d_width=8",
        "model.z_dim=16", "train.batch_size=8", "train.progress=false", "train.log_every=2",
        "train.tensorboard=false", "train.grid_size=4", "train.device=cpu",
        "train.collapse_every=0"]


def _g_weights(trainer):
    return torch.cat([p.detach().flatten() for p in trainer.G.parameters()])


def test_diffaugment_trains_through_the_real_trainer(tmp_path):
    cfg = load_config("default", TINY + ["augment.name=diffaugment", "augment.p=0.5",
                                         "train.steps=2", "loss.r1_weight=1"])
    trainer = train(cfg, out=tmp_path / "run").trainer
    assert isinstance(trainer.objective.augment, DiffAugment)
    assert torch.isfinite(_g_weights(trainer)).all()


def test_ada_resumes_bit_for_bit_with_its_p(tmp_path):
    # fast ADA: p moves by 3 × 8 / 48 = 0.5 per interval, a checkpoint falls mid-interval
    ada = ["augment.name=ada", "augment.ada_start=0.5", "augment.speed_images=48",
           "augment.interval=3", "augment.policy=flip,translation,color-ada",
           "train.checkpoint_every=4"]
    full = train(load_config("default", TINY + ada + ["train.steps=8"]),
                 out=tmp_path / "full").trainer
    train(load_config("default", TINY + ada + ["train.steps=4"]), out=tmp_path / "half")
    assert load_checkpoint(tmp_path / "half")["objective"]["augment"]["steps"] == 1
    resumed = train(load_config("default", TINY + ada + ["train.steps=8"]),
                    resume=tmp_path / "half").trainer
    assert torch.equal(_g_weights(full), _g_weights(resumed))
    assert resumed.objective.augment.p == full.objective.augment.p
    logged = [json.loads(line)["augment_p"]
              for line in (tmp_path / "full" / "metrics.jsonl").read_text().splitlines()]
    assert len(set(logged)) > 1  # p moved during the run
    assert full.objective.augment.state_dict()["steps"] == 2
