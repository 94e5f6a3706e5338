"""Differentiable augmentation of what D sees: DiffAugment and ADA, from kornia ops.

Every op takes a batch of images in [-1, 1] (float, on any device), keeps its autograd
graph (G's gradient flows back through it; R1/R2 differentiate through it) and, like the
papers' code, clamps nothing. Each op is a kornia augmentation: kornia's own where it
computes the papers' formula, else a small :class:`PointOp` (a kornia intensity
augmentation with the papers' formula: kornia's saturation/contrast/hue clamp to [0, 1],
work in HSV or scale about black). Random draws come from torch's global CPU generator,
which checkpoints save, so a resumed run draws the same transforms.

``augment.policy`` names ops or groups, comma-separated:

DiffAugment (Zhao et al., 2020), as its official code:
  ``color``        brightness + U(-0.5, 0.5), saturation × U(0, 2) about the channel mean,
                   contrast × U(0.5, 1.5) about the image mean (three ops)
  ``translation``  integer shift by up to 1/8 of each side, zero (mid-grey) padding
  ``cutout``       a square of half the side set to 0 (mid-grey), inside the image

ADA (Karras et al., 2020): group ``geometric`` = ``flip, rotate90, int-translate`` (ADA's
"blit") + ``scale, rotate, aniso, frac-translate`` ("geom"), reflection padding; group
``color-ada`` = ``brightness, contrast, lumaflip, hue, saturation``. Both together are ADA's
"bgc". kornia draws uniformly, so where ADA draws from a normal (log-normal) law the draw
here is uniform (log-uniform) with ADA's standard deviation. ``aniso`` scales x and y
independently (ADA: x by s and y by 1/s). The bilinear ops (scale, rotate, aniso,
frac-translate) in a row are composed into one warp, as ADA does, so an image is resampled
once; the blit ops move whole pixels (nearest).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import kornia.augmentation as K
import torch
from kornia.augmentation import random_generator as rg
from kornia.geometry.transform import warp_affine
from torch import nn

from gankit.config import AugmentConfig
from gankit.errors import GankitError
from gankit.models.base import DataSpec
from gankit.registry import Registry

#: one augmentation step: a kornia op and the share of ``p`` it gets (a flip, like ADA's,
#: fires on half of the samples the op is enabled for)
Step = tuple[nn.Module, float]

OPS: Registry[Callable[[], list[Step]]] = Registry("augment.policy op")

GROUPS: dict[str, tuple[str, ...]] = {
    "geometric": ("flip", "rotate90", "int-translate", "scale", "rotate", "aniso",
                  "frac-translate"),
    "color-ada": ("brightness", "contrast", "lumaflip", "hue", "saturation"),
}

#: what ``augment.policy=auto`` means for each method
AUTO_POLICY = {"diffaugment": "color,translation,cutout", "ada": "geometric,color-ada"}

_SQRT3 = math.sqrt(3)  # a uniform law on ±σ√3 has standard deviation σ


class PointOp(K.IntensityAugmentationBase2D):
    """A pixel-wise kornia augmentation from a formula ``fn(x, factor)``.

    ``factor`` ([N, 1, 1, 1]) is drawn per sample uniformly from ``[low, high]`` (with
    ``log2``: its log2 is); ``low=None`` draws nothing (``factor`` is None).
    """

    def __init__(self, fn: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor],
                 low: float | None = None, high: float | None = None, log2: bool = False):
        super().__init__(p=1.0)
        self.fn, self.log2 = fn, log2
        if low is not None:
            self._param_generator = rg.PlainUniformGenerator(
                (torch.tensor([low, high]), "factor", None, None))

    def apply_transform(self, input: torch.Tensor, params: dict, flags: dict,
                        transform: torch.Tensor | None = None) -> torch.Tensor:
        factor = params.get("factor")
        if factor is not None:
            factor = factor.to(input.device, input.dtype).view(-1, 1, 1, 1)
            factor = 2 ** factor if self.log2 else factor
        return self.fn(input, factor)


def _channel_mean(x: torch.Tensor) -> torch.Tensor:
    """Projection on the luma axis (1, 1, 1)/√3 (ADA's, and DiffAugment's saturation)."""
    return x.mean(dim=1, keepdim=True)


def _saturation(x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    mean = _channel_mean(x)
    return mean + (x - mean) * s


def _contrast_about_mean(x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return mean + (x - mean) * c


def _lumaflip(x: torch.Tensor, _: None) -> torch.Tensor:
    """Reflection through the plane orthogonal to the luma axis (x → -x for grey images)."""
    return x - 2 * _channel_mean(x)


def _hue(x: torch.Tensor, turns: torch.Tensor) -> torch.Tensor:
    """Rotation of RGB about the luma axis by ``turns`` × 2π (Rodrigues); others unchanged."""
    if x.shape[1] != 3:
        return x
    angle = 2 * math.pi * turns
    r, g, b = x.unbind(1)
    cross = torch.stack((g - b, b - r, r - g), dim=1) / _SQRT3
    return (x * angle.cos() + cross * angle.sin()
            + _channel_mean(x) * (1 - angle.cos()))


def _affine(resample: str = "bilinear", **kwargs) -> nn.Module:
    """An ADA geometric op: an affine warp with reflection padding. Consecutive bilinear ones
    are ``fused``: their matrices are multiplied and the images resampled once (as ADA)."""
    op = K.RandomAffine(**{"degrees": 0.0, "padding_mode": "reflection", "p": 1.0, **kwargs},
                        resample=resample)
    op.fused = resample == "bilinear"
    return op


# DiffAugment (official ranges on [-1, 1] images)
OPS.register("color", "DiffAugment: brightness ±0.5, saturation ×[0, 2], contrast ×[0.5, 1.5]")(
    lambda: [(K.RandomBrightness((0.5, 1.5), clip_output=False, p=1.0), 1.0),
             (PointOp(_saturation, 0.0, 2.0), 1.0),
             (PointOp(_contrast_about_mean, 0.5, 1.5), 1.0)])
OPS.register("translation", "DiffAugment: integer shift ≤ 1/8 of the side, zero padding")(
    lambda: [(K.RandomTranslate((-0.125, 0.125), (-0.125, 0.125), resample="nearest", p=1.0),
              1.0)])
OPS.register("cutout", "DiffAugment: a square of half the side set to 0")(
    lambda: [(K.RandomErasing(scale=(0.25, 0.25), ratio=(1.0, 1.0), value=0.0, p=1.0), 1.0)])
# ADA geometric ("blit" and "geom"; σ: translations 0.125 of the side, log2 scales 0.2)
OPS.register("flip", "ADA: x-flip")(lambda: [(K.RandomHorizontalFlip(p=1.0), 0.5)])
OPS.register("rotate90", "ADA: rotation by a multiple of 90°")(
    lambda: [(K.RandomRotation90((-1.5, 2.5), resample="nearest", p=1.0), 1.0)])
OPS.register("int-translate", "ADA: integer translation, σ = 0.125 of the side")(
    lambda: [(_affine(translate=(0.125 * _SQRT3,) * 2, resample="nearest"), 1.0)])
OPS.register("scale", "ADA: isotropic scaling, log2 σ = 0.2")(
    lambda: [(_affine(scale=(2 ** (-0.2 * _SQRT3), 2 ** (0.2 * _SQRT3))), 1.0)])
OPS.register("rotate", "ADA: arbitrary rotation")(lambda: [(_affine(degrees=180.0), 1.0)])
OPS.register("aniso", "ADA-like anisotropic scaling (x and y independent), log2 σ = 0.2")(
    lambda: [(_affine(scale=(2 ** (-0.2 * _SQRT3), 2 ** (0.2 * _SQRT3)) * 2), 1.0)])
OPS.register("frac-translate", "ADA: fractional translation, σ = 0.125 of the side")(
    lambda: [(_affine(translate=(0.125 * _SQRT3,) * 2), 1.0)])
# ADA colour (σ: brightness 0.2, log2 contrast 0.5, log2 saturation 1; hue: any angle)
OPS.register("brightness", "ADA: brightness offset, σ = 0.2")(
    lambda: [(K.RandomBrightness((1 - 0.2 * _SQRT3, 1 + 0.2 * _SQRT3), clip_output=False,
                                 p=1.0), 1.0)])
OPS.register("contrast", "ADA: contrast about mid-grey, log2 σ = 0.5")(
    lambda: [(PointOp(lambda x, c: x * c, -0.5 * _SQRT3, 0.5 * _SQRT3, log2=True), 1.0)])
OPS.register("lumaflip", "ADA: luma flip")(lambda: [(PointOp(_lumaflip), 0.5)])
OPS.register("hue", "ADA: hue rotation about the luma axis, any angle")(
    lambda: [(PointOp(_hue, -0.5, 0.5), 1.0)])
OPS.register("saturation", "ADA: saturation about the luma axis, log2 σ = 1")(
    lambda: [(PointOp(_saturation, -_SQRT3, _SQRT3, log2=True), 1.0)])


def _warp(images: torch.Tensor, matrix: torch.Tensor | None) -> torch.Tensor:
    """``images`` under the fused warps' product ``matrix`` (None: unchanged)."""
    if matrix is None:
        return images
    return warp_affine(images, matrix[:, :2].to(images), images.shape[-2:], mode="bilinear",
                       padding_mode="reflection", align_corners=False)


def policy_ops(policy: str, method: str = "diffaugment") -> list[str]:
    """The op names ``policy`` stands for (groups expanded, ``auto``: ``method``'s own)."""
    if policy.strip() == "auto":
        policy = AUTO_POLICY[method]
    names = [name.strip() for name in policy.split(",") if name.strip()]
    unknown = [name for name in names if name not in OPS and name not in GROUPS]
    if unknown or not names:
        what = f"unknown op {unknown[0]!r}" if unknown else "no op"
        raise GankitError(f"augment.policy {policy!r} has {what}; choose ops from: auto, "
                          f"{', '.join(sorted(GROUPS))}, {', '.join(OPS.names())}")
    return [op for name in names for op in GROUPS.get(name, (name,))]


class Augmentation:
    """A policy's ops (names or groups), applied in order, each to a fraction ``p`` of the
    samples.

    ``augment(x)`` draws fresh transforms; ``augment.repeat(y)`` applies the very transforms
    of the last call to ``y`` (same batch size); ``augment.pair(x, y)`` does both.
    """

    def __init__(self, ops: list[str], p: float):
        self.ops = [op for name in ops for op in GROUPS.get(name, (name,))]
        self.steps: list[Step] = [step for name in self.ops for step in OPS.get(name)()]
        self._last: list[nn.Module] = []
        self.p = p

    @property
    def p(self) -> float:
        """The probability that each op is applied to a sample."""
        return self._p

    @p.setter
    def p(self, value: float) -> None:
        self._p = float(value)
        for op, share in self.steps:
            op.p = self._p * share  # kornia reads its ``p`` on every call

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        self._last = [op for op, _ in self.steps if op.p > 0]  # p = 0: no draw, no work
        return self._apply(images, replay=False)

    def repeat(self, images: torch.Tensor) -> torch.Tensor:
        """``images`` under the same transforms as the last call drew."""
        return self._apply(images, replay=True)

    def _apply(self, images: torch.Tensor, replay: bool) -> torch.Tensor:
        matrix = None  # the product of the fused warps met since the last resampling
        for op in self._last:
            params = op._params if replay else op.forward_parameters(images.shape)
            if getattr(op, "fused", False):
                op._params = params
                step = op.generate_transformation_matrix(images, params, op.flags)
                matrix = step if matrix is None else step @ matrix
                continue
            images = op(_warp(images, matrix), params=params)
            matrix = None
        return _warp(images, matrix)

    def pair(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``a`` and ``b`` under one draw of transforms (sample i of each alike)."""
        return self(a), self.repeat(b)

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass

    def __repr__(self) -> str:
        return f"{type(self).__name__}(ops={','.join(self.ops)}, p={self.p:g})"


class DiffAugment(Augmentation):
    """DiffAugment (Zhao et al., 2020): every op on a fraction ``p`` of the samples (the
    paper: p = 1); ``p`` is a setting, so a checkpoint does not hold it."""


def build_augment(cfg: AugmentConfig, spec: DataSpec, device: torch.device,
                  paired: bool | None = None):
    """The augmentation ``cfg.name`` asks for (None for ``none``).

    ``paired``: whether a source image is paired with each target (image-to-image, which
    augmentation does not fit); None: whenever the data has source images. CycleGAN's two
    unpaired domains pass False.

    Raises:
        GankitError: an unknown name or op, or data that is not unpaired images.
    """
    if cfg.name == "none":
        return None
    if cfg.name not in AUTO_POLICY:
        raise GankitError(f"unknown augment.name {cfg.name!r}; choose one of: none, "
                          f"{', '.join(sorted(AUTO_POLICY))}")
    if spec.kind != "image":
        raise GankitError(f"augment.name={cfg.name} augments images, and this data is "
                          f"{spec.kind}; set augment.name=none")
    if paired is None:
        paired = spec.source_channels > 0
    if paired:
        raise GankitError(f"augment.name={cfg.name}: augmentation applies to unpaired GANs, "
                          "and this data pairs source and target images; set augment.name=none")
    ops = policy_ops(cfg.policy, cfg.name)
    if cfg.name == "diffaugment":
        return DiffAugment(ops, cfg.p)
    from gankit.training.ada import AdaptiveAugment
    return AdaptiveAugment(ops, cfg.ada_start, cfg.target, cfg.speed_images, cfg.interval,
                           device)
