"""ECS tag errors: TagResources, UntagResources, ListTagResources and the Tag.N of create calls."""

from __future__ import annotations

from ...errors import ApiError


class DuplicateTagKey(ApiError):
    code, status = "Duplicate.TagKey", 400
    template = "The {name}.N.Key contains duplicate keys."


class InvalidParameterTagValue(ApiError):
    code, status = "InvalidParameter.TagValue", 400
    template = "A Tag.N.Value was given without its Tag.N.Key."


class InvalidResourceIdNotFound(ApiError):
    code, status = "InvalidResourceId.NotFound", 404
    template = "The specified ResourceIds are not found in our records."


class InvalidResourceTypeNotFound(ApiError):
    code, status = "InvalidResourceType.NotFound", 404
    template = "The specified ResourceType is not found."


class InvalidTagCount(ApiError):
    code, status = "InvalidTagCount", 400
    template = "The specified tags are beyond the permitted range."


class MissingParameterResourceType(ApiError):
    code, status = "MissingParameter.ResourceType", 404
    template = 'The input parameter "ResourceType" that is mandatory for processing this request is not supplied.'


class MissingParameterTags(ApiError):
    code, status = "MissingParameter.Tags", 404
    template = 'The input parameter "Tag" that is mandatory for processing this request is not supplied.'


class NumberExceedResourceIds(ApiError):
    code, status = "NumberExceed.ResourceIds", 400
    template = "The maximum number of ResourceIds is exceeded. Valid : {limit}"


class NumberExceedTags(ApiError):
    code, status = "NumberExceed.Tags", 400
    template = "The maximum number of {what} is exceeded. Valid : {limit}"


class OperationDeniedQuotaExceed(ApiError):
    code, status = "OperationDenied.QuotaExceed", 400
    template = "The quota of tags on resource is beyond permitted range."


class TagWithTagFilter(ApiError):
    code, status = "InvalidParameter", 400
    template = "Tag.N and TagFilter.N cannot be used together."
