"""`gankit export` through the real CLI, and the exported file used by `gankit sample` and
`gankit translate` exactly like the run it came from."""

import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

from gankit.cli.main import main


@pytest.fixture(scope="module")
def class_run(tiny_run):
    return tiny_run("cdcgan")


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gankit: error:"), err
    assert "Traceback" not in err
    return lines[0]


def test_export_then_sample_gives_the_runs_images(class_run, tmp_path, capsys):
    out = tmp_path / "G.safetensors"
    assert main(["export", str(class_run), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed == [f"gankit: wrote {out} and G.json (ema generator, step 2)"]
    for source, name in ((class_run, "run.png"), (out, "exported.png")):
        assert main(["sample", str(source), "--n", "8", "--class", "red cube", "--seed", "3",
                     "--out", str(tmp_path / name), "--device", "cpu"]) == 0
    assert (tmp_path / "run.png").read_bytes() == (tmp_path / "exported.png").read_bytes()


def test_export_onnx_prints_its_inputs(class_run, tmp_path, capsys):
    pytest.importorskip("onnxscript")
    out = tmp_path / "G.onnx"
    assert main(["export", str(class_run), "--format", "onnx", "--out", str(out), "--raw"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == (f"gankit: wrote {out} and G.json (raw generator, step 2; "
                                    "inputs z [batch, 100], cond [batch, 24])")
    assert captured.err == ""  # the exporter's own chatter is kept out


def test_translate_from_an_exported_cyclegan_both_ways(tiny_run, tmp_path, capsys):
    run = tiny_run("cyclegan")
    sketches = tmp_path / "in"
    sketches.mkdir()
    for index in range(3):
        Image.new("RGB", (32, 32), (index * 80, 40, 200)).save(sketches / f"{index}.png")
    assert main(["export", str(run), "--out", str(tmp_path / "G.safetensors")]) == 0
    for direction in ("AtoB", "BtoA"):
        outputs = {}
        for source in (run, tmp_path / "G.safetensors"):
            folder = tmp_path / f"{direction}-{source.name}"
            assert main(["translate", str(source), "--input", str(sketches), "--out",
                         str(folder), "--direction", direction, "--device", "cpu"]) == 0
            outputs[source] = [(folder / f"{i}.png").read_bytes() for i in range(3)]
        assert outputs[run] == outputs[tmp_path / "G.safetensors"]


def run_case(argv, tmp_path, capsys):
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(argv) == 2
    line = one_error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing half-written
    return line


@pytest.mark.parametrize("name, argv, culprit", [
    ("no such run", ["export", "{tmp}/nowhere", "--out", "{tmp}/G.safetensors"], "nowhere"),
    ("out folder missing", ["export", "{run}", "--out", "{tmp}/no/G.safetensors"], "{tmp}/no"),
    ("out not writable", ["export", "{run}", "--out", "/proc/G.safetensors"], "/proc"),
    ("onnx out not writable", ["export", "{run}", "--out", "/proc/G.onnx"], "cannot write"),
    ("out is a folder", ["export", "{run}", "--out", "{tmp}"], "is a folder"),
    ("unknown format", ["export", "{run}", "--format", "tflite", "--out", "{tmp}/G.onnx"],
     "tflite"),
    ("format and suffix disagree", ["export", "{run}", "--format", "onnx", "--out",
                                    "{tmp}/G.safetensors"], "G.onnx"),
    ("not a generator run", ["export", "{tmp}/other.safetensors", "--out", "{tmp}/G.onnx"],
     "other.safetensors is not a generator written by `gankit export`"),
    ("direction of a noise model", ["export", "{run}", "--out", "{tmp}/G.onnx", "--direction",
                                    "BtoA"], "--direction"),
])
def test_bad_exports_are_one_line_exit_2_and_write_nothing(class_run, tmp_path, capsys, name,
                                                          argv, culprit):
    save_file({"w": torch.zeros(1)}, str(tmp_path / "other.safetensors"))
    fill = {"{tmp}": str(tmp_path), "{run}": str(class_run)}
    argv = [arg.replace("{tmp}", fill["{tmp}"]).replace("{run}", fill["{run}"])
            for arg in argv]
    assert culprit.replace("{tmp}", str(tmp_path)) in run_case(argv, tmp_path, capsys)


def test_sampling_an_export_without_its_sidecar_or_discriminator_is_one_line(
        class_run, tmp_path, capsys):
    out = tmp_path / "G.safetensors"
    assert main(["export", str(class_run), "--out", str(out)]) == 0
    capsys.readouterr()
    line = run_case(["sample", str(out), "--out", str(tmp_path / "s.png"), "--best", "2",
                     "--device", "cpu"], tmp_path, capsys)
    assert "G.safetensors is an exported generator and holds no discriminator" in line
    line = run_case(["sample", str(out), "--out", str(tmp_path / "s.png"), "--no-ema",
                     "--device", "cpu"], tmp_path, capsys)
    assert "holds the EMA generator only" in line
    (tmp_path / "G.json").unlink()
    line = run_case(["sample", str(out), "--out", str(tmp_path / "s.png"), "--device", "cpu"],
                    tmp_path, capsys)
    assert line.endswith("G.safetensors has no sidecar G.json beside it; keep the .json that "
                         "`gankit export` wrote beside it, or export again")
    line = run_case(["train", "--resume", str(out)], tmp_path, capsys)
    assert "not a training checkpoint" in line
