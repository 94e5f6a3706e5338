"""No file gankit reads can run code: every loader, handed a crafted pickle whose loading
would create a marker file, creates nothing and says so in one line (or, for caches,
rebuilds the entry).

The crafted payload is a class whose ``__reduce__`` returns ``(pathlib.Path.touch,
(marker,))``: an unrestricted ``torch.load`` / ``pickle.load`` touches ``marker`` (proved
below), ``weights_only=True`` refuses it.
"""

import os
import pathlib
import pickle
import re
from pathlib import Path

import pytest
import torch
from PIL import Image

from gankit.cli.main import main
from gankit.errors import GankitError

ROOT = Path(__file__).resolve().parents[2] / "gankit"


class Touch:
    """Unpickling this calls ``Path.touch(marker)``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


@pytest.fixture(params=["torch.save", "pickle"])
def craft(request, tmp_path):
    """``craft(path)`` writes a crafted file at ``path`` (a ``torch.save`` zip, or a plain
    pickle stream) shaped like a state dict; ``craft.marker`` must never appear."""
    marker = tmp_path / "MARKER"

    def write(path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"format": "gankit-checkpoint", "fc.weight": torch.zeros(1),
                   "conv1.weight": Touch(marker)}
        if request.param == "torch.save":
            torch.save(payload, path)
        else:
            with open(path, "wb") as handle:
                pickle.dump(payload, handle, protocol=2)  # torch.load's own protocol
        return path

    write.marker = marker
    write.kind = request.param
    return write


def refused(call, path: Path, craft) -> str:
    """Run ``call``; it must raise one GankitError line naming ``path`` and touch nothing."""
    with pytest.raises(GankitError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message and str(path) in message, message
    assert not craft.marker.exists()
    return message


def cli_refused(argv: list[str], path: Path, craft, capsys) -> str:
    assert main([str(arg) for arg in argv]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gankit: error:") and str(path) in lines[0], err
    assert not craft.marker.exists()
    return lines[0]


def test_the_crafted_file_really_runs_code_when_loaded_unsafely(craft, tmp_path):
    path = craft(tmp_path / "evil.pt")
    if craft.kind == "torch.save":
        torch.load(path, weights_only=False)
    else:
        with open(path, "rb") as handle:
            pickle.load(handle)
    assert craft.marker.exists()


# ---------------------------------------------------------------- checkpoints

def test_a_crafted_checkpoint_is_refused_by_every_opener(craft, tmp_path, capsys):
    from gankit.runs import TrainedRun, load_checkpoint

    path = craft(tmp_path / "evil.pt")
    message = refused(lambda: TrainedRun.open(path), path, craft)
    assert "could run code when loaded; refused" in message and "weights_only" not in message
    refused(lambda: load_checkpoint(path), path, craft)
    run_dir = tmp_path / "run"
    craft(run_dir / "checkpoints" / "step-0000001.pt")
    (run_dir / "checkpoints" / "latest").write_text("step-0000001.pt\n")
    refused(lambda: TrainedRun.open(run_dir), run_dir / "checkpoints" / "step-0000001.pt",
            craft)
    out = tmp_path / "out"
    for argv in (["sample", path, "--out", out / "s.png", "--device", "cpu"],
                 ["evaluate", path, "--n", "4", "--device", "cpu"],
                 ["translate", path, "--input", tmp_path, "--out", out],
                 ["export", path, "--out", tmp_path / "G.safetensors"],
                 ["train", "--resume", path]):
        cli_refused(argv, path, craft, capsys)
    assert not out.exists() and not (tmp_path / "G.safetensors").exists()


# ---------------------------------------------------------------- pretrained weights

def test_crafted_inception_weights_are_refused(craft, tmp_path, monkeypatch):
    from gankit.metrics.extractors import ExtractorOptions, build_inception
    from gankit.metrics.inception import InceptionFeatures

    path = craft(tmp_path / "pt_inception-2015-12-05-6726825d.pth")
    message = refused(lambda: InceptionFeatures(path), path, craft)
    assert "could run code when loaded; refused" in message
    options = ExtractorOptions(torch.device("cpu"), inception_weights=path)
    refused(lambda: build_inception(options), path, craft)
    monkeypatch.setenv("GANKIT_INCEPTION_WEIGHTS", str(path))  # found, not given
    refused(lambda: build_inception(ExtractorOptions(torch.device("cpu"))), path, craft)


def test_crafted_inception_weights_through_gankit_evaluate(craft, tiny_run, tmp_path, capsys):
    path = craft(tmp_path / "inception.pth")
    cli_refused(["evaluate", tiny_run("default"), "--metrics", "fid", "--n", "4",
                 "--inception-weights", path, "--device", "cpu", "--json"], path, craft, capsys)


def test_crafted_resnet18_weights_in_the_hub_cache_are_refused(craft, tmp_path, monkeypatch,
                                                              capsys):
    from gankit.models import DataSpec
    from gankit.models.encoder_decoder import RESNET18_FILE, build_encoder_decoder

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    path = craft(tmp_path / "hub" / "checkpoints" / RESNET18_FILE)
    spec = DataSpec(resolution=32, source_channels=1, num_classes=3)
    message = refused(lambda: build_encoder_decoder(spec, width=8), path, craft)
    assert message.endswith("delete it or set pretrained=false")
    cli_refused(["train", "sketch2image", "--steps", "1", "--out", tmp_path / "run",
                 "--set", "data.resolution=32", "--set", "data.size=8",
                 "--set", "train.device=cpu"], path, craft, capsys)
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------- safetensors files

def test_a_crafted_evaluator_file_is_refused(craft, tiny_run, tmp_path, capsys):
    from gankit.metrics.evaluator import Evaluator

    path = craft(tmp_path / "evaluator.safetensors")
    refused(lambda: Evaluator.load(path), path, craft)
    cli_refused(["evaluator", "test", path, "--data", "shapes", "--size", "8",
                 "--device", "cpu"], path, craft, capsys)
    cli_refused(["sample", tiny_run("cdcgan"), "--n", "4", "--best", "2", "--rank-by",
                 "evaluator", "--evaluator", path, "--out", tmp_path / "s.png",
                 "--device", "cpu"], path, craft, capsys)


def test_a_crafted_export_is_refused(craft, tiny_run, tmp_path, capsys):
    from gankit.runs import TrainedRun
    from gankit.runs.export import export_generator

    export_generator(tiny_run("default"), tmp_path / "G.safetensors")
    path = craft(tmp_path / "G.safetensors")  # beside a real sidecar
    refused(lambda: TrainedRun.open(path), path, craft)
    cli_refused(["sample", path, "--out", tmp_path / "s.png", "--device", "cpu"], path, craft,
                capsys)
    cli_refused(["export", path, "--out", tmp_path / "H.onnx"], path, craft, capsys)


def test_a_crafted_data_cache_entry_is_rebuilt(craft, tmp_path):
    from gankit.data.paths import load_path
    from gankit.data.registry import DataRequest

    for index in range(3):
        folder = tmp_path / "data" / f"class{index % 2}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (9, 11), (index * 60, 10, 90)).save(folder / f"{index}.png")
    request = DataRequest(name=str(tmp_path / "data"), resolution=8,
                          cache_dir=str(tmp_path / "cache"))
    good = load_path(request)
    entry = Path(good.meta["cache_file"])
    craft(entry)
    with pytest.warns(UserWarning, match="ignoring unreadable data cache"):
        rebuilt = load_path(request)
    assert rebuilt.meta["cache"] == "miss" and torch.equal(rebuilt.images, good.images)
    assert not craft.marker.exists()


def test_a_crafted_feature_cache_entry_is_a_miss(craft, tmp_path):
    from gankit.metrics.cache import cache_file, load_feature_set

    path, meta = cache_file(tmp_path, "shapes-train-16", "inception:0123")
    craft(path)
    assert load_feature_set(path, meta, ("2048",)) is None
    assert not craft.marker.exists()


# ---------------------------------------------------------------- configs

def test_a_config_that_would_run_code_is_refused(tmp_path, capsys):
    import yaml

    marker = tmp_path / "MARKER"
    path = tmp_path / "evil.yaml"
    path.write_text(f"train: !!python/object/apply:os.mkdir [{str(marker)!r}]\n")
    yaml.unsafe_load(path.read_text())  # proof: unrestricted YAML would run it
    assert marker.is_dir()
    marker.rmdir()
    assert main(["train", str(path), "--out", str(tmp_path / "run")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gankit: error:") and "evil.yaml" in lines[0]
    assert not marker.exists() and not (tmp_path / "run").exists()


# ---------------------------------------------------------------- no unsafe reader anywhere

def test_no_module_reads_a_file_with_an_unrestricted_unpickler():
    """Every ``torch.load`` passes ``weights_only=True``; nothing calls ``pickle.load``,
    ``np.load(allow_pickle=True)`` or a YAML loader other than ``safe_load``."""
    unsafe = re.compile(r"pickle\.loads?\(|allow_pickle\s*=\s*True|yaml\.(unsafe_|full_)?load\("
                        r"|torch\.jit\.load\(|shelve\.|marshal\.loads?\(")
    problems = []
    for path in sorted(ROOT.rglob("*.py")):
        text = path.read_text()
        for call in re.finditer(r"torch\.load\(", text):
            end = text.find(")", call.end())
            if "weights_only=True" not in text[call.end():end]:
                problems.append(f"{path.relative_to(ROOT)}: torch.load without weights_only=True")
        problems += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in unsafe.finditer(text)]
    assert problems == []
    assert os.path.isdir(ROOT / "runs")  # the scan looked at the package
