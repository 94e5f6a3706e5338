"""How D's auxiliary classifier is trained and how it steers G (``loss.aux_mode``).

ACGAN's classifier, trained on real images, rewards G for fakes far from every class
boundary, so G can shrink each class to its easiest image: per-class collapse, which
the built-in shapes showed in one class of 24 in about half the seeds. Two published
fixes give D a second, "twin" set of K logits that learns the classes of the fakes:

- ``tac`` (Gong et al. 2019, TAC-GAN): the twin is a classifier of fakes; G also
  *raises* its cross-entropy, which cancels the bias towards easy samples.
- ``adc`` (Hou et al. 2022, ADC-GAN): the two sets of logits form one 2K-way
  classifier of (class, real or fake); G moves its fakes from "fake of class y"
  towards "real of class y".
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gankit.config import LossConfig, ModelConfig
from gankit.errors import GankitError
from gankit.losses.regularizers import classification_loss
from gankit.models.base import DOutput
from gankit.registry import Registry


class AuxMode:
    """One way to train an auxiliary classifier (ACGAN's, by default).

    ``twin``: whether D needs a second set of K logits
    (:meth:`~gankit.models.heads.DiscriminatorHeads.add_twin_head`); ``multi_label``:
    whether the mode applies to multi-hot conditions.
    """

    twin = False
    multi_label = True

    def d_loss(self, real: DOutput, fake: DOutput, cond: torch.Tensor, multi: bool,
               cfg: LossConfig) -> torch.Tensor:
        """D's classification loss on a real batch and its fakes (same conditions);
        ``cfg.aux_fake_weight``: ACGAN's term on the fakes' labels (0: real images only)."""
        loss = classification_loss(real.aux, cond, multi)
        if cfg.aux_fake_weight > 0:
            loss = loss + cfg.aux_fake_weight * classification_loss(fake.aux, cond, multi)
        return loss

    def g_loss(self, fake: DOutput, cond: torch.Tensor, multi: bool,
               cfg: LossConfig) -> torch.Tensor:
        """G's classification loss on its fakes."""
        return classification_loss(fake.aux, cond, multi)


class TwinClassifier(AuxMode):
    """TAC-GAN: the twin learns the fakes' classes and G raises its cross-entropy,
    weighted by ``loss.twin_weight`` (1 in the paper) relative to the classifier's."""

    twin = True

    def d_loss(self, real, fake, cond, multi, cfg):
        return (super().d_loss(real, fake, cond, multi, cfg)
                + classification_loss(fake.twin, cond, multi))

    def g_loss(self, fake, cond, multi, cfg):
        return (super().g_loss(fake, cond, multi, cfg)
                - cfg.twin_weight * classification_loss(fake.twin, cond, multi))


class DiscriminativeClassifier(AuxMode):
    """ADC-GAN: one 2K-way classifier, K logits for "real image of class k" then K for
    "fake of class k"; G's term is the difference of its fakes' two cross-entropies."""

    twin = True
    multi_label = False

    def d_loss(self, real, fake, cond, multi, cfg):
        y = cond.argmax(dim=1)
        return (F.cross_entropy(_joint(real), y)
                + F.cross_entropy(_joint(fake), y + cond.shape[1]))

    def g_loss(self, fake, cond, multi, cfg):
        y, joint = cond.argmax(dim=1), _joint(fake)
        return F.cross_entropy(joint, y) - F.cross_entropy(joint, y + cond.shape[1])


def needs_twin(cfg: LossConfig, model: ModelConfig, multi_label: bool) -> bool:
    """Whether D needs the twin logits for ``cfg.aux_mode``.

    Raises:
        GankitError: the mode does not fit the model or the data.
    """
    mode = AUX_MODES.get(cfg.aux_mode)
    if cfg.aux_mode != "acgan" and not model.aux_classifier:
        raise GankitError(f"loss.aux_mode={cfg.aux_mode} trains an auxiliary classifier; "
                          "set model.aux_classifier=true")
    if mode.twin and cfg.aux_fake_weight > 0:
        raise GankitError(f"loss.aux_fake_weight is ACGAN's term on fakes, which "
                          f"loss.aux_mode={cfg.aux_mode} replaces; set it to 0")
    if cfg.twin_weight != 1 and cfg.aux_mode != "tac":
        raise GankitError(f"loss.twin_weight weighs TAC-GAN's twin classifier; it needs "
                          f"loss.aux_mode=tac, not {cfg.aux_mode}")
    if multi_label and not mode.multi_label:
        raise GankitError(f"loss.aux_mode={cfg.aux_mode} needs class labels, not "
                          "multi-label conditions; use loss.aux_mode=tac")
    return mode.twin and model.aux_classifier


def _joint(out: DOutput) -> torch.Tensor:
    return torch.cat([out.aux, out.twin], dim=1).float()


AUX_MODES: Registry[AuxMode] = Registry("auxiliary classifier mode")
AUX_MODES.register("acgan", "a K-way classifier of real images (Odena et al. 2017)")(AuxMode())
AUX_MODES.register("tac", "plus a twin classifier of fakes that G fools (Gong et al. "
                   "2019)")(TwinClassifier())
AUX_MODES.register("adc", "a 2K-way classifier of class and realness (Hou et al. 2022; "
                   "class labels)")(DiscriminativeClassifier())
