"""Alibaba Cloud error codes as exceptions; the HTTP layer renders them as the SDKs expect.

Each product keeps its errors in `<product>/exceptions.py` as subclasses of `ApiError`: the Alibaba code, the
HTTP status and the message template are class data, and keyword arguments fill the template:

    class InvalidVpcIdNotFound(ApiError):
        code, status = "InvalidVpcId.NotFound", 404
        template = "The specified VpcId does not exist."

    raise InvalidVpcIdNotFound()

The errors every product shares (missing or invalid parameters, throttling, 5xx, dry runs) live here.
`CloudError(code, message, status)` still builds an error from loose values, for codes read from data (fault rules).
"""
from __future__ import annotations

from typing import Any, ClassVar


class CloudError(Exception):
    """An API error: a code, an HTTP status and a message, as the real gateway returns them."""

    code: str = "InternalError"
    status: int = 400
    message: str = ""

    def __init__(self, code: str | None = None, message: str | None = None, status: int | None = None):
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        if message is not None:
            self.message = message
        super().__init__(f"{self.code}: {self.message}")


class ApiError(CloudError):
    """Base of the per-product error classes: `code`, `status` and `template` are class data."""

    template: ClassVar[str] = ""

    def __init__(self, message: str | None = None, **fields: Any):
        super().__init__(None, message if message is not None else self.template.format(**fields), None)


class MissingParameter(ApiError):
    code, status = "MissingParameter", 400
    template = 'The input parameter "{name}" that is mandatory for processing this request is not supplied.'


class InvalidParameter(ApiError):
    code, status = "InvalidParameter", 400
    template = 'The specified parameter "{name}" is not valid.{detail}'

    def __init__(self, name: str, detail: str = ""):
        super().__init__(name=name, detail=" " + detail if detail else "")


class InvalidRegionIdNotFound(ApiError):
    code, status = "InvalidRegionId.NotFound", 404
    template = "The specified RegionId does not exist."


class Throttling(ApiError):
    code, status = "Throttling.User", 400
    template = "Request was denied due to user flow control."


class ServiceUnavailable(ApiError):
    code, status = "ServiceUnavailable", 503
    template = "The request has failed due to a temporary failure of the server."


class InternalError(ApiError):
    code, status = "InternalError", 500
    template = "The request processing has failed due to some unknown error, exception or failure."


class IdempotentParameterMismatch(ApiError):
    code, status = "IdempotentParameterMismatch", 400
    template = "The request is retried with updated parameters."


class DryRunOperation(ApiError):
    """DryRun=true and every check passed: nothing was done (the documented answer of most actions)."""

    code, status = "DryRunOperation", 400
    template = "Request validation has been passed with DryRun flag set."


# Function forms kept while the products move to their exceptions modules.
def missing(name: str) -> CloudError:
    return MissingParameter(name=name)


def invalid(name: str, detail: str = "") -> CloudError:
    return InvalidParameter(name, detail)


def not_found(code: str, what: str) -> CloudError:
    """`code` like 'InvalidVpcId.NotFound'; every *.NotFound is HTTP 404."""
    return CloudError(code, f"The specified {what} does not exist.", 404)


def region_not_found() -> CloudError:
    return InvalidRegionIdNotFound()


def throttled() -> CloudError:
    return Throttling()


def service_unavailable() -> CloudError:
    return ServiceUnavailable()


def internal_error() -> CloudError:
    return InternalError()


def idempotent_mismatch() -> CloudError:
    return IdempotentParameterMismatch()
