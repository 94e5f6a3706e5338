"""TrainedRun: one object for a trained run — open, sample, condition, discriminator."""

import shutil

import pytest
import torch

from gankit.errors import GankitError
from gankit.runs import TrainedRun
from gankit.runs.ranking import best_of, rank_scores


@pytest.fixture(scope="module")
def acgan_run(tiny_run):
    return tiny_run("acgan")


def test_open_a_run_folder_knows_the_run(acgan_run):
    run = TrainedRun.open(acgan_run)
    assert run.run_dir == acgan_run and run.step == 2 and run.conditional
    assert not run.translation and len(run.class_names) == run.spec.num_classes == 24
    assert run.config.preset == "acgan" and not run.generator.training
    counts = run.parameter_counts()
    assert counts["generator"] == sum(p.numel() for p in run.generator.parameters())
    assert counts["discriminator"] > 0


def test_sampling_is_repeatable_and_follows_the_seed(acgan_run):
    run = TrainedRun.open(acgan_run)
    cond = run.class_condition("red cube", 10)
    a, b = run.sample(10, cond, seed=3), run.sample(10, cond, seed=3, batch_size=4)
    assert a.shape == (10, 3, 32, 32) and a.min() >= -1 and a.max() <= 1
    assert torch.allclose(a, b, atol=1e-6)
    assert not torch.allclose(a, run.sample(10, cond, seed=4))


def test_the_ema_and_the_raw_generator_differ(acgan_run):
    ema, raw = TrainedRun.open(acgan_run), TrainedRun.open(acgan_run, use_ema=False)
    cond = ema.default_conditions(4)
    assert not torch.equal(ema.sample(4, cond), raw.sample(4, cond))


def test_conditions_are_checked(acgan_run):
    run = TrainedRun.open(acgan_run)
    with pytest.raises(GankitError, match="conditional"):
        run.sample(4)
    with pytest.raises(GankitError, match="unknown class 'blue dragon'"):
        run.class_condition("blue dragon", 4)
    with pytest.raises(ValueError, match="cond must be"):
        run.sample(4, torch.zeros(4, 5))


def test_a_loose_checkpoint_file_opens_without_its_folder(acgan_run, tmp_path):
    loose = tmp_path / "model.pt"
    shutil.copy(TrainedRun.open(acgan_run).checkpoint, loose)
    run = TrainedRun.open(loose)
    assert run.run_dir is None and run.checkpoint == loose


def test_ranking_by_the_discriminator_puts_the_highest_scores_first(acgan_run):
    run = TrainedRun.open(acgan_run)
    cond = run.default_conditions(24)
    images = run.sample(24, cond)
    scores = rank_scores(run, images, cond)
    assert torch.equal(scores, run.discriminator_scores(images, cond))
    keep = best_of(scores, 5)
    assert scores[keep].tolist() == sorted(scores.tolist(), reverse=True)[:5]


@pytest.mark.parametrize("mode", ["tac", "adc"])
def test_a_discriminator_with_twin_or_coarse_code_heads_reopens(tiny_run, mode):
    run_dir = tiny_run("acgan", f"loss.aux_mode={mode}", "model.latent_codes=4",
                       "model.code_head=coarse", "model.d_cond=projection")
    run = TrainedRun.open(run_dir)
    D = run.discriminator()
    cond = run.class_condition("red cube", 3)
    out = D(run.sample(3, cond, seed=0).to(run.device), cond.to(run.device))
    assert out.aux.shape == out.twin.shape == (3, 24) and out.info.shape == (3, 4)
