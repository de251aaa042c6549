"""The settings object: defaults, allowed values, and errors that name the key."""

import pytest
import yaml

from components import config
from components.config import ConfigError, Settings


def test_defaults_build_the_default_lab():
    s = Settings.from_mapping({})
    assert (s.layer, s.underlay, s.profile) == ("underlay", "local", "minimal")


@pytest.mark.parametrize(
    "key,bad",
    [("layer", "middle"), ("underlay", "packet"), ("profile", "huge")],
)
def test_bad_choice_names_key_and_allowed_values(key, bad):
    with pytest.raises(ConfigError) as err:
        Settings.from_mapping({key: bad})
    assert err.value.key == key
    assert f"openstack-lab:{key}" in str(err.value)
    assert repr(bad) in str(err.value)
    spec = next(k for k in config.KEYS if k.name == key)
    for allowed in spec.choices:
        assert allowed in str(err.value)


def test_misspelt_key_is_an_error_not_ignored():
    with pytest.raises(ConfigError, match="openstack-lab:profil: unknown key"):
        Settings.from_mapping({"profil": "standard"})


def test_project_values_keeps_only_this_project():
    got = config.project_values({"openstack-lab:profile": "standard", "gcp:project": "x"})
    assert got == {"profile": "standard"}


def test_pulumi_yaml_declares_every_key_with_the_same_default(repo_root):
    declared = yaml.safe_load((repo_root / "Pulumi.yaml").read_text())["config"]
    assert set(declared) == {k.name for k in config.KEYS}
    for key in config.KEYS:
        assert str(declared[key.name]["default"]) == key.default, key.name


def test_dev_stack_file_is_valid_settings(repo_root):
    raw = yaml.safe_load((repo_root / "Pulumi.dev.yaml").read_text())["config"]
    s = Settings.from_mapping(config.project_values(raw))
    assert (s.underlay, s.profile) == ("local", "minimal")
