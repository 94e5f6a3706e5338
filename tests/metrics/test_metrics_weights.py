"""The Inception weights are found offline, in order, and only downloaded when asked."""

from pathlib import Path

import pytest
import torch.hub

from gankit.errors import GankitError
from gankit.metrics import inception_weights as iw
from gankit.metrics.defaults import INCEPTION_WEIGHTS_FILE, INCEPTION_WEIGHTS_URL


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """An empty torch home, no env var, and any download attempt fails the test."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("GANKIT_INCEPTION_WEIGHTS", raising=False)

    def no_network(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    return tmp_path


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"weights")
    return path


def test_missing_weights_raise_one_actionable_error(offline):
    with pytest.raises(GankitError) as error:
        iw.find_inception_weights()
    message = str(error.value)
    assert INCEPTION_WEIGHTS_FILE in message
    assert str(offline / "torch" / "hub" / "checkpoints") in message
    assert "--download" in message and "--inception-weights" in message
    assert "\n" not in message


def test_hub_cache_is_found(offline):
    cached = _touch(offline / "torch" / "hub" / "checkpoints" / INCEPTION_WEIGHTS_FILE)
    assert iw.find_inception_weights() == cached


def test_torch_fidelity_copy_in_the_hub_cache_is_found(offline):
    name = "weights-inception-2015-12-05-6726825d.pth"
    cached = _touch(offline / "torch" / "hub" / "checkpoints" / name)
    assert iw.find_inception_weights() == cached


def test_explicit_path_then_env_var_take_precedence(offline, monkeypatch):
    _touch(offline / "torch" / "hub" / "checkpoints" / INCEPTION_WEIGHTS_FILE)
    from_env = _touch(offline / "env" / "inception.pth")
    explicit = _touch(offline / "explicit" / "inception.pth")
    monkeypatch.setenv("GANKIT_INCEPTION_WEIGHTS", str(from_env))
    assert iw.find_inception_weights() == from_env
    assert iw.find_inception_weights(explicit) == explicit


def test_bad_explicit_or_env_path_names_the_culprit(offline, monkeypatch):
    with pytest.raises(GankitError, match="--inception-weights: no file at .*nothing.pth"):
        iw.find_inception_weights(offline / "nothing.pth")
    monkeypatch.setenv("GANKIT_INCEPTION_WEIGHTS", str(offline / "gone.pth"))
    with pytest.raises(GankitError, match=r"\$GANKIT_INCEPTION_WEIGHTS=.*gone.pth"):
        iw.find_inception_weights()


def test_download_only_when_allowed(offline, monkeypatch):
    calls = []

    def fake_download(url, destination, progress=True):
        calls.append(url)
        Path(destination).write_bytes(b"downloaded")

    monkeypatch.setattr(torch.hub, "download_url_to_file", fake_download)
    with pytest.raises(GankitError):
        iw.find_inception_weights()
    assert calls == []
    path = iw.find_inception_weights(allow_download=True)
    assert calls == [INCEPTION_WEIGHTS_URL]
    assert path == offline / "torch" / "hub" / "checkpoints" / INCEPTION_WEIGHTS_FILE
    assert path.read_bytes() == b"downloaded"
    assert iw.find_inception_weights() == path  # found offline from now on
    assert calls == [INCEPTION_WEIGHTS_URL]


def test_failed_download_leaves_no_partial_file(offline, monkeypatch):
    def broken_download(url, destination, progress=True):
        Path(destination).write_bytes(b"half")
        raise OSError("network unreachable")

    monkeypatch.setattr(torch.hub, "download_url_to_file", broken_download)
    with pytest.raises(GankitError, match="--download: could not fetch"):
        iw.find_inception_weights(allow_download=True)
    assert list((offline / "torch" / "hub" / "checkpoints").iterdir()) == []
