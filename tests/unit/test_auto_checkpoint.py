"""`make up`'s automatic checkpoint never fails an `up` that converged: a refusal or a
libvirt failure is said, and the exit status stays 0."""

from __future__ import annotations

import subprocess

from labctl import checkpoint, lab_checkpoints


def test_a_libvirt_failure_is_said_and_the_up_still_succeeds(monkeypatch, capsys):
    monkeypatch.setattr(lab_checkpoints, "lab_of", lambda stack: object())

    def refresh(lab):
        raise subprocess.CalledProcessError(
            1, ["virsh", "-c", "qemu:///system", "save", "osl-dev-compute-1"],
            stderr="error: operation failed\n")

    monkeypatch.setattr(checkpoint, "refresh_auto", refresh)
    assert lab_checkpoints.auto_after_up("dev") == 0
    err = capsys.readouterr().err
    assert "checkpoint auto: none (libvirt: ['save', 'osl-dev-compute-1'] failed: " \
           "error: operation failed)" in err


def test_a_refusal_is_said_and_the_up_still_succeeds(monkeypatch, capsys):
    monkeypatch.setattr(lab_checkpoints, "lab_of", lambda stack: object())

    def refresh(lab):
        raise checkpoint.CheckpointError("not kept where nodes run under TCG (osl-dev-controller)")

    monkeypatch.setattr(checkpoint, "refresh_auto", refresh)
    assert lab_checkpoints.auto_after_up("dev") == 0
    assert "checkpoint auto: none (not kept where nodes run under TCG" in capsys.readouterr().err
