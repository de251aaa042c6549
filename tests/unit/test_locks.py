"""Only locks of dead processes on this host are removed."""

import json
import os

from labctl.locks import lock_dir, remove_stale_locks


def write(d, name, pid, host):
    (d / f"{name}.json").write_text(json.dumps({"pid": pid, "hostname": host,
                                                "timestamp": "t"}))


def test_removes_only_this_hosts_dead_locks(tmp_path):
    d = lock_dir(f"file://{tmp_path}", "p", "dev")
    d.mkdir(parents=True)
    dead = 2**22 + 12345  # above any pid_max default: no such process
    write(d, "dead", dead, "here")
    write(d, "alive", os.getpid(), "here")
    write(d, "elsewhere", dead, "other-host")
    removed = remove_stale_locks(d, hostname="here")
    assert removed == [f"pid {dead} since t"]
    assert sorted(p.stem for p in d.glob("*.json")) == ["alive", "elsewhere"]


def test_non_file_backends_are_left_alone():
    assert lock_dir("s3://bucket", "p", "dev") is None
    assert remove_stale_locks(None) == []
