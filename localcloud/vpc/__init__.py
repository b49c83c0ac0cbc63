"""VPC product of localcloud (version 2016-04-28)."""

from .responses import tags, vpcs, vswitches
