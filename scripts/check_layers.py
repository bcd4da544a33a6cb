"""Checks the floor plan: which top-level package may import which (README.md, "Architecture").

Every import in the project's packages (function-level and type-only imports included) is read
from the source. A package may import the packages below it in LAYERS and nothing above it, so
there can be no cycle between packages either. Exits 1 and lists each offending import otherwise.

    python scripts/check_layers.py
"""
from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. `core` is the kernel: it imports no other package of the project.
LAYERS = ["core", "realtime", "presence", "notifications", "chat", "workers", "web", "config"]


def imported_packages(path: Path) -> Iterator[tuple[int, str]]:
    """(line, top-level package) for every import of a project package in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            package = name.split(".")[0]
            if package in LAYERS:
                yield node.lineno, package


def violations() -> list[str]:
    found = []
    for package in LAYERS:
        allowed = set(LAYERS[: LAYERS.index(package) + 1])
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, imported in imported_packages(path):
                if imported not in allowed:
                    found.append(f"{path.relative_to(ROOT)}:{line}: {package} imports {imported}, a higher layer")
    return found


def main() -> int:
    found = violations()
    for violation in found:
        print(violation)
    print(f"{len(found)} imports against the layers {' < '.join(LAYERS)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
