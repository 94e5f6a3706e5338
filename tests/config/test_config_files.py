"""YAML config files: an empty one is refused, unreadable ones are one-line errors."""

from __future__ import annotations

import pytest

from gankit.cli.main import main
from gankit.config import load_config
from gankit.errors import GankitError


@pytest.mark.parametrize("text", ["", "\n\n", "# just a comment\n", "---\n", "{}\n"])
def test_empty_config_file_is_refused(tmp_path, text):
    path = tmp_path / "empty.yaml"
    path.write_text(text)
    with pytest.raises(GankitError) as caught:
        load_config(str(path))
    assert str(caught.value) == (f"config file {path} is empty; start from a preset "
                                 "(gankit presets) or set at least one key")


def test_a_file_that_only_names_its_base_is_not_empty(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("base: dcgan\n")
    assert load_config(str(path)).model == load_config("dcgan").model


@pytest.mark.parametrize("write, fragment", [
    (lambda path: path.write_bytes(b"\xff\xfe\x00\x01"), "cannot read config file"),
    (lambda path: path.mkdir(), "is a folder"),
    (lambda path: path.write_text("base: 5\n"), "must be a preset name or a .yaml file"),
    (lambda path: path.write_text(f"base: {path}\n"), "loops back to itself"),
    (lambda path: path.write_text("- a\n- b\n"), "must hold a mapping"),
    (lambda path: path.write_text("train: [\n"), "is not valid YAML"),
])
def test_unusable_config_files_are_one_line(tmp_path, write, fragment):
    path = tmp_path / "bad.yaml"
    write(path)
    with pytest.raises(GankitError, match=fragment) as caught:
        load_config(str(path))
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_base_loop_through_two_files(tmp_path):
    (tmp_path / "a.yaml").write_text(f"base: {tmp_path / 'b.yaml'}\n")
    (tmp_path / "b.yaml").write_text(f"base: {tmp_path / 'a.yaml'}\n")
    with pytest.raises(GankitError, match="loops back"):
        load_config(str(tmp_path / "a.yaml"))


def test_train_on_an_empty_config_file_is_one_cli_line(tmp_path, capsys):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    assert main(["train", str(path), "--steps", "1", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [(f"gankit: error: config file {path} is empty; start from a preset "
                    "(gankit presets) or set at least one key")]
    assert not (tmp_path / "run").exists()
