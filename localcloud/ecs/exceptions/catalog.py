"""Errors of the catalogue actions: DescribeAvailableResource, DescribeImages, DescribeInstanceTypes, DescribePrice."""

from __future__ import annotations

from ...errors import ApiError


class DestinationResourceRequired(ApiError):
    code, status = "Invalid.Param", 400
    template = 'The parameter "DestinationResource" is required.'


class InstanceTypeRequiredForSystemDisk(ApiError):
    code, status = "Invalid.Param", 400
    template = 'The parameter "InstanceType" is required when DestinationResource is SystemDisk.'


class InvalidAcceptLanguageNotFound(ApiError):
    code, status = "InvalidAcceptLanguage.NotFound", 404
    template = "The specified AcceptLanguage is not found."


class InvalidArchitecture(ApiError):
    code, status = "InvalidArchitecture", 404
    template = 'The specified parameter "Architecture" is not valid.'


class InvalidDestinationResource(ApiError):
    code, status = "Invalid.DestinationResource", 404
    template = "The specified DestinationResource is not valid."


class InvalidImageInstanceType(ApiError):
    code, status = "InvalidInstanceType.ValueNotSupported", 400
    template = "The specified InstanceType does not exist or beyond the permitted range."


class InvalidImageOwnerAliasValueNotSupported(ApiError):
    code, status = "InvalidImageOwnerAlias.ValueNotSupported", 400
    template = 'The specified parameter "ImageOwnerAlias" is not valid.'


class InvalidInstanceChargeType(ApiError):
    code, status = "Invalid.InstanceChargeType", 400
    template = "The specified InstanceChargeType is not valid."


class InvalidIoOptimized(ApiError):
    code, status = "Invalid.IoOptimized", 404
    template = "The specified IoOptimized is not valid."


class InvalidNetworkCategory(ApiError):
    code, status = "Invalid.NetworkCategory", 404
    template = "The specified NetworkCategory is not valid."


class InvalidOSType(ApiError):
    code, status = "InvalidOSType", 404
    template = 'The specified parameter "OSType" is not valid.'


class InvalidParamMemory(ApiError):
    code, status = "Invalid.Param", 400
    template = 'The specified parameter "Memory" is not valid.'


class InvalidParamTypeAndCpuMemConflict(ApiError):
    code, status = "InvalidParam.TypeAndCpuMem.Conflict", 403
    template = "InstanceType cannot be specified together with Cores or Memory."


class InvalidSpotStrategyValue(ApiError):
    code, status = "Invalid.SpotStrategy", 404
    template = "The specified SpotStrategy is not valid."


class InvalidUsage(ApiError):
    code, status = "InvalidUsage", 404
    template = 'The specified parameter "Usage" is not valid.'
