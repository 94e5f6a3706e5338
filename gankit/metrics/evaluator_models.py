"""Classifier architectures for the domain evaluator, chosen by registry name.

Every architecture is a :class:`Classifier`: a ``body`` mapping images in [-1, 1] to a
feature vector (the penultimate layer, used by the ``*_evaluator`` metrics) and a linear
``head`` mapping features to class logits.

- ``small-cnn``: a fast VGG-style CNN for small images (3×3 conv, BN, ReLU, 2×2 max-pool
  per stage until the map is 4×4 or smaller; global average pool).
- ``resnet18``: torchvision's ResNet-18 (``weights=None``), unchanged apart from the input
  channels; the iCLEVR reference evaluator is this network on 64×64 inputs in [-1, 1].
- ``resnet18-small``: ResNet-18 adapted to small inputs (3×3 stride-1 stem, no max-pool),
  the usual CIFAR variant; better than ``resnet18`` below ~64 px, 16× the compute.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from gankit.registry import Registry


class Classifier(nn.Module):
    """``head(body(x))``, with the body's output exposed as features.

    Attributes:
        body: images ``[N, C, H, W]`` in [-1, 1] → features ``[N, feature_dim]``.
        head: features → logits ``[N, num_classes]``.
    """

    def __init__(self, body: nn.Module, feature_dim: int, num_classes: int):
        super().__init__()
        self.body = body
        self.head = nn.Linear(feature_dim, num_classes)
        self.feature_dim = feature_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


#: ``builder(channels, resolution, num_classes) -> Classifier``.
ArchBuilder = Callable[[int, int, int], Classifier]

EVALUATOR_ARCHS: Registry[ArchBuilder] = Registry("evaluator architecture")


@EVALUATOR_ARCHS.register("small-cnn")
def small_cnn(channels: int, resolution: int, num_classes: int) -> Classifier:
    """Fast VGG-style CNN for small images (seconds per epoch on CPU at 32 px)."""
    layers: list[nn.Module] = []
    width, size, in_channels = 32, resolution, channels
    while True:
        layers += [nn.Conv2d(in_channels, width, 3, padding=1, bias=False),
                   nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
        in_channels = width
        if size <= 4:
            break
        layers.append(nn.MaxPool2d(2))
        size //= 2
        width = min(2 * width, 256)
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return Classifier(nn.Sequential(*layers), in_channels, num_classes)


def _resnet18_body(channels: int, small_inputs: bool) -> nn.Module:
    import torchvision

    net = torchvision.models.resnet18(weights=None)
    if small_inputs:
        net.conv1 = nn.Conv2d(channels, 64, 3, stride=1, padding=1, bias=False)
        net.maxpool = nn.Identity()
    elif channels != 3:
        net.conv1 = nn.Conv2d(channels, 64, 7, stride=2, padding=3, bias=False)
    net.fc = nn.Identity()
    return net


@EVALUATOR_ARCHS.register("resnet18")
def resnet18(channels: int, resolution: int, num_classes: int) -> Classifier:
    """torchvision ResNet-18, random init (the iCLEVR reference evaluator at 64 px)."""
    return Classifier(_resnet18_body(channels, small_inputs=False), 512, num_classes)


@EVALUATOR_ARCHS.register("resnet18-small")
def resnet18_small(channels: int, resolution: int, num_classes: int) -> Classifier:
    """ResNet-18 with a 3×3 stride-1 stem and no max-pool, for inputs below ~64 px."""
    return Classifier(_resnet18_body(channels, small_inputs=True), 512, num_classes)
