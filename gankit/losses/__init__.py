"""Adversarial losses, regularisers and the objective that composes them."""

from gankit.losses.adversarial import ADVERSARIAL_LOSSES, AdversarialLoss, build_adversarial_loss
from gankit.losses.cycle import CycleObjective  # noqa: F401  (registers "cycle")
from gankit.losses.objective import OBJECTIVES, GANObjective, Objective, build_objective
from gankit.losses.regularizers import (RECONSTRUCTION_LOSSES, classification_loss,
                                        clip_weights, gradient_penalty, zero_centred_penalty)

__all__ = ["ADVERSARIAL_LOSSES", "AdversarialLoss", "build_adversarial_loss", "GANObjective",
           "OBJECTIVES", "Objective", "build_objective", "RECONSTRUCTION_LOSSES",
           "classification_loss", "clip_weights", "gradient_penalty", "zero_centred_penalty"]
