"""Print the import circles in frontcounter/ and the modules over 500 lines.

Stdlib only: ``python scripts/layout_report.py``. Exits 1 when there is any import circle.
Every import counts, module-level or inside a function; relative imports are resolved.
The generated Qt resource module (resources_rc.py) is left out of the line count.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "frontcounter"
LINE_LIMIT = 500
GENERATED = {"resources_rc.py"}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def discover(root: Path = ROOT, package: str = PACKAGE) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}


def _resolve(current: str, is_package: bool, level: int, target: str | None) -> str:
    base = current.split(".") if is_package else current.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, target] if target else base)


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules that ``name`` imports anywhere in its body."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def add(candidate: str) -> None:
        # "a.b.c" may name a module or an attribute of module "a.b": take the longest module.
        while candidate:
            if candidate in modules:
                if candidate != name:
                    found.add(candidate)
                return
            candidate = candidate.rpartition(".")[0]

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            source = (
                _resolve(name, is_package, node.level, node.module) if node.level else (node.module or "")
            )
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if full in modules:
                    add(full)
                else:
                    add(source)
    return found


def import_graph(root: Path = ROOT, package: str = PACKAGE) -> dict[str, set[str]]:
    modules = discover(root, package)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected component of more than one module (Tarjan), as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    sys.setrecursionlimit(max(10000, sys.getrecursionlimit()))

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def cycle_path(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One concrete circle through the component's first module, e.g. a -> b -> a."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    return component


def long_modules(root: Path = ROOT, package: str = PACKAGE, limit: int = LINE_LIMIT) -> list[tuple[int, str]]:
    rows = []
    for path in discover(root, package).values():
        if path.name in GENERATED:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            rows.append((lines, str(path.relative_to(root))))
    return sorted(rows, reverse=True)


def main() -> int:
    graph = import_graph()
    circles = cycles(graph)
    print(f"Import circles in {PACKAGE}/: {len(circles)}")
    for component in circles:
        print(f"  [{len(component)} modules] " + ", ".join(component))
        print("    e.g. " + " -> ".join(cycle_path(graph, component)))
    rows = long_modules()
    print(f"Modules over {LINE_LIMIT} lines (generated resources_rc.py excluded): {len(rows)}")
    for lines, path in rows:
        print(f"  {lines:5d}  {path}")
    return 1 if circles else 0


if __name__ == "__main__":
    sys.exit(main())
