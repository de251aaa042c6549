"""What the node, amphora and web images share: a recipe under scripts/image/, run on the
machine that runs Pulumi as a local Command.

A recipe's entry script builds its image (or, for the node image, resolves where it comes
from), caches it under $OPENSTACK_LAB_HOME/images keyed by its inputs, and prints only the
image's path on stdout (progress on stderr). The Command runs again only when a trigger
changes: by default the recipe's digest, the text of every script it is made of, so an
edited recipe rebuilds and an unchanged one is never re-run, not even to find its cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_command as command

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts" / "image"
# How the engine runs them: relative to the project directory, where it runs the command
# provider (an absolute path would differ between checkouts and show a diff).
PROJECT_SCRIPTS = "scripts/image"


@dataclass(frozen=True)
class Recipe:
    """`entry` under scripts/image/ makes the image; `uses` are the other scripts it runs
    or sources (not the tests beside them), in the order their text is hashed."""

    entry: str
    uses: tuple[str, ...] = ()

    @property
    def sources(self) -> tuple[str, ...]:
        return (self.entry, *self.uses)

    @property
    def path(self) -> Path:
        """The entry script on this machine (for tests and benches that run it)."""
        return SCRIPTS / self.entry

    def digest(self) -> str:
        """The content of the recipe's scripts: a change to any of them re-runs, and so
        rebuilds, the image they make."""
        h = hashlib.sha256()
        for script in (SCRIPTS / name for name in self.sources):
            h.update(script.name.encode() + b"\0" + script.read_bytes())
        return h.hexdigest()[:16]

    def command(self, *args: str) -> str:
        return " ".join([f"{PROJECT_SCRIPTS}/{self.entry}", *args])


def build(name: str, recipe: Recipe, parent: pulumi.Resource, *, args: Sequence[str] = (),
          triggers: Sequence[pulumi.Input[str]] | None = None,
          environment: Mapping[str, pulumi.Input[str]] | None = None,
          aliases: Sequence[pulumi.Alias] | None = None) -> pulumi.Output[str]:
    """The local Command `name` (a child of `parent`) that runs `recipe` with `args`; the
    image's path it printed. `triggers` replace the default, the recipe's digest, when the
    image depends on more (they should hold the digest too)."""
    run = command.local.Command(
        name, create=recipe.command(*args),
        triggers=list(triggers) if triggers is not None else [recipe.digest()],
        environment=environment, logging="stderr",
        opts=pulumi.ResourceOptions(parent=parent, aliases=aliases))
    return run.stdout.apply(str.strip)
