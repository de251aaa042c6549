"""The one error type for bad settings."""

PROJECT = "openstack-lab"


class ConfigError(ValueError):
    """A config value that cannot be used; the message names the key and what is allowed."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"config {PROJECT}:{key}: {problem}")
        self.key = key
