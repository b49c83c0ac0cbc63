"""ECS responses: wire parameters in, JSON answers out; one module per resource."""
