"""The explorer page end to end in headless Chromium: pick a class, draw, see the grid;
a bad request shows the API's error; interpolation, translation and curves appear."""

import json
import threading
import urllib.request

import pytest

from gankit.serve.server import make_explorer, url_of

WAIT_S = 30


@pytest.fixture(scope="module")
def site(tiny_run):
    """The real server on a free loopback port, in a thread; its URL and run ids by kind."""
    runs = [tiny_run("default"), tiny_run("cdcgan"), tiny_run("iclevr-32"), tiny_run("pix2pix")]
    server = make_explorer(runs, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = url_of(server)
    listed = json.load(urllib.request.urlopen(url + "api/runs", timeout=WAIT_S))["runs"]
    yield url, {run["kind"]: run["id"] for run in listed}
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture()
def page(browser, site):
    """The page freshly loaded, once it has listed the runs."""
    from selenium.webdriver.support.ui import WebDriverWait

    url, ids = site
    browser.get(url)
    WebDriverWait(browser, WAIT_S).until(
        lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
    return browser, ids


def by_id(driver, element_id):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.ID, element_id)


def choose(driver, element_id, value=None, text=None):
    from selenium.webdriver.support.ui import Select
    select = Select(by_id(driver, element_id))
    select.select_by_value(value) if value is not None else select.select_by_visible_text(text)


def wait_for_picture(driver, element_id):
    """Wait until <img id=element_id> shows a decoded picture; its natural size."""
    from selenium.webdriver.support.ui import WebDriverWait

    script = (f"const img = document.getElementById('{element_id}');"
              "return !img.hidden && img.complete && img.naturalWidth > 0"
              " ? [img.naturalWidth, img.naturalHeight] : null;")
    return WebDriverWait(driver, WAIT_S).until(lambda d: d.execute_script(script))


def wait_for_error(driver):
    from selenium.webdriver.support.ui import WebDriverWait

    alert = by_id(driver, "error")
    WebDriverWait(driver, WAIT_S).until(lambda d: alert.is_displayed() and alert.text)
    assert alert.get_attribute("role") == "alert"
    return alert.text


def test_pick_a_class_draw_and_a_grid_appears(page):
    driver, ids = page
    choose(driver, "run", ids["class"])
    assert by_id(driver, "class").is_displayed() and not by_id(driver, "objects").is_displayed()
    choose(driver, "class", text="red sphere")
    choose(driver, "n", "16")
    by_id(driver, "draw").click()
    assert wait_for_picture(driver, "grid") == [138, 138]  # 4 × 4 images of 32 px
    seed = by_id(driver, "seed").text
    assert seed.startswith("seed ") and not by_id(driver, "error").is_displayed()
    by_id(driver, "draw").click()  # a new seed per click
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(driver, WAIT_S).until(lambda d: by_id(d, "seed").text != seed)


def test_an_unknown_object_shows_the_api_error(page):
    driver, ids = page
    choose(driver, "run", ids["multi-label"])
    by_id(driver, "objects").send_keys("purple unicorn")
    by_id(driver, "draw").click()
    assert "unknown object 'purple unicorn'" in wait_for_error(driver)
    by_id(driver, "objects").clear()  # chips fill the box; a fourth one is refused
    from selenium.webdriver.common.by import By
    chips = driver.find_elements(By.CSS_SELECTOR, "#object-chips .chip")
    for chip in chips[:3]:
        chip.click()
    assert not by_id(driver, "error").is_displayed()
    assert by_id(driver, "objects").get_attribute("value").count(",") == 2
    chips[3].click()
    assert "at most 3 objects" in wait_for_error(driver)
    by_id(driver, "draw").click()
    wait_for_picture(driver, "grid")
    assert not by_id(driver, "error").is_displayed()


def test_interpolation_translation_and_curves(page):
    driver, ids = page
    choose(driver, "run", ids["unconditional"])
    by_id(driver, "frames").clear()
    by_id(driver, "frames").send_keys("5")
    by_id(driver, "interpolate").click()
    assert wait_for_picture(driver, "strip") == [5 * 34 + 2, 36]
    assert by_id(driver, "seed-a").get_attribute("value")  # random seeds filled in
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    lines = "return document.querySelectorAll('#curves polyline').length"
    WebDriverWait(driver, WAIT_S).until(lambda d: d.execute_script(lines) == 1)  # first run's
    by_id(driver, f"curve-{ids['class']}").click()  # overlay a second run
    WebDriverWait(driver, WAIT_S).until(lambda d: d.execute_script(lines) == 2)
    choose(driver, "run", ids["image-to-image"])
    assert not by_id(driver, "sample-panel").is_displayed()
    WebDriverWait(driver, WAIT_S).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#examples .example")) == 8)
    driver.find_elements(By.CSS_SELECTOR, "#examples .example")[3].click()
    assert wait_for_picture(driver, "translation") == [2 * 34 + 2, 36]
