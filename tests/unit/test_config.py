"""The settings object: defaults, derived values, and errors that name the key."""

import pytest
import yaml

from components import config
from components.config import ConfigError, Settings
from tests.fixtures.keys import HOST_KEY, real_private_key

GCP = {"underlay": "gcp", "profile": "standard", "gcpProject": "lab-project-1",
       "operatorCidr": "203.0.113.0/24"}
METAL = {"underlay": "metal", "metalHost": "lab.example.org",
         "metalHostKey": HOST_KEY, "metalPrivateKey": real_private_key()}


def test_defaults_build_the_default_lab():
    s = Settings.from_mapping({})
    assert (s.layer, s.underlay, s.profile) == ("underlay", "local", "minimal")
    assert [n.name for n in s.nodes] == ["controller", "compute-1"]
    assert s.nodes[0].roles == ("controller", "network", "storage")
    assert (s.networks.mtu, s.networks.tenant_mtu) == (1500, 1450)
    assert s.metal is None and s.gcp is None


def test_standard_profile_is_the_reference_layout():
    s = Settings.from_mapping({"profile": "standard"})
    assert [n.name for n in s.nodes] == ["controller", "network", "compute-1", "compute-2",
                                         "storage"]
    assert [n.host_offset for n in s.nodes] == [11, 12, 21, 22, 31]


def test_size_overrides_reach_the_nodes():
    s = Settings.from_mapping({"profile": "standard", "computeCount": "3",
                               "computeMemoryMib": "6144", "controllerVcpus": "4"})
    computes = [n for n in s.nodes if n.has("compute")]
    assert len(computes) == 3 and {n.memory_mib for n in computes} == {6144}
    assert s.nodes[0].vcpus == 4


def test_gcp_defaults_to_its_mtu():
    s = Settings.from_mapping(GCP)
    assert (s.networks.mtu, s.networks.tenant_mtu) == (1460, 1410)
    assert s.gcp is not None and s.gcp.vcpus == 8


def test_metal_settings_are_collected():
    s = Settings.from_mapping(METAL)
    assert s.metal is not None and (s.metal.user, s.metal.port) == ("root", 22)


BAD = [
    ({"layer": "middle"}, "layer", "not one of underlay, overlay"),
    ({"underlay": "packet"}, "underlay", "not one of local, metal, gcp"),
    ({"profile": "huge"}, "profile", "not one of minimal, standard"),
    ({"profil": "standard"}, "profil", "unknown key"),
    ({"computeCount": "2"}, "computeCount", "exactly 1 compute"),
    ({"profile": "standard", "computeCount": "0"}, "computeCount", "outside 1..64"),
    ({"profile": "standard", "computeCount": "many"}, "computeCount", "not a whole number"),
    ({"networkMemoryMib": "2048"}, "networkMemoryMib", "no separate network node"),
    ({"controllerMemoryMib": "512"}, "controllerMemoryMib", "outside 2048..262144"),
    ({"managementCidr": "192.168.1.0/33"}, "managementCidr", "not a CIDR"),
    ({"managementCidr": "192.168.1.5/24"}, "managementCidr", "not a CIDR"),
    ({"publicCidr": "8.8.8.0/24"}, "publicCidr", "not a private range"),
    ({"underlayCidr": "192.168.2.0/28"}, "underlayCidr", "too small"),
    ({"underlayCidr": "192.168.1.128/25"}, "underlayCidr", "overlaps openstack-lab:managementCidr"),
    ({"externalCidr": "fd00::/64"}, "externalCidr", "only IPv4"),
    ({"profile": "standard", "computeCount": "20", "managementCidr": "192.168.1.0/26"},
     "managementCidr", "no room for host number 120"),
    ({"mtu": "1300"}, "mtu", "outside 1330..9000"),  # tenant VXLAN would drop below 1280
    ({**GCP, "mtu": "1500"}, "mtu", "exceeds the GCP VPC MTU"),
    ({"imageSource": "ftp://mirror/debian.qcow2"}, "imageSource", "not auto, build"),
    ({"imageSource": "relative/disk.qcow2"}, "imageSource", "not auto, build"),
    ({"accel": "hvf"}, "accel", "not one of auto, kvm, tcg"),
    ({"install": "devstack"}, "install", "not one of openstack, none"),
    ({"underlay": "metal"}, "metalHost", "required when underlay is metal"),
    ({**METAL, "metalHost": "lab\n  ProxyCommand id"}, "metalHost", "control character"),
    ({**METAL, "metalUser": "Root"}, "metalUser", "not a POSIX user name"),
    ({**METAL, "metalHostKey": "  "}, "metalHostKey", "is not '<type> <base64>'"),
    ({**METAL, "metalPrivateKey": "-----BEGIN..."}, "metalPrivateKey",
     "not an unencrypted private key"),
    ({**METAL, "metalPort": "0"}, "metalPort", "outside 1..65535"),
    ({"underlay": "gcp", "profile": "standard"}, "gcpProject", "required when underlay is gcp"),
    ({**GCP, "gcpProject": "lab-1"}, "gcpProject", "not a GCP project ID"),
    ({**GCP, "gcpRegion": "us-central"}, "gcpRegion", "not a GCP region"),
    ({**GCP, "gcpZone": "us-east1-b"}, "gcpZone", "not in openstack-lab:gcpRegion"),
    ({**GCP, "operatorCidr": "0.0.0.0/0"}, "operatorCidr", "too much of the internet"),
    ({k: v for k, v in GCP.items() if k != "operatorCidr"}, "operatorCidr", "required"),
    ({**GCP, "profile": "minimal"}, "profile", "gcp runs the standard profile"),
    ({**GCP, "gcpMachineType": "e2-standard-8"}, "gcpMachineType", "nested virtualization"),
    ({**GCP, "gcpMachineType": "n2-standard-2"}, "gcpMachineType", "needs 3 NICs"),
    ({"layer": "overlay"}, "underlayStack", "required when layer is overlay"),
    ({"layer": "overlay", "underlayStack": "dev", "webImage": "/tmp/web.qcow2"}, "webImage",
     "neither build nor an http(s) URL"),
    ({"layer": "overlay", "underlayStack": "dev", "lbTimeoutMinutes": "2"}, "lbTimeoutMinutes",
     "outside 5..600"),
    # The nested paths are tested rule by rule in tests/unit/test_ini_overrides.py.
    ({"overrides": "nova.conf"}, "overrides", "is not a mapping"),
    ({"overrides": "[]"}, "overrides", "must be a mapping"),
]


def test_overlay_settings_are_collected():
    s = Settings.from_mapping({"layer": "overlay", "underlayStack": "dev"})
    assert s.overlay is not None
    assert (s.overlay.underlay_stack, s.overlay.web_image, s.overlay.timeout_minutes) == (
        "dev", "build", 120)
    assert Settings.from_mapping({}).overlay is None


@pytest.mark.parametrize("raw,key,problem", BAD, ids=[f"{b[1]}:{b[2]}" for b in BAD])
def test_bad_value_names_the_key(raw, key, problem):
    with pytest.raises(ConfigError) as err:
        Settings.from_mapping(raw)
    assert err.value.key == key
    assert str(err.value).startswith(f"config openstack-lab:{key}: ")
    assert problem in str(err.value)


def test_every_key_has_a_bad_value_test():
    tested = {key for _raw, key, _problem in BAD}
    parsed_keys = {k.name for k in config.KEYS}
    # Sizes share the integer parser the other sizes test (tests/unit/test_strict_settings.py
    # tests the metal and gcp keys rule by rule).
    free_text = {"rootDiskGib", "lvmDiskGib", "computeVcpus", "computeMemoryMib",
                 "storageVcpus", "storageMemoryMib", "networkVcpus", "controllerVcpus"}
    assert parsed_keys - tested - {"profil"} <= free_text


def test_project_values_keeps_only_this_project():
    got = config.project_values({"openstack-lab:profile": "standard", "gcp:project": "x"})
    assert got == {"profile": "standard"}


def test_pulumi_yaml_declares_every_key_with_the_same_default(repo_root):
    declared = yaml.safe_load((repo_root / "Pulumi.yaml").read_text())["config"]
    # A declared key without a default would be required by the CLI itself.
    assert set(declared) == {k.name for k in config.KEYS if k.default is not None}
    for key in config.KEYS:
        if key.default is None:
            continue
        assert declared[key.name]["default"] == yaml.safe_load(key.default), key.name
        assert declared[key.name].get("secret", False) == key.secret, key.name


def test_project_values_hands_structured_values_over_as_the_engine_does():
    """The engine gives the program a YAML mapping as JSON; a stack file read here gives
    the mapping itself."""
    overrides = {"nova": {"nova.conf": {"DEFAULT": {"debug": True}}}}
    got = config.project_values({"openstack-lab:overrides": overrides,
                                 "openstack-lab:rootDiskGib": 30})
    assert got == {"overrides": '{"nova": {"nova.conf": {"DEFAULT": {"debug": true}}}}',
                   "rootDiskGib": "30"}
    s = Settings.from_mapping(got)
    assert s.overrides.files == {("nova", "nova.conf"): {"DEFAULT": {"debug": "true"}}}
    assert Settings.from_mapping({}).overrides.files == {}


def test_dev_stack_file_is_valid_settings(repo_root):
    raw = yaml.safe_load((repo_root / "Pulumi.dev.yaml").read_text())["config"]
    s = Settings.from_mapping(config.project_values(raw))
    assert (s.underlay, s.profile) == ("local", "minimal")


def test_pulumi_yaml_is_generated_from_the_keys(repo_root):
    from scripts.generate import pulumi_yaml

    current = (repo_root / "Pulumi.yaml").read_text()
    assert pulumi_yaml(current) == current, "run .venv/bin/python scripts/generate.py"
