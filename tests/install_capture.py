"""The OpenStack install as the program registers it, captured under Pulumi mocks.

`capture(profile)` runs `__main__.py` under `tests.harness` mocks and keeps every
`command:remote:Command` below the `openstack` component as an `InstallStep`: its script
(the wrapper `create` and the step body inside its heredoc), the bundle it gets on stdin
decoded into files, its triggers and the steps it depends on. The generated secrets' mock
values are kept too, so tests can look for them where they must not be.

Call it from a test or fixture (it installs the mocks), never at import time.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings

from tests.harness import (PROJECT, SECRET_SIG, SECRET_VALUE, LabMocks, RecordingMonitor,
                           Registered, is_secret, run_main, unwrap)

COMMAND = "command:remote:Command"
CONTROL_PLANE = "openstacklab:openstack:OpenStackControlPlane"
HEREDOC = "OPENSTACK_LAB_STEP"
# TCG pinned: the golden files hold TCG's patience (components/patience.py) on any host,
# not whatever this machine's /dev/kvm would choose.
PROFILES = {"minimal": {"profile": "minimal", "accel": "tcg"},
            "standard": {"profile": "standard", "accel": "tcg"}}


@dataclass(frozen=True)
class BundleFile:
    path: str
    mode: str
    owner: str
    group: str
    content: str


def parse_bundle(stdin: str) -> dict[str, BundleFile]:
    """`file PATH MODE OWNER GROUP BASE64` lines (see step.ConfigFile.line)."""
    files: dict[str, BundleFile] = {}
    for line in stdin.splitlines():
        kind, path, mode, owner, group, data = line.split(" ")
        assert kind == "file", f"bad bundle line: {line[:60]}"
        assert path not in files, f"{path} twice in one bundle"
        files[path] = BundleFile(path, mode, owner, group, base64.b64decode(data).decode())
    return files


def step_body(create: str) -> str:
    """The step script the wrapper stores on the node: the lines of its heredoc."""
    lines = create.splitlines()
    opens = [i for i, line in enumerate(lines) if line.endswith(f"<<'{HEREDOC}'")]
    closes = [i for i, line in enumerate(lines) if line == HEREDOC]
    assert len(opens) == 1 and len(closes) == 1 and opens[0] < closes[0], \
        "the wrapper must hold exactly one step heredoc"
    return "".join(f"{line}\n" for line in lines[opens[0] + 1:closes[0]])


@dataclass
class InstallStep:
    name: str
    resource: Registered
    node: str  # from the script's header: `# openstack-lab step NAME on NODE.`
    create: str
    body: str
    stdin: Any  # as recorded (None when the step has no bundle)
    files: dict[str, BundleFile]
    triggers: list[Any]  # unwrapped
    after: set[str] = field(default_factory=set)  # steps it depends on directly

    @property
    def stdin_is_secret(self) -> bool:
        return is_secret(self.stdin)

    @property
    def bundle(self) -> str | None:
        """The bundle text the step gets on stdin (None without one)."""
        return unwrap(self.stdin) if self.stdin is not None else None


@dataclass
class Install:
    profile: str
    monitor: RecordingMonitor
    steps: dict[str, InstallStep]
    secrets: dict[str, str]  # generated secret resource name -> its mock value
    private_keys: dict[str, str]  # key pair / certificate resource name -> its private key
    outputs: dict[str, Any]  # the stack's exports, serialized (secrets wrapped)

    def ancestors(self, name: str) -> set[str]:
        """Every step `name` waits for, directly or through other steps."""
        seen: set[str] = set()
        todo = list(self.steps[name].after)
        while todo:
            step = todo.pop()
            if step not in seen:
                seen.add(step)
                todo.extend(self.steps[step].after)
        return seen

    @cached_property
    def order(self) -> list[str]:
        """The steps in dependency order (fails on a cycle)."""
        done: list[str] = []
        placed: set[str] = set()
        pending = sorted(self.steps)
        while pending:
            ready = [s for s in pending if self.steps[s].after <= placed]
            assert ready, f"dependency cycle among {pending}"
            done += ready
            placed.update(ready)
            pending = [s for s in pending if s not in placed]
        return done

    @cached_property
    def levels(self) -> dict[str, int]:
        """1 + the longest chain of steps before each step."""
        level: dict[str, int] = {}
        for s in self.order:
            level[s] = 1 + max((level[a] for a in self.steps[s].after), default=0)
        return level

    @property
    def depth(self) -> int:
        """The longest chain of steps: how many must run one after another."""
        return max(self.levels.values())

    @property
    def nodes(self) -> dict[str, dict[str, Any]]:
        """The exported node inventory by name: roles and addresses per network."""
        return {n["name"]: n for n in unwrap(self.outputs["nodes"])}

    def with_role(self, role: str) -> list[str]:
        return [name for name, n in self.nodes.items() if role in n["roles"]]


class _SecretRecordingMocks(LabMocks):
    """LabMocks that also keep the value each GeneratedSecret answers with, and the private
    half of each key pair and certificate."""

    def __init__(self) -> None:
        super().__init__()
        self.generated: dict[str, str] = {}
        self.private_keys: dict[str, str] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        rid, state = super().new_resource(args)
        if args.typ == "pulumi-python:dynamic:Resource":
            if "length" in args.inputs:
                self.generated[args.name] = state["value"]
            for key in ("private_key", "key_pem"):
                if key in state:
                    self.private_keys[args.name] = state[key]
        return [rid, state]


class _EngineLikeMonitor(RecordingMonitor):
    """Answers the outputs a registration names in additionalSecretOutputs as secrets, as
    the engine does (the SDK's mock monitor answers them plain), so values flowing from
    them into other resources stay secret here as they do in a real run."""

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if response.HasField("object"):
            plain = json_format.MessageToDict(response.object)
            for name in request.additionalSecretOutputs:
                if name in plain and not is_secret(plain[name]):
                    response.object[name] = {SECRET_SIG: SECRET_VALUE, "value": plain[name]}
        return response


def _under_control_plane(r: Registered, by_urn: Mapping[str, Registered]) -> bool:
    parent = by_urn.get(r.parent)
    while parent is not None:
        if parent.type == CONTROL_PLANE and parent.name == "openstack":
            return True
        parent = by_urn.get(parent.parent)
    return False


def _node_of(body: str, name: str) -> str:
    for line in body.splitlines():
        prefix = f"# openstack-lab step {name} on "
        if line.startswith(prefix):
            return line[len(prefix):].split(".", 1)[0]
    raise AssertionError(f"{name}: no `openstack-lab step ... on NODE` header in its script")


def capture(profile: str, config: Mapping[str, str] | None = None) -> Install:
    """Run the program for `profile` under mocks and return its install steps; `config`
    replaces the profile's stack config (PROFILES) when given."""
    mocks = _SecretRecordingMocks()
    monitor = _EngineLikeMonitor(mocks)
    runtime_settings.ROOT.set(None)  # as tests.harness.install_mocks, with this monitor
    config = PROFILES[profile] if config is None else config
    pulumi.runtime.set_all_config({f"{PROJECT}:{k}": v for k, v in config.items()})
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack="dev", preview=False,
                             monitor=monitor)
    outputs: dict[str, Any] = {}

    @pulumi.runtime.test
    def run():
        run_main()
        root = runtime_settings.get_root_resource()

        async def serialized() -> Any:  # keeps the secret wrappers, unlike an apply
            exports = dict(root.outputs)  # type: ignore[union-attr]
            return await rpc.serialize_property(exports, [], None)

        return pulumi.Output.from_input(serialized()).apply(outputs.update)

    run()
    by_urn = {r.urn: r for r in monitor.registered}
    commands = [r for r in monitor.of_type(COMMAND) if _under_control_plane(r, by_urn)]
    step_urns = {r.urn: r.name for r in commands}
    steps: dict[str, InstallStep] = {}
    for r in commands:
        assert r.name not in steps, f"two steps named {r.name}"
        create = r.inputs["create"]
        body = step_body(create)
        stdin = r.inputs.get("stdin")
        steps[r.name] = InstallStep(
            name=r.name, resource=r, node=_node_of(body, r.name), create=create, body=body,
            stdin=stdin, files=parse_bundle(unwrap(stdin)) if stdin is not None else {},
            triggers=[unwrap(t) for t in unwrap(r.inputs.get("triggers", []))],
            after={step_urns[d] for d in r.dependencies if d in step_urns})
    return Install(profile, monitor, steps, dict(mocks.generated),
                   dict(mocks.private_keys), outputs)
