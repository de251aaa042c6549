"""python -m labctl preview|up|destroy|outputs STACK — progress streams to the terminal.
python -m labctl checkpoint save|restore|delete NAME [STACK] | list|auto [STACK]"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

from labctl import lab_checkpoints
from labctl.access import (remove_cloud_files, remove_ssh_files, where_to_ssh,
                           write_cloud_files, write_ssh_files, write_tenant_files)
from labctl.domains import node_domains, start_nodes, stopped_nodes
from labctl.failures import StepFailures, fan_out
from labctl.locks import lock_dir, remove_stale_locks
from labctl.pending import drop_interrupted_creates
from labctl.timings import TimingLog
from labctl.workspace import open_stack
from pulumi import automation as auto


def checkpoint_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="labctl checkpoint")
    parser.add_argument("action", choices=["save", "restore", "delete", "list", "auto"])
    parser.add_argument("rest", nargs="*", help="NAME [STACK] or [STACK]")
    args = parser.parse_args(argv)
    named = args.action in ("save", "restore", "delete")
    if named and not args.rest:
        parser.error(f"{args.action} needs a checkpoint NAME")
    name = args.rest[0] if named else None
    rest = args.rest[1:] if named else args.rest
    if named and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", name):
        parser.error(f"{name!r}: a checkpoint name is letters, digits, '.', '_' and '-'")
    return lab_checkpoints.run(args.action, rest[0] if rest else "dev", name)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["checkpoint"]:
        return checkpoint_main(argv[1:])
    parser = argparse.ArgumentParser(prog="labctl", description=__doc__)
    parser.add_argument("operation", choices=["preview", "up", "destroy", "outputs"])
    parser.add_argument("stack", nargs="?", default="dev")
    args = parser.parse_args(argv)

    stack = open_stack(args.stack)
    backend = os.environ.get("PULUMI_BACKEND_URL", "")
    locks = lock_dir(backend, "openstack-lab", args.stack)
    for gone in remove_stale_locks(locks):
        print(f"labctl: removed the stale lock of an interrupted run ({gone})", file=sys.stderr)
    if args.operation in ("up", "destroy"):
        for urn in drop_interrupted_creates(stack, locks):
            print(f"labctl: {urn.rsplit('::', 1)[-1]} was being created when a run was "
                  "interrupted; its record is dropped and `up` runs it again from the start",
                  file=sys.stderr)
    echo = dict(on_output=print, color="always" if sys.stdout.isatty() else "never")
    if args.operation == "preview":
        stack.preview(diff=True, **echo)
    elif args.operation == "up":
        stopped = stopped_nodes(node_domains(args.stack, stack.outputs()))
        if stopped and lab_checkpoints.restore_auto(args.stack, stopped):
            print(f"labctl: {', '.join(stopped)} had been shut off (libvirtd and QEMU killed); "
                  "the lab is back from its automatic checkpoint, as it was when saved",
                  file=sys.stderr)
        else:
            for name in start_nodes(stopped):
                print(f"labctl: started {name}, which was shut off with autostart on "
                      "(libvirtd was restarted without a reboot); the steps wait for its "
                      "services", file=sys.stderr)
        failures = StepFailures()
        timings = os.environ.get("OPENSTACK_LAB_TIMINGS")
        try:
            if timings:
                with open(timings, "a", encoding="utf-8") as stream:
                    on_event = fan_out(TimingLog(stream, args.stack).on_event, failures.on_event)
                    outputs = stack.up(on_event=on_event, **echo).outputs
            else:
                outputs = stack.up(on_event=failures.on_event, **echo).outputs
        except auto.CommandError:
            # The engine's own account is above; the failed steps, once, come last.
            directory = write_ssh_files(args.stack, stack.outputs())
            report = failures.report(str(directory / "config") if directory else None)
            print(report or f"labctl: pulumi up of {args.stack} failed (the engine's "
                  "output above says why)", file=sys.stderr)
            return 1
        directory = write_ssh_files(args.stack, outputs)
        if directory:
            print(where_to_ssh(directory, outputs))
        cloud = write_cloud_files(args.stack, outputs)
        if cloud:
            print(f"OpenStack CLI:    source {cloud}/openrc && openstack endpoint list")
            print(f"Horizon:          {outputs['openstack'].value['horizon_url']}"
                  f"  (user admin, password: grep OS_PASSWORD {cloud}/openrc)")
        tenant = write_tenant_files(args.stack, outputs)
        if tenant:
            print(f"Load balancer:    {outputs['vip_url'].value}  (web-1 and web-2 in turn)")
            print(f"Tenant CLI:       OS_CLIENT_CONFIG_FILE={tenant}/clouds.yaml "
                  f"openstack --os-cloud openstack-lab-{args.stack} server list")
            print(f"Web servers:      ssh -i {tenant}/id_ed25519 root@<floating IP>"
                  f"  (scripts/lab.sh outputs {args.stack})")
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
