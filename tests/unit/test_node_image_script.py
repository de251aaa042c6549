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



def host_apt(tmp_path: Path, sources: str, extra: str = "") -> dict:
    """An APT_CONFIG whose sources (and settings) stand in for the host's."""
    (tmp_path / "parts").mkdir()
    (tmp_path / "lists").mkdir()
    (tmp_path / "sources.list").write_text(sources)
    (tmp_path / "apt.conf").write_text(
        f'Dir::Etc::SourceList "{tmp_path}/sources.list";\n'
        f'Dir::Etc::SourceParts "{tmp_path}/parts";\n'
        f'Dir::State::Lists "{tmp_path}/lists";\n{extra}')
    return {**os.environ, "APT_CONFIG": str(tmp_path / "apt.conf")}


def lib(env: dict, call: str) -> str:
    return subprocess.run(["bash", "-c", f'source "{SCRIPTS.parent}/lib.sh"; {call}'],
                          capture_output=True, text=True, env=env, check=True).stdout.strip()


@pytest.mark.skipif(not Path("/usr/bin/apt-get").exists(), reason="a Debian host")
def test_image_builds_follow_the_hosts_apt_source_and_proxy(tmp_path):
    env = host_apt(tmp_path, "deb http://cache.example:3142/debian-security trixie-security main\n"
                             "deb http://cache.example:3142/debian/ trixie main contrib\n",
                   'Acquire::http::Proxy "http://proxy.example:8080";\n')
    assert lib(env, "host_debian_mirror") == "http://cache.example:3142/debian"
    assert lib(env, "host_apt_proxy_opts") == \
        '--aptopt=Acquire::http::Proxy "http://proxy.example:8080"'


@pytest.mark.parametrize("script", ["build-node-image.sh", "build-web-image.sh"])
def test_the_mirror_setting_still_wins_and_keys_the_image(tmp_path, script):
    env = host_apt(tmp_path, "deb http://cache.example:3142/debian trixie main\n")
    env["OPENSTACK_LAB_HOME"] = str(tmp_path)

    def path(**extra):
        return subprocess.run([str(SCRIPTS / script), "--print-path"], capture_output=True,
                              text=True, env={**env, **extra}).stdout.strip()

    host = path()
    assert host and path(NODE_IMAGE_MIRROR="http://cache.example:3142/debian") == host
    assert path(NODE_IMAGE_MIRROR="http://other.example/debian") != host
