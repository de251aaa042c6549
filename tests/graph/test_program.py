"""The whole program under mocks: settings reach the outputs, bad config registers nothing."""

import pulumi
import pytest

from components.config import ConfigError
from tests.harness import run_main, stack_outputs


@pulumi.runtime.test
def test_default_stack_exports_its_settings(mock_lab):
    mock_lab({"layer": "underlay", "underlay": "local", "profile": "minimal"})
    run_main()

    def check(outputs):
        assert outputs["layer"] == "underlay"
        assert outputs["underlay"] == "local"
        assert outputs["profile"] == "minimal"

    return stack_outputs().apply(check)


def test_bad_config_fails_before_any_resource(mock_lab):
    monitor = mock_lab({"underlay": "packet"})
    with pytest.raises(ConfigError, match="openstack-lab:underlay"):
        run_main()
    assert all(r.type == "pulumi:pulumi:Stack" for r in monitor.registered)
