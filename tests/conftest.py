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


#: settings that make an image preset train in a fraction of a second on a CPU
TINY = ["data.size=96", "data.resolution=32", "model.g_width=8", "model.d_width=8",
        "train.batch_size=16", "train.tensorboard=false", "train.progress=false",
        "train.grid_size=8", "train.device=cpu", "train.steps=2", "train.epochs=0"]


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """``tiny_run(preset, *overrides)``: the run folder of ``preset`` trained with
    :data:`TINY` settings (and ``overrides``), trained once per session."""
    from gankit.config import load_config
    from gankit.training import train

    runs = {}

    def make(preset: str, *overrides: str):
        key = (preset, overrides)
        if key not in runs:
            runs[key] = tmp_path_factory.mktemp(preset) / "run"
            train(load_config(preset, [*TINY, *overrides]), out=runs[key])
        return runs[key]

    return make


CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium driven by Selenium (Debian's ``chromium`` + ``chromium-driver``;
    ``.ci/run`` installs them). Skips, saying why, where they cannot be had."""
    import os
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip(f"needs {CHROMIUM} and {CHROMEDRIVER} "
                    "(apt-get install -y chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (.[test])")
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1280,1024"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
