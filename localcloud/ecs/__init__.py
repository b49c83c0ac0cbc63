"""ECS product of localcloud (version 2014-05-26): importing the response modules registers their actions."""

from .models import lifecycle
from .responses import (
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
