"""`gankit augment`: a classifier trained on real, real + generated and generated images
of a conditional run, tested on real held-out images, over several seeds."""

import json

import pytest
import torch
from PIL import Image

from gankit.cli.main import main
from gankit.config import load_config
from gankit.data import load_dataset
from gankit.data.registry import DataRequest
from gankit.experiments.augment import few_per_class, synthetic_counts
from gankit.experiments.classifier import (
    ClassifierSettings,
    LabelledImages,
    train_classifier,
)
from gankit.runs import TrainedRun
from gankit.training import train

TINY = ["data.size=96", "data.resolution=32", "model.g_width=8", "model.d_width=8",
        "train.batch_size=16", "train.tensorboard=false", "train.progress=false",
        "train.grid_size=8", "train.device=cpu", "train.epochs=0", "train.steps=3"]
FAST = ["--classifier", "small-cnn", "--epochs", "1", "--device", "cpu"]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny networks: one thread is as fast, and far faster on a CPU shared with others."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Tiny runs: class-conditional (acgan, 24 classes), multi-label, unconditional and
    image-to-image."""
    root = tmp_path_factory.mktemp("runs")
    recipes = {"acgan": ("acgan", []), "multi": ("iclevr-wgan-gp", []),
               "plain": ("dcgan", ["data.labels=none"]),
               "pix2pix": ("pix2pix", ["data.size=16", "train.steps=1"])}
    for name, (preset, extra) in recipes.items():
        train(load_config(preset, TINY + extra), out=root / name)
    return root


def augment(tmp_path, run, *args) -> tuple[int, dict | None]:
    out = tmp_path / "out"
    code = main(["augment", "--gan", str(run), "--out", str(out), *FAST, *args])
    path = out / "augment.json"
    return code, json.loads(path.read_text()) if path.is_file() else None


def test_every_setting_over_seeds_with_curves_and_charts(runs, tmp_path, capsys):
    code, result = augment(tmp_path, runs / "acgan", "--repeats", "2", "--ratio", "0.5",
                           "--ratio", "1")
    assert code == 0
    settings = {s["name"]: s for s in result["settings"]}
    assert list(settings) == ["real", "real+synthetic x0.5", "real+synthetic x1", "synthetic"]
    sizes = {name: (s["n_real"], s["n_synthetic"]) for name, s in settings.items()}
    assert sizes == {"real": (96, 0), "real+synthetic x0.5": (96, 48),
                     "real+synthetic x1": (96, 96), "synthetic": (0, 96)}
    for s in settings.values():
        assert [r["seed"] for r in s["runs"]] == [0, 1]
        assert all(len(r["test_accuracy"]) == len(r["test_loss"]) == 1 for r in s["runs"])
        accuracies = [r["test_accuracy"][-1] for r in s["runs"]]
        assert s["accuracy"]["mean"] == pytest.approx(sum(accuracies) / 2)
        assert s["accuracy"]["std"] == pytest.approx(abs(accuracies[0] - accuracies[1]) / 2**0.5)
        assert len(s["curves"]["accuracy_mean"]) == len(s["curves"]["loss_std"]) == 1
    assert result["classifier"]["loss"] == "cross-entropy"
    assert result["data"]["test_split"] == "test" and result["data"]["n_test"] == 96
    for name in ("curves.png", "bars.png", "ratio.png", "augment.md"):
        assert (tmp_path / "out" / name).stat().st_size > 0
    page = (tmp_path / "out" / "augment.md").read_text()
    assert "| real+synthetic x0.5 | 96 | 48 |" in page
    out = capsys.readouterr().out
    assert "held-out accuracy" in out and "augment.json" in out


def test_the_same_seed_gives_the_same_numbers(runs, tmp_path):
    def figures(folder):
        code, result = augment(folder, runs / "acgan", "--repeats", "1", "--ratio", "1",
                               "--seed", "7", "--epochs", "2")
        assert code == 0
        return [[{k: r[k] for k in ("train_loss", "test_loss", "test_accuracy")}
                 for r in s["runs"]] for s in result["settings"]]

    first = figures(tmp_path / "a")
    assert len(first[0][0]["test_loss"]) == 2
    assert figures(tmp_path / "b") == first


def test_multi_label_runs_use_bce_and_the_iclevr_rule(runs, tmp_path):
    code, result = augment(tmp_path, runs / "multi", "--repeats", "1", "--ratio", "0.5")
    assert code == 0
    assert result["gan"]["conditioning"] == "multi-label"
    assert result["classifier"]["loss"] == "BCE with logits"
    assert result["classifier"]["accuracy_rule"].startswith("iCLEVR")
    assert [s["n_synthetic"] for s in result["settings"]] == [0, 48, 96]
    assert all(0 <= s["accuracy"]["mean"] <= 1 for s in result["settings"])
    assert not (tmp_path / "out" / "ratio.png").exists()  # one ratio: no ratio chart


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: error:"), err
    return err[0]


@pytest.mark.parametrize("run, args, culprit", [
    ("plain", [], "is unconditional; augment needs a class-conditional or multi-label run"),
    ("pix2pix", [], "translates sketches to images"),
    ("acgan", ["--ratio", "0"], "--ratio must be a positive number"),
    ("acgan", ["--ratio", "1", "-0.5"], "--ratio must be a positive number"),
    ("acgan", ["--repeats", "0"], "--repeats must be at least 1"),
    ("acgan", ["--epochs", "0"], "--epochs must be at least 1"),
    ("acgan", ["--batch-size", "0"], "--batch-size must be at least 1"),
    ("acgan", ["--lr", "0"], "--lr must be a positive number"),
    ("acgan", ["--classifier", "vgg"], "unknown evaluator architecture 'vgg'"),
    ("acgan", ["--ratio", "0.001"], "--ratio 0.001 adds no generated image"),
    ("acgan", ["--split-test", "bogus"], "unknown split 'bogus'"),
    ("acgan", ["--split-test", "train"], "is the training split"),
])
def test_what_augment_cannot_do_is_one_error_line(runs, tmp_path, capsys, run, args, culprit):
    code, result = augment(tmp_path, runs / run, *args)
    assert code == 2 and result is None
    assert culprit in one_error_line(capsys)


def test_data_with_other_classes_is_refused(runs, tmp_path, capsys):
    for name in ("cat", "dog"):
        (tmp_path / "pets" / name).mkdir(parents=True)
        Image.new("RGB", (32, 32), (200, 10, 10)).save(tmp_path / "pets" / name / "a.png")
    code, _ = augment(tmp_path, runs / "acgan", "--data", str(tmp_path / "pets"))
    assert code == 2
    line = one_error_line(capsys)
    assert "differ from the run's" in line and "cat, dog" in line


def test_synthetic_counts_follow_each_class_and_keep_the_total():
    assert synthetic_counts(1.0, [5, 3, 0, 1]) == [5, 3, 0, 1]
    assert synthetic_counts(0.5, [5, 3, 4, 0, 1]) == [3, 2, 2, 0, 0]  # total 6.5 -> 7
    assert synthetic_counts(2.5, [3, 1]) == [8, 2]
    assert sum(synthetic_counts(0.5, [1] * 24)) == 12


def test_the_classifier_learns_easy_data():
    def shapes(split, size):
        data = load_dataset(DataRequest("shapes-single", resolution=32, size=size, split=split))
        return LabelledImages(data.images, data.labels)

    train_set, test_set = shapes("train", 960), shapes("test", 480)
    settings = ClassifierSettings("small-cnn", epochs=2, batch_size=32, lr=0.02)
    _, history = train_classifier(train_set, test_set, 24, settings, seed=0)
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.test_accuracy[-1] > 0.3  # chance: 1/24; untrained: ~0.05


def test_the_default_resnet18_trains_when_one_image_is_left_over(runs, tmp_path):
    # 96 real images in batches of 95: BatchNorm on ResNet-18's 1×1 map needs 2 images
    code, result = augment(tmp_path, runs / "acgan", "--classifier", "resnet18", "--repeats",
                           "1", "--batch-size", "95")
    assert code == 0 and result["classifier"]["arch"] == "resnet18"


def test_per_class_keeps_a_seeded_subset_of_every_class(runs, tmp_path):
    data = load_dataset(DataRequest(name="shapes-single", size=240, resolution=16))
    few = few_per_class(data, 3, seed=1)
    counts = torch.bincount(few.labels, minlength=data.num_classes)
    full = torch.bincount(data.labels, minlength=data.num_classes)
    assert torch.equal(counts, full.clamp(max=3)) and few.class_names == data.class_names
    assert torch.equal(few.images, few_per_class(data, 3, seed=1).images)
    assert not torch.equal(few.images, few_per_class(data, 3, seed=2).images)
    code, record = augment(tmp_path, runs / "acgan", "--per-class", "2", "--repeats", "1")
    real = TrainedRun.open(runs / "acgan").real_data()
    expected = torch.bincount(real.labels, minlength=24).clamp(max=2).sum()
    assert code == 0 and record["settings"][0]["n_real"] == expected
