"""How long the install waits for what is slow under emulation: one `Patience` per lab,
chosen from the host's acceleration before any resource, carried to the templates in
`CloudFacts.patience`.

KVM nodes get stock-like values (upstream defaults where there is one), so a broken lab
fails in minutes. TCG nodes get the long ones this lab needed: a starved, emulated
controller takes minutes for what KVM does in seconds, and the nested guests (amphorae,
web servers) are slower still. Every value is an upper bound: a healthy step never waits
it out. README.md ("Patience") lists them in one table. Each set also carries the
services' idle tuning (components/tuning.py): stock on KVM, light on TCG.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.accel import Accel
from components.tuning import LIGHT, STOCK, Tuning

SYSTEMD_START_TIMEOUT = 90  # systemd's DefaultTimeoutStartSec


@dataclass(frozen=True)
class Patience:
    name: str  # kvm or tcg: which set this is
    # systemd TimeoutStartSec of every unit `converge` starts (its drop-in), seconds.
    unit_start: int
    # wait_http's default budget for an API to answer after its unit started, seconds.
    api_answer: int
    # Nova and Cinder [DEFAULT] rpc_response_timeout: nova-api waits this long on
    # nova-compute for an interface attach (Octavia plugs every amphora's VIP that way),
    # cinder-api on cinder-volume for a volume's export (a TCG node's first took 62 s, and
    # at cinder's 60 s the attach failed with HTTP 500), seconds.
    rpc_response: int
    # Nova (compute) [DEFAULT] vif_plugging_timeout: a guest waits paused this long for
    # neutron to report its port wired, seconds.
    vif_plugging: int
    # nginx proxy_read_timeout and proxy_send_timeout of the TLS endpoint, seconds.
    proxy: int
    # Octavia [haproxy_amphora] connection_max_retries, one every 5 s: how long the worker
    # tries to reach a booting amphora's agent.
    amphora_connect_retries: int
    # Octavia [controller_worker] amp_active_retries and amp_active_wait_sec: how long the
    # worker waits for Nova to report an amphora ACTIVE.
    amphora_active_retries: int
    amphora_active_wait: int
    # Octavia [haproxy_amphora] rest_request_read_timeout: how long the worker waits for
    # the agent to answer one request (a listener's start is `systemctl start` of its
    # haproxy inside the amphora, answered only once haproxy runs), seconds.
    amphora_request_read: int
    # Octavia [amphora_agent] agent_request_read_timeout, written into every amphora: the
    # agent's gunicorn kills a request that runs longer, seconds.
    amphora_agent_request: int
    # systemd DefaultTimeoutStartSec inside the amphora image (haproxy's and keepalived's
    # units the agent writes, its netns unit), seconds; systemd's own 90 s adds no drop-in.
    amphora_unit_start: int
    # How often the services do their background work at idle (components/tuning.py).
    tuning: Tuning

    @property
    def is_tcg(self) -> bool:
        return self.name == "tcg"

    @property
    def amphora_unit_drop_in(self) -> int | None:
        """The amphora image's DefaultTimeoutStartSec, where it differs from systemd's."""
        return None if self.amphora_unit_start == SYSTEMD_START_TIMEOUT \
            else self.amphora_unit_start


KVM = Patience(
    name="kvm",
    # systemd's default is 90 s; a small node starts a dozen Python services at once.
    unit_start=300,
    api_answer=180,  # what wait_http allowed before TCG controllers needed more
    rpc_response=60,  # nova's default
    vif_plugging=300,  # nova's default
    # nginx's 60 s default can close an idle noVNC console (a websocket through this
    # proxy) after a minute; 600 s is what this proxy had before TCG needed more.
    proxy=600,
    amphora_connect_retries=120,  # octavia's default (10 min)
    amphora_active_retries=30,  # octavia's default (5 min)
    amphora_active_wait=10,  # octavia's default
    amphora_request_read=60,  # octavia's default
    amphora_agent_request=180,  # octavia's default
    amphora_unit_start=SYSTEMD_START_TIMEOUT,  # the image carries no drop-in
    tuning=STOCK,
)

TCG = Patience(
    name="tcg",
    unit_start=3600,
    # cinder-api's uwsgi loaded its application in 1317 s on a cold run's busy controller
    # (load 7 on 2 vCPUs while four other steps ran), past the 1200 s allowed before.
    api_answer=3600,
    rpc_response=600,
    vif_plugging=1800,
    proxy=1800,
    amphora_connect_retries=1080,  # 90 min
    amphora_active_retries=60,  # 10 min
    amphora_active_wait=10,
    # Every listener of this lab went to ERROR with the agent's "Error starting haproxy"
    # (its `systemctl start` of the listener's haproxy failed): in a nested guest of a TCG
    # node that start, and the request waiting on it, can outlast systemd's 90 s
    # (Type=notify) and the worker's 60 s read. Each bound is above the one it waits
    # on: unit start < agent request < worker read.
    amphora_request_read=1800,
    amphora_agent_request=1200,
    amphora_unit_start=900,
    tuning=LIGHT,
)


def for_accel(accel: Accel) -> Patience:
    """The patience of nodes that run with `accel` (a known, plain decision)."""
    return TCG if accel.is_tcg else KVM


def for_setting(setting: str) -> Patience:
    """The patience of a host whose acceleration is not known yet (metal: it is probed by
    the host's preparation, an Output, while the templates are rendered at graph
    construction). `accel: kvm` or `tcg` says it; `auto` gets TCG's, since too long a
    wait only delays a failure, while too short a one fails a healthy TCG install."""
    return KVM if setting == "kvm" else TCG
