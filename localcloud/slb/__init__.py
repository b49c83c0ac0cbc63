"""SLB / Classic Load Balancer product of localcloud (version 2014-05-15)."""

from .responses import (
    backends,
    control,
    listeners,
    load_balancers,
    tags,
    vserver_groups,
)
