"""`python -m bench [emulator|provisioner|rollout|serving|modelserver|all]`: print the project's figures."""

from __future__ import annotations

import importlib
import sys

SECTIONS = ["emulator", "provisioner", "rollout", "serving", "modelserver"]


def main(argv: list[str]) -> int:
    wanted = argv or ["all"]
    names = SECTIONS if "all" in wanted else wanted
    for name in names:
        if name not in SECTIONS:
            print(f"unknown benchmark section {name!r}; choose from {', '.join(SECTIONS)} or all", file=sys.stderr)
            return 2
    for name in names:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as err:
            print(f"[{name}] not available: {err}")
            continue
        print(f"\n== {name} ==")
        module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
