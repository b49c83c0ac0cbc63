"""VPC state and logic: VPCs, vSwitches, CIDR rules and tags, with typed arguments."""
