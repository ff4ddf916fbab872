"""The ``chop`` -> carve import table: the one source of ``carve port`` and of docs/mase.md.

A MASE name is found by the name itself (MASE exported the same pass from
several packages: ``chop.passes``, ``chop.passes.graph``,
``chop.passes.graph.analysis``...), so :func:`carve_import` answers
"where does carve keep ``X``?" for every name MASE lab code and tests import.
Every pass comes from the pass registry (:data:`carve.passes.PASSES`: its catalog plus
the rows :mod:`carve.catalog` adds from above),
so a new pass is in the table as soon as it is registered there.

>>> carve_import("quantize_transform_pass"), carve_import("MaseGraph")
(('carve.passes', 'quantize_transform_pass'), ('carve.ir', 'MaseGraph'))
>>> carve_import("report")  # MASE's report subpackage
('carve.passes.analysis', 'report_nodes')
>>> carve_import("emit_bram_transform_pass") is None
True
"""

from __future__ import annotations

import functools

from carve.errors import CarveError
from carve.mase_scope import out_of_scope_note

# carve module -> the MASE names it provides (same name, same call)
PROVIDERS: dict[str, tuple[str, ...]] = {
    "carve.ir": ("MaseGraph",),
    "carve.data": ("MaseDataModule", "get_dataset_info", "InputGenerator", "get_dummy_input"),
    "carve.models": ("get_model", "get_model_info", "load_model"),
    "carve": ("set_logging_verbosity", "get_logger"),
    "carve.passes": ("PASSES",),
    "carve.passes.utils": (
        "deepcopy_mase_graph", "get_parent_name", "get_module_by_name", "get_mase_op",
        "get_mase_type", "get_node_actual_target",
    ),
    "carve.compat.toys": ("ToyNet", "ToyTiny", "ToyCustomFnNet"),
    "carve.compat.quantizers": (
        "integer_quantizer", "integer_floor_quantizer", "minifloat_denorm_quantizer",
        "minifloat_ieee_quantizer", "log_quantizer", "block_fp_quantizer",
        "block_minifloat_quantizer", "block_log_quantizer", "binary_quantizer",
        "ternary_quantizer", "IntegerQuantize", "quantizer_map",
    ),
}  # fmt: skip

# where MASE's quantized layers live in carve (every name generated from the format catalog)
QUANTIZED_MODULE = "carve.compat.quantized"


def quantized_layer_names() -> tuple[str, ...]:
    """MASE's names of quantized classes and functions that :mod:`carve.compat.quantized` has.

    Read from the format catalog (no torch import), so ``carve port`` stays light.
    """
    from carve.quant.catalog import FORMAT_INFO, LAYER_STEMS, function_name, layer_class_name

    formats = sorted(FORMAT_INFO)
    classes = {layer_class_name("module", op, f) for op in LAYER_STEMS["module"] for f in formats}
    functions = {function_name(op, FORMAT_INFO[f].name) for op in LAYER_STEMS["function"]
                 for f in formats}  # fmt: skip
    return (*sorted(classes), *sorted(functions), "quantized_module_map", "quantized_func_map")


# MASE name -> (carve module, carve name) where carve's name differs
RENAMED: dict[str, tuple[str, str]] = {
    "report": ("carve.passes.analysis", "report_nodes"),
}

# MASE module -> carve module, for ``import chop.x as y`` and ``from chop.x import module``
MODULES: dict[str, str] = {
    "chop": "carve",
    "chop.ir": "carve.ir",
    "chop.ir.graph": "carve.ir",
    "chop.ir.graph.mase_graph": "carve.ir",
    "chop.passes": "carve.passes",
    "chop.passes.graph": "carve.passes",
    "chop.passes.graph.analysis": "carve.passes",
    "chop.passes.graph.transforms": "carve.passes",
    "chop.passes.graph.utils": "carve.passes.utils",
    "chop.dataset": "carve.data",
    "chop.models": "carve.models",
    "chop.tools.logger": "carve.logs",
    "chop.tools.get_input": "carve.data",
    "chop.tools.checkpoint_load": "carve.models",
    "chop.models.toys": "carve.compat.toys",
    "chop.passes.graph.transforms.quantize.quantizers": "carve.compat.quantizers",
    "chop.nn.quantizers": "carve.compat.quantizers",
    "chop.passes.graph.transforms.quantize.quantized_modules": QUANTIZED_MODULE,
    "chop.passes.graph.transforms.quantize.quantized_funcs": QUANTIZED_MODULE,
    "chop.nn.quantized": QUANTIZED_MODULE,
    "chop.nn.quantized.modules": QUANTIZED_MODULE,
    "chop.nn.quantized.functional": QUANTIZED_MODULE,
}

# names with no carve equivalent, and what to use instead
INSTEAD: dict[str, str] = {
    "quantize_module_transform_pass": "quantize_transform_pass on MaseGraph(model)",
    "get_tokenizer": "nothing: language models are out of scope",
    "MaseModelInfo": "carve.models.ModelInfo (from get_model_info)",
    "get_cls_name": "type(module).__name__",
    "get_node_by_name": "{n.name: n for n in mg.fx_graph.nodes}[name]",
    "init_project": "carve.config.project_path(config) (carve creates folders itself)",
    **dict.fromkeys(("LinearBinaryScaling", "Conv2dBinaryScaling"),
                    "LinearBinary / Conv2dBinary (carve.compat.quantized) with `*_scaled = true` "
                    "in the config: +-alpha binary"),
    **dict.fromkeys(("LinearBinaryResidualSign", "Conv2dBinaryResidualSign", "LinearLUT",
                     "Conv2dLUT", "LinearLogicNets", "Conv2DLogicNets"),
                    "nothing: LUT-based and residual-sign binary layers (LUTNet, LogicNets) are "
                    "not in carve; the binary and ternary formats are"),
}  # fmt: skip


@functools.cache
def _pass_names() -> tuple[str, ...]:
    from carve.passes.registry import function_names

    return tuple(function_names())


@functools.cache
def name_table() -> dict[str, tuple[str, str]]:
    """Every MASE name carve provides: name -> (carve module, carve name)."""
    table = {name: ("carve.passes", name) for name in _pass_names()}
    for module, names in PROVIDERS.items():
        table.update({name: (module, name) for name in names})
    table.update({name: (QUANTIZED_MODULE, name) for name in quantized_layer_names()})
    table.update(RENAMED)
    return table


def carve_import(name: str) -> tuple[str, str] | None:
    """``(carve module, carve name)`` for MASE name ``name``, or None when carve has none."""
    return name_table().get(name)


def instead_of(name: str) -> str:
    """What a user should use for a MASE name carve does not provide."""
    note = out_of_scope_note(name)
    if note:
        return note
    return INSTEAD.get(name, "no carve equivalent; see docs/mase.md (import map)")


def carve_module_of_module(module: str) -> str | None:
    """carve's module for a whole MASE module path (longest known prefix), else None."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in MODULES:
            return MODULES[prefix] if end == len(parts) else None
    return None


def import_map_markdown() -> str:
    """The import map of docs/mase.md (generated: ``python -m carve.compat.names``)."""
    rows = ["| MASE name (any `chop` module) | carve import |", "|---|---|"]
    for name, (module, carve_name) in sorted(name_table().items(), key=lambda kv: kv[0].lower()):
        if module == QUANTIZED_MODULE:
            continue  # one row for the generated layers, below
        alias = "" if carve_name == name else f" as {name}"
        rows.append(f"| `{name}` | `from {module} import {carve_name}{alias}` |")
    rows.append(_quantized_row())
    rows += ["", "| MASE module (`import chop.x as y`) | carve module |", "|---|---|"]
    rows += [f"| `{mase}` | `{carve}` |" for mase, carve in MODULES.items()]
    rows += ["", "| MASE name | carve has no equivalent: use instead |", "|---|---|"]
    rows += [f"| `{name}` | {text} |" for name, text in INSTEAD.items()]
    return "\n".join(rows) + "\n"


def _quantized_row() -> str:
    from carve.quant.catalog import FORMAT_TABLE, LAYER_STEMS

    stems = ", ".join(LAYER_STEMS["module"].values())
    suffixes = ", ".join(info.class_name for info in FORMAT_TABLE)
    functions = ", ".join(LAYER_STEMS["function"])
    formats = ", ".join(info.name for info in FORMAT_TABLE)
    return (
        f"| quantized layers: `<Op><Format>` classes (Op: {stems}; Format: {suffixes}), "
        f"`<op>_<format>` functions (op: {functions}; format: {formats}), "
        "`quantized_module_map`, `quantized_func_map` | "
        f"`from {QUANTIZED_MODULE} import LinearInteger, relu_integer, ...` |"
    )


def render_mase_doc(text: str) -> str:
    """docs/mase.md with its generated blocks (``<!-- NAME:start -->`` ... ``end``) refreshed."""
    from carve.vocabulary import vocabulary_markdown

    blocks = {"import-map": import_map_markdown(), "vocabulary": vocabulary_markdown()}
    for name, body in blocks.items():
        start, end = f"<!-- {name}:start -->\n", f"<!-- {name}:end -->"
        before, found, rest = text.partition(start)
        if not found or end not in rest:
            raise CarveError(f"docs/mase.md lacks the {start.strip()} ... {end} markers")
        text = before + start + body + end + rest.partition(end)[2]
    return text


if __name__ == "__main__":  # python -m carve.compat.names docs/mase.md: refresh the tables
    import sys
    from pathlib import Path

    if len(sys.argv) > 1:
        doc = Path(sys.argv[1])
        doc.write_text(render_mase_doc(doc.read_text()))
    else:
        print(import_map_markdown(), end="")
