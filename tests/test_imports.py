"""The packages under ``service/`` import each other in one direction only.

A cycle between two packages means some knowledge lives in the wrong one: each package then
needs the other to be understood, changed or tested. The graph is built from the source with
``ast`` (not by importing), so imports inside functions count as much as those at the top.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

SERVICE = Path(__file__).resolve().parents[1] / "service"


def _node(dotted: str) -> str | None:
    """The graph node of ``service.x.y``: the top-level package or root module ``x``."""
    parts = dotted.split(".")
    if parts[0] != "service" or len(parts) < 2:
        return None
    return parts[1]


def _module_name(path: Path) -> str:
    parts = path.relative_to(SERVICE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, package: str) -> Iterator[str]:
    """Every module ``source`` imports, anywhere in it; ``package`` resolves relative imports."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            # ``from service import scoring`` names the package in the alias, not the module;
            # ``from service import __version__`` names a value of the root package.
            if target == "service":
                for alias in node.names:
                    if (SERVICE / alias.name).is_dir() or (SERVICE / f"{alias.name}.py").is_file():
                        yield f"service.{alias.name}"


def package_graph() -> dict[str, set[str]]:
    """Edges ``a -> b`` when a module of ``a`` imports a module of ``b`` (``a != b``)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(SERVICE.rglob("*.py")):
        source = _node(_module_name(path))
        if source is None:  # service/__init__.py
            continue
        edges = graph.setdefault(source, set())
        module = _module_name(path)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        source_text = path.read_text(encoding="utf-8")
        for target in map(_node, imported_modules(source_text, package)):
            if target is not None and target != source:
                edges.add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as ``[a, b, ..., a]``, or None when the graph is acyclic."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_the_graph_reads_the_real_tree() -> None:
    graph = package_graph()
    # Spot checks that the parser reads the real tree: the API router includes domain routers.
    assert {"auth", "visits", "reports"} <= graph["api"]
    assert "db" in graph["visits"]
    assert "__version__" not in graph["health"]  # a value of ``service/__init__.py``


def test_the_visit_lifecycle_sits_above_what_it_gates() -> None:
    """Submit needs the answers and photos gates and scoring, so visits imports them; they
    are handed the visit (see docs/architecture.md) and never import visits back."""
    graph = package_graph()
    assert {"answers", "photos", "scoring"} <= graph["visits"]
    for below in ("answers", "photos", "scoring", "checklists"):
        assert "visits" not in graph[below], below


def test_imports_inside_functions_and_relative_ones_count() -> None:
    source = (
        "from service import scoring, __version__\n"
        "def f():\n"
        "    import service.photos.reads\n"
        "    from ..answers import service\n"
        "    from . import repository\n"
    )
    found = set(imported_modules(source, "service.visits"))
    assert found >= {
        "service.scoring",
        "service.photos.reads",
        "service.answers",
        "service.visits",
    }
    assert "service.__version__" not in found


def test_find_cycle_reports_the_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "d": {"a", "c"}}) is None


def test_packages_import_each_other_without_cycles() -> None:
    cycle = find_cycle(package_graph())
    assert cycle is None, "package import cycle: " + " -> ".join(cycle or [])


def _source_of(module: str) -> Path | None:
    base = SERVICE.parent.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def imports_reached(start: Path) -> set[str]:
    """Every module imported by ``start`` and, through ``service`` modules, by what it imports."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        path = todo.pop()
        module = _module_name(path)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = set(imported_modules(path.read_text(encoding="utf-8"), package))
        # ``from service.x import y`` may name a submodule ``y``.
        names |= {
            f"{node.module}.{alias.name}"
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and not node.level
            for alias in node.names
        }
        for name in names - seen:
            seen.add(name)
            found = _source_of(name) if name.startswith("service.") else None
            if found is not None:
                todo.append(found)
    return seen


def test_tables_import_no_web_framework() -> None:
    # Tables are used by the CLI, migrations and the demo generator as much as by the API, and
    # a column type sharing a module with route parameter types once pulled FastAPI into all.
    web = ("fastapi", "starlette")
    models = sorted(SERVICE.glob("*/models.py"))
    assert len(models) >= 5, "the glob no longer finds the tables"
    offenders = {
        f"{path.relative_to(SERVICE.parent)} reaches {module}"
        for path in models
        for module in imports_reached(path)
        if module.split(".")[0] in web
    }
    assert not offenders, sorted(offenders)
