"""The README's generated reference stays what scripts/generate.py makes of the sources,
and what it makes is faithful to the settings model and the network plan."""

from __future__ import annotations

import re

import pytest

from components import config, network_plan
from components.config import Settings
from scripts import generate

REGIONS = sorted(generate.REGIONS)


def region(text: str, name: str) -> str:
    found = re.findall(rf"<!-- BEGIN GENERATED: {name} -->\n(.*?)<!-- END GENERATED: {name} -->",
                       text, re.DOTALL)
    assert len(found) == 1, f"README.md needs exactly one '{name}' region, has {len(found)}"
    return found[0]


@pytest.mark.parametrize("name", REGIONS)
def test_readme_region_is_up_to_date(repo_root, name):
    current = (repo_root / "README.md").read_text()
    assert region(current, name) == region(generate.readme(current), name), (
        "README.md is out of date: run .venv/bin/python scripts/generate.py")


def test_regions_live_in_the_reference_section(repo_root):
    text = (repo_root / "README.md").read_text()
    reference = text.index("\n## Reference\n")
    for name in REGIONS:
        assert text.index(f"<!-- BEGIN GENERATED: {name} -->") > reference, name


def test_regeneration_keeps_the_hand_written_text():
    text = ("intro\n<!-- BEGIN GENERATED: config-reference -->\nstale\n"
            "<!-- END GENERATED: config-reference -->\nmiddle\n"
            "<!-- BEGIN GENERATED: topology -->\n<!-- END GENERATED: topology -->\noutro\n")
    out = generate.readme(text)
    assert "stale" not in out
    assert out.startswith("intro\n") and "\nmiddle\n" in out and out.endswith("\noutro\n")
    assert generate.readme(out) == out  # a second run changes nothing


def test_missing_markers_are_an_error_not_a_silent_skip():
    with pytest.raises(SystemExit, match="topology"):
        generate.readme("<!-- BEGIN GENERATED: config-reference -->\n"
                        "<!-- END GENERATED: config-reference -->\n")


def table_rows() -> dict[str, list[str]]:
    rows = {}
    for line in generate.config_reference().splitlines()[2:]:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        rows[cells[0].strip("`")] = cells
    return rows


def test_config_table_has_every_key_with_its_type_default_and_secrecy():
    rows = table_rows()
    assert list(rows) == [k.name for k in config.KEYS]
    for key in config.KEYS:
        _name, type_, default, secret, help_ = rows[key.name]
        assert type_ == key.type
        assert default == (f"`{key.default}`" if key.default is not None else "—")
        assert (secret == "yes") == key.secret
        assert help_.replace("\\|", "|") == key.help


def edges(diagram: str) -> dict[tuple[str, str], str]:
    return {(node, net): label for node, label, net in
            re.findall(r'^  node_(\S+) ---\|"([^"]*)"\| net_(\S+)$', diagram, re.MULTILINE)}


@pytest.mark.parametrize("profile", config.PROFILES)
def test_diagram_draws_every_nic_with_its_default_address(profile):
    diagram = generate.topology_diagram(profile)
    settings = Settings.from_mapping({"profile": profile})
    cidrs = {"public": settings.networks.public, "management": settings.networks.management,
             "underlay": settings.networks.underlay, "external": settings.networks.external}
    want = {}
    for node in settings.nodes:
        for net in network_plan.NETWORKS:
            if network_plan.joins(node, net):
                address = ("br-phys, no address" if net == "external" else
                           str(network_plan.host_address(cidrs[net], node.host_offset).ip))
                want[(node.name.replace("-", "_"), net)] = address
    assert edges(diagram) == want
    for net, cidr in cidrs.items():
        assert f"<b>{net}</b><br/>{cidr}<br/>" in diagram


@pytest.mark.parametrize("profile", config.PROFILES)
def test_diagram_edges_only_reference_declared_shapes(profile):
    """Mermaid silently invents a bare node for an undeclared id; that would be a bug."""
    diagram = generate.topology_diagram(profile)
    assert diagram.startswith("```mermaid\nflowchart LR\n") and diagram.endswith("```\n")
    declared = set(re.findall(r"^  ((?:node|net)_\w+)[\[(]", diagram, re.MULTILINE))
    used = set(re.findall(r"^  (node_\w+) ---\|[^|]*\| (net_\w+)$", diagram, re.MULTILINE))
    assert used and {x for pair in used for x in pair} <= declared
