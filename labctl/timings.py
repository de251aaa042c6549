"""A timing log of one engine run: a JSON line per resource when its step starts and when
it ends (done or failed), with wall-clock seconds. labctl writes it where
OPENSTACK_LAB_TIMINGS points, so `make up` itself can be measured (bench/cold_up.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from pulumi import automation as auto


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[1]


class TimingLog:
    def __init__(self, stream: IO[str], stack: str, clock: Callable[[], float] = time.time):
        self.stream, self.stack, self.clock = stream, stack, clock

    def write(self, **record: object) -> None:
        self.stream.write(json.dumps({"t": round(self.clock(), 2), "stack": self.stack,
                                      **record}) + "\n")
        self.stream.flush()

    def on_event(self, event: auto.EngineEvent) -> None:
        pre, out, failed = (event.resource_pre_event, event.res_outputs_event,
                            event.res_op_failed_event)
        if pre and pre.metadata.op != auto.OpType.SAME:
            self.write(event="start", urn=pre.metadata.urn, name=_name(pre.metadata.urn),
                       type=pre.metadata.type, op=str(pre.metadata.op.value))
        elif out and out.metadata.op != auto.OpType.SAME:
            self.write(event="done", urn=out.metadata.urn, name=_name(out.metadata.urn),
                       type=out.metadata.type, op=str(out.metadata.op.value))
        elif failed:
            self.write(event="failed", urn=failed.metadata.urn, name=_name(failed.metadata.urn),
                       type=failed.metadata.type, op=str(failed.metadata.op.value))


def read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
