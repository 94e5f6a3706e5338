"""real_vs_fake.png: each real image beside a fake made for the same label(s), or input |
output | target for image-to-image models."""

import torch
import torch.nn.functional as F
from PIL import Image

from gankit.data.base import ImageDataset, to_unit
from gankit.runs import TrainedRun
from gankit.runs.real_fake import pick_real, real_and_fake, real_fake_picture, save_real_fake
from gankit.runs.sampling import generate

K = 5


class PaintsItsClass(torch.nn.Module):
    """A generator whose every pixel is its class index / K: a fake shows its label."""

    def sample_z(self, n, device="cpu", generator=None):
        return torch.randn(n, 4, generator=generator)

    def forward(self, z, cond=None, source=None):
        value = cond.argmax(1).float() / K
        return value.view(-1, 1, 1, 1).expand(-1, 3, 8, 8).clone()


class Mirror(torch.nn.Module):
    """An image-to-image generator that flips its input (B → A flips it upside down)."""

    def sample_z(self, n, device="cpu", generator=None):
        return torch.zeros(n, 0)

    def forward(self, z, cond=None, source=None):
        return source.flip(-1)


class TwoWays(Mirror):
    def towards(self, direction):
        return UpsideDown()


class UpsideDown(Mirror):
    def forward(self, z, cond=None, source=None):
        return source.flip(-2)


def images(n, channels=3):
    return torch.randint(0, 256, (n, channels, 8, 8), generator=torch.Generator().manual_seed(n),
                         dtype=torch.uint8)


def test_each_fake_is_made_for_the_label_of_the_real_image_beside_it():
    labels = torch.arange(30) % K
    data = ImageDataset(images(30), labels, [f"c{i}" for i in range(K)])
    pairs = real_and_fake(PaintsItsClass(), data, n=10)
    real, fake = pairs.columns
    assert pairs.names == ["real", "fake"] and len(pairs.index) == 10
    assert torch.equal(real, to_unit(data.images[pairs.index]))
    assert torch.equal(pairs.cond, F.one_hot(labels[pairs.index], K).float())
    painted = fake[:, 0, 0, 0] * K
    assert torch.allclose(painted, labels[pairs.index].float())
    assert sorted(labels[pairs.index[:K]].tolist()) == list(range(K))  # classes take turns


def test_multi_label_fakes_get_the_real_images_object_lists():
    labels = (torch.rand(20, K, generator=torch.Generator().manual_seed(1)) > 0.5).float()
    data = ImageDataset(images(20), labels, [f"o{i}" for i in range(K)])
    pairs = real_and_fake(PaintsItsClass(), data, n=6)
    assert torch.equal(pairs.cond, labels[pairs.index])


def test_a_trained_conditional_run_pairs_real_images_with_fakes_of_their_labels(tiny_run):
    run = TrainedRun.open(tiny_run("acgan"))
    data = run.real_data()
    pairs = real_and_fake(run.generator, data, n=8, seed=3)
    expected = F.one_hot(data.labels[pairs.index], data.num_classes).float()
    assert torch.equal(pairs.cond, expected)
    again = generate(run.generator, 8, cond=expected, batch_size=8, seed=3)
    assert torch.equal(pairs.columns[1], again)
    assert len(set(data.labels[pairs.index].tolist())) == 8  # 8 different classes shown


def test_image_to_image_shows_input_output_target_and_cycles_add_the_way_back():
    data = ImageDataset(images(12), sources=images(12, channels=1))
    pairs = real_and_fake(Mirror(), data, n=4)
    source, output, target = pairs.columns
    assert pairs.names == ["input", "output", "target"] and pairs.cond is None
    assert torch.equal(source, to_unit(data.sources[pairs.index]))
    assert torch.equal(output, source.flip(-1)) and torch.equal(target, to_unit(
        data.images[pairs.index]))
    cycle = real_and_fake(TwoWays(), data, n=4)
    assert cycle.names == ["A", "A->B", "B", "B->A"]
    assert torch.equal(cycle.columns[3], cycle.columns[2].flip(-2))


def test_unconditional_pairs_and_a_seeded_choice_of_real_images():
    data = ImageDataset(images(50))
    assert torch.equal(pick_real(data, 7, seed=2), pick_real(data, 7, seed=2))
    assert len(pick_real(data, 100)) == 50


def test_the_picture_has_a_heading_band_and_is_written_atomically(tmp_path):
    data = ImageDataset(images(30), torch.arange(30) % K, [f"c{i}" for i in range(K)])
    pairs = real_and_fake(PaintsItsClass(), data, n=8)
    picture = real_fake_picture(pairs, per_row=4)
    assert picture.size == (8 * 10 + 2, 16 + 2 * 10 + 2)  # 8 px images, 2 px padding
    path = save_real_fake(pairs, tmp_path / "real_vs_fake.png")
    with Image.open(path) as image:
        assert image.format == "PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["real_vs_fake.png"]
