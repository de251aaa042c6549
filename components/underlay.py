"""Picks the underlay the settings name; each one builds the nodes and their readiness."""

from __future__ import annotations

from components.lab_nodes import LabContext
from components.underlay_gcp import GcpUnderlay
from components.underlay_libvirt import LocalUnderlay, MetalUnderlay

KINDS = {"local": LocalUnderlay, "metal": MetalUnderlay, "gcp": GcpUnderlay}


def build_underlay(name: str, ctx: LabContext) -> LocalUnderlay | MetalUnderlay | GcpUnderlay:
    return KINDS[ctx.settings.underlay](name, ctx)
