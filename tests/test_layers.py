"""The layer order of carve.layers holds: no import runs up or across it, and no import cycle.

Imports are read with ``ast`` from every module under src/carve: ``import`` and
``from ... import`` statements anywhere (module level, inside functions,
relative ones), and strings that name a carve module (``"carve.x.y"`` or a lazy
registry entry ``"carve.x.y:attr"``), which ``importlib`` imports later. Logger
names (``getLogger("carve.search")``) are names, not imports. Imports under
``if TYPE_CHECKING:`` count for the layer order (they couple the layers) but not
for cycles (they never run).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from carve.layers import BASE_ROW, layers_markdown, rank

SRC = Path(__file__).resolve().parents[1] / "src" / "carve"
DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
MODULE_STRING = re.compile(r"(carve(?:\.\w+)+)(:\w+)?")


def module_files(root: Path = SRC) -> dict[str, Path]:
    """Dotted module name -> file, packages by their ``__init__``."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, bool]]:
    """``(imported module, runs)`` for every import of module ``name``; ``runs`` is False
    for an import under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    typing_only = _type_checking_lines(tree)
    loggers = {id(arg) for node in ast.walk(tree) if isinstance(node, ast.Call)
               and getattr(node.func, "attr", getattr(node.func, "id", "")) in
               ("getLogger", "get_logger") for arg in node.args}  # fmt: skip
    found = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:  # a submodule, else a name defined in the module
                sub = f"{base}.{alias.name}"
                targets.append(sub if sub in modules else base)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = MODULE_STRING.fullmatch(node.value)
            if match and id(node) not in loggers and (match[2] or match[1] in modules):
                targets = [match[1]]
        for target in targets:
            if target == "carve" or target.startswith("carve."):
                while target not in modules:  # carve.x.attr -> carve.x
                    target = target.rpartition(".")[0]
                if target != name:
                    found.append((target, node.lineno not in typing_only))
    return found


def unit(module: str) -> str:
    """The layer a module belongs to: its top-level package or module under carve."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "carve"


def import_graph(modules: dict[str, Path]) -> dict[str, list[tuple[str, bool]]]:
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def layer_violations(graph: dict[str, list[tuple[str, bool]]]) -> list[str]:
    bad = []
    for module, imported in sorted(graph.items()):
        for target, _ in imported:
            here, there = unit(module), unit(target)
            if here == there:
                continue
            if rank(there) < rank(here) or (rank(there) == rank(here) != BASE_ROW):
                bad.append(f"{module} (row {rank(here)}) imports {target} (row {rank(there)})")
    return sorted(set(bad))


def import_cycles(graph: dict[str, list[tuple[str, bool]]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), over imports that run."""
    edges = {m: sorted({t for t, runs in imported if runs}) for m, imported in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return cycles


@pytest.fixture(scope="module")
def graph():
    return import_graph(module_files())


def test_every_package_and_module_has_a_place():
    names = {path.stem if path.suffix else path.name for path in SRC.iterdir()
             if (path.suffix == ".py" and path.stem != "__init__")
             or (path.is_dir() and (path / "__init__.py").exists())}  # fmt: skip
    unplaced = []
    for name in sorted(names):
        try:
            rank(name)
        except KeyError:
            unplaced.append(name)
    assert not unplaced, f"add these to carve.layers.LAYERS: {unplaced}"


def test_no_import_runs_up_or_across_the_layers(graph):
    assert layer_violations(graph) == []


def test_no_import_cycles(graph):
    assert import_cycles(graph) == []


def test_architecture_doc_shows_the_layer_order():
    assert layers_markdown() in DOC.read_text(), (
        "docs/architecture.md must contain carve.layers.layers_markdown() verbatim"
    )


def test_the_checks_catch_upward_imports_strings_and_cycles(tmp_path):
    """The scanner sees each kind of import: the checks above can fail."""
    root = tmp_path / "carve"
    for folder in ("passes", "pipeline"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "errors.py").write_text("def f():\n    import carve.passes.run\n")  # lazy, upward
    (root / "passes" / "catalog.py").write_text('TARGET = "carve.pipeline.save:save_pass"\n')
    (root / "passes" / "run.py").write_text(
        "from ..errors import f\nimport logging\nlog = logging.getLogger('carve.pipeline')\n"
    )
    (root / "pipeline" / "save.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from carve.passes import run\n"
    )
    graph = import_graph(module_files(root))
    assert ("carve.pipeline.save", True) in graph["carve.passes.catalog"]
    assert graph["carve.passes.run"] == [("carve.errors", True)]  # a logger name is no import
    assert graph["carve.pipeline.save"] == [("carve.passes.run", False)]
    errors, passes, pipeline = rank("errors"), rank("passes"), rank("pipeline")
    assert layer_violations(graph) == [
        f"carve.errors (row {errors}) imports carve.passes.run (row {passes})",
        f"carve.passes.catalog (row {passes}) imports carve.pipeline.save (row {pipeline})",
    ]
    assert import_cycles(graph) == [["carve.errors", "carve.passes.run"]]
    (root / "passes" / "run.py").write_text("")
    assert import_cycles(import_graph(module_files(root))) == []
