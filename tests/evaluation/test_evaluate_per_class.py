"""`gankit evaluate` per-class figures of a class-conditional run, and per-object and
repeated-list figures of a multi-label run (shipped shapes evaluators)."""

import json

import pytest
import torch
from stand_ins import IgnoresZ, RealImages

from gankit.cli.main import main
from gankit.config import load_config
from gankit.errors import GankitError
from gankit.metrics.defaults import default_metrics
from gankit.metrics.shipped import shipped_evaluator_path
from gankit.training import train

TINY = ["data.size=96", "data.resolution=32", "model.g_width=8", "model.d_width=8",
        "train.batch_size=16", "train.tensorboard=false", "train.progress=false",
        "train.grid_size=8", "train.device=cpu", "train.epochs=0"]


@pytest.fixture(scope="module")
def acgan_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "acgan"
    train(load_config("acgan", TINY + ["train.steps=1"]), out=out)
    return out


def test_evaluate_prints_a_line_per_class_and_the_worst(acgan_run, capsys):
    assert main(["evaluate", str(acgan_run), "--metrics", "acc,per_class", "--n", "48",
                 "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    for key in ("acc_class_min", "diversity_ratio_min", "fid_evaluator_class_mean"):
        assert any(line.split()[:1] == [key] for line in lines), key
    header = lines.index(next(line for line in lines if "per class" in line))
    assert lines[header + 1].split() == ["class", "acc", "div_ratio", "div_fake", "div_real",
                                         "fid_eval", "n"]
    assert sum("cube" in line or "sphere" in line or "cylinder" in line
               for line in lines[header + 2:header + 26]) == 24
    assert any(line.strip().startswith("lowest acc:") for line in lines)
    assert any(line.strip().startswith("lowest diversity_ratio:") for line in lines)


def test_evaluate_json_has_the_nested_per_class_entry(acgan_run, capsys):
    assert main(["evaluate", str(acgan_run), "--metrics", "per_class", "--n", "48", "--json",
                 "--device", "cpu"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert len(record["per_class"]) == 24
    row = record["per_class"]["red cube"]
    assert set(row) == {"acc", "diversity_fake", "diversity_real", "diversity_ratio",
                        "fid_evaluator", "n", "n_features"}
    assert sum(r["n"] for r in record["per_class"].values()) == 48
    assert len(record["worst_classes"]["acc"]) == 3
    assert isinstance(record["acc_class_min"], float) and record["n"] == 48
    logged = json.loads((acgan_run / "metrics.jsonl").read_text().splitlines()[-1])
    assert logged["per_class"].keys() == record["per_class"].keys()


def test_per_class_is_a_default_for_conditional_runs_with_an_evaluator():
    # default_metrics(translation, conditional, has_evaluator)
    assert "per_class" in default_metrics(False, True, True)
    assert "per_class" not in default_metrics(False, True, False)
    assert "per_class" not in default_metrics(False, False, True)
    assert "per_class" not in default_metrics(True, True, True)
    assert "acc" in default_metrics(True, True, True)


def test_per_class_on_an_unconditional_run_is_one_clear_error(tmp_path):
    from gankit.runs import TrainedRun
    from gankit.runs.evaluation import EvaluationRequest, evaluate_generator

    out = tmp_path / "run"
    train(load_config("dcgan", TINY + ["data.name=shapes-single", "data.labels=none",
                                       "train.steps=1"]), out=out)
    run = TrainedRun.open(out)
    request = EvaluationRequest(("per_class",), n=8,
                                evaluator=str(shipped_evaluator_path(False, 32)))
    with pytest.raises(GankitError, match="per_class.*conditional model"):
        evaluate_generator(run.generator, run.spec, run.real_data(), request)


def test_training_time_evaluation_with_per_class_as_best_metric(tmp_path):
    cfg = load_config("acgan", TINY + ["train.steps=2", "train.eval_every=1", "train.eval_n=48",
                                       "train.eval_metrics=[per_class]",
                                       "train.best_metric=per_class",
                                       f"train.evaluator={shipped_evaluator_path(False, 32)}"])
    result = train(cfg, out=tmp_path / "run")
    lines = (result.run_dir / "metrics.jsonl").read_text().splitlines()
    evals = [r for r in map(json.loads, lines) if r.get("kind") == "eval"]
    assert [r["step"] for r in evals] == [1, 2]
    assert all("diversity_ratio" in r and "per_class" not in r for r in evals)
    assert (result.run_dir / "checkpoints" / "best.pt").is_file()


@pytest.fixture(scope="module")
def multi_run(tmp_path_factory):
    """A multi-label run on 1,200 scenes: ~17 of each one-object list, so the lists repeat."""
    out = tmp_path_factory.mktemp("runs") / "multi"
    train(load_config("iclevr-32", TINY + ["data.size=1200", "train.steps=1"]), out=out)
    return out


def test_multi_label_runs_report_the_diversity_of_repeated_object_lists(multi_run, capsys):
    assert main(["evaluate", str(multi_run), "--metrics", "acc,per_class", "--n", "64",
                 "--json", "--device", "cpu"]) == 0
    record = json.loads(capsys.readouterr().out)
    table = record["per_condition"]
    assert 1 <= len(table) <= 16
    for name, row in table.items():
        assert row["n_fake"] == 16 and 4 <= row["n_real"] <= 16, name
        assert row["diversity_ratio"] == pytest.approx(row["diversity_fake"]
                                                       / row["diversity_real"])
    assert record["diversity_ratio_min"] == min(r["diversity_ratio"] for r in table.values())
    assert record["worst_conditions"]["diversity_ratio"][0] in table
    assert len(record["per_class"]) == 24  # each object's hit rate, as before

    assert main(["evaluate", str(multi_run), "--metrics", "per_class", "--n", "64",
                 "--device", "cpu"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines.index(next(line for line in lines if "per repeated object list" in line))
    assert lines[header + 1].split() == ["objects", "div_ratio", "div_fake", "div_real",
                                         "n_fake", "n_real"]
    assert lines[header + 2 + len(table)].strip().startswith("least varied lists:")


def test_repeated_lists_tell_a_collapsed_generator_from_a_perfect_one(multi_run):
    from gankit.runs import TrainedRun
    from gankit.runs.evaluation import EvaluationRequest, condition_results

    run = TrainedRun.open(multi_run)
    real = run.real_data()
    conditions = real.labels[:256].float()
    request = EvaluationRequest(("per_class",), n=64)
    collapsed = condition_results(IgnoresZ(run.generator), conditions, real, request, "cpu")
    perfect = condition_results(RealImages(real, run.generator.z_dim), conditions, real,
                                request, "cpu")
    assert collapsed["per_condition"].keys() == perfect["per_condition"].keys()
    assert collapsed["diversity_ratio"] < 0.01  # one image per list
    assert 0.8 < perfect["diversity_ratio"] < 1.2, perfect["diversity_ratio"]
    assert perfect["diversity_ratio_min"] > 0.5


def test_lists_the_real_data_never_repeats_fall_back_to_lists_it_does(multi_run):
    from gankit.runs import TrainedRun
    from gankit.runs.evaluation import EvaluationRequest, condition_results

    run = TrainedRun.open(multi_run)
    real = run.real_data()
    unseen = torch.ones(4, real.labels.shape[1])  # all 24 objects: no scene has them
    out = condition_results(run.generator, unseen, real, EvaluationRequest(("per_class",)),
                            "cpu")
    assert len(out["per_condition"]) == 16
    assert all(row["n_real"] >= 4 for row in out["per_condition"].values())
