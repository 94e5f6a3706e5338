"""`gankit sweep`: an Optuna study over config keys that resumes, writes the best config,
its table and plots, prunes from a callback, and turns bad input into one line."""

import csv
import shutil
from types import SimpleNamespace

import optuna
import pytest
import yaml

from gankit.cli.main import main
from gankit.config import load_config
from gankit.experiments.sweep import STUDY_NAME, PruneOnEvaluation, read_space

TINY = ["data.size=96", "data.resolution=32", "model.g_width=8", "model.d_width=8",
        "train.batch_size=16", "train.tensorboard=false", "train.progress=false",
        "train.grid_size=8", "train.device=cpu", "train.eval_n=64"]
SPACE = {"optim.lr_g": {"low": 1.0e-5, "high": 1.0e-3, "log": True},
         "train.d_steps": {"choices": [1, 2]}}


def sweep_argv(out, space, trials: int, preset: str = "default") -> list[str]:
    sets = [arg for kv in TINY for arg in ("--set", kv)]
    return ["sweep", preset, "--space", str(space), "--trials", str(trials), "--steps", "4",
            "--eval-every", "2", "--data", "shapes-single", "--metric", "fid_evaluator",
            "--out", str(out), *sets]


def load_study(out):
    return optuna.load_study(study_name=STUDY_NAME, storage=f"sqlite:///{out / 'study.db'}")


def table(out) -> list[dict]:
    with (out / "trials.csv").open() as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    space = root / "space.yaml"
    space.write_text(yaml.safe_dump(SPACE))
    assert main(sweep_argv(root / "first", space, 2)) == 0
    return root / "first", space


def resumable_copy(swept, tmp_path):
    out = tmp_path / "sweep"
    shutil.copytree(swept[0], out)
    return out


def test_a_sweep_writes_study_trials_best_config_table_and_plot(swept):
    out, _ = swept
    trials = load_study(out).get_trials()
    assert [t.state for t in trials] == [optuna.trial.TrialState.COMPLETE] * 2
    assert (out / "trial-0000" / "checkpoints" / "latest").is_file()
    assert (out / "trial-0001" / "config.yaml").is_file() and (out / "parallel.png").is_file()
    rows = table(out)
    assert [row["state"] for row in rows] == ["complete", "complete"]
    assert all(float(row["fid_evaluator"]) > 0 for row in rows)
    best = load_config(str(out / "best.yaml"))  # what `gankit train DIR/best.yaml` reads
    best_row = next(row for row in rows if row["best"] == "yes")
    assert best.optim.lr_g == pytest.approx(float(best_row["optim.lr_g"]))
    assert 1e-5 <= best.optim.lr_g <= 1e-3 and best.optim.lr_g != 2e-4
    assert best.train.d_steps == int(best_row["train.d_steps"])
    assert best.train.steps == 4 and best.train.eval_metrics == ["fid_evaluator"]
    # judged by the evaluator shipped for 32-px shapes, found without --evaluator
    assert best.train.evaluator.endswith("shapes-single-32.safetensors")


def test_a_second_run_with_more_trials_continues_the_study(swept, tmp_path, capsys):
    out = resumable_copy(swept, tmp_path)
    before = [(t.params, t.value) for t in load_study(out).get_trials()]
    assert main(sweep_argv(out, swept[1], 3)) == 0
    trials = load_study(out).get_trials()
    assert len(trials) == 3 and [(t.params, t.value) for t in trials[:2]] == before
    assert trials[2].state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    assert trials[2].params not in [t.params for t in trials[:2]]  # not the same draws again
    assert (out / "trial-0002" / "config.yaml").is_file() and len(table(out)) == 3
    printed = capsys.readouterr().out
    assert "2 trials done, 1 to go" in printed and "trial    2" in printed
    assert main(sweep_argv(out, swept[1], 3)) == 0  # nothing left to do
    assert len(load_study(out).get_trials()) == 3


def test_a_trial_left_running_by_a_crash_is_redone_in_a_clean_folder(swept, tmp_path):
    out = resumable_copy(swept, tmp_path)
    study = load_study(out)
    crashed = study.ask()  # as a killed sweep leaves it: running, with a partial folder
    crashed.suggest_float("optim.lr_g", 1e-5, 1e-3, log=True)
    crashed.suggest_categorical("train.d_steps", [1, 2])
    (out / "trial-0002").mkdir()
    (out / "trial-0002" / "metrics.jsonl").write_text("{}\n")
    assert main(sweep_argv(out, swept[1], 3)) == 0
    trials = load_study(out).get_trials()
    states = [t.state.name for t in trials]
    assert states[:3] == ["COMPLETE", "COMPLETE", "FAIL"] and len(trials) == 4
    assert trials[3].params == trials[2].params and states[3] in ("COMPLETE", "PRUNED")
    assert not (out / "trial-0002").exists() and (out / "trial-0003" / "config.yaml").is_file()


@pytest.mark.parametrize("space, fragment", [
    ({"optim.lr_x": {"low": 0.1, "high": 0.2}}, "optim.lr_x"),
    ({"optim.lr_g": {"low": 1.0e-3, "high": 1.0e-5}}, "empty range"),
    ({"train.d_steps": {"choices": []}}, "empty range"),
    ({"optim.lr_g": {"low": 1.0e-5}}, "needs low and high"),
    ({"optim.lr_g": {"low": "small", "high": 1.0e-3}}, "must be a number"),
    ({"train.d_steps": {"low": 1.0, "high": 4.5}}, "train.d_steps"),
    ({"train.steps": {"low": 1, "high": 9}}, "set by the sweep"),
    (["optim.lr_g"], "must map config keys"),
    (None, "does not exist"),
])
def test_a_bad_space_file_is_one_line_and_exit_2(space, fragment, tmp_path, capsys):
    path = tmp_path / "space.yaml"
    if space is not None:
        path.write_text(yaml.safe_dump(space))
    assert main(sweep_argv(tmp_path / "out", path, 2)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: error:") and fragment in err[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("change, fragment", [
    ({"preset": "no-such-preset"}, "unknown preset"),
    ({"trials": 0}, "--trials"),
])
def test_bad_arguments_are_one_line_and_exit_2(change, fragment, tmp_path, capsys):
    space = tmp_path / "space.yaml"
    space.write_text(yaml.safe_dump(SPACE))
    argv = sweep_argv(tmp_path / "out", space, change.get("trials", 2),
                      change.get("preset", "default"))
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: error:") and fragment in err[0]


def test_the_space_file_types_ranges_and_choices(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("optim.lr_g: {low: 1e-5, high: 1e-3, log: true}\n"  # YAML: strings
                    "train.d_steps: {low: 1, high: 5}\n"
                    "optim.betas: {choices: [[0.5, 0.999], [0.0, 0.99]]}\n")
    lr, d_steps, betas = read_space(path, load_config("default"))
    assert (lr.low, lr.high, lr.log) == (1e-5, 1e-3, True)
    trial = optuna.trial.FixedTrial({"optim.lr_g": 3e-4, "train.d_steps": 2,
                                     "optim.betas": "[0.0, 0.99]"})
    assert lr.suggest(trial) == 3e-4 and d_steps.suggest(trial) == 2
    assert betas.suggest(trial) == [0.0, 0.99]


class FakeTrial:
    def __init__(self, prune: bool):
        self.prune, self.reports = prune, []

    def report(self, value, step):
        self.reports.append((step, value))

    def should_prune(self):
        return self.prune


def evaluated(step: int, total: int = 10, **figures):
    return SimpleNamespace(step=step, total_steps=total,
                           last_eval={"step": step, "kind": "eval", **figures})


def test_the_pruning_callback_raises_when_the_trial_should_prune():
    trial = FakeTrial(prune=True)
    with pytest.raises(optuna.TrialPruned):
        PruneOnEvaluation(trial, "fid_evaluator").on_step(evaluated(2, fid_evaluator=50.0), {})
    assert trial.reports == [(2, 50.0)]


def test_the_pruning_callback_reports_only_fresh_figures_and_never_prunes_the_end():
    trial = FakeTrial(prune=False)
    callback = PruneOnEvaluation(trial, "fid_evaluator")
    callback.on_step(evaluated(2, fid_evaluator=50.0), {})
    later = evaluated(2, fid_evaluator=50.0)
    later.step = 3  # the last evaluation is older than this step: nothing new to report
    callback.on_step(later, {})
    trial.prune = True
    callback.on_step(evaluated(10, fid_evaluator=40.0), {})  # the last step: done anyway
    assert trial.reports == [(2, 50.0), (10, 40.0)] and callback.value == 40.0
