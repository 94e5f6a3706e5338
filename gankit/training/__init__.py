"""The training library: loop, callbacks, EMA, optimisers, collapse monitor."""

from gankit.training.loop import Trainer, total_steps
from gankit.training.run import train

__all__ = ["Trainer", "total_steps", "train"]
