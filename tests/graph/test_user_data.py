"""The user-data the program really hands each node (its libvirt seed disk) passes
`cloud-init schema`, for both profiles. tests/unit/test_cloud_init.py checks the template
with hand-made seeds; GCP and metal hand nodes the same Seed.user_data text."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import yaml

from tests.harness import RecordingMonitor, is_secret, unwrap


def user_data(monitor: RecordingMonitor) -> dict[str, object]:
    """Node name -> the user-data input as recorded (secret-wrapped)."""
    return {r.name.removeprefix("underlay-").removesuffix("-seed"): r.inputs["userData"]
            for r in monitor.of_type("libvirt:index/cloudInitDisk:CloudInitDisk")}


def schema_errors(text: str, path) -> str:
    path.write_text(text)
    done = subprocess.run(["cloud-init", "schema", "-c", str(path)], capture_output=True,
                          text=True)
    return "" if done.returncode == 0 else done.stdout + done.stderr


def test_every_nodes_user_data_passes_cloud_init_schema(install, tmp_path):
    """`install`: the whole program for one profile under mocks (tests/graph/conftest.py)."""
    assert shutil.which("cloud-init"), \
        "cloud-init is installed by make setup (scripts/setup/apt.sh)"
    found = user_data(install.monitor)
    assert sorted(found) == sorted(install.nodes)
    texts = {}
    for node, value in found.items():
        assert is_secret(value), f"{node}: user-data (with the host private key) is not secret"
        texts[node] = unwrap(value)
        assert texts[node].startswith("#cloud-config\n"), node
        assert yaml.safe_load(texts[node])["hostname"] == node
    with ThreadPoolExecutor(4) as pool:
        errors = dict(zip(texts, pool.map(schema_errors, texts.values(),
                                          [tmp_path / f"{n}.yaml" for n in texts])))
    bad = {n: e for n, e in errors.items() if e}
    assert not bad, bad
