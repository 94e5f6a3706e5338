"""Adversarial losses, regularisers and the objective that composes them."""

from gankit.losses.adversarial import ADVERSARIAL_LOSSES, AdversarialLoss, build_adversarial_loss
from gankit.losses.objective import GANObjective
from gankit.losses.regularizers import (RECONSTRUCTION_LOSSES, classification_loss,
                                        clip_weights, gradient_penalty, r1_penalty)

__all__ = ["ADVERSARIAL_LOSSES", "AdversarialLoss", "build_adversarial_loss",
           "GANObjective", "RECONSTRUCTION_LOSSES", "classification_loss", "clip_weights",
           "gradient_penalty", "r1_penalty"]
