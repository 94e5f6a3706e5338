"""How a condition vector enters a network, chosen by name.

A condition is a float ``[N, K]``: one-hot for a class, multi-hot for multi-label
data. ``cond @ embedding.weight`` is an ``nn.Embedding`` lookup for one-hot rows and
the sum of the objects' embeddings for multi-hot rows, so every mechanism below works
for both without a special case.

Generator side (:data:`LATENT_CONDITIONING`): the encoded condition is concatenated
to z, or (``cbn``) it sets the gain and bias of every normalisation layer of G
(class-conditional BatchNorm: de Vries et al., 2017; Miyato & Koyama, 2018; BigGAN), so
the class shapes every layer rather than only the first, or (``slots``) each object of
the condition is encoded with z on its own (:mod:`gankit.models.object_slots`), which
binds a multi-label scene's colours and shapes to their objects. Discriminator side
(:data:`INPUT_CONDITIONING`): the condition becomes extra input channels (or features,
for flat inputs). ``projection`` adds
``<embed(y), phi(x)>`` to the score (Miyato & Koyama, 2018).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from gankit.errors import GankitError
from gankit.models.object_slots import ObjectSlots
from gankit.registry import Registry


class LabelEmbedding(nn.Module):
    """``nn.Embedding`` applied to one-hot or multi-hot rows (weighted sum of rows).

    ``std`` is the scale of the initial rows: 1 where the code joins z or the image's
    pixels (unit-scale inputs), small where it is a weight beside other small weights.
    """

    def __init__(self, num_classes: int, dim: int, std: float = 1.0):
        super().__init__()
        self.embedding = nn.Embedding(num_classes, dim)
        self.std = std
        self.reset_condition_parameters()

    def reset_condition_parameters(self) -> None:
        nn.init.normal_(self.embedding.weight, 0.0, self.std)

    def forward(self, cond: torch.Tensor) -> torch.Tensor:
        return cond @ self.embedding.weight


class UnitLinear(nn.Linear):
    """A linear map of the condition whose outputs start at unit scale, like the pixels
    or latents they join (a DCGAN-style N(0, 0.02) init would make them invisible)."""

    def reset_condition_parameters(self) -> None:
        nn.init.normal_(self.weight, 0.0, 1.0)
        nn.init.zeros_(self.bias)


def reset_condition_parameters(module: nn.Module) -> None:
    """Give every conditioning layer inside ``module`` its own initial scale again (call
    after a whole-network init such as :func:`~gankit.models.base.init_dcgan_weights`)."""
    for m in module.modules():
        if hasattr(m, "reset_condition_parameters"):
            m.reset_condition_parameters()


# ------------------------------------------------------------------ generator side

LatentBuilder = Callable[[int, int, int], tuple[nn.Module | None, int]]
LATENT_CONDITIONING: Registry[LatentBuilder] = Registry("generator conditioning")


@LATENT_CONDITIONING.register("none")
def _latent_none(num_classes: int, embed_dim: int, z_dim: int):
    """unconditional"""
    return None, 0


@LATENT_CONDITIONING.register("onehot")
def _latent_onehot(num_classes: int, embed_dim: int, z_dim: int):
    """one-hot / multi-hot vector concatenated to z"""
    return nn.Identity(), num_classes


@LATENT_CONDITIONING.register("embedding")
def _latent_embedding(num_classes: int, embed_dim: int, z_dim: int):
    """learned label embedding concatenated to z"""
    return LabelEmbedding(num_classes, embed_dim), embed_dim


@LATENT_CONDITIONING.register("cbn")
def _latent_cbn(num_classes: int, embed_dim: int, z_dim: int):
    """class-conditional BatchNorm: the condition sets every G norm's gain and bias"""
    return None, 0


@LATENT_CONDITIONING.register("slots")
def _latent_slots(num_classes: int, embed_dim: int, z_dim: int):
    """one slot per object: each object's embedding with z through an MLP, summed"""
    slots = ObjectSlots(num_classes, embed_dim, z_dim)
    return slots, slots.out_dim


#: generator conditionings that act through G's normalisation layers
NORM_CONDITIONING = ("cbn",)


class LatentConditioner(nn.Module):
    """Concatenates the encoded condition to the latent vector, or (``cbn``) makes the
    generator's norms conditional through :meth:`norm`. An encoder with
    ``reads_latent`` (``slots``) encodes the condition together with z."""

    def __init__(self, kind: str, num_classes: int, embed_dim: int, z_dim: int):
        super().__init__()
        if kind != "none" and num_classes <= 0:
            raise GankitError(f"model.g_cond={kind!r} needs labelled data; "
                              "set data.labels to class or multi")
        self.encoder, self.extra_dim = LATENT_CONDITIONING.get(kind)(num_classes, embed_dim,
                                                                     z_dim)
        self.in_norms = kind in NORM_CONDITIONING
        self.num_classes = num_classes

    def norm(self, norm: nn.Module, channels: int) -> nn.Module:
        """``norm`` as the generator should use it: made class-conditional when the
        conditioning acts through the norms."""
        return ConditionalNorm(norm, channels, self.num_classes) if self.in_norms else norm

    def forward(self, z: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        if cond is None and (self.in_norms or self.encoder is not None):
            raise ValueError("this generator is conditional: pass a condition")
        if self.encoder is None:
            return z
        cond = cond.to(z.dtype)
        reads_latent = getattr(self.encoder, "reads_latent", False)
        code = self.encoder(cond, z) if reads_latent else self.encoder(cond)
        return torch.cat([z, code], dim=1)


class ConditionalNorm(nn.Module):
    """A normalisation layer whose per-channel gain and bias also depend on the
    condition: ``norm(x) * (1 + gain(c)) + bias(c)``, both linear in the one- or
    multi-hot row ``c`` (a multi-hot row adds its objects' gains)."""

    def __init__(self, norm: nn.Module, channels: int, num_classes: int):
        super().__init__()
        self.norm = norm
        self.gain = nn.Linear(num_classes, channels, bias=False)
        self.bias = nn.Linear(num_classes, channels, bias=False)
        self.reset_condition_parameters()

    def reset_condition_parameters(self) -> None:
        # like DCGAN's norm init, N(1, 0.02) gains and zero biases, here per class
        nn.init.normal_(self.gain.weight, 0.0, 0.02)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        cond = cond.to(x.dtype)
        # -1, not len(x): an exported (ONNX) generator keeps a free batch size
        shape = (-1, x.shape[1]) + (1,) * (x.dim() - 2)
        return (self.norm(x) * (1 + self.gain(cond).view(shape))
                + self.bias(cond).view(shape))


def run_layers(layers: nn.Sequential, h: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
    """Apply ``layers`` in turn, handing the condition to the conditional norms."""
    for layer in layers:
        h = layer(h, cond) if isinstance(layer, ConditionalNorm) else layer(h)
    return h


# ------------------------------------------------------------------ discriminator side

class ConditionMap(nn.Module):
    """Turns a condition into extra input channels ``[N, C', H, W]`` (or features)."""

    def __init__(self, encoder: nn.Module, channels: int, broadcast: bool):
        super().__init__()
        self.encoder = encoder
        self.channels = channels
        self.broadcast = broadcast

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        code = self.encoder(cond.to(x.dtype))
        if x.dim() == 2:
            return torch.cat([x, code], dim=1)
        n, _, h, w = x.shape
        if self.broadcast:
            maps = code[:, :, None, None].expand(n, code.shape[1], h, w)
        else:
            maps = code.view(n, self.channels, h, w)
        return torch.cat([x, maps], dim=1)


InputBuilder = Callable[[int, int, int, bool], ConditionMap | None]
INPUT_CONDITIONING: Registry[InputBuilder] = Registry("discriminator conditioning")


@INPUT_CONDITIONING.register("none")
def _input_none(num_classes, embed_dim, resolution, flat):
    """unconditional (or projection / ACGAN head only)"""
    return None


INPUT_CONDITIONING.register("projection", "projection discriminator")(_input_none)


@INPUT_CONDITIONING.register("onehot")
def _input_onehot(num_classes, embed_dim, resolution, flat):
    """one-hot / multi-hot as K constant channels (or K extra features)"""
    return ConditionMap(nn.Identity(), num_classes, broadcast=True)


@INPUT_CONDITIONING.register("embedding")
def _input_embedding(num_classes, embed_dim, resolution, flat):
    """label embedding as constant channels (or extra features)"""
    return ConditionMap(LabelEmbedding(num_classes, embed_dim), embed_dim, broadcast=True)


@INPUT_CONDITIONING.register("channel")
def _input_channel(num_classes, embed_dim, resolution, flat):
    """linear map of the condition reshaped to one extra H×W channel"""
    if flat:
        return _input_embedding(num_classes, embed_dim, resolution, flat)
    return ConditionMap(UnitLinear(num_classes, resolution * resolution), 1, broadcast=False)


def input_conditioner(kind: str, num_classes: int, embed_dim: int, resolution: int,
                      flat: bool = False) -> tuple[ConditionMap | None, int]:
    """The D-side conditioner and how many channels/features it adds."""
    if kind != "none" and num_classes <= 0:
        raise GankitError(f"model.d_cond={kind!r} needs labelled data; "
                          "set data.labels to class or multi")
    module = INPUT_CONDITIONING.get(kind)(num_classes, embed_dim, resolution, flat)
    return module, (module.channels if module is not None else 0)


class ProjectionHead(nn.Module):
    """``<embed(y), phi(x)>``: the class-dependent part of a projection D's score.

    The embedding starts at the scale of the score layer's weights (N(0, 0.02)): a unit
    embedding over hundreds of features would drown the unconditional score in a random
    class term that Adam's small steps barely move.
    """

    def __init__(self, num_classes: int, features: int):
        super().__init__()
        self.embed = LabelEmbedding(num_classes, features, std=0.02)

    def forward(self, phi: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return (self.embed(cond.to(phi.dtype)) * phi).sum(dim=1)
