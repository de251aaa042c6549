"""apt's locks held by another process, for the fault tests: a private apt root the real
apt-get runs against (never the host's), a process that holds its locks as apt and dpkg take
them, and what the package step's apt commands say when they meet each lock."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from components.render import TEMPLATES

# Holds fcntl locks, as apt and dpkg take them (flock(1) would not conflict with apt's),
# says so, keeps them until the step says it has started and `seconds` more (on a loaded
# host the engine may take longer than any fixed hold to reach the step), and writes the
# time it lets go.
LOCK_HOLDER = """\
import fcntl, os, sys, time
seconds, started, released, paths = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
held = [open(p, "a") for p in paths]
for f in held:
    fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
deadline = time.monotonic() + 300
while not os.path.exists(started) and time.monotonic() < deadline:
    time.sleep(0.2)
time.sleep(seconds)
with open(released, "w") as out:
    out.write(repr(time.time()))
"""


@dataclass(frozen=True)
class AptRoot:
    """apt's state, lists, cache and sources in a private directory: the real apt-get
    runs against its own locks there, never the host's. Its one source is an empty local
    repository, and package `demo` counts as installed."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "apt.conf"

    def env(self) -> dict[str, str]:
        return {**os.environ, "APT_CONFIG": str(self.config)}


@pytest.fixture
def apt_root(tmp_path: Path) -> AptRoot:
    if subprocess.run(["which", "apt-get"], capture_output=True).returncode != 0:
        pytest.skip("needs apt-get")
    apt = AptRoot(tmp_path / "apt")
    for d in ("lists/partial", "cache/archives/partial", "dpkg/updates", "etc/apt.conf.d",
              "etc/preferences.d", "etc/sources.list.d", "log", "repo"):
        (apt.root / d).mkdir(parents=True)
    (apt.root / "dpkg/status").write_text(
        "Package: demo\nStatus: install ok installed\nPriority: optional\nSection: misc\n"
        "Maintainer: lab <lab@example.org>\nArchitecture: all\nVersion: 1.0\n"
        "Description: an installed package\n demo\n\n")
    (apt.root / "repo/Packages").write_text("")
    (apt.root / "etc/sources.list.d/local.list").write_text(
        f"deb [trusted=yes] file:{apt.root / 'repo'} ./\n")
    r = apt.root
    # APT_CONFIG is read first, so it also keeps the host's apt.conf.d out.
    apt.config.write_text(f"""\
Dir::Etc::Parts "{r}/etc/apt.conf.d";
Dir::Etc::Main "/dev/null";
Dir::Etc::SourceList "/dev/null";
Dir::Etc::SourceParts "{r}/etc/sources.list.d";
Dir::Etc::Preferences "/dev/null";
Dir::Etc::PreferencesParts "{r}/etc/preferences.d";
Dir::State "{r}";
Dir::State::Lists "{r}/lists";
Dir::State::status "{r}/dpkg/status";
Dir::Cache "{r}/cache";
Dir::Log "{r}/log";
APT::Sandbox::User "root";
""")
    # The test must never lock or change the host's apt.
    shown = subprocess.run(["apt-config", "shell", "S", "Dir::State::status/f"], env=apt.env(),
                           capture_output=True, text=True, check=True).stdout
    assert shown.strip() == f"S='{r}/dpkg/status'", shown
    return apt


def package_step_apt_lines() -> list[str]:
    """The package step's apt commands, as templates/base/packages.sh.j2 runs them on the
    packages it finds missing."""
    text = (TEMPLATES / "base" / "packages.sh.j2").read_text()
    found = [line.strip() for line in text.splitlines()
             if "apt-get update" in line or "apt_install" in line]
    assert len(found) == 2 and "update" in found[0], found
    return found


def hold_locks(paths: list[Path], seconds: float, started: Path,
               released: Path) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(seconds), str(started),
                               str(released), *map(str, paths)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


# Who holds which lock on a freshly booted Debian node: apt-daily's `apt-get update` the
# lists lock, unattended-upgrade (apt-daily-upgrade) dpkg's frontend lock and lock.
LOCKS = {"dpkg": ["dpkg/lock-frontend", "dpkg/lock"], "lists": ["lists/lock"]}
# What apt says when it meets each: apt_install waits (DPkg::Lock::Timeout); `apt-get
# update` does not wait for the lists lock whatever that option says (apt 2.6), so the
# step's bounded `retry` of it is what lets it through.
MET = {"dpkg": "Waiting for cache lock: Could not get lock {root}/dpkg/lock-frontend",
       "lists": "E: Could not get lock {root}/lists/lock"}
