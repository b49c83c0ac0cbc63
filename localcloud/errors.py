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


class InvalidClientToken(ApiError):
    code, status = "InvalidClientToken.ValueNotSupported", 400
    template = "The ClientToken provided is invalid."


class InvalidNextToken(ApiError):
    code, status = "InvalidNextToken", 400
    template = "The specified NextToken is not valid."


# the gateway: routing, signatures, framing ------------------------------------------------------
class InvalidVersion(ApiError):
    code, status = "InvalidVersion", 400
    template = 'Specified parameter Version "{version}" is not valid.'


class InvalidActionNotFound(ApiError):
    code, status = "InvalidAction.NotFound", 404
    template = "Specified api is not found, please check your url and method. ({action})"


class InvalidAccessKeyIdNotFound(ApiError):
    code, status = "InvalidAccessKeyId.NotFound", 404
    template = "Specified access key is not found."


class SignatureNonceUsed(ApiError):
    code, status = "SignatureNonceUsed", 400
    template = "The request signature nonce has been used."


class InvalidTimeStampFormat(ApiError):
    code, status = "InvalidTimeStamp.Format", 400
    template = 'Specified time stamp or date value is not well formatted: "{name}".'


class InvalidTimeStampExpired(ApiError):
    code, status = "InvalidTimeStamp.Expired", 400
    template = "Specified time stamp or date value is expired."


class IncompleteSignature(ApiError):
    code, status = "IncompleteSignature", 400
    template = "The request signature does not conform to Aliyun standards."


class SignedHeaderMissing(IncompleteSignature):
    template = "The signed header {header} is missing from the request."


class InvalidSignatureMethod(ApiError):
    code, status = "InvalidSignatureMethod", 400
    template = "Specified signature method is not supported."


class UnsupportedSignatureAlgorithm(InvalidSignatureMethod):
    template = "The signature algorithm {algorithm} is not supported."


class InvalidSignatureVersion(ApiError):
    code, status = "InvalidSignatureVersion", 400
    template = "Specified signature version is not supported."


class InvalidContentSHA256(ApiError):
    code, status = "InvalidContentSHA256", 400
    template = "The x-acs-content-sha256 header does not match the body."


class SignatureDoesNotMatch(ApiError):
    """ACS3 (V3) signatures."""

    code, status = "SignatureDoesNotMatch", 400
    template = "The request signature does not match. server string to sign is:{to_sign}"


class SignatureNotMatched(SignatureDoesNotMatch):
    # RPC HMAC-SHA1: the legacy SDK recognises this message shape and reports InvalidAccessKeySecret.
    template = "Specified signature is not matched with our calculation. server string to sign is:{to_sign}"


class BadRequest(ApiError):
    """A request no SDK sends (framing, URL): the message says what is wrong."""

    code, status = "BadRequest", 400
    template = "{reason}"


class Forbidden(ApiError):
    code, status = "Forbidden", 403
    template = "{reason}"


class RequestEntityTooLarge(ApiError):
    code, status = "RequestEntityTooLarge", 413
    template = "The request body must be at most {limit} bytes."


# tags (the ECS spelling, shared by the tag helpers) -----------------------------------------------
class InvalidTagCount(ApiError):
    code, status = "InvalidTagCount", 400
    template = "The number of tags must not exceed {limit}."


class TooManyTagFilters(InvalidTagCount):
    template = "At most {limit} tag filters are allowed."


class InvalidTagKeyMalformed(ApiError):
    code, status = "InvalidTagKey.Malformed", 400
    template = 'The specified parameter "{name}.N.Key" is not valid: {reason}'


class InvalidTagValueMalformed(ApiError):
    code, status = "InvalidTagValue.Malformed", 400
    template = 'The specified parameter "{name}.N.Value" is not valid: {reason}'


class EmptyTagValue(InvalidTagValueMalformed):
    template = 'The specified parameter "{name}.N.Value" must not be empty.'


class IdempotentParameterMismatch(ApiError):
    code, status = "IdempotentParameterMismatch", 400
    template = "The request is retried with updated parameters."


class DryRunOperation(ApiError):
    """DryRun=true and every check passed: nothing was done (the documented answer of most actions)."""

    code, status = "DryRunOperation", 400
    template = "Request validation has been passed with DryRun flag set."


# Function forms kept while ECS moves to its exceptions module.
def missing(name: str) -> CloudError:
    return MissingParameter(name=name)


def invalid(name: str, detail: str = "") -> CloudError:
    return InvalidParameter(name, detail)


def not_found(code: str, what: str) -> CloudError:
    """`code` like 'InvalidVpcId.NotFound'; every *.NotFound is HTTP 404."""
    return CloudError(code, f"The specified {what} does not exist.", 404)
