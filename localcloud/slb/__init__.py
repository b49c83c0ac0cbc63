"""SLB / Classic Load Balancer product of localcloud (version 2014-05-15)."""
from . import backend_responses, control, lb_responses, listener_responses, tagging  # noqa: F401  (registers the actions)
