"""gankit's Inception features are pytorch-fid's, and torch-fidelity never touches the network.

The real weights are not needed: a random-weight state dict of the FID InceptionV3
architecture is loaded into both implementations.
"""

import pytest
import torch
import torch.hub
import torch_fidelity.feature_extractor_inceptionv3 as tf_inception
from pytorch_fid import inception as pf_inception

from gankit.errors import GankitError
from gankit.metrics.extractors import EXTRACTORS, ExtractorOptions
from gankit.metrics.inception import InceptionFeatures


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(tf_inception, "load_state_dict_from_url", refuse)
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", refuse)
    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)


def test_pool3_features_match_pytorch_fid(random_inception, monkeypatch, no_network):
    state = torch.load(random_inception, weights_only=True)
    monkeypatch.setattr(pf_inception, "load_state_dict_from_url", lambda *a, **k: state)
    reference = pf_inception.InceptionV3([pf_inception.InceptionV3.BLOCK_INDEX_BY_DIM[2048]],
                                         resize_input=False, normalize_input=True).eval()
    ours = InceptionFeatures(random_inception)
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (2, 3, 299, 299), generator=g, dtype=torch.uint8)
    with torch.no_grad():
        features = ours(images)["2048"]
        # torch-fidelity maps uint8 x to (x - 128) / 128 (the TF graph); pytorch-fid maps
        # [0, 1] input y to 2y - 1. Feeding y = x / 256 makes both see the same tensor; at
        # 299 px torch-fidelity's resize is the identity.
        expected = reference(images.double().div(256).float())[0].flatten(1)
    assert features.shape == (2, 2048)
    assert features.abs().max() > 0.1  # O(1) activations, not a degenerate network
    torch.testing.assert_close(features, expected, atol=1e-5, rtol=0)


def test_extractor_loads_from_the_given_file_only(random_inception, no_network):
    extractor = EXTRACTORS.get("inception")(ExtractorOptions(torch.device("cpu"),
                                                             inception_weights=random_inception))
    features = extractor(torch.zeros(1, 3, 16, 16, dtype=torch.uint8))
    assert features["2048"].shape == (1, 2048)
    assert features["logits_unbiased"].shape == (1, 1008)
    assert extractor.fingerprint().startswith("inception-v3-compat:")


def test_grayscale_is_read_as_three_equal_channels(random_inception):
    extractor = InceptionFeatures(random_inception)
    gray = torch.randint(0, 256, (1, 1, 24, 24), generator=torch.Generator().manual_seed(1),
                         dtype=torch.uint8)
    with torch.no_grad():
        from_gray = extractor(gray)["2048"]
        from_rgb = extractor(gray.repeat(1, 3, 1, 1))["2048"]
    torch.testing.assert_close(from_gray, from_rgb, atol=0, rtol=0)


def test_files_that_are_not_the_inception_weights_are_refused(tmp_path):
    text = tmp_path / "notes.pth"
    text.write_text("not a checkpoint")
    with pytest.raises(GankitError, match="notes.pth: cannot be read"):
        InceptionFeatures(text)
    other = tmp_path / "other.pth"
    torch.save({"fc.weight": torch.zeros(2, 2)}, other)
    with pytest.raises(GankitError, match="other.pth: not the FID InceptionV3 weights"):
        InceptionFeatures(other)
