"""The auxiliary classifier's modes (ACGAN, TAC-GAN, ADC-GAN) against hand computations."""

import pytest
import torch
import torch.nn.functional as F

from gankit.config import LossConfig, ModelConfig
from gankit.data.base import Batch
from gankit.errors import GankitError
from gankit.losses import GANObjective
from gankit.losses.auxiliary import needs_twin
from gankit.models import DataSpec, build_discriminator, build_generator

MODEL = ModelConfig(g_width=8, d_width=8, g_cond="cbn", aux_classifier=True, d_norm="layer")


def _setup(mode: str, multi: bool = False, **loss):
    torch.manual_seed(0)
    spec = DataSpec("image", 3, 16, num_classes=4, multi_label=multi)
    loss = LossConfig(aux_weight=0.7, aux_mode=mode, **loss)
    G = build_generator(MODEL, spec).eval()
    D = build_discriminator(MODEL, spec, needs_twin(loss, MODEL, multi)).eval()
    cond = F.one_hot(torch.tensor([0, 1, 2, 3, 1]), 4).float()
    if multi:
        cond[0, 2] = 1
    batch = Batch(torch.rand(5, 3, 16, 16) * 2 - 1, cond)
    return G, D, batch, GANObjective(loss, multi, torch.Generator().manual_seed(5))


def _phases(G, D, batch, objective):
    """D's loss and G's loss (on the fakes D's phase made), and D's outputs they read."""
    d_loss, d_stats = objective.d_loss(G, D, batch)
    fake = G(G.sample_z(5, generator=torch.Generator().manual_seed(5)), batch.cond)
    real_out, fake_out = D(batch.x, batch.cond), D(fake, batch.cond)
    g_loss, g_stats = objective.g_loss(G, D, batch, fake)
    adv_d = F.softplus(-real_out.score).mean() + F.softplus(fake_out.score).mean()
    adv_g = F.softplus(-fake_out.score).mean()
    return (d_loss - adv_d, d_stats), (g_loss - adv_g, g_stats), real_out, fake_out


@pytest.mark.parametrize("multi, twin_weight", [(False, 1.0), (True, 1.0), (False, 0.3)])
def test_tac_adds_a_twin_classifier_of_fakes_that_g_works_against(multi, twin_weight):
    G, D, batch, objective = _setup("tac", multi, twin_weight=twin_weight)
    (d_aux, d_stats), (g_aux, _), real, fake = _phases(G, D, batch, objective)

    def ce(logits):  # multi-label: BCE summed over the objects, averaged over the images
        if multi:
            return F.binary_cross_entropy_with_logits(logits, batch.cond,
                                                      reduction="none").sum(1).mean()
        return F.cross_entropy(logits, batch.cond.argmax(1))

    assert fake.twin.shape == fake.aux.shape == (5, 4)
    expect_d = ce(real.aux) + ce(fake.twin)
    torch.testing.assert_close(d_aux, 0.7 * expect_d, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(d_stats["loss_d_aux"], expect_d, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(g_aux, 0.7 * (ce(fake.aux) - twin_weight * ce(fake.twin)),
                               rtol=1e-5, atol=1e-6)


def test_adc_is_one_2k_way_classifier_of_class_and_realness():
    G, D, batch, objective = _setup("adc")
    (d_aux, _), (g_aux, _), real, fake = _phases(G, D, batch, objective)
    y = batch.cond.argmax(1)
    joint_real = torch.cat([real.aux, real.twin], 1)
    joint_fake = torch.cat([fake.aux, fake.twin], 1)
    expect_d = F.cross_entropy(joint_real, y) + F.cross_entropy(joint_fake, y + 4)
    torch.testing.assert_close(d_aux, 0.7 * expect_d, rtol=1e-5, atol=1e-6)
    # G's term, log C(fake of y | x) - log C(real of y | x), is a difference of logits
    rows = torch.arange(5)
    expect_g = (joint_fake[rows, y + 4] - joint_fake[rows, y]).mean()
    torch.testing.assert_close(g_aux, 0.7 * expect_g, rtol=1e-4, atol=1e-5)


def test_acgan_mode_has_no_twin_and_keeps_its_loss():
    G, D, batch, objective = _setup("acgan")
    (d_aux, _), (g_aux, _), real, fake = _phases(G, D, batch, objective)
    assert fake.twin is None and D.heads.twin is None
    y = batch.cond.argmax(1)
    torch.testing.assert_close(d_aux, 0.7 * F.cross_entropy(real.aux, y), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(g_aux, 0.7 * F.cross_entropy(fake.aux, y), rtol=1e-5, atol=1e-6)


def test_modes_that_do_not_fit_the_model_or_data_are_user_errors():
    with pytest.raises(GankitError, match="model.aux_classifier=true"):
        needs_twin(LossConfig(aux_mode="tac"), ModelConfig(), False)
    with pytest.raises(GankitError, match="set it to 0"):
        needs_twin(LossConfig(aux_mode="adc", aux_fake_weight=1.0), MODEL, False)
    with pytest.raises(GankitError, match="needs loss.aux_mode=tac, not acgan"):
        needs_twin(LossConfig(twin_weight=0.5), MODEL, False)
    with pytest.raises(GankitError, match="use loss.aux_mode=tac"):
        needs_twin(LossConfig(aux_mode="adc"), MODEL, True)
    with pytest.raises(GankitError, match="unknown auxiliary classifier mode 'tak'"):
        needs_twin(LossConfig(aux_mode="tak"), MODEL, False)
    with pytest.raises(GankitError, match="configurable heads"):
        build_discriminator(ModelConfig(discriminator="patchgan"),
                            DataSpec("image", 3, 32, source_channels=3), twin_classifier=True)
    assert needs_twin(LossConfig(), ModelConfig(), False) is False
