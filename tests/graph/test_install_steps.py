"""The OpenStack install's step DAG under mocks, for both profiles: order, parallelism,
triggers and secrets of every `remote.Command` step (captured by tests.install_capture).

Edges are the steps' registered dependencies (`after` steps and `depends_on`), so what is
asserted here is what the engine will really wait for."""

from __future__ import annotations

import itertools

from components.openstack.registry import SERVICES
from components.openstack.step import digest
from tests.harness import is_secret, plain_strings, unwrap
from tests.install_capture import Install

CONTROLLER = "controller"
# From the services' specs (registry.py): who registers with Keystone, what the smoke
# check waits for.
REGISTERING = tuple(s.name for s in SERVICES if s.catalog)
SMOKE_NEEDS = tuple(s.name for s in SERVICES if s.smoke)
NODES = {"minimal": ["controller", "compute-1"],
         "standard": ["controller", "network", "compute-1", "compute-2", "storage"]}


def of_service(install: Install, service: str) -> set[str]:
    return {s for s in install.steps if s.startswith(f"openstack-{service}-")}


def test_every_node_of_the_profile_gets_steps(install):
    assert sorted(install.nodes) == sorted(NODES[install.profile])
    assert {s.node for s in install.steps.values()} == set(install.nodes)
    assert len(install.steps) >= 25


def test_keystone_setup_waits_for_its_database_and_cache(install):
    before = install.ancestors("openstack-keystone-setup")
    assert {"openstack-mariadb-setup", "openstack-memcached-setup",
            "openstack-base-packages-controller"} <= before


def test_every_service_registers_after_keystone(install):
    registers = {s for s in install.steps
                 if s.endswith("-register") and s != "openstack-keystone-register"}
    assert registers >= {f"openstack-{svc}-register" for svc in REGISTERING}
    for step in sorted(registers):
        assert {"openstack-keystone-setup", "openstack-keystone-register"} \
            <= install.ancestors(step), step
    # Nothing of a registering service runs before its registration (but per-node steps
    # that need no API, like iSCSI initiators).
    for register in sorted(registers):
        svc = register.removeprefix("openstack-").removesuffix("-register")
        for step in sorted(of_service(install, svc) - {register}):
            if not step.startswith("openstack-cinder-initiator-"):
                assert register in install.ancestors(step), step


def test_node_packages_install_in_parallel_behind_the_apt_cache(install):
    controller = install.steps["openstack-base-packages-controller"]
    assert controller.after == set()  # the controller goes direct, right away
    others = [n for n in install.nodes if n != CONTROLLER]
    assert others
    for node in others:
        step = install.steps[f"openstack-base-packages-{node}"]
        assert step.after == {"openstack-base-apt-cache"}, node
        assert "openstack-base-packages-controller" not in install.ancestors(step.name)
    # All node package installs sit on the same level of the DAG: they run together.
    assert len({install.levels[f"openstack-base-packages-{n}"] for n in others}) == 1


def test_per_node_steps_of_one_kind_run_in_parallel(install):
    """`<kind>-<node>` steps (packages, time, initiators, agents, nova-compute) never wait
    for their siblings on other nodes."""
    kinds: dict[str, list[str]] = {}
    for step in install.steps.values():
        if step.name.endswith(f"-{step.node}"):
            kinds.setdefault(step.name[:-len(step.node) - 1], []).append(step.name)
    siblings = {k: v for k, v in kinds.items() if len(v) > 1}
    assert "openstack-nova-compute" in siblings or install.profile == "minimal"
    assert "openstack-neutron-agents" in siblings and "openstack-base-time" in siblings
    for kind, names in sorted(siblings.items()):
        for a, b in itertools.permutations(names, 2):
            assert a not in install.ancestors(b), f"{b} waits for {a} ({kind})"


def test_every_step_on_a_node_runs_after_that_nodes_packages(install):
    for step in install.steps.values():
        packages = f"openstack-base-packages-{step.node}"
        if step.name in (packages, "openstack-base-apt-cache"):
            continue
        assert packages in install.ancestors(step.name), step.name


def test_every_node_masks_the_services_of_roles_it_lacks_and_nothing_waits_for_that(install):
    """The shared image ships every role's units; a node stops the foreign ones in a leaf
    step (adding or changing it never re-runs the install behind it)."""
    for node in install.nodes:
        name = f"openstack-base-foreign-services-{node}"
        step = install.steps[name]
        assert step.node == node
        assert step.after == {f"openstack-base-packages-{node}"}
        assert not any(name in s.after for s in install.steps.values())
        foreign, own = (packages_of(step.body, f"mapfile -t {kind} < <(units ")
                        for kind in ("foreign", "own"))
        roles = install.nodes[node]["roles"]
        assert foreign and own and not foreign & own
        if "controller" in roles:
            assert "keystone" in own
        else:
            assert {"keystone", "rabbitmq-server", "mariadb-server"} <= foreign
        assert ("nova-compute" in own) == ("compute" in roles)
        assert ("nova-compute" in foreign) == ("compute" not in roles)


def packages_of(body: str, prefix: str) -> set[str]:
    line = next(line for line in body.splitlines() if line.startswith(prefix))
    return set(line.removeprefix(prefix).removesuffix(")").split())


def test_nova_discovers_hosts_after_every_compute_node(install):
    computes = install.with_role("compute")
    assert computes
    nova_computes = {s for s in install.steps if s.startswith("openstack-nova-compute-")}
    assert nova_computes == {f"openstack-nova-compute-{n}" for n in computes}
    for name in nova_computes:
        assert install.steps[name].node == name.removeprefix("openstack-nova-compute-")
    assert nova_computes <= install.steps["openstack-nova-discover"].after


def test_smoke_check_comes_last_after_every_service(install):
    smoke = "openstack-smoke-check"
    ancestors = install.ancestors(smoke)
    for svc in SMOKE_NEEDS:
        steps = of_service(install, svc)
        assert steps, svc
        assert steps <= ancestors, f"smoke check does not wait for {sorted(steps - ancestors)}"
        assert install.steps[smoke].after & steps, f"smoke check not directly after {svc}"
    assert not any(smoke in s.after for s in install.steps.values())
    assert install.levels[smoke] == install.depth


def test_dag_is_shallower_than_the_step_count(install):
    """The longest chain of steps vs the number of steps: what parallelism buys."""
    assert install.order  # acyclic
    assert install.depth < len(install.steps)
    widest = max(list(install.levels.values()).count(level)
                 for level in set(install.levels.values()))
    assert widest > 1


def test_every_step_waits_for_its_ready_node_and_reruns_only_with_its_disk(install):
    """A new domain on the same root disk (a CPU change) re-runs the readiness check, which
    every step waits for, but no step: they re-run when the disk they wrote to is new."""
    monitor = install.monitor
    for step in install.steps.values():
        ready = monitor.named(f"underlay-{step.node}-ready-check")
        root = monitor.named(f"underlay-{step.node}-root")
        domain = monitor.named(f"underlay-{step.node}-domain")
        assert step.triggers[0] == f"{root.name}-id", step.name  # the mock's id
        assert f"{domain.name}-id" not in step.triggers, step.name
        assert ready.urn in step.resource.dependencies, step.name
        host = unwrap(unwrap(step.resource.inputs["connection"])["host"])
        assert host == unwrap(unwrap(ready.inputs["connection"])["host"]), step.name


def test_triggers_are_exactly_the_upstream_steps_digests(install):
    """Recomputes every step's digest (step.py: its script, its bundle, then the digests
    of the steps it builds on): each trigger after the node's instance is the digest of a
    step it depends on, so an upstream change re-runs it."""
    digests: dict[str, str] = {}
    for name in install.order:
        step = install.steps[name]
        upstream = step.triggers[1:]
        assert len(set(upstream)) == len(upstream), name
        by_digest = {digests[a]: a for a in step.after}
        assert all(t in by_digest for t in upstream), \
            f"{name}: a trigger is no digest of a step it depends on"
        own = digest(step.create, step.bundle) if step.bundle is not None \
            else digest(step.create)
        digests[name] = digest(own, *upstream)
    # Per-node steps re-run when their node's packages step changes.
    for node in install.with_role("compute"):
        compute = install.steps[f"openstack-nova-compute-{node}"]
        assert digests[f"openstack-base-packages-{node}"] in compute.triggers


def test_bundles_are_secret_and_scripts_hold_no_secret(install):
    values = set(install.secrets.values())
    assert len(values) == len(install.secrets) >= 10
    for step in install.steps.values():
        if step.stdin is not None:
            assert step.stdin_is_secret, f"{step.name}: stdin is not secret"
        assert "connection" in step.resource.secret_outputs, step.name
        # pulumi-command never makes stdout secret for a secret input: the step asks
        assert {"stdout", "stderr"} <= set(step.resource.secret_outputs), step.name
        assert is_secret(step.resource.inputs["connection"]), step.name
        leaked = [v for v in values if v in step.create]
        assert not leaked, f"{step.name}: a generated secret is in its script"
    # The check can fail: the bundles do carry the generated values.
    bundles = "".join(f.content for s in install.steps.values() for f in s.files.values())
    for name in ("admin", "rabbit", "db-keystone", "metadata-proxy", "user-nova"):
        assert install.secrets[f"openstack-secrets-{name}"] in bundles, name


def test_no_generated_secret_or_private_key_in_anything_not_secret(install):
    values = set(install.secrets.values()) | set(install.private_keys.values())
    assert any("openstack-tls" in name for name in install.private_keys)
    for step in install.steps.values():
        assert not any(v in step.create for v in values), f"{step.name}: secret in script"
    plain = [*itertools.chain.from_iterable(plain_strings(r.inputs)
                                            for r in install.monitor.registered),
             *plain_strings(install.outputs)]
    assert plain
    leaks = [(v, s[:80]) for s in plain for v in values if v in s]
    assert not leaks, leaks[:3]

