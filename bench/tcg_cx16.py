"""Bench: does a QEMU run a Linux 6.12 guest with cx16 under TCG? Boots the overlay's web
image (Debian 13 kernel) with 2 vCPUs and a fork/alloc stress as its config-drive
user-data, and reports whether the stress finished or the guest faulted; before and after
the stress a static 2-thread `lock cmpxchg16b` counter (bench/cas16/cas16.c) checks that
user space executes the instruction and gets it right.

    .venv/bin/python bench/tcg_cx16.py [--mode fix|baseline|no-cx16 | --compare]
                                       [--qemu BINARY [--firmware DIR]]

Modes (the nodes' choice is `fix`, components/accel.py):
  baseline  qemu64,+cx16, no kernel argument: the kernel uses CMPXCHG16B (SLUB)
  fix       qemu64,+cx16, kernel booted with clearcpuid=cx16: user space only
  no-cx16   qemu64,-cx16: what the lab ran before (haproxy dies with SIGILL)
--compare runs baseline, then fix, on this host, one JSON line each.

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

from components.accel import TCG_KERNEL_ARGS  # noqa: E402
from components.overlay.web_image import KERNEL_COMMAND_LINE, RECIPE  # noqa: E402

MODES = {
    "baseline": ("qemu64,+cx16", ()),
    "fix": ("qemu64,+cx16", TCG_KERNEL_ARGS),
    "no-cx16": ("qemu64,-cx16", ()),
}
CAS16_SOURCE = ROOT / "bench" / "cas16" / "cas16.c"
CAS16 = re.compile(r"cas16: (ok|wrong) \d+")
USER_DATA = """#!/bin/sh
mkdir -p /mnt/cd && mount -t iso9660 -o ro /dev/sr0 /mnt/cd && cp /mnt/cd/cas16 /run/cas16
chmod 0755 /run/cas16
echo "bench: before $(/run/cas16 2>&1 || echo 'cas16: died')"
sh /mnt/cd/stress.sh
echo "bench: after $(/run/cas16 2>&1 || echo 'cas16: died')"
echo "bench: done"
"""

FAULT = re.compile(r"BUG:|Oops|general protection|Kernel panic|double fault|invalid opcode|"
                   r"WARNING: CPU")
LIMIT_S = 1200


def cas16_binary(tmp: Path) -> Path:
    binary = tmp / "cas16"
    subprocess.run(["cc", "-O2", "-static", "-pthread", "-o", str(binary), str(CAS16_SOURCE)],
                   check=True)
    return binary


def config_drive(tmp: Path) -> Path:
    latest = tmp / "cd" / "openstack" / "latest"
    latest.mkdir(parents=True)
    (latest / "meta_data.json").write_text(json.dumps({"name": "stress",
                                                       "hostname": "stress.novalocal"}))
    (latest / "user_data").write_text(USER_DATA)
    (tmp / "cd" / "stress.sh").write_text((ROOT / "bench" / "tcg_cx16_stress.sh").read_text())
    cas16_binary(tmp / "cd")
    iso = tmp / "cd.iso"
    subprocess.run(["genisoimage", "-quiet", "-o", str(iso), "-V", "config-2", "-J", "-R",
                    str(tmp / "cd")], check=True)
    return iso


def verdict_of(log: str, qemu_exit: int | None) -> str:
    """ok: the stress finished and both counters were exact; else what went wrong."""
    if FAULT.search(log):
        return "fault"
    if "bench: done" in log:
        counters = CAS16.findall(log)
        if "stress: ok" in log and counters == ["ok", "ok"]:
            return "ok"
        return f"counter {counters or 'missing'}"
    if qemu_exit is not None:
        return f"qemu exited {qemu_exit}"
    return "timeout"


def run(mode: str, qemu_binary: str, firmware: str | None) -> dict:
    cpu, kernel_args = MODES[mode]
    version = subprocess.run([qemu_binary, "--version"], capture_output=True, text=True,
                             check=True).stdout.splitlines()[0]
    image = Path(subprocess.run([str(RECIPE.path)],
                                capture_output=True, text=True, check=True).stdout.strip())
    cmdline = " ".join((KERNEL_COMMAND_LINE, *kernel_args))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        iso, console = config_drive(tmp), tmp / "console.log"
        qemu = subprocess.Popen([
            qemu_binary, *(["-L", firmware] if firmware else []),
            "-accel", "tcg,thread=multi", "-cpu", cpu, "-smp", "2", "-m", "512",
            "-display", "none", "-monitor", "none", "-no-reboot",
            "-serial", f"file:{console}", "-kernel", str(image / "vmlinuz"),
            "-initrd", str(image / "initrd.img"), "-append", cmdline,
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
                verdict = verdict_of(log, qemu.poll())
                if verdict != "timeout":
                    break
        finally:
            qemu.kill()
            qemu.wait()
    fault = FAULT.search(log)
    cpus = re.search(r"stress: start, (\d+) of (\d+) cpus with cx16", log)
    return {"bench": "tcg_cx16", "mode": mode, "qemu": version, "cpu": cpu,
            "kernel_args": " ".join(kernel_args), "verdict": verdict,
            "seconds": round(time.monotonic() - t0),
            "kernel_cx16_cpus": f"{cpus[1]}/{cpus[2]}" if cpus else None,
            "cas16": CAS16.findall(log),
            "fault": log[fault.start():fault.start() + 160] if fault else None}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--qemu", default="qemu-system-x86_64")
    parser.add_argument("--firmware", help="QEMU's data directory for -L")
    parser.add_argument("--mode", choices=sorted(MODES), default="fix")
    parser.add_argument("--compare", action="store_true", help="baseline, then fix")
    args = parser.parse_args()
    for mode in (("baseline", "fix") if args.compare else (args.mode,)):
        print(json.dumps(run(mode, args.qemu, args.firmware)), flush=True)

if __name__ == "__main__":
    main()
