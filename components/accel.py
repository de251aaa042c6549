"""How a libvirt host runs its guests: real KVM with the host's CPU, or TCG.

Some hosts expose a /dev/kvm that cannot run stock kernels (kvm_pvm, the
pagetable-based KVM inside Firecracker-style VMs): there guests must run under TCG with the
default CPU model, and the translation cache is capped or every VM costs ~1 GiB extra.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from components.render import render

TCG_TB_CACHE_MIB = 256
# QEMU 7.2's TCG (Debian 12 hosts) gets EFLAGS wrong after CMPXCHG16B, which Linux 6.12
# uses in SLUB's per-CPU fast path: guests die with slab corruption or double faults
# within a minute. Without cx16 the kernel and OpenSSL take other paths, but Debian 13's
# haproxy cannot run (it executes CMPXCHG16B at start: neutron's metadata proxy and
# Octavia's amphorae die with SIGILL), and a node without cx16 cannot give it to its
# nested guests. bench/tcg_cx16.py measures a QEMU: 10.0 keeps such guests alive, but as
# this host's QEMU the compute node's nested guests stalled at boot, so 7.2 stays.
TCG_DISABLED_CPU_FEATURES = ("cx16",)


@dataclass(frozen=True)
class Accel:
    domain_type: str  # libvirt <domain type=…>: kvm or qemu (TCG)
    cpu_mode: str | None  # None: libvirt's default CPU model
    tb_cache_mib: int | None  # TCG only
    reason: str

    @property
    def nova_virt_type(self) -> str:
        """Nested guests inside a TCG node can only be TCG as well."""
        return "kvm" if self.domain_type == "kvm" else "qemu"


KVM = Accel("kvm", "host-passthrough", None, "KVM with host-passthrough (nested guests can use KVM)")


def tcg(reason: str) -> Accel:
    return Accel("qemu", None, TCG_TB_CACHE_MIB, f"TCG (software emulation): {reason}")


@dataclass(frozen=True)
class HostFacts:
    has_kvm_device: bool
    pvm: bool  # kvm_pvm is loaded: /dev/kvm exists but stock kernels do not run on it

    @classmethod
    def probe(cls, root: Path = Path("/")) -> HostFacts:
        return cls(has_kvm_device=(root / "dev/kvm").exists(),
                   pvm=(root / "sys/module/kvm_pvm").exists())


def choose(setting: str, facts: HostFacts) -> Accel:
    """`setting` is the `accel` config key: auto, kvm or tcg."""
    if setting == "tcg":
        return tcg("accel=tcg is configured")
    if setting == "kvm":
        return KVM
    if not facts.has_kvm_device:
        return tcg("this host has no /dev/kvm")
    if facts.pvm:
        return tcg("/dev/kvm here is kvm_pvm, which cannot run stock guest kernels")
    return KVM


def tcg_xslt(tb_cache_mib: int) -> str:
    """XSLT for the libvirt provider's `xml.xslt`: the provider has no fields for TCG's
    translation-cache cap nor for disabling CPU features."""
    return render("libvirt/tcg.xsl.j2", tb_cache_mib=tb_cache_mib,
                  disabled_features=TCG_DISABLED_CPU_FEATURES)
