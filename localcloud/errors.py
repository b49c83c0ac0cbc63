"""Alibaba Cloud error codes as exceptions; the HTTP layer renders them as the SDKs expect."""
from __future__ import annotations


class CloudError(Exception):
    """An API error: a code, an HTTP status and a message, as the real gateway returns them."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def missing(name: str) -> CloudError:
    return CloudError(
        "MissingParameter",
        f'The input parameter "{name}" that is mandatory for processing this request is not supplied.',
        400,
    )


def invalid(name: str, detail: str = "") -> CloudError:
    msg = f'The specified parameter "{name}" is not valid.'
    if detail:
        msg += " " + detail
    return CloudError("InvalidParameter", msg, 400)


def not_found(code: str, what: str) -> CloudError:
    """`code` like 'InvalidVpcId.NotFound'; every *.NotFound is HTTP 404."""
    return CloudError(code, f"The specified {what} does not exist.", 404)


def region_not_found() -> CloudError:
    return CloudError("InvalidRegionId.NotFound", "The specified RegionId does not exist.", 404)


def throttled() -> CloudError:
    return CloudError("Throttling.User", "Request was denied due to user flow control.", 400)


def service_unavailable() -> CloudError:
    return CloudError(
        "ServiceUnavailable", "The request has failed due to a temporary failure of the server.", 503
    )


def internal_error() -> CloudError:
    return CloudError(
        "InternalError",
        "The request processing has failed due to some unknown error, exception or failure.",
        500,
    )


def idempotent_mismatch() -> CloudError:
    return CloudError("IdempotentParameterMismatch", "The request is retried with updated parameters.", 400)


def operation_conflict() -> CloudError:
    return CloudError(
        "OperationConflict", "Request was denied due to conflict with a previous request.", 409
    )
