"""What every service component shares: the cloud's facts, the secrets, the nodes, and one
way to make steps (so no service pastes its own remote-command wiring)."""

from __future__ import annotations

import ipaddress
import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import pulumi

from components.ini_overrides import FILES, IniOverrides
from components.openstack.secrets import OpenStackSecrets
from components.openstack.spec import ServiceSpec
from components.openstack.step import ConfigFile, InstallNode, Phase, Step, secret_file
from components.patience import TCG, Patience
from components.render import render

REGION = "RegionOne"

# A step's renderer: (facts, secret values by name, node, **inputs) -> the files of its
# bundle. A module-level pure function next to its service's component, which calls it
# inside the bundle's Output.apply; tested on its own against
# tests/golden/renderers/<service>/<renderer>.txt (tests/unit/test_renderers.py).
Renderer = Callable[..., list[ConfigFile]]


@dataclass(frozen=True)
class CloudFacts:
    """Plain facts the templates need; no secrets here (they come through `secrets`)."""

    region: str
    controller: str  # hostname every node resolves to the controller's management address
    controller_ip: str
    public_host: str  # the network node's public address: the TLS endpoint
    external_cidr: str
    external_gateway: str
    external_pool: tuple[str, str]
    mtu: int
    tenant_mtu: int
    # How long the install waits (components/patience.py); TCG's unless the program
    # chose from the host's acceleration.
    patience: Patience = TCG

    @classmethod
    def plan(cls, controller_ip: str, public_host: str, external_cidr: str, mtu: int,
             tenant_mtu: int, patience: Patience = TCG) -> CloudFacts:
        net = ipaddress.IPv4Network(external_cidr)
        hosts = list(net.hosts())
        # .1 is the libvirt host, .2-.99 stay free for static use, .100 up are floating IPs.
        return cls(region=REGION, controller="controller", controller_ip=controller_ip,
                   public_host=public_host, external_cidr=str(net),
                   external_gateway=str(hosts[0]),
                   external_pool=(str(hosts[99]), str(hosts[-1])), mtu=mtu,
                   tenant_mtu=tenant_mtu, patience=patience)

    def internal_url(self, port: int, path: str = "") -> str:
        return f"http://{self.controller}:{port}{path}"

    def public_url(self, port: int, path: str = "") -> str:
        return f"https://{self.public_host}:{port}{path}"


@dataclass(frozen=True)
class Upstream:
    """The steps a service can wait for: every node's base steps (NodeBase) and the `ready`
    step of each service its spec `needs` (asking for another one is an error).

    Two ways to wait, one rule. `after=[step]`: the step builds on that one (packages it
    uses, the service it configures, Keystone for a registration); that step's digest is
    among its triggers, so a change there re-runs it. `depends_on=running(spec, ...)`: the
    service only has to be up first (a database or queue it connects to at run time, an
    API it calls); order only, a change there re-runs nothing here."""

    packages: Mapping[str, Step] = field(default_factory=dict)  # by node name
    time: Mapping[str, Step] = field(default_factory=dict)  # by node name
    services: Mapping[ServiceSpec, Step] = field(default_factory=dict)  # `ready`, by spec

    def packages_on(self, node: InstallNode) -> Step:
        return self.packages[node.name]

    def ready(self, spec: ServiceSpec) -> Step:
        if spec not in self.services:
            raise KeyError(f"{spec.name} is not among the services this one needs "
                           "(ServiceSpec.needs)")
        return self.services[spec]

    def running(self, *specs: ServiceSpec) -> list[pulumi.Resource]:
        return [self.ready(spec).command for spec in specs]


@dataclass(frozen=True)
class ServiceArgs:
    facts: CloudFacts
    secrets: OpenStackSecrets
    nodes: Sequence[InstallNode]
    after: Upstream = field(default_factory=Upstream)  # what this service builds on
    # The stack's `overrides` (settings), merged into the INI files by `Service.overridden`.
    overrides: IniOverrides = field(default_factory=IniOverrides)
    spec: ServiceSpec | None = None  # the service being built (registry.py)
    services: Sequence[ServiceSpec] = ()  # every service of the install, in build order

    def with_role(self, role: str) -> list[InstallNode]:
        return [n for n in self.nodes if n.has(role)]

    def controller(self) -> InstallNode:
        return self.with_role("controller")[0]


class Service(pulumi.ComponentResource):
    """Base of every service component; subclasses add steps in their __init__."""

    def __init__(self, kind: str, name: str, args: ServiceArgs,
                 opts: pulumi.ResourceOptions | None) -> None:
        super().__init__(f"openstacklab:openstack:{kind}", name, None, opts)
        self.kind = kind
        self.name = name
        self.args = args
        self.steps: dict[str, Step] = {}

    def step(self, suffix: str, node: InstallNode, template: str, phase: Phase, *,
             context: Mapping[str, object] | None = None,
             secrets: Sequence[str] = (), files: Renderer | None = None,
             inputs: pulumi.Input[Mapping[str, object]] | None = None,
             secret_files: Sequence[str] | None = None,
             after: Sequence[Step] = (), depends_on: Sequence[pulumi.Resource] = ()) -> Step:
        """A step named `<service>-<suffix>`, doing `phase`. Its bundle: the renderer's
        `files(facts, secret_values, node, **inputs)` (`inputs`: its other arguments, plain
        or Outputs such as certificates or facts another step printed) with the stack's
        overrides merged into its INI files, plus, as files the script reads with
        `secret`, the secrets named in `secret_files` (default: all of `secrets`)."""
        bundle = None
        if files is not None or secrets:
            installed = list(secrets if secret_files is None else secret_files)

            def make(both: list) -> list[ConfigFile]:
                values, extra = both
                made = [] if files is None else files(self.args.facts, values, node,
                                                      **(extra or {}))
                return [*map(self.overridden, made),
                        *[secret_file(n, values[n]) for n in sorted(installed)]]

            bundle = pulumi.Output.all(self.args.secrets.values(secrets), inputs).apply(make)
        step = Step(f"{self.name}-{suffix}", node, template, parent=self,
                    context={"cloud": self.args.facts, **(context or {})}, files=bundle,
                    after=after, depends_on=depends_on, phase=phase)
        self.steps[suffix] = step
        return step

    def overridden(self, file: ConfigFile) -> ConfigFile:
        """`file` with the stack's overrides merged in when it is one of this service's INI
        files (ini_overrides.FILES); unchanged without any."""
        service = self.kind.lower()
        if posixpath.basename(file.path) not in FILES.get(service, ()):
            return file
        return replace(file, content=self.args.overrides.apply(service, file.path,
                                                               file.content))

    def finish(self) -> None:
        self.register_outputs({"steps": sorted(self.steps)})


def config_file(path: str, template: str, group: str, mode: str = "0640",
                **context: object) -> ConfigFile:
    """An OpenStack config file as the packages ship them: root:<service>, 0640 (the
    stack's overrides are merged in by the step: Service.overridden)."""
    return ConfigFile(path, render(template, **context), owner="root", group=group, mode=mode)


def uwsgi_default(unit: str, ini: str, address: str, port: int, processes: int = 1,
                  init_name: str | None = None, threads: int | None = None) -> ConfigFile:
    """/etc/default/<NAME> for Debian's uwsgi-based API units: bind address and workers
    (and threads per worker where the package's ini must be overridden).
    NAME is the init script's, usually the unit's (neutron-api's is neutron-server)."""
    return ConfigFile(f"/etc/default/{init_name or unit}",
                      render("lib/uwsgi-default.j2", unit=unit, ini=ini, address=address,
                             port=port, processes=processes, threads=threads))
