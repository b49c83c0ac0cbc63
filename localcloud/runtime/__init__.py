"""Local runtime (issue 5): Running instances run their user data's workload, started SLB listeners balance.

How an instance's workload is found: its `user_data` (base64, optionally gzip) is read as cloud-init reads
it (`#cloud-config`, or the cloud-config parts of a MIME multipart); every `write_files` entry is written
under `<base>/instances/<id>/root/`; `/etc/fleet/workload.json` there (MODEL.md) gives the argv, with
{python} {host} {port} {model_dir} {root} expanded, run in its own process group with only the manifest's env,
FLEET_INSTANCE_ID and a minimal PATH/HOME/LANG, output in `<base>/instances/<id>/workload.log`. runcmd and
scripts are not run. {model_dir} is `<base>/disks/<first data disk id>/` (or `<root>/mnt/model` without a
data disk). `<base>` is the data dir, or, when the emulator runs as root and workloads run as an unprivileged
user, /var/lib/localcloud/<hash>/ (sandbox.py).

Each `running` listener of an active load balancer gets a balancer on `<address>:<port>` (HTTP reverse
proxy or TCP relay), smooth weighted round robin over the backends with weight > 0 that pass the
listener's health checks. `GET /_localcloud/runtime` shows it all; CHOICES.md "runtime" lists the choices.
"""

from __future__ import annotations

from . import routes
from .runtime import Runtime, RuntimeConfig

__all__ = ["Runtime", "RuntimeConfig", "attach"]


def attach(emulator, server=None) -> Runtime | None:
    """Give `emulator` a runtime when its config asks for one (`--no-runtime` turns it off).

    Registers it as an extension (tick/reset/close), sets `emulator.cloud.runtime` (None when off)
    and subscribes it to the cloud's change notifications. Idempotent.
    """
    existing = getattr(emulator.cloud, "runtime", None)
    if existing is not None:
        return existing
    if not emulator.cloud.config.runtime:
        emulator.cloud.runtime = None
        return None
    runtime = Runtime(emulator)
    emulator.extensions.append(runtime)
    emulator.cloud.runtime = runtime
    return runtime
