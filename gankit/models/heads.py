"""The output end of a discriminator: realness score, projection term, ACGAN head."""

from __future__ import annotations

import torch
from torch import nn

from gankit.errors import GankitError
from gankit.models.base import DOutput
from gankit.models.conditioning import ProjectionHead


class DiscriminatorHeads(nn.Module):
    """Maps flat features ``[N, F]`` (and the condition) to a :class:`DOutput`.

    Args:
        features: F.
        num_classes: K (0 for unconditional).
        projection: add ``<embed(y), phi>`` to the score.
        aux_classifier: add an auxiliary K-way classifier (ACGAN).
    """

    def __init__(self, features: int, num_classes: int = 0, projection: bool = False,
                 aux_classifier: bool = False):
        super().__init__()
        self.score = nn.Linear(features, 1)
        self.projection = ProjectionHead(num_classes, features) if projection else None
        self.aux = nn.Linear(features, num_classes) if aux_classifier else None
        self.info: nn.Linear | None = None
        self.twin: nn.Linear | None = None
        if (projection or aux_classifier) and num_classes <= 0:
            raise GankitError("a projection or auxiliary-classifier discriminator needs "
                              "labelled data; set data.labels to class or multi")

    def forward(self, phi: torch.Tensor, cond: torch.Tensor | None) -> DOutput:
        score = self.score(phi).squeeze(1)
        if self.projection is not None:
            if cond is None:
                raise ValueError("projection discriminator needs the condition")
            score = score + self.projection(phi, cond)
        aux = self.aux(phi) if self.aux is not None else None
        info = self.info(phi) if self.info is not None else None
        twin = self.twin(phi) if self.twin is not None else None
        return DOutput(score, aux, info, twin)

    def add_code_head(self, codes: int) -> None:
        """Add InfoGAN's head ``Q(c | x)``: logits of a ``codes``-way latent code."""
        self.info = nn.Linear(self.score.in_features, codes)

    def add_twin_head(self) -> None:
        """Add a second K logits beside the auxiliary classifier's (TAC-GAN's twin
        classifier, ADC-GAN's "fake of class k"; see :mod:`gankit.losses.auxiliary`)."""
        if self.aux is None:
            raise GankitError("loss.aux_mode tac / adc train an auxiliary classifier; set "
                              "model.aux_classifier=true")
        self.twin = nn.Linear(self.aux.in_features, self.aux.out_features)
