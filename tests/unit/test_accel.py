"""The domain type and CPU mode follow what the host can really run."""

import shutil
import subprocess

import pytest

from components.accel import KVM, HostFacts, choose, parse_qemu_version, tcg_xslt
from components.underlay_libvirt import parse_facts

REAL_KVM = HostFacts(has_kvm_device=True, pvm=False)
PVM = HostFacts(has_kvm_device=True, pvm=True)
NO_KVM = HostFacts(has_kvm_device=False, pvm=False)


def test_real_kvm_host_gets_kvm_with_host_passthrough():
    accel = choose("auto", REAL_KVM)
    assert (accel.domain_type, accel.cpu_mode, accel.tb_cache_mib) == ("kvm", "host-passthrough", None)
    assert accel.nova_virt_type == "kvm"


@pytest.mark.parametrize("facts,why", [(PVM, "kvm_pvm"), (NO_KVM, "no /dev/kvm")])
def test_falls_back_to_tcg_with_a_reason(facts, why):
    accel = choose("auto", facts)
    assert accel.domain_type == "qemu" and accel.cpu_mode is None
    assert accel.tb_cache_mib == 256
    assert why in accel.reason
    assert accel.nova_virt_type == "qemu"


def test_explicit_setting_wins():
    assert choose("tcg", REAL_KVM).domain_type == "qemu"
    assert choose("kvm", PVM) == KVM


def test_probe_reads_the_host(tmp_path):
    absent = str(tmp_path / "no-qemu")
    assert HostFacts.probe(tmp_path, qemu=absent) == NO_KVM
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev/kvm").touch()
    (tmp_path / "sys/module/kvm_pvm").mkdir(parents=True)
    assert HostFacts.probe(tmp_path, qemu=absent) == PVM
    fake = tmp_path / "qemu"
    fake.write_text("#!/bin/sh\necho 'QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2)'\n")
    fake.chmod(0o755)
    assert HostFacts.probe(tmp_path, qemu=str(fake)).qemu_version == (10, 0)


@pytest.mark.parametrize("version,disabled", [
    (None, ("cx16",)), ((7, 2), ("cx16",)), ((9, 2), ("cx16",)), ((10, 0), ()), ((11, 1), ())])
def test_tcg_keeps_cx16_only_on_a_qemu_measured_to_translate_it(version, disabled):
    accel = choose("auto", HostFacts(has_kvm_device=False, pvm=False, qemu_version=version))
    assert accel.disabled_cpu_features == disabled
    assert ("without cx16" in accel.reason) == bool(disabled)
    assert choose("auto", HostFacts(True, False, version)).disabled_cpu_features == ()


def test_qemu_versions_from_the_local_probe_and_the_metal_host():
    assert parse_qemu_version("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7)") == (7, 2)
    assert parse_qemu_version("qemu-system-x86_64: not found") is None
    assert parse_facts("x\naccel-facts kvm_device=0 pvm=1 qemu=10.0\n") == HostFacts(False, True, (10, 0))
    assert parse_facts("accel-facts kvm_device=1 pvm=0 qemu=unknown").qemu_version is None
    assert parse_facts("accel-facts kvm_device=1 pvm=0") == REAL_KVM


DOMAIN_WITH_FEATURES = """<domain type='qemu'><name>n</name><features><acpi/></features>
<cpu mode='custom'><model>qemu64</model></cpu></domain>"""
DOMAIN_WITHOUT = """<domain type='qemu'><name>n</name></domain>"""


@pytest.mark.skipif(not shutil.which("xsltproc"), reason="xsltproc is installed by make setup")
@pytest.mark.parametrize("xml", [DOMAIN_WITH_FEATURES, DOMAIN_WITHOUT])
@pytest.mark.parametrize("qemu,cx16_disabled", [((7, 2), True), ((10, 0), False)])
def test_tcg_xslt_adds_exactly_one_tb_cache(tmp_path, xml, qemu, cx16_disabled):
    accel = choose("tcg", HostFacts(False, False, qemu))
    (tmp_path / "t.xsl").write_text(tcg_xslt(accel))
    (tmp_path / "d.xml").write_text(xml)
    out = subprocess.run(["xsltproc", tmp_path / "t.xsl", tmp_path / "d.xml"],
                         capture_output=True, text=True, check=True).stdout
    assert out.count('<tb-cache unit="MiB">256</tb-cache>') == 1
    assert out.count("<features>") == 1 and out.count("<cpu ") == 1
    assert ('<feature policy="disable" name="cx16"/>' in out) == cx16_disabled
    assert "<model fallback=\"forbid\">qemu64</model>" in out
    assert "<name>n</name>" in out
