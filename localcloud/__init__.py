"""localcloud: a local emulator of the Alibaba Cloud ECS, VPC and SLB OpenAPIs for the official SDKs."""

__version__ = "0.1.0"
