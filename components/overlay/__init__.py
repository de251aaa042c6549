"""The overlay stack: the demo tenant and its load balancer, on the cloud an underlay stack
built (read through a StackReference, never through the underlay's internals)."""

from __future__ import annotations

import pulumi
import pulumi_openstack as openstack

from components.config import Overlay
from components.overlay.contract import Underlay
from components.overlay.disk_check import DiskCheck
from components.overlay.load_balancer import LoadBalancer, LoadBalancerArgs
from components.overlay.tenant import Tenant, TenantArgs
from components.overlay.vip_check import VipCheck
from components.paths import cloud_dir
from components.render import render


def admin_provider(underlay: Underlay) -> openstack.Provider:
    """The cloud admin, for what only an admin may do (project, user, flavors, images)."""
    admin = underlay.admin
    return openstack.Provider(
        "admin", auth_url=underlay.auth_url, region=underlay.region,
        cacert_file=underlay.ca_cert,
        user_name=pulumi.Output.unsecret(admin.apply(lambda a: a.username)),
        password=admin.apply(lambda a: a.password),
        tenant_name=pulumi.Output.unsecret(admin.apply(lambda a: a.project_name)),
        user_domain_name=pulumi.Output.unsecret(admin.apply(lambda a: a.user_domain_name)),
        project_domain_name=pulumi.Output.unsecret(
            admin.apply(lambda a: a.project_domain_name)))


def build_overlay(settings: Overlay, stack: str) -> dict[str, pulumi.Input]:
    underlay = Underlay(settings.underlay_stack)
    tenant = Tenant("demo", TenantArgs(underlay=underlay, admin=admin_provider(underlay),
                                       web_image=settings.web_image,
                                       timeout_minutes=settings.timeout_minutes))
    lb = LoadBalancer("web-lb", LoadBalancerArgs(
        vip_subnet_id=tenant.subnet.id, member_subnet_id=tenant.subnet.id,
        floating_ip_pool=underlay.external_network,
        backends=tenant.backends, provider=tenant.provider,
        timeout_minutes=settings.timeout_minutes))
    check = VipCheck(
        "web-lb-check", lb.vip_url, [b.name for b in tenant.backends],
        jump_host=underlay.jump_host,
        underlay_stack=settings.underlay_stack,
        triggers=[lb.lb_id, lb.monitor.id, *(m.id for m in lb.members),
                  *(b.server.id for b in tenant.backends)],
        # Every 10 s for as long as Pulumi waits for a load balancer object.
        attempts=settings.timeout_minutes * 6,
        opts=pulumi.ResourceOptions(depends_on=[lb]))
    holder = next(b for b in tenant.backends if b.name == tenant.args.volume_server)
    disk = DiskCheck(
        "demo-volume-check", holder.floating_ip, tenant.volume.size_gib,
        jump_host=underlay.jump_host, underlay_stack=settings.underlay_stack,
        triggers=[tenant.volume.volume_id, holder.server.id],
        attempts=settings.timeout_minutes * 6,
        opts=pulumi.ResourceOptions(depends_on=[tenant.volume]))
    return {
        "vip_url": lb.vip_url,
        "volume": {"id": tenant.volume.volume_id, "size_gib": tenant.volume.size_gib,
                   "server": holder.name, "device": tenant.volume.device,
                   "seen_by_guest": disk.report},
        "servers": {b.name: {"fixed_ip": b.fixed_ip, "floating_ip": b.floating_ip}
                    for b in tenant.backends},
        "check": check.report,
        "tenant_clouds_yaml": pulumi.Output.secret(pulumi.Output.all(
            underlay.auth_url, underlay.region, tenant.password.value).apply(lambda a: render(
                "overlay/clouds.yaml.j2", stack=stack, project=tenant.args.name,
                user=tenant.args.name, password=a[2], auth_url=a[0],
                region=a[1], cloud_name=f"openstack-lab-{stack}",
                cacert=str(cloud_dir(settings.underlay_stack) / "ca.pem")))),
        "ssh_private_key": tenant.private_key,
    }
