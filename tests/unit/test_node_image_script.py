"""The node image scripts and TCG's kernel argument: the built image carries it (and is
cached apart from a KVM host's), a URL or path image is refused, junk never reaches GRUB."""

import os
import subprocess
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts" / "image"


def run(script: str, *args: str, kernel_args: str | None, home: Path):
    env = {**os.environ, "OPENSTACK_LAB_HOME": str(home)}
    env.pop("NODE_IMAGE_KERNEL_ARGS", None)
    if kernel_args is not None:
        env["NODE_IMAGE_KERNEL_ARGS"] = kernel_args
    return subprocess.run([str(SCRIPTS / script), *args], capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.mark.parametrize("source", ["https://example.org/d.qcow2", "/etc/hostname"])
def test_a_given_image_is_refused_when_the_kernel_needs_arguments(tmp_path, source):
    refused = run("node-image.sh", source, kernel_args="clearcpuid=cx16", home=tmp_path)
    assert refused.returncode == 1 and refused.stdout == ""
    assert f"imageSource: {source} cannot boot with" in refused.stderr
    plain = run("node-image.sh", source, kernel_args="", home=tmp_path)
    assert plain.returncode == 0 and plain.stdout.strip() == source


def test_the_kernel_argument_keys_the_built_image(tmp_path):
    def path(kernel_args):
        done = run("build-node-image.sh", "--print-path", kernel_args=kernel_args, home=tmp_path)
        assert done.returncode == 1, done.stderr  # not built: exit 1, path on stdout
        return done.stdout.strip()

    kvm, tcg = path(None), path("clearcpuid=cx16")
    assert kvm == path("")  # no argument: the KVM host's image keeps its key
    assert tcg != kvm and tcg.startswith(str(tmp_path / "images"))


@pytest.mark.parametrize("bad", ["clearcpuid=cx16 }", "init=/bin/sh;reboot", "a='b'", "$(id)"])
def test_junk_kernel_arguments_never_reach_grub(tmp_path, bad):
    done = run("build-node-image.sh", "--print-path", kernel_args=bad, home=tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert "NODE_IMAGE_KERNEL_ARGS" in done.stderr

