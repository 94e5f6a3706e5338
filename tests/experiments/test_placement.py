"""Placing runs on devices: one process per job, one job per device entry at a time."""

import json
import os
import signal
import time

import optuna
import pytest
import torch
import yaml

from gankit.cli.main import main
from gankit.errors import GankitError
from gankit.experiments.placement import parse_devices, raise_first_failure, run_on_devices
from gankit.metrics.shipped import shipped_evaluator_path


def report(job, device):
    """A job that says where it ran."""
    if job == "fail":
        raise GankitError("no such data")
    if job == "slow":
        time.sleep(120)
    return {"job": job, "device": device, "pid": os.getpid(), "threads": torch.get_num_threads()}


@pytest.fixture(params=["foreground", "background"])
def sigint(request):
    """As run from a terminal, and as a shell's background job (SIGINT ignored, which
    the jobs' processes inherit)."""
    if request.param == "foreground":
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    yield
    signal.signal(signal.SIGINT, previous)


def test_one_job_per_device_at_a_time_in_fresh_processes_and_a_failure_stops_the_rest(sigint):
    jobs, running, most = ["slow", 0, "fail", "never"], [0], [0]

    def started(job, device):
        running[0] += 1
        most[0] = max(most[0], running[0])

    def ended(outcome):
        running[0] -= 1

    began = time.monotonic()
    outcomes = run_on_devices(lambda _: jobs.pop(0) if jobs else None, ["cpu", "cpu"], report,
                              started, ended)
    assert time.monotonic() - began < 60  # the slow job was asked to stop
    assert [(o.job, o.state) for o in outcomes] == [(0, "ok"), ("fail", "error"),
                                                    ("slow", "interrupted")]
    assert most[0] == 2 and jobs == ["never"]  # nothing new starts after a failure
    assert outcomes[0].value["device"] == "cpu"
    # the two CPU entries share the cores
    assert outcomes[0].value["threads"] == max(1, os.cpu_count() // 2)
    with pytest.raises(GankitError, match="job fail: no such data"):
        raise_first_failure(outcomes, lambda job: f"job {job}")


def test_a_stop_asked_while_a_job_is_still_starting_is_not_lost(sigint):
    jobs, ended = ["slow"], []

    def next_job(running):
        if running:  # Ctrl-C while the first job's process is still importing
            raise KeyboardInterrupt
        return jobs.pop(0)

    began = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_on_devices(next_job, ["cpu", "cpu"], report, on_end=ended.append)
    assert time.monotonic() - began < 60
    assert [(o.job, o.state) for o in ended] == [("slow", "interrupted")]


@pytest.mark.parametrize("text, fragment", [
    ("", "at least one device"), ("cuda", "ambiguous"), ("cpu,auto", "ambiguous"),
    ("cpu,tpu:0", "unknown device"),
])
def test_bad_device_lists_are_one_line_errors(text, fragment):
    with pytest.raises(GankitError, match=fragment):
        parse_devices(text)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU message")
def test_a_gpu_that_is_not_there_is_refused():
    with pytest.raises(GankitError, match="no CUDA GPU"):
        parse_devices("cuda:0,cuda:1")


TINY = ["data.size=64", "data.resolution=32", "model.g_width=8", "model.d_width=8",
        "train.batch_size=16", "train.tensorboard=false", "train.progress=false",
        "train.grid_size=8", "train.pictures=false", "train.collapse_every=0"]


EVALUATOR = shipped_evaluator_path(multi_label=False, resolution=32)


def sets(settings):
    return [arg for kv in settings for arg in ("--set", kv)]


def test_compare_trains_its_models_side_by_side(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", "dcgan32", "default", "--data", "shapes-single", "--steps", "2",
                 "--eval-every", "2", "--eval-n", "16", "--best-n", "2", "--out", str(out),
                 "--metrics", "fid_evaluator", "--evaluator", str(EVALUATOR),
                 "--devices", "cpu,cpu", *sets(TINY)]) == 0
    printed = capsys.readouterr().out
    assert "dcgan32 (dcgan32) → " in printed and " on cpu" in printed
    rows = json.loads((out / "results.json").read_text())["models"]
    assert sorted(row["name"] for row in rows) == ["dcgan32", "default"]
    assert all(row["steps"] == 2 for row in rows)


def test_sweep_runs_trials_side_by_side_and_tells_the_study(tmp_path, capsys):
    space = tmp_path / "space.yaml"
    space.write_text(yaml.safe_dump({"optim.lr_g": {"low": 1.0e-5, "high": 1.0e-3, "log": True}}))
    out = tmp_path / "sweep"
    assert main(["sweep", "default", "--space", str(space), "--trials", "2", "--steps", "2",
                 "--eval-every", "2", "--data", "shapes-single", "--metric", "fid_evaluator",
                 "--out", str(out), "--devices", "cpu,cpu",
                 *sets(TINY + ["train.eval_n=16"])]) == 0
    study = optuna.load_study(study_name="gankit-sweep", storage=f"sqlite:///{out / 'study.db'}")
    trials = study.get_trials()
    assert [t.state for t in trials] == [optuna.trial.TrialState.COMPLETE] * 2
    assert all(t.intermediate_values == {2: t.value} for t in trials)  # reported by the trial
    assert (out / "best.yaml").is_file() and "best trial" in capsys.readouterr().out
