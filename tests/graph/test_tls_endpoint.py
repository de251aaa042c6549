"""The TLS endpoint's graph under mocks: CA and certificate as children with secret keys,
one nginx step per network node after its packages and Keystone, a secret bundle that
carries the site and the key (0600)."""

from __future__ import annotations

import base64

import pulumi

from components.openstack import keystone, registry
from components.openstack import tls_endpoint as tls
from components.openstack.secrets import OpenStackSecrets
from components.openstack.service import CloudFacts, ServiceArgs, Upstream
from components.openstack.step import InstallNode, Step
from components.openstack.tls_endpoint import SERVER_KEY, SITE, TlsEndpoint
from components.readiness import SshTarget
from tests.harness import DEFAULT_OUTPUTS, LabMocks, _dynamic
from tests.fixtures.keys import fake_private_key

DYNAMIC = "pulumi-python:dynamic:Resource"
SECRET_SIG = "4dabf18193072939515e22adb298388d"
PUBLIC = "10.0.2.11"


def _certs(args: pulumi.runtime.MockResourceArgs) -> dict:
    if "usage" in args.inputs:  # IssuedCertificate
        return {"cert_pem": f"-----BEGIN CERTIFICATE-----\n{args.name}\n",
                "key_pem": fake_private_key(args.name)}
    if "common_name" in args.inputs:  # CertificateAuthority
        return {"cert_pem": f"-----BEGIN CERTIFICATE-----\n{args.name}\n",
                "key_pem": fake_private_key(args.name)}
    return _dynamic(args)


def unwrap(value):
    return value["value"] if isinstance(value, dict) and value.get(SECRET_SIG) else value


def is_secret(value) -> bool:
    return isinstance(value, dict) and SECRET_SIG in value


def build(nodes_public: dict[str, str]) -> TlsEndpoint:
    holder = pulumi.ComponentResource("test:index:Holder", "holder")  # parent of upstreams
    ready = pulumi.ComponentResource("test:index:Ready", "ready")  # the nodes' readiness
    target = SshTarget(host="192.0.2.10", user="lab", private_key=fake_private_key(),
                       host_key="ssh-ed25519 AAAA")
    nodes = [InstallNode(name="controller", roles=("controller",), target=target,
                         instance="i-controller", ready=ready,
                         addresses={"management": "192.168.1.11"})]
    nodes += [InstallNode(name=name, roles=("network",), target=target, instance=f"i-{name}",
                          ready=ready, addresses={"management": "192.168.1.12",
                                                   "public": public})
              for name, public in nodes_public.items()]
    facts = CloudFacts.plan("192.168.1.11", PUBLIC, "172.16.0.0/24", 1500, 1450)
    # Any template will do for the upstream steps: only their commands and digests matter.
    # Every step script gets the cloud's facts (the shared functions wait by its patience).
    context = {"cloud": facts}
    keystone_ready = Step("keystone-register", nodes[0], "keystone/register.sh.j2",
                          parent=holder, context=context)
    after = Upstream(packages={n.name: Step(f"packages-{n.name}", n, "keystone/register.sh.j2",
                                            parent=holder, context=context) for n in nodes},
                     services={keystone.SPEC: keystone_ready})
    secrets = OpenStackSecrets("secrets", registry.secret_lengths(registry.SERVICES))
    return TlsEndpoint("openstack-tls", ServiceArgs(facts, secrets, nodes, after,
                                                    spec=tls.SPEC, services=registry.SERVICES))


def settled(endpoint: TlsEndpoint) -> pulumi.Output:
    """Resolves once the CA and every step (hence every certificate) are registered."""
    return pulumi.Output.all(endpoint.ca_cert_pem,
                             *[s.command.id for s in endpoint.steps.values()])


@pulumi.runtime.test
def test_tls_endpoint_graph(mock_lab):
    monitor = mock_lab(mocks=LabMocks(outputs_by_type={**DEFAULT_OUTPUTS, DYNAMIC: _certs}))
    endpoint = build({"network": PUBLIC})

    def check(values):
        ca_pem = values[0]
        assert ca_pem.startswith("-----BEGIN CERTIFICATE-----")
        component = monitor.named("openstack-tls")
        assert component.type == "openstacklab:openstack:TlsEndpoint"
        ca = monitor.named("openstack-tls-ca")
        assert ca.parent == component.urn and ca.inputs["common_name"] == "openstack-lab dev CA"
        assert {"key_pem", "passphrase"} <= set(ca.secret_outputs)
        cert = monitor.named("openstack-tls-cert-network")
        assert cert.parent == component.urn
        assert cert.inputs["common_name"] == PUBLIC
        assert cert.inputs["sans"] == [PUBLIC, "network"]
        assert {"key_pem", "ca_key"} <= set(cert.secret_outputs)
        step = monitor.named("openstack-tls-nginx-network")
        assert step.type == "command:remote:Command" and step.parent == component.urn
        assert monitor.named("keystone-register").urn in step.dependencies
        assert monitor.named("packages-network").urn in step.dependencies
        assert "packages-controller" not in str(step.dependencies)
        assert is_secret(step.inputs["stdin"])
        files = {}
        for line in unwrap(step.inputs["stdin"]).splitlines():
            _, path, mode, _owner, _group, data = line.split()
            files[path] = (mode, base64.b64decode(data).decode())
        assert files[SERVER_KEY][0] == "0600"
        assert "PRIVATE KEY" in files[SERVER_KEY][1]
        assert f"listen {PUBLIC}:5000 ssl;" in files[SITE][1]
        assert "PRIVATE KEY" not in step.inputs["create"]
        assert endpoint.ready.name == "openstack-tls-nginx-network"
        return True

    return settled(endpoint).apply(check)


@pulumi.runtime.test
def test_one_step_and_certificate_per_network_node(mock_lab):
    monitor = mock_lab(mocks=LabMocks(outputs_by_type={**DEFAULT_OUTPUTS, DYNAMIC: _certs}))
    endpoint = build({"network-2": "10.0.2.13", "network": PUBLIC})

    def check(_):
        assert sorted(endpoint.steps) == ["nginx-network", "nginx-network-2"]
        # `ready` is the node that holds the public host, not the first one listed.
        assert endpoint.ready.name == "openstack-tls-nginx-network"
        assert monitor.named("openstack-tls-cert-network-2").inputs["sans"] == [
            PUBLIC, "10.0.2.13", "network-2"]
        assert len([r for r in monitor.registered if r.name == "openstack-tls-ca"]) == 1
        return True

    return settled(endpoint).apply(check)
