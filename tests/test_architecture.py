"""The dependency rules of docs/architecture.md hold, counting every import statement
(those inside functions too)."""

from __future__ import annotations

import subprocess
import sys
from itertools import permutations
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent


def package_circles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Groups of ``package``'s children that import each other in a circle (each child
    standing for everything below it), found as the strongly connected components of more
    than one child."""
    children = sorted(graph.find_children(package))
    edges = {child: set() for child in children}
    for importer, imported in permutations(children, 2):
        if graph.direct_import_exists(importer=importer, imported=imported, as_packages=True):
            edges[importer].add(imported)
    circles, index, low, stack, on_stack = [], {}, {}, [], set()

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in edges[node]:
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for child in children:
        if child not in index:
            visit(child)
    return circles


def test_no_package_or_module_imports_its_siblings_in_a_circle() -> None:
    graph = grimp.build_graph("awards", cache_dir=None)
    packages = [m for m in sorted(graph.modules) if graph.find_children(m)]
    circles = {p: c for p in packages if (c := package_circles(graph, p))}
    assert circles == {}


def test_a_circle_is_found_when_there_is_one() -> None:
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.c.x"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.c.x")
    graph.add_import(importer="pkg.c.x", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    assert package_circles(graph, "pkg") == [["pkg.a", "pkg.b", "pkg.c"]]


def test_import_contracts_are_kept() -> None:
    """The layers and the purity of scoring, as written in .importlinter."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout
