"""osl-cinder-rtstool, rendered and run for real against stand-ins of rtslib_fb and
Cinder's rtstool: a backstore it creates gets emulate_tpu=1 (LIO then accepts UNMAP), one
it only looks up is left alone, and a device that refuses the attribute still exports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from components.render import render

RTSLIB = '''
import json, os
class utils:
    class RTSLibError(Exception):
        pass
LOG = os.environ["RTS_LOG"]
class StorageObject:
    def __init__(self, name):
        # Like rtslib_fb.tcm: the plugin is looked up by the object's exact class.
        self.plugin = bs_params[type(self)]["name"]
        self.name = name
class BlockStorageObject(StorageObject):
    def __init__(self, name, dev=None):
        super().__init__(name)
    def set_attribute(self, key, value):
        if os.environ.get("REFUSE"):
            raise utils.RTSLibError("device does not support discard")
        with open(LOG, "a") as f:
            f.write(json.dumps([self.name, key, value]) + "\\n")
bs_params = {BlockStorageObject: {"name": "block"}}
'''
# Like cinder/cmd/rtstool.py: the module attribute is looked up at each call.
RTSTOOL = '''
import sys
import rtslib_fb
def main(argv=None):
    argv = sys.argv if argv is None else argv
    if argv[1] == "create":
        rtslib_fb.BlockStorageObject(name=argv[3], dev=argv[2])
    elif argv[1] == "lookup":
        rtslib_fb.BlockStorageObject(name=argv[2])
    return 0
'''


@pytest.fixture
def tool(tmp_path: Path):
    (tmp_path / "rtslib_fb.py").write_text(RTSLIB)
    (tmp_path / "cinder" / "cmd").mkdir(parents=True)
    (tmp_path / "cinder" / "__init__.py").write_text("")
    (tmp_path / "cinder" / "cmd" / "__init__.py").write_text("")
    (tmp_path / "cinder" / "cmd" / "rtstool.py").write_text(RTSTOOL)
    script = tmp_path / "osl-cinder-rtstool"
    script.write_text(render("cinder/osl-cinder-rtstool.py.j2"))
    log = tmp_path / "attributes.log"

    def run(*args: str, refuse: bool = False) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": str(tmp_path), "RTS_LOG": str(log)}
        if refuse:
            env["REFUSE"] = "1"
        return subprocess.run([sys.executable, str(script), *args], env=env,
                              capture_output=True, text=True, timeout=60)

    run.log = log
    return run


def test_a_new_backstore_advertises_thin_provisioning(tool):
    done = tool("create", "/dev/cinder-volumes/volume-1", "iqn.x:volume-1", "u", "p", "0")
    assert done.returncode == 0, done.stderr
    assert tool.log.read_text().splitlines() == ['["iqn.x:volume-1", "emulate_tpu", "1"]']


def test_a_lookup_changes_nothing(tool):
    done = tool("lookup", "iqn.x:volume-1")
    assert done.returncode == 0, done.stderr
    assert not tool.log.exists()


def test_a_device_without_discard_still_exports(tool):
    done = tool("create", "/dev/vg/thick", "iqn.x:thick", "u", "p", "0", refuse=True)
    assert done.returncode == 0
    assert "emulate_tpu not set: device does not support discard" in done.stderr
