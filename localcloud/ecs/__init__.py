"""ECS product of localcloud (version 2014-05-26): importing the response modules registers their actions."""
from .responses import (catalog, console_output, disk_resize, disks, events, instances, power,  # noqa: F401
                        prefix_lists, security_groups, tags)
from .models import lifecycle  # noqa: F401  (registers the instance release handler)
