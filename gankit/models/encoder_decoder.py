"""The reference sketch→image model: ResNet-18 sketch encoder + label → conv decoder.

Generator: torchvision's ResNet-18 (classifier removed) encodes the sketch to a 512-d
code; the one-hot (or multi-hot) label, and optional noise, are concatenated to it; a
stack of 4×4 transposed convolutions (BatchNorm + LeakyReLU 0.2) grows it from 4×4 to
the image resolution, ending in Tanh.

* ImageNet weights are used only when torchvision's file ``resnet18-f37072fd.pth`` is
  already in the torch hub cache (``torch.hub.get_dir()/checkpoints``); nothing is ever
  downloaded. ``encoder.pretrained`` tells which happened, and ``pretrained="auto"``
  warns when it trains from scratch.
* A 1-channel sketch is repeated to 3 channels so the pretrained first convolution
  applies unchanged; inputs in [-1, 1] are mapped to ImageNet's normalisation.

Discriminator: strided 4×4 convolutions down to 4×4, each followed by LeakyReLU 0.2 and
dropout 0.3, then a 4×4 conv to one score per image, ``DOutput(score [N])``. The label
enters as K constant input maps; the sketch is not shown unless ``use_source=True``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

from gankit.errors import GankitError
from gankit.models.base import DataSpec, Discriminator, DOutput, Generator, init_dcgan_weights
from gankit.models.unet import append_label_maps, levels_of
from gankit.safe_load import load_tensors

RESNET18_FILE = "resnet18-f37072fd.pth"
CODE_DIM = 512
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def resnet18_weights_path() -> Path:
    """Where torchvision keeps its ImageNet ResNet-18 weights (never fetched by gankit)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / RESNET18_FILE


class ResNetSketchEncoder(nn.Module):
    """ResNet-18 trunk: ``[N, C, H, W]`` in [-1, 1] → ``[N, 512]``.

    Args:
        in_channels: 1 (repeated to 3) or 3 keep ResNet's first convolution; any other
            count gets a fresh first convolution (and no ImageNet normalisation).
        pretrained: ``"auto"`` (ImageNet weights if the file is cached, else from
            scratch with a warning), ``True`` (require the cached file) or ``False``.

    Attributes:
        pretrained: whether ImageNet weights were loaded.
    """

    def __init__(self, in_channels: int, pretrained: bool | str = "auto"):
        super().__init__()
        choices = {"auto": "auto", True: True, "true": True, False: False, "false": False}
        if not isinstance(pretrained, (bool, str)) or pretrained not in choices:
            raise GankitError(f"pretrained={pretrained!r} is not known; use auto, true or false")
        pretrained = choices[pretrained]
        import torchvision  # ~1 s of imports: only for the networks that use it

        self.net = torchvision.models.resnet18(weights=None)
        self.pretrained = False
        path = resnet18_weights_path()
        if pretrained is True and not path.is_file():
            raise GankitError(f"ImageNet ResNet-18 weights not found at {path}; copy "
                              f"torchvision's {RESNET18_FILE} there or set pretrained=false")
        if pretrained is not False and path.is_file():
            fix = "delete it or set pretrained=false"
            state = load_tensors(path, "torchvision's ResNet-18 weights", fix)
            try:
                self.net.load_state_dict(state)
            except (RuntimeError, TypeError, ValueError) as error:
                raise GankitError(f"{path} is not torchvision's ResNet-18 weights "
                                  f"({str(error).splitlines()[0][:160]}); {fix}") from None
            self.pretrained = True
        elif pretrained == "auto":
            warnings.warn(f"no ImageNet ResNet-18 weights at {path}: the sketch encoder trains "
                          "from scratch (gankit never downloads them)", stacklevel=2)
        self.net.fc = nn.Identity()
        self.in_channels = in_channels
        self.imagenet_input = in_channels in (1, 3)
        if not self.imagenet_input:
            self.net.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.imagenet_input:
            x = x.expand(-1, 3, -1, -1) if self.in_channels == 1 else x
            x = (x.add(1.0).mul(0.5) - self.mean) / self.std
        return self.net(x)


class EncoderDecoderGenerator(Generator):
    """Sketch (+ label, + optional noise) → image ``[N, C, H, W]`` in [-1, 1].

    Args:
        spec: ``channels``, ``resolution`` (power of two >= 8), ``source_channels`` and
            ``num_classes`` (one-hot label concatenated to the code; 0: none).
        width: channels of the last decoder block before the output (64); earlier
            blocks double it up to ``max_width``.
        z_dim: noise concatenated to the code (0: deterministic, like the reference).
        pretrained: see :class:`ResNetSketchEncoder`.
        max_width: channel cap of the decoder.
    """

    def __init__(self, spec: DataSpec, width: int = 64, z_dim: int = 0,
                 pretrained: bool | str = "auto", max_width: int = 512):
        super().__init__()
        ups = levels_of(spec.resolution, "encoder-decoder") - 2  # 4×4 → resolution
        if ups < 1:
            raise GankitError("the encoder-decoder model needs at least 8 px, "
                              f"not {spec.resolution}")
        self.spec = spec
        self.z_dim = z_dim
        self.encoder = ResNetSketchEncoder(spec.source_channels, pretrained)
        widths = [min(width * 2 ** (ups - 1 - i), max_width) for i in range(ups)]
        code = CODE_DIM + spec.num_classes + z_dim
        layers: list[nn.Module] = [nn.ConvTranspose2d(code, widths[0], 4, 1, 0, bias=False),
                                   nn.BatchNorm2d(widths[0]), nn.LeakyReLU(0.2)]
        for before, after in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(before, after, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(after), nn.LeakyReLU(0.2)]
        layers += [nn.ConvTranspose2d(widths[-1], spec.channels, 4, 2, 1), nn.Tanh()]
        self.decoder = nn.Sequential(*layers)
        init_dcgan_weights(self.decoder)  # the encoder keeps torchvision's init or weights

    def forward(self, z: torch.Tensor | None, cond: torch.Tensor | None = None,
                source: torch.Tensor | None = None) -> torch.Tensor:
        if source is None:
            raise ValueError("the encoder-decoder generator draws from a sketch: pass source")
        parts = [self.encoder(source)]
        if self.spec.num_classes:
            if cond is None:
                raise ValueError("this generator is conditional: "
                                 f"pass cond [N, {self.spec.num_classes}]")
            parts.append(cond.to(parts[0].dtype))
        if self.z_dim:
            if z is None:
                raise ValueError(f"this generator takes noise: pass z [N, {self.z_dim}]")
            parts.append(z.to(parts[0].dtype))
        code = torch.cat(parts, dim=1)
        return self.decoder(code[:, :, None, None])


class DropoutConvDiscriminator(Discriminator):
    """Image (+ label maps, + optional sketch) → one logit per image.

    Args:
        spec: ``channels``, ``resolution`` (power of two >= 8), ``num_classes`` and
            ``source_channels``.
        width: channels of the first conv (64), doubled per layer up to ``max_width``.
        dropout: dropout after every hidden conv (0.3).
        use_source: also concatenate the sketch to the input.
        max_width: channel cap.
    """

    def __init__(self, spec: DataSpec, width: int = 64, dropout: float = 0.3,
                 use_source: bool = False, max_width: int = 512):
        super().__init__()
        downs = levels_of(spec.resolution, "encoder-decoder") - 2  # resolution → 4×4
        if downs < 1:
            raise GankitError("the encoder-decoder model needs at least 8 px, "
                              f"not {spec.resolution}")
        if use_source and spec.source_channels <= 0:
            raise GankitError("use_source=true needs paired data with sketches")
        self.spec = spec
        self.use_source = use_source
        channels = spec.channels + spec.num_classes + (spec.source_channels if use_source else 0)
        layers: list[nn.Module] = []
        for i in range(downs):
            out = min(width * 2 ** i, max_width)
            layers += [nn.Conv2d(channels, out, 4, 2, 1), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            channels = out
        layers.append(nn.Conv2d(channels, 1, 4, 1, 0))
        self.net = nn.Sequential(*layers)
        init_dcgan_weights(self)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None,
                source: torch.Tensor | None = None) -> DOutput:
        if self.use_source:
            if source is None:
                raise ValueError("this discriminator also judges the sketch: pass source")
            x = torch.cat([x, source.to(x.dtype)], dim=1)
        x = append_label_maps(x, cond, self.spec.num_classes)
        return DOutput(self.net(x).flatten())


def _require_sketches(spec: DataSpec) -> None:
    if spec.kind != "image" or spec.source_channels <= 0:
        raise GankitError("the encoder-decoder model draws from sketches; use a paired data "
                          "set (paired folder, aligned A|B images or shapes with sketches)")


def build_encoder_decoder(spec: DataSpec, **kwargs) -> EncoderDecoderGenerator:
    """The reference generator (keyword arguments: see :class:`EncoderDecoderGenerator`)."""
    _require_sketches(spec)
    return EncoderDecoderGenerator(spec, **kwargs)


def build_encoder_decoder_discriminator(spec: DataSpec, **kwargs) -> DropoutConvDiscriminator:
    """The reference discriminator (keyword arguments: see :class:`DropoutConvDiscriminator`)."""
    if spec.kind != "image":
        raise GankitError("the encoder-decoder discriminator needs image data, not points")
    return DropoutConvDiscriminator(spec, **kwargs)
