"""Per-object slots: each object of a condition is encoded on its own, with z, before
the objects are summed."""

import pytest
import torch

from gankit.config import ModelConfig
from gankit.errors import GankitError
from gankit.models import DataSpec, build_generator
from gankit.models.object_slots import MAX_SLOTS, ObjectSlots


def _by_hand(slots: ObjectSlots, objects: list[int], z: torch.Tensor) -> torch.Tensor:
    total = torch.zeros(slots.out_dim)
    for rank, obj in enumerate(sorted(objects)):
        token = slots.objects.weight[obj] + slots.ranks.weight[rank]
        total = total + slots.mlp(torch.cat([token, z]))
    return total


def test_slots_sum_each_objects_own_encoding_in_class_order():
    torch.manual_seed(0)
    slots = ObjectSlots(num_classes=6, embed_dim=4, z_dim=3, hidden=8)
    cond = torch.zeros(3, 6)
    cond[0, 2] = 1
    cond[1, [5, 1]] = 1
    cond[2, [0, 3, 4]] = 1
    z = torch.randn(3, 3)
    out = slots(cond, z)
    for row, objects in enumerate([[2], [1, 5], [0, 3, 4]]):
        assert torch.allclose(out[row], _by_hand(slots, objects, z[row]), atol=1e-6)


def test_a_slot_binds_its_object_to_its_rank():
    # the same two objects at other ranks give other features: the sum is not of
    # rank-free object codes, so "which object comes where" survives the sum
    torch.manual_seed(0)
    slots = ObjectSlots(num_classes=4, embed_dim=4, z_dim=2, hidden=8)
    z = torch.randn(1, 2)
    pair = torch.tensor([[1.0, 1, 0, 0]])
    alone = slots(torch.tensor([[1.0, 0, 0, 0]]), z) + slots(torch.tensor([[0, 1.0, 0, 0]]), z)
    assert not torch.allclose(slots(pair, z), alone)


def test_the_latent_reaches_every_slot():
    torch.manual_seed(0)
    slots = ObjectSlots(num_classes=4, embed_dim=4, z_dim=2, hidden=8)
    cond = torch.tensor([[0, 1.0, 0, 1]]).repeat(2, 1)
    out = slots(cond, torch.tensor([[0.0, 1.0], [1.0, 0.0]]))
    assert not torch.allclose(out[0], out[1])


def test_an_image_does_not_depend_on_the_rows_beside_it():
    torch.manual_seed(0)
    slots = ObjectSlots(num_classes=24, embed_dim=50, z_dim=100)
    cond = torch.zeros(10, 24)
    for row, count in enumerate([3, 3, 3, 3, 2, 2, 2, 2, 1, 1]):
        cond[row, torch.randperm(24)[:count]] = 1
    z = torch.randn(10, 100)
    in_fours = torch.cat([slots(cond[i:i + 4], z[i:i + 4]) for i in range(0, 10, 4)])
    assert torch.equal(slots(cond, z), in_fours)


def test_more_objects_than_slots_is_a_user_error():
    slots = ObjectSlots(num_classes=MAX_SLOTS + 2, embed_dim=4, z_dim=2)
    cond = torch.zeros(1, MAX_SLOTS + 2)
    cond[0, : MAX_SLOTS + 1] = 1
    with pytest.raises(GankitError, match="g_cond=cbn"):
        slots(cond, torch.zeros(1, 2))


@pytest.mark.parametrize("generator", ["dcgan", "mlp", "resnet", "r3gan"])
def test_every_latent_generator_takes_slots(generator):
    spec = DataSpec("image", 3, 32, num_classes=5, multi_label=True)
    cfg = ModelConfig(generator=generator, g_width=8, g_cond="slots", embed_dim=6, z_dim=16,
                      g_norm="none" if generator == "r3gan" else "batch")
    G = build_generator(cfg, spec).eval()
    cond = torch.tensor([[1.0, 0, 1, 0, 0], [0, 0, 0, 1, 1]])
    z = G.sample_z(1).repeat(2, 1)
    x = G(z, cond)
    assert x.shape == (2, 3, 32, 32)
    assert not torch.allclose(x[0], x[1]), "same z, other objects → other image"
