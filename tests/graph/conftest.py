from collections.abc import Callable, Mapping

import pytest

from tests.harness import LabMocks, RecordingMonitor, install_mocks


@pytest.fixture
def mock_lab() -> Callable[..., RecordingMonitor]:
    """Install Pulumi mocks plus the given stack config; call it at the top of a test."""

    def start(config: Mapping[str, str] | None = None, stack: str = "dev",
              mocks: LabMocks | None = None) -> RecordingMonitor:
        return install_mocks(config or {}, stack=stack, mocks=mocks)

    return start
