"""ECS product of localcloud (version 2014-05-26): importing the modules registers their actions."""
from . import catalog_api, disks, instances, lifecycle, power, security_groups, tagging  # noqa: F401
