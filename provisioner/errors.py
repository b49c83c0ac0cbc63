"""The provisioner's one exception tree; SDK exceptions are converted here, once, by code and HTTP status."""

from __future__ import annotations

from typing import Any


class ProvisionerError(Exception):
    """Base of every error the provisioner raises on purpose."""


class SpecError(ProvisionerError):
    """The stack file is wrong (exit 2, before any API call). `field` is the dotted path."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class StateError(ProvisionerError):
    """The state file cannot be used (invalid JSON, another stack's, newer schema); the file is kept."""


class StackRenamed(SpecError, StateError):
    """The state file belongs to another stack name: a stack's name cannot change (exit 2, field `name`)."""

    def __init__(self, message: str):
        SpecError.__init__(self, "name", message)


class LockHeld(ProvisionerError):
    """Another run holds the stack's lock."""

    def __init__(self, path: str, holder: dict[str, Any]):
        self.path = path
        self.holder = holder
        who = ", ".join(f"{k} {holder[k]}" for k in ("pid", "host", "command", "started") if holder.get(k))
        super().__init__(f"another run holds the lock {path} ({who or 'holder unknown'})")


class NotOwnedError(ProvisionerError):
    """A step was about to change or delete a resource that does not carry this stack's tags (exit 1):
    refused before any call on it, so it is left as it is (steps/common.py `require_owned`). `role` and
    `resource` (its id) say which; `tags` are the identity tags it carries."""

    def __init__(self, role: str, resource: str, verb: str, tags: dict[str, str], message: str):
        self.role = role
        self.resource = resource
        self.verb = verb
        self.tags = dict(tags)
        super().__init__(message)


class TargetError(ProvisionerError):
    """The target cannot be reached or started (emulator down, port taken, no credentials)."""


class WaitTimeout(ProvisionerError):
    """A wait reached its deadline; the message says what it waited for and what it last saw."""


class CloudError(ProvisionerError):
    """An API call failed. Subclasses say what the caller may do about it."""

    def __init__(
        self,
        step: str,
        resource: str,
        action: str,
        code: str | None,
        status: int | None,
        request_id: str | None,
        message: str,
    ):
        self.step = step
        self.resource = resource
        self.action = action
        self.code = code
        self.status = status
        self.request_id = request_id
        self.raw_message = message
        where = f"{step}: {action} on {resource}" if resource else f"{step}: {action}"
        what = code or "network error"
        extra = ", ".join(
            x for x in (f"HTTP {status}" if status else "", f"request id {request_id}" if request_id else "") if x
        )
        super().__init__(
            f"{where} failed: {what}" + (f" ({extra})" if extra else "") + (f": {message}" if message else "")
        )


class Transient(CloudError):
    """Throttling, 5xx, network: retry with backoff, the same ClientToken."""


class Busy(CloudError):
    """A status or dependency that clears on its own (IncorrectStatus, DependencyViolation, conflicts)."""


class NotFound(CloudError):
    """The resource does not exist (HTTP 404 or a *.NotFound code); success for a delete."""


class Fatal(CloudError):
    """Auth, quota, bad parameter, stock: retrying the same request cannot help."""


class NoStock(Fatal):
    """The zone cannot supply the instance type or disk category (no stock, or not sold there at all);
    the caller may try the next zone."""


class PrecheckError(ProvisionerError):
    """A check before any create found that the cloud cannot serve the stack (exit 1): an image that no
    longer exists, no zone selling the type and disk categories. `field` is the stack field it is about."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


# Codes that clear with time. Real codes from the ECS/VPC/SLB error tables and the ones Terraform's
# provider retries (reference: ecs-api.md §2, §7; vpc-slb-api.md §2-3, §5).
_TRANSIENT_CODES = {
    "ServiceUnavailable",
    "InternalError",
    "UnknownError",
    "Rejected.Throttling",
    "SystemBusy",
    "ServiceUnavailable.RegionMaintaining",
}
_BUSY_CODES = {
    "OperationConflict",
    "LastTokenProcessing",
    "IdempotentProcessing",
    "OperationFailed.LastTokenProcessing",
    "OperationFailed.IdempotentTokenProcessing",
    "OperationFailed.TokenIsProcessing",
    "TaskConflict",
    "InvalidOperation.Conflict",
    "ServiceIsConfiguring",
    "BackendServer.configuring",
    "OperationBusy",
    "ServiceIsStopping",
    "Operation.Deny",
    "OperationDenied.OtherSubnetProcessing",
    "OperationFailed.ListenerStatusNotSupport",
    "IncorrectStatus",
    "DiskError",
    "InstanceNotReady",
    "OperationDenied.CreatingConflict",
    # Retried by Terraform's alicloud provider, and they do clear: RemoveBackendServers (RspoolVipExist,
    # ObtainIpFail), DetachDisk (DisksDetachingOnEcsExceeded), CreateVSwitch/DeleteVSwitch on a VPC attached
    # to CEN (OperationFailed.DistibuteLock [sic], OperationFailed.NotifyCenCreate, *.IncorrectStatus.cbnStatus,
    # InvalidStatus.RouteEntry).
    "RspoolVipExist",
    "ObtainIpFail",
    "DisksDetachingOnEcsExceeded",
    "OperationFailed.DistibuteLock",
    "OperationFailed.NotifyCenCreate",
    "CreateVSwitch.IncorrectStatus.cbnStatus",
    "DeleteVSwitch.IncorrectStatus.cbnStatus",
    "InvalidStatus.RouteEntry",
}
_BUSY_PREFIXES = (
    "IncorrectStatus.",
    "IncorrectInstanceStatus",
    "IncorrectDiskStatus",
    "IncorrectVpcStatus",
    "IncorrectVSwitchStatus",
    "IncorrectRouteEntryStatus",
    "DependencyViolation",
)
# "Not sold here" (RunInstances 403 table, CreateDisk): the zone has no stock, does not sell the type
# (any more), is closed to the account, or does not sell the disk category. All fail over to the next zone.
_NO_STOCK_CODES = {
    "OperationDenied.NoStock",
    "Zone.NotOnSale",
    "Zone.NotOpen",
    "InvalidInstanceType.ZoneNotSupported",
    "InvalidZoneId.NotOnSale",
    "InvalidInstanceType.NotSupported",
    "InstanceType.Offline",
    "OperationDenied.ZoneNotAllowed",
    "CategoryNotSupported",
    "InvalidDiskCategory.NotSupported",
    "InvalidDataDiskCategory.NotSupported",
    "InvalidSystemDiskCategory.ValueNotSupported",
}


def classify(code: str | None, status: int | None) -> type[CloudError]:
    """The class of an API error from its code and HTTP status only (never the message text)."""
    if not code or code == "None":
        # No code: a network failure or a body that is not JSON (UnretryableException).
        return Transient if status is None or status >= 500 else Fatal
    if code.startswith("Throttling") or code in _TRANSIENT_CODES:
        return Transient
    if code in _NO_STOCK_CODES:
        return NoStock
    if code in _BUSY_CODES or code.startswith(_BUSY_PREFIXES):
        return Busy
    if code.endswith((".NotFound", ".NotExist")) or code in ("InvalidDisk.AlreadyDetached", "ListenerNotFound"):
        return NotFound
    if status is not None and status >= 500:
        return Transient
    if status == 404:
        return NotFound
    return Fatal


def convert(exc: BaseException, step: str, resource: str, action: str) -> CloudError:
    """Turn any exception raised by an SDK call into ours (the one conversion point)."""
    if isinstance(exc, CloudError):
        return exc
    code = getattr(exc, "code", None)
    if code is not None and not isinstance(code, str):
        code = str(code)
    status = getattr(exc, "status_code", None) or getattr(exc, "statusCode", None)
    try:
        status = int(status) if status is not None else None
    except (TypeError, ValueError):
        status = None
    data = getattr(exc, "data", None)
    message = ""
    request_id = None
    if isinstance(data, dict):
        message = str(data.get("Message") or data.get("message") or "")
        request_id = data.get("RequestId") or data.get("requestId")
    if not request_id:
        rid = getattr(exc, "request_id", None)
        request_id = rid if rid and rid != "None" else None
    if code in (None, "None"):
        code = None
        inner = getattr(exc, "inner_exception", None)
        message = message or repr(inner if inner is not None else exc)
        if status is None and not _is_network_error(exc):
            # Neither an API error nor a transport failure: a bug of ours or of the SDK.
            return Fatal(step, resource, action, None, None, None, message)
    cls = classify(code, status)
    return cls(step, resource, action, code, status, request_id, message)


def _is_network_error(exc: BaseException) -> bool:
    """Transport failures: the SDK wraps them in UnretryableException (no code), or requests raises."""
    names = {c.__name__ for c in type(exc).__mro__}
    if names & {
        "UnretryableException",
        "RetryError",
        "ConnectionError",
        "Timeout",
        "ReadTimeout",
        "ConnectTimeout",
        "ChunkedEncodingError",
        "RemoteDisconnected",
    }:
        return True
    return isinstance(exc, (OSError, TimeoutError))
