"""`gankit sample --code K`: every image drawn with one InfoGAN latent code."""

import torch

from gankit.cli.main import main
from gankit.runs import TrainedRun


def test_code_fixes_the_last_columns_of_z_and_changes_the_images(tiny_run, tmp_path):
    run = tiny_run("dcgan", "model.latent_codes=3", "train.steps=20")
    trained = TrainedRun.open(run)
    by_code = [trained.sample(6, seed=1, code=code) for code in range(3)]
    assert not torch.allclose(by_code[0], by_code[1])
    assert torch.equal(trained.sample(6, seed=1, code=2), by_code[2])  # seeded
    assert main(["sample", str(run), "--code", "2", "--n", "6", "--seed", "1",
                 "--out", str(tmp_path / "c"), "--device", "cpu"]) == 0
    assert len(list((tmp_path / "c").glob("0*.png"))) == 6


def test_code_out_of_range_or_on_a_run_without_codes_is_a_user_error(tiny_run, tmp_path,
                                                                      capsys):
    coded = tiny_run("dcgan", "model.latent_codes=3", "train.steps=20")
    assert main(["sample", str(coded), "--code", "3", "--out", str(tmp_path / "x.png"),
                 "--device", "cpu"]) == 2
    assert "codes are 0..2" in capsys.readouterr().err
    plain = tiny_run("dcgan")
    assert main(["sample", str(plain), "--code", "0", "--out", str(tmp_path / "y.png"),
                 "--device", "cpu"]) == 2
    assert "no latent code" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "y.png").exists()
