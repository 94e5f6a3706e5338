"""Learning tests for the issue-11 presets on the built-in one-object shapes (24 classes):
each must draw the asked-for class far above chance (1/24), judged by the shipped
evaluator. Figures seen when these were written are beside the thresholds (2-core CPU,
2 threads, seed 0); CPU-sized widths, so each runs in one to three minutes. R3GAN's loss,
RpGAN + R1 + R2, also has a learning test on the 25-mode grid in test_toy_learning.py.
"""

import pytest
import torch

from gankit.config import load_config
from gankit.data.base import to_uint8
from gankit.metrics.diversity import grouped_pairwise_distance
from gankit.metrics.evaluator import Evaluator
from gankit.metrics.shipped import default_evaluator
from gankit.runs.data import build_dataset
from gankit.runs.sampling import generate_batches
from gankit.training import Trainer

CHANCE = 1 / 24
STEPS_R3GAN = 1500
SMALL = ["data.name=shapes-single", "data.labels=class", "data.resolution=32",
         "train.epochs=0", "train.progress=false", "train.tensorboard=false"]


def judged(preset: str, steps: int, tmp_path, *overrides: str) -> tuple[float, float]:
    """The evaluator's accuracy on 20 fakes of each class, and their spread within each
    class over that of 20 real images of it (mean over classes, evaluator space)."""
    cfg = load_config(preset, [*SMALL, f"train.steps={steps}", *overrides])
    data = build_dataset(cfg.data)
    trainer = Trainer(cfg, tmp_path, torch.device("cpu"), dataset=data, callbacks=[]).train()
    k = data.num_classes
    classes = torch.arange(20 * k) % k
    fakes = to_uint8(torch.cat(list(generate_batches(trainer.sampler, len(classes),
                                                     torch.eye(k)[classes], seed=1))))
    evaluator = Evaluator.load(default_evaluator(data))
    real = torch.cat([torch.nonzero(data.labels == c)[:20, 0] for c in range(k)])
    spread = grouped_pairwise_distance(evaluator.features(fakes), classes, k)
    real_spread = grouped_pairwise_distance(evaluator.features(data.images[real]),
                                            data.labels[real], k)
    return evaluator.accuracy(fakes, classes), float((spread / real_spread).mean())


def class_accuracy(preset: str, steps: int, tmp_path, *overrides: str) -> float:
    return judged(preset, steps, tmp_path, *overrides)[0]


def test_biggan_draws_the_asked_class(tmp_path):
    # shared embedding + hierarchical z into cBN, projection D, SN in G and D, hinge, EMA
    accuracy = class_accuracy("biggan32", 1000, tmp_path, "model.g_width=8",
                              "model.d_width=8", "train.batch_size=32", "train.d_steps=1",
                              "optim.lr_g=5e-4", "optim.lr_d=5e-4", "train.ema=0.99",
                              "train.ema_start=0")
    assert accuracy >= 3 * CHANCE, accuracy  # seen: 0.23


@pytest.mark.parametrize("preset", [
    # the SNGAN ResNets (residual up/down blocks, SN in D, hinge); seen: 0.18
    "sngan32-cpu",
    # the same ResNets without SN, a gradient-penalised critic (λ = 10); seen: 0.23 (0.11 at
    # the preset's own 2e-4 / 4e-4)
    "wgan-gp-cpu",
])
def test_resnet_presets_draw_the_asked_class(preset, tmp_path):
    # one D step, cBN G and a projection D, narrowed to width 16
    accuracy = class_accuracy(preset, 1000, tmp_path, "model.g_width=16",
                              "model.d_width=16", "model.g_cond=cbn",
                              "model.d_cond=projection", "train.batch_size=32",
                              "optim.lr_g=5e-4", "optim.lr_d=5e-4", "train.ema=0.99")
    assert accuracy >= 3 * CHANCE, accuracy


def test_cdcgan_with_diffaugment_still_learns_the_classes(tmp_path):
    # every image D sees goes through colour, translation and cutout; G learns through them
    accuracy = class_accuracy("cdcgan-diffaug", 1500, tmp_path, "model.g_width=32",
                              "model.d_width=32")
    assert accuracy >= 2.5 * CHANCE, accuracy  # seen: 0.21


def test_r3gan_draws_the_asked_class_and_varies(tmp_path):
    # R3GAN's networks (no normalisation, grouped-conv inverted bottlenecks, fix-up init)
    # and loss (RpGAN + R1 + R2), narrowed to width 16 and one block a stage; R3GAN's own
    # conditioning (an embedding beside z, a projection D) plus an auxiliary classifier,
    # which alone made each class one image; MSGAN's term keeps z in use
    accuracy, diversity = judged(
        "r3gan32", STEPS_R3GAN, tmp_path, "model.g_cond=embedding", "model.d_cond=projection",
        "model.g_width=16", "model.d_width=16", "model.options.blocks=1",
        "model.aux_classifier=true", "loss.mode_seeking=1", "train.batch_size=32",
        "optim.lr_g=5e-4", "optim.lr_d=5e-4", "optim.betas=[0.0,0.99]",
        "schedule.shape=linear", "schedule.lr_end=1", "schedule.gamma_end=1",
        "schedule.beta2_end=0.99", "schedule.ema_halflife=0",
        "schedule.ema_halflife_start=null", "train.ema=0.99")
    assert accuracy >= 2.5 * CHANCE, accuracy  # seen: 0.18 (25.7 % at 2,000 steps)
    assert diversity >= 0.7, diversity  # seen: 2.85; without loss.mode_seeking ~0.3
