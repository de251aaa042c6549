"""The overlay stack under mocks, fed the underlay program's own outputs (run under mocks
too) through the StackReference: the contract between the stacks is tested, not assumed."""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pytest

from tests.harness import LabMocks, install_mocks, run_main, stack_outputs

OVERLAY = {"layer": "overlay", "underlayStack": "dev"}


def _resolved(outputs: pulumi.Output[dict[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}

    @pulumi.runtime.test
    def wait():
        return outputs.apply(found.update)

    wait()
    return found


@pytest.fixture(scope="module")
def underlay_outputs() -> dict[str, Any]:
    """The dev underlay's exported outputs, as the program computes them under mocks."""
    install_mocks({"layer": "underlay"}, stack="dev")
    run_main()
    return _resolved(stack_outputs())


def _overlay(outputs: dict[str, Any], config: dict[str, str] | None = None):
    monitor = install_mocks({**OVERLAY, **(config or {})}, stack="dev-overlay",
                            mocks=LabMocks(stack_outputs={"dev": outputs}))
    run_main()
    return monitor


def test_the_underlay_exports_what_the_overlay_reads(underlay_outputs):
    openstack = underlay_outputs["openstack"]
    assert openstack["auth_url"].startswith("https://")
    assert openstack["admin"]["username"] == "admin"
    assert openstack["external_network"]


@pulumi.runtime.test
def test_overlay_builds_tenant_lb_and_check(underlay_outputs):
    monitor = _overlay(underlay_outputs)

    def check(outputs):
        # The floating IP's address (mocked from its name), not the LB's own VIP (.50).
        assert outputs["vip_url"] == "http://172.16.0.159/"
        assert set(outputs["servers"]) == {"web-1", "web-2"}
        assert "round robin" in outputs["check"]
        assert "password:" in outputs["tenant_clouds_yaml"]
        types = [r.type for r in monitor.registered]
        for typ in ("identity/project:Project", "identity/user:User",
                    "compute/flavor:Flavor", "images/image:Image", "networking/router:Router",
                    "networking/secGroup:SecGroup", "compute/keypair:Keypair",
                    "loadbalancer/listener:Listener", "loadbalancer/pool:Pool",
                    "loadbalancer/monitor:Monitor"):
            assert f"openstack:{typ}:{typ.rsplit(':', 1)[-1]}" in types or \
                any(t.startswith(f"openstack:{typ.split(':')[0]}:") for t in types), typ
        assert len(monitor.of_type("openstack:compute/instance:Instance")) == 2
        assert len(monitor.of_type("openstack:loadbalancer/member:Member")) == 2

    return stack_outputs().apply(check)


@pulumi.runtime.test
def test_the_tenant_volume_is_its_own_type_attached_to_web_1_and_checked(underlay_outputs):
    monitor = _overlay(underlay_outputs, {"lbTimeoutMinutes": "45"})

    def check(outputs):
        (vtype,) = monitor.of_type("openstack:blockstorage/volumeTypeV3:VolumeTypeV3")
        (volume,) = monitor.of_type("openstack:blockstorage/volume:Volume")
        (attach,) = monitor.of_type("openstack:compute/volumeAttach:VolumeAttach")
        assert vtype.inputs["extraSpecs"] == {"volume_backend_name": "lvm"}
        assert "pulumi:providers:openstack::admin::" in vtype.provider
        assert (volume.inputs["size"], volume.inputs["volumeType"]) == (1, "lab-thin")
        for r in (volume, attach):
            assert "demo-provider" in r.provider, r.name  # the tenant's own
            assert r.timeouts == {"create": "45m", "delete": "45m"}, r.name
        assert attach.inputs["instanceId"] == "web-1-id"
        assert attach.inputs["volumeId"] == "demo-volume-id"
        (run,) = [r for r in monitor.of_type("command:local:Command")
                  if r.name == "demo-volume-check-run"]
        env = run.inputs["environment"]
        assert env["SIZE_BYTES"] == str(1024 ** 3)
        assert env["DISKS_URL"] == f"http://{outputs['servers']['web-1']['floating_ip']}/disks"
        assert set(run.inputs["triggers"]) == {"demo-volume-id", "web-1-id"}
        assert outputs["volume"] == {"id": "demo-volume-id", "size_gib": 1, "server": "web-1",
                                     "device": "/dev/vdb", "seen_by_guest": "vdb 1073741824\n"}

    return stack_outputs().apply(check)


@pulumi.runtime.test
def test_tenant_resources_use_the_tenant_provider(underlay_outputs):
    monitor = _overlay(underlay_outputs)

    def check(_):
        admin = monitor.named("admin")
        tenant = monitor.named("demo-provider")
        assert _plain(admin.inputs["authUrl"]) == underlay_outputs["openstack"]["auth_url"]
        assert "BEGIN CERTIFICATE" in _plain(admin.inputs["cacertFile"])
        assert _plain(admin.inputs["password"]) == underlay_outputs["openstack"]["admin"]["password"]
        assert admin.inputs["password"] != _plain(admin.inputs["password"])  # kept secret
        assert _plain(tenant.inputs["tenantName"]) == "demo"
        assert _plain(tenant.inputs["userName"]) == "demo"
        by_admin = {"openstack:identity/project:Project", "openstack:identity/user:User",
                    "openstack:compute/flavor:Flavor", "openstack:images/image:Image",
                    "openstack:blockstorage/volumeTypeV3:VolumeTypeV3",
                    "openstack:identity/roleAssignment:RoleAssignment"}
        for r in monitor.registered:
            if not r.type.startswith("openstack:") or r.type == "pulumi:providers:openstack":
                continue
            expected = admin if r.type in by_admin else tenant
            assert r.provider.startswith(expected.urn), (r.name, r.provider)
        roles = {r.inputs["roleId"] for r in
                 monitor.of_type("openstack:identity/roleAssignment:RoleAssignment")}
        assert roles == {"role-member", "role-load-balancer_member"}
        # The tenant's token is scoped at its first call: the roles come first.
        grants = {r.urn for r in monitor.of_type("openstack:identity/roleAssignment:RoleAssignment")}
        assert grants <= set(tenant.dependencies)

    return stack_outputs().apply(check)


@pulumi.runtime.test
def test_load_balancer_objects_are_made_one_at_a_time(underlay_outputs):
    monitor = _overlay(underlay_outputs, {"lbTimeoutMinutes": "45"})

    def check(_):
        lb = monitor.named("web-lb-octavia")
        listener = monitor.named("web-lb-http")
        pool = monitor.named("web-lb-pool")
        m1, m2 = monitor.named("web-lb-member-web-1"), monitor.named("web-lb-member-web-2")
        hm = monitor.named("web-lb-monitor")
        # The VIP on the tenant subnet, reached through a floating IP on its port.
        assert lb.inputs["vipSubnetId"] == "demo-subnet-id"
        vip = monitor.named("web-lb-vip")
        assert vip.type == "openstack:networking/floatingIp:FloatingIp"
        assert vip.inputs["portId"] == "web-lb-octavia-vip-port"
        assert vip.inputs["pool"] == "external"
        assert lb.urn in vip.dependencies
        assert lb.urn in listener.dependencies and listener.urn in pool.dependencies
        assert pool.urn in m1.dependencies and m1.urn in m2.dependencies
        assert m2.urn in hm.dependencies
        assert pool.inputs["lbMethod"] == "ROUND_ROBIN" and pool.inputs["protocol"] == "HTTP"
        assert listener.inputs["protocolPort"] == 80
        for member in (m1, m2):
            assert member.inputs["subnetId"] == "demo-subnet-id"
            assert member.inputs["address"].startswith("10.10.0.")
            assert member.inputs["protocolPort"] == 80
        assert {k: hm.inputs[k] for k in ("type", "delay", "timeout", "maxRetries", "urlPath",
                                          "httpMethod")} == {
            "type": "HTTP", "delay": 10, "timeout": 10, "maxRetries": 2, "urlPath": "/",
            "httpMethod": "GET"}
        check_cmd = monitor.named("web-lb-check-run")
        assert hm.urn in check_cmd.dependencies or any(
            d == lb.urn for d in check_cmd.dependencies)
        assert check_cmd.inputs["environment"]["ATTEMPTS"] == str(45 * 6)
        assert "VIA_SSH_HOST" not in check_cmd.inputs["environment"]  # local: no jump

    return stack_outputs().apply(check)


@pulumi.runtime.test
def test_servers_boot_the_web_image_with_user_data_from_both_sources(underlay_outputs):
    """web-1 reads a config drive, web-2 the metadata service through its router (Neutron's
    proxy): web-2 answering at all proves that path, its HTTP server is its user-data."""
    monitor = _overlay(underlay_outputs)

    def check(_):
        images = {r.name: r for r in monitor.of_type("openstack:images/image:Image")}
        machine = images["demo-web-image"]
        assert machine.inputs["diskFormat"] == "ami"
        assert machine.inputs["properties"]["kernel_id"] == "demo-web-image-kernel-id"
        assert machine.inputs["properties"]["ramdisk_id"] == "demo-web-image-ramdisk-id"
        # The config drive on the one CD bus the image has a driver for.
        assert machine.inputs["properties"]["hw_cdrom_bus"] == "scsi"
        assert machine.inputs["properties"]["hw_scsi_model"] == "virtio-scsi"
        assert images["demo-web-image-kernel"].inputs["localFilePath"].endswith("/vmlinuz")
        for name in ("web-1", "web-2"):
            server = monitor.named(name)
            assert server.inputs["userData"].startswith("#!/bin/sh")
            assert "httpd -f -p 80" in server.inputs["userData"]
            assert server.inputs["imageId"] == "demo-web-image-id"
            assert server.inputs.get("configDrive", False) is (name == "web-1")
            assert server.inputs["networks"] == [{"port": f"{name}-port-id"}]
            assert monitor.named("demo-router-interface").urn in server.dependencies
        flavor = monitor.named("demo-flavor")
        assert flavor.inputs["ram"] == 256

    return stack_outputs().apply(check)


@pulumi.runtime.test
def test_a_cloud_image_url_is_uploaded_as_qcow2(underlay_outputs):
    url = "https://cloud.debian.org/images/cloud/trixie/latest/debian-13-genericcloud-amd64.qcow2"
    monitor = _overlay(underlay_outputs, {"webImage": url})

    def check(_):
        images = monitor.of_type("openstack:images/image:Image")
        assert [i.inputs["imageSourceUrl"] for i in images] == [url]
        assert images[0].inputs["diskFormat"] == "qcow2"
        assert not monitor.of_type("command:local:Command") or all(
            "build-web-image" not in c.inputs["create"]
            for c in monitor.of_type("command:local:Command"))
        assert monitor.named("demo-flavor").inputs["disk"] >= 10

    return stack_outputs().apply(check)


@pulumi.runtime.test
def test_no_secret_in_plain_inputs(underlay_outputs):
    monitor = _overlay(underlay_outputs)
    password = underlay_outputs["openstack"]["admin"]["password"]

    def check(outputs):
        for r in monitor.registered:
            if r.type == "pulumi:providers:openstack":
                continue  # provider config is secret in state (checked by the engine tests)
            assert password not in repr(r.inputs), r.name
        return outputs

    return stack_outputs().apply(check)


def _plain(value: Any) -> Any:
    """A recorded input without its secret wrapper."""
    return value["value"] if isinstance(value, dict) and "value" in value else value


def _broken(outputs: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    broken = copy.deepcopy(outputs)
    target = broken
    for key in path[:-1]:
        target = target[key]
    if value is None:
        target.pop(path[-1])
    else:
        target[path[-1]] = value
    return broken


@pytest.mark.parametrize("path, value, named", [
    (["openstack"], None, "'openstack' is missing"),
    (["openstack", "auth_url"], None, "'openstack.auth_url' is missing"),
    (["openstack", "auth_url"], "controller:5000", "'openstack.auth_url' is not a URL"),
    (["openstack", "ca_cert"], "not a cert", "'openstack.ca_cert' is not a PEM"),
    (["openstack", "external_cidr"], "172.16.0.0/33", "'openstack.external_cidr' is not a CIDR"),
    (["openstack", "admin"], None, "'openstack.admin' is missing"),
])
def test_a_missing_or_wrong_underlay_output_is_named(underlay_outputs, path, value, named):
    outputs = _broken(underlay_outputs, path, value)

    @pulumi.runtime.test
    def run():
        _overlay(outputs)
        return stack_outputs()

    # The engine wraps the error in the resource that read the output; the name survives.
    with pytest.raises(ValueError) as raised:
        run()
    assert f"underlay stack 'dev': output {named}" in str(raised.value)


@pulumi.runtime.test
def test_everything_that_waits_on_the_cloud_gets_the_configured_patience(underlay_outputs):
    monitor = _overlay(underlay_outputs, {"lbTimeoutMinutes": "45"})

    def check(_):
        waiting = ("networking/port:Port", "networking/routerInterface:RouterInterface",
                   "networking/router:Router", "networking/subnet:Subnet",
                   "compute/instance:Instance", "loadbalancer/loadBalancer:LoadBalancer",
                   "loadbalancer/member:Member", "loadbalancer/monitor:Monitor")
        for typ in waiting:
            found = monitor.of_type(f"openstack:{typ}")
            assert found, typ
            for r in found:
                assert r.timeouts.get("create") == "45m", (r.name, r.timeouts)
                assert r.timeouts.get("delete") == "45m", (r.name, r.timeouts)

    return stack_outputs().apply(check)


@pulumi.runtime.test
def test_no_resource_gets_a_timeout_its_provider_ignores(underlay_outputs):
    # The engine warns about each ignored one (9 warnings on the first overlay up).
    monitor = _overlay(underlay_outputs, {"lbTimeoutMinutes": "45"})

    def check(_):
        supported = {"networking/secGroup:SecGroup": {"delete"},
                     "networking/secGroupRule:SecGroupRule": {"delete"},
                     "compute/keypair:Keypair": set()}
        for typ, keys in supported.items():
            found = monitor.of_type(f"openstack:{typ}")
            assert found, typ
            for r in found:
                assert {k for k, v in r.timeouts.items() if v} == keys, (r.name, r.timeouts)

    return stack_outputs().apply(check)
