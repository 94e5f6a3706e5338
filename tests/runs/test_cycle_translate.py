"""A CycleGAN run: `gankit translate` either way, `gankit evaluate` per direction, the
sample grid, and the errors of one-way models and unpaired data."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.cli.main import main
from gankit.config import load_config
from gankit.data.shapes import render_shapes
from gankit.metrics.registry import higher_is_better
from gankit.runs import load_checkpoint
from gankit.runs.evaluation import EvaluationRequest, evaluate_cycle
from gankit.runs.translate import load_translator
from gankit.training import train

TINY = ["data.resolution=32", "data.size=8", "model.g_width=8", "model.d_width=8",
        "train.steps=2", "train.epochs=0", "train.grid_size=4", "train.progress=false",
        "train.tensorboard=false", "train.batch_size=4", "train.device=cpu"]
CYCLE = ["model.options={blocks: 1, n_layers: 2}"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("cycle-runs")
    cycle = train(load_config("cyclegan", TINY + CYCLE), out=root / "cycle")
    pix2pix = train(load_config("pix2pix", TINY), out=root / "p2p")
    return {"cycle": cycle.run_dir, "pix2pix": pix2pix.run_dir}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Held-out outlines (domain A) and filled scenes (domain B) as files, and the same
    as a CycleGAN-layout data folder."""
    root = tmp_path_factory.mktemp("domains")
    scenes = render_shapes(6, 32, seed=4, split="test")
    for split, part in (("train", slice(0, 3)), ("test", slice(3, 6))):
        for domain, tensors in (("A", scenes.sketches), ("B", scenes.images)):
            folder = root / "data" / f"{split}{domain}"
            folder.mkdir(parents=True)
            for i, image in enumerate(tensors[part]):
                array = image.permute(1, 2, 0).numpy()
                Image.fromarray(array[..., 0] if array.shape[2] == 1 else array).save(
                    folder / f"{domain.lower()}{i}.png")
    return {"A": root / "data" / "testA", "B": root / "data" / "testB", "data": root / "data"}


def read(path):
    return torch.from_numpy(np.array(Image.open(path)))


def one_line_error(capsys, fragment):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: error:") and fragment in err[0], err


def test_cycle_run_saves_both_networks_and_a_grid(runs):
    state = load_checkpoint(runs["cycle"])
    assert any(k.startswith("a_to_b.") for k in state["generator"])
    assert any(k.startswith("b_to_a.") for k in state["generator"])
    assert any(k.startswith("d_a.") for k in state["discriminator"])
    assert state["data_spec"]["source_channels"] == 3  # outlines as RGB (identity loss)
    # outline | its A → B output | a (non-matching) domain-B image | its B → A output,
    # 4 items in one row
    grid = read(runs["cycle"] / "samples" / "step-0000002.png")
    assert grid.shape == (2 + 34, 2 + 16 * 34, 3)


@pytest.mark.parametrize("direction, domain, channels", [("AtoB", "A", 3), ("BtoA", "B", 3)])
def test_translate_either_direction(runs, folders, tmp_path, direction, domain, channels):
    out = tmp_path / "out"
    assert main(["translate", str(runs["cycle"]), "--input", str(folders[domain]), "--out",
                 str(out), "--direction", direction, "--device", "cpu"]) == 0
    names = sorted(p.name for p in folders[domain].iterdir())
    assert sorted(p.name for p in out.iterdir()) == sorted(names + ["grid.png"])
    translator = load_translator(runs["cycle"], direction=direction)
    inputs = torch.stack([read(folders[domain] / n) for n in names])
    inputs = (inputs[:, None].expand(-1, 3, -1, -1) if inputs.dim() == 3
              else inputs.permute(0, 3, 1, 2))
    expected = translator.translate(inputs)
    written = torch.stack([read(out / n).permute(2, 0, 1) for n in names])
    assert written.shape[1] == channels and torch.equal(written, expected)


def test_the_two_directions_are_different_networks(runs):
    forward = load_translator(runs["cycle"])
    backward = load_translator(runs["cycle"], direction="BtoA")
    assert forward.generator is not backward.generator
    assert (forward.spec.source_channels, forward.spec.channels) == (3, 3)


def test_backward_translation_of_a_one_way_model_is_one_line_error(runs, folders, tmp_path,
                                                                    capsys):
    assert main(["translate", str(runs["pix2pix"]), "--input", str(folders["A"]), "--out",
                 str(tmp_path / "o"), "--direction", "BtoA", "--device", "cpu"]) == 2
    one_line_error(capsys, "needs a CycleGAN run")
    assert not (tmp_path / "o").exists()


def test_evaluate_reports_each_direction_against_ground_truth(runs, random_inception, capsys):
    assert main(["evaluate", str(runs["cycle"]), "--metrics", "l1,ssim,fid,kid", "--json",
                 "--inception-weights", str(random_inception), "--device", "cpu"]) == 0
    record = json.loads(capsys.readouterr().out)
    for prefix in ("", "BtoA/"):  # A → B under the plain keys, B → A under BtoA/
        for key in ("l1", "psnr", "ssim", "fid", "kid_mean"):
            assert isinstance(record[prefix + key], float), prefix + key
        assert 0 < record[prefix + "l1"] < 1 and record[prefix + "n"] == 8
    assert record["fid"] != record["BtoA/fid"]
    assert not higher_is_better("BtoA/fid") and higher_is_better("BtoA/ssim")
    logged = json.loads((runs["cycle"] / "metrics.jsonl").read_text().splitlines()[-1])
    assert logged["kind"] == "evaluate" and logged["BtoA/l1"] == record["BtoA/l1"]


def test_evaluate_table_has_one_block_per_direction(runs, capsys):
    assert main(["evaluate", str(runs["cycle"]), "--metrics", "l1,psnr", "--device",
                 "cpu"]) == 0
    out = capsys.readouterr().out
    assert "A → B" in out and "B → A" in out and "BtoA/" in out
    forward, backward = out.split("B → A")
    assert "l1" in forward and "psnr" in backward


def test_evaluate_on_unpaired_domains_has_no_ground_truth(runs, folders, random_inception,
                                                          capsys):
    assert main(["evaluate", str(runs["cycle"]), "--data", str(folders["data"]), "--json",
                 "--metrics", "fid", "--inception-weights", str(random_inception),
                 "--device", "cpu"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert isinstance(record["fid"], float) and isinstance(record["BtoA/fid"], float)
    assert "l1" not in record and record["n"] == 3
    assert main(["evaluate", str(runs["cycle"]), "--data", str(folders["data"]),
                 "--metrics", "l1", "--device", "cpu"]) == 2
    one_line_error(capsys, "holds unpaired domains")
    # a one-way model is never compared with unpaired "targets"
    assert main(["evaluate", str(runs["pix2pix"]), "--data", str(folders["data"]),
                 "--metrics", "l1", "--device", "cpu"]) == 2
    one_line_error(capsys, "not pairs")


def test_evaluate_cycle_rejects_label_metrics(runs):
    from gankit.errors import GankitError
    from gankit.runs import TrainedRun

    run = TrainedRun.open(runs["cycle"])
    with pytest.raises(GankitError, match="labelled model"):
        evaluate_cycle(run.generator, run.spec, run.real_data(split="test"),
                       EvaluationRequest(("acc",)))


def test_preset_keeps_the_papers_settings():
    cfg = load_config("cyclegan")
    assert (cfg.model.generator, cfg.model.discriminator) == ("cyclegan", "cyclegan")
    assert (cfg.model.g_norm, cfg.model.d_norm, cfg.model.z_dim) == ("instance", "instance", 0)
    assert cfg.model.options == {"n_layers": 3}  # 70×70 patches; blocks follow the size
    loss = cfg.loss
    assert (loss.objective, loss.name, loss.cycle_weight, loss.identity_weight,
            loss.history) == ("cycle", "lsgan", 10.0, 0.5, 50)
    assert (cfg.optim.name, cfg.optim.lr_g, cfg.optim.lr_d) == ("adam", 2e-4, 2e-4)
    assert cfg.optim.betas == [0.5, 0.999] and cfg.train.batch_size == 1
    assert (cfg.schedule.shape, cfg.schedule.begin, cfg.schedule.lr_end) == ("linear", 0.5, 0.0)
    assert cfg.data.unpaired and not cfg.data.paired and cfg.data.name == "shapes"
