"""ECS security group errors: the group itself, its rules (protocol, ports, peers, priority, policy)."""

from __future__ import annotations

from ...errors import ApiError
from .common import MalformedParameter


class AuthorizationLimitExceed(ApiError):
    code, status = "AuthorizationLimitExceed", 403
    template = "The limit of authorization records in the security group reaches."


class InvalidDestCidrIpMalformed(MalformedParameter):
    code = "InvalidDestCidrIp.Malformed"


class InvalidDestGroupIdMismatch(ApiError):
    code, status = "InvalidDestGroupId.Mismatch", 400
    template = "Specified security group and dest group are not in the same VPC."


class InvalidDestGroupIdNotFound(ApiError):
    code, status = "InvalidDestGroupId.NotFound", 404
    template = "The DestGroupId provided does not exist in our records."


class InvalidIpProtocolMalformed(MalformedParameter):
    code = "InvalidIpProtocol.Malformed"


class InvalidIpProtocolValueNotSupported(ApiError):
    code, status = "InvalidIpProtocol.ValueNotSupported", 400
    template = "The parameter IpProtocol must be specified with case insensitive TCP, UDP, ICMP, GRE or All."


class InvalidNicTypeValueNotSupported(ApiError):
    code, status = "InvalidNicType.ValueNotSupported", 400
    template = "The specified NicType does not exist."


class InvalidParamIpv6DestCidrIp(MalformedParameter):
    code = "InvalidParam.Ipv6DestCidrIp"


class InvalidParamIpv6SourceCidrIp(MalformedParameter):
    code = "InvalidParam.Ipv6SourceCidrIp"


class InvalidParamPrefixListId(ApiError):
    code, status = "InvalidParam.PrefixListId", 400
    template = "A prefix list cannot be combined with a CIDR block."


class InvalidParamSecurityGroupRuleId(ApiError):
    code, status = "InvalidParam.SecurityGroupRuleId", 400
    template = "The specified SecurityGroupRuleId {rule_id} does not exist in the security group."


class InvalidParameterConflict(ApiError):
    code, status = "InvalidParameter.Conflict", 400
    template = "The Permissions.N parameters cannot be combined with the deprecated flat rule parameters."


class InvalidParamterConflict(ApiError):
    code, status = "InvalidParamter.Conflict", 403
    template = "The specified SecurityGroupId should be different from the {side}GroupId."


class InvalidPolicyMalformed(ApiError):
    code, status = "InvalidPolicy.Malformed", 400
    template = 'The specified parameter "Policy" is not valid.'


class InvalidPriorityMalformed(ApiError):
    code, status = "InvalidPriority.Malformed", 400
    template = "The parameter Priority is invalid."


class InvalidPriorityValueNotSupported(ApiError):
    code, status = "InvalidPriority.ValueNotSupported", 400
    template = "The parameter Priority is invalid."


class InvalidRuleDescription(ApiError):
    code, status = "InvalidSecurityGroupDiscription.Malformed", 400
    template = "The specified security group rule description is not valid."


class InvalidSecurityGroupDescriptionMalformed(MalformedParameter):
    code = "InvalidSecurityGroupDiscription.Malformed"


class InvalidSecurityGroupIdNotFound(ApiError):
    code, status = "InvalidSecurityGroupId.NotFound", 404
    template = "The specified SecurityGroupId does not exist."


class InvalidSecurityGroupNameMalformed(MalformedParameter):
    code = "InvalidSecurityGroupName.Malformed"


class InvalidSecurityGroupTypeNotSupported(ApiError):
    code, status = "InvalidSecurityGroupType.NotSupported", 400
    template = 'The specified parameter "SecurityGroupType" is not valid.'


class InvalidSourceCidrIpMalformed(MalformedParameter):
    code = "InvalidSourceCidrIp.Malformed"


class InvalidSourceGroupIdMismatch(ApiError):
    code, status = "InvalidSourceGroupId.Mismatch", 400
    template = "Specified security group and source group are not in the same VPC."


class InvalidSourceGroupIdNotFound(ApiError):
    code, status = "InvalidSourceGroupId.NotFound", 404
    template = "The SourceGroupId provided does not exist in our records."


class InvalidSourcePortRangeMalformed(MalformedParameter):
    code = "InvalidSourcePortRange.Malformed"


class IpProtocolPortRangeMismatch(ApiError):
    code, status = "OperationDenied", 400
    template = "The specified IpProtocol does not exist or IpProtocol and PortRange do not match."


class MissingParameterDest(ApiError):
    code, status = "MissingParameter.Dest", 400
    template = "One of the parameters DestCidrIp, DestGroupId or DestPrefixListId must be specified."


class MissingParameterSource(ApiError):
    code, status = "MissingParameter.Source", 400
    template = "One of the parameters SourceCidrIp, SourceGroupId or SourcePrefixListId must be specified."


class QuotaExceedSecurityGroup(ApiError):
    code, status = "QuotaExceed.SecurityGroup", 403
    template = "The maximum number of security groups is reached."


class SecurityGroupInUse(ApiError):
    code, status = "DependencyViolation", 403
    template = "There is still instance(s) in the specified security group."


class SecurityGroupReferenced(ApiError):
    code, status = "DependencyViolation", 403
    template = "The specified security group has been authorized in another one."
