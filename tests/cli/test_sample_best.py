"""`gankit sample --best N`: the most convincing of a larger pool, best first."""

import pytest
import torch

from gankit.cli.main import main
from gankit.config import load_config
from gankit.runs import TrainedRun
from gankit.runs.ranking import best_of, rank_scores
from gankit.metrics.evaluator import Evaluator
from gankit.metrics.shipped import shipped_evaluator_path
from gankit.training import train

TINY = ["data.size=96", "data.resolution=32", "model.g_width=8", "model.d_width=8",
        "train.batch_size=16", "train.tensorboard=false", "train.progress=false",
        "train.grid_size=8", "train.device=cpu", "train.steps=3", "train.d_steps=1"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("best") / "run"
    train(load_config("iclevr-wgan-gp", TINY), out=out)
    return out


def test_best_writes_n_images_from_a_larger_pool(run, tmp_path):
    assert main(["sample", str(run), "--n", "40", "--best", "5", "--out", str(tmp_path / "b"),
                 "--device", "cpu"]) == 0
    assert len(list((tmp_path / "b").glob("0*.png"))) == 5


@pytest.mark.parametrize("by", ["discriminator", "evaluator"])
def test_kept_images_score_highest(run, by):
    trained = TrainedRun.open(run)
    cond = torch.zeros(40, 24)
    cond[torch.arange(40), torch.arange(40) % 24] = 1
    images = trained.sample(40, cond)
    evaluator = Evaluator.load(shipped_evaluator_path(True, 32)) if by == "evaluator" else None
    scores = rank_scores(trained, images, cond, by, evaluator)
    keep = best_of(scores, 6)
    assert scores[keep].tolist() == sorted(scores.tolist(), reverse=True)[:6]
    assert scores[keep].min() >= scores.median()


def test_best_larger_than_pool_is_a_user_error(run, tmp_path, capsys):
    assert main(["sample", str(run), "--n", "4", "--best", "9", "--out", str(tmp_path / "x.png"),
                 "--device", "cpu"]) == 2
    assert "--best" in capsys.readouterr().err
