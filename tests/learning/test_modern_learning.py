"""Learning tests for the issue-11 presets on the built-in one-object shapes (24 classes):
each must draw the asked-for class far above chance (1/24), judged by the shipped
evaluator. Figures seen when these were written are beside the thresholds (2-core CPU,
2 threads, seed 0); CPU-sized widths, so each runs in about a minute. (`r3gan` is
not among them: no CPU-sized R3GAN has yet drawn the asked-for class reliably within
minutes; benchmarks/RESULTS.md, "R3GAN on a CPU". Its loss, RpGAN + R1 + R2, has a
learning test on the 25-mode grid in test_toy_learning.py.)
"""

import torch

from gankit.config import load_config
from gankit.data.base import to_uint8
from gankit.metrics.evaluator import Evaluator
from gankit.metrics.shipped import default_evaluator
from gankit.runs.data import build_dataset
from gankit.runs.sampling import generate_batches
from gankit.training import Trainer

CHANCE = 1 / 24
SMALL = ["data.name=shapes-single", "data.labels=class", "data.resolution=32",
         "train.epochs=0", "train.progress=false", "train.tensorboard=false"]


def class_accuracy(preset: str, steps: int, tmp_path, *overrides: str) -> float:
    cfg = load_config(preset, [*SMALL, f"train.steps={steps}", *overrides])
    data = build_dataset(cfg.data)
    trainer = Trainer(cfg, tmp_path, torch.device("cpu"), dataset=data, callbacks=[]).train()
    k = data.num_classes
    classes = torch.arange(20 * k) % k
    fakes = to_uint8(torch.cat(list(generate_batches(trainer.sampler, len(classes),
                                                     torch.eye(k)[classes], seed=1))))
    return Evaluator.load(default_evaluator(data)).accuracy(fakes, classes)


def test_biggan_draws_the_asked_class(tmp_path):
    # shared embedding + hierarchical z into cBN, projection D, SN in G and D, hinge, EMA
    accuracy = class_accuracy("biggan32", 1000, tmp_path, "model.g_width=8",
                              "model.d_width=8", "train.batch_size=32", "train.d_steps=1",
                              "optim.lr_g=5e-4", "optim.lr_d=5e-4", "train.ema=0.99",
                              "train.ema_start=0")
    assert accuracy >= 3 * CHANCE, accuracy  # seen: 0.23


def test_sngan_resnet_draws_the_asked_class(tmp_path):
    # the SNGAN ResNets (residual up/down blocks, SN in D, hinge) with cBN G and a
    # projection D, narrowed to width 16
    accuracy = class_accuracy("sngan32-cpu", 1000, tmp_path, "model.g_width=16",
                              "model.d_width=16", "model.g_cond=cbn",
                              "model.d_cond=projection", "train.batch_size=32",
                              "optim.lr_g=5e-4", "optim.lr_d=5e-4", "train.ema=0.99")
    assert accuracy >= 3 * CHANCE, accuracy  # seen: 0.18


def test_cdcgan_with_diffaugment_still_learns_the_classes(tmp_path):
    # every image D sees goes through colour, translation and cutout; G learns through them
    accuracy = class_accuracy("cdcgan-diffaug", 1500, tmp_path, "model.g_width=32",
                              "model.d_width=32")
    assert accuracy >= 2.5 * CHANCE, accuracy  # seen: 0.21
