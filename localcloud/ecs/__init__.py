"""ECS product of localcloud (version 2014-05-26): importing the modules registers their actions."""
from . import (catalog_api, console_output, disk_resize, disks, instances, lifecycle, power,  # noqa: F401
               security_groups, tagging)
