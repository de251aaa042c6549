"""The domain type and CPU mode follow what the host can really run."""

import shutil
import subprocess

import pytest

from components.accel import KVM, HostFacts, choose, kernel_args, tcg_xslt

REAL_KVM = HostFacts(has_kvm_device=True, pvm=False)
PVM = HostFacts(has_kvm_device=True, pvm=True)
NO_KVM = HostFacts(has_kvm_device=False, pvm=False)


def test_real_kvm_host_gets_kvm_with_host_passthrough():
    accel = choose("auto", REAL_KVM)
    assert (accel.domain_type, accel.cpu_mode, accel.tb_cache_mib) == ("kvm", "host-passthrough", None)
    assert not accel.is_tcg
    # Nothing of the TCG workaround on a real CPU.
    assert accel.kernel_args == () and kernel_args(accel) == ""


@pytest.mark.parametrize("facts,why", [(PVM, "kvm_pvm"), (NO_KVM, "no /dev/kvm")])
def test_falls_back_to_tcg_with_a_reason(facts, why):
    accel = choose("auto", facts)
    assert accel.domain_type == "qemu" and accel.cpu_mode is None
    assert accel.tb_cache_mib == 256 and accel.is_tcg
    assert why in accel.reason
    # The CPU executes CMPXCHG16B (haproxy) while the node kernel keeps off it.
    assert kernel_args(accel) == "clearcpuid=cx16"


def test_explicit_setting_wins():
    assert choose("tcg", REAL_KVM).domain_type == "qemu"
    assert choose("kvm", PVM) == KVM


def test_probe_reads_the_host(tmp_path):
    assert HostFacts.probe(tmp_path) == NO_KVM
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev/kvm").touch()
    (tmp_path / "sys/module/kvm_pvm").mkdir(parents=True)
    assert HostFacts.probe(tmp_path) == PVM


DOMAIN_WITH_FEATURES = """<domain type='qemu'><name>n</name><features><acpi/></features>
<cpu mode='custom'><model>qemu64</model></cpu></domain>"""
DOMAIN_WITHOUT = """<domain type='qemu'><name>n</name></domain>"""


@pytest.mark.skipif(not shutil.which("xsltproc"), reason="xsltproc is installed by make setup")
@pytest.mark.parametrize("xml", [DOMAIN_WITH_FEATURES, DOMAIN_WITHOUT])
def test_tcg_xslt_adds_exactly_one_tb_cache(tmp_path, xml):
    (tmp_path / "t.xsl").write_text(tcg_xslt(128))
    (tmp_path / "d.xml").write_text(xml)
    out = subprocess.run(["xsltproc", tmp_path / "t.xsl", tmp_path / "d.xml"],
                         capture_output=True, text=True, check=True).stdout
    assert out.count('<tb-cache unit="MiB">128</tb-cache>') == 1
    assert out.count("<features>") == 1 and out.count("<cpu ") == 1
    assert '<model fallback="forbid">qemu64</model>' in out
    assert '<feature policy="require" name="cx16"/>' in out
    assert 'policy="disable"' not in out
    assert "<name>n</name>" in out
