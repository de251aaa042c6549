"""The OpenStack install: one module per service, each a component of remote-command steps
(see step.py), wired together by control_plane.py."""
