"""What the install steps put on the nodes, for both profiles under mocks: shellcheck on
every step script and checks of every config file they install (golden files:
test_install_golden.py)."""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from components.openstack import packages
from components.openstack.horizon import PLUGIN_STAMP, PLUGINS, SETTINGS
from tests.graph.test_install_golden import golden_steps
from tests.install_capture import PROFILES, BundleFile, Install, InstallStep


# Every severity.
SHELLCHECK = ["shellcheck", "--shell=bash", "--severity=style", "--format=json1"]
# Bundle files that are shell: sourced by operators, or run by a unit on the node.
SHELL_FILES = {"/root/admin-openrc", "/usr/local/sbin/osl-octavia-hm-port"}
PYTHON_FILES = {"/usr/local/sbin/osl-identity", "/usr/local/sbin/osl-octavia-mgmt",
                "/usr/local/sbin/osl-cinder-rtstool",
                "/etc/openstack-dashboard/local_settings.d/_90_openstack_lab.py"}
YAML_FILES = {"/etc/openstack-lab/clouds.yaml", "/etc/openstack-lab/octavia-clouds.yaml"}
# OpenStack and MariaDB configs: INI files, parsed as oslo.config / MariaDB read them.
INI = re.compile(r"^/etc/(keystone|glance|placement|nova|neutron|cinder|octavia|mysql)/"
                 r".*\.(conf|ini|cnf)$")
# .conf files in other formats, each checked by its own test below or by golden files only.
NOT_INI = {"/etc/apt-cacher-ng/zz-openstack-lab.conf", "/etc/chrony/conf.d/openstack-lab.conf",
           "/etc/lvm/lvmlocal.conf", "/etc/memcached.conf",
           "/etc/rabbitmq/rabbitmq-env.conf", "/etc/nginx/sites-available/openstack-lab.conf",
           "/etc/apache2/conf-available/openstack-lab-horizon.conf",
           "/etc/modules-load.d/openstack-lab-lio.conf"}


# --- shellcheck ---------------------------------------------------------------------------

def shell_sources(step: InstallStep) -> Iterator[tuple[str, str]]:
    """(label, text) of everything shell a step carries: its body, its wrapper (the
    `create` command, heredoc and all) and shell files in its bundle."""
    yield "script.sh", step.body
    yield "wrapper.sh", step.create
    for path in sorted(SHELL_FILES & set(step.files)):
        yield f"files{path}", step.files[path].content


@pytest.fixture(scope="session")
def shellcheck_findings(captured_install, tmp_path_factory) -> dict[tuple[str, str], list[str]]:
    """shellcheck over every step of both profiles at once (each distinct text once, in
    parallel batches), as findings per (profile, step)."""
    assert shutil.which("shellcheck"), \
        "shellcheck is installed by make setup (scripts/setup/apt.sh)"
    root = tmp_path_factory.mktemp("shellcheck")
    texts: dict[str, Path] = {}  # text -> the file it is checked as
    users: dict[Path, list[tuple[str, str, str]]] = {}  # file -> (profile, step, label)
    for profile in sorted(PROFILES):
        for step in captured_install(profile).steps.values():
            for label, text in shell_sources(step):
                if text not in texts:
                    texts[text] = root / f"{len(texts)}.sh"
                    texts[text].write_text(text)
                users.setdefault(texts[text], []).append((profile, step.name, label))
    paths = sorted(str(p) for p in users)
    workers = min(8, os.cpu_count() or 2)
    batches = [b for b in (paths[i::workers] for i in range(workers)) if b]

    def run(batch: list[str]) -> list[dict]:
        done = subprocess.run([*SHELLCHECK, *batch], capture_output=True, text=True)
        assert done.returncode in (0, 1), done.stderr  # 1: findings; else shellcheck broke
        return json.loads(done.stdout)["comments"]

    findings: dict[tuple[str, str], list[str]] = {
        (profile, step): [] for uses in users.values() for profile, step, _ in uses}
    with ThreadPoolExecutor(len(batches)) as pool:
        for comments in pool.map(run, batches):
            for c in comments:
                for profile, step, label in users[Path(c["file"])]:
                    findings[(profile, step)].append(
                        f"{label}:{c['line']}:{c['column']}: {c['level']} SC{c['code']}: "
                        f"{c['message']}")
    return findings


@pytest.mark.parametrize("profile,step", golden_steps(),
                         ids=[f"{p}/{s}" for p, s in golden_steps()])
def test_step_scripts_pass_shellcheck(shellcheck_findings, profile, step):
    assert (profile, step) in shellcheck_findings, \
        f"{step} is no longer a step of {profile}: regenerate the golden files"
    found = shellcheck_findings[(profile, step)]
    assert not found, "\n".join(found)


def test_step_scripts_are_strict_and_install_their_bundle(install):
    for step in install.steps.values():
        assert step.body.startswith("#!/bin/bash\n"), step.name
        assert "set -euo pipefail\n" in step.body and "set -euo pipefail\n" in step.create
        # The create stores the script, runs it, and tells a failure (wrapper.sh.j2).
        assert f"/{step.name}.sh || status=$?\n" in step.create, step.name
        assert step.create.rstrip().endswith('exit "$status"\nfi'), step.name
        if step.files:
            assert "\ninstall_bundle\n" in step.body, f"{step.name}: bundle never installed"


SECRET_USES = (re.compile(r"\bsecret ([a-z][a-z0-9-]*)"),
               re.compile(r"\bensure_db \S+ ([a-z][a-z0-9-]*)"),
               re.compile(r"\$SECRET_DIR/([a-z][a-z0-9-]*)"))


def test_steps_read_only_secrets_their_bundle_installed_before(install):
    used_anywhere = 0
    for step in install.steps.values():
        lines = [line for line in step.body.splitlines() if not line.lstrip().startswith("#")]
        installed_at = lines.index("install_bundle") if "install_bundle" in lines else None
        for i, line in enumerate(lines):
            for name in {m for pattern in SECRET_USES for m in pattern.findall(line)}:
                used_anywhere += 1
                assert f"/etc/openstack-lab/secrets/{name}" in step.files, \
                    f"{step.name} reads secret {name} that its bundle lacks"
                assert installed_at is not None and installed_at < i, \
                    f"{step.name} reads secret {name} before install_bundle"
    assert used_anywhere >= 10


# --- config files -------------------------------------------------------------------------

def bundle_files(install: Install) -> Iterator[tuple[InstallStep, BundleFile]]:
    for step in install.steps.values():
        for f in step.files.values():
            yield step, f


def ini(f: BundleFile) -> configparser.ConfigParser:
    # No DEFAULT magic: [DEFAULT] is a section like the others, so lookups stay exact.
    cfg = configparser.ConfigParser(strict=False, interpolation=None,
                                    default_section="configparser-no-default")
    cfg.read_string(f.content, source=f.path)
    return cfg


def configs(install: Install, suffix: str) -> list[tuple[InstallStep, configparser.ConfigParser]]:
    return [(step, ini(f)) for step, f in bundle_files(install) if f.path.endswith(suffix)]


def secret(install: Install, name: str) -> str:
    return install.secrets[f"openstack-secrets-{name}"]


def management_ip(install: Install, node: str) -> str:
    return install.nodes[node]["addresses"]["management"]


def test_every_config_file_is_classified_and_ini_files_parse(install):
    inis = 0
    for step, f in bundle_files(install):
        if not f.path.endswith((".conf", ".ini", ".cnf")):
            continue
        assert INI.match(f.path) or f.path in NOT_INI, f"{step.name}: unclassified {f.path}"
        if INI.match(f.path):
            cfg = ini(f)
            inis += 1
            assert cfg.sections(), f"{step.name}: {f.path} has no sections"
            for section in cfg.sections():
                for key, value in cfg.items(section):
                    where = f"{step.name}: {f.path} [{section}] {key}"
                    assert value not in ("", "None"), f"{where} = {value!r}"
                    assert "{{" not in value and "{%" not in value, where
    assert inis >= 8


def test_service_users_authenticate_with_their_own_password(install):
    """[keystone_authtoken] and every service-auth section: complete, and the password is
    the generated one of the user it names."""
    auth_sections = {"keystone_authtoken", "service_user", "placement", "neutron", "nova"}
    seen = set()
    for step, f in bundle_files(install):
        if not INI.match(f.path):
            continue
        cfg = ini(f)
        for section in sorted(auth_sections & set(cfg.sections())):
            s = cfg[section]
            if "auth_type" not in s:
                continue  # e.g. nova.conf's [neutron] only when it authenticates
            where = f"{step.name}: {f.path} [{section}]"
            for key in ("auth_url", "username", "password", "project_name",
                        "user_domain_name", "project_domain_name"):
                assert key in s, f"{where} lacks {key}"
            assert s["auth_type"] == "password" and s["auth_url"] == "http://controller:5000"
            assert s["password"] == secret(install, f"user-{s['username']}"), where
            seen.add((f.path, section))
        if "keystone_authtoken" in cfg:
            assert "www_authenticate_uri" in cfg["keystone_authtoken"], f.path
            assert cfg["keystone_authtoken"]["memcached_servers"] == "controller:11211"
    assert {p for p, s in seen if s == "keystone_authtoken"} >= {
        "/etc/glance/glance-api.conf", "/etc/placement/placement.conf", "/etc/nova/nova.conf",
        "/etc/neutron/neutron.conf", "/etc/cinder/cinder.conf"}


def test_services_call_each_other_on_internal_endpoints(install):
    """The catalog's public URLs are the TLS proxy, signed by the lab CA that the nodes'
    services do not trust: a service that looks another up as `public` (neutron's,
    cinder's and nova's defaults) fails. Neutron's port events to Nova did, and every guest
    waited until vif_plugging_timeout."""
    pinned = {("/etc/neutron/neutron.conf", "nova", "endpoint_type"): "internal",
              ("/etc/nova/nova.conf", "cinder", "catalog_info"): "volumev3::internalURL",
              ("/etc/cinder/cinder.conf", "nova", "interface"): "internal"}
    seen = set()
    for step, f in bundle_files(install):
        if not INI.match(f.path):
            continue
        cfg = ini(f)
        for section in cfg.sections():
            for key in ("endpoint_type", "interface", "valid_interfaces", "catalog_info"):
                value = cfg[section].get(key)
                if value is None:
                    continue
                where = f"{step.name}: {f.path} [{section}] {key}"
                assert "public" not in value, where
                if (f.path, section, key) in pinned:
                    assert value == pinned[(f.path, section, key)], where
                    seen.add((f.path, section, key))
        for path, section, key in pinned:
            if f.path == path and section in cfg and "auth_type" in cfg[section]:
                assert key in cfg[section], f"{step.name}: {path} [{section}] lacks {key}"
    assert seen == set(pinned)


def test_databases_and_message_queue_urls_carry_the_generated_passwords(install):
    checked = 0
    for step, f in bundle_files(install):
        if not INI.match(f.path):
            continue
        cfg = ini(f)
        for section in cfg.sections():
            for key, value in cfg.items(section):
                if key == "connection" and value.startswith("mysql"):
                    url = urlsplit(value)
                    assert url.scheme == "mysql+pymysql" and url.hostname == "controller"
                    assert url.password == secret(install, f"db-{url.username}"), \
                        f"{step.name}: {f.path} [{section}]"
                    checked += 1
                elif key == "transport_url":
                    url = urlsplit(value)
                    assert url.scheme == "rabbit" and url.hostname == "controller"
                    assert url.password == secret(install, "rabbit"), f"{step.name}: {f.path}"
                    checked += 1
    assert checked >= 10


def test_nova_conf_per_node(install):
    """Which nodes get nova.conf and with whose address (what it says per role, and
    glance's, mariadb's and horizon's files: tests/unit/test_renderers.py)."""
    found = configs(install, "/nova/nova.conf")
    assert {step.node for step, _ in found} == {"controller", *install.with_role("compute")}
    for step, cfg in found:
        assert cfg["DEFAULT"]["my_ip"] == management_ip(install, step.node), step.name
        controller_api = step.name == "openstack-nova-setup"
        assert ("api_database" in cfg.sections()) == controller_api, step.name
        assert ("database" in cfg.sections()) == controller_api, step.name


def test_neutron_confs(install):
    neutron = [(s, f) for s, f in bundle_files(install) if f.path == "/etc/neutron/neutron.conf"]
    assert {s.node for s, _ in neutron} == {"controller", *install.with_role("network"),
                                            *install.with_role("compute")}
    for step, f in neutron:
        assert ("database" in ini(f).sections()) == (step.node == "controller"), step.name
    dhcp = configs(install, "/neutron/dhcp_agent.ini")
    assert {s.node for s, _ in dhcp} == set(install.with_role("network"))
    metadata = configs(install, "/neutron/metadata_agent.ini")
    assert metadata
    nova_secrets = {cfg["neutron"]["metadata_proxy_shared_secret"]
                    for _, cfg in configs(install, "/nova/nova.conf")}
    for _, cfg in metadata:
        assert {cfg["DEFAULT"]["metadata_proxy_shared_secret"]} == nova_secrets
        assert cfg["DEFAULT"]["nova_metadata_host"] == "controller"
    for step, cfg in configs(install, "/ml2/openvswitch_agent.ini"):
        assert cfg["ovs"]["local_ip"] == install.nodes[step.node]["addresses"]["underlay"]
        assert ("bridge_mappings" in cfg["ovs"]) == (step.node in install.with_role("network"))


def test_cinder_conf(install):
    found = configs(install, "/cinder/cinder.conf")
    storage = install.with_role("storage")
    assert storage and {s.node for s, _ in found} == {"controller", *storage}
    for step, cfg in found:
        assert cfg["DEFAULT"]["my_ip"] == management_ip(install, step.node)
        # Also cinder-api's copy where one node has both roles.
        assert ("lvm" in cfg.sections()) == (step.node in storage), step.name
        if step.node in storage:
            assert cfg["lvm"]["target_ip_address"] == management_ip(install, step.node)
    # tgt would hold LIO's port 3260, and cinder-volume.service Wants= it: only a mask
    # keeps a cinder-volume start from starting it again (seen on the lab).
    volume_steps = [s for name, s in install.steps.items() if "cinder-volume" in name]
    assert volume_steps
    for step in volume_steps:
        assert "systemctl mask --now tgt" in step.body, step.name
        # rtslib fails every export while LIO's dbroot directory is missing (seen on the
        # lab: the first attach failed with "Cannot set dbroot to /etc/rtslib-fb-target").
        made = step.body.find("install -d -m 0700 /etc/rtslib-fb-target")
        assert 0 <= made < step.body.find("converge cinder-volume"), step.name


def test_horizon_step_installs_its_plugins(install):
    """(Its settings: tests/unit/test_renderers.py.)"""
    step = install.steps["openstack-horizon-setup"]
    assert "python3-octavia-dashboard" in PLUGINS
    # Not among the roles' packages: those would rebuild the node image and re-run the
    # controller's whole install.
    assert not set(PLUGINS) & set(packages.all_roles())
    body = step.body
    assert f"plugins=({' '.join(PLUGINS)})" in body
    assert re.search(r"^\s*retry 2 10 apt_install \"\$\{missing\[@\]\}\"$", body, re.M)
    # Installed after the settings (the dpkg trigger's static rebuild uses them), and a
    # changed plugin restarts Apache.
    assert body.index("install_bundle") < body.index("apt_install")
    converge = next(line for line in body.splitlines() if line.startswith("converge apache2"))
    assert SETTINGS in converge and PLUGIN_STAMP in converge
    assert body.index(f"> {PLUGIN_STAMP}") < body.index("converge apache2")


def test_steps_sharing_a_file_on_a_node_install_the_same_content(install):
    """Two steps writing one path on one node with different contents would rewrite it
    (and restart its service) on every run."""
    by_target: dict[tuple[str, str], dict[str, BundleFile]] = {}
    for step, f in bundle_files(install):
        by_target.setdefault((step.node, f.path), {})[step.name] = f
    shared = {k: v for k, v in by_target.items() if len(v) > 1}
    assert shared
    for (node, path), files in sorted(shared.items()):
        assert len(set(files.values())) == 1, f"{node}:{path} differs between {sorted(files)}"


def test_python_and_yaml_files_are_well_formed(install):
    seen = set()
    for step, f in bundle_files(install):
        if f.path in PYTHON_FILES or f.path.endswith(".py"):
            compile(f.content, f.path, "exec")
            seen.add(f.path)
        if f.path in YAML_FILES or f.path.endswith((".yaml", ".yml")):
            data = yaml.safe_load(f.content)
            cloud, password = ("octavia", "user-octavia") if "octavia" in data["clouds"] \
                else ("admin", "admin")
            assert data["clouds"][cloud]["auth"]["password"] == secret(install, password)
            seen.add(f.path)
    assert seen == PYTHON_FILES | YAML_FILES


def test_secret_files_hold_exactly_the_generated_value_root_only(install):
    found = 0
    for step, f in bundle_files(install):
        if f.path.startswith("/etc/openstack-lab/secrets/"):
            assert (f.mode, f.owner, f.group) == ("0600", "root", "root"), step.name
            assert f.content == secret(install, f.path.rsplit("/", 1)[1]), step.name
            found += 1
        elif any(v in f.content for v in install.secrets.values()):
            # Configs with secrets are never world-readable.
            assert f.mode in ("0600", "0640", "0660"), f"{step.name}: {f.path} is {f.mode}"
    assert found
