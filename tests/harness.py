"""Run the whole program under Pulumi mocks and record what it registers.

`LabMocks` answers resource registrations with realistic outputs per type token, and the
mock monitor is wrapped so every registration's parent, provider, dependencies and
secret outputs are kept: graph tests assert on those, not only on construction.
"""

from __future__ import annotations

import runpy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockMonitor

PROJECT = "openstack-lab"
REPO_ROOT = Path(__file__).resolve().parent.parent

Outputs = Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]


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


@dataclass
class LabMocks(pulumi.runtime.Mocks):
    """Mocks that echo inputs plus per-type outputs (`outputs_by_type`)."""

    outputs_by_type: dict[str, Outputs] = field(default_factory=dict)
    stack_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        if args.typ == "pulumi:pulumi:StackReference":
            name = args.inputs.get("name", args.name)
            return [name, {"name": name, "outputs": self.stack_outputs.get(name, {}),
                           "secretOutputNames": []}]
        extra = self.outputs_by_type.get(args.typ, lambda _a: {})(args)
        return [f"{args.name}-id", {**args.inputs, **extra}]

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


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
