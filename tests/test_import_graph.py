"""The package's modules import one another one way only: no import cycle, at any depth.

Every import counts, including those inside functions (a deferred import still ties two
modules together); only ``if TYPE_CHECKING:`` blocks are left out, as they never run.
Relative imports are resolved, and ``from pkg import module`` is an edge to that module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import sports_analytics

PACKAGE_DIR = Path(sports_analytics.__file__).parent

Graph = dict[str, set[str]]


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Dotted name -> file, for every ``.py`` file under ``root`` (the package ``package``)."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join([package, *parts])] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement under ``node``, skipping the body of ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield from _imports_of(other)
            continue
        yield from _imports_of(child)


def _imports_of(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        yield from _imports(node)


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The most specific module of ``name`` in the package (``a.b.C`` -> ``a.b``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _targets(stmt: ast.Import | ast.ImportFrom, importer: str, is_package: bool,
             modules: dict[str, Path]) -> Iterator[str]:
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            found = _known(alias.name, modules)
            if found:
                yield found
        return
    base = stmt.module or ""
    if stmt.level:
        anchor = importer if is_package else importer.rpartition(".")[0]
        for _ in range(stmt.level - 1):
            anchor = anchor.rpartition(".")[0]
        base = f"{anchor}.{base}" if base else anchor
    for alias in stmt.names:
        found = _known(f"{base}.{alias.name}", modules) if alias.name != "*" else None
        if found != f"{base}.{alias.name}":  # a name defined in ``base``, not a submodule
            found = _known(base, modules)
        if found:
            yield found


def import_graph(root: Path, package: str) -> Graph:
    """Module -> the package modules it imports (itself excluded)."""
    modules = module_names(root, package)
    graph: Graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        graph[name] = {target for stmt in _imports(tree)
                       for target in _targets(stmt, name, is_package, modules)} - {name}
    return graph


def find_cycles(graph: Graph) -> list[list[str]]:
    """One cycle (a closed path of imports) per strongly connected group of modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_cycle_in(graph, group) for group in groups]


def _cycle_in(graph: Graph, group: set[str]) -> list[str]:
    """A shortest closed path through the group's first module, ``[a, b, ..., a]``."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & group):
                if w == start:
                    return [*paths[v], start]
                if w not in paths:
                    paths[w] = [*paths[v], w]
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no cycle through {start}")  # a strongly connected group has one


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph(PACKAGE_DIR, "sports_analytics")
    cycles = find_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = import_graph(PACKAGE_DIR, "sports_analytics")
    assert len(graph) > 80
    # absolute, ``from package import module``, and function-level imports all count
    assert "sports_analytics.ingest.store.write" in graph["sports_analytics.ingest.nba.sync"]
    assert "sports_analytics.ingest.csv.game_log" in graph["sports_analytics.ingest.csv.players"]
    assert "sports_analytics.ingest.csv.catchup" in graph["sports_analytics.ingest.refresh"]


def _write_package(root: Path, files: dict[str, str]) -> Path:
    pkg = root / "pkg"
    for rel, source in files.items():
        path = pkg / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return pkg


def test_a_cycle_is_found_and_named(tmp_path: Path) -> None:
    pkg = _write_package(tmp_path, {
        "__init__.py": "",
        "a.py": "def f():\n    from . import b\n    return b\n",  # function-level, relative
        "sub/__init__.py": "",
        "sub/c.py": "from ..a import f\n",
        "b.py": "import os\nfrom pkg.sub import c\n",  # ``from package import module``
        "d.py": "import pkg.a\n",  # imports into the cycle, is not part of it
    })
    cycles = find_cycles(import_graph(pkg, "pkg"))
    assert cycles == [["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]]


def test_type_checking_imports_are_not_edges(tmp_path: Path) -> None:
    pkg = _write_package(tmp_path, {
        "__init__.py": "",
        "a.py": "from pkg.b import B\n",
        "b.py": ("from typing import TYPE_CHECKING\n"
                 "if TYPE_CHECKING:\n    from pkg.a import A\n"
                 "else:\n    import json\n"
                 "class B: ...\n"),
    })
    graph = import_graph(pkg, "pkg")
    assert graph == {"pkg": set(), "pkg.a": {"pkg.b"}, "pkg.b": set()}
    assert find_cycles(graph) == []
    # the same import outside the guard closes the loop
    (pkg / "b.py").write_text("from pkg.a import A\nclass B: ...\n", encoding="utf-8")
    assert find_cycles(import_graph(pkg, "pkg")) == [["pkg.a", "pkg.b", "pkg.a"]]
