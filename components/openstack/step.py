"""One install step = one idempotent script on one node, run by a `remote.Command`.

The script (rendered from `templates/<service>/<step>.sh.j2`, no secrets in it) is shown in
previews and kept on the node under /var/lib/openstack-lab/steps with its log under
/var/log/openstack-lab. Config files and secrets travel as a bundle on stdin (a Pulumi
secret); the script installs the files it is given and reports which ones changed.

A step's stdout and stderr (its whole log) are secret outputs: the bundle on stdin holds
secrets, and pulumi-command makes an output secret only when told (additionalSecretOutputs),
never because an input is.

Re-run rules: a changed script or bundle re-runs the step (update); `triggers` — the node's
disk and the digests of the steps it builds on — re-run it when a node's disk is replaced or
an upstream step changed. A new domain on the same disk (a CPU change) re-runs only the
node's readiness check, which the steps wait for. An unchanged lab runs nothing.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import pulumi
import pulumi_command as command

from components.readiness import SshTarget
from components.render import render

STEP_DIR = "/var/lib/openstack-lab/steps"
# Process group of each step's current run (tmpfs: a reboot ends every run anyway).
RUN_DIR = "/run/openstack-lab"
LOG_DIR = "/var/log/openstack-lab"
SECRET_DIR = "/etc/openstack-lab/secrets"


class Phase(StrEnum):
    """What a step does for its service (kolla-ansible's one file per action). A label of
    the step (`Step.phase`), not part of its name or script: naming phases changes no URN
    and re-runs nothing."""

    PACKAGES = "packages"  # a node's packages: the APT cache, apt, what it must not run
    SETUP = "setup"  # a service's config files, database and units on one node
    REGISTER = "register"  # Keystone: projects, roles, a service's user and catalog
    AGENTS = "agents"  # a service's daemons on each node that runs them
    RESOURCES = "resources"  # cloud objects made through the APIs: networks, images
    VERIFY = "verify"  # wait until what the service runs reports up (and map it)


@dataclass(frozen=True)
class ConfigFile:
    """A whole file the step installs; content may hold secrets (the bundle is secret)."""

    path: str
    content: str
    owner: str = "root"
    group: str = "root"
    mode: str = "0644"

    def line(self) -> str:
        encoded = base64.b64encode(self.content.encode()).decode()
        return f"file {self.path} {self.mode} {self.owner} {self.group} {encoded}"


def secret_file(name: str, value: str) -> ConfigFile:
    """A secret a script reads with `secret <name>`: root-only, never in argv or logs."""
    return ConfigFile(f"{SECRET_DIR}/{name}", value, mode="0600")


def bundle(files: Sequence[ConfigFile]) -> str:
    return "".join(f"{f.line()}\n" for f in sorted(files, key=lambda f: f.path))


def digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def step_script(step: str, template: str, *, node: str, log_dir: str = LOG_DIR,
                **context: object) -> str:
    """The rendered step body wrapped so that it is stored on the node, logged there and run
    as root with the bundle on its stdin."""
    body = render(template, step=step, node=node, log_dir=log_dir, **context)
    return render("lib/wrapper.sh.j2", step=step, node=node, body=body, step_dir=STEP_DIR,
                  run_dir=RUN_DIR, log_dir=log_dir)


@dataclass(frozen=True)
class InstallNode:
    """Where steps run: a ready lab node."""

    name: str
    roles: tuple[str, ...]
    target: SshTarget
    instance: pulumi.Input[str]  # the node's disk: changes when what the steps wrote is gone
    ready: pulumi.Resource
    addresses: Mapping[str, str] = field(default_factory=dict)

    def has(self, role: str) -> bool:
        return role in self.roles


class Step:
    """A step on one node. `files` is a list of ConfigFile or an Output of one (when the
    contents hold secrets); `after` are the steps it builds on (order + re-run)."""

    def __init__(self, name: str, node: InstallNode, template: str, *,
                 parent: pulumi.Resource,
                 context: Mapping[str, object] | None = None,
                 files: pulumi.Input[Sequence[ConfigFile]] | None = None,
                 after: Sequence[Step] = (),
                 depends_on: Sequence[pulumi.Resource] = (),
                 phase: Phase | None = None) -> None:
        self.name = name
        self.node = node
        self.phase = phase
        self.script = step_script(name, template, node=node.name, log_dir=LOG_DIR,
                                  secret_dir=SECRET_DIR, **(context or {}))
        stdin = (pulumi.Output.secret(pulumi.Output.from_input(files).apply(bundle))
                 if files is not None else None)
        own = (stdin.apply(lambda b: digest(self.script, b)) if stdin is not None
               else pulumi.Output.from_input(digest(self.script)))
        # What this step's dependents re-run on: its own inputs and, transitively, those
        # of the steps it builds on.
        self.digest: pulumi.Output[str] = pulumi.Output.all(own, *[s.digest for s in after]) \
            .apply(lambda parts: digest(*parts))
        self.command = command.remote.Command(
            name,
            connection=node.target.connection(),
            create=self.script,
            stdin=stdin,
            triggers=[node.instance, *[s.digest for s in after]],
            opts=pulumi.ResourceOptions(
                parent=parent, depends_on=[node.ready, *[s.command for s in after],
                                           *depends_on],
                additional_secret_outputs=["connection", "stdout", "stderr"]))
