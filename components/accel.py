"""How a libvirt host runs its guests: real KVM with the host's CPU, or TCG.

Some hosts expose a /dev/kvm that cannot run stock kernels (kvm_pvm, the
pagetable-based KVM inside Firecracker-style VMs): there guests run under TCG, and the
translation cache is capped or every VM costs ~1 GiB extra.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from components.render import render

TCG_TB_CACHE_MIB = 256
# cx16 under TCG: QEMU 7.2's TCG (Debian 12 hosts) corrupts Linux 6.12 when the *kernel*
# uses CMPXCHG16B (SLUB's per-CPU fast path): slab corruption or double faults within
# minutes (bench/tcg_cx16.py: a fault at 384 s). A node without cx16, though, cannot run
# Debian 13's haproxy, which executes CMPXCHG16B at start (`ha_random64`): Neutron's
# metadata proxy and Octavia's amphorae died with SIGILL. So TCG nodes get a CPU *with*
# cx16 and a kernel booted with `clearcpuid=cx16`: the kernel takes its non-cx16 paths
# while user space can still execute the instruction. Measured (QEMU 7.2.22, 2 vCPUs,
# Debian's 6.12 kernel): cx16 on 0 of 2 CPUs in /proc/cpuinfo, the fork/proc/sys stress
# finished `ok` in 988 s with no fault, and a 2-thread `lock cmpxchg16b` counter (400 000
# CAS under contention) was exact. Nested guests (amphorae, web servers) get their CPUID
# from the node's KVM, which starts from the node kernel's capabilities: no cx16 for their
# kernels either, while the host's TCG still executes the instruction for their haproxy.
# KVM hosts run host-passthrough and no extra kernel argument: none of this applies there.
TCG_CPU_MODEL = "qemu64"
TCG_REQUIRED_CPU_FEATURES = ("cx16",)
TCG_KERNEL_ARGS = ("clearcpuid=cx16",)


@dataclass(frozen=True)
class Accel:
    domain_type: str  # libvirt <domain type=…>: kvm or qemu (TCG)
    cpu_mode: str | None  # None: the custom model of tcg_xslt
    tb_cache_mib: int | None  # TCG only
    reason: str
    # Arguments the node image's kernel must boot with (part of the built image: GRUB).
    kernel_args: tuple[str, ...] = ()

    @property
    def is_tcg(self) -> bool:
        return self.domain_type == "qemu"


# Nova's virt_type on a compute node is not derived from this: the node probes its own
# /dev/kvm and CPU flags (templates/nova/compute.sh.j2). A TCG node's qemu64 CPU has svm
# and TCG emulates nested SVM, so its /dev/kvm works and its guests ran with virt_type=kvm;
# a KVM host without nested virtualization gives its nodes no vmx/svm. Only the node knows.


KVM = Accel("kvm", "host-passthrough", None, "KVM with host-passthrough (nested guests can use KVM)")


def tcg(reason: str) -> Accel:
    return Accel("qemu", None, TCG_TB_CACHE_MIB, f"TCG (software emulation): {reason}",
                 kernel_args=TCG_KERNEL_ARGS)


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


def kernel_args(accel: Accel) -> str:
    """What the node image script gets as NODE_IMAGE_KERNEL_ARGS ('' on KVM)."""
    return " ".join(accel.kernel_args)


def tcg_xslt(tb_cache_mib: int) -> str:
    """XSLT for the libvirt provider's `xml.xslt`: the provider has no fields for TCG's
    translation-cache cap nor for a custom CPU model's features."""
    return render("libvirt/tcg.xsl.j2", tb_cache_mib=tb_cache_mib, model=TCG_CPU_MODEL,
                  required_features=TCG_REQUIRED_CPU_FEATURES)
