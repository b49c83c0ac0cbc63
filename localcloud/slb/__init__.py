"""slb product of localcloud."""
