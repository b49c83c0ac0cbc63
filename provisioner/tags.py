"""The tag keys the provisioner writes on (and reads from) cloud resources, and the roles: the one place
they are spelled (CHOICES.md "Identity tags"; the steps build and check the tags in steps/common.py).

Every resource gets TAG_STACK, TAG_ROLE and TAG_MANAGED_BY at creation; finds filter on all three and
nothing without both stack tags is changed or deleted. A role is the value of TAG_ROLE and also the key
under which the state file holds the resource's ids (state.py)."""

from __future__ import annotations

TAG_STACK = "fleet:stack"  # the stack's name
TAG_ROLE = "fleet:role"  # one of the roles below
TAG_MANAGED_BY = "managed-by"  # the tool's name (provisioner.TOOL)
TAG_DATA_DISK = "fleet:data-disk"  # DATA_DISK_HOLDER on the instance whose user data mounts the data disk
TAG_TEMPLATE = "fleet:template"  # an instance's template digest (template.py)

IDENTITY_TAGS = (TAG_STACK, TAG_ROLE, TAG_MANAGED_BY)  # every resource's, from its creation
DATA_DISK_HOLDER = "yes"  # the value of TAG_DATA_DISK

# Roles (the value of TAG_ROLE, also the state's keys).
VPC = "vpc"
VSWITCH = "vswitch"
SECURITY_GROUP = "security-group"
INSTANCE = "instance"
DATA_DISK = "data-disk"
LOAD_BALANCER = "load-balancer"
LISTENER = "listener"
VSERVER_GROUP = "vserver-group"  # tagged like the others; the state holds it apart (steps/server_group.py)
