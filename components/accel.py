"""How a libvirt host runs its guests: real KVM with the host's CPU, or TCG.

Some hosts expose a /dev/kvm that cannot run stock kernels (kvm_pvm, the
pagetable-based KVM inside Firecracker-style VMs): there guests must run under TCG with the
default CPU model, and the translation cache is capped or every VM costs ~1 GiB extra.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from components.render import render

TCG_TB_CACHE_MIB = 256
# QEMU 7.2's TCG (Debian 12) mistranslates CMPXCHG16B, which Linux 6.12 uses in SLUB's
# per-CPU fast path: guests with cx16 die with slab corruption or faults within minutes.
# Without cx16 they live, but nothing that needs it runs: Debian 13's haproxy executes
# CMPXCHG16B at start (neutron's metadata proxy, Octavia's amphorae, SIGILL), and a TCG
# node without cx16 cannot give it to its own nested guests. QEMU 10.0 (bookworm-backports,
# trixie) passed the same stress with cx16 (bench/tcg_cx16.py); 8.x and 9.x are unmeasured
# and keep the workaround.
CX16_SAFE_QEMU = (10, 0)
TCG_CX16_WORKAROUND = ("cx16",)


@dataclass(frozen=True)
class Accel:
    domain_type: str  # libvirt <domain type=…>: kvm or qemu (TCG)
    cpu_mode: str | None  # None: libvirt's default CPU model
    tb_cache_mib: int | None  # TCG only
    reason: str
    disabled_cpu_features: tuple[str, ...] = ()  # TCG only

    @property
    def nova_virt_type(self) -> str:
        """Nested guests inside a TCG node can only be TCG as well."""
        return "kvm" if self.domain_type == "kvm" else "qemu"


KVM = Accel("kvm", "host-passthrough", None, "KVM with host-passthrough (nested guests can use KVM)")


def tcg(reason: str, qemu_version: tuple[int, int] | None) -> Accel:
    """`qemu_version` None (unknown) keeps the cx16 workaround."""
    safe = qemu_version is not None and qemu_version >= CX16_SAFE_QEMU
    disabled = () if safe else TCG_CX16_WORKAROUND
    qemu = ".".join(map(str, qemu_version)) if qemu_version else "unknown"
    cpu = "qemu64" if safe else "qemu64 without cx16"
    return Accel("qemu", None, TCG_TB_CACHE_MIB,
                 f"TCG (software emulation): {reason}; QEMU {qemu}, CPU {cpu}", disabled)


QEMU_VERSION = re.compile(r"QEMU emulator version (\d+)\.(\d+)")


def parse_qemu_version(text: str) -> tuple[int, int] | None:
    found = QEMU_VERSION.search(text)
    return (int(found[1]), int(found[2])) if found else None


@dataclass(frozen=True)
class HostFacts:
    has_kvm_device: bool
    pvm: bool  # kvm_pvm is loaded: /dev/kvm exists but stock kernels do not run on it
    qemu_version: tuple[int, int] | None = None

    @classmethod
    def probe(cls, root: Path = Path("/"), qemu: str = "qemu-system-x86_64") -> HostFacts:
        try:
            out = subprocess.run([qemu, "--version"], capture_output=True, text=True,
                                 timeout=30).stdout
        except OSError:
            out = ""
        return cls(has_kvm_device=(root / "dev/kvm").exists(),
                   pvm=(root / "sys/module/kvm_pvm").exists(),
                   qemu_version=parse_qemu_version(out))


def choose(setting: str, facts: HostFacts) -> Accel:
    """`setting` is the `accel` config key: auto, kvm or tcg."""
    if setting == "tcg":
        return tcg("accel=tcg is configured", facts.qemu_version)
    if setting == "kvm":
        return KVM
    if not facts.has_kvm_device:
        return tcg("this host has no /dev/kvm", facts.qemu_version)
    if facts.pvm:
        return tcg("/dev/kvm here is kvm_pvm, which cannot run stock guest kernels",
                   facts.qemu_version)
    return KVM


def tcg_xslt(accel: Accel) -> str:
    """XSLT for the libvirt provider's `xml.xslt`: the provider has no fields for TCG's
    translation-cache cap nor for disabling CPU features."""
    return render("libvirt/tcg.xsl.j2", tb_cache_mib=accel.tb_cache_mib,
                  disabled_features=accel.disabled_cpu_features)
