"""Pictures a run keeps in its folder while it trains: curves.png, progress.gif,
real_vs_fake.png (and the grids in TensorBoard)."""

from types import SimpleNamespace

import pytest
from PIL import Image

from gankit.config import load_config
from gankit.training import train
from gankit.training.callbacks import StatsLogger
from gankit.training.pictures import ANIMATION, CURVES, REAL_VS_FAKE, CurvesWriter

SHORT = ("train.steps=6", "train.sample_every=2", "train.log_every=2")
PICTURES = (CURVES, ANIMATION, REAL_VS_FAKE)
SETTINGS = ["data.size=96", "data.resolution=32", "model.g_width=8", "model.d_width=8",
            "train.batch_size=16", "train.progress=false", "train.grid_size=8",
            "train.device=cpu", "train.tensorboard=false", "train.log_every=2",
            "train.sample_every=2", "train.checkpoint_every=4", "train.epochs=0"]


def frames(path) -> int:
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        return gif.n_frames


def image_tags(run_dir) -> set[str]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = EventAccumulator(str(run_dir / "tensorboard"))
    events.Reload()
    return set(events.Tags()["images"])


def test_a_short_run_has_curves_an_animation_and_real_vs_fake(tiny_run):
    run = tiny_run("dcgan32", *SHORT, "train.tensorboard=true")
    for name in PICTURES:
        with Image.open(run / name) as image:
            assert image.width > 0
    assert frames(run / ANIMATION) == 4  # the grids of steps 0, 2, 4 and 6
    with Image.open(run / CURVES) as curves:
        assert curves.format == "PNG" and curves.width > 400
    assert not [p.name for p in run.iterdir() if p.name.startswith(".")]  # no temp files
    assert image_tags(run) == {"samples", "real_vs_fake"}


def test_a_resumed_run_continues_its_animation_and_curves(tmp_path):
    train(load_config("dcgan32", [*SETTINGS, "train.steps=4"]), out=tmp_path / "run")
    assert frames(tmp_path / "run" / ANIMATION) == 3
    result = train(load_config("dcgan32", [*SETTINGS, "train.steps=8"]), resume=tmp_path / "run")
    assert frames(result.run_dir / ANIMATION) == 5  # steps 0, 2, 4 from before, then 6, 8
    writer = result.trainer.callback(CurvesWriter)
    assert [r["step"] for r in writer.rows] == [2, 4, 6, 8]


def test_pictures_can_be_turned_off(tiny_run):
    run = tiny_run("dcgan32", "train.pictures=false")
    assert not any((run / name).exists() for name in PICTURES)


def test_a_2d_points_run_animates_its_plots_and_has_no_real_vs_fake(tmp_path):
    cfg = load_config("wgan-gp-2d", ["train.steps=4", "train.d_steps=1", "train.progress=false",
                                     "train.device=cpu", "train.sample_every=2",
                                     "train.log_every=2", "train.tensorboard=true"])
    run = train(cfg, out=tmp_path / "run").run_dir
    assert frames(run / ANIMATION) == 3 and (run / CURVES).is_file()
    assert not (run / REAL_VS_FAKE).exists()
    assert image_tags(run) == {"samples"}  # the point plots reach TensorBoard too


def test_curves_are_not_redrawn_faster_than_drawing_can_be_afforded(tmp_path, monkeypatch):
    drawn = []
    monkeypatch.setattr("gankit.training.pictures.plot_curves",
                        lambda path, rows: drawn.append(len(rows)))
    logger = StatsLogger(tmp_path, every=1, tensorboard=False)
    trainer = SimpleNamespace(callback=lambda kind: logger if kind is StatsLogger else None)
    writer = CurvesWriter(tmp_path, overhead=1e-9)  # one draw buys a very long wait
    writer.on_start(trainer)
    writer.on_step(trainer, {})
    assert drawn == []  # nothing logged, nothing drawn
    for step in range(1, 6):
        logger.log({"step": step, "loss_d": 1.0, "loss_g": 1.0})
        writer.on_step(trainer, {})
    assert drawn == [1]  # the first row is drawn at once, the next ones wait
    writer.on_end(trainer)
    assert drawn == [1, 5]  # the end always draws what is left


@pytest.mark.parametrize("preset, extra", [("pix2pix", ()), ("pix2pix", ("data.labels=class",)),
                                           ("acgan", ())])
def test_conditional_and_image_to_image_runs_write_real_vs_fake(tiny_run, preset, extra):
    run = tiny_run(preset, *SHORT, *extra)
    with Image.open(run / REAL_VS_FAKE) as image:
        assert image.width > image.height > 32
