"""Finding the FID Inception weights offline, and downloading them only when asked.

Search order: an explicit path (the CLI's ``--inception-weights PATH``), the
``GANKIT_INCEPTION_WEIGHTS`` environment variable, then the torch hub cache
(``torch.hub.get_dir()/checkpoints/``, i.e. ``$TORCH_HOME/hub/checkpoints``), where
pytorch-fid and torch-fidelity also keep their copy. Nothing is fetched unless the
caller passes ``allow_download=True`` (the CLI's ``--download``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch.hub

from gankit.errors import GankitError
from gankit.metrics.defaults import (
    INCEPTION_WEIGHTS_ALIASES,
    INCEPTION_WEIGHTS_ENV,
    INCEPTION_WEIGHTS_FILE,
    INCEPTION_WEIGHTS_URL,
)


def hub_checkpoint_dir() -> Path:
    """The torch hub checkpoints folder (honours ``$TORCH_HOME``)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def find_inception_weights(path: str | os.PathLike | None = None,
                           allow_download: bool = False) -> Path:
    """Locate ``pt_inception-2015-12-05-6726825d.pth``.

    Args:
        path: an explicit weights file; it must exist.
        allow_download: when the file is found nowhere, download it into the hub cache
            instead of failing.

    Returns:
        The path of the weights file.

    Raises:
        GankitError: the explicit path or ``$GANKIT_INCEPTION_WEIGHTS`` names a missing
            file, or the file is nowhere and downloading was not allowed.
    """
    if path is not None:
        explicit = Path(path).expanduser()
        if not explicit.is_file():
            raise GankitError(f"--inception-weights: no file at {explicit}; pass the path of "
                              f"{INCEPTION_WEIGHTS_FILE}")
        return explicit
    from_env = os.environ.get(INCEPTION_WEIGHTS_ENV)
    if from_env:
        env_path = Path(from_env).expanduser()
        if not env_path.is_file():
            raise GankitError(f"${INCEPTION_WEIGHTS_ENV}={from_env}: no such file; point it at "
                              f"{INCEPTION_WEIGHTS_FILE} or unset it")
        return env_path
    hub = hub_checkpoint_dir()
    for name in (INCEPTION_WEIGHTS_FILE, *INCEPTION_WEIGHTS_ALIASES):
        if (hub / name).is_file():
            return hub / name
    if allow_download:
        return download_inception_weights(hub / INCEPTION_WEIGHTS_FILE)
    raise GankitError(
        f"the FID Inception weights {INCEPTION_WEIGHTS_FILE} were not found: put the file in "
        f"{hub}/ (or pass --inception-weights PATH, or set ${INCEPTION_WEIGHTS_ENV}), "
        f"or rerun with --download (allow_download=True) to fetch it from {INCEPTION_WEIGHTS_URL}")


def download_inception_weights(destination: Path) -> Path:
    """Download the weights to ``destination`` atomically (a partial file never remains)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=destination.parent, suffix=".partial")
    os.close(fd)
    try:
        torch.hub.download_url_to_file(INCEPTION_WEIGHTS_URL, partial, progress=True)
        os.replace(partial, destination)
    except OSError as error:
        raise GankitError(f"--download: could not fetch {INCEPTION_WEIGHTS_URL} ({error}); "
                          f"download it by hand into {destination.parent}/") from error
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return destination
