"""The explorer's registry: which checkpoints it lists and keeps open, one request at a
time per model, and the real threaded server surviving a bug."""

import json
import shutil
import threading
import time
import urllib.error
import urllib.request

import pytest

from gankit.errors import GankitError
from gankit.runs import TrainedRun
from gankit.serve.app import create_app
from gankit.serve.models import Registry
from gankit.serve.server import make_explorer

TWO_CHECKPOINTS = ("train.steps=4", "train.checkpoint_every=2")


@pytest.fixture(scope="module")
def runs(tiny_run):
    return {"plain": tiny_run("default", *TWO_CHECKPOINTS), "class": tiny_run("cdcgan")}


class CountingOpener:
    """TrainedRun.open, remembering what it opened."""

    def __init__(self):
        self.opened = []

    def __call__(self, path, device):
        self.opened.append(path)
        return TrainedRun.open(path, device)


def test_checkpoints_are_listed_by_step_and_the_latest_is_the_default(runs, tmp_path):
    registry = Registry([runs["plain"], runs["plain"] / "checkpoints" / "step-0000002.pt"])
    folder, older = registry.entries.values()
    assert list(folder.checkpoints()) == ["step-0000002.pt", "step-0000004.pt"]
    assert folder.default.name == "step-0000004.pt" and folder.run_dir == runs["plain"]
    # a checkpoint inside a run folder: the same run, opened at that checkpoint
    assert older.default.name == "step-0000002.pt" and older.run_dir == runs["plain"]
    assert folder.id != older.id and older.name == folder.name
    loose = tmp_path / "loose.pt"
    shutil.copy(runs["plain"] / "checkpoints" / "step-0000002.pt", loose)
    entry = next(iter(Registry([loose]).entries.values()))
    assert list(entry.checkpoints()) == ["loose.pt"] and entry.run_dir is None
    assert entry.describe()["has_curves"] is False and entry.id == "loose.pt"


def test_a_path_that_is_no_run_is_a_user_error(tmp_path):
    with pytest.raises(GankitError, match="does not exist"):
        Registry([tmp_path / "missing"])
    with pytest.raises(GankitError, match="no checkpoint"):
        Registry([tmp_path])


def test_only_the_most_recently_used_checkpoints_stay_open(runs):
    opener = CountingOpener()
    registry = Registry([runs["plain"], runs["class"]], max_open=2, opener=opener)
    plain, labelled = registry.entries
    step2, step4 = (runs["plain"] / "checkpoints" / f"step-000000{k}.pt" for k in (2, 4))
    labelled_latest = registry.entries[labelled].default

    def still_open():
        return registry.open_checkpoints()

    assert still_open() == [step4, labelled_latest]
    with registry.model(plain, "step-0000002.pt") as run:
        assert run.step == 2
    assert still_open() == [labelled_latest, step2]  # the least recently used one went
    with registry.model(plain) as run:
        assert run.step == 4
    assert still_open() == [step2, step4]
    with registry.model(labelled) as run:
        assert run.conditional
    assert still_open() == [step4, labelled_latest]
    assert len(opener.opened) == 5  # 2 at the start, then step 2, step 4 and the class run again
    with registry.model(plain), registry.model(labelled):
        pass
    assert len(opener.opened) == 5  # both still open: nothing reopened


def test_a_checkpoint_in_use_is_not_closed_under_it(runs):
    registry = Registry([runs["plain"]], max_open=1)
    (plain,) = registry.entries
    with registry.model(plain, "step-0000002.pt") as old:
        with registry.model(plain) as new:
            assert len(registry.open_checkpoints()) == 2 and old is not new
        assert len(registry.open_checkpoints()) == 1  # the idle one went
    assert [p.name for p in registry.open_checkpoints()] == ["step-0000002.pt"]


def fire(app, urls):
    """GET every url at once, one thread each; the status codes in order."""
    codes = [None] * len(urls)

    def get(i, url):
        codes[i] = app.test_client().get(url).status_code

    threads = [threading.Thread(target=get, args=(i, url)) for i, url in enumerate(urls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return codes


def test_one_request_at_a_time_generates_with_a_model(runs, monkeypatch):
    app = create_app(Registry([runs["plain"]]))
    (plain,) = app.extensions["gankit.registry"].entries
    active, most, calls = {}, {}, []
    guard = threading.Lock()
    real_sample = TrainedRun.sample

    def watched(self, *args, **kwargs):
        with guard:
            active[id(self)] = active.get(id(self), 0) + 1
            most[id(self)] = max(most.get(id(self), 0), active[id(self)])
        time.sleep(0.05)  # long enough for the other requests to pile up
        try:
            return real_sample(self, *args, **kwargs)
        finally:
            with guard:
                active[id(self)] -= 1
                calls.append(id(self))

    monkeypatch.setattr(TrainedRun, "sample", watched)
    codes = fire(app, [f"/api/sample?run={plain}&n=4&seed={i}" for i in range(6)])
    assert codes == [200] * 6 and len(calls) == 6
    assert list(most.values()) == [1]  # one model, never two requests in it at once


def test_different_models_generate_at_the_same_time(runs, monkeypatch):
    app = create_app(Registry([runs["plain"], runs["class"]]))
    plain, labelled = app.extensions["gankit.registry"].entries
    both = threading.Barrier(2, timeout=10)
    real_sample = TrainedRun.sample

    def meet(self, *args, **kwargs):
        both.wait()  # passes only when both models are generating at once
        return real_sample(self, *args, **kwargs)

    monkeypatch.setattr(TrainedRun, "sample", meet)
    codes = fire(app, [f"/api/sample?run={plain}&n=4", f"/api/sample?run={labelled}&n=4"])
    assert codes == [200, 200] and not both.broken


def test_the_real_server_answers_after_a_bug(runs, monkeypatch):
    server = make_explorer([runs["plain"]], port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        (plain,) = json.load(urllib.request.urlopen(base + "/api/runs", timeout=30))["runs"]
        url = f"{base}/api/sample?run={plain['id']}&n=4"
        with monkeypatch.context() as patch:
            patch.setattr(TrainedRun, "sample", lambda *a, **k: 1 / 0)
            with pytest.raises(urllib.error.HTTPError) as failed:
                urllib.request.urlopen(url, timeout=30)
        assert failed.value.code == 500
        assert "ZeroDivisionError" in json.load(failed.value)["error"]
        with pytest.raises(urllib.error.HTTPError) as bad:
            urllib.request.urlopen(url.replace("n=4", "n=1000"), timeout=30)
        assert bad.value.code == 400 and "n=1000" in json.load(bad.value)["error"]
        answer = urllib.request.urlopen(url, timeout=30)
        assert answer.status == 200 and answer.headers["Content-Type"] == "image/png"
        page = urllib.request.urlopen(base + "/", timeout=30).read().decode()
        assert 'id="draw"' in page and 'role="alert"' in page
        assert urllib.request.urlopen(base + "/static/app.js", timeout=30).status == 200
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
