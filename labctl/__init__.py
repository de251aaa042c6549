"""Drive this project's stacks with the real Pulumi engine through the Automation API.

The Automation API runs `__main__.py` in-process as an inline program, so it needs only the
`pulumi` CLI and the provider plugins, not the Python language host. That keeps `make up`
working where the host cannot be built (see README, "Toolchain").
"""
