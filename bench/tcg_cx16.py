"""Bench: does a QEMU run a Linux 6.12 guest with cx16 under TCG? Boots the overlay's web
image (Debian 13 kernel) with 2 vCPUs and a fork/alloc stress as its config-drive
user-data, and reports whether the stress finished or the guest faulted.

    .venv/bin/python bench/tcg_cx16.py [--qemu BINARY [--firmware DIR]] [--no-cx16]

`--qemu` may be a binary unpacked from another suite's .deb (dpkg-deb -x), with its
`usr/share/qemu` as `--firmware`. Prints one JSON line; minutes (TCG on a 2-core host).

Measured 2026-11-21 (host Debian 12, 2 cores, lab suspended): QEMU 7.2.22 with cx16
faulted at 384 s; QEMU 10.0.2 (bookworm-backports) with cx16 finished in 540 s. Why the
lab still runs QEMU 7.2 without cx16: with QEMU 10.0.2 as the host's QEMU, the compute
node's nested guests stalled: an amphora looped GRUB -> reboot for 15 min and the web
servers printed nothing in 30 min with cx16 on the node, nor in 3 min without it (under
7.2 they are ready 25 s into their boot). components/accel.py.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.overlay.web_image import KERNEL_COMMAND_LINE, RECIPE  # noqa: E402

FAULT = re.compile(r"BUG:|Oops|general protection|Kernel panic|double fault|invalid opcode|"
                   r"WARNING: CPU")
LIMIT_S = 1200


def config_drive(tmp: Path) -> Path:
    latest = tmp / "cd" / "openstack" / "latest"
    latest.mkdir(parents=True)
    (latest / "meta_data.json").write_text(json.dumps({"name": "stress",
                                                       "hostname": "stress.novalocal"}))
    (latest / "user_data").write_text((ROOT / "bench" / "tcg_cx16_stress.sh").read_text())
    iso = tmp / "cd.iso"
    subprocess.run(["genisoimage", "-quiet", "-o", str(iso), "-V", "config-2", "-J", "-R",
                    str(tmp / "cd")], check=True)
    return iso


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--qemu", default="qemu-system-x86_64")
    parser.add_argument("--firmware", help="QEMU's data directory for -L")
    parser.add_argument("--no-cx16", action="store_true")
    args = parser.parse_args()
    version = subprocess.run([args.qemu, "--version"], capture_output=True, text=True,
                             check=True).stdout.splitlines()[0]
    image = Path(subprocess.run([str(ROOT / "scripts" / "image" / RECIPE[0])],
                                capture_output=True, text=True, check=True).stdout.strip())
    cpu = "qemu64,-cx16" if args.no_cx16 else "qemu64,+cx16"
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        iso, console = config_drive(tmp), tmp / "console.log"
        firmware = ["-L", args.firmware] if args.firmware else []
        qemu = subprocess.Popen([
            args.qemu, *firmware, "-accel", "tcg,thread=multi", "-cpu", cpu,
            "-smp", "2", "-m", "512",
            "-display", "none", "-monitor", "none", "-no-reboot",
            "-serial", f"file:{console}", "-kernel", str(image / "vmlinuz"),
            "-initrd", str(image / "initrd.img"), "-append", KERNEL_COMMAND_LINE,
            "-drive", f"file={image / 'disk.raw'},format=raw,if=virtio,readonly=on",
            "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0",
            "-device", "virtio-scsi-pci,id=scsi0",
            "-drive", f"file={iso},format=raw,if=none,id=cd0,media=cdrom,readonly=on",
            "-device", "scsi-cd,bus=scsi0.0,drive=cd0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        t0, verdict, log = time.monotonic(), "timeout", ""
        try:
            while time.monotonic() - t0 < LIMIT_S:
                time.sleep(3)
                log = console.read_text(errors="replace") if console.exists() else ""
                if "stress: ok" in log:
                    verdict = "ok"
                    break
                if FAULT.search(log):
                    verdict = "fault"
                    break
                if qemu.poll() is not None:
                    verdict = f"qemu exited {qemu.returncode}"
                    break
        finally:
            qemu.kill()
            qemu.wait()
        fault = FAULT.search(log)
        print(json.dumps({"bench": "tcg_cx16", "qemu": version, "cpu": cpu, "verdict": verdict,
                          "seconds": round(time.monotonic() - t0),
                          "fault": log[fault.start():fault.start() + 160] if fault else None}))


if __name__ == "__main__":
    main()
