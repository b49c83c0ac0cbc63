"""SLB / Classic Load Balancer product of localcloud (version 2014-05-15)."""
from . import (backend_responses, control, internet_spec, lb_responses, listener_responses, tagging,  # noqa: F401
               vserver_group_responses)  # (importing registers the actions)
