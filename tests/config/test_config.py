import pytest

from gankit.config import Config, config_from_dict, load_config, parse_override, preset_names
from gankit.errors import GankitError


def test_every_preset_resolves_to_a_typed_config():
    names = preset_names()
    assert {"default", "dcgan", "dcgan32", "simple-gan"} <= set(names)
    for name in names:
        cfg = load_config(name)
        assert isinstance(cfg, Config)
        assert cfg.preset == name
        assert cfg.description, f"preset {name} needs a description line"


def test_base_preset_is_inherited_and_overridden():
    cfg = load_config("dcgan32")
    base = load_config("dcgan")
    assert cfg.data.resolution == 32 and base.data.resolution == 64
    assert cfg.train.batch_size == base.train.batch_size == 128


def test_overrides_parse_yaml_values():
    cfg = load_config("default", ["optim.lr_g=1e-4", "train.steps=7", "optim.betas=[0, 0.9]",
                                  "data.flip=false"])
    assert cfg.optim.lr_g == pytest.approx(1e-4)
    assert cfg.train.steps == 7
    assert cfg.optim.betas == [0, 0.9]
    assert cfg.data.flip is False


def test_int_is_accepted_for_float_fields():
    assert config_from_dict({"optim": {"lr_g": 1}}).optim.lr_g == 1.0


@pytest.mark.parametrize("values, fragment", [
    ({"train": {"stepz": 3}}, "train.stepz"),
    ({"trian": {}}, "trian"),
    ({"train": {"steps": "many"}}, "train.steps"),
    ({"data": {"flip": 3}}, "data.flip"),
    ({"train": {"steps": 1.5}}, "train.steps"),
])
def test_unknown_keys_and_wrong_types_are_clear_errors(values, fragment):
    with pytest.raises(GankitError, match=fragment.replace(".", r"\.")):
        config_from_dict(values)


def test_bad_override_and_unknown_preset():
    with pytest.raises(GankitError, match="key=value"):
        parse_override("train.steps")
    with pytest.raises(GankitError, match="unknown preset"):
        load_config("no-such-preset")


def test_yaml_file_config(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("base: default\ntrain:\n  steps: 3\n")
    cfg = load_config(str(path))
    assert cfg.train.steps == 3 and cfg.data.name == "shapes"
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: [1, 2\n")
    with pytest.raises(GankitError, match="not valid YAML"):
        load_config(str(bad))


def test_config_roundtrips_through_yaml():
    import yaml
    cfg = load_config("simple-gan")
    assert config_from_dict(yaml.safe_load(cfg.to_yaml())) == cfg
