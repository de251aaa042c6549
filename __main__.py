"""openstack-lab: load the validated settings once, build the chosen layer, export outputs."""

import pulumi

from components import config
from components.keys import LabKeys

settings = config.load()

pulumi.export("layer", settings.layer)
pulumi.export("underlay", settings.underlay)
pulumi.export("profile", settings.profile)

if settings.layer == "underlay":
    keys = LabKeys("lab", [node.name for node in settings.nodes])
    pulumi.export("ssh", {
        "user": "debian",
        "private_key": keys.operator.private_key,
        "public_key": keys.operator.public_key,
        "host_keys": {name: key.public_key for name, key in keys.host_keys.items()},
    })
