"""GetInstanceConsoleOutput: the instance's console log, Base64; locally the workload's stdout and stderr."""

from __future__ import annotations

import base64
import re
import time

from ...core import action
from ...params import Params
from ..models.common import get_instance

# Formatting symbols RemoveSymbols strips: ANSI escape sequences and control characters but \t \n.
_SYMBOLS = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f]")
_BEIJING = 8 * 3600  # LastUpdateTime is Beijing time, "yyyy-MM-dd HH:mm:ss" (API reference)


def _stamp(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts + _BEIJING))


@action("ecs", "GetInstanceConsoleOutput", mutating=False)
def get_instance_console_output(cloud, p: Params) -> dict:
    """The real cloud caches the console output of the instance's last start, restart or shutdown, so any
    existing instance answers (Stopped too). localcloud answers the last 64 KiB its workload printed
    (runtime.console_output), so a server that exits at start shows why; without a runtime, or before the
    first boot, the output is empty (CHOICES.md)."""
    region = cloud.region(p)
    instance = get_instance(cloud, p.text("InstanceId", required=True), region)
    remove = bool(p.flag("RemoveSymbols", default=False))
    runtime = getattr(cloud, "runtime", None)
    found = runtime.console_output(instance["id"]) if runtime is not None else None
    data, updated = found if found else (b"", instance.get("created") or cloud.clock.now())
    if remove:
        data = _SYMBOLS.sub(b"", data.replace(b"\r\n", b"\n"))
    # Field order of the documented sample answer (LastUpdateTime, RequestId, InstanceId, ConsoleOutput).
    return {
        "LastUpdateTime": _stamp(updated),
        "InstanceId": instance["id"],
        "ConsoleOutput": base64.b64encode(data).decode("ascii"),
    }
