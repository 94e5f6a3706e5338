"""gankit export (safetensors): the pair it writes, opening it as a TrainedRun, samples
equal to the run's bit for bit, and every bad input one GankitError with nothing written."""

import json
import os
import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file

import gankit.runs.export as export_module
from gankit.errors import GankitError
from gankit.runs import TrainedRun, load_checkpoint
from gankit.runs.export import export_generator
from gankit.runs.exported import FORMAT, file_sha256


@pytest.fixture(scope="module")
def runs(tiny_run):
    """Run folders by kind: unconditional, class-, multi-label, image-to-image, CycleGAN."""
    return {"unconditional": tiny_run("default"), "class": tiny_run("cdcgan"),
            "multi-label": tiny_run("iclevr-32"), "image-to-image": tiny_run("pix2pix"),
            "cycle": tiny_run("cyclegan")}


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def inputs_of(run, n, seed=0):
    """Conditions and uint8 sources the run's model takes, for ``n`` samples."""
    cond = run.default_conditions(n, seed)
    source = None
    if run.translation:
        shape = (n, run.spec.source_channels, run.spec.resolution, run.spec.resolution)
        source = torch.randint(0, 256, shape, dtype=torch.uint8,
                               generator=torch.Generator().manual_seed(seed))
    return cond, source


@pytest.mark.parametrize("kind", ["unconditional", "class", "multi-label", "image-to-image",
                                  "cycle"])
def test_samples_from_the_export_equal_the_runs_bit_for_bit(runs, kind, tmp_path):
    result = export_generator(runs[kind], tmp_path / "G.safetensors")
    assert listing(tmp_path) == ["G.json", "G.safetensors"]
    original, exported = TrainedRun.open(runs[kind]), TrainedRun.open(result.file)
    cond, source = inputs_of(original, 10)
    for seed in (0, 7):
        assert torch.equal(original.sample(10, cond, source, seed=seed),
                           exported.sample(10, cond, source, seed=seed, batch_size=4))
    assert exported.class_names == original.class_names and exported.spec == original.spec
    assert exported.config == original.config and exported.step == original.step == 2


def test_the_sidecar_describes_the_model_and_its_source(runs, tmp_path):
    run = TrainedRun.open(runs["class"])
    result = export_generator(runs["class"], tmp_path / "G.safetensors")
    sidecar = json.loads((tmp_path / "G.json").read_text())
    assert sidecar["format"] == FORMAT and sidecar["format_version"] == 1
    assert sidecar["gankit_version"] and sidecar["z_dim"] == run.generator.z_dim == 100
    assert sidecar["source"] == {"checkpoint": str(run.checkpoint.resolve()), "step": 2,
                                 "preset": "cdcgan"}
    assert sidecar["class_names"] == run.class_names and len(run.class_names) == 24
    assert sidecar["data_spec"] == {"kind": "image", "channels": 3, "resolution": 32,
                                    "num_classes": 24, "multi_label": False,
                                    "source_channels": 0}
    assert sidecar["config"]["model"]["generator"] == "dcgan"
    entry = sidecar["exports"]["safetensors"]
    assert entry["file"] == "G.safetensors" and entry["weights"] == "ema"
    assert entry["sha256"] == file_sha256(result.file)
    # plain safetensors: the EMA generator's tensors, readable without gankit
    ema = load_checkpoint(runs["class"])["ema"]
    tensors = load_file(str(result.file))
    assert tensors.keys() == ema.keys() and all(torch.equal(tensors[k], ema[k]) for k in ema)


def test_an_exported_generator_has_no_discriminator_and_cannot_resume(runs, tmp_path):
    export_generator(runs["class"], tmp_path / "G.safetensors")
    run = TrainedRun.open(tmp_path / "G.safetensors")
    assert run.exported and run.run_dir is None and run.ema_weights
    assert run.checkpoint == tmp_path / "G.safetensors"
    assert set(run.parameter_counts()) == {"generator"}
    with pytest.raises(GankitError, match="G.safetensors is an exported generator and holds "
                                          "no discriminator"):
        run.discriminator()
    with pytest.raises(GankitError, match="not a training checkpoint; resuming needs"):
        load_checkpoint(tmp_path / "G.safetensors")
    # the sidecar carries the data settings, so evaluation finds the real images
    assert torch.equal(run.real_data().images, TrainedRun.open(runs["class"]).real_data().images)


def test_the_raw_generator_is_exported_on_request(runs, tmp_path):
    export_generator(runs["class"], tmp_path / "raw.safetensors", use_ema=False)
    assert json.loads((tmp_path / "raw.json").read_text())["exports"]["safetensors"][
        "weights"] == "raw"
    raw, exported = TrainedRun.open(runs["class"], use_ema=False), TrainedRun.open(
        tmp_path / "raw.safetensors", use_ema=False)
    cond = raw.default_conditions(6)
    assert not exported.ema_weights
    assert torch.equal(raw.sample(6, cond), exported.sample(6, cond))
    assert torch.equal(exported.sample(6, cond), TrainedRun.open(tmp_path / "raw.safetensors")
                       .sample(6, cond))  # the only weights it has
    export_generator(runs["class"], tmp_path / "ema.safetensors")
    with pytest.raises(GankitError, match="holds the EMA generator only; drop --no-ema"):
        TrainedRun.open(tmp_path / "ema.safetensors", use_ema=False)


def test_an_export_can_be_exported_again(runs, tmp_path):
    export_generator(runs["class"], tmp_path / "G.safetensors")
    again = export_generator(tmp_path / "G.safetensors", tmp_path / "H.safetensors")
    first = json.loads((tmp_path / "G.json").read_text())
    assert again.description["source"] == first["source"]
    assert file_sha256(tmp_path / "G.safetensors") == file_sha256(tmp_path / "H.safetensors")


# ---------------------------------------------------------------- a pair that does not fit

def test_a_missing_sidecar_is_one_line_naming_the_file_and_the_fix(runs, tmp_path):
    export_generator(runs["class"], tmp_path / "G.safetensors")
    (tmp_path / "G.json").unlink()
    with pytest.raises(GankitError) as caught:
        TrainedRun.open(tmp_path / "G.safetensors")
    message = str(caught.value)
    assert "\n" not in message and "G.safetensors has no sidecar G.json" in message
    assert "export again" in message


def test_a_sidecar_of_other_weights_is_refused(runs, tmp_path):
    export_generator(runs["class"], tmp_path / "G.safetensors")
    export_generator(runs["multi-label"], tmp_path / "other.safetensors")
    shutil.copy(tmp_path / "other.json", tmp_path / "G.json")
    with pytest.raises(GankitError, match="G.json was written for other weights than "
                                          "G.safetensors .*export again"):
        TrainedRun.open(tmp_path / "G.safetensors")
    (tmp_path / "G.json").write_text("{not json")
    with pytest.raises(GankitError, match="G.json is not a readable export sidecar"):
        TrainedRun.open(tmp_path / "G.safetensors")
    (tmp_path / "G.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(GankitError, match="G.json is not a gankit export sidecar"):
        TrainedRun.open(tmp_path / "G.safetensors")


def test_a_renamed_pair_still_opens(runs, tmp_path):
    export_generator(runs["class"], tmp_path / "G.safetensors")
    os.rename(tmp_path / "G.safetensors", tmp_path / "mine.safetensors")
    os.rename(tmp_path / "G.json", tmp_path / "mine.json")
    assert TrainedRun.open(tmp_path / "mine.safetensors").conditional


def test_safetensors_not_written_by_export_are_refused(tmp_path):
    save_file({"w": torch.zeros(2)}, str(tmp_path / "weights.safetensors"))
    with pytest.raises(GankitError, match="not a generator written by `gankit export`"):
        TrainedRun.open(tmp_path / "weights.safetensors")
    (tmp_path / "text.safetensors").write_text("hello")
    with pytest.raises(GankitError, match="text.safetensors is not a safetensors file"):
        TrainedRun.open(tmp_path / "text.safetensors")
    with pytest.raises(GankitError, match="nowhere.safetensors does not exist"):
        TrainedRun.open(tmp_path / "nowhere.safetensors")


# ---------------------------------------------------------------- bad input, nothing written

@pytest.mark.parametrize("out, options, fragment", [
    ("G.onnx", {"format": "tflite"}, "unknown export format 'tflite'"),
    ("G.onnx", {"format": "safetensors"}, "--format safetensors writes a .safetensors file"),
    ("G.pt", {}, "must end in .safetensors"),
    ("missing/G.safetensors", {}, "the folder"),
    (".", {}, "is a folder"),
    ("G.safetensors", {"direction": "sideways"}, "unknown direction 'sideways'"),
    ("G.safetensors", {"direction": "BtoA"}, "applies to image-to-image (CycleGAN) runs only"),
])
def test_bad_requests_are_one_line_and_write_nothing(runs, tmp_path, out, options, fragment):
    with pytest.raises(GankitError) as caught:
        export_generator(runs["class"], tmp_path / out, **options)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)
    assert listing(tmp_path) == []


def test_an_unwritable_folder_is_one_line(runs):
    with pytest.raises(GankitError, match="/proc"):
        export_generator(runs["class"], "/proc/G.safetensors")


def test_a_failure_between_the_two_renames_leaves_neither_file(runs, tmp_path, monkeypatch):
    replace = os.replace
    calls = []

    def second_rename_fails(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        replace(src, dst)

    monkeypatch.setattr(export_module.os, "replace", second_rename_fails)
    with pytest.raises(GankitError, match="cannot write .*G.safetensors .No space left"):
        export_generator(runs["class"], tmp_path / "G.safetensors")
    assert listing(tmp_path) == []


def test_a_run_that_is_not_a_generator_run_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(GankitError, match="no checkpoint in"):
        export_generator(tmp_path / "empty", tmp_path / "G.safetensors")
    save_file({"w": torch.zeros(2)}, str(tmp_path / "evaluator.safetensors"),
              metadata={"gankit": "{}"})
    with pytest.raises(GankitError, match="not a generator written by `gankit export`"):
        export_generator(tmp_path / "evaluator.safetensors", tmp_path / "G.safetensors")
    assert listing(tmp_path) == ["empty", "evaluator.safetensors"]
