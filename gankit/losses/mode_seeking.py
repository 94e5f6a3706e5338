"""Mode seeking (MSGAN; Mao et al., CVPR 2019): G is rewarded for drawing two different
images from two latents under the same condition.

A conditional G can lower its adversarial loss by ignoring z and drawing one good image
per condition. MSGAN makes the G phase's fakes in pairs that share everything the user
controls (the condition and any InfoGAN code) and differ only in the free noise, and
adds to G's loss the inverse of how far apart the pair's images are per unit of distance
between their latents:

    d = mean |G(z1, c) - G(z2, c)| / mean |z1 - z2|,    L_ms = 1 / (d + eps)

Chosen by ``loss.mode_seeking`` (its weight; 0 disables it).

MSGAN's inverse rewards any distance without bound, and a batch's mean distance can
be high while some conditions' pairs are identical. With ``loss.mode_seeking_cap`` τ > 0
the term takes the form of DSGAN (Yang et al., ICLR 2019) instead: the distance ``d_i``
of each pair, capped at τ, rewarded linearly,

    L_ds = -mean_i min(d_i, τ),

so every collapsed pair is pushed apart with the same force and a pair already τ apart
is left alone: set τ near the distance of two real images of one condition (per unit of
latent distance) and G gains nothing from drawing more variety than the data has.
"""

from __future__ import annotations

import torch

from gankit.config import Config
from gankit.errors import GankitError
from gankit.models.base import with_code

#: keeps the inverse finite when a pair draws identical images
EPS = 1e-5


def paired_rows(rows: torch.Tensor | None) -> torch.Tensor | None:
    """``rows`` with its second half replaced by its first: row ``i + n // 2`` repeats
    row ``i``. An odd last row keeps its own value."""
    if rows is None:
        return None
    half = len(rows) // 2
    return torch.cat([rows[:half], rows[:half], rows[2 * half:]])


def paired_latents(z: torch.Tensor, latent_codes: int) -> torch.Tensor:
    """``z`` whose second half carries the first half's InfoGAN code (when the model
    has one), so each pair differs only in its free noise."""
    if not latent_codes:
        return z
    half = len(z) // 2
    codes = z[:half, -latent_codes:].argmax(dim=1)
    second = with_code(z[half:2 * half], codes, latent_codes)
    return torch.cat([z[:half], second, z[2 * half:]])


def _pair_gaps(fake: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each pair's mean |image gap| and mean |latent gap|: row ``i`` against row
    ``i + n // 2``."""
    half = len(fake) // 2
    if half == 0:
        raise ValueError("mode seeking needs at least two fakes")
    image_gap = (fake[:half].float() - fake[half:2 * half].float()).abs().flatten(1).mean(1)
    latent_gap = (z[:half] - z[half:2 * half]).abs().flatten(1).mean(1)
    return image_gap, latent_gap


def mode_seeking_loss(fake: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """MSGAN's term for fakes made from :func:`paired_latents` under
    :func:`paired_rows` conditions: the inverse of the pairs' mean image distance per
    unit of mean latent distance."""
    image_gap, latent_gap = _pair_gaps(fake, z)
    return 1.0 / (image_gap.mean() / latent_gap.mean() + EPS)


def capped_pair_loss(fake: torch.Tensor, z: torch.Tensor, cap: float) -> torch.Tensor:
    """DSGAN's term for the same pairs as :func:`mode_seeking_loss`: minus the mean over
    pairs of each pair's image distance per unit of its latent distance, capped at
    ``cap``."""
    image_gap, latent_gap = _pair_gaps(fake, z)
    return -(image_gap / latent_gap).clamp(max=cap).mean()


def check_mode_seeking(cfg: Config, z_dim: int) -> None:
    """``loss.mode_seeking`` needs a generator with latents (``z_dim``: the built G's),
    one G against one D, and batches of at least two."""
    if cfg.loss.mode_seeking == 0:
        if cfg.loss.mode_seeking_cap > 0:
            raise GankitError("loss.mode_seeking_cap caps the mode-seeking term, which is "
                              "off; set loss.mode_seeking (its weight, e.g. 1) or drop the cap")
        return
    if z_dim == 0:
        raise GankitError("loss.mode_seeking rewards different images from different "
                          "latents, but this generator takes none; use a model with "
                          "model.z_dim > 0 or set loss.mode_seeking=0")
    if cfg.loss.objective != "gan":
        raise GankitError(f"loss.mode_seeking is not supported with loss.objective="
                          f"{cfg.loss.objective}; set loss.mode_seeking=0")
    if cfg.train.batch_size < 2:
        raise GankitError("loss.mode_seeking pairs the fakes of each batch; set "
                          "train.batch_size to 2 or more")
