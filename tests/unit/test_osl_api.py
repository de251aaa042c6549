"""osl-api, the steps' one API client per step, run against a fake openstacksdk
connection: waits see late services, agents and ports and fail naming what is missing, the
external network is made once, and the steps call it instead of the `openstack` CLI."""

from __future__ import annotations

import types
from dataclasses import dataclass, field

import pytest

from components.render import render


def load():
    module = types.ModuleType("osl_api")
    exec(compile(render("keystone/osl-api.py.j2"), "osl-api", "exec"), module.__dict__)
    return module


@pytest.fixture
def api():
    module = load()
    # Waits run on a fake clock: each sleep moves it on, nothing really sleeps.
    now = [0.0]
    module.time = types.SimpleNamespace(monotonic=lambda: now[0],
                                        sleep=lambda s: now.__setitem__(0, now[0] + s))
    module.now = now
    return module


def R(**attrs):
    return types.SimpleNamespace(**attrs)


@dataclass
class Fake:
    """What the cloud answers; `looks` counts the listings, `late` makes an answer appear
    only from the nth look on."""
    compute_services: list = field(default_factory=list)
    volume_services: list = field(default_factory=list)
    agents_by_host: dict = field(default_factory=dict)
    late: int = 0
    looks: int = 0
    created: list = field(default_factory=list)
    networks: dict = field(default_factory=dict)
    subnets: dict = field(default_factory=dict)
    ports: dict = field(default_factory=dict)
    providers: list = field(default_factory=lambda: [R(name="amphora")])
    images: list = field(default_factory=lambda: [R(id="img")])

    def _seen(self, items):
        self.looks += 1
        return items if self.looks > self.late else []

    def connection(self):
        fake = self
        compute = R(services=lambda binary: fake._seen(
            [s for s in fake.compute_services if s.binary == binary]),
            hypervisors=lambda: [R(name="compute-1")],
            get_flavor=lambda flavor: R(id=flavor))
        storage = R(services=lambda binary: fake._seen(
            [s for s in fake.volume_services if s.binary == binary]))

        def create_network(**attrs):
            fake.created.append(("network", attrs))
            fake.networks[attrs["name"]] = R(id="net-1", **attrs)
            return fake.networks[attrs["name"]]

        def create_subnet(**attrs):
            fake.created.append(("subnet", attrs))
            fake.subnets[attrs["name"]] = R(**attrs)

        network = R(agents=lambda host: fake._seen(fake.agents_by_host.get(host, [])),
                    find_network=lambda name: fake.networks.get(name),
                    find_subnet=lambda name, network_id: fake.subnets.get(name),
                    create_network=create_network, create_subnet=create_subnet,
                    find_port=lambda name: (fake._seen([fake.ports.get(name)]) or [None])[0])
        lb = R(providers=lambda: fake.providers, load_balancers=lambda: [])
        image = R(images=lambda tag, status: fake.images if tag == "amphora" else [])
        return R(compute=compute, block_storage=storage, network=network,
                 load_balancer=lb, image=image)


def run(api, fake, *argv):
    api.main(list(argv), conn_factory=fake.connection)


def test_volume_services_are_waited_for_by_host_without_the_backend(api, capsys):
    fake = Fake(volume_services=[R(binary="cinder-volume", host="controller@lvm", state="up")],
                late=3)
    run(api, fake, "services", "volume", "cinder-volume", "controller", "--wait", "600")
    assert fake.looks == 4 and api.now[0] == 15
    assert "cinder-volume up on controller" in capsys.readouterr().out


def test_a_service_that_stays_down_fails_naming_the_host_with_progress(api, capsys):
    fake = Fake(compute_services=[R(binary="nova-compute", host="compute-1", state="up"),
                                  R(binary="nova-compute", host="compute-2", state="down")])
    with pytest.raises(SystemExit) as failed:
        run(api, fake, "services", "compute", "nova-compute", "compute-1", "compute-2",
            "--wait", "130")
    assert str(failed.value) == "nova-compute up: still missing after 130 s: compute-2"
    out = capsys.readouterr().out
    assert "waiting: nova-compute up: compute-2 (60 s)" in out
    assert "(120 s)" in out and "compute-1" not in out


def test_a_slow_first_look_does_not_bring_a_burst_of_progress_lines(api, capsys):
    fake = Fake()
    slow = fake.connection()
    listing = slow.compute.services
    looks = []

    def services(binary):  # the first look takes 200 s (a cold client), the others none
        if not looks:
            api.now[0] += 200
        looks.append(api.now[0])
        return listing(binary=binary)
    slow.compute.services = services
    with pytest.raises(SystemExit):
        api.main(["services", "compute", "nova-compute", "compute-1", "--wait", "330"],
                 conn_factory=lambda: slow)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("waiting")]
    assert [line.rsplit("(", 1)[1] for line in lines] == ["200 s)", "260 s)", "320 s)"]


def test_without_wait_one_look_decides(api):
    fake = Fake(compute_services=[R(binary="nova-compute", host="compute-1", state="up")],
                late=1)
    with pytest.raises(SystemExit):
        run(api, fake, "services", "compute", "nova-compute", "compute-1")
    assert fake.looks == 1


def test_agents_wait_for_one_live_agent_per_host(api, capsys):
    fake = Fake(agents_by_host={"controller": [R(is_alive=False), R(is_alive=True)],
                                "compute-1": [R(is_alive=False)]})
    with pytest.raises(SystemExit) as failed:
        run(api, fake, "agents", "controller", "compute-1", "--wait", "20")
    assert str(failed.value).endswith("still missing after 20 s: compute-1")
    fake.agents_by_host["compute-1"] = [R(is_alive=True)]
    run(api, fake, "agents", "controller", "compute-1", "--wait", "20")
    assert "neutron agents alive on controller compute-1" in capsys.readouterr().out


def test_the_external_network_is_made_once_as_the_cli_made_it(api, capsys):
    fake = Fake()
    argv = ("external-network", "public", "physnet1", "10.0.2.0/24", "10.0.2.1",
            "10.0.2.100", "10.0.2.200")
    run(api, fake, *argv)
    run(api, fake, *argv)
    assert fake.created == [
        ("network", {"name": "public", "is_router_external": True, "is_shared": True,
                     "provider_network_type": "flat", "provider_physical_network": "physnet1"}),
        ("subnet", {"name": "public-subnet", "network_id": "net-1", "ip_version": 4,
                    "cidr": "10.0.2.0/24", "gateway_ip": "10.0.2.1", "is_dhcp_enabled": False,
                    "allocation_pools": [{"start": "10.0.2.100", "end": "10.0.2.200"}]})]
    assert capsys.readouterr().out.splitlines() == ["net-1", "net-1"]


def test_octavia_waits_for_its_ports_then_checks_provider_image_and_flavor(api, capsys):
    fake = Fake(ports={"hm-controller": R(status="ACTIVE")}, late=2)
    run(api, fake, "octavia", "--image-tag", "amphora", "--flavor", "amp-1",
        "--port", "hm-controller", "--wait", "600")
    assert api.now[0] > 0  # the port was late and was waited for
    assert "1 health-manager port(s) ACTIVE" in capsys.readouterr().out
    with pytest.raises(SystemExit) as failed:
        run(api, Fake(images=[]), "octavia", "--image-tag", "amphora", "--flavor", "amp-1")
    assert str(failed.value) == "no active amphora image tagged amphora"
    with pytest.raises(SystemExit) as failed:
        run(api, Fake(providers=[R(name="octavia")]), "octavia", "--image-tag", "amphora",
            "--flavor", "amp-1")
    assert "amphora provider" in str(failed.value)


def test_a_bad_command_line_is_refused_before_connecting(api):
    def no_connection():
        raise AssertionError("connected")
    with pytest.raises(SystemExit):
        api.main(["services", "network", "x", "h"], conn_factory=no_connection)
    with pytest.raises(SystemExit):
        api.main(["octavia", "--flavor", "f"], conn_factory=no_connection)


WAITING_STEPS = ("openstack-cinder-verify", "openstack-nova-discover",
                 "openstack-neutron-external", "openstack-octavia-verify")


@pytest.mark.parametrize("step", WAITING_STEPS)
def test_the_waiting_steps_use_one_client_not_the_cli(repo_root, step):
    script = (repo_root / "tests/golden/install/minimal" / step / "script.sh").read_text()
    body = script.split("install_bundle", 1)[-1]
    assert "osl-api " in body
    calls = [line for line in body.splitlines()
             if line.lstrip().startswith("os ") or "$(os " in line or "| os " in line]
    assert calls == [], calls
