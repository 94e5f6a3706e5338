"""gankit export --format onnx: the graph runs in onnxruntime and matches PyTorch within
1e-4 at any batch size, for trained runs of every kind and for every generator
architecture gankit ships."""

import json
import sys
from dataclasses import replace

import pytest
import torch

from gankit.config import load_config
from gankit.errors import GankitError
from gankit.models import DataSpec, build_generator
from gankit.models.registry import GENERATORS
from gankit.runs import TrainedRun
from gankit.runs.export import export_generator
from gankit.runs.export_onnx import example_inputs, export_onnx
from gankit.runs.exported import file_sha256
from gankit.runs.translate import one_way

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

TOLERANCE = 1e-4
BATCHES = (1, 5)  # neither is the batch of 2 the graph was traced with


def max_difference(G, spec, path, n, seed=1):
    """Largest |ONNX - PyTorch| over ``n`` seeded samples."""
    inputs = example_inputs(G, spec, n, seed)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {name: t.numpy() for name, t in inputs.items()})
    with torch.no_grad():
        expected = G.eval()(inputs.get("z"), inputs.get("cond"), inputs.get("source"))
    assert got.shape == tuple(expected.shape)
    return float((torch.from_numpy(got) - expected).abs().max())


@pytest.fixture(scope="module")
def runs(tiny_run):
    return {"unconditional": tiny_run("default"), "class": tiny_run("cdcgan"),
            "multi-label": tiny_run("iclevr-32"), "image-to-image": tiny_run("pix2pix"),
            "cycle": tiny_run("cyclegan")}


@pytest.mark.parametrize("kind, inputs", [
    ("unconditional", ["z"]), ("class", ["z", "cond"]), ("multi-label", ["z", "cond"]),
    ("image-to-image", ["source"])])
def test_trained_runs_match_pytorch_at_two_batch_sizes(runs, kind, inputs, tmp_path):
    result = export_generator(runs[kind], tmp_path / "G.onnx")
    run = TrainedRun.open(runs[kind])
    for n in BATCHES:
        assert max_difference(run.generator, run.spec, result.file, n) < TOLERANCE
    graph = onnx.load(str(result.file))
    assert [i.name for i in graph.graph.input] == inputs
    assert [o.name for o in graph.graph.output] == ["images"]
    # the batch axis is free and named in the graph and in the sidecar alike
    entry = json.loads((tmp_path / "G.json").read_text())["exports"]["onnx"]
    for declared, actual in zip(entry["inputs"], graph.graph.input):
        dims = [d.dim_param or d.dim_value for d in actual.type.tensor_type.shape.dim]
        assert declared["name"] == actual.name and declared["shape"] == dims
        assert dims[0] == "batch"
    assert entry["outputs"][0]["range"] == [-1, 1]
    assert entry["weights"] == ("ema" if run.ema_weights else "raw")  # pix2pix keeps no EMA
    assert entry["sha256"] == file_sha256(result.file) and entry["opset"] == 18


@pytest.mark.parametrize("direction", ["AtoB", "BtoA"])
def test_either_cyclegan_direction_exports(runs, direction, tmp_path):
    result = export_generator(runs["cycle"], tmp_path / "G.onnx", direction=direction)
    run = TrainedRun.open(runs["cycle"])
    G, spec = one_way(run.generator, run.spec, direction)
    for n in BATCHES:
        assert max_difference(G, spec, result.file, n) < TOLERANCE
    assert result.description["exports"]["onnx"]["direction"] == direction


def test_both_formats_share_one_sidecar(runs, tmp_path):
    export_generator(runs["class"], tmp_path / "G.safetensors")
    export_generator(runs["class"], tmp_path / "G.onnx", use_ema=False)
    exports = json.loads((tmp_path / "G.json").read_text())["exports"]
    assert exports["safetensors"]["weights"] == "ema" and exports["onnx"]["weights"] == "raw"
    assert TrainedRun.open(tmp_path / "G.safetensors").conditional  # still its sidecar
    # another model's export under the same stem replaces the sidecar's description
    export_generator(runs["unconditional"], tmp_path / "G.onnx")
    assert list(json.loads((tmp_path / "G.json").read_text())["exports"]) == ["onnx"]
    with pytest.raises(GankitError, match="describes no .safetensors export"):
        TrainedRun.open(tmp_path / "G.safetensors")


# ---------------------------------------------------------------- every architecture

SPECS = {
    "image": DataSpec(resolution=32),
    "class": DataSpec(resolution=32, num_classes=5),
    "multi": DataSpec(resolution=32, num_classes=5, multi_label=True),
    "points": DataSpec(kind="points", channels=2, resolution=0),
    "sketch": DataSpec(resolution=32, source_channels=1, num_classes=5),
    "paired": DataSpec(resolution=32, source_channels=1),
    "unpaired": DataSpec(resolution=32, source_channels=3),
}

#: (architecture, model settings, data) — every registered generator, and each way a
#: condition enters one
ARCHITECTURES = [
    ("mlp", {}, "points"),
    ("mlp", {"g_cond": "onehot"}, "class"),
    ("dcgan", {}, "image"),
    ("dcgan", {"g_cond": "embedding"}, "multi"),
    ("dcgan", {"g_cond": "cbn"}, "class"),
    ("dcgan", {"g_cond": "slots"}, "multi"),
    ("resnet", {"g_cond": "cbn"}, "class"),
    ("biggan", {"options": {"attention": 16}}, "class"),
    ("r3gan", {"g_cond": "onehot", "g_norm": "none"}, "class"),
    ("unet", {}, "paired"),
    ("encoder-decoder", {"z_dim": 4, "options": {"pretrained": False}}, "sketch"),
    ("cyclegan", {"g_norm": "instance"}, "unpaired"),
]


def test_the_list_covers_every_registered_generator():
    assert {arch for arch, _, _ in ARCHITECTURES} == set(GENERATORS.names())


@pytest.mark.parametrize("arch, settings, data", ARCHITECTURES,
                         ids=[f"{a}-{d}-{s.get('g_cond', 'plain')}" for a, s, d in ARCHITECTURES])
def test_every_generator_architecture_exports(arch, settings, data, tmp_path):
    cfg = load_config("default").model
    cfg = replace(cfg, generator=arch, g_width=8, **{"z_dim": 16, **settings})
    spec = SPECS[data]
    torch.manual_seed(0)
    G = build_generator(cfg, spec).train()
    with torch.no_grad():  # move BatchNorm statistics off their initial 0 / 1
        G(*[example_inputs(G, spec, 8, seed=3).get(k) for k in ("z", "cond", "source")])
    # exported in eval mode (BatchNorm uses its running statistics), G itself left alone
    entry = export_onnx(G, spec, tmp_path / "G.onnx", arch)
    assert G.training
    for n in BATCHES:
        assert max_difference(G, spec, tmp_path / "G.onnx", n) < TOLERANCE
    assert entry["outputs"][0]["name"] == ("points" if data == "points" else "images")


# ---------------------------------------------------------------- what cannot be done

def test_missing_onnx_packages_are_one_line_with_the_install_command(runs, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # import fails
    with pytest.raises(GankitError) as caught:
        export_generator(runs["class"], tmp_path / "G.onnx")
    assert str(caught.value).endswith('pip install "gankit[onnx]"')
    assert "\n" not in str(caught.value) and list(tmp_path.iterdir()) == []


def test_a_network_the_exporter_cannot_express_is_one_clear_error(runs, tmp_path,
                                                                   monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("Unsupported operator aten::made_up\nmore detail")

    monkeypatch.setattr(torch.onnx, "export", refuse)
    with pytest.raises(GankitError) as caught:
        export_generator(runs["class"], tmp_path / "G.onnx")
    assert str(caught.value) == ("the dcgan generator cannot be exported to ONNX (RuntimeError: "
                                 "Unsupported operator aten::made_up); share it as "
                                 ".safetensors instead")
    assert list(tmp_path.iterdir()) == []


def test_an_onnx_file_is_not_opened_as_a_run(runs, tmp_path):
    export_generator(runs["class"], tmp_path / "G.onnx")
    with pytest.raises(GankitError, match="G.onnx is an ONNX export: run it with onnxruntime"):
        TrainedRun.open(tmp_path / "G.onnx")
