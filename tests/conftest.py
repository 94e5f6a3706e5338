"""Fixtures shared across the test tree."""

import pytest

from gankit.metrics.inception import save_random_inception_weights


@pytest.fixture(scope="session")
def random_inception(tmp_path_factory):
    """A random-weight FID Inception file: the real weights are not on test machines."""
    path = tmp_path_factory.getbasetemp() / "random-inception-seed0.pth"
    if not path.exists():
        save_random_inception_weights(path, seed=0)
    return path
