"""openstack-lab components: one module per family of things the lab builds."""
