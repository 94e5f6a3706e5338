"""`gankit evaluate`, training-time evaluation and the best checkpoint."""

import json

import pytest
import torch

from gankit.cli.main import main
from gankit.config import load_config
from gankit.metrics.shipped import shipped_evaluator_path
from gankit.runs import load_checkpoint
from gankit.training import train

TINY = ["data.size=96", "data.resolution=32", "model.g_width=8", "model.d_width=8",
        "train.batch_size=16", "train.tensorboard=false", "train.progress=false",
        "train.grid_size=8", "train.device=cpu"]


@pytest.fixture(scope="module")
def iclevr_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "iclevr"
    train(load_config("iclevr-wgan-gp", TINY + ["train.steps=2", "train.d_steps=1"]), out=out)
    return out


def test_evaluate_prints_json_and_appends_to_the_run(iclevr_run, random_inception, capsys):
    assert main(["evaluate", str(iclevr_run), "--metrics", "fid,kid,is,pr,acc,fid_evaluator",
                 "--n", "48", "--inception-weights", str(random_inception), "--json",
                 "--device", "cpu"]) == 0
    record = json.loads(capsys.readouterr().out)
    for key in ("fid", "kid_mean", "is_mean", "precision", "recall", "acc", "fid_evaluator"):
        assert isinstance(record[key], float), key
    assert record["n"] == 48 and record["n_fake"] == 48 and record["step"] == 2
    assert 0.0 <= record["acc"] <= 1.0 and record["fid"] > 0
    logged = json.loads((iclevr_run / "metrics.jsonl").read_text().splitlines()[-1])
    assert logged["kind"] == "evaluate" and logged["fid"] == record["fid"]


def test_evaluate_table_on_the_terminal(iclevr_run, capsys):
    assert main(["evaluate", str(iclevr_run), "--metrics", "acc", "--n", "32",
                 "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "acc" in out and "step 2" in out


def test_missing_inception_weights_is_one_clear_error(iclevr_run, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-hub"))
    monkeypatch.delenv("GANKIT_INCEPTION_WEIGHTS", raising=False)
    assert main(["evaluate", str(iclevr_run), "--metrics", "fid", "--n", "16",
                 "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "pt_inception-2015-12-05-6726825d.pth" in err[0] and "--download" in err[0]


def test_acc_without_an_evaluator_says_how_to_get_one(tmp_path, capsys):
    out = tmp_path / "run"
    train(load_config("acgan", TINY + ["data.resolution=16", "train.steps=1"]), out=out)
    assert main(["evaluate", str(out), "--metrics", "acc", "--n", "8", "--device", "cpu"]) == 2
    assert "gankit evaluator train" in capsys.readouterr().err


def test_training_time_evaluation_logs_metrics_and_keeps_the_best(tmp_path):
    evaluator = shipped_evaluator_path(True, 32)
    cfg = load_config("iclevr-wgan-gp", TINY + [
        "train.steps=4", "train.d_steps=1", "train.eval_every=2", "train.eval_n=32",
        "train.eval_metrics=[acc, fid_evaluator]", "train.best_metric=fid_evaluator",
        f"train.evaluator={evaluator}", "train.checkpoint_every=2"])
    result = train(cfg, out=tmp_path / "run")
    records = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in records if r.get("kind") == "eval"]
    assert [r["step"] for r in evals] == [2, 4]
    assert all("acc" in r and "fid_evaluator" in r for r in evals)
    best = load_checkpoint(result.run_dir / "checkpoints" / "best.pt")
    values = [r["fid_evaluator"] for r in evals]
    assert best["step"] == evals[values.index(min(values))]["step"]
    assert best["extra"]["best"]["value"] == pytest.approx(min(values))
    assert load_checkpoint(result.run_dir)["step"] == 4, "best.pt must not become latest"


def test_training_time_accuracy_uses_the_shipped_evaluator_for_the_built_in_shapes(tmp_path):
    cfg = load_config("acgan", TINY + ["train.epochs=0", "train.steps=2", "train.eval_every=2",
                                       "train.eval_n=24", "train.eval_metrics=[acc]"])
    result = train(cfg, out=tmp_path / "run")
    records = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [0 <= r["acc"] <= 1 for r in records if r.get("kind") == "eval"] == [True]


def test_a_missing_evaluator_stops_training_before_the_first_step(tmp_path, capsys):
    # 16-px images have no shipped evaluator: the run must say so at once, not after
    # eval_every steps of training
    out = tmp_path / "run"
    assert main(["train", "acgan", "--out", str(out), *[a for o in TINY + [
        "data.resolution=16", "train.epochs=0", "train.steps=50", "train.eval_every=50",
        "train.log_every=1",
        "train.eval_metrics=[acc]"] for a in ("--set", o)]]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "gankit evaluator train" in err[0]
    metrics = out / "metrics.jsonl"
    assert not metrics.exists() or metrics.read_text() == "", "no step may have been trained"


def test_translation_run_reports_l1_psnr_ssim(tmp_path, capsys):
    out = tmp_path / "p2p"
    cfg = load_config("pix2pix", ["data.size=32", "data.resolution=32", "model.g_width=8",
                                  "model.d_width=8", "model.options={n_layers: 2}",
                                  "train.batch_size=8", "train.steps=2", "train.epochs=0",
                                  "train.progress=false", "train.tensorboard=false",
                                  "train.device=cpu"])
    train(cfg, out=out)
    assert main(["evaluate", str(out), "--metrics", "l1,psnr,ssim", "--json",
                 "--device", "cpu"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert 0 < record["l1"] < 1 and 0 < record["ssim"] <= 1 and record["psnr"] > 0
    assert record["n"] == 2000 or record["n"] > 0


def test_evaluation_leaves_grad_mode_and_train_mode_alone(iclevr_run):
    from gankit.runs import TrainedRun
    from gankit.runs.evaluation import EvaluationRequest, evaluate_generator

    run = TrainedRun.open(iclevr_run)
    G = run.generator
    G.train()
    request = EvaluationRequest(("fid_evaluator",), n=20, batch_size=8,
                                evaluator=str(shipped_evaluator_path(True, 32)))
    evaluate_generator(G, run.spec, run.real_data(), request)
    assert torch.is_grad_enabled()
    assert G.training


def test_training_time_evaluation_of_a_translation_run(tmp_path):
    cfg = load_config("pix2pix", ["data.size=16", "data.resolution=32", "model.g_width=8",
                                  "model.d_width=8", "model.options={n_layers: 2}",
                                  "train.batch_size=8", "train.steps=2", "train.epochs=0",
                                  "train.progress=false", "train.tensorboard=false",
                                  "train.device=cpu", "train.eval_every=1",
                                  "train.eval_metrics=[l1, ssim]", "train.best_metric=l1"])
    result = train(cfg, out=tmp_path / "run")
    records = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in records if r.get("kind") == "eval"]
    assert [r["step"] for r in evals] == [1, 2] and all(0 < r["l1"] < 1 for r in evals)
    assert (result.run_dir / "checkpoints" / "best.pt").is_file()


def test_evaluation_of_point_runs_is_refused(tmp_path):
    from gankit.errors import GankitError
    cfg = load_config("simple-gan", ["data.size=512", "train.batch_size=32", "train.steps=1",
                                     "train.eval_every=1", "train.eval_metrics=[fid]"])
    with pytest.raises(GankitError, match="2-D point"):
        train(cfg, out=tmp_path / "run")


def test_grid_larger_than_the_dataset(tmp_path):
    cfg = load_config("iclevr-wgan-gp", TINY + ["data.size=24", "train.grid_size=64",
                                                "train.steps=1", "train.d_steps=1"])
    result = train(cfg, out=tmp_path / "run")
    assert result.latest_samples is not None
