"""The reference sketch→image model: ResNet-18 encoder + label → decoder, dropout D."""

import warnings

import pytest
import torch
import torchvision
from torch import nn

from gankit.errors import GankitError
from gankit.models.base import DataSpec
from gankit.models.encoder_decoder import (RESNET18_FILE, ResNetSketchEncoder,
                                           build_encoder_decoder,
                                           build_encoder_decoder_discriminator)


@pytest.fixture(autouse=True)
def private_hub(tmp_path, monkeypatch):
    """A private, empty torch hub cache; any download attempt fails the test."""
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))

    def no_download(*args, **kwargs):
        raise AssertionError("tried to download weights")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_download)
    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)
    return tmp_path / "hub" / "checkpoints"


def _images(n, channels, res, seed=0):
    return torch.rand(n, channels, res, res, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize("res,source_channels,channels,classes", [
    (32, 1, 3, 7), (64, 1, 3, 7), (128, 1, 3, 7), (256, 1, 3, 7),
    (32, 3, 3, 0), (64, 1, 1, 2), (256, 3, 1, 0)])
def test_encoder_decoder_shapes(res, source_channels, channels, classes):
    spec = DataSpec(channels=channels, resolution=res, num_classes=classes,
                    source_channels=source_channels)
    g = build_encoder_decoder(spec, width=8, pretrained=False)
    d = build_encoder_decoder_discriminator(spec, width=8)
    cond = torch.eye(classes)[:2] if classes else None
    fake = g(None, cond, _images(2, source_channels, res))
    assert fake.shape == (2, channels, res, res) and fake.abs().max() <= 1
    out = d(fake, cond)
    assert out.score.shape == (2,) and out.aux is None


def test_encoder_decoder_uses_cached_imagenet_weights_only(private_hub):
    spec = DataSpec(resolution=32, source_channels=1, num_classes=3)
    with pytest.warns(UserWarning, match="from scratch"):
        g = build_encoder_decoder(spec, width=8)
    assert g.encoder.pretrained is False
    with pytest.raises(GankitError, match=RESNET18_FILE):
        build_encoder_decoder(spec, width=8, pretrained=True)

    weights = torchvision.models.resnet18(weights=None).state_dict()
    private_hub.mkdir(parents=True)
    torch.save(weights, private_hub / RESNET18_FILE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = build_encoder_decoder(spec, width=8)
    assert g.encoder.pretrained is True
    assert torch.equal(g.encoder.net.conv1.weight, weights["conv1.weight"])
    assert torch.equal(g.encoder.net.layer4[1].bn2.running_var, weights["layer4.1.bn2.running_var"])
    assert build_encoder_decoder(spec, width=8, pretrained="false").encoder.pretrained is False

    torch.save({"nonsense": torch.zeros(1)}, private_hub / RESNET18_FILE)
    with pytest.raises(GankitError, match="not torchvision's ResNet-18"):
        build_encoder_decoder(spec, width=8)
    with pytest.raises(GankitError, match="pretrained='yes'"):
        build_encoder_decoder(spec, pretrained="yes")


def test_one_channel_sketch_is_repeated_to_three():
    one, three = ResNetSketchEncoder(1, pretrained=False), ResNetSketchEncoder(3, pretrained=False)
    three.load_state_dict(one.state_dict())
    sketch = _images(2, 1, 64)
    one.eval(), three.eval()
    assert torch.allclose(one(sketch), three(sketch.repeat(1, 3, 1, 1)))
    assert one(sketch).shape == (2, 512)
    odd = ResNetSketchEncoder(2, pretrained=False)
    assert odd.net.conv1.in_channels == 2 and odd(_images(2, 2, 32)).shape == (2, 512)


def test_generator_depends_on_sketch_label_and_noise():
    spec = DataSpec(resolution=32, source_channels=1, num_classes=3)
    g = build_encoder_decoder(spec, width=8, pretrained=False, z_dim=4).eval()
    sketch = _images(1, 1, 32).expand(3, -1, -1, -1)
    z = torch.zeros(3, 4)
    by_label = g(z, torch.eye(3), sketch)
    assert not torch.allclose(by_label[0], by_label[1])
    assert not torch.allclose(g(z, torch.eye(3), -sketch), by_label)
    assert not torch.allclose(g(z + 1, torch.eye(3), sketch), by_label)
    assert g.sample_z(5).shape == (5, 4)
    with pytest.raises(ValueError, match="cond"):
        g(z, None, sketch)
    with pytest.raises(ValueError, match="noise"):
        g(None, torch.eye(3), sketch)


def test_discriminator_has_dropout_after_every_hidden_conv_and_sees_the_label():
    spec = DataSpec(resolution=64, channels=3, source_channels=1, num_classes=2)
    d = build_encoder_decoder_discriminator(spec, width=8)
    layers = list(d.net)
    convs = [i for i, m in enumerate(layers) if isinstance(m, nn.Conv2d)]
    for i in convs[:-1]:
        assert isinstance(layers[i + 1], nn.LeakyReLU) and layers[i + 1].negative_slope == 0.2
        assert isinstance(layers[i + 2], nn.Dropout) and layers[i + 2].p == 0.3
    assert len(convs) == 5 and convs[-1] == len(layers) - 1  # 64→4 in four steps, then score
    assert layers[0].in_channels == 3 + 2  # image + one map per class
    image = _images(1, 3, 64).expand(2, -1, -1, -1)
    d.eval()
    score = d(image, torch.eye(2)).score
    assert score[0] != score[1]
    d.train()
    torch.manual_seed(0)
    assert not torch.equal(d(image, torch.eye(2)).score, d(image, torch.eye(2)).score)


def test_discriminator_with_source_and_errors():
    spec = DataSpec(resolution=32, channels=3, source_channels=1)
    d = build_encoder_decoder_discriminator(spec, width=8, use_source=True)
    assert d(_images(2, 3, 32), source=_images(2, 1, 32)).score.shape == (2,)
    with pytest.raises(ValueError, match="sketch"):
        d(_images(2, 3, 32))
    with pytest.raises(GankitError, match="paired"):
        build_encoder_decoder(DataSpec(resolution=32))
    with pytest.raises(GankitError, match="power-of-two"):
        build_encoder_decoder(DataSpec(resolution=96, source_channels=1), pretrained=False)
    with pytest.raises(GankitError, match="sketches"):
        build_encoder_decoder_discriminator(DataSpec(resolution=32), use_source=True)
