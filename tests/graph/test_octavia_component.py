"""The Octavia component on its own under mocks (standard layout: a controller and a
separate network node): its steps, their order, what their bundles carry, the amphora
image's build → copy → upload chain, and that secrets stay secret."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_command as command

from components.openstack import octavia as o
from components.openstack import registry
from components.openstack.amphora_image import remote_image_path
from components.openstack.secrets import OpenStackSecrets
from components.openstack.service import CloudFacts, ServiceArgs, Upstream
from components.openstack.step import InstallNode, Phase
from components.readiness import SshTarget
from tests.fixtures.keys import BEGIN, fake_private_key
from tests.harness import DEFAULT_OUTPUTS, LabMocks, install_mocks, unwrap
from tests.install_capture import parse_bundle, step_body

IMAGE = "/root/.openstack-lab/images/debian-13-amphora-0123456789ab.qcow2"
FACTS = {"project_id": "proj-1", "network_id": "net-1", "cidr": o.LB_MGMT_CIDR, "mtu": 1450,
         "amp_secgroup_id": "sg-1",
         "hm_ports": {"network": {"id": "port-n", "mac": "fa:16:3e:00:00:02",
                                  "ip": "172.31.255.20"}}}


def _remote(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    if o.MGMT_HELPER in args.inputs.get("create", ""):
        return {"stdout": f"created network\noctavia-facts {json.dumps(FACTS)}\n", "stderr": ""}
    return DEFAULT_OUTPUTS["command:remote:Command"](args)


def _local(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    if "build-amphora-image.sh" in args.inputs.get("create", ""):
        return {"stdout": f"{IMAGE}\n", "stderr": ""}
    return DEFAULT_OUTPUTS["command:local:Command"](args)


def _dynamic(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    if "common_name" in args.inputs:  # CertificateAuthority / IssuedCertificate
        pem = f"-----BEGIN CERTIFICATE-----\n{args.name}\n-----END CERTIFICATE-----\n"
        return {"cert_pem": pem, "key_pem": fake_private_key(args.name)}
    return DEFAULT_OUTPUTS["pulumi-python:dynamic:Resource"](args)


@dataclass
class FakeStep:
    """What a Service needs of an upstream step: its command and digest."""
    command: pulumi.Resource
    digest: pulumi.Output[str]


def build() -> o.Octavia:
    cloud = CloudFacts.plan("192.168.1.11", "10.0.2.11", "172.16.0.0/24", 1500, 1450)

    def node(name: str, roles: tuple[str, ...]) -> InstallNode:
        ready = command.local.Command(f"{name}-ready", create="true")
        target = SshTarget(host=f"{name}.test", user="debian", private_key="k", host_key="h")
        return InstallNode(name, roles, target, f"{name}-instance", ready,
                           {"management": "192.168.1.11"})

    nodes = [node("controller", ("controller",)), node("network", ("network",))]
    def fake(n: str) -> FakeStep:
        return FakeStep(command.local.Command(f"fake-{n}", create="true"),
                        pulumi.Output.from_input(f"digest-{n}"))

    after = Upstream(packages={n.name: fake(f"packages-{n.name}") for n in nodes},
                     services={spec: fake(spec.name) for spec in o.SPEC.needs})
    secrets = OpenStackSecrets("openstack-secrets", registry.secret_lengths(registry.SERVICES))
    return o.Octavia("openstack-octavia", ServiceArgs(cloud, secrets, nodes, after,
                                                      spec=o.SPEC))


def by_name(monitor) -> dict[str, Any]:
    return {r.name: r for r in monitor.registered}


def test_octavia_steps_bundles_and_image_chain():
    mocks = LabMocks()
    mocks.outputs_by_type.update({"command:remote:Command": _remote,
                                  "command:local:Command": _local,
                                  "pulumi-python:dynamic:Resource": _dynamic})
    monitor = install_mocks({}, mocks=mocks)

    @pulumi.runtime.test
    def run():
        octavia = build()
        assert octavia.amphora == {"image_tag": "amphora", "flavor": "amphora"}
        assert {suffix: step.phase for suffix, step in octavia.steps.items()} == {
            "register": Phase.REGISTER, "resources": Phase.RESOURCES, "api": Phase.SETUP,
            "worker-network": Phase.AGENTS, "image": Phase.RESOURCES, "verify": Phase.VERIFY}
        return octavia.ready.digest.apply(lambda _: None)

    run()
    r = by_name(monitor)
    prefix = "openstack-octavia-"
    steps = {n[len(prefix):]: x for n, x in r.items()
             if n.startswith(prefix) and x.type == "command:remote:Command"}
    assert sorted(steps) == ["api", "image", "register", "resources", "verify", "worker-network"]

    def deps(name: str) -> set[str]:
        urns = {x.urn: n for n, x in r.items()}
        return {urns[d] for d in steps[name].dependencies if d in urns}

    assert {"openstack-octavia-register", "fake-neutron", "fake-nova"} <= deps("resources")
    assert "openstack-octavia-resources" in deps("api")
    assert {"openstack-octavia-api", "fake-packages-network"} <= deps("worker-network")
    assert "openstack-octavia-amphora-copy" in deps("image")
    assert {"openstack-octavia-api", "openstack-octavia-image",
            "openstack-octavia-worker-network"} <= deps("verify")

    # The worker runs on the network node with the facts, certs and o-hm0 unit in its bundle.
    worker = steps["worker-network"]
    assert "on network." in step_body(worker.inputs["create"])
    files = parse_bundle(unwrap(worker.inputs["stdin"]))
    assert "bind_ip = 172.31.255.20" in files[o.CONFIG].content
    assert "amp_boot_network_list = net-1" in files[o.CONFIG].content
    assert files[o.CONFIG].group == "octavia" and files[o.CONFIG].mode == "0640"
    assert "PORT_ID=port-n" in files[o.HM_ENV].content
    assert files[o.CERTS.client].content.count("BEGIN") == 2  # cert + key in one PEM
    assert files[o.CERTS.server_ca_key].mode == "0640"
    assert f"/etc/systemd/system/{o.HM_UNIT}" in files and o.HM_SCRIPT in files
    # Secrets reach the network node inside its config files only.
    assert not [p for p in files if p.startswith("/etc/openstack-lab/secrets/")]
    # The API's octavia.conf on the controller: no health-manager port of its own.
    api_files = parse_bundle(unwrap(steps["api"].inputs["stdin"]))
    assert [p for p in api_files if "/secrets/" in p] == ["/etc/openstack-lab/secrets/db-octavia"]
    assert "bind_ip = 127.0.0.1" in api_files[o.CONFIG].content
    assert "controller_ip_port_list = 172.31.255.20:5555" in api_files[o.CONFIG].content
    # octavia-api on the management address only: the TLS endpoint owns the public port.
    assert "192.168.1.11:9876" in api_files["/etc/default/octavia-api"].content

    # Build locally → copy over the controller's pinned connection (AmphoraImage) → upload.
    image = r["openstack-octavia-amphora"]
    assert image.type == "openstacklab:openstack:AmphoraImage" and not image.custom
    assert image.parent == r["openstack-octavia"].urn
    for child in ("openstack-octavia-amphora-build", "openstack-octavia-amphora-copy"):
        assert r[child].parent == image.urn
        # Octavia's own children before AmphoraImage: the alias keeps their URNs.
        assert r[child].aliases == [{"spec": {"parentUrn": r["openstack-octavia"].urn}}]
    copy = r["openstack-octavia-amphora-copy"]
    assert copy.type == "command:local:Command"
    assert copy.inputs["create"].startswith("scripts/image/copy-to-node.sh ")
    assert f"'{IMAGE}'" in copy.inputs["create"]
    assert f"'{remote_image_path(IMAGE)}'" in copy.inputs["create"]
    # The operator key travels on stdin, as a secret; the host key is pinned.
    assert BEGIN not in copy.inputs["create"]
    assert {"stdout", "stderr"} <= set(copy.secret_outputs)  # not implied by stdin
    assert copy.inputs["create"].endswith("'controller.test h'")  # host + pinned key
    image_files = parse_bundle(unwrap(steps["image"].inputs["stdin"]))
    # The tag the upload sets is the tag the worker boots amphorae from (DESIGN §11).
    assert f"--tag {o.AMPHORA.image_tag} " in step_body(steps["image"].inputs["create"])
    assert f"amp_image_tag = {o.AMPHORA.image_tag}\n" in files[o.CONFIG].content
    assert image_files[o.IMAGE_ENV].content == f"IMAGE_FILE={remote_image_path(IMAGE)}\n"

    # Secrets: bundles secret, scripts clean; the CA keys are secret outputs.
    generated = {n: (f"MOCKopenstack-secrets-{n}" * 32)[:32] for n in o.SECRETS}
    assert generated["octavia-heartbeat-key"] in files[o.CONFIG].content  # the mock's value
    for name, step in steps.items():
        if "stdin" in step.inputs:
            assert isinstance(step.inputs["stdin"], dict) and "value" in step.inputs["stdin"], name
        leaked = [n for n, v in generated.items() if v in step.inputs["create"]]
        assert not leaked, (name, leaked)
    for ca in ("openstack-octavia-server-ca", "openstack-octavia-client-ca"):
        assert {"key_pem", "passphrase"} <= set(r[ca].secret_outputs)
