"""Direct-SDK provisioner of a model-serving stack on Alibaba Cloud: VPC, vSwitch, security group, ECS
instances, data disks and an SLB, idempotent and crash-safe, against localcloud or the real cloud."""

TOOL = "fleet-provisioner"
__version__ = "0.1.0"
