"""`gankit compare`: two presets on the same data and budget, table, pictures, resume."""

import json

import pytest

from gankit.cli.main import main
from gankit.experiments.compare import entry_names
from gankit.training.loop import Trainer

TINY = ["data.size=96", "model.g_width=8", "model.d_width=8", "train.batch_size=16",
        "train.tensorboard=false", "train.progress=false", "train.grid_size=8",
        "train.device=cpu", "train.log_every=1", "train.checkpoint_every=1"]


def compare_args(out, steps=4):
    args = ["compare", "dcgan32", "acgan", "--data", "shapes-single", "--steps", str(steps),
            "--eval-every", "2", "--eval-n", "48", "--best-n", "4", "--out", str(out)]
    for setting in TINY:
        args += ["--set", setting]
    return args


def checkpoint_step(run_dir):
    from gankit.runs import load_checkpoint
    return load_checkpoint(run_dir)["step"]


def test_compare_writes_the_table_curves_and_best_fakes(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(compare_args(out)) == 0
    printed = capsys.readouterr().out
    assert "fid_evaluator" in printed and "domain evaluator" in printed
    results = json.loads((out / "results.json").read_text())
    rows = {row["name"]: row for row in results["models"]}
    assert set(rows) == {"dcgan32", "acgan"} and results["ranked_by"] == "fid_evaluator"
    for row in rows.values():
        assert row["steps"] == 4 and row["images_seen"] == 4 * 16
        assert row["params_g"] > 0 and row["params_d"] > 0 and row["images_per_s"] > 0
        assert row["final"]["fid_evaluator"] > 0
    assert "acc" in rows["acgan"]["final"] and "acc" not in rows["dcgan32"]["final"]
    table = (out / "results.md").read_text()
    assert table.count("\n| ") == 3 and "dcgan32" in table
    for picture in ("curves.png", "best.png"):
        assert (out / picture).stat().st_size > 5000
    evals = [json.loads(line) for line in (out / "acgan" / "metrics.jsonl").read_text()
             .splitlines() if '"eval"' in line]
    assert [r["step"] for r in evals] == [2, 4] and all("time_s" in r for r in evals)


def test_an_interrupted_compare_resumes_and_a_larger_budget_extends(tmp_path, capsys,
                                                                   monkeypatch):
    out = tmp_path / "cmp"
    step = Trainer.train_step

    def stop_acgan_at_step_3(self):
        if self.cfg.preset == "acgan" and self.step == 2:
            raise KeyboardInterrupt
        return step(self)

    monkeypatch.setattr(Trainer, "train_step", stop_acgan_at_step_3)
    assert main(compare_args(out)) == 130
    assert "run the same command again" in capsys.readouterr().err
    monkeypatch.undo()
    assert checkpoint_step(out / "dcgan32") == 4 and checkpoint_step(out / "acgan") == 2
    assert not (out / "results.md").exists()
    capsys.readouterr()

    assert main(compare_args(out)) == 0
    printed = capsys.readouterr().out
    assert "dcgan32: finished, skipped" in printed and "acgan (acgan)" in printed
    assert checkpoint_step(out / "acgan") == 4

    assert main(compare_args(out, steps=6)) == 0
    assert checkpoint_step(out / "dcgan32") == 6 and checkpoint_step(out / "acgan") == 6
    rows = json.loads((out / "results.json").read_text())["models"]
    assert {row["steps"] for row in rows} == {6}


def test_unknown_preset_is_one_clear_error(tmp_path, capsys):
    args = compare_args(tmp_path / "cmp")
    args[1] = "no-such-preset"
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: error:") and "no-such-preset" in err[0]
    assert not (tmp_path / "cmp").exists()


@pytest.mark.parametrize("flag, value", [("--steps", "0"), ("--minutes", "-1"),
                                         ("--eval-every", "0"), ("--metrics", "fdi")])
def test_bad_numbers_and_names_are_one_clear_error(tmp_path, capsys, flag, value):
    args = compare_args(tmp_path / "cmp")
    index = args.index(flag) if flag in args else len(args)
    args[index:index + 2] = [flag, value]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: error:") and value.lstrip("-") in err[0]


def test_repeated_presets_get_their_own_folders():
    assert entry_names(["dcgan", "dcgan", "my/config.yaml"]) == ["dcgan", "dcgan-2", "config"]
