from collections.abc import Callable, Mapping

import pytest

from tests.harness import LabMocks, RecordingMonitor, install_mocks
from tests.install_capture import PROFILES, Install, capture


@pytest.fixture
def mock_lab() -> Callable[..., RecordingMonitor]:
    """Install Pulumi mocks plus the given stack config; call it at the top of a test."""

    def start(config: Mapping[str, str] | None = None, stack: str = "dev",
              mocks: LabMocks | None = None) -> RecordingMonitor:
        return install_mocks(config or {}, stack=stack, mocks=mocks)

    return start


@pytest.fixture(scope="session")
def captured_install() -> Callable[[str], Install]:
    """The OpenStack install steps of a profile (tests.install_capture), captured under
    mocks once per session: the capture only reads what the program registered."""
    cache: dict[str, Install] = {}

    def get(profile: str) -> Install:
        if profile not in cache:
            cache[profile] = capture(profile)
        return cache[profile]

    return get


@pytest.fixture(params=sorted(PROFILES))
def install(request, captured_install) -> Install:
    """The install of each profile in turn."""
    return captured_install(request.param)
