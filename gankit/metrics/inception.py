"""The Inception feature space: torch-fidelity's FID InceptionV3, fed uint8 batches.

torch-fidelity's ``FeatureExtractorInceptionV3`` is the reference implementation (it
resizes with TensorFlow-1.x-exact bilinear interpolation and scales ``(x - 128) / 128``
as the original TF graph did). gankit always hands it an explicit weights file, so it
never takes its own download path.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import cache
from pathlib import Path

import torch
from torch import nn
from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

from gankit.errors import GankitError
from gankit.metrics.defaults import INCEPTION_WEIGHTS_FILE
from gankit.safe_load import why_unreadable

#: torch-fidelity's registry name of this extractor (used in its cache file names).
TORCH_FIDELITY_NAME = "inception-v3-compat"
POOL3, LOGITS = "2048", "logits_unbiased"


class InceptionFeatures:
    """Pool3 features (``"2048"``) and logits without bias (``"logits_unbiased"``, the
    Inception Score input), from torch-fidelity's FID InceptionV3.

    Grayscale batches are repeated to three channels, the usual convention.

    Args:
        weights: the ``pt_inception-2015-12-05-6726825d.pth`` state dict (see
            :func:`gankit.metrics.inception_weights.find_inception_weights`).
        device: where the network runs.
    """

    space = "inception"
    layers = (POOL3, LOGITS)

    def __init__(self, weights: str | os.PathLike, device: torch.device | str = "cpu"):
        self.weights = Path(weights)
        _check_state_dict(self.weights)
        try:
            net = FeatureExtractorInceptionV3(TORCH_FIDELITY_NAME, list(self.layers),
                                              feature_extractor_weights_path=str(self.weights))
        except RuntimeError as error:  # tensor names or shapes do not match
            raise GankitError(f"{self.weights}: not the FID InceptionV3 weights "
                              f"({INCEPTION_WEIGHTS_FILE} expected): "
                              f"{str(error).splitlines()[0]}") from error
        self.net = net.to(device)
        self.description = f"FID InceptionV3 (torch-fidelity {TORCH_FIDELITY_NAME}), {self.weights}"

    def fingerprint(self) -> str:
        return f"{TORCH_FIDELITY_NAME}:{_file_sha256(str(self.weights.resolve()))}"

    def __call__(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
        return self.net.convert_features_tuple_to_dict(self.net(images))


def _check_state_dict(path: Path) -> None:
    """Refuse anything but a plain tensor state dict before torch-fidelity unpickles it."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - any unpickling failure is a bad file
        raise GankitError(f"{path}: cannot be read as a weights file; expected "
                          f"{INCEPTION_WEIGHTS_FILE} ({why_unreadable(error)})") from None
    if not isinstance(state, dict) or "fc.weight" not in state:
        raise GankitError(f"{path}: not the FID InceptionV3 state dict; expected "
                          f"{INCEPTION_WEIGHTS_FILE}")


@cache
def _file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def save_random_inception_weights(path: str | os.PathLike, seed: int = 0) -> Path:
    """Write a random-weight state dict of the FID InceptionV3 architecture.

    For tests and benchmarks on machines without the real weights: the numbers it gives
    mean nothing, but every code path (and its exactness against pytorch-fid) is the real
    one. Batch-norm statistics are calibrated on random images of several smoothness
    levels so that activations stay O(1) through the 94 layers instead of overflowing.

    Args:
        path: where to write the ``.pth`` file.
        seed: seed of the weights and calibration images.

    Returns:
        ``path`` as a :class:`Path`.
    """
    import torchvision

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        # torchvision's Inception3 has the same parameter names and shapes as the FID one.
        template = torchvision.models.inception.Inception3(num_classes=1008, aux_logits=False,
                                                           init_weights=False)
    with torch.no_grad():
        for module in template.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.normal_(0.0, 0.2, generator=generator)
        template.fc.weight.mul_(10.0)  # logits of a few units, so softmax is not flat
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "uncalibrated.pth"
        torch.save(template.state_dict(), raw)
        net = FeatureExtractorInceptionV3(TORCH_FIDELITY_NAME, [POOL3],
                                          feature_extractor_weights_path=str(raw))
    hooks = [module.register_forward_pre_hook(_calibrate_batch_norm)
             for module in net.modules() if isinstance(module, nn.BatchNorm2d)]
    with torch.no_grad():
        net(_calibration_images(generator))
    for hook in hooks:
        hook.remove()
    torch.save(net.state_dict(), path)
    return path


def _calibrate_batch_norm(module: nn.BatchNorm2d, inputs: tuple[torch.Tensor]) -> None:
    """Set the running statistics to those of the incoming batch (then normalise with them)."""
    module.running_mean.copy_(inputs[0].mean(dim=(0, 2, 3)))
    module.running_var.copy_(inputs[0].var(dim=(0, 2, 3)))


def _calibration_images(generator: torch.Generator) -> torch.Tensor:
    """Uniform noise drawn at 4, 8, 16 and 64 px and upsampled to 64 px: smooth to rough."""
    noise = [torch.rand(1, 3, side, side, generator=generator) * 255 for side in (4, 8, 16, 64)]
    images = [nn.functional.interpolate(x, size=(64, 64), mode="bilinear") for x in noise]
    return torch.cat(images).round().to(torch.uint8)
