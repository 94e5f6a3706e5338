"""Minibatch standard deviation: the appended channel against a hand computation, and D
telling a batch of one image from a varied one by it."""

import pytest
import torch

from gankit.config import load_config
from gankit.errors import GankitError
from gankit.models import DataSpec
from gankit.models.minibatch_std import MinibatchStd, group_size_for
from gankit.models.registry import build_discriminator, check_options


def test_group_size_is_the_largest_divisor_of_the_batch_up_to_the_asked_size():
    assert [group_size_for(n, 4) for n in (1, 2, 3, 4, 6, 7, 8, 9)] == [1, 2, 3, 4, 3, 1, 4, 3]


def test_the_channel_is_each_groups_mean_standard_deviation():
    # group 0: one feature 1, 3 → std 1; another 0, 4 → std 2: mean 1.5; group 1 alike: ~0
    x = torch.tensor([[1.0, 0.0], [3.0, 4.0], [5.0, 5.0], [5.0, 5.0]]).reshape(4, 2, 1, 1)
    out = MinibatchStd(group_size=2)(x)
    assert out.shape == (4, 3, 1, 1)
    assert torch.equal(out[:, :2], x)
    assert out[:, 2].flatten().tolist() == pytest.approx([1.5, 1.5, 1e-4, 1e-4], abs=1e-6)


def test_the_channel_fills_the_map_and_passes_gradients_to_every_member():
    x = torch.randn(8, 3, 4, 4, requires_grad=True)
    out = MinibatchStd(group_size=4)(x)
    assert out.shape == (8, 4, 4, 4)
    assert torch.equal(out[:, 3], out[:, 3, :1, :1].expand(8, 4, 4))
    out[:4, 3].sum().backward()
    assert bool((x.grad[:4] != 0).all()) and bool((x.grad[4:] == 0).all())


SMALL = ["data.resolution=32", "model.d_width=8", "model.d_mbstd=4"]


def test_a_dcgan_discriminator_sees_the_variety_of_its_batch():
    cfg = load_config("acgan", SMALL)
    spec = DataSpec(kind="image", channels=3, resolution=32, num_classes=24)
    D = build_discriminator(cfg.model, spec).eval()
    cond = torch.eye(24)[torch.zeros(8, dtype=torch.long)]
    varied = torch.rand(8, 3, 32, 32) * 2 - 1
    same = varied[:1].expand(8, -1, -1, -1)
    # the first image scores differently beside copies of itself than beside others
    assert not torch.allclose(D(varied, cond).score[0], D(same, cond).score[0])
    cfg_off = load_config("acgan", SMALL[:-1])
    D_off = build_discriminator(cfg_off.model, spec).eval()
    assert torch.allclose(D_off(varied, cond).score[0], D_off(same, cond).score[0])


def test_a_discriminator_without_the_layer_rejects_the_setting():
    check_options(load_config("acgan", ["model.d_mbstd=4"]).model)
    with pytest.raises(GankitError, match="model.d_mbstd applies to dcgan.*not resnet"):
        check_options(load_config("sngan32", ["model.d_mbstd=4"]).model)
