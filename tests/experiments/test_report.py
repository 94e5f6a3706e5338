"""`gankit report`: one self-contained page for one run, two runs and a compare folder,
rendered in headless Chromium (every picture decodes, the best values are marked), and
no reference to anything outside the file."""

import json
import re
import shutil

import pytest

from gankit.experiments.report import metric_rows, write_report

SHORT = ("train.steps=6", "train.sample_every=2", "train.log_every=2")
PICTURES = {"Curves", "Latest samples", "Progress", "Real vs fake", "Best fakes"}


def with_evaluations(source, target, evals, evaluate=None):
    """A copy of run folder ``source`` whose metrics.jsonl has these evaluation rows."""
    shutil.copytree(source, target)
    rows = [{"step": step, "kind": "eval", "time_s": step / 10, **values}
            for step, values in evals]
    if evaluate is not None:
        rows.append({"step": 6, "kind": "evaluate", "checkpoint": "x.pt", **evaluate})
    with (target / "metrics.jsonl").open("a") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)
    return target


@pytest.fixture(scope="module")
def runs(tiny_run, tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    alpha = with_evaluations(tiny_run("dcgan32", *SHORT), root / "alpha",
                             [(2, {"fid": 30.0}), (6, {"fid": 20.0})])
    beta = with_evaluations(tiny_run("acgan", *SHORT), root / "beta",
                            [(2, {"fid": 25.0, "acc": 0.25}), (6, {"fid": 24.0, "acc": 0.5})],
                            evaluate={"fid": 22.5, "acc": 0.4,
                                      "per_class": {"red cube": {"acc": 0.5, "n": 4}}})
    compare = root / "cmp"
    for run in (alpha, beta):
        shutil.copytree(run, compare / run.name)
    (compare / "results.json").write_text(json.dumps({
        "data": "shapes-single", "metrics": ["fid", "acc"], "judged_by": "test figures",
        "ranked_by": "fid", "models": [{"name": "alpha"}, {"name": "beta"}]}))
    return {"alpha": alpha, "beta": beta, "compare": compare}


PAGE_FACTS = """
const visible = el => el.offsetWidth > 0 && el.offsetHeight > 0;
return {
  images: Array.from(document.images).map(i => [i.alt, i.complete ? i.naturalWidth : 0]),
  text: document.body.innerText.length,
  tables: Array.from(document.querySelectorAll('table')).filter(visible).length,
  rows: Array.from(document.querySelectorAll('table.comparison tbody tr'))
             .map(tr => tr.cells[0].innerText),
  best: Array.from(document.querySelectorAll('table.comparison td.best')).map(td => [
      td.parentElement.cells[0].innerText,
      td.closest('table').querySelectorAll('th')[td.cellIndex].innerText, td.innerText]),
};
"""


def rendered(browser, page):
    browser.get(page.resolve().as_uri())
    facts = browser.execute_script(PAGE_FACTS)
    assert facts["images"] and all(width > 0 for _, width in facts["images"]), facts["images"]
    assert facts["text"] > 300 and facts["tables"] >= 2
    return facts


def test_one_run(runs, tmp_path, browser):
    facts = rendered(browser, write_report([runs["beta"]], tmp_path / "one.html"))
    assert {alt for alt, _ in facts["images"]} == PICTURES
    assert facts["rows"] == []  # no side-by-side table for a single run
    html = (tmp_path / "one.html").read_text()
    assert "gankit evaluate (step 6)" in html and "red cube" in html


def test_two_runs_side_by_side_with_the_best_values_marked(runs, tmp_path, browser):
    page = write_report([runs["alpha"], runs["beta"]], tmp_path / "two.html")
    facts = rendered(browser, page)
    assert facts["rows"] == ["alpha", "beta"]
    best = {(run, column): text for run, column, text in facts["best"]}
    assert best[("alpha", "fid ↓")] == "20 ★"  # lower FID wins
    assert best[("beta", "acc ↑")] == "0.5 ★"
    assert ("beta", "fid ↓") not in best
    assert best[("beta", "evaluate: fid ↓")] == "22.5 ★"
    alts = [alt for alt, _ in facts["images"]]
    assert alts.count("Curves, overlaid") == 1 and alts.count("Best fakes") == 2


def test_a_compare_folder_lists_its_runs_in_its_ranking(runs, tmp_path, browser):
    page = write_report([runs["compare"]], tmp_path / "cmp.html")
    facts = rendered(browser, page)
    assert facts["rows"] == ["alpha", "beta"]
    assert ("alpha", "fid ↓", "20 ★") in [tuple(b) for b in facts["best"]]
    assert "2 models on shapes-single" in page.read_text()


def test_the_page_references_nothing_outside_itself(runs, tmp_path):
    html = write_report([runs["alpha"], runs["beta"]], tmp_path / "r.html").read_text()
    assert not re.search(r"https?://", html)
    assert "<script" not in html and "<link" not in html
    sources = re.findall(r'\ssrc="([^"]*)"', html)
    assert sources and all(s.startswith(("data:image/png;base64,", "data:image/gif;base64,"))
                           for s in sources)
    assert not re.findall(r'href="(?!#)', html)  # only links within the page


def test_names_and_config_text_are_escaped(runs, tmp_path):
    odd = tmp_path / "run<i>odd"
    shutil.copytree(runs["alpha"], odd)
    config = odd / "config.yaml"
    config.write_text(config.read_text().replace("description:",
                                                 "description: <script>alert(1)</script>", 1))
    html = write_report([odd], tmp_path / "r.html", best_n=0).read_text()
    assert "run&lt;i&gt;odd" in html and "<i>odd" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html


def test_runs_without_pictures_or_checkpoint_still_get_a_page(runs, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(runs["beta"], old)
    for name in ("curves.png", "progress.gif", "real_vs_fake.png"):
        (old / name).unlink()
    html = write_report([old], tmp_path / "old.html").read_text()
    for alt in PICTURES:  # drawn from metrics.jsonl, samples/ and the checkpoint
        assert f'alt="{alt}"' in html
    shutil.rmtree(old / "checkpoints")
    html = write_report([old], tmp_path / "early.html").read_text()
    assert "no usable checkpoint" in html and 'alt="Best fakes"' not in html
    assert 'alt="Curves"' in html and "wall time (evaluation included)" in html


def test_the_best_of_a_run_follows_each_metrics_direction():
    rows = [{"step": 2, "kind": "eval", "fid": 30.0, "acc": 0.7, "n": 500},
            {"step": 4, "kind": "eval", "fid": 20.0, "acc": 0.5, "n": 500},
            {"step": 6, "kind": "eval", "fid": 25.0, "acc": 0.6, "n": 500}]
    table, latest = metric_rows(rows)
    # the sample count is logged beside the results but no metric declares it: not a metric
    assert table == [("fid ↓", "25", "6", "20", "4"), ("acc ↑", "0.6", "6", "0.7", "2")]
    assert latest == {"fid": 25.0, "acc": 0.6}
