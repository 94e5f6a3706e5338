"""Trained runs: checkpoints, and everything done with a trained generator — sampling,
grids, ranking, translation and evaluation. Nothing here imports the trainer."""

from gankit.runs.checkpoint import find_checkpoint, load_checkpoint, save_checkpoint
from gankit.runs.trained import TrainedRun

__all__ = ["TrainedRun", "find_checkpoint", "load_checkpoint", "save_checkpoint"]
