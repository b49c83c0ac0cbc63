"""ECS models: the state and logic of each resource, with typed arguments."""
