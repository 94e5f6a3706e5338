"""`gankit translate`: one output per sketch under its file name, a grid, labels rules."""

import csv

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from gankit.cli.main import main
from gankit.config import load_config
from gankit.data.base import to_uint8
from gankit.data.shapes import OBJECT_NAMES, render_shapes
from gankit.training import train
from gankit.runs.translate import load_translator

TINY = ["data.resolution=32", "data.size=16", "model.g_width=8", "model.d_width=8",
        "train.steps=2", "train.epochs=0", "train.grid_size=4", "train.progress=false",
        "train.tensorboard=false", "train.batch_size=4"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("translate-runs")
    labelled = train(load_config("pix2pix", TINY + ["data.labels=class"]), out=root / "lab")
    plain = train(load_config("pix2pix", TINY), out=root / "plain")
    noise = train(load_config("default", TINY + ["data.size=16", "model.z_dim=8"]),
                  out=root / "noise")
    return {"labelled": labelled.run_dir, "plain": plain.run_dir, "noise": noise.run_dir}


@pytest.fixture(scope="module")
def sketches(tmp_path_factory):
    """Held-out shapes sketches as files (one a 64 px JPEG) and their ISIC-style CSV."""
    folder = tmp_path_factory.mktemp("sketches")
    scenes = render_shapes(5, 32, seed=4, min_objects=1, max_objects=1, split="test")
    names = [f"ISIC_{i:07d}.png" for i in range(4)] + ["extra.jpg"]
    for name, sketch in zip(names[:4], scenes.sketches):
        Image.fromarray(sketch[0].numpy()).save(folder / name)
    big = F.interpolate(scenes.sketches[4:].float(), scale_factor=2, mode="nearest")
    Image.fromarray(big[0, 0].to(torch.uint8).numpy()).save(folder / names[4], quality=95)
    labels = scenes.single_label.tolist()
    write_csv(folder.parent / "labels.csv", names, labels, list(OBJECT_NAMES))
    return {"folder": folder, "names": names, "labels": labels,
            "csv": folder.parent / "labels.csv"}


def write_csv(path, names, labels, columns, skip=()):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", *columns])
        for name, label in zip(names, labels):
            if name not in skip:
                hot = [int(column == OBJECT_NAMES[label]) for column in columns]
                writer.writerow([name.rsplit(".", 1)[0], *hot])


def read(path):
    return torch.from_numpy(np.array(Image.open(path))).permute(2, 0, 1)


def translate(*argv):
    return main(["translate", *map(str, argv)])


def test_labelled_model_writes_one_image_per_sketch_and_a_grid(runs, sketches, tmp_path):
    out = tmp_path / "out"
    assert translate(runs["labelled"], "--input", sketches["folder"], "--labels",
                     sketches["csv"], "--out", out) == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(sketches["names"] + ["grid.png"])
    assert all(Image.open(out / name).size == (32, 32) for name in sketches["names"])
    assert Image.open(out / "grid.png").size == (2 + 8 * 34, 2 + 2 * 34)  # 5 pairs, 4 a row

    # the PNG outputs are exactly the generator's, each with its own sketch and label
    translator = load_translator(runs["labelled"])
    pngs = sorted(sketches["names"][:4])
    stack = torch.stack([torch.from_numpy(np.array(Image.open(sketches["folder"] / n)))[None]
                         for n in pngs])
    cond = F.one_hot(torch.tensor(sketches["labels"][:4]), len(OBJECT_NAMES)).float()
    expected = translator.translate(stack, cond)
    for name, image in zip(pngs, expected):
        assert torch.equal(read(out / name), image)

    grid = read(out / "grid.png")
    first_sketch = grid[:, 2:34, 2:34]
    assert torch.equal(first_sketch, stack[0].expand(3, -1, -1))
    assert torch.equal(grid[:, 2:34, 36:68], expected[0])


def test_csv_columns_match_by_name_and_class_flag_labels_all(runs, sketches, tmp_path):
    names, labels = sketches["names"], sketches["labels"]
    shuffled = list(reversed(OBJECT_NAMES))
    write_csv(tmp_path / "shuffled.csv", names, labels, shuffled)
    translate(runs["labelled"], "--input", sketches["folder"], "--labels", sketches["csv"],
              "--out", tmp_path / "a")
    translate(runs["labelled"], "--input", sketches["folder"], "--labels",
              tmp_path / "shuffled.csv", "--out", tmp_path / "b")
    name = names[0]
    assert torch.equal(read(tmp_path / "a" / name), read(tmp_path / "b" / name))

    own_class = OBJECT_NAMES[labels[0]]
    other_class = OBJECT_NAMES[(labels[0] + 1) % len(OBJECT_NAMES)]
    for folder, chosen in (("own", own_class), ("other", other_class)):
        assert translate(runs["labelled"], "--input", sketches["folder"], "--class", chosen,
                         "--out", tmp_path / folder) == 0
    assert torch.equal(read(tmp_path / "own" / name), read(tmp_path / "a" / name))
    assert not torch.equal(read(tmp_path / "other" / name), read(tmp_path / "a" / name))


def test_unlabelled_model_needs_no_labels(runs, sketches, tmp_path):
    assert translate(runs["plain"], "--input", sketches["folder"], "--out", tmp_path / "o",
                     "--grid", tmp_path / "pairs.png", "--grid-n", "2") == 0
    assert len(list((tmp_path / "o").iterdir())) == len(sketches["names"])
    assert Image.open(tmp_path / "pairs.png").size == (2 + 4 * 34, 2 + 34)


def one_line_error(capsys, fragment):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: error:"), err
    assert fragment in err[0], err[0]


@pytest.mark.parametrize("run, extra, fragment", [
    ("labelled", [], "--labels CSV"),
    ("labelled", ["--class", "pink cube"], "unknown class 'pink cube'"),
    ("plain", ["--class", "red cube"], "takes no class label"),
    ("noise", [], "gankit sample"),
])
def test_label_and_model_errors(runs, sketches, tmp_path, capsys, run, extra, fragment):
    assert translate(runs[run], "--input", sketches["folder"], "--out", tmp_path / "o",
                     *extra) == 2
    one_line_error(capsys, fragment)
    assert not (tmp_path / "o").exists()


def test_csv_problems_name_the_file(runs, sketches, tmp_path, capsys):
    names, labels = sketches["names"], sketches["labels"]
    write_csv(tmp_path / "missing.csv", names, labels, list(OBJECT_NAMES), skip={names[2]})
    assert translate(runs["labelled"], "--input", sketches["folder"], "--labels",
                     tmp_path / "missing.csv", "--out", tmp_path / "o") == 2
    one_line_error(capsys, f"sketch {sketches['folder'] / names[2]} has no row")

    write_csv(tmp_path / "isic.csv", names, [2] * 5, ["MEL", "NV"] + list(OBJECT_NAMES[2:]))
    assert translate(runs["labelled"], "--input", sketches["folder"], "--labels",
                     tmp_path / "isic.csv", "--out", tmp_path / "o") == 2
    one_line_error(capsys, "isic.csv has class columns MEL, NV")


def test_folder_errors(runs, sketches, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert translate(runs["plain"], "--input", tmp_path / "empty", "--out", tmp_path / "o") == 2
    one_line_error(capsys, "no image files")
    assert translate(runs["plain"], "--input", sketches["folder"],
                     "--out", sketches["folder"]) == 2
    one_line_error(capsys, "is the input folder")
    (tmp_path / "clash").mkdir()
    Image.new("L", (32, 32)).save(tmp_path / "clash" / "grid.png")
    assert translate(runs["plain"], "--input", tmp_path / "clash", "--out", tmp_path / "o") == 2
    one_line_error(capsys, "--grid FILE")


def test_reference_run_translates_without_the_imagenet_file(sketches, tmp_path, monkeypatch):
    """Trained with cached ImageNet weights, used where the file is absent: no error,
    no "from scratch" warning, and the outputs come from the checkpoint's weights."""
    import warnings

    import torchvision

    from gankit.models.encoder_decoder import RESNET18_FILE

    hub = tmp_path / "hub"
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(hub))
    (hub / "checkpoints").mkdir(parents=True)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(),
               hub / "checkpoints" / RESNET18_FILE)
    settings = TINY + ["model.options={pretrained: true}", "train.steps=1"]
    run = train(load_config("sketch2image", settings), out=tmp_path / "run")
    (hub / "checkpoints" / RESNET18_FILE).unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert translate(run.run_dir, "--input", sketches["folder"], "--labels",
                         sketches["csv"], "--out", tmp_path / "o") == 0
    first = sorted(sketches["names"])[0]
    sketch = torch.from_numpy(np.array(Image.open(sketches["folder"] / first)))[None, None]
    label = sketches["labels"][sketches["names"].index(first)]
    G = run.trainer.G.eval()
    with torch.no_grad():
        expected = G(None, F.one_hot(torch.tensor([label]), 24).float(), sketch / 127.5 - 1)
    assert torch.equal(read(tmp_path / "o" / first), to_uint8(expected)[0])
