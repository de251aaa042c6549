"""Picks the underlay the settings name; each one builds the nodes and their readiness."""

from __future__ import annotations

from components.config import Settings
from components.lab_nodes import LabContext
from components.underlay_gcp import GcpUnderlay
from components.underlay_libvirt import LocalUnderlay, MetalUnderlay, local_accel

KINDS = {"local": LocalUnderlay, "metal": MetalUnderlay, "gcp": GcpUnderlay}


def build_underlay(name: str, ctx: LabContext) -> LocalUnderlay | MetalUnderlay | GcpUnderlay:
    return KINDS[ctx.settings.underlay](name, ctx)


def preflight(settings: Settings) -> None:
    """What can be refused from this machine before any resource: a local lab's image
    source against its acceleration (a metal host's is known only after its preparation,
    where node-image.sh refuses it)."""
    if settings.underlay == "local":
        local_accel(settings)
