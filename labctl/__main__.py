"""python -m labctl preview|up|destroy|outputs STACK — progress streams to the terminal."""

from __future__ import annotations

import argparse
import json
import os
import sys

from labctl.access import (remove_cloud_files, remove_ssh_files, where_to_ssh,
                           write_cloud_files, write_ssh_files)
from labctl.locks import lock_dir, remove_stale_locks
from labctl.workspace import open_stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="labctl", description=__doc__)
    parser.add_argument("operation", choices=["preview", "up", "destroy", "outputs"])
    parser.add_argument("stack", nargs="?", default="dev")
    args = parser.parse_args(argv)

    stack = open_stack(args.stack)
    backend = os.environ.get("PULUMI_BACKEND_URL", "")
    for gone in remove_stale_locks(lock_dir(backend, "openstack-lab", args.stack)):
        print(f"labctl: removed the stale lock of an interrupted run ({gone})", file=sys.stderr)
    echo = dict(on_output=print, color="always" if sys.stdout.isatty() else "never")
    if args.operation == "preview":
        stack.preview(diff=True, **echo)
    elif args.operation == "up":
        outputs = stack.up(**echo).outputs
        directory = write_ssh_files(args.stack, outputs)
        if directory:
            print(where_to_ssh(directory, outputs))
        cloud = write_cloud_files(args.stack, outputs)
        if cloud:
            print(f"OpenStack CLI:    source {cloud}/openrc && openstack endpoint list")
            print(f"Horizon:          {outputs['openstack'].value['horizon_url']}"
                  f"  (user admin, password: grep OS_PASSWORD {cloud}/openrc)")
    elif args.operation == "destroy":
        stack.destroy(**echo)
        remove_ssh_files(args.stack)
        remove_cloud_files(args.stack)
    else:
        # Secrets stay masked: only their names are shown.
        shown = {k: ("[secret]" if v.secret else v.value) for k, v in stack.outputs().items()}
        print(json.dumps(shown, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
