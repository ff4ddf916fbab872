"""DOT rendering of a MaseGraph (text always; images through pydot + Graphviz)."""

from __future__ import annotations

import logging
from pathlib import Path

from carve.fileio import atomic_write

logger = logging.getLogger("carve.ir")

_COLORS = {
    "placeholder": "#d9ead3",
    "output": "#d9ead3",
    "get_attr": "#fff2cc",
    "module": "#cfe2f3",
    "module_related_func": "#c9daf8",
    "builtin_func": "#f4cccc",
    "implicit_func": "#eeeeee",
}


_SHORT = {"data_in_0": "in", "data_in_1": "in1", "weight": "w", "bias": "b", "data_out_0": "out"}


def _formats(common: dict) -> list[str]:
    """``in, w, b: integer [8, 4]``: each quantized operand's format and widths, grouped."""
    entries = {**common.get("args", {}), **common.get("results", {})}
    groups: dict[str, list[str]] = {}
    for key, entry in entries.items():
        if not isinstance(entry, dict) or entry.get("type") in (None, "float", "NA"):
            continue
        text = f"{entry['type']} {entry.get('precision', '')}".strip()
        groups.setdefault(text, []).append(_SHORT.get(key, key))
    return [f"{', '.join(names)}: {text}" for text, names in groups.items()]


def _boxes(graph) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """``(name, label, colour)`` per node and ``(source, target)`` per edge."""
    boxes = []
    for node in graph.nodes:
        meta = node.meta.get("mase")
        common = meta.parameters["common"] if meta is not None else {}
        label = [node.name, node.op]
        if common.get("mase_op"):
            label.append(f"{common['mase_type']}: {common['mase_op']}")
        shape = common.get("results", {}).get("data_out_0", {}).get("shape")
        if shape is not None:
            label.append(f"out {shape}")
        formats = _formats(common)
        label += formats
        color = "#fce5cd" if formats else _COLORS.get(common.get("mase_type", node.op), "#ffffff")
        boxes.append((node.name, "\\n".join(str(p).replace('"', "'") for p in label), color))
    edges = [(node.name, user.name) for node in graph.nodes for user in node.users]
    return boxes, edges


def to_dot(graph) -> str:
    """The DOT source of ``graph``: one box per node (name, op, mase op, output shape, and
    for quantized nodes each operand's format and widths, on an orange box)."""
    boxes, edges = _boxes(graph)
    lines = ["digraph mase_graph {", '  node [shape=box, style=filled, fontname="Helvetica"];']
    lines += [f'  "{name}" [label="{label}", fillcolor="{color}"];' for name, label, color in boxes]
    lines += [f'  "{source}" -> "{target}";' for source, target in edges]
    return "\n".join([*lines, "}"]) + "\n"


def _pydot_graph(graph):
    """The same drawing as a pydot graph (built directly: pydot's DOT parser is not needed)."""
    import pydot

    dot = pydot.Dot("mase_graph", graph_type="digraph")
    dot.set_node_defaults(shape="box", style="filled", fontname="Helvetica")
    boxes, edges = _boxes(graph)
    for name, label, color in boxes:
        dot.add_node(pydot.Node(f'"{name}"', label=f'"{label}"', fillcolor=f'"{color}"'))
    for source, target in edges:
        dot.add_edge(pydot.Edge(f'"{source}"', f'"{target}"'))
    return dot


def _write_atomic(path: Path, data: bytes) -> None:
    atomic_write(path, lambda stream: stream.write(data))


def render(graph, path: Path) -> Path:
    """Write ``path``; returns what was written (the ``.dot`` file when Graphviz is missing)."""
    source = to_dot(graph)
    fmt = path.suffix.lstrip(".").lower() or "svg"
    if fmt in ("dot", "gv"):
        _write_atomic(path, source.encode())
        return path
    if graphviz_available():
        _write_atomic(path, _pydot_graph(graph).create(format=fmt))
        return path
    dot_path = path.with_suffix(".dot")
    _write_atomic(dot_path, source.encode())
    message = (
        f"Graphviz is not available (needs pydot and the 'dot' program); wrote the DOT "
        f"source to {dot_path}. Render it with: dot -T{fmt} {dot_path} -o {path}"
    )
    logger.warning(message)
    return dot_path


def graphviz_available() -> bool:
    """True when pydot is installed and Graphviz's ``dot`` is on PATH."""
    try:
        import pydot  # noqa: F401
    except ImportError:
        return False
    import shutil

    return shutil.which("dot") is not None
