"""The lab's Pulumi policy pack (run it with policy/run-pack; see policy/__main__.py)."""
