"""The domain evaluator learns labelled images, keeps its predictions through save/load,
scores with the right accuracy rule, and gives a feature space for the *_evaluator metrics."""

import pytest
import torch
from torch import nn

from gankit.data.base import ImageDataset
from gankit.errors import GankitError
from gankit.metrics import EVALUATOR_ARCHS, Evaluator, compute_metrics, train_evaluator
from gankit.metrics.accuracy import object_hits, pooled_accuracy, top1_hits
from gankit.metrics.evaluator_models import Classifier

COLOURS = torch.tensor([(220, 40, 40), (40, 180, 60), (40, 80, 230), (240, 220, 40)])
SIDE, SQUARE = 16, 6


def coloured_squares(n: int, seed: int, multi_label: bool = False) -> ImageDataset:
    """Dark noisy 16×16 images with coloured squares: one square whose colour is the class,
    or (multi-label) 1–3 squares of distinct colours in distinct quadrants."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(10, 40, (n, 3, SIDE, SIDE), generator=g)
    targets = torch.zeros(n, len(COLOURS))
    for i in range(n):
        count = int(torch.randint(1, 4, (1,), generator=g)) if multi_label else 1
        colours = torch.randperm(len(COLOURS), generator=g)[:count]
        quadrants = torch.randperm(4, generator=g)[:count]
        for colour, quadrant in zip(colours.tolist(), quadrants.tolist()):
            top = (quadrant // 2) * 8 + int(torch.randint(0, 8 - SQUARE + 1, (1,), generator=g))
            left = (quadrant % 2) * 8 + int(torch.randint(0, 8 - SQUARE + 1, (1,), generator=g))
            images[i, :, top:top + SQUARE, left:left + SQUARE] = COLOURS[colour].view(3, 1, 1)
            targets[i, colour] = 1
    labels = targets if multi_label else targets.argmax(1)
    names = ["red", "green", "blue", "yellow"]
    return ImageDataset(images.to(torch.uint8), labels, names, description="coloured squares")


@pytest.fixture(scope="module")
def single_label():
    data = coloured_squares(320, seed=0)
    evaluator, report = train_evaluator(data, arch="small-cnn", epochs=3, batch_size=32, lr=3e-3,
                                        val_fraction=0.25, seed=0, progress=False)
    return data, evaluator, report


def test_learns_single_label_images_to_high_held_out_accuracy(single_label):
    data, evaluator, report = single_label
    assert report["n_val"] == 80 and report["n_train"] == 240
    assert report["train_loss"][-1] < 0.5 * report["train_loss"][0]
    assert evaluator.held_out_accuracy == report["held_out_accuracy"] >= 0.95
    fresh = coloured_squares(200, seed=1)
    assert evaluator.accuracy(fresh.images, fresh.labels) >= 0.95
    # Chance is 1/4: the score reflects what was learned, not the rule.
    untrained = Evaluator(EVALUATOR_ARCHS.get("small-cnn")(3, SIDE, 4), "small-cnn",
                          fresh.class_names, False, SIDE, 3)
    assert untrained.accuracy(fresh.images, fresh.labels) < 0.6


def test_learns_multi_label_images_with_the_object_rule():
    data = coloured_squares(320, seed=2, multi_label=True)
    evaluator, report = train_evaluator(data, epochs=3, batch_size=32, lr=3e-3,
                                        val_fraction=0.25, seed=0, progress=False)
    assert evaluator.multi_label
    assert report["held_out_accuracy"] >= 0.9
    assert report["train_loss"][-1] < 0.5 * report["train_loss"][0]


def test_save_load_roundtrip_keeps_predictions(single_label, tmp_path):
    data, evaluator, _ = single_label
    path = evaluator.save(tmp_path / "evaluator.safetensors")
    loaded = Evaluator.load(path)
    images = data.images[:50]
    assert torch.equal(loaded.predict_logits(images), evaluator.predict_logits(images))
    assert torch.equal(loaded.features(images), evaluator.features(images))
    assert loaded.config() == evaluator.config()
    assert loaded.fingerprint() == evaluator.fingerprint()
    assert (loaded.arch, loaded.class_names, loaded.resolution, loaded.channels) == (
        "small-cnn", ["red", "green", "blue", "yellow"], SIDE, 3)


def test_predictions_resize_other_resolutions_and_refuse_other_channels(single_label):
    data, evaluator, _ = single_label
    doubled = data.images[:20].repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    assert evaluator.accuracy(doubled, data.labels[:20]) >= 0.9
    with pytest.raises(GankitError, match="trained on 3-channel images, got 1"):
        evaluator.predict_logits(data.images[:2, :1])


def test_object_rule_on_hand_made_logits():
    logits = torch.tensor([[3.0, 2.0, 1.0, 0.0],    # 2 objects {0, 1}: top-2 {0, 1} → 2 hits
                           [0.0, 1.0, 2.0, 3.0],    # 2 objects {0, 3}: top-2 {3, 2} → 1 hit
                           [5.0, 4.0, 3.0, 2.0],    # 1 object {2}: top-1 {0} → 0 hits
                           [1.0, 9.0, 8.0, 7.0]])   # 3 objects {1, 2, 3}: all → 3 hits
    targets = torch.tensor([[1, 1, 0, 0], [1, 0, 0, 1], [0, 0, 1, 0], [0, 1, 1, 1]]).float()
    assert object_hits(logits, targets) == (6, 8)
    assert object_hits(logits[:3], targets[:3]) == (3, 5)
    # Pooled over objects (3/5), not the mean of per-image accuracies (1/2).
    assert pooled_accuracy([object_hits(logits[i:i + 1], targets[i:i + 1]) for i in range(3)]) \
        == pytest.approx(3 / 5)


def test_top1_rule_on_hand_made_logits():
    logits = torch.tensor([[0.1, 0.9, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 3.0]])
    assert top1_hits(logits, torch.tensor([1, 0, 1, 0])) == (2, 4)


def test_evaluator_accuracy_pools_objects_over_batches():
    # A 2×2 one-channel "image" whose pixels are the 4 logits (identity head).
    body = nn.Flatten()
    model = Classifier(body, 4, 4)
    with torch.no_grad():
        model.head.weight.copy_(torch.eye(4))
        model.head.bias.zero_()
    evaluator = Evaluator(model, "hand", list("abcd"), True, 2, 1)
    pixels = torch.tensor([[200, 150, 100, 50], [50, 100, 150, 200], [250, 200, 150, 100]])
    targets = torch.tensor([[1, 1, 0, 0], [1, 0, 0, 1], [0, 0, 1, 0]]).float()
    images = pixels.view(3, 1, 2, 2).to(torch.uint8)
    assert evaluator.accuracy(images, targets, batch_size=1) == pytest.approx(3 / 5)


def test_fid_evaluator_is_zero_for_identical_sets_and_grows_with_a_shift(single_label, tmp_path):
    data, evaluator, _ = single_label
    real = data.images[:200]
    path = evaluator.save(tmp_path / "evaluator.safetensors")
    options = dict(evaluator=path, device="cpu", progress=False,
                   settings={"kid_subset_size": 100, "kid_subsets": 10})
    metrics = ("fid_evaluator", "kid_evaluator", "pr_evaluator")
    same = compute_metrics(real, real, metrics, **options)
    other_draw = compute_metrics(coloured_squares(200, seed=5).images, real, metrics, **options)
    brighter = (real.int() + 60).clamp(0, 255).to(torch.uint8)
    shifted = compute_metrics(brighter, real, metrics, **options)
    assert abs(same["fid_evaluator"]) < 1e-6 * shifted["fid_evaluator"]
    assert same["precision_evaluator"] == same["recall_evaluator"] == 1.0
    assert other_draw["fid_evaluator"] < shifted["fid_evaluator"] / 5
    assert shifted["kid_evaluator_mean"] > other_draw["kid_evaluator_mean"]
    assert "fid" not in shifted and shifted["n_fake"] == shifted["n_real"] == 200


@pytest.mark.parametrize("arch,dim", [("small-cnn", 128), ("resnet18", 512),
                                      ("resnet18-small", 512)])
@pytest.mark.parametrize("channels", [1, 3])
def test_architectures_give_features_and_logits(arch, dim, channels):
    model = EVALUATOR_ARCHS.get(arch)(channels, 16, 5).eval()
    with torch.no_grad():
        x = torch.zeros(2, channels, 16, 16)
        assert model.body(x).shape == (2, dim) and model(x).shape == (2, 5)


def test_bad_datasets_and_files_are_refused(tmp_path):
    with pytest.raises(GankitError, match="no labels"):
        train_evaluator(ImageDataset(torch.zeros(4, 3, 8, 8, dtype=torch.uint8)), progress=False)
    with pytest.raises(GankitError, match="unknown evaluator architecture 'vgg'"):
        train_evaluator(coloured_squares(4, 0), arch="vgg", progress=False)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not safetensors at all")
    with pytest.raises(GankitError, match="junk.safetensors: not a gankit evaluator file"):
        Evaluator.load(junk)
    with pytest.raises(GankitError, match="no such evaluator file"):
        Evaluator.load(tmp_path / "missing.safetensors")
