"""The import graph of a package, read from its source (imports inside functions included), and its cycles."""

from __future__ import annotations

import ast
from pathlib import Path


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Every module of the package under ``root`` by dotted name (``aecore.runs.store``); packages by their name."""
    names = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """module -> the modules of the same package it imports, anywhere in its body."""
    modules = module_names(root, package)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    targets.add(submodule if submodule in modules else node.module)
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def group_of(module: str) -> str:
    """``aecore.runs.store`` -> ``runs``; a top-level module is its own group (``errors``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def group_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The same imports between subpackages (and top-level modules): an edge where any module imports another's."""
    groups: dict[str, set[str]] = {}
    for module, targets in graph.items():
        groups.setdefault(group_of(module), set()).update(
            group_of(target) for target in targets if group_of(target) != group_of(module)
        )
    return groups


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that comes back to its start, or None: depth-first, colours by state."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None
