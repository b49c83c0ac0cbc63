"""VPC product of localcloud (version 2016-04-28)."""
from . import responses, tagging  # noqa: F401  (registers the actions)
