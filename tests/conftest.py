from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def pinned(package: str) -> str:
    """The version requirements.txt pins for a package (the toolchain keys off these)."""
    for line in (REPO_ROOT / "requirements.txt").read_text().splitlines():
        if line.startswith(f"{package}=="):
            return line.split("==", 1)[1].split()[0]
    raise AssertionError(f"{package} is not pinned in requirements.txt")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
