"""Adding a service: one module, one template folder, one registry line (issue 23).

The example service below is the module (its component and its spec), its templates are
tests/fixtures/templates/example/ (a real one: templates/example/), and the registry
line is the `SERVICES` patch in `with_example` (a real one: a line in
components/openstack/registry.py). Nothing else is edited, yet the install gets its
database and Keystone passwords, its package on the controller and its preseed answers,
its catalog registration after Keystone, a public TLS port, a guarded port, and the
smoke check waits for it."""

from __future__ import annotations

from collections.abc import Mapping

import jinja2
import pulumi
import pytest

from components import render
from components.openstack import keystone, rabbitmq, registry
from components.openstack.keystone import database_url
from components.openstack.rabbitmq import transport_url
from components.openstack.service import CloudFacts, Service, ServiceArgs, config_file
from components.openstack.spec import CatalogEntry, Port, ServiceSpec
from components.openstack.step import ConfigFile, InstallNode, Phase, Step
from policy import guardrails
from tests.conftest import REPO_ROOT
from tests.install_capture import Install, capture

# --- the service's module ----------------------------------------------------------------

PORT = 9999
CONFIG = "/etc/example/example.conf"


def setup_files(cloud: CloudFacts, s: Mapping[str, str], node: InstallNode) -> list[ConfigFile]:
    """The renderer: a pure function, with its own golden like the shipped services'
    (tests/unit/test_renderers.py). Its INI file would get the stack's overrides once
    declared in ini_overrides.FILES (not derived from the specs yet)."""
    return [config_file(CONFIG, "example/example.conf.j2", "example", cloud=cloud, port=PORT,
                        password=s["user-example"],
                        database=database_url("example", s["db-example"], cloud.controller),
                        transport_url=transport_url(s["rabbit"], cloud.controller))]


class Example(Service):
    """An API on the controller with a database, a Keystone user and the message queue."""

    ready: Step

    def __init__(self, name: str, args: ServiceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("Example", name, args, opts)
        register = keystone.register(self)
        self.ready = self.step("setup", args.controller(), "example/setup.sh.j2", Phase.SETUP,
                               context={"port": PORT, "config": CONFIG},
                               secrets=["db-example", "user-example", "rabbit"],
                               secret_files=["db-example"], files=setup_files,
                               after=[register], depends_on=args.after.running(rabbitmq.SPEC))
        self.finish()


SPEC = ServiceSpec(
    "example", Example, needs=(keystone.SPEC, rabbitmq.SPEC),
    ports=(Port("example", PORT, "Example", proxied=True),),
    catalog=(CatalogEntry("example", "example", "Example API", PORT, "/v1"),),
    database=True, service_user=True, packages={"controller": ("example-api",)})

# --- the registry line and the template folder ---------------------------------------------

FIXTURE_TEMPLATES = REPO_ROOT / "tests/fixtures/templates"


@pytest.fixture(scope="module")
def with_example() -> Install:
    patch = pytest.MonkeyPatch()
    patch.setattr(registry, "SERVICES", (*registry.SERVICES, SPEC))
    env = render._environment()
    patch.setattr(env, "loader", jinja2.ChoiceLoader(
        [env.loader, jinja2.FileSystemLoader(FIXTURE_TEMPLATES)]))
    try:
        yield capture("minimal")
    finally:
        patch.undo()


def test_the_example_registers_after_keystone_and_sets_up_after_that(with_example):
    steps = with_example.steps
    register, setup = steps["openstack-example-register"], steps["openstack-example-setup"]
    assert "openstack-keystone-register" in register.after
    assert "openstack-example-register" in setup.after
    assert "openstack-rabbitmq-setup" in setup.after  # depends_on: order only
    assert register.body.count(":9999/v1") == 2  # the public and the internal endpoint
    # after= feeds the triggers, depends_on does not: RabbitMQ changing re-runs nothing here.
    assert len(setup.triggers) == 2  # the node's disk and its registration


def test_the_example_gets_its_secrets_packages_and_preseeds(with_example):
    assert {"openstack-secrets-db-example", "openstack-secrets-user-example"} \
        <= set(with_example.secrets)
    setup = with_example.steps["openstack-example-setup"]
    conf = setup.files[CONFIG].content
    assert with_example.secrets["openstack-secrets-db-example"] in conf
    packages = with_example.steps["openstack-base-packages-controller"]
    assert "example-api" in packages.body
    preseed = packages.files["/etc/openstack-lab/preseed.txt"].content
    assert preseed.endswith("example-common example/configure_db boolean false\n")
    compute = with_example.steps["openstack-base-packages-compute-1"]
    assert "example-api" not in compute.body
    foreign = with_example.steps["openstack-base-foreign-services-compute-1"]
    assert "example-api" in foreign.body


def test_the_example_is_proxied_guarded_and_smoke_checked(with_example):
    nginx = with_example.steps["openstack-tls-nginx-controller"]
    site = nginx.files["/etc/nginx/sites-available/openstack-lab.conf"].content
    assert ":9999 ssl" in site and "http://controller:9999" in site
    assert "9999" in nginx.body  # the public ports the step checks
    assert registry.admin_ports(registry.SERVICES + (SPEC,))[PORT] == "Example"
    assert PORT not in guardrails.ADMIN_PORTS  # the shipped registry has no example
    assert "openstack-example-setup" in with_example.steps["openstack-smoke-check"].after

