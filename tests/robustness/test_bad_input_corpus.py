"""A corpus of bad invocations through the real CLI: each one is exit code 2, one
`gankit: error:` line naming the culprit, no traceback, and nothing half-written."""

import json

import pytest

from gankit.cli.main import main

FAST = ["--set", "train.steps=2", "--set", "train.epochs=0", "--set", "data.size=32",
        "--set", "model.g_width=8", "--set", "model.d_width=8",
        "--set", "train.batch_size=8", "--set", "train.progress=false",
        "--set", "train.tensorboard=false", "--set", "train.grid_size=8",
        "--set", "train.device=cpu"]


def conditions_file(tmp_path, entries):
    path = tmp_path / "conditions.json"
    path.write_text(json.dumps(entries))
    return str(path)


# (name, arguments after `gankit`, a word the message must contain); {tmp} is a fresh folder
CASES = [
    ("batch size 0", ["train", "--set", "train.batch_size=0"], "train.batch_size"),
    ("negative batch size", ["train", "--set", "train.batch_size=-4"], "train.batch_size"),
    ("zero steps", ["train", "--steps", "0"], "train.steps"),
    ("negative epochs", ["train", "--epochs", "-1"], "train.epochs"),
    ("negative learning rate", ["train", "--set", "optim.lr_g=-1e-4"], "optim.lr_g"),
    ("NaN learning rate", ["train", "--set", "optim.lr_d=.nan"], "optim.lr_d"),
    ("EMA decay of 1", ["train", "--set", "train.ema=1"], "train.ema"),
    ("betas out of range", ["train", "--set", "optim.betas=[0.5, 1.2]"], "optim.betas"),
    ("dropout of 1", ["train", "--set", "model.d_dropout=1"], "model.d_dropout"),
    ("zero-width model", ["train", "--set", "model.g_width=0"], "model.g_width"),
    ("unknown key", ["train", "--set", "train.stpes=10"], "stpes"),
    ("unknown preset", ["train", "no-such-preset"], "no-such-preset"),
    ("invalid YAML value", ["train", "--set", "data.name=["], "not valid YAML"),
    ("missing data folder", ["train", "--data", "{tmp}/nowhere"], "nowhere"),
    ("out is a file", ["train", "--out", "/dev/null"], "/dev/null"),
    ("out under a file", ["train", "--out", "/dev/null/run"], "/dev/null"),
    ("out not writable", ["train", "--out", "/proc/gankit-run"], "/proc"),
    ("empty config file", ["train", "{tmp}/empty.yaml"], "empty"),
    ("resume and out", ["train", "--resume", "{tmp}", "--out", "{tmp}/x"], "--out"),
    ("resume nothing", ["train", "--resume", "{tmp}/nowhere"], "nowhere"),
    ("sample nothing", ["sample", "{tmp}/nowhere", "--out", "{tmp}/s.png"], "nowhere"),
    ("evaluate n 0", ["evaluate", "{tmp}/nowhere", "--n", "0"], "--n"),
    ("compare bad steps", ["compare", "dcgan32", "--data", "shapes", "--steps", "-5",
                           "--out", "{tmp}/cmp"], "--steps"),
]


@pytest.mark.parametrize("name, argv, culprit", CASES, ids=[case[0] for case in CASES])
def test_bad_invocation_is_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch,
                                                       name, argv, culprit):
    monkeypatch.chdir(tmp_path)  # a default run folder would land under ./runs
    (tmp_path / "empty.yaml").write_text("# nothing here\n")
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    before = sorted(p.name for p in tmp_path.iterdir())
    if argv[0] == "train":  # the case's own settings come last, so they win
        argv = argv[:1] + FAST + argv[1:]
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gankit: error:"), err
    assert culprit in lines[0] and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no run folder, no debris


def test_a_failing_new_run_leaves_no_folder_behind(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--data", str(tmp_path / "nowhere"), *FAST]) == 2
    assert not out.exists()


def test_a_run_folder_is_never_mixed_with_another_run(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--steps", "1", *FAST]) == 0
    capsys.readouterr()
    assert main(["train", "--out", str(out), "--steps", "1", *FAST]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["train", "--resume", str(out), "--steps", "2"]) == 0
    said = capsys.readouterr().out
    assert "resuming" in said and "step-0000001.pt at step 1 (of 2)" in said


def test_a_run_without_a_checkpoint_is_refused_then_restarted_with_force(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.yaml").write_text("preset: default\n")
    (out / "metrics.jsonl").write_text('{"step": 50, "loss_d": 1.0}\n')
    assert main(["train", "--out", str(out), "--steps", "1", *FAST]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["train", "--out", str(out), "--steps", "1", "--force", *FAST]) == 0
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert all(row.get("step") != 50 for row in rows)  # the old run's rows are gone


def test_a_folder_of_other_files_is_refused_even_with_force(tmp_path, capsys):
    (tmp_path / "thesis.tex").write_text("mine")
    assert main(["train", "--out", str(tmp_path), "--steps", "1", "--force", *FAST]) == 2
    assert "other files" in capsys.readouterr().err
    assert (tmp_path / "thesis.tex").read_text() == "mine"


@pytest.mark.parametrize("entries, problem", [
    ([["red cube", "blue cube", "red sphere", "gray cube"]], "4 objects"),
    ([[]], "empty"),
    ([["red cube", "red cube"]], "twice"),
    ([["purple dragon"]], "purple dragon"),
])
def test_bad_conditions_files_are_one_line(tiny_run, tmp_path, capsys, entries, problem):
    run = tiny_run("iclevr-wgan-gp")
    argv = ["sample", str(run), "--conditions", conditions_file(tmp_path, entries),
            "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and problem in lines[0]
    assert not (tmp_path / "out").exists()
