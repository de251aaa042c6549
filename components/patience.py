"""How long the install waits for what is slow under emulation: one `Patience` per lab,
chosen from the host's acceleration before any resource, carried to the templates in
`CloudFacts.patience`.

KVM nodes get stock-like values (upstream defaults where there is one), so a broken lab
fails in minutes. TCG nodes get the long ones this lab needed: a starved, emulated
controller takes minutes for what KVM does in seconds, and the nested guests (amphorae,
web servers) are slower still. Every value is an upper bound: a healthy step never waits
it out. README.md ("Patience") lists them in one table.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.accel import Accel


@dataclass(frozen=True)
class Patience:
    name: str  # kvm or tcg: which set this is
    # systemd TimeoutStartSec of every unit `converge` starts (its drop-in), seconds.
    unit_start: int
    # wait_http's default budget for an API to answer after its unit started, seconds.
    api_answer: int
    # Nova [DEFAULT] rpc_response_timeout: nova-api waits this long on nova-compute for an
    # interface attach (Octavia plugs every amphora's VIP that way), seconds.
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

    @property
    def is_tcg(self) -> bool:
        return self.name == "tcg"


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
)

TCG = Patience(
    name="tcg",
    unit_start=3600,
    api_answer=1200,
    rpc_response=600,
    vif_plugging=1800,
    proxy=1800,
    amphora_connect_retries=1080,  # 90 min
    amphora_active_retries=60,  # 10 min
    amphora_active_wait=10,
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
