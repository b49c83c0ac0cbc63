"""ECS prefix list errors: CreatePrefixList, DeletePrefixList and their entries."""

from __future__ import annotations

from ...errors import ApiError
from .common import MalformedParameter


class DependencyViolationPrefixList(ApiError):
    code, status = "DependencyViolation.PrefixList", 403
    template = "The prefix list is associated with security groups."


class InvalidParamAddressFamily(ApiError):
    code, status = "InvalidParam.AddressFamily", 400
    template = 'The specified parameter "AddressFamily" is not valid.'


class InvalidParamCidr(ApiError):
    code, status = "InvalidParam.Cidr", 400
    template = 'The specified parameter "Entry.{n}.Cidr" is not valid.'


class InvalidParamEntryCount(ApiError):
    code, status = "InvalidParam.EntryCount", 400
    template = "The number of entries exceeds MaxEntries."


class InvalidParamMaxEntries(ApiError):
    code, status = "InvalidParam.MaxEntries", 400
    template = 'The specified parameter "MaxEntries" is not valid.'


class InvalidParamPrefixListName(MalformedParameter):
    code = "InvalidParam.PrefixListName"


class InvalidPrefixListIdNotFound(ApiError):
    code, status = "InvalidPrefixListId.NotFound", 404
    template = "The specified prefix list was not found."
