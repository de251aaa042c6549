"""Run the whole program under Pulumi mocks and record what it registers.

`LabMocks` answers resource registrations with realistic outputs per type token, and the
mock monitor is wrapped so every registration's parent, provider, dependencies and
secret outputs are kept: graph tests assert on those, not only on construction.
"""

from __future__ import annotations

import json
import runpy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockMonitor
from tests.fixtures.keys import fake_private_key

PROJECT = "openstack-lab"
REPO_ROOT = Path(__file__).resolve().parent.parent

Outputs = Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]

# How the engine's wire form marks a secret value (what a recorded input holds).
SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270"


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_VALUE


def unwrap(value: Any) -> Any:
    return value["value"] if is_secret(value) else value


def plain_strings(value: Any) -> Iterator[str]:
    """Every string in `value` that is not under a secret wrapper."""
    if is_secret(value):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield str(k)
            yield from plain_strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from plain_strings(v)


@dataclass
class Registered:
    type: str
    name: str
    urn: str
    parent: str
    provider: str
    dependencies: list[str]
    inputs: dict[str, Any]
    secret_outputs: list[str]
    custom: bool
    # customTimeouts as sent: {"create": "120m", ...}, only the ones set
    timeouts: dict[str, str] = field(default_factory=dict)
    # aliases as sent: {"urn": ...} or {"spec": {"name", "type", "parentUrn", ...}} each
    aliases: list[dict[str, Any]] = field(default_factory=list)


def _command_stdout(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    """What the lab's commands print in real runs (image path, host facts, reports)."""
    create = args.inputs.get("create", "")
    if "node-image.sh" in create:
        return {"stdout": "/root/.openstack-lab/images/debian-13-node-0123456789ab.qcow2\n",
                "stderr": ""}
    if "osl-octavia-mgmt" in create:  # the octavia-resources step prints what it made
        ports = {host: {"id": f"port-{host}", "mac": f"fa:16:3e:00:00:0{i}",
                        "ip": f"172.31.255.{10 + i}"}
                 for i, host in enumerate(("controller", "network"))}
        facts = {"project_id": "service-id", "network_id": "lb-mgmt-net-id",
                 "cidr": "172.31.255.0/24", "mtu": 1450, "amp_secgroup_id": "lb-mgmt-sec-grp-id",
                 "hm_ports": ports}
        return {"stdout": f"octavia-facts {json.dumps(facts)}\n", "stderr": ""}
    if "build-amphora-image.sh" in create:
        return {"stdout": "/root/.openstack-lab/images/debian-13-amphora-0123456789ab.qcow2\n",
                "stderr": ""}
    if "build-web-image.sh" in create:
        return {"stdout": "/root/.openstack-lab/images/web-0123456789ab\n", "stderr": ""}
    if "check-lb.sh" in create:
        return {"stdout": "http://172.16.0.50/ round robin: web-1 web-2 web-1 web-2\n",
                "stderr": ""}
    if "check-disk.sh" in create:
        return {"stdout": "vdb 1073741824\n", "stderr": ""}
    if "accel-facts" in create:
        return {"stdout": "accel-facts kvm_device=1 pvm=0\n", "stderr": ""}
    return {"stdout": "", "stderr": ""}


def _gcp_instance(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    nics = [dict(nic) for nic in args.inputs.get("networkInterfaces", [])]
    for i, nic in enumerate(nics):
        if "accessConfigs" in nic:
            nic["accessConfigs"] = [{"natIp": f"203.0.113.{10 + i}"}]
    return {"networkInterfaces": nics, "selfLink": f"projects/p/zones/z/instances/{args.name}"}


def _dynamic(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    """Key pairs answer with key-shaped values (the real ones come from keys.py)."""
    if "comment" in args.inputs:  # SshKeyPair (None-valued inputs are not sent)
        return {"public_key": f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5{args.name} {args.inputs.get('comment', '')}".strip(),
                "private_key": fake_private_key(args.name)}
    if "common_name" in args.inputs:  # CertificateAuthority / IssuedCertificate
        return {"cert_pem": f"-----BEGIN CERTIFICATE-----\nMOCK{args.name}\n-----END CERTIFICATE-----\n",
                "key_pem": fake_private_key(args.name)}
    if "length" in args.inputs:  # GeneratedSecret: a recognisable value of the right length
        length = int(args.inputs["length"])
        return {"value": (f"MOCK{args.name}" * length)[:length]}
    return {}


def _host_number(name: str) -> int:
    """A stable, name-derived host number for mock addresses."""
    return 10 + sum(name.encode()) % 200


def _port(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    return {"all_fixed_ips": [f"10.10.0.{_host_number(args.name)}"]}


def _floating_ip(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    return {"address": f"172.16.0.{_host_number(args.name)}"}


def _load_balancer(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    return {"vip_address": "172.16.0.50", "vip_port_id": f"{args.name}-vip-port"}


# Data sources the overlay reads (token -> answer from the call's arguments).
INVOKES: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "openstack:identity/getRole:getRole": lambda a: {"id": f"role-{a['name']}", **a},
    "openstack:networking/getNetwork:getNetwork": lambda a: {"id": f"net-{a['name']}", **a},
    "openstack:networking/getSubnet:getSubnet": lambda a: {
        "id": f"subnet-{a.get('cidr', 'x')}", **a},
}


DEFAULT_OUTPUTS: dict[str, Outputs] = {
    "pulumi-python:dynamic:Resource": _dynamic,
    "command:local:Command": _command_stdout,
    "command:remote:Command": _command_stdout,
    "gcp:compute/instance:Instance": _gcp_instance,
    "openstack:networking/port:Port": _port,
    "openstack:networking/floatingIp:FloatingIp": _floating_ip,
    "openstack:loadbalancer/loadBalancer:LoadBalancer": _load_balancer,
    "openstack:compute/volumeAttach:VolumeAttach": lambda a: {"device": "/dev/vdb"},
}


@dataclass
class LabMocks(pulumi.runtime.Mocks):
    """Mocks that echo inputs plus per-type outputs (`outputs_by_type`, on top of
    realistic defaults for the lab's commands and instances)."""

    outputs_by_type: dict[str, Outputs] = field(default_factory=lambda: dict(DEFAULT_OUTPUTS))
    stack_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        if args.typ == "pulumi:pulumi:StackReference":
            name = args.inputs.get("name", args.name)
            return [name, {"name": name, "outputs": self.stack_outputs.get(name, {}),
                           "secretOutputNames": []}]
        extra = self.outputs_by_type.get(args.typ, lambda _a: {})(args)
        return [f"{args.name}-id", {**args.inputs, **extra}]

    def call(self, args: pulumi.runtime.MockCallArgs):
        answer = INVOKES.get(args.token)
        return answer(dict(args.args)) if answer else {}


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, keeping every RegisterResource request it answers."""

    def __init__(self, mocks: LabMocks) -> None:
        super().__init__(mocks)
        self.registered: list[Registered] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        self.registered.append(Registered(
            type=request.type,
            name=request.name,
            urn=response.urn,
            parent=request.parent,
            provider=request.provider,
            dependencies=list(request.dependencies),
            inputs=_struct_to_dict(request.object),
            secret_outputs=list(request.additionalSecretOutputs),
            custom=request.custom,
            timeouts={k: getattr(request.customTimeouts, k) for k in ("create", "update", "delete")
                      if getattr(request.customTimeouts, k)},
            aliases=[_struct_to_dict(a) for a in request.aliases],
        ))
        return response

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.registered if r.type == typ]

    def named(self, name: str) -> Registered:
        found = [r for r in self.registered if r.name == name]
        assert len(found) == 1, f"expected one resource named {name!r}, found {len(found)}"
        return found[0]


def _struct_to_dict(struct: Any) -> dict[str, Any]:
    from google.protobuf import json_format

    return json_format.MessageToDict(struct) if struct is not None else {}


def install_mocks(
    config: Mapping[str, str], stack: str = "dev", mocks: LabMocks | None = None
) -> RecordingMonitor:
    """Set mocks and config for one test; returns the monitor that records registrations."""
    runtime_settings.ROOT.set(None)  # a fresh root Stack, so no outputs leak between tests
    monitor = RecordingMonitor(mocks or LabMocks())
    pulumi.runtime.set_all_config({f"{PROJECT}:{k}": v for k, v in config.items()})
    pulumi.runtime.set_mocks(monitor.mocks, project=PROJECT, stack=stack, preview=False,
                             monitor=monitor)
    return monitor


def stack_outputs() -> pulumi.Output[dict[str, Any]]:
    """Everything the program exported, as one Output to assert on inside the test."""
    root = runtime_settings.get_root_resource()
    return pulumi.Output.from_input(dict(root.outputs))  # type: ignore[union-attr]


def run_main() -> dict[str, Any]:
    """Run `__main__.py` as the engine would; returns the module globals it left behind."""
    return runpy.run_path(str(REPO_ROOT / "__main__.py"), run_name="__main__")
