"""The tenant's volume: a Cinder volume of its own type (the lab's LVM backend, thin), made
and attached to one web server by the tenant itself. The path it exercises is the one the
lab teaches: an LV carved from the storage node's volume group, exported over iSCSI,
logged into by the compute node and handed to the guest as a virtio disk."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_openstack as openstack

# The `volume_backend_name` of the lab's Cinder LVM backend (templates/cinder/cinder.conf.j2).
LVM_BACKEND = "lvm"


@dataclass(frozen=True)
class VolumeArgs:
    server_name: str
    server: openstack.compute.Instance
    admin: openstack.Provider  # volume types are an admin's
    tenant: pulumi.ResourceOptions  # the tenant's provider and patience
    size_gib: int = 1
    type_name: str = "lab-thin"


class TenantVolume(pulumi.ComponentResource):
    volume_id: pulumi.Output[str]
    size_gib: pulumi.Output[int]
    device: pulumi.Output[str]

    def __init__(self, name: str, args: VolumeArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("openstacklab:overlay:TenantVolume", name, None, opts)
        volume_type = openstack.blockstorage.VolumeTypeV3(
            f"{name}-type", name=args.type_name, is_public=True,
            description="thin LVM over iSCSI, discard passed through",
            extra_specs={"volume_backend_name": LVM_BACKEND},
            opts=pulumi.ResourceOptions(parent=self, provider=args.admin))
        tenant = pulumi.ResourceOptions.merge(args.tenant, pulumi.ResourceOptions(parent=self))
        volume = openstack.blockstorage.Volume(
            name, name=name, size=args.size_gib, volume_type=volume_type.name,
            description=f"openstack-lab: attached to {args.server_name}",
            opts=tenant)
        attached = openstack.compute.VolumeAttach(
            f"{name}-attach", instance_id=args.server.id, volume_id=volume.id, opts=tenant)
        self.volume_id = volume.id
        self.size_gib = volume.size
        self.device = attached.device
        self.register_outputs({"volume_id": self.volume_id, "size_gib": self.size_gib,
                               "device": self.device})
