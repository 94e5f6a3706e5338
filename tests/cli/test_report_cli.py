"""`gankit report` on the command line: a page and one line saying where, or one error
line (exit 2) for bad input with nothing written."""

import pytest

from gankit.cli.main import main


@pytest.fixture(scope="module")
def run(tiny_run):
    return tiny_run("dcgan32")


def test_report_writes_the_page_and_says_where(run, tmp_path, capsys):
    out = tmp_path / "pages" / "report.html"
    assert main(["report", str(run), "--out", str(out), "--best-n", "4",
                 "--title", "My <run>"]) == 0
    printed = capsys.readouterr().out
    assert str(out) in printed and "MB" in printed
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<title>My &lt;run&gt;</title>" in html
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]


@pytest.mark.parametrize("case", ["missing run", "not a run", "a file", "out is a folder",
                                  "out under a file", "out unwritable", "negative best-n"])
def test_bad_input_is_one_line_and_writes_nothing(run, tmp_path, capsys, case):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("x")
    out = tmp_path / "report.html"
    out.write_text("the previous report")
    runs, where, extra = [str(run)], str(out), []
    if case == "missing run":
        runs = [str(run), str(tmp_path / "no-such-run")]
    elif case == "not a run":
        runs = [str(tmp_path / "empty")]
    elif case == "a file":
        runs = [str(run / "config.yaml")]
    elif case == "out is a folder":
        where = str(tmp_path / "empty")
    elif case == "out under a file":
        where = str(tmp_path / "file.txt" / "report.html")
    elif case == "out unwritable":
        where = "/proc/gankit-report.html"  # refuses new files, even to root
    else:
        extra = ["--best-n", "-1"]
    assert main(["report", *runs, "--out", where, *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: error:"), err
    culprit = {"missing run": "no-such-run", "not a run": "empty", "a file": "config.yaml",
               "out is a folder": "empty", "out under a file": "file.txt",
               "out unwritable": "/proc", "negative best-n": "--best-n"}[case]
    assert culprit in err[0]
    assert out.read_text() == "the previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "file.txt", "report.html"]
    assert list((tmp_path / "empty").iterdir()) == []
