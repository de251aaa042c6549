"""Failed install steps, told once at the end of an `up`: the node, the step, the last lines
of its log and how to re-run it by hand. The step wrapper (templates/lib/wrapper.sh.j2)
prints that block on the node when its step fails; the command provider carries the step's
output in the resource's error, and this collects the block from the engine's events."""

from __future__ import annotations

import re
import shlex

from pulumi import automation as auto

FAILED = re.compile(r"^openstack-lab: step (\S+) failed on (\S+) with exit status (\d+)$")
RERUN = re.compile(r"^openstack-lab: re-run by hand on (\S+): (.+)$")
# The engine's colour directives, present in event messages whatever `color` says.
COLOUR = re.compile(r"<\{%[a-z]*%\}>")


def failure_block(message: str) -> list[str] | None:
    """The wrapper's block in an error message (the last one, should a step's own output
    hold an earlier one), or None."""
    lines = COLOUR.sub("", message).splitlines()
    starts = [i for i, line in enumerate(lines) if FAILED.match(line)]
    if not starts:
        return None
    block = []
    for line in lines[starts[-1]:]:
        block.append(line)
        if RERUN.match(line):
            break
    return block


class StepFailures:
    """Engine-event handler: the failure block of every remote step that failed."""

    def __init__(self) -> None:
        self.blocks: dict[str, list[str]] = {}

    def on_event(self, event: auto.EngineEvent) -> None:
        diag = event.diagnostic_event
        if diag is None or diag.severity != "error" or not diag.urn:
            return
        block = failure_block(diag.message)
        if block:
            self.blocks[diag.urn] = block

    def report(self, ssh_config: str | None) -> str:
        """Empty when no step failed; the re-run line becomes a command for this machine."""
        if not self.blocks:
            return ""
        out = [f"== {len(self.blocks)} install step(s) failed =="]
        for block in self.blocks.values():
            for line in block:
                rerun = RERUN.match(line)
                if rerun and ssh_config:
                    node, command = rerun.groups()
                    line = (f"re-run it by hand: ssh -F {shlex.quote(ssh_config)} {node} "
                            f"{shlex.quote(command)}")
                out.append(line.removeprefix("openstack-lab: "))
            out.append("")
        return "\n".join(out).rstrip() + "\n"


def fan_out(*handlers):
    """One on_event callback that calls each handler (the engine takes only one)."""
    def on_event(event: auto.EngineEvent) -> None:
        for handler in handlers:
            handler(event)
    return on_event
