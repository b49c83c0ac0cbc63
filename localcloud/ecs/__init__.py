"""ECS product of localcloud (version 2014-05-26): importing the response modules registers their actions."""
from .models import lifecycle  # noqa: F401  (registers the instance release handler)
from .responses import (  # noqa: F401
    catalog,
    console_output,
    disks,
    events,
    instances,
    power,
    prefix_lists,
    security_groups,
    tags,
)
