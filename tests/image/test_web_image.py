"""The overlay's web image for real: built from Debian packages by its own script, booted
under TCG with the kernel command line Nova gets from the image, fed the overlay's real
user-data by a fake metadata service at 169.254.169.254. It must answer HTTP with the
hostname from the metadata — what the load balancer check later expects of web-1/web-2."""

from __future__ import annotations

import json
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

BUILDER = RECIPE.path
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
    # The key answers after 12 s, longer than the probe's timeout: the lab's Nova took 10.2 s.
    (tmp / "md/latest/meta-data/public-keys/0/openssh-key.delay").write_text("12")
    return cgi


def test_the_image_is_cached_by_its_recipe(image_dir):
    done = subprocess.run([str(BUILDER), "--print-path"], capture_output=True,
                          text=True, timeout=60, cwd=REPO_ROOT)
    assert done.returncode == 0 and done.stdout.strip() == str(image_dir)


def _config_drive(tmp: Path, hostname: str, user_data: str) -> Path:
    """An ISO like Nova's config drive: label config-2, openstack/latest/*."""
    latest = tmp / "cd" / "openstack" / "latest"
    latest.mkdir(parents=True)
    (latest / "meta_data.json").write_text(json.dumps({
        "uuid": "0c2a5f4e-1d2b-4c53-9a0e-3f1f0d7c9b11", "name": hostname,
        "hostname": f"{hostname}.novalocal",
        "public_keys": {"demo-key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3Q test\n"}}))
    (latest / "user_data").write_text(user_data)
    iso = tmp / "config-drive.iso"
    done = subprocess.run(["genisoimage", "-quiet", "-o", str(iso), "-V", "config-2", "-J",
                           "-R", str(tmp / "cd")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return iso


def _get(url: str, deadline: float, done) -> str | None:
    while time.monotonic() < deadline and done() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.read().decode().strip()
        except OSError:
            time.sleep(1)
    return None


def _boot_and_get(image_dir: Path, tmp: Path, netdev: str, extra: list[str],
                  also: str | None = None) -> tuple[str, str, str | None]:
    """Boot the image as Nova does (kernel, initrd, command line) and poll its HTTP port;
    returns the first answer's body, the console log and, when asked, the body of path
    `also` once it answers."""
    port = _free_port()
    console = tmp / "console.log"
    qemu_log = (tmp / "qemu.out").open("wb")
    qemu = subprocess.Popen([
        "qemu-system-x86_64", "-accel", "tcg", "-cpu", "qemu64,-cx16", "-m", "256",
        "-display", "none", "-monitor", "none", "-no-reboot", "-serial", f"file:{console}",
        "-kernel", str(image_dir / "vmlinuz"), "-initrd", str(image_dir / "initrd.img"),
        "-append", KERNEL_COMMAND_LINE,
        "-drive", f"file={image_dir / 'disk.raw'},format=raw,if=virtio,readonly=on",
        "-netdev", f"{netdev},hostfwd=tcp:127.0.0.1:{port}-:80",
        "-device", "virtio-net-pci,netdev=n0", *extra], stdout=qemu_log,
        stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + BOOT_LIMIT_S
        body = _get(f"http://127.0.0.1:{port}/", deadline, qemu.poll)
        other = _get(f"http://127.0.0.1:{port}{also}", deadline, qemu.poll) if also else None
        log = console.read_text(errors="replace") if console.exists() else ""
        qemu_out = (tmp / "qemu.out").read_text(errors="replace")
        assert body is not None, f"no answer (qemu rc {qemu.poll()}: {qemu_out[-500:]}); " \
            f"console:\n{log[-3000:]}"
        return body, log, other
    finally:
        qemu.kill()
        qemu.wait()
        qemu_log.close()


def test_it_boots_and_serves_its_hostname_from_the_overlay_user_data(image_dir, tmp_path):
    """With a second virtio disk, as an attached volume: /disks lists it with its size."""
    cgi = _metadata(tmp_path, "web-1", render("overlay/web-user-data.sh.j2", server="web-1"))
    volume = tmp_path / "volume.raw"
    with volume.open("wb") as f:
        f.truncate(64 * 1024 ** 2)
    body, log, disks = _boot_and_get(
        image_dir, tmp_path,
        f"user,id=n0,net=169.254.169.0/24,guestfwd=tcp:169.254.169.254:80-cmd:{cgi}",
        ["-drive", f"file={volume},format=raw,if=virtio"], also="/disks")
    assert body == "web-1", log[-3000:]
    assert "web-init: user-data started" in log
    assert "web-init: ssh key installed for root" in log, log[-3000:]
    assert "failed to load" not in log, log[-3000:]  # ext4 too, for a volume's file system
    assert disks is not None, log[-3000:]
    assert f"vdb {64 * 1024 ** 2}" in disks.splitlines(), disks
    assert disks.splitlines()[0].startswith("vda "), disks


def test_a_config_drive_serves_without_any_metadata_service(image_dir, tmp_path):
    """Nova's config drive as the overlay attaches it (virtio-scsi CD, from the image's
    hw_cdrom_bus and hw_scsi_model); nothing answers at 169.254.169.254."""
    iso = _config_drive(tmp_path, "web-2", render("overlay/web-user-data.sh.j2",
                                                  server="web-2"))
    body, log, _ = _boot_and_get(image_dir, tmp_path, "user,id=n0,restrict=off", [
        "-device", "virtio-scsi-pci,id=scsi0",
        "-drive", f"file={iso},format=raw,if=none,id=cd0,media=cdrom,readonly=on",
        "-device", "scsi-cd,bus=scsi0.0,drive=cd0"])
    assert body == "web-2", log[-3000:]
    assert "web-init: config drive found" in log and "metadata:" not in log
    assert "web-init: ssh key installed for root" in log
