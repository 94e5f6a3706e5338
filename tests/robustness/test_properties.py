"""Property tests: the config parser and the label-file readers, fed arbitrary input,
either succeed or raise GankitError (a one-line user error), never anything else."""

from __future__ import annotations

import dataclasses
import json
import tempfile
import typing
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gankit.config import Config, config_from_dict, load_config, parse_override, preset_names
from gankit.data.iclevr import read_conditions
from gankit.data.paired import read_label_csv
from gankit.errors import GankitError

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

HINTS = typing.get_type_hints(Config)
SECTIONS = sorted(name for name, hint in HINTS.items() if dataclasses.is_dataclass(hint))
KEYS = sorted({f.name for name in SECTIONS for f in dataclasses.fields(HINTS[name])} | set(HINTS))
OBJECTS = ["red cube", "blue sphere", "green cylinder", "gray cube"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=4)),
    max_leaves=12)
key_names = st.one_of(st.sampled_from(KEYS), st.sampled_from(SECTIONS),
                      st.text(max_size=8))
configs = st.dictionaries(
    st.one_of(st.sampled_from(SECTIONS), st.text(max_size=8)),
    st.one_of(st.dictionaries(key_names, values, max_size=6), values), max_size=5)


def user_error_or_success(call, *args):
    """Run ``call``: success and GankitError (one line) are fine; anything else fails."""
    try:
        call(*args)
    except GankitError as err:
        assert "\n" not in str(err), f"message is not one line: {str(err)!r}"


@SETTINGS
@given(configs)
def test_config_from_dict_never_crashes(values_):
    user_error_or_success(config_from_dict, values_)


def _yaml_parses(text: str) -> bool:
    try:
        yaml.safe_load(text.split("=", 1)[-1])
    except yaml.YAMLError:
        return False
    return True


def _plain_keys(value) -> bool:
    """No non-text keys and no ints beyond float range anywhere in a parsed value."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain_keys(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain_keys(v) for v in value)
    return not isinstance(value, int) or abs(value) < 10**300


override_text = st.one_of(
    st.text(max_size=40),
    st.builds(lambda key, raw: f"{key}={raw}",
              st.builds(".".join, st.lists(key_names, min_size=1, max_size=3)),
              st.one_of(st.text(max_size=20), st.sampled_from(
                  ["1", "-3", "1e-4", "[0.5, 0.9]", "{a: 1}", "true", "null", "nan", ".inf",
                   "[", "{", "'", "a: b: c", "- x", "&a *a", "!!python/name:os.system",
                   "{1: 2}", "9" * 400]))))
# Invalid YAML in --set, non-text keys and ints beyond float range have their own
# tests below.
valid_override_text = override_text.filter(_yaml_parses)


@SETTINGS
@given(valid_override_text)
def test_parse_override_never_crashes(text):
    user_error_or_success(parse_override, text)


@SETTINGS
@given(st.sampled_from(preset_names()),
       st.lists(valid_override_text.filter(lambda text: "=" not in text or _plain_keys(
           yaml.safe_load(text.split("=", 1)[1]))), max_size=4))
def test_load_config_with_random_overrides_never_crashes(preset, overrides):
    user_error_or_success(load_config, preset, overrides)


def _parsed_plain(content: bytes) -> bool:
    try:
        return _plain_keys(yaml.safe_load(content))
    except (yaml.YAMLError, ValueError):  # unreadable files are the reader's to report
        return True


yaml_files = st.one_of(
    st.binary(max_size=60),
    st.text(max_size=60).map(lambda text: text.encode("utf-8", "surrogatepass")),
    configs.map(lambda value: yaml.safe_dump(value).encode()),
    st.fixed_dictionaries({"base": st.one_of(st.sampled_from(preset_names()), scalars,
                                             st.just("SELF"), st.just("missing.yaml"))},
                          optional={"train": st.dictionaries(key_names, values, max_size=3)}
                          ).map(lambda value: yaml.safe_dump(value).encode()),
).filter(_parsed_plain)


@SETTINGS
@given(content=yaml_files)
def test_load_config_from_a_yaml_file_never_crashes(scratch, content):
    path = scratch / "mine.yaml"
    path.write_bytes(content.replace(b"SELF", str(path).encode()))  # base: itself, a loop
    user_error_or_success(load_config, str(path))


@pytest.mark.parametrize("text", ["a=[", "a='", "a=\x08"])
def test_invalid_yaml_in_an_override_is_a_user_error(text):
    with pytest.raises(GankitError):
        parse_override(text)


@pytest.mark.parametrize("values", [{"data": {1: 2, "name": "x"}}, {1: 2, "data": {}},
                                    {"train": {"steps": 10**400}}])
def test_odd_keys_and_huge_numbers_are_user_errors(values):
    with pytest.raises(GankitError):
        config_from_dict(values)


# --- label files ----------------------------------------------------------------------

json_like = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10),
              st.sampled_from(OBJECTS)),
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=15)
condition_lists = st.lists(st.lists(st.one_of(st.sampled_from(OBJECTS), st.text(max_size=6)),
                                    max_size=5), max_size=5)
file_contents = st.one_of(
    st.binary(max_size=60),
    st.text(max_size=60),
    json_like.map(lambda value: json.dumps(value).encode()),
    condition_lists.map(lambda value: json.dumps(value).encode()),
)


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory() as folder:  # tmp_path is per test, not per example
        yield Path(folder)


def write(folder: Path, name: str, content: bytes | str) -> Path:
    path = folder / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(content)
    return path


@SETTINGS
@given(content=file_contents)
def test_read_conditions_never_crashes(scratch, content):
    path = write(scratch, "conditions.json", content)
    user_error_or_success(read_conditions, path, OBJECTS)


csv_cells = st.one_of(st.sampled_from(["", "image", "index", "MEL", "NV", "0", "1", "1.0", "x.jpg",
                                       "ISIC_1", "nan", "inf", "-1", "0.6", "Unnamed: 0"]),
                      st.text(max_size=6))
csv_text = st.lists(st.lists(csv_cells, max_size=5), max_size=6).map(
    lambda rows: "\n".join(",".join(row) for row in rows))


@SETTINGS
@given(content=st.one_of(csv_text, st.text(max_size=80), st.binary(max_size=80)),
       multi=st.booleans())
def test_read_label_csv_never_crashes(scratch, content, multi):
    path = write(scratch, "labels.csv", content)
    user_error_or_success(read_label_csv, path, multi)

