"""`openstack-lab:overrides` (components/ini_overrides.py): one failing case per
validation rule, each naming the exact config key path, and the merge into a rendered INI
file (in place, new options, new sections, nothing else touched)."""

from __future__ import annotations

import configparser
import json

import pytest

from components import ini_overrides as o
from components.config import ConfigError, Settings

KEY = "openstack-lab:overrides"


def nova(section: str = "DEFAULT", option: str = "debug", value: object = True) -> dict:
    return {"nova": {"nova.conf": {section: {option: value}}}}


def refused(value: object, path: str, problem: str, raw: str | None = None) -> ConfigError:
    """The settings refuse `value` with an error on exactly `path`."""
    with pytest.raises(ConfigError) as err:
        Settings.from_mapping({"overrides": json.dumps(value) if raw is None else raw})
    assert err.value.key == path, str(err.value)
    assert str(err.value).startswith(f"config openstack-lab:{path}: "), str(err.value)
    assert problem in str(err.value)
    return err.value


def accepted(value: object) -> dict:
    return dict(Settings.from_mapping({"overrides": json.dumps(value)}).overrides.files)


# --- the form -----------------------------------------------------------------------------

def test_the_documented_example_is_accepted():
    assert accepted({"nova": {"nova.conf": {"DEFAULT": {"debug": True}}},
                     "neutron": {"ml2_conf.ini": {"ml2": {"extension_drivers": "port_security"}}}}
                    ) == {("nova", "nova.conf"): {"DEFAULT": {"debug": "true"}},
                          ("neutron", "ml2_conf.ini"): {"ml2": {"extension_drivers":
                                                                "port_security"}}}


@pytest.mark.parametrize("raw", ["", "{}", "  "])
def test_empty_means_no_overrides(raw):
    assert Settings.from_mapping({"overrides": raw}).overrides.files == {}


def test_not_json_is_refused_on_the_key():
    refused(None, "overrides", "is not a mapping", raw="nova: {debug: true}")


@pytest.mark.parametrize("value,kind", [([], "a list"), ("nova", "a string"), (3, "int"),
                                        (None, "null")])
def test_the_whole_value_must_be_a_mapping(value, kind):
    refused(value, "overrides", f"must be a mapping (service -> file -> section -> option -> "
                                f"value), not {kind}")


def test_unknown_service_is_named():
    err = refused({"novaa": {}}, "overrides.novaa", "unknown service")
    assert "keystone, glance, placement, nova, neutron, cinder, octavia" in str(err)


@pytest.mark.parametrize("service", ["horizon", "mariadb", "rabbitmq", "Nova"])
def test_services_without_an_ini_file_are_unknown(service):
    refused({service: {}}, f"overrides.{service}", "unknown service")


def test_service_value_must_be_a_mapping():
    refused({"nova": "debug"}, "overrides.nova", "must be a mapping")


def test_unknown_file_is_named_with_the_service_files():
    err = refused({"neutron": {"neutron.ini": {}}}, 'overrides.neutron["neutron.ini"]',
                  "unknown file of neutron")
    assert "neutron.conf, ml2_conf.ini, openvswitch_agent.ini" in str(err)


def test_a_section_where_the_file_belongs_is_an_unknown_file():
    """service -> section -> option, one level short: the error says the form."""
    refused({"nova": {"DEFAULT": {"debug": True}}}, "overrides.nova.DEFAULT",
            "its files: nova.conf (service -> file -> section -> option -> value)")


def test_a_file_of_another_service_is_unknown():
    refused({"nova": {"neutron.conf": {}}}, 'overrides.nova["neutron.conf"]', "unknown file")


def test_file_value_must_be_a_mapping():
    refused({"nova": {"nova.conf": ["DEFAULT"]}}, 'overrides.nova["nova.conf"]',
            "must be a mapping")


def test_section_value_must_be_a_mapping():
    refused({"nova": {"nova.conf": {"DEFAULT": "debug=true"}}},
            'overrides.nova["nova.conf"].DEFAULT', "must be a mapping")


# --- names that would break the INI file --------------------------------------------------

# (name, why): "usable" for a printable name the INI syntax cannot take, else the
# unprintable character the error reports.
BAD_NAMES = [
    ("", "usable"), ("a]b", "usable"), ("[x", "usable"), ("a b", "usable"), ("a=b", "usable"),
    ("a:b", "usable"), ("#x", "usable"), (";x", "usable"), (".x", "usable"), ("-x", "usable"),
    (" debug", "usable"), ("débug", "usable"),
    ("a\nb", "'\\n' at position 1"), ("a\rb", "'\\r'"), ("a\tb", "'\\t'"),
    ("a\x00b", "'\\x00'"), ("a\x1bb", "'\\x1b'"), ("a\u2028b", "'\\u2028'"),
]


def name_problem(why: str, what: str) -> str:
    return (f"is not a usable {what} name" if why == "usable"
            else f"unprintable character {why}")


@pytest.mark.parametrize("name,why", BAD_NAMES, ids=[repr(n) for n, _ in BAD_NAMES])
def test_bad_section_names_are_refused(name, why):
    err = refused(nova(section=name), o.key_path("overrides", "nova", "nova.conf", name),
                  name_problem(why, "section"))
    assert "\n" not in str(err) and "\r" not in str(err)  # the path is escaped


@pytest.mark.parametrize("name,why", BAD_NAMES, ids=[repr(n) for n, _ in BAD_NAMES])
def test_bad_option_names_are_refused(name, why):
    err = refused(nova(option=name), o.key_path("overrides", "nova", "nova.conf", "DEFAULT",
                                                  name), name_problem(why, "option"))
    assert "\n" not in str(err) and "\r" not in str(err)


@pytest.mark.parametrize("name", ["DEFAULT", "keystone_authtoken", "oslo_messaging_rabbit",
                                  "lvm-1", "backend.2", "9x", "A_b-c.d"])
def test_usual_names_pass(name):
    files = accepted(nova(section=name, option=name, value="x"))
    assert files == {("nova", "nova.conf"): {name: {name: "x"}}}


# --- secrets ------------------------------------------------------------------------------

@pytest.mark.parametrize("option", sorted(o.SECRET_OPTIONS))
def test_options_holding_generated_secrets_cannot_be_overridden(option):
    err = refused(nova(section="anything", option=option, value="hunter2"),
                  f'overrides.nova["nova.conf"].anything.{option}', "holds a secret the lab "
                  "generates")
    assert "hunter2" not in str(err)


def test_options_a_step_sets_in_a_later_file_are_refused_with_the_reason():
    refused(nova(section="libvirt", option="virt_type", value="kvm"),
            'overrides.nova["nova.conf"].libvirt.virt_type',
            "would have no effect: each compute node chooses it")
    assert accepted(nova(section="libvirt", option="cpu_mode", value="host-model"))


# --- values -------------------------------------------------------------------------------

@pytest.mark.parametrize("value,written", [
    (True, "true"), (False, "false"), (0, "0"), (600, "600"), (-1, "-1"), (0.5, "0.5"),
    ("", ""), ("a value with spaces", "a value with spaces"),
    ("rabbit://u:p@h:5672/?a=b;c", "rabbit://u:p@h:5672/?a=b;c"), ("$my_ip", "$my_ip"),
    ("# not a comment", "# not a comment"), ("[not a section]", "[not a section]"),
    ("münchen", "münchen"),
])
def test_scalar_values_are_written_as_oslo_reads_them(value, written):
    assert accepted(nova(value=value)) == {("nova", "nova.conf"): {"DEFAULT": {"debug": written}}}


@pytest.mark.parametrize("value,problem", [
    (None, "not null"), ([1, 2], "not a list"), ({"a": 1}, "not a mapping"),
])
def test_non_scalar_values_are_refused(value, problem):
    refused(nova(value=value), 'overrides.nova["nova.conf"].DEFAULT.debug',
            f"must be a string, number or boolean, {problem}")


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused(raw):
    refused(None, 'overrides.nova["nova.conf"].DEFAULT.debug', "finite number",
            raw='{"nova": {"nova.conf": {"DEFAULT": {"debug": %s}}}}' % raw)


@pytest.mark.parametrize("value,char", [
    ("true\n[DEFAULT]", "'\\n'"), ("a\rb", "'\\r'"), ("a\tb", "'\\t'"), ("a\x00", "'\\x00'"),
    ("a\x7f", "'\\x7f'"), ("a\x85b", "'\\x85'"), ("a\u2029b", "'\\u2029'"),
])
def test_values_with_unprintable_characters_are_refused(value, char):
    err = refused(nova(value=value), 'overrides.nova["nova.conf"].DEFAULT.debug',
                  f"unprintable character {char}")
    assert value not in str(err)


@pytest.mark.parametrize("value", [" true", "true ", "\u00a0x"])
def test_values_with_outer_whitespace_are_refused(value):
    refused(nova(value=value), 'overrides.nova["nova.conf"].DEFAULT.debug', "whitespace")


def test_errors_never_echo_the_value():
    err = refused(nova(value="s3cret\n"), 'overrides.nova["nova.conf"].DEFAULT.debug',
                  "unprintable")
    assert "s3cret" not in str(err)


# --- key paths ----------------------------------------------------------------------------

def test_key_paths_use_the_pulumi_config_path_syntax():
    assert o.key_path("overrides", "nova", "nova.conf", "DEFAULT", "debug") == \
        'overrides.nova["nova.conf"].DEFAULT.debug'
    assert o.key_path("overrides", "neutron", "ml2_conf.ini", "ml2_type_vxlan") == \
        'overrides.neutron["ml2_conf.ini"].ml2_type_vxlan'
    assert o.key_path("overrides", "a\nb") == 'overrides["a\\nb"]'
    assert o.key_path("overrides", "9x", "") == 'overrides["9x"][""]'


# --- merging ------------------------------------------------------------------------------

CONF = """\
# openstack-lab: a service (whole file).
[DEFAULT]
log_dir = /var/log/svc
workers = 1

[api]
# a comment about the next option
auth_strategy = keystone

# a comment about [conductor]
[conductor]
workers = 1
"""


def test_no_overrides_leave_the_text_as_it_was():
    assert o.merge(CONF, {}) is CONF
    assert o.merge(CONF, {"api": {}}) is CONF


def test_an_existing_option_is_replaced_in_place():
    assert o.merge(CONF, {"conductor": {"workers": "4"}}) == CONF.replace(
        "[conductor]\nworkers = 1", "[conductor]\nworkers = 4")


def test_a_new_option_goes_after_the_last_option_of_its_section():
    merged = o.merge(CONF, {"api": {"debug": "true", "auth_strategy": "noauth2",
                                    "a_first": "x"}})
    assert merged == CONF.replace("auth_strategy = keystone\n",
                                  "auth_strategy = noauth2\na_first = x\ndebug = true\n")


def test_a_new_section_goes_at_the_end_in_sorted_order():
    merged = o.merge(CONF, {"zz": {"b": "2", "a": "1"}, "oslo_policy": {"enforce": "true"}})
    assert merged == CONF + "\n[oslo_policy]\nenforce = true\n\n[zz]\na = 1\nb = 2\n"


def test_the_order_of_the_overrides_does_not_matter():
    one = {"api": {"x": "1", "y": "2"}, "new": {"b": "1", "a": "2"}}
    two = {"new": {"a": "2", "b": "1"}, "api": {"y": "2", "x": "1"}}
    assert o.merge(CONF, one) == o.merge(CONF, two)


def test_an_option_of_the_same_name_in_another_section_is_untouched():
    merged = o.merge(CONF, {"DEFAULT": {"workers": "2"}})
    assert "[DEFAULT]\nlog_dir = /var/log/svc\nworkers = 2\n" in merged
    assert merged.endswith("[conductor]\nworkers = 1\n")


def test_empty_values_and_options_of_the_preamble():
    text = "top = 1\n[DEFAULT]\ntop = 2\n"
    assert o.merge(text, {"DEFAULT": {"top": ""}}) == "top = 1\n[DEFAULT]\ntop =\n"


def test_a_repeated_option_keeps_only_the_override_and_continuations_go_with_it():
    text = "[DEFAULT]\nx = 1\n  continued\ny = 2\nx = 3\n[b]\nx = 4\n"
    assert o.merge(text, {"DEFAULT": {"x": "9"}}) == "[DEFAULT]\nx = 9\ny = 2\n[b]\nx = 4\n"


def test_a_section_that_appears_twice_takes_new_options_in_its_last_block():
    text = "[a]\nx = 1\n[b]\ny = 1\n[a]\nz = 1\n"
    assert o.merge(text, {"a": {"x": "2", "w": "0"}}) == \
        "[a]\nx = 2\n[b]\ny = 1\n[a]\nz = 1\nw = 0\n"


def test_option_names_split_as_oslo_config_splits_them():
    assert o.option_name("a = b") == "a"
    assert o.option_name("a=b:c") == "a"
    assert o.option_name("a: b=c") == "a"
    assert o.option_name("  continued") is None
    assert o.option_name("# a = b") is None
    assert o.option_name("; a = b") is None
    assert o.option_name("[a]") is None
    assert o.option_name("no separator") is None


def test_the_merged_file_parses_with_the_overrides_in_it():
    merged = o.merge(CONF, {"DEFAULT": {"debug": "true"}, "api": {"auth_strategy": "noauth2"},
                            "new": {"k": "v"}})
    cfg = configparser.ConfigParser(interpolation=None, default_section="none")
    cfg.read_string(merged)
    assert cfg["DEFAULT"]["debug"] == "true" and cfg["DEFAULT"]["workers"] == "1"
    assert cfg["api"]["auth_strategy"] == "noauth2"
    assert cfg["new"]["k"] == "v" and cfg["conductor"]["workers"] == "1"


def test_apply_knows_only_the_declared_files():
    overrides = o.IniOverrides({("nova", "nova.conf"): {"DEFAULT": {"debug": "true"}}})
    assert "debug = true" in overrides.apply("nova", "/etc/nova/nova.conf", "[DEFAULT]\n")
    assert overrides.apply("glance", "/etc/glance/glance-api.conf", CONF) is CONF
    with pytest.raises(ValueError, match="not in ini_overrides.FILES"):
        overrides.apply("nova", "/etc/nova/api-paste.ini", CONF)
    with pytest.raises(ValueError, match="not in ini_overrides.FILES"):
        overrides.apply("horizon", "/etc/openstack-dashboard/local_settings.py", CONF)
