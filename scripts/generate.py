"""Regenerate what is derived from the settings model and the network plan:
Pulumi.yaml's `config:` block, and the README's generated regions (the config reference
table and the topology diagrams between `<!-- BEGIN GENERATED: name -->` markers).

Run `.venv/bin/python scripts/generate.py`; tests fail when a generated file drifts.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from components import config, network_plan  # noqa: E402
from components.lab_nodes import LabContext  # noqa: E402
from components.libvirt_fabric import MODES  # noqa: E402
from components.topology import NodeSpec  # noqa: E402

MARKER = "# Generated from components/config.py (KEYS) by scripts/generate.py.\n"


def config_block() -> dict:
    """Keys with a default only: the CLI treats a declared key without one as required,
    while most of ours are optional or required only for one underlay (the settings check
    those and name them)."""
    block = {}
    for key in config.KEYS:
        if key.default is None:
            continue
        entry: dict = {"type": key.type, "description": key.help}
        if key.default is not None:
            entry["default"] = int(key.default) if key.type == "integer" else key.default
        if key.secret:
            entry["secret"] = True
        block[key.name] = entry
    return {"config": block}


def pulumi_yaml(current: str) -> str:
    head = current.split("# Generated from")[0].split("\nconfig:")[0].rstrip("\n") + "\n"
    optional = ", ".join(k.name for k in config.KEYS if k.default is None)
    note = f"# Also read (no default, so not declared here): {optional}.\n"
    return head + MARKER + note + yaml.safe_dump(config_block(), sort_keys=False, width=100)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def config_reference() -> str:
    """One row per key, in KEYS order (which groups them by concern)."""
    rows = ["| key | type | default | secret | description |", "|---|---|---|---|---|"]
    for key in config.KEYS:
        # No default: derived from the profile/underlay, or required by one underlay
        # (the description says which).
        default = f"`{key.default}`" if key.default is not None else "—"
        rows.append(f"| `{key.name}` | {key.type} | {default} | {'yes' if key.secret else ''} "
                    f"| {_cell(key.help)} |")
    return "\n".join(rows) + "\n"


def _node_id(name: str) -> str:
    # Prefixed so a node and a network of the same name cannot collide in Mermaid.
    return "node_" + name.replace("-", "_")


def _size(node: NodeSpec) -> str:
    memory = (f"{node.memory_mib // 1024} GiB" if node.memory_mib % 1024 == 0
              else f"{node.memory_mib} MiB")
    return f"{node.vcpus} vCPU, {memory}"


def topology_diagram(profile: str) -> str:
    """A Mermaid flowchart of one profile with every default: nodes, the networks they
    join and the address each NIC gets. Built from the same functions the program uses,
    so the picture cannot disagree with the lab."""
    settings = config.Settings.from_mapping({"profile": profile})
    # The program's own per-node plan; keys only matter for seeds, not for addresses.
    ctx = LabContext(settings, stack="docs", keys=None)  # type: ignore[arg-type]
    cidrs = ctx.cidrs()
    lines = ["```mermaid", "flowchart LR"]
    for node in settings.nodes:
        lines.append(f'  {_node_id(node.name)}["<b>{node.name}</b><br/>'
                     f'{", ".join(node.roles)}<br/>{_size(node)}"]')
    for net in network_plan.NETWORKS:
        mode = "NAT, host at " + str(network_plan.gateway(cidrs[net])) \
            if MODES[net] == "nat" else "isolated"
        lines.append(f'  net_{net}(["<b>{net}</b><br/>{cidrs[net]}<br/>{mode}"])')
    for node in settings.nodes:
        for nic in ctx.nics(node):
            label = str(nic.address.ip) if nic.address else "br-phys, no address"
            lines.append(f'  {_node_id(node.name)} ---|"{label}"| net_{nic.network}')
    lines.append("```")
    return "\n".join(lines) + "\n"


def topology() -> str:
    parts = []
    for profile in config.PROFILES:
        settings = config.Settings.from_mapping({"profile": profile})
        names = ", ".join(n.name for n in settings.nodes)
        parts.append(f"**{profile}** profile ({len(settings.nodes)} nodes: {names}; "
                     f"MTU {settings.networks.mtu}, tenant VXLAN "
                     f"{settings.networks.tenant_mtu}):\n\n{topology_diagram(profile)}")
    return "\n".join(parts)


REGIONS = {"config-reference": config_reference, "topology": topology}


def readme(current: str) -> str:
    """`current` with every generated region rewritten; the text around them is kept."""
    for name, render in REGIONS.items():
        pattern = re.compile(
            rf"(<!-- BEGIN GENERATED: {name} -->\n).*?(<!-- END GENERATED: {name} -->)", re.DOTALL)
        if len(pattern.findall(current)) != 1:
            raise SystemExit(f"README.md needs exactly one pair of '{name}' GENERATED markers")
        body = render()
        current = pattern.sub(lambda m, body=body: m.group(1) + "\n" + body + "\n" + m.group(2),
                              current)
    return current


def main() -> None:
    path = REPO_ROOT / "Pulumi.yaml"
    path.write_text(pulumi_yaml(path.read_text()))
    path = REPO_ROOT / "README.md"
    text = path.read_text()
    new = readme(text)
    if new != text:  # README.md is also hand-edited: touch it only when a region changed
        path.write_text(new)


if __name__ == "__main__":
    main()
