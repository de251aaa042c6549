"""The underlay graphs under mocks: all three underlays, both profiles — types, names,
parents, providers, dependencies and secrets."""

from __future__ import annotations

import asyncio

import pulumi
import pytest

from components.config import Settings
from components.errors import ConfigError
from components.gcp_rules import GcpNames
from tests.harness import RecordingMonitor, Registered, run_main, stack_outputs
from tests.fixtures.keys import HOST_KEY, real_private_key

SECRET_SIG = "4dabf18193072939515e22adb298388d"
METAL = {"underlay": "metal", "metalHost": "192.0.2.10", "metalUser": "lab",
         "metalHostKey": HOST_KEY, "metalPrivateKey": real_private_key()}
GCP = {"underlay": "gcp", "profile": "standard", "gcpProject": "lab-project",
       "operatorCidr": "198.51.100.0/24"}
NODES = {"minimal": ["controller", "compute-1"],
         "standard": ["controller", "network", "compute-1", "compute-2", "storage"]}


def is_secret(value) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270"


def unwrap(value):
    return value["value"] if is_secret(value) else value


def children(monitor: RecordingMonitor, parent: Registered, typ: str) -> list[Registered]:
    return [r for r in monitor.of_type(typ) if r.parent == parent.urn]


def provider_of(r: Registered) -> str:
    return r.provider.rsplit("::", 1)[0]


@pytest.mark.parametrize("profile", ["minimal", "standard"])
@pulumi.runtime.test
def test_local_underlay_builds_a_libvirt_node_per_profile_node(mock_lab, profile):
    monitor = mock_lab({"profile": profile, "accel": "tcg"})
    run_main()

    def check(_):
        underlay = monitor.named("underlay")
        assert underlay.type == "openstacklab:underlay:LocalUnderlay"
        provider = monitor.named("underlay-libvirt")
        assert provider.inputs["uri"] == "qemu:///system"
        domains = monitor.of_type("libvirt:index/domain:Domain")
        assert sorted(d.name for d in domains) == sorted(f"underlay-{n}-domain" for n in NODES[profile])
        libvirt = [r for r in monitor.registered if r.type.startswith("libvirt:index/")]
        assert libvirt and all(provider_of(r) == provider.urn for r in libvirt)
        for node in NODES[profile]:
            component = monitor.named(f"underlay-{node}")
            assert component.type == "openstacklab:underlay:KvmNode"
            assert component.parent == underlay.urn
            domain = monitor.named(f"underlay-{node}-domain")
            assert domain.parent == component.urn
            assert domain.inputs["name"] == f"osl-dev-{node}"
            assert domain.inputs["type"] == "qemu"  # accel=tcg
            assert "cpu" not in domain.inputs  # TCG: the XSLT's custom model
            assert "tb-cache" in domain.inputs["xml"]["xslt"]
            assert 'policy="require" name="cx16"' in domain.inputs["xml"]["xslt"]
            ready = monitor.named(f"underlay-{node}-ready-check")
            assert ready.type == "command:remote:Command"
            # A replaced domain is waited for again.
            assert ready.inputs["triggers"] == [f"{domain.name}-id"]
            assert domain.urn in monitor.named(f"underlay-{node}-ready").dependencies
            assert "connection" in ready.secret_outputs
            assert is_secret(ready.inputs["connection"]) or \
                is_secret(ready.inputs["connection"].get("privateKey"))
        # The built image boots with the kernel argument TCG nodes need.
        resolve = monitor.named("underlay-image-resolve")
        assert resolve.inputs["environment"]["NODE_IMAGE_KERNEL_ARGS"] == "clearcpuid=cx16"
        assert "clearcpuid=cx16" in resolve.inputs["triggers"]
        return True

    return stack_outputs().apply(check)


@pytest.mark.parametrize("source", ["https://example.org/debian.qcow2", "/srv/debian.qcow2"])
def test_tcg_refuses_an_image_it_cannot_give_the_kernel_argument(mock_lab, source):
    monitor = mock_lab({"profile": "minimal", "accel": "tcg", "imageSource": source})
    with pytest.raises(ConfigError, match="imageSource.*clearcpuid=cx16"):
        run_main()
    assert not [r for r in monitor.registered if not r.type.startswith("pulumi:")]


@pulumi.runtime.test
def test_kvm_keeps_host_passthrough_and_an_unchanged_kernel(mock_lab):
    monitor = mock_lab({"profile": "minimal", "accel": "kvm",
                        "imageSource": "https://example.org/debian.qcow2"})
    run_main()

    def check(_):
        domain = monitor.named("underlay-controller-domain")
        assert domain.inputs["cpu"]["mode"] == "host-passthrough"
        assert "xml" not in domain.inputs
        resolve = monitor.named("underlay-image-resolve")
        assert resolve.inputs["environment"]["NODE_IMAGE_KERNEL_ARGS"] == ""
        return True

    return stack_outputs().apply(check)


@pulumi.runtime.test
def test_overlays_name_an_explicit_backing_format_and_seeds_are_secret(mock_lab):
    monitor = mock_lab({"profile": "minimal"})
    run_main()

    def check(_):
        base = monitor.named("underlay-fabric-base")
        assert base.inputs["format"] == "qcow2"
        assert base.inputs["source"].endswith(".qcow2")  # the resolved node image
        pool = monitor.named("underlay-fabric-pool")
        assert pool.inputs["name"] == "osl-dev" and pool.inputs["type"] == "dir"
        for node in NODES["minimal"]:
            root = monitor.named(f"underlay-{node}-root")
            assert root.inputs["format"] == "qcow2"
            assert root.inputs["baseVolumeId"] == "underlay-fabric-base-id"
            seed = monitor.named(f"underlay-{node}-seed")
            assert is_secret(seed.inputs["userData"])
            assert unwrap(seed.inputs["userData"]).startswith("#cloud-config\n")
            assert "instance-id: iid-" in seed.inputs["metaData"]
        # Only the storage role gets the LVM disk (minimal: the controller carries it).
        assert [r.name for r in monitor.of_type("libvirt:index/volume:Volume")
                if r.name.endswith("-lvm")] == ["underlay-controller-lvm"]
        return True

    return stack_outputs().apply(check)


@pulumi.runtime.test
def test_networks_follow_the_plan(mock_lab):
    monitor = mock_lab({"profile": "standard"})
    run_main()

    def check(_):
        nets = {r.inputs["name"]: r.inputs for r in monitor.of_type("libvirt:index/network:Network")}
        assert nets["osl-dev-public"]["mode"] == "nat"
        assert nets["osl-dev-public"]["addresses"] == ["10.0.2.0/24"]
        assert nets["osl-dev-management"]["mode"] == "none"
        assert nets["osl-dev-underlay"]["mode"] == "none"
        assert nets["osl-dev-external"]["mode"] == "nat"
        assert all(n["dhcp"]["enabled"] is False for n in nets.values())
        compute = monitor.named("underlay-compute-1-domain")
        macs = [nic["mac"] for nic in compute.inputs["networkInterfaces"]]
        assert len(macs) == 3 and all(m.endswith(":15") for m in macs)  # .21 = 0x15
        return True

    return stack_outputs().apply(check)


@pulumi.runtime.test
def test_metal_prepares_the_host_then_drives_libvirt_over_ssh(mock_lab):
    monitor = mock_lab(METAL)
    run_main()

    def check(_):
        underlay = monitor.named("underlay")
        assert underlay.type == "openstacklab:underlay:MetalUnderlay"
        prepare = monitor.named("underlay-prepare")
        conn = unwrap(prepare.inputs["connection"])
        assert unwrap(conn["host"]) == "192.0.2.10" and unwrap(conn["hostKey"]).startswith("ssh-ed25519")
        files = monitor.named("underlay-ssh-files")
        assert is_secret(files.inputs["stdin"])  # the key goes through stdin, never argv
        assert {"stdout", "stderr"} <= set(files.secret_outputs)  # not implied by stdin
        assert "PRIVATE KEY" not in files.inputs["create"]
        provider = monitor.named("underlay-libvirt")
        uri = provider.inputs["uri"]
        assert uri.startswith("qemu+ssh://lab@192.0.2.10:22/system?")
        assert "knownhosts=" in uri and "keyfile=" in uri
        assert prepare.urn in provider.dependencies and files.urn in provider.dependencies
        # Facts from the prepared host (mocked: real KVM) pick KVM with host-passthrough.
        domain = monitor.named("underlay-controller-domain")
        assert domain.inputs["type"] == "kvm"
        assert domain.inputs["cpu"] == {"mode": "host-passthrough"}
        ready = monitor.named("underlay-controller-ready-check")
        proxy = unwrap(unwrap(ready.inputs["connection"])["proxy"])
        assert unwrap(proxy["host"]) == "192.0.2.10"
        return True

    return stack_outputs().apply(check)


@pulumi.runtime.test
def test_gcp_nodes_are_nested_virt_instances_behind_one_jump_host(mock_lab):
    monitor = mock_lab(GCP)
    run_main()

    def check(outputs):
        assert monitor.named("underlay").type == "openstacklab:underlay:GcpUnderlay"
        vpcs = monitor.of_type("gcp:compute/network:Network")
        assert sorted(v.inputs["name"] for v in vpcs) == [
            "osl-dev-management", "osl-dev-public", "osl-dev-underlay"]
        assert all(v.inputs["mtu"] == 1460 for v in vpcs)
        for fw in monitor.of_type("gcp:compute/firewall:Firewall"):
            assert "0.0.0.0/0" not in fw.inputs["sourceRanges"]
        operator = monitor.named("underlay-operator")
        assert operator.inputs["sourceRanges"] == ["198.51.100.0/24"]
        instances = {i.name: i.inputs for i in monitor.of_type("gcp:compute/instance:Instance")}
        assert sorted(instances) == sorted(f"underlay-{n}" for n in NODES["standard"])
        for inputs in instances.values():
            assert inputs["advancedMachineFeatures"]["enableNestedVirtualization"] is True
            assert inputs["minCpuPlatform"].startswith("Intel")
            assert is_secret(inputs["metadata"]["user-data"])
            assert len(inputs["networkInterfaces"]) <= 8
        public = [n for n, i in instances.items()
                  if any("accessConfigs" in nic for nic in i["networkInterfaces"])]
        assert public == ["underlay-network"]
        compute_ready = unwrap(monitor.named("underlay-compute-1-ready-check").inputs["connection"])
        assert unwrap(unwrap(compute_ready["proxy"])["host"]) == "203.0.113.10"
        assert outputs["ssh"]["jump_host"] == "203.0.113.10"
        assert "ProxyJump lab-jump" in outputs["ssh"]["config"]
        return True

    return stack_outputs().apply(check)


@pulumi.runtime.test
def test_outputs_give_inventory_plan_and_ssh_access(mock_lab):
    mock_lab({"profile": "minimal"})
    run_main()

    def check(outputs):
        nodes = {n["name"]: n for n in outputs["nodes"]}
        assert nodes["controller"]["roles"] == ["controller", "network", "storage"]
        assert nodes["controller"]["addresses"] == {
            "public": "10.0.2.11", "management": "192.168.1.11", "underlay": "192.168.2.11"}
        assert nodes["compute-1"]["addresses"]["management"] == "192.168.1.21"
        assert outputs["network_plan"]["tenant_mtu"] == 1450
        ssh = outputs["ssh"]
        assert ssh["user"] == "debian" and ssh["jump_host"] is None
        assert "Host controller\n  HostName 10.0.2.11" in ssh["config"]
        assert "ProxyJump" not in ssh["config"]
        assert ssh["known_hosts"].startswith("compute-1 ssh-ed25519 ")
        return True

    return stack_outputs().apply(check)


@pulumi.runtime.test
def test_ssh_private_key_output_is_secret(mock_lab):
    mock_lab({"profile": "minimal"})
    run_main()
    root = pulumi.runtime.settings.get_root_resource()
    private_key = pulumi.Output.from_input(root.outputs["ssh"]["private_key"])

    def check(is_secret_value):
        assert is_secret_value
        return True

    return pulumi.Output.from_input(asyncio.ensure_future(private_key.is_secret())).apply(check)


@pulumi.runtime.test
def test_gcp_names_are_the_ones_gcp_rules_check(mock_lab):
    # Every name and tag GCP sees comes from GcpNames, so check_gcp_names checks them all.
    monitor = mock_lab(GCP)
    run_main()

    def check(_):
        gcp = [r for r in monitor.registered if r.type.startswith("gcp:")]
        given = {r.inputs["name"] for r in gcp if "name" in r.inputs}
        given |= {tag for r in gcp for key in ("tags", "targetTags")
                  for tag in r.inputs.get(key) or []}
        assert given == set(GcpNames("osl-dev").all(Settings.from_mapping(GCP).nodes))
        return True

    return stack_outputs().apply(check)


def test_gcp_refuses_a_stack_name_too_long_for_gcp_before_any_resource(mock_lab):
    monitor = mock_lab(GCP, stack="a" * 40)
    with pytest.raises(ConfigError, match="underlay: gcp cannot take stack 'a{40}'"):
        run_main()
    assert not [r for r in monitor.registered if not r.type.startswith("pulumi:")]
