"""The overlay's web image for real: built from Debian packages by its own script, booted
under TCG with the kernel command line Nova gets from the image, fed the overlay's real
user-data by a fake metadata service at 169.254.169.254. It must answer HTTP with the
hostname from the metadata — what the load balancer check later expects of web-1/web-2."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from components.overlay.web_image import KERNEL_COMMAND_LINE, RECIPE
from components.render import render
from tests.conftest import REPO_ROOT

BUILDER = REPO_ROOT / "scripts" / "image" / RECIPE[0]
BOOT_LIMIT_S = 480  # generous: CI may share the CPU with a running lab


@pytest.fixture(scope="module")
def image_dir() -> Path:
    done = subprocess.run([str(BUILDER)], capture_output=True, text=True,
                          timeout=900, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    path = Path(done.stdout.strip())
    assert {p.name for p in path.iterdir()} >= {"vmlinuz", "initrd.img", "disk.raw"}
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _metadata(tmp: Path, hostname: str, user_data: str) -> Path:
    cgi = tmp / "metadata_cgi.py"
    shutil.copy(REPO_ROOT / "tests/fixtures/metadata_cgi.py", cgi)
    files = {
        "latest/meta-data/hostname": f"{hostname}.novalocal",
        "latest/meta-data/public-keys/0/openssh-key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3Q test",
        "openstack/latest/user_data": user_data,
    }
    for name, text in files.items():
        (tmp / "md" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / "md" / name).write_text(text)
    return cgi


def test_the_image_is_cached_by_its_recipe(image_dir):
    done = subprocess.run([str(BUILDER), "--print-path"], capture_output=True,
                          text=True, timeout=60, cwd=REPO_ROOT)
    assert done.returncode == 0 and done.stdout.strip() == str(image_dir)


def test_it_boots_and_serves_its_hostname_from_the_overlay_user_data(image_dir, tmp_path):
    cgi = _metadata(tmp_path, "web-1", render("overlay/web-user-data.sh.j2", server="web-1"))
    port = _free_port()
    console = tmp_path / "console.log"
    qemu_log = (tmp_path / "qemu.out").open("wb")
    qemu = subprocess.Popen([
        "qemu-system-x86_64", "-accel", "tcg", "-cpu", "qemu64,-cx16", "-m", "256",
        "-display", "none", "-monitor", "none", "-no-reboot", "-serial", f"file:{console}",
        "-kernel", str(image_dir / "vmlinuz"), "-initrd", str(image_dir / "initrd.img"),
        "-append", KERNEL_COMMAND_LINE,
        "-drive", f"file={image_dir / 'disk.raw'},format=raw,if=virtio,readonly=on",
        "-netdev", f"user,id=n0,net=169.254.169.0/24,hostfwd=tcp:127.0.0.1:{port}-:80,"
                   f"guestfwd=tcp:169.254.169.254:80-cmd:{cgi}",
        "-device", "virtio-net-pci,netdev=n0"], stdout=qemu_log,
        stderr=subprocess.STDOUT)
    try:
        deadline, body = time.monotonic() + BOOT_LIMIT_S, None
        while time.monotonic() < deadline and qemu.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    body = r.read().decode().strip()
                    break
            except OSError:
                time.sleep(1)
        log = console.read_text(errors="replace") if console.exists() else ""
        qemu_out = (tmp_path / "qemu.out").read_text(errors="replace")
        assert body == "web-1", f"no answer (qemu rc {qemu.poll()}: {qemu_out[-500:]}); " \
            f"console:\n{log[-3000:]}"
        assert "web-init: user-data started" in log
    finally:
        qemu.kill()
        qemu.wait()
        qemu_log.close()
