"""The layer order of ``src/carve``, top to bottom: the one place it is written down.

A layer imports only layers below it (at module level, inside functions, or by
a ``"carve.x:attr"`` string a registry imports later). Packages on one row are
peers and import neither each other; the bottom row holds single-file modules
that may import one another. Extension goes the other way through registries:
a higher layer registers entries in a lower layer's registry (see
:mod:`carve.catalog`). ``tests/test_layers.py`` reads :data:`LAYERS` and fails
on an upward or peer import and on any import cycle; docs/architecture.md shows
:func:`layers_markdown` (a test keeps the two equal).

>>> rank("cli") < rank("pipeline") < rank("passes") < rank("ir") < rank("errors")
True
"""

from __future__ import annotations

# (name under src/carve, what it holds), one tuple per row, top row first
LAYERS: tuple[tuple[tuple[str, str], ...], ...] = (
    (("carve", "the root package: version, lazy public names; registers carve.catalog"),
     ("__main__", "`python -m carve`")),
    (("cli", "one module per action: parses flags, prints"),
     ("catalog", "cross-layer entries: passes, models, load types registered from above")),
    (("compat", "MASE names, toy models, quantizer functions, `carve port`"),
     ("search", "spaces, strategies, runners, metrics, storage; may export a candidate")),
    (("export", "exporters (ONNX QDQ, QONNX, hls4ml, Verilog) and parity"),),
    (("study", "hyper-parameter studies: runs, tables, plots"),
     ("hardware", "RTL emission, simulators, yosys estimates, hardware cost model")),
    (("pipeline", "build graph -> run passes -> evaluate -> save; saved graphs, QAT, training"),),
    (("train", "engine, ensemble, optimizers, records, checkpoints"),
     ("passes", "analysis, transforms, interface; the pass catalog and needs")),
    (("ir", "MaseGraph, tracer, metadata, op tables"),
     ("quant", "formats, NodeQuantConfig, quantized layers")),
    (("models", "model registry, builders, load_model"),
     ("config", "CarveConfig, TOML tables, precedence")),
    (("data", "dataset registry, JSC readers, batches"),),
    (("errors", "CarveError, unknown-name messages"),
     ("registry", "name -> entry registries, lazy entries"),
     ("vocabulary", "MASE keys and flags carve accepts (data)"),
     ("mase_scope", "MASE material out of carve's scope (data)"),
     ("fileio", "atomic writes"),
     ("figures", "figures written to files (matplotlib, headless)"),
     ("logs", "log output"),
     ("digest", "content hashes"),
     ("locking", "folder locks"),
     ("runs", "versioned run folders"),
     ("version", "carve's version"),
     ("layers", "this order"),
     ("schema", "the schema system for user tables (pydantic)")),
)  # fmt: skip

BASE_ROW = len(LAYERS) - 1  # modules on the bottom row may import one another


def rank(name: str) -> int:
    """Row of top-level package or module ``name`` (0 = top); a KeyError when not placed."""
    for row, members in enumerate(LAYERS):
        if any(member == name for member, _ in members):
            return row
    raise KeyError(f"{name!r} has no place in carve.layers.LAYERS")


def layers_markdown() -> str:
    """The table docs/architecture.md shows: one line per row, top first."""
    lines = ["| row | layer | holds |", "|---|---|---|"]
    for row, members in enumerate(LAYERS):
        for name, holds in members:
            shown = "`carve` (root)" if name == "carve" else f"`{name}`"
            lines.append(f"| {row} | {shown} | {holds} |")
    return "\n".join(lines) + "\n"
