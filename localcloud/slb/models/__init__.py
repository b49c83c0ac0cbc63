"""SLB / CLB state and logic: load balancers, billing, listeners, backends, vServer groups and tags."""
