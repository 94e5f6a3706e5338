"""The training library: loop, callbacks, checkpoints, EMA, optimisers."""

from gankit.training.checkpoint import find_checkpoint, load_checkpoint, save_checkpoint
from gankit.training.loop import Trainer, total_steps
from gankit.training.run import train
from gankit.training.setup import build_dataset, generator_from_checkpoint, pick_device

__all__ = ["Trainer", "build_dataset", "find_checkpoint", "generator_from_checkpoint",
           "load_checkpoint", "pick_device", "save_checkpoint", "total_steps", "train"]
