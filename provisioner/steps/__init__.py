"""One module per resource, each with the same verbs: find_*, ensure_*, delete_*, wait_*."""
