"""An Octavia load balancer in front of the tenant's web servers: VIP on the tenant
subnet with a floating IP on the external network, HTTP:80 listener, ROUND_ROBIN pool, one
member per backend (`subnet_id` set, so the amphora gets a port there), an HTTP health
monitor.

Why not the VIP on the external subnet itself: the amphora is a server on a compute node,
and only network nodes have the flat external network, so Neutron cannot bind a VIP port
there (Nova's interface attach fails with PortBindingFailed and the LB goes to ERROR).
A floating IP works wherever tenant servers do.

Octavia objects of one load balancer are immutable while it is PENDING_*: each object
waits for the one before it (the provider waits for ACTIVE after every change), members
one at a time. Timeouts are sized by settings (an amphora boots in about a minute on KVM,
far longer under nested emulation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_openstack as openstack

from components.overlay.tenant import Backend


@dataclass(frozen=True)
class HealthMonitor:
    delay: int = 10
    timeout: int = 10
    max_retries: int = 2
    url_path: str = "/"
    http_method: str = "GET"
    expected_codes: str = "200"


@dataclass(frozen=True)
class LoadBalancerArgs:
    vip_subnet_id: pulumi.Input[str]
    member_subnet_id: pulumi.Input[str]
    floating_ip_pool: pulumi.Input[str]  # the external network's name
    backends: Sequence[Backend]
    provider: openstack.Provider
    timeout_minutes: int
    port: int = 80
    monitor: HealthMonitor = HealthMonitor()


class LoadBalancer(pulumi.ComponentResource):
    vip_address: pulumi.Output[str]
    vip_url: pulumi.Output[str]

    def __init__(self, name: str, args: LoadBalancerArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("openstacklab:overlay:LoadBalancer", name, None, opts)
        timeout = f"{args.timeout_minutes}m"
        timeouts = pulumi.CustomTimeouts(create=timeout, update=timeout, delete=timeout)

        def after(*previous: pulumi.Resource) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, provider=args.provider,
                                          custom_timeouts=timeouts, depends_on=list(previous))

        lb = openstack.loadbalancer.LoadBalancer(
            f"{name}-octavia", name=name, vip_subnet_id=args.vip_subnet_id, opts=after())
        listener = openstack.loadbalancer.Listener(
            f"{name}-http", name=f"{name}-http", loadbalancer_id=lb.id, protocol="HTTP",
            protocol_port=args.port, opts=after(lb))
        pool = openstack.loadbalancer.Pool(
            f"{name}-pool", name=f"{name}-pool", listener_id=listener.id, protocol="HTTP",
            lb_method="ROUND_ROBIN", opts=after(listener))
        previous: pulumi.Resource = pool
        self.members = []
        for backend in args.backends:
            member = openstack.loadbalancer.Member(
                f"{name}-member-{backend.name}", name=backend.name, pool_id=pool.id,
                address=backend.fixed_ip, protocol_port=args.port,
                subnet_id=args.member_subnet_id, opts=after(previous, backend.server))
            self.members.append(member)
            previous = member
        m = args.monitor
        self.monitor = openstack.loadbalancer.Monitor(
            f"{name}-monitor", name=f"{name}-monitor", pool_id=pool.id, type="HTTP",
            delay=m.delay, timeout=m.timeout, max_retries=m.max_retries, url_path=m.url_path,
            http_method=m.http_method, expected_codes=m.expected_codes, opts=after(previous))
        # Neutron alone: the floating IP does not put the load balancer into PENDING_*.
        floating = openstack.networking.FloatingIp(
            f"{name}-vip", pool=args.floating_ip_pool, port_id=lb.vip_port_id,
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider,
                                        custom_timeouts=timeouts, depends_on=[lb]))
        self.lb_id = lb.id
        self.vip_address = floating.address
        self.vip_url = floating.address.apply(lambda ip: f"http://{ip}:{args.port}/"
                                            if args.port != 80 else f"http://{ip}/")
        self.register_outputs({"vip_url": self.vip_url, "id": lb.id})
