"""openstack-lab: load the validated settings once, build the chosen layer, export outputs."""

import pulumi

from components import config

settings = config.load()

pulumi.export("layer", settings.layer)
pulumi.export("underlay", settings.underlay)
pulumi.export("profile", settings.profile)
