"""How often the services do their background work at idle: one `Tuning` per lab, carried by
its `Patience` (components/patience.py), so both follow the host's acceleration from one
decision.

KVM nodes keep the upstream defaults. TCG nodes run every periodic task and heartbeat a
few times less often: on an emulated 2-vCPU controller the services' own heartbeats,
resource audits and agent loops kept the load above the vCPU count with no tenant doing
anything (issue 18's sample: load 7 on 2 vCPUs). The price is slower detection of a dead
service (service_down_time) and resource views a few minutes old, which a lab can afford.
Each down time stays several report intervals above its report interval, so a slow but
live service is not reported down. README.md ("Idle tuning") lists them in one table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    name: str  # stock or light
    # Nova's and Cinder's [DEFAULT] report_interval: each service's heartbeat into the
    # database, seconds.
    report_interval: int
    # Nova's and Cinder's [DEFAULT] service_down_time: a service is down after this long
    # without a heartbeat, seconds.
    service_down_time: int
    # Neutron agents' [agent] report_interval (their state report over RPC) and the
    # server's [DEFAULT] agent_down_time, seconds.
    agent_report_interval: int
    agent_down_time: int
    # The OVS agent's [agent] polling_interval: the pause between its loop's iterations
    # (port events still arrive from the OVSDB monitor), seconds.
    ovs_polling_interval: int
    # nova-compute's [DEFAULT] update_resources_interval (0: every periodic run, 60 s) and
    # heal_instance_info_cache_interval, seconds.
    update_resources_interval: int
    heal_info_cache_interval: int
    # Cinder's [DEFAULT] periodic_interval: volume stats and the other periodic tasks,
    # seconds.
    cinder_periodic_interval: int
    # Octavia's [health_manager] health_check_interval: how often it looks for amphorae
    # whose heartbeats stopped, seconds.
    octavia_health_check_interval: int


STOCK = Tuning(
    name="stock",
    report_interval=10,
    service_down_time=60,
    agent_report_interval=30,
    agent_down_time=75,
    ovs_polling_interval=2,
    update_resources_interval=0,
    heal_info_cache_interval=60,
    cinder_periodic_interval=60,
    octavia_health_check_interval=3,
)

LIGHT = Tuning(
    name="light",
    report_interval=60,
    service_down_time=300,
    agent_report_interval=60,
    agent_down_time=300,
    ovs_polling_interval=10,
    update_resources_interval=300,
    heal_info_cache_interval=600,
    cinder_periodic_interval=300,
    octavia_health_check_interval=30,
)
