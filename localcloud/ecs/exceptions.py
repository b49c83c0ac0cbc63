"""ECS error codes as classes: the Alibaba code, the HTTP status and the message template are class data.

Keyword arguments fill the template (see localcloud/errors.py). The errors every product shares
(MissingParameter, InvalidParameter, DryRunOperation, ...) live in localcloud/errors.py. A code the API
answers with several messages has one class per message, named after what it reports.
"""

from __future__ import annotations

from ..errors import ApiError


class MalformedParameter(ApiError):
    """Base of the `Invalid*.Malformed`-style codes whose message names the parameter."""

    status = 400
    template = 'The specified parameter "{param}" is not valid.'


class IncorrectInstanceStatus(ApiError):
    """Worded as the observed real message; `expected` is the comma separated list of statuses."""

    code, status = "IncorrectInstanceStatus", 403
    template = (
        "The current status of the resource does not support this operation. Status of the specified instance "
        "is {current} but the expected status is in ({expected})."
    )

    def __init__(self, current: str, expected: tuple[str, ...]):
        super().__init__(current=current, expected=", ".join(expected))


class AuthorizationLimitExceed(ApiError):
    code, status = "AuthorizationLimitExceed", 403
    template = "The limit of authorization records in the security group reaches."


class BootableAttachNotSupported(ApiError):
    code, status = "InvalidParameter", 400
    template = "The instance already has a system disk; Bootable attach needs an instance without one."


class CategoryNotSupported(ApiError):
    code, status = "CategoryNotSupported", 403
    template = "The specified zone does not offer the specified disk category."


class ChargeTypeViolation(ApiError):
    code, status = "ChargeTypeViolation", 403
    template = "The operation is not permitted due to charge type of the instance."


class DependencyViolationPrefixList(ApiError):
    code, status = "DependencyViolation.PrefixList", 403
    template = "The prefix list is associated with security groups."


class DestinationResourceRequired(ApiError):
    code, status = "Invalid.Param", 400
    template = 'The parameter "DestinationResource" is required.'


class DiskNotAttachedToInstance(ApiError):
    code, status = "DependencyViolation", 403
    template = "The specified disk has not been attached on the specified instance."


class DiskNotPortable(ApiError):
    code, status = "DiskNotPortable", 403
    template = "The specified disk is not a portable disk."


class DiskStatusNotResizable(ApiError):
    code, status = "OperationDenied", 403
    template = "The status of the disk or the instance that this disk is attaching with does not support the operation."


class DiskTypeNotResizable(ApiError):
    code, status = "OperationDenied", 403
    template = "The type of the disk does not support the operation."


class DryRunSuccess(ApiError):
    """StartInstances/StopInstances/DeleteInstances document `DRYRUN.SUCCESS` instead of DryRunOperation."""

    code, status = "DRYRUN.SUCCESS", 400
    template = "This request is a dryrun request with successful result."


class DuplicateTagKey(ApiError):
    code, status = "Duplicate.TagKey", 400
    template = "The {name}.N.Key contains duplicate keys."


class ExclusiveParameters(ApiError):
    code, status = "InvalidParameter", 400
    template = "{first} and {second} cannot be specified together."


class IncorrectDiskStatus(ApiError):
    code, status = "IncorrectDiskStatus", 403
    template = "The current disk status does not support this operation."


class IncorrectDiskStatusForAttach(ApiError):
    code, status = "IncorrectDiskStatus", 403
    template = "The operation is not supported in this status."


class IncorrectDiskStatusInitializing(ApiError):
    code, status = "IncorrectDiskStatus.Initializing", 403
    template = "The specified disk is being initialized."


class IncorrectInstanceStatusForAttach(IncorrectInstanceStatus):
    status = 400


class IncorrectInstanceStatusInitializing(ApiError):
    code, status = "IncorrectInstanceStatus.Initializing", 403
    template = "The specified instance status does not support this operation."


class IncorrectVSwitchStatus(ApiError):
    code, status = "IncorrectVSwitchStatus", 400
    template = "The current status of virtual switch does not support this operation."


class IncorrectVpcStatus(ApiError):
    code, status = "IncorrectVpcStatus", 400
    template = "Current VPC status does not support this operation."


class InstanceDiskLimitExceeded(ApiError):
    code, status = "InstanceDiskLimitExceeded", 403
    template = "The amount of the disk on instance in question reach its limits"


class InstanceDiskNumberLimitExceed(ApiError):
    code, status = "InstanceDiskNumber.LimitExceed", 400
    template = "The total number of specified disk in an instance exceeds."


class InstanceSecurityGroupVpcMismatch(ApiError):
    code, status = "InvalidParameter.Mismatch", 400
    template = "Specified security group and instance are not in the same VPC."


class InstanceTypeOffline(ApiError):
    code, status = "InstanceType.Offline", 403
    template = "The specified instance type is offline in the specified zone."


class InstanceTypeRequiredForSystemDisk(ApiError):
    code, status = "Invalid.Param", 400
    template = 'The parameter "InstanceType" is required when DestinationResource is SystemDisk.'


class InvalidAcceptLanguageNotFound(ApiError):
    code, status = "InvalidAcceptLanguage.NotFound", 404
    template = "The specified AcceptLanguage is not found."


class InvalidArchitecture(ApiError):
    code, status = "InvalidArchitecture", 404
    template = 'The specified parameter "Architecture" is not valid.'


class InvalidCategoryValueNotSupported(ApiError):
    code, status = "InvalidCategory.ValueNotSupported", 400
    template = "The specified disk category is not supported."


class InvalidDataDiskCategoryNotSupported(ApiError):
    code, status = "InvalidDataDiskCategory.NotSupported", 403
    template = "Specified disk category is not supported."


class InvalidDataDiskCategoryValueNotSupported(ApiError):
    code, status = "InvalidDataDiskCategory.ValueNotSupported", 400
    template = 'The specified parameter "DataDisk.{n}.Category" is not valid.'


class InvalidDataDiskSizeValueNotSupported(ApiError):
    code, status = "InvalidDataDiskSize.ValueNotSupported", 400
    template = (
        "The specified DataDisk.{n}.Size beyond the permitted range, or the capacity of snapshot exceeds the "
        "size limit of the specified disk category."
    )


class InvalidDataDiskSnapshotIdNotFound(ApiError):
    code, status = "InvalidDataDiskSnapshotId.NotFound", 404
    template = 'The specified parameter "DataDisk.{n}.SnapshotId" is not valid.'


class InvalidDescriptionMalformed(MalformedParameter):
    code = "InvalidDescription.Malformed"


class InvalidDestCidrIpMalformed(MalformedParameter):
    code = "InvalidDestCidrIp.Malformed"


class InvalidDestGroupIdMismatch(ApiError):
    code, status = "InvalidDestGroupId.Mismatch", 400
    template = "Specified security group and dest group are not in the same VPC."


class InvalidDestGroupIdNotFound(ApiError):
    code, status = "InvalidDestGroupId.NotFound", 404
    template = "The DestGroupId provided does not exist in our records."


class InvalidDestinationResource(ApiError):
    code, status = "Invalid.DestinationResource", 404
    template = "The specified DestinationResource is not valid."


class InvalidDeviceInUse(ApiError):
    code, status = "InvalidDevice.InUse", 403
    template = "The specified device has been occupied."


class InvalidDeviceMalformed(MalformedParameter):
    code = "InvalidDevice.Malformed"


class InvalidDiskAlreadyDetached(ApiError):
    code, status = "InvalidDisk.AlreadyDetached", 404
    template = "The specified disk has been detached."


class InvalidDiskCategoryValueNotSupported(ApiError):
    code, status = "InvalidDiskCategory.ValueNotSupported", 400
    template = 'The specified parameter "DiskCategory" is not valid.'


class InvalidDiskChargeTypeNotFound(ApiError):
    code, status = "InvalidDiskChargeType.NotFound", 404
    template = "The specified DiskChargeType is not found."


class InvalidDiskDescriptionMalformed(MalformedParameter):
    code = "InvalidDiskDescription.Malformed"


class InvalidDiskIdNotFound(ApiError):
    code, status = "InvalidDiskId.NotFound", 404
    template = "The specified DiskId does not exist."


class InvalidDiskIdsMalformed(ApiError):
    code, status = "InvalidDiskIds.Malformed", 403
    template = "The amount of specified disk Ids exceeds the limit."


class InvalidDiskNameMalformed(MalformedParameter):
    code = "InvalidDiskName.Malformed"


class InvalidDiskSizeTooSmall(ApiError):
    code, status = "InvalidDiskSize.TooSmall", 403
    template = "Specified new disk size is less than the original disk size."


class InvalidDiskTypeValueNotSupported(ApiError):
    code, status = "InvalidDiskType.ValueNotSupported", 400
    template = "The specified disk type is not supported."


class InvalidFilterKeyNotFound(ApiError):
    code, status = "InvalidFilterKey.NotFound", 404
    template = "The specified Filter.N.Key does not exist."


class InvalidFilterValue(ApiError):
    code, status = "InvalidFilterValue", 400
    template = "The specified Filter.N.Value {value!r} is not valid."


class InvalidHostNameMalformed(ApiError):
    code, status = "InvalidHostName.Malformed", 400
    template = 'The specified parameter "{param}" is not valid.'


class InvalidImageFamilyNotFound(ApiError):
    code, status = "InvalidImageFamily.NotFound", 404
    template = "The specified ImageFamily has no available image."


class InvalidImageIdNotFound(ApiError):
    code, status = "InvalidImageId.NotFound", 404
    template = "The specified ImageId does not exist."


class InvalidImageInstanceType(ApiError):
    code, status = "InvalidInstanceType.ValueNotSupported", 400
    template = "The specified InstanceType does not exist or beyond the permitted range."


class InvalidImageOwnerAliasValueNotSupported(ApiError):
    code, status = "InvalidImageOwnerAlias.ValueNotSupported", 400
    template = 'The specified parameter "ImageOwnerAlias" is not valid.'


class InvalidInstanceChargeType(ApiError):
    code, status = "Invalid.InstanceChargeType", 400
    template = "The specified InstanceChargeType is not valid."


class InvalidInstanceChargeTypeNotFound(ApiError):
    code, status = "InvalidInstanceChargeType.NotFound", 404
    template = "The InstanceChargeType does not exist in our records."


class InvalidInstanceIdNotFound(ApiError):
    code, status = "InvalidInstanceId.NotFound", 404
    template = "The specified InstanceId does not exist."


class InvalidInstanceIdsNotFound(ApiError):
    code, status = "InvalidInstanceIds.NotFound", 404
    template = "The specified InstanceIds does not exist."


class InvalidInstanceNameCustomMalformed(ApiError):
    code, status = "InvalidInstanceName.CustomMalformed", 400
    template = (
        "Customized section of instance or host name is invalid, please use valid format: [], [,], [m,], "
        "[,n], [m,n]."
    )


class InvalidInstanceNameMalformed(MalformedParameter):
    code = "InvalidInstanceName.Malformed"


class InvalidInstanceType(ApiError):
    code, status = "InvalidInstanceType.ValueNotSupported", 400
    template = "The specified InstanceType beyond the permitted range."


class InvalidInstanceTypeZoneNotSupported(ApiError):
    code, status = "InvalidInstanceType.ZoneNotSupported", 403
    template = "The specified zone does not support this instancetype."


class InvalidInternetChargeTypeFilter(ApiError):
    code, status = "InvalidInternetChargeType.ValueNotSupported", 404
    template = "The specified InternetChargeType is not valid."


class InvalidInternetChargeTypeValueNotSupported(ApiError):
    code, status = "InvalidInternetChargeType.ValueNotSupported", 400
    template = "The specified InternetChargeType is not valid."


class InvalidInternetMaxBandwidthInMalformed(ApiError):
    code, status = "InvalidInternetMaxBandwidthIn.Malformed", 400
    template = 'The specified parameter "InternetMaxBandwidthIn" is not valid.'


class InvalidIoOptimized(ApiError):
    code, status = "Invalid.IoOptimized", 404
    template = "The specified IoOptimized is not valid."


class InvalidIpProtocolMalformed(MalformedParameter):
    code = "InvalidIpProtocol.Malformed"


class InvalidIpProtocolValueNotSupported(ApiError):
    code, status = "InvalidIpProtocol.ValueNotSupported", 400
    template = "The parameter IpProtocol must be specified with case insensitive TCP, UDP, ICMP, GRE or All."


class InvalidLockReasonNotFound(ApiError):
    code, status = "InvalidLockReason.NotFound", 404
    template = "The specified LockReason is not found."


class InvalidMinAmountMalformed(ApiError):
    code, status = "InvalidMinAmount.Malformed", 400
    template = 'The specified parameter "MinAmount" is not valid.'


class InvalidNetworkCategory(ApiError):
    code, status = "Invalid.NetworkCategory", 404
    template = "The specified NetworkCategory is not valid."


class InvalidNetworkTypeNotFound(ApiError):
    code, status = "InvalidNetworkType.NotFound", 404
    template = "The specified InstanceNetworkType is not found."


class InvalidNicTypeValueNotSupported(ApiError):
    code, status = "InvalidNicType.ValueNotSupported", 400
    template = "The specified NicType does not exist."


class InvalidOSType(ApiError):
    code, status = "InvalidOSType", 404
    template = 'The specified parameter "OSType" is not valid.'


class InvalidOperationDeletionProtection(ApiError):
    code, status = "InvalidOperation.DeletionProtection", 403
    template = "The instance is protected from release; disable DeletionProtection first."


class InvalidParamAddressFamily(ApiError):
    code, status = "InvalidParam.AddressFamily", 400
    template = 'The specified parameter "AddressFamily" is not valid.'


class InvalidParamCidr(ApiError):
    code, status = "InvalidParam.Cidr", 400
    template = 'The specified parameter "Entry.{n}.Cidr" is not valid.'


class InvalidParamEntryCount(ApiError):
    code, status = "InvalidParam.EntryCount", 400
    template = "The number of entries exceeds MaxEntries."


class InvalidParamIpv6DestCidrIp(MalformedParameter):
    code = "InvalidParam.Ipv6DestCidrIp"


class InvalidParamIpv6SourceCidrIp(MalformedParameter):
    code = "InvalidParam.Ipv6SourceCidrIp"


class InvalidParamMaxEntries(ApiError):
    code, status = "InvalidParam.MaxEntries", 400
    template = 'The specified parameter "MaxEntries" is not valid.'


class InvalidParamMemory(ApiError):
    code, status = "Invalid.Param", 400
    template = 'The specified parameter "Memory" is not valid.'


class InvalidParamPrefixListId(ApiError):
    code, status = "InvalidParam.PrefixListId", 400
    template = "A prefix list cannot be combined with a CIDR block."


class InvalidParamPrefixListName(MalformedParameter):
    code = "InvalidParam.PrefixListName"


class InvalidParamSecurityGroupRuleId(ApiError):
    code, status = "InvalidParam.SecurityGroupRuleId", 400
    template = "The specified SecurityGroupRuleId {rule_id} does not exist in the security group."


class InvalidParamTypeAndCpuMemConflict(ApiError):
    code, status = "InvalidParam.TypeAndCpuMem.Conflict", 403
    template = "InstanceType cannot be specified together with Cores or Memory."


class InvalidParameterConflict(ApiError):
    code, status = "InvalidParameter.Conflict", 400
    template = "The Permissions.N parameters cannot be combined with the deprecated flat rule parameters."


class InvalidParameterTagValue(ApiError):
    code, status = "InvalidParameter.TagValue", 400
    template = "A Tag.N.Value was given without its Tag.N.Key."


class InvalidParamterConflict(ApiError):
    code, status = "InvalidParamter.Conflict", 403
    template = "The specified SecurityGroupId should be different from the {side}GroupId."


class InvalidPasswordMalformed(ApiError):
    code, status = "InvalidPassword.Malformed", 400
    template = 'The specified parameter "Password" is not valid.'


class InvalidPasswordParamMismatch(ApiError):
    code, status = "InvalidPasswordParam.Mismatch", 400
    template = "The input password should be null when passwdInherit is true."


class InvalidPerformanceLevelMalformed(ApiError):
    code, status = "InvalidPerformanceLevel.Malformed", 400
    template = 'The specified parameter "PerformanceLevel" is not valid.'


class InvalidPolicyMalformed(ApiError):
    code, status = "InvalidPolicy.Malformed", 400
    template = 'The specified parameter "Policy" is not valid.'


class InvalidPrefixListIdNotFound(ApiError):
    code, status = "InvalidPrefixListId.NotFound", 404
    template = "The specified prefix list was not found."


class InvalidPriorityMalformed(ApiError):
    code, status = "InvalidPriority.Malformed", 400
    template = "The parameter Priority is invalid."


class InvalidPriorityValueNotSupported(ApiError):
    code, status = "InvalidPriority.ValueNotSupported", 400
    template = "The parameter Priority is invalid."


class InvalidPrivateIpAddress(ApiError):
    code, status = "InvalidPrivateIpAddress", 400
    template = "Specified private IP address is not in the CIDR block of virtual switch."


class InvalidPrivateIpAddressDuplicated(ApiError):
    code, status = "InvalidPrivateIpAddress.Duplicated", 400
    template = "Specified private IP address is duplicated."


class InvalidPrivateIpAddressMalformed(ApiError):
    code, status = "InvalidPrivateIpAddress.Malformed", 400
    template = "Specified private IP address is malformed."


class InvalidRegionId(ApiError):
    code, status = "Invalid.RegionId", 404
    template = "The specified RegionId is not valid."


class InvalidResourceIdNotFound(ApiError):
    code, status = "InvalidResourceId.NotFound", 404
    template = "The specified ResourceIds are not found in our records."


class InvalidResourceTypeNotFound(ApiError):
    code, status = "InvalidResourceType.NotFound", 404
    template = "The specified ResourceType is not found."


class InvalidRuleDescription(ApiError):
    code, status = "InvalidSecurityGroupDiscription.Malformed", 400
    template = "The specified security group rule description is not valid."


class InvalidSecurityGroupDescriptionMalformed(MalformedParameter):
    code = "InvalidSecurityGroupDiscription.Malformed"


class InvalidSecurityGroupIdMultiGroupType(ApiError):
    code, status = "InvalidSecurityGroupId.MultiGroupType", 400
    template = "Basic and advanced security groups cannot be used together."


class InvalidSecurityGroupIdNotFound(ApiError):
    code, status = "InvalidSecurityGroupId.NotFound", 404
    template = "The specified SecurityGroupId does not exist."


class InvalidSecurityGroupIdNotInSameVpc(ApiError):
    code, status = "InvalidSecurityGroupId.NotInSameVpc", 400
    template = "The specified security groups are not in the same VPC."


class InvalidSecurityGroupNameMalformed(MalformedParameter):
    code = "InvalidSecurityGroupName.Malformed"


class InvalidSecurityGroupTypeNotSupported(ApiError):
    code, status = "InvalidSecurityGroupType.NotSupported", 400
    template = 'The specified parameter "SecurityGroupType" is not valid.'


class InvalidSizeValueNotSupported(ApiError):
    code, status = "InvalidSize.ValueNotSupported", 400
    template = 'The specified parameter "Size" is not valid.'


class InvalidSnapshotIdNotFound(ApiError):
    code, status = "InvalidSnapshotId.NotFound", 404
    template = "The specified SnapshotId does not exist."


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


class InvalidSpotPrepaid(ApiError):
    code, status = "InvalidSpotPrepaid", 400
    template = "The specified Spot type is not support PrePay Instance."


class InvalidSpotStrategy(ApiError):
    code, status = "InvalidSpotStrategy", 400
    template = "The specified SpotStrategy is not valid."


class InvalidSpotStrategyValue(ApiError):
    code, status = "Invalid.SpotStrategy", 404
    template = "The specified SpotStrategy is not valid."


class InvalidStatusNotFound(ApiError):
    code, status = "InvalidStatus.NotFound", 404
    template = "The specified Status is not found."


class InvalidStatusValueNotSupported(ApiError):
    code, status = "InvalidStatus.ValueNotSupported", 400
    template = "The specified disk status is not supported."


class InvalidSystemDiskCategoryValueNotSupported(ApiError):
    code, status = "InvalidSystemDiskCategory.ValueNotSupported", 400
    template = 'The specified parameter "SystemDisk.Category" is not valid.'


class InvalidSystemDiskSizeLessThanImageSize(ApiError):
    code, status = "InvalidSystemDiskSize.LessThanImageSize", 404
    template = "The specified parameter SystemDisk.Size is less than the image size."


class InvalidSystemDiskSizeLessThanMinSize(ApiError):
    code, status = "InvalidSystemDiskSize.LessThanMinSize", 404
    template = "The specified parameter SystemDisk.Size is less than the min size."


class InvalidSystemDiskSizeMoreThanMaxSize(ApiError):
    code, status = "InvalidSystemDiskSize.MoreThanMaxSize", 404
    template = "The specified parameter SystemDisk.Size is more than the max size."


class InvalidSystemDiskSizeValueNotSupported(ApiError):
    code, status = "InvalidSystemDiskSize.ValueNotSupported", 400
    template = 'The specified parameter "SystemDisk.Size" is not valid.'


class InvalidTagCount(ApiError):
    code, status = "InvalidTagCount", 400
    template = "The specified tags are beyond the permitted range."


class InvalidUsage(ApiError):
    code, status = "InvalidUsage", 404
    template = 'The specified parameter "Usage" is not valid.'


class InvalidUserDataBase64FormatInvalid(ApiError):
    code, status = "InvalidUserData.Base64FormatInvalid", 400
    template = "The specified UserData is not valid."


class InvalidUserDataSizeExceeded(ApiError):
    code, status = "InvalidUserData.SizeExceeded", 400
    template = 'The specified parameter "UserData" exceeds the size.'


class InvalidVSwitchIdNotFound(ApiError):
    code, status = "InvalidVSwitchId.NotFound", 404
    template = "Specified virtual switch does not exist."


class InvalidVpcIdNotFound(ApiError):
    code, status = "InvalidVpcId.NotFound", 404
    template = "The specified VpcId does not exist."


class InvalidZoneIdNotFound(ApiError):
    code, status = "InvalidZoneId.NotFound", 404
    template = "The specified ZoneId does not exist."


class IpProtocolPortRangeMismatch(ApiError):
    code, status = "OperationDenied", 400
    template = "The specified IpProtocol does not exist or IpProtocol and PortRange do not match."


class MissingParameterDest(ApiError):
    code, status = "MissingParameter.Dest", 400
    template = "One of the parameters DestCidrIp, DestGroupId or DestPrefixListId must be specified."


class MissingParameterResourceType(ApiError):
    code, status = "MissingParameter.ResourceType", 404
    template = 'The input parameter "ResourceType" that is mandatory for processing this request is not supplied.'


class MissingParameterSource(ApiError):
    code, status = "MissingParameter.Source", 400
    template = "One of the parameters SourceCidrIp, SourceGroupId or SourcePrefixListId must be specified."


class MissingParameterTags(ApiError):
    code, status = "MissingParameter.Tags", 404
    template = 'The input parameter "Tag" that is mandatory for processing this request is not supplied.'


class MissingSnapshotIdOrSize(ApiError):
    code, status = "MissingParameter", 400
    template = "The input parameter either SnapshotId or Size should be specified."


class NewSizeAboveMax(ApiError):
    code, status = "InvalidParameter", 403
    template = 'The specified parameter "NewSize" is not valid: at most {high} GiB for {category}.'


class NoAttributeToModify(ApiError):
    code, status = "NoAttributeToModify", 400
    template = "No attribute to be modified in this request."


class NumberExceedResourceIds(ApiError):
    code, status = "NumberExceed.ResourceIds", 400
    template = "The maximum number of ResourceIds is exceeded. Valid : {limit}"


class NumberExceedTags(ApiError):
    code, status = "NumberExceed.Tags", 400
    template = "The maximum number of {what} is exceeded. Valid : {limit}"


class OperationDeniedNoStock(ApiError):
    code, status = "OperationDenied.NoStock", 403
    template = (
        "The resource is out of stock in the specified zone. Please try other types, or choose other regions "
        "and zones."
    )


class OperationDeniedQuotaExceed(ApiError):
    code, status = "OperationDenied.QuotaExceed", 400
    template = "The quota of tags on resource is beyond permitted range."


class OperationDeniedZoneNotAllowed(ApiError):
    code, status = "OperationDenied.ZoneNotAllowed", 403
    template = "The specified zone is not allowed for the account."


class QuotaExceedAfterpayInstance(ApiError):
    code, status = "QuotaExceed.AfterpayInstance", 400
    template = "The maximum number of Pay-As-You-Go instances is exceeded."


class QuotaExceedPublicIp(ApiError):
    code, status = "QuotaExceed.PublicIp", 403
    template = "The public IP address pool is exhausted."


class QuotaExceedSecurityGroup(ApiError):
    code, status = "QuotaExceed.SecurityGroup", 403
    template = "The maximum number of security groups is reached."


class QuotaExceededPrivateIpAddress(ApiError):
    code, status = "QuotaExceeded.PrivateIpAddress", 400
    template = "Don't have enough private IPs in this switch"


class ResourcesNotInSameZone(ApiError):
    code, status = "ResourcesNotInSameZone", 403
    template = "The specified instance and disk are not in the same zone."


class SecurityGroupInUse(ApiError):
    code, status = "DependencyViolation", 403
    template = "There is still instance(s) in the specified security group."


class SecurityGroupReferenced(ApiError):
    code, status = "DependencyViolation", 403
    template = "The specified security group has been authorized in another one."


class SecurityGroupVSwitchMismatch(ApiError):
    code, status = "InvalidParameter.Mismatch", 400
    template = "Specified security group and virtual switch are not in the same VPC."


class TagWithTagFilter(ApiError):
    code, status = "InvalidParameter", 400
    template = "Tag.N and TagFilter.N cannot be used together."


class TooManyInstanceIds(ApiError):
    code, status = "InvalidParameter", 400
    template = 'The specified parameter "InstanceId.N" is not valid: at most 100 instances.'


class VSwitchZoneMismatch(ApiError):
    code, status = "InvalidParameter.Mismatch", 400
    template = "Specified virtual switch is not in the specified zone."


class ZoneIdWithInstanceId(ApiError):
    code, status = "InvalidParameter", 400
    template = "ZoneId and InstanceId cannot be specified at the same time."
