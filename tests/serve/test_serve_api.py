"""The explorer's API through Flask's test client: every endpoint's pictures and JSON,
every bad request's 4xx JSON error, and a bug's 500 that leaves the server serving."""

import io

import pytest
from PIL import Image

from gankit.runs import TrainedRun
from gankit.serve.app import create_app
from gankit.serve.models import Registry

CYCLE = "model.options={blocks: 1, n_layers: 2}"
TWO_CHECKPOINTS = ("train.steps=4", "train.checkpoint_every=2")


@pytest.fixture(scope="module")
def paths(tiny_run):
    return {"unconditional": tiny_run("default", *TWO_CHECKPOINTS),
            "class": tiny_run("cdcgan"), "multi-label": tiny_run("iclevr-32"),
            "image-to-image": tiny_run("pix2pix"), "cycle": tiny_run("cyclegan", CYCLE)}


@pytest.fixture(scope="module")
def app(paths):
    return create_app(Registry(list(paths.values())), max_n=32, max_upload=64 * 1024)


@pytest.fixture(scope="module")
def ids(app, paths):
    """Run id by the names of :func:`paths` (in the same order)."""
    listed = app.test_client().get("/api/runs").get_json()["runs"]
    return dict(zip(paths, (run["id"] for run in listed)))


@pytest.fixture()
def client(app):
    return app.test_client()


def picture(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "image/png"
    return Image.open(io.BytesIO(response.data))


def side(n, resolution=32, gap=2):
    """Width of a row of ``n`` images in a grid with ``gap`` px between and around."""
    return n * (resolution + gap) + gap


def test_runs_lists_each_kind_with_its_classes_checkpoints_and_limits(client, paths, ids):
    runs = {run["id"]: run for run in client.get("/api/runs").get_json()["runs"]}
    assert [runs[ids[name]]["kind"] for name in ("unconditional", "class", "multi-label",
                                                 "image-to-image", "cycle")] == list(ids)[:3] + [
        "image-to-image", "cycle"]
    plain, labelled = runs[ids["unconditional"]], runs[ids["class"]]
    assert plain["classes"] == [] and plain["z_dim"] > 0 and plain["max_n"] == 32
    assert [c["step"] for c in plain["checkpoints"]] == [2, 4]
    assert plain["checkpoint"] == "step-0000004.pt" and plain["has_curves"]
    assert len(labelled["classes"]) == 24 and "red cube" in labelled["classes"]
    assert runs[ids["multi-label"]]["max_objects"] == 3
    assert runs[ids["cycle"]]["directions"] == ["AtoB", "BtoA"]
    assert plain["interpolation"] == "slerp" and plain["max_frames"] == 16


@pytest.mark.parametrize("n, size", [(1, (32, 32)), (16, (side(4), side(4))),
                                     (5, (side(3), side(2)))])
def test_a_grid_holds_n_images(client, ids, n, size):
    image = picture(client.get(f"/api/sample?run={ids['unconditional']}&n={n}&seed=3"))
    assert image.size == size and image.mode == "RGB"  # one image: no frame around it


def test_the_seed_makes_the_grid(client, ids):
    url = f"/api/sample?run={ids['class']}&class=red cube&n=4"
    first = client.get(url + "&seed=7")
    assert first.headers["X-Seed"] == "7" and first.headers["Cache-Control"] == "no-store"
    assert client.get(url + "&seed=7").data == first.data
    assert client.get(url + "&seed=8").data != first.data
    drawn = client.get(url)  # no seed: a fresh one, told back
    assert 0 <= int(drawn.headers["X-Seed"]) < 2**32


def test_classes_objects_and_checkpoints_are_honoured(client, ids, paths):
    picture(client.get(f"/api/sample?run={ids['class']}&class=3&n=4"))
    objects = picture(client.get(f"/api/sample?run={ids['multi-label']}&n=9"
                                 "&objects=red cube, blue sphere,green cylinder"))
    assert objects.size == (side(3), side(3))
    random_objects = client.get(f"/api/sample?run={ids['multi-label']}&n=4&seed=1")
    assert random_objects.status_code == 200
    run = ids["unconditional"]
    old = client.get(f"/api/sample?run={run}&n=4&seed=1&checkpoint=step-0000002.pt")
    new = client.get(f"/api/sample?run={run}&n=4&seed=1")
    assert picture(old).size == picture(new).size and old.data != new.data


def test_an_interpolation_strip_has_one_row_of_frames(client, ids):
    response = client.get(f"/api/interpolate?run={ids['class']}&seed_a=1&seed_b=2&frames=6"
                          "&class=red cube")
    assert picture(response).size == (side(6), side(1))
    assert response.headers["X-Interpolation"] == "slerp"
    assert (response.headers["X-Seed-A"], response.headers["X-Seed-B"]) == ("1", "2")
    multi = client.get(f"/api/interpolate?run={ids['multi-label']}&objects=red cube")
    assert picture(multi).size == (side(8), side(1))  # 8 frames and fresh seeds by default


def test_translating_an_example_or_an_upload_shows_source_and_output(client, ids):
    run = ids["image-to-image"]
    assert client.get(f"/api/examples?run={run}").get_json()["count"] == 8
    sketch = picture(client.get(f"/api/example?run={run}&index=2"))
    assert sketch.size == (32, 32) and sketch.mode == "L"
    assert picture(client.get(f"/api/translate?run={run}&example=2")).size == (side(2), side(1))
    upload = io.BytesIO()
    Image.new("L", (80, 50), 255).save(upload, "PNG")  # any size: cropped and resized
    response = client.post(f"/api/translate?run={run}",
                           data={"image": (io.BytesIO(upload.getvalue()), "s.png")})
    assert picture(response).size == (side(2), side(1))


def test_a_labelled_translation_takes_a_class(tiny_run):
    client = create_app(Registry([tiny_run("pix2pix", "data.labels=class")])).test_client()
    run = client.get("/api/runs").get_json()["runs"][0]
    assert run["kind"] == "image-to-image" and len(run["classes"]) == 24
    picture(client.get(f"/api/translate?run={run['id']}&example=0&class=red cube"))
    unknown = client.get(f"/api/translate?run={run['id']}&example=0&class=unicorn")
    assert unknown.status_code == 400 and "unknown class" in unknown.json["error"]


def test_a_cycle_run_translates_both_ways(client, ids):
    run = ids["cycle"]
    for direction in ("AtoB", "BtoA"):
        response = client.get(f"/api/translate?run={run}&example=1&direction={direction}")
        assert picture(response).size == (side(2), side(1))
        assert response.headers["X-Direction"] == direction
        assert picture(client.get(f"/api/example?run={run}&index=0&direction={direction}")
                       ).mode == "RGB"


def test_curves_give_each_logged_value_by_step(client, ids):
    body = client.get(f"/api/curves?run={ids['unconditional']}").get_json()
    series = body["series"]
    assert {"loss_d", "loss_g"} <= set(series) and "time_s" not in series
    steps = [step for step, _ in series["loss_g"]]
    assert steps == sorted(steps) and steps[-1] == 4
    assert all(isinstance(value, float) for _, value in series["loss_g"])


BAD = [
    ("/api/sample", 400, "missing parameter 'run'"),
    ("/api/sample?run=nope", 404, "no run 'nope'"),
    ("/api/sample?run={class}&class=unicorn", 400, "unknown class 'unicorn'"),
    ("/api/sample?run={multi-label}&objects=red cube,blue cube,gray cube,green cube", 400,
     "4 objects"),
    ("/api/sample?run={multi-label}&objects=purple unicorn", 400, "unknown object"),
    ("/api/sample?run={multi-label}&objects=red cube,red cube", 400, "twice"),
    ("/api/sample?run={multi-label}&objects=,", 400, "objects is empty"),
    ("/api/sample?run={multi-label}&class=red cube", 400, "multi-label"),
    ("/api/sample?run={class}&objects=red cube", 400, "class-conditional"),
    ("/api/sample?run={unconditional}&class=red cube", 400, "unconditional"),
    ("/api/sample?run={unconditional}&n=33", 400, "n=33 is out of range; use 1..32"),
    ("/api/sample?run={unconditional}&n=0", 400, "n=0"),
    ("/api/sample?run={unconditional}&n=many", 400, "not an integer"),
    ("/api/sample?run={unconditional}&seed=-1", 400, "seed=-1"),
    ("/api/sample?run={unconditional}&seed=4294967296", 400, "seed=4294967296"),
    ("/api/sample?run={unconditional}&checkpoint=step-9.pt", 404, "no checkpoint 'step-9.pt'"),
    ("/api/sample?run={unconditional}&checkpoint=../config.yaml", 404, "no checkpoint"),
    ("/api/sample?run={image-to-image}", 400, "translates sketches"),
    ("/api/interpolate?run={class}&frames=17", 400, "frames=17"),
    ("/api/interpolate?run={class}&frames=1", 400, "frames=1"),
    ("/api/interpolate?run={class}&seed_a=x", 400, "seed_a"),
    ("/api/interpolate?run={image-to-image}", 400, "image-to-image"),
    ("/api/translate?run={unconditional}&example=0", 400, "draws from noise"),
    ("/api/translate?run={image-to-image}", 400, "missing parameter 'example'"),
    ("/api/translate?run={image-to-image}&example=8", 400, "example=8"),
    ("/api/translate?run={image-to-image}&example=0&direction=BtoA", 400, "use AtoB"),
    ("/api/translate?run={cycle}&example=0&direction=sideways", 400, "AtoB or BtoA"),
    ("/api/example?run={image-to-image}", 400, "missing parameter 'index'"),
    ("/api/curves", 400, "missing parameter 'run'"),
    ("/api/curves?run=nope", 404, "no run"),
    ("/api/nothing", 404, "Not Found"),
]


@pytest.mark.parametrize("url, status, fragment", BAD, ids=[b[0] for b in BAD])
def test_a_bad_request_gets_a_json_error(client, ids, url, status, fragment):
    response = client.get(url.format(**ids))
    assert response.status_code == status and response.is_json
    assert fragment in response.get_json()["error"]


def upload(client, run, data, name="file.png"):
    return client.post(f"/api/translate?run={run}", data={"image": (io.BytesIO(data), name)})


def test_bad_uploads_get_415_413_or_400(client, ids):
    run = ids["image-to-image"]
    text = upload(client, run, b"hello, not an image", "notes.txt")
    assert text.status_code == 415 and "notes.txt is not a readable image" in text.json["error"]
    broken = io.BytesIO()
    Image.new("RGB", (40, 40)).save(broken, "PNG")
    assert upload(client, run, broken.getvalue()[:60]).status_code == 415  # truncated
    huge = upload(client, run, b"\0" * (65 * 1024))
    assert huge.status_code == 413 and "64 KiB" not in huge.json["error"]
    assert "limit" in huge.json["error"]
    assert upload(client, run, b"").status_code == 400
    missing = client.post(f"/api/translate?run={run}", data={"other": "x"})
    assert missing.status_code == 400 and "'image'" in missing.json["error"]
    assert client.post(f"/api/sample?run={run}").status_code == 405


def test_a_bug_gives_a_500_and_the_next_request_is_served(client, ids, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in sampling")

    url = f"/api/sample?run={ids['unconditional']}&n=4"
    with monkeypatch.context() as patch:
        patch.setattr(TrainedRun, "sample", broken)
        failed = client.get(url)
    assert failed.status_code == 500
    assert "RuntimeError: a bug in sampling" in failed.get_json()["error"]
    picture(client.get(url))
