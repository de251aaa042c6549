"""Key material in the graph: one operator key, one host key per node, secrets marked."""

import pulumi

from tests.harness import run_main, stack_outputs

DYNAMIC = "pulumi-python:dynamic:Resource"


@pulumi.runtime.test
def test_keys_per_node_are_children_with_secret_private_keys(mock_lab):
    monitor = mock_lab({"profile": "standard"})
    run_main()

    def check(_):
        component = monitor.named("lab")
        assert component.type == "openstacklab:underlay:LabKeys"
        keys = [k for k in monitor.of_type(DYNAMIC) if k.parent == component.urn]
        assert sorted(k.name for k in keys) == sorted(
            ["lab-operator"] + [f"lab-host-{n}" for n in
                                ("controller", "network", "compute-1", "compute-2", "storage")])
        for key in keys:
            assert key.parent == component.urn
            assert "private_key" in key.secret_outputs

    return stack_outputs().apply(check)
