"""ecs product of localcloud."""
