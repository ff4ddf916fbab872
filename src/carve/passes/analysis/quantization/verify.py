"""``verify_quantization_analysis_pass``: proof that a quantized graph is what it claims.

Lab 2 question 6 asks to check that weights really are quantized. Per
quantized layer and operand, this pass checks with the format's own grid test
(``quantize(v) == v``, integer view inside the spec's range):

- weights and biases: the values the layer computes with (``w_quantizer(weight)``);
- activations: every input (and output, when quantized) the layer sees while
  the graph runs on ``inputs`` (a tensor or a dict keyed by placeholder names),

and reports the number of distinct values against the format's capacity and
the maximum quantization error ``max |v - quantize(v)|`` of the float values.
Distinct values are counted where the capacity applies: per block, channel or
tensor sharing one scale (block_fp, mxint, scaled_integer...; the largest count
of any group, per batch for activations), over the whole operand otherwise.

For graphs whose quantized layers use the ``integer`` format, it also runs the
integer-only reference (:mod:`.integer_reference`) and compares its logits
with the fake-quantized graph's: exactly when every layer's sums stay below
2**24 (the stated condition), else within the derived per-layer bound.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import fx

from carve.errors import CarveError
from carve.fileio import atomic_write_text
from carve.passes.analysis.common_metadata import bind_single_input
from carve.passes.analysis.quantization.integer_reference import IntegerReference, integer_layers
from carve.passes.results import CheckInfo
from carve.passes.utils import parse_pass_args, render_table
from carve.quant.layers import QuantizedLayer, quantized_layers

if TYPE_CHECKING:
    from carve.ir.graph import MaseGraph

logger = logging.getLogger("carve.passes")
PASS = "verify_quantization_analysis_pass"


@dataclass
class VerifyArgs:
    """``inputs``: tensor or {placeholder: tensor} to observe activations (None: weights only);
    ``labels``: optional targets (reports both accuracies); ``batch_size``: rows per run;
    ``integer_reference``: run the integer-only reference; ``save_dir``: write
    ``quantize_verify.json``; ``strict``: a failed check raises CarveError."""

    inputs: Any = None
    labels: Any = None
    batch_size: int = 8192
    integer_reference: bool = True
    save_dir: str | None = None
    strict: bool = False


@dataclass
class OperandReport:
    node: str
    layer: str
    operand: str
    format: str
    numel: int
    on_grid: int
    in_range: bool
    distinct: int
    capacity: int
    max_quant_error: float

    @property
    def ok(self) -> bool:
        return self.on_grid == self.numel and self.in_range and self.distinct <= self.capacity


class _Accumulator:
    """Grid evidence of one operand over many batches."""

    def __init__(self, node: str, layer: str, operand: str, quantizer) -> None:
        self.node, self.layer, self.operand, self.quantizer = node, layer, operand, quantizer
        self.numel = self.on_grid = 0
        self.in_range = True
        self.values: list[torch.Tensor] = []  # element-wise formats: distinct over all batches
        self.distinct = 0  # formats with shared scales: the most in one group of one batch
        self.error = 0.0

    def add(self, raw: torch.Tensor) -> None:
        raw = raw.detach()
        q = self.quantizer(raw)
        grid = self.quantizer.format.grid_check(q, self.quantizer.spec)
        self.numel += grid.numel
        self.on_grid += grid.on_grid
        spec = self.quantizer.spec
        lo, hi = getattr(spec, "int_min", None), getattr(spec, "int_max", None)
        if lo is not None and grid.int_min is not None:
            self.in_range &= lo <= grid.int_min and grid.int_max <= hi
        self.in_range &= grid.nonfinite == 0
        if self.quantizer.format.shares_scale:
            self.distinct = max(self.distinct, grid.distinct)
        else:
            self.values.append(torch.unique(q))
        finite = torch.isfinite(raw)
        if bool(finite.any()):
            self.error = max(self.error, float((raw - q).abs()[finite].max()))

    def report(self) -> OperandReport:
        distinct = self.distinct
        if self.values:
            distinct = int(torch.unique(torch.cat(self.values)).numel())
        return OperandReport(
            node=self.node, layer=self.layer, operand=self.operand,
            format=self.quantizer.type, numel=self.numel, on_grid=self.on_grid,
            in_range=self.in_range, distinct=distinct,
            capacity=int(self.quantizer.format.capacity(self.quantizer.spec)),
            max_quant_error=self.error,
        )  # fmt: skip


def _batches(graph: Any, inputs: Any, batch_size: int) -> list[dict[str, torch.Tensor]]:
    names = [n.name for n in graph.nodes if n.op == "placeholder"]
    if isinstance(inputs, torch.Tensor):
        if len(names) != 1:
            raise CarveError(f"{PASS}: the graph has inputs {names}; pass a dict of tensors")
        inputs = {names[0]: inputs}
    if isinstance(inputs, dict):
        inputs = bind_single_input(graph, inputs)
    if not isinstance(inputs, dict) or sorted(inputs) != sorted(names):
        raise CarveError(f"{PASS}: inputs must be a tensor or a dict with keys {names}")
    rows = len(next(iter(inputs.values())))
    return [  # in placeholder order: batches are passed positionally
        {k: inputs[k][i : i + batch_size] for k in names} for i in range(0, rows, batch_size)
    ]


class _Observer(fx.Interpreter):
    """Runs a graph, handing each observed node's inputs and output to its ``record``.

    Works for quantized modules and quantized functions alike (no module hooks).
    """

    def __init__(self, model: fx.GraphModule, records: dict[fx.Node, Any]) -> None:
        super().__init__(model, garbage_collect_values=True)
        self.records = records

    def run_node(self, node: fx.Node) -> Any:
        record = self.records.get(node)
        args = self.fetch_args_kwargs_from_env(node)[0] if record is not None else ()
        result = super().run_node(node)
        if record is not None:
            record(args, result)
        return result


def _observe(graph: Any, layers, batches) -> tuple[dict[tuple[str, str], _Accumulator], list]:
    """Run the graph, feeding each quantized layer's inputs/outputs to accumulators."""
    acts: dict[tuple[str, str], _Accumulator] = {}

    def hook(node_name: str, layer: QuantizedLayer):
        quantizers = layer.quantizers()

        def record(args, output):
            tensors = {"data_in_0": args[0] if args else None,
                       "data_in_1": args[1] if len(args) > 1 else None,
                       "data_out_0": output}  # fmt: skip
            for operand, value in tensors.items():
                quantizer = quantizers.get(operand)
                if (
                    quantizer is None
                    or not quantizer.enabled
                    or not isinstance(value, torch.Tensor)
                ):
                    continue
                if operand == "data_out_0":
                    value = output  # already quantized by the layer: must be on the grid
                key = (node_name, operand)
                if key not in acts:
                    acts[key] = _Accumulator(node_name, type(layer).__name__, operand, quantizer)
                acts[key].add(value)

        return record

    observer = _Observer(graph.model, {node: hook(node.name, layer) for node, layer in layers})
    with torch.no_grad():
        outputs = [observer.run(*batch.values()) for batch in batches]
    return acts, outputs


def _parameters(layers) -> list[OperandReport]:
    reports = []
    for node, layer in layers:
        for name in layer.parameters_quantized:
            quantizer = layer.quantizers()[name]
            tensor = getattr(layer, name, None)
            if quantizer.enabled and isinstance(tensor, torch.Tensor):
                acc = _Accumulator(node.name, type(layer).__name__, name, quantizer)
                acc.add(tensor)
                reports.append(acc.report())
    return reports


def _reference(graph: Any, batches, outputs, labels) -> dict[str, Any]:
    with_kernel, without = integer_layers(graph.model)
    result: dict[str, Any] = {"integer_layers": with_kernel, "float_quantized_layers": without}
    if not with_kernel:
        result["skipped"] = "no layer has integer-only quantizers"
        return result
    reference = IntegerReference(graph.model)
    logits = []
    with torch.no_grad():
        for batch in batches:
            logits.append(reference.run(*batch.values()))
    checks = list(reference.checks.values())
    result["integer_layers"] = list(reference.checks)  # what actually ran on integers
    result["float_quantized_layers"] = list(dict.fromkeys(reference.float_nodes))
    ref = torch.cat(logits)
    fake = torch.cat(outputs)
    all_exact = all(c.exact for c in checks)
    result.update(
        layers=[asdict(c) for c in checks],
        all_layers_exact=all_exact,
        logits_equal=bool(torch.equal(ref, fake)),
        max_logit_diff=float((ref - fake).abs().max()) if ref.numel() else 0.0,
        layers_within_bound=all(c.ok for c in checks),
    )
    result["ok"] = result["layers_within_bound"] and (result["logits_equal"] or not all_exact)
    if labels is not None:
        result["accuracy_fake_quant"] = float((fake.argmax(-1) == labels).float().mean())
        result["accuracy_integer"] = float((ref.argmax(-1) == labels).float().mean())
    return result


def verify_quantization_analysis_pass(
    graph: MaseGraph, pass_args: dict | None = None
) -> tuple[MaseGraph, dict]:
    """Check every quantized layer of ``graph``; see the module docstring. Returns (graph, info)."""
    args = parse_pass_args(VerifyArgs, pass_args, PASS)
    layers = quantized_layers(graph)
    if not layers:
        raise CarveError(f"{PASS}: the graph has no quantized layer (run quantize_transform_pass)")
    reports = _parameters(layers)
    info = CheckInfo()
    model = graph.model
    was_training = model.training
    model.eval()
    try:
        if args.inputs is not None:
            batches = _batches(graph, args.inputs, args.batch_size)
            acts, outputs = _observe(graph, layers, batches)
            reports += [acc.report() for acc in acts.values()]
            if args.integer_reference:
                info["integer_reference"] = _reference(graph, batches, outputs, args.labels)
    finally:
        model.train(was_training)
    info["operands"] = [asdict(r) | {"ok": r.ok} for r in reports]
    info["ok"] = all(r.ok for r in reports) and info.get("integer_reference", {}).get("ok", True)
    info["table_text"] = render_table(
        "Quantization proof",
        ["Node", "Layer", "Operand", "Format", "On grid", "In range", "Distinct / capacity",
         "Max quant error", "OK"],
        [[r.node, r.layer, r.operand, r.format, f"{r.on_grid}/{r.numel}", r.in_range,
          f"{r.distinct}/{r.capacity}", f"{r.max_quant_error:.3g}", "yes" if r.ok else "NO"]
         for r in reports],
    )  # fmt: skip
    logger.info("%s", info["table_text"])
    if args.save_dir is not None:
        path = Path(args.save_dir) / "quantize_verify.json"
        text = json.dumps({k: v for k, v in info.items() if k != "table_text"}, indent=1)
        info["file"] = str(atomic_write_text(path, text))
    if args.strict and not info["ok"]:
        bad = [f"{r.node}.{r.operand}" for r in reports if not r.ok]
        raise CarveError(f"{PASS}: checks failed for {', '.join(bad) or 'the integer reference'}")
    return graph, info
