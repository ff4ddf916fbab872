"""The ``hls4ml`` export: an hls4ml project built from carve's graph and per-operand formats.

The layer list (Input, Dense, BatchNormalization, ReLU Activation) is handed
to ``hls4ml.model.ModelGraph.from_layer_list`` with an explicit precision for
every weight, bias, accumulator and result (see :mod:`carve.export.hls_types`).
carve quantizes a layer's *input*; hls4ml rounds a layer's *result*, so a
node's ``data_in_0`` format becomes the result type of the layer feeding it
(the network input's type when it is the first). Results carve keeps exact
get exact types. Batch-norm scale and shift are carve's float32 constants
(torch's own ``alpha``, ``beta``), held exactly.

Parity is against carve's integer-only reference: ``compile()`` builds the C++
emulation with g++, ``predict()`` runs it in double precision and the result
is rounded once to float32, as the reference does.

Where exactness has limits: batch norm computes ``x * alpha + beta`` exactly in
fixed point, while torch rounds it to float32 before the next quantizer. The
two can round differently when the float32 value lands on a rounding tie of
the next grid. Because the input to a batch norm is fixed point with few
codes, every code of every channel is checked (:mod:`carve.export.batch_norm_check`):
where they differ, ``beta`` is nudged below float32 precision (a dyadic shift
that moves each exact value to the side torch's float32 value rounds to) when
one shift per channel satisfies every code; the report lists what still
differs (at 13-16-bit inputs one shift is often not enough). hls4ml's
optimizers that would change the arithmetic (batch-norm folding,
linear-activation removal) are skipped (``SkipOptimizers`` at the top of
``HLSConfig``, where hls4ml reads it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from carve.errors import CarveError
from carve.export.batch_norm_check import (
    CHECK_LIMIT,
    check_lines,
    fitted_shift,
    output_rounding,
)
from carve.export.graph_view import ExportGraph, ExportNode, FixedPoint
from carve.export.hls_types import ap_type, constant_type, holding, max_abs
from carve.export.onnx_builder import batch_norm_affine
from carve.export.parity import Parity, compare, integer_reference_outputs
from carve.export.protocol import Exporter

PROJECT = "hls4ml_prj"
UNSAFE_PATH_CHARACTERS = ('"', "\\", "\n")
SKIP_OPTIMIZERS = [
    "fuse_batch_norm",
    "eliminate_linear_activation",
    "fuse_consecutive_batch_normalization",
]


@dataclass
class LayerPlan:
    """One hls4ml layer: its layer-list entry and its precisions."""

    entry: dict[str, Any]
    precision: dict[str, str] = field(default_factory=dict)
    out: FixedPoint | None = None
    node: ExportNode | None = None
    note: str | None = None  # what the batch-norm check found


def _input_type(view: ExportGraph) -> FixedPoint:
    first = view.nodes[0]
    fixed = first.operand("data_in_0").fixed
    if fixed is None:
        formats = (n.operand("data_in_0").fixed for n in view.nodes)
        hint = next((f for f in formats if f is not None), FixedPoint(8, 4))
        keys = f"data_in_width = {hint.width}, data_in_frac_width = {hint.frac_width}"
        if first.op != "relu":  # its weight and bias formats are asked for too
            keys += ", weight_width = 8, weight_frac_width = 4, bias_width = 8, bias_frac_width = 4"
        raise CarveError(
            f"export hls4ml: the network input (node {first.name!r} data_in_0) must be fixed "
            f"point, it is {first.operand('data_in_0').describe()}: the FPGA receives "
            "fixed-point inputs (a search space or config that quantizes only Linear layers "
            f"leaves the first {first.op} in float). Fix: quantize that node's input, e.g. "
            "`carve transform --load <this graph> --config fix.toml` with fix.toml holding "
            f'[passes.quantize] by = "name" and [passes.quantize.{first.name}.config] '
            f'name = "integer", {keys}; then export the new graph'
        )
    return fixed


def _weight_type(node: ExportNode, name: str, values: np.ndarray) -> FixedPoint:
    fixed = node.operand(name).fixed
    if fixed is not None:
        return fixed
    fmt = node.operand(name)
    if fmt.quantized:
        raise CarveError(
            f"export hls4ml: {node.name}.{name} uses format {fmt.format!r}; hls4ml takes fixed "
            "point (ap_fixed) only"
        )
    return constant_type(values)  # float32 weights: held exactly


def _dense(node: ExportNode, x: FixedPoint, name_in: str) -> LayerPlan:
    weight = node.parameter("weight").double().numpy()
    bias = node.parameter("bias")
    w_t = _weight_type(node, "weight", weight)
    entry = {
        "class_name": "Dense",
        "name": node.name,
        "inputs": [name_in],
        "n_in": weight.shape[1],
        "n_out": weight.shape[0],
        "weight_data": weight.T.copy(),
        "use_bias": bias is not None,
    }
    frac = x.frac_width + w_t.frac_width
    bound = np.abs(weight).sum(axis=1) * max_abs(x)
    precision = {"weight": ap_type(w_t)}
    if bias is not None:
        bias = bias.double().numpy()
        b_t = _weight_type(node, "bias", bias)
        frac = max(frac, b_t.frac_width)
        bound = bound + np.abs(bias)
        entry["bias_data"] = bias
        precision["bias"] = ap_type(b_t)
    else:
        entry["bias_data"] = np.zeros(weight.shape[0])
        precision["bias"] = "ap_fixed<1,1>"
    accum = holding(float(bound.max()), frac)
    precision["accum"] = ap_type(accum)
    return LayerPlan(entry, precision, accum)


def _batch_norm(node: ExportNode, x: FixedPoint, name_in: str) -> LayerPlan:
    alpha, beta = (v.astype(np.float64) for v in batch_norm_affine(node))
    s_t, b_t = constant_type(alpha), constant_type(beta)
    entry = {
        "class_name": "BatchNormalization",
        "name": node.name,
        "inputs": [name_in],
        "data_format": "channels_first",
        "n_in": alpha.size,
        "n_out": alpha.size,
        "n_filt": -1,
        "scale_data": alpha,
        "bias_data": beta,
        "use_gamma": True,
        "use_beta": True,
        "epsilon": float(node.module.eps),
    }
    bound = float((np.abs(alpha) * max_abs(x) + np.abs(beta)).max())
    out = holding(bound, max(x.frac_width + s_t.frac_width, b_t.frac_width))
    return LayerPlan(entry, {"scale": ap_type(s_t), "bias": ap_type(b_t)}, out)


def _relu(node: ExportNode, x: FixedPoint, name_in: str) -> LayerPlan:
    entry = {
        "class_name": "Activation",
        "activation": "relu",
        "name": node.name,
        "inputs": [name_in],
    }
    return LayerPlan(entry, {}, x)


LAYER_PLANS = {"linear": _dense, "batch_norm1d": _batch_norm, "relu": _relu}


def plan_layers(view: ExportGraph) -> tuple[list[LayerPlan], dict[str, Any]]:
    """The hls4ml layer list with a precision for everything (see the module doc)."""
    x = _input_type(view)
    plans = [
        LayerPlan(
            {
                "class_name": "InputLayer",
                "name": view.input_name,
                "input_shape": list(view.input_shape),
            },
            {},
            x,
        )
    ]
    by_name = {view.input_name: plans[0]}
    for node in view.nodes:
        producer = by_name[node.inputs[0]]
        wanted = node.operand("data_in_0")
        if wanted.quantized:
            if wanted.fixed is None:
                raise CarveError(
                    f"export hls4ml: {node.name}.data_in_0 uses format "
                    f"{wanted.format!r}; hls4ml takes fixed point only"
                )
            if producer is not plans[0] and producer.entry["name"] in _quantized_outputs(view):
                raise CarveError(
                    f"export hls4ml: {producer.entry['name']} data_out_0 and "
                    f"{node.name} data_in_0 both quantize one tensor"
                )
            producer.out = wanted.fixed  # carve's input quantizer = the producer's result type
        plan = LAYER_PLANS[node.op](node, producer.out, producer.entry["name"])
        plan.node = node
        out_fmt = node.operand("data_out_0")
        if out_fmt.fixed is not None:
            plan.out = out_fmt.fixed
        plans.append(plan)
        by_name[node.name] = plan
    for plan in plans:
        if plan.node is not None and plan.node.op == "batch_norm1d":
            plan.note = _fit_batch_norm(view, plan)
    layer_config = {}
    for plan in plans:
        plan.precision["result"] = ap_type(plan.out)
        layer_config[plan.entry["name"]] = {"Precision": dict(plan.precision), "Trace": False}
    return plans, layer_config


def _fit_batch_norm(view: ExportGraph, plan: LayerPlan) -> str:
    """Shift a batch norm's exact ``beta`` so every input code rounds as carve's float32 one
    (:func:`carve.export.batch_norm_check.fitted_shift`); the report line says what holds."""
    node = plan.node
    x, out = node.operand("data_in_0").fixed, output_rounding(view, node)
    if x is None or out is None:
        return check_lines(view, "exact", only=node.name)[0]
    lo, hi = x.int_range
    total = (hi - lo + 1) * node.module.num_features
    if total > CHECK_LIMIT:
        return f"batch norm {node.name}: {total:,} (input code, channel) pairs: not checked"
    _, beta = batch_norm_affine(node)
    fitted, left = fitted_shift(node, x, out)
    moved = int((fitted != beta.astype(np.float64)).sum())
    plan.entry["bias_data"] = fitted
    plan.precision["bias"] = ap_type(constant_type(fitted))
    verdict = "all agree" if not left else f"{left:,} DIFFER (parity may fail on such inputs)"
    shift = f"; beta nudged below float32 precision in {moved} channel(s)" if moved else ""
    return (
        f"batch norm {node.name}: {total:,} (input code, channel) pairs checked against carve "
        f"(exact arithmetic{shift}): {verdict}"
    )


def _quantized_outputs(view: ExportGraph) -> set[str]:
    return {n.name for n in view.nodes if n.operand("data_out_0").quantized}


class HLS4MLExporter(Exporter):
    """hls4ml project (Vivado backend, io_parallel, latency strategy) + C++ emulation parity."""

    name = "hls4ml"
    description = "hls4ml 1.x project (Vivado backend, io_parallel); C++ emulation via g++"

    def __init__(self) -> None:
        super().__init__()
        self.model = None
        self.extra: dict[str, Any] = {}
        self.notes: list[str] = []

    def build(self, view: ExportGraph, folder: Path):
        """The hls4ml ModelGraph of ``view`` with its project in ``folder/hls4ml_prj``."""
        import hls4ml
        from hls4ml.model import ModelGraph

        plans, layer_config = plan_layers(view)
        config = hls4ml.utils.config.create_config(
            output_dir=str(folder / PROJECT),
            project_name="carve_model",
            backend="Vivado",
            io_type="io_parallel",
        )
        config["HLSConfig"] = {
            "Model": {
                "Precision": "ap_fixed<16,6>",
                "ReuseFactor": 1,
                "Strategy": "Latency",
                "BramFactor": 1_000_000_000,
                "TraceOutput": False,
            },
            "SkipOptimizers": list(SKIP_OPTIMIZERS),
            "LayerName": layer_config,
        }
        layers = [dict(p.entry) for p in plans]
        outputs = [view.output_names[0]]
        model = ModelGraph.from_layer_list(
            config, layers, inputs=[view.input_name], outputs=outputs
        )
        self.extra = {"hls4ml": {"precisions": layer_config, **estimates(model)}}
        mults = sum(v["multiplications"] for v in self.extra["hls4ml"]["layers"].values())
        self.notes = [
            *(p.note for p in plans if p.note),
            f"hls4ml model: {mults} multiplications per inference at reuse factor 1 (latency "
            "strategy); resource and latency estimates need Vivado/Vitis HLS synthesis "
            "(not run here)",
        ]
        return model

    def check_folder(self, folder: Path) -> None:
        """hls4ml's build passes the project path to g++ inside a C string literal
        (``-DWEIGHTS_DIR="..."``): a quote, backslash or newline in it breaks the build."""
        path = str(folder.absolute())
        bad = next((c for c in UNSAFE_PATH_CHARACTERS if c in path), None)
        if bad is not None:
            raise CarveError(
                f"export hls4ml: the output folder {path!r} contains {bad!r}, which hls4ml's "
                "g++ build cannot take (it quotes the path in C); choose a folder without "
                + " ".join(repr(c) for c in UNSAFE_PATH_CHARACTERS)
            )

    def write(self, view: ExportGraph, folder: Path) -> list[Path]:
        import shutil

        if shutil.which("g++") is None:
            raise CarveError("export hls4ml: g++ is needed to compile hls4ml's C++ emulation")
        self.model = self.build(view, folder)
        try:  # writes the project, then g++ builds the emulation library
            self.model.compile()
        except Exception as error:  # hls4ml raises a bare Exception when g++ fails
            raise CarveError(
                f"export hls4ml: hls4ml could not build its C++ emulation ({error}); "
                "g++'s messages are printed above"
            ) from None
        project = folder / PROJECT
        keep = [
            project / "hls4ml_config.yml",
            project / "firmware" / "carve_model.cpp",
            project / "firmware" / "parameters.h",
            project / "firmware" / "defines.h",
        ]
        return [p for p in keep if p.exists()]

    def run(self, folder: Path, view: ExportGraph, x: np.ndarray) -> np.ndarray:
        if self.model is None:
            raise CarveError("export hls4ml: write the project before running it")
        out = self.model.predict(np.ascontiguousarray(x, dtype=np.float64))
        return np.asarray(out, dtype=np.float64).reshape(len(x), -1).astype(np.float32)

    def parity(self, folder: Path, view: ExportGraph, x: np.ndarray) -> Parity:
        out = self.run(folder, view, x)
        ref = integer_reference_outputs(view.model, x)
        return compare(out, ref, "hls4ml C++ emulation (g++)", "integer reference")


def estimates(model: Any) -> dict[str, Any]:
    """What hls4ml tells without vendor tools: per-layer multiplier counts and reuse.

    hls4ml's resource and latency figures come from HLS synthesis reports
    (Vivado/Vitis), which are not available here; the counts below are read
    from the converted model's layers (multiplications per inference at reuse
    factor 1 = parallel multipliers).
    """
    layers = {}
    for layer in model.get_layers():
        n_in, n_out = layer.get_attr("n_in"), layer.get_attr("n_out")
        kind = layer.class_name
        mults = n_in * n_out if kind == "Dense" else n_in if kind == "BatchNormalization" else 0
        layers[layer.name] = {
            "class": kind,
            "multiplications": mults,
            "reuse_factor": layer.get_attr("reuse_factor", 1),
        }
    return {"layers": layers, "vendor_estimates": "not available without Vivado/Vitis HLS"}
