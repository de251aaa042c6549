"""Picks the underlay the settings name; each one builds the nodes and their readiness."""

from __future__ import annotations

from components.config import Settings
from components.gcp_rules import check_gcp_names, min_cpu_platform
from components.lab_nodes import LabContext
from components.underlay_gcp import GcpUnderlay
from components.underlay_libvirt import LocalUnderlay, MetalUnderlay, local_accel

KINDS = {"local": LocalUnderlay, "metal": MetalUnderlay, "gcp": GcpUnderlay}


def build_underlay(name: str, ctx: LabContext) -> LocalUnderlay | MetalUnderlay | GcpUnderlay:
    return KINDS[ctx.settings.underlay](name, ctx)


def preflight(settings: Settings, stack: str) -> None:
    """What can be refused from this machine before any resource (the lab's keys come
    before the underlay): a local lab's image source against its acceleration (a metal
    host's is known only after its preparation, where node-image.sh refuses it), and GCP's
    rules on the names and CPU platform of a gcp lab (GcpUnderlay checks them again)."""
    if settings.underlay == "local":
        local_accel(settings)
    if settings.underlay == "gcp" and settings.gcp:
        check_gcp_names(stack, settings)
        min_cpu_platform(settings.gcp.machine_type)
