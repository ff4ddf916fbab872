"""Verilog-2001 text of a planned datapath: one module per node, a top module.

Every node module has the same ports - ``clk``, ``data_in_0`` (the producer's
codes, channel ``i`` in bits ``[i*W +: W]``) and ``data_out_0`` (a register:
one cycle of latency) - so yosys can report each layer on its own. The top
module chains them and carries a ``valid`` bit alongside the data (a shift
register as long as the latency); there is no back-pressure: one input vector
enters per clock.
"""

from __future__ import annotations

from carve.export.verilog_plan import Datapath, Layer
from carve.hardware.constmul import DotProducts, Operand, layer_sums
from carve.hardware.rtl import (
    Codes,
    adder_tree,
    bits_for,
    float32_round,
    held_in_float32,
    literal,
    pack,
    relu,
    requantize,
    unpack,
)


def _inputs(lines: list[str], layer: Layer) -> list[tuple[str, Codes]]:
    """Unpack ``data_in_0`` and apply the node's input quantizer, per channel."""
    names = []
    for i in range(layer.n_in):
        name = unpack(lines, f"in_{i}", "data_in_0", i, layer.src)
        codes = layer.src
        if layer.x_fmt is not None and held_in_float32(codes):  # as carve's reference
            codes = float32_round(lines, f"f32_{i}", name, codes)
            name = f"f32_{i}"
        if layer.x_fmt is not None:
            codes = requantize(lines, f"x_{i}", name, codes, layer.x_fmt)
            name = f"x_{i}"
        names.append((name, codes))
    return names


def _outputs(lines: list[str], values: list[tuple[str, Codes]], layer: Layer) -> list[str]:
    """Apply the node's output quantizer (if any); sign-extend to the output field."""
    names = []
    for j, (name, codes) in enumerate(values):
        if layer.out_fmt is not None and layer.op != "batch_norm1d":
            codes = requantize(lines, f"q_{j}", name, codes, layer.out_fmt)
            name = f"q_{j}"
        lines.append(f"  wire signed [{layer.out.internal - 1}:0] y_{j} = {name};")
        names.append(f"y_{j}")
    return names


def _linear(lines: list[str], layer: Layer) -> list[str]:
    """Each output a constant dot product (signed-digit rows, exact-width adder tree)."""
    xs = [Operand(name, codes.lo, codes.hi) for name, codes in _inputs(lines, layer)]
    layer_sums(lines, xs, layer.weight, layer.bias, [acc.width for acc in layer.acc])
    values = [(f"acc_{j}", acc) for j, acc in enumerate(layer.acc)]
    return _outputs(lines, values, layer)


def _relu(lines: list[str], layer: Layer) -> list[str]:
    values = [(f"r_{i}", relu(lines, f"r_{i}", name, codes))
              for i, (name, codes) in enumerate(_inputs(lines, layer))]  # fmt: skip
    return _outputs(lines, values, layer)


def _batch_norm(lines: list[str], layer: Layer) -> list[str]:
    values, sums = [], DotProducts(lines)
    for c, (name, x) in enumerate(_inputs(lines, layer)):
        step = layer.steps[c]
        if step.kind == "affine":
            ends = (step.a * x.lo + step.b, step.a * x.hi + step.b)
            width = max(bits_for(min(ends), max(ends)), step.s + 2)
            sums.declare(f"t_{c}", [Operand(name, x.lo, x.hi)], [step.a], step.b, width)
            lo, hi = min(ends) >> step.s, max(ends) >> step.s
            rwidth = width - step.s
            value = f"t_{c}[{width - 1}:{step.s}]"
            lines.append(f"  wire signed [{rwidth - 1}:0] f_{c} = {value};")
            value = f"f_{c}"
            if hi > step.hi:
                value = (
                    f"(f_{c} > {literal(step.hi, rwidth)}) ? {literal(step.hi, rwidth)} : {value}"
                )
            if lo < step.lo:
                value = (
                    f"(f_{c} < {literal(step.lo, rwidth)}) ? {literal(step.lo, rwidth)} : {value}"
                )
            for code, y in step.exceptions:  # codes where float32 rounding leaves the line
                if x.lo <= code <= x.hi:
                    width = layer.out.internal
                    value = (
                        f"({name} == {literal(code, x.internal)}) ? {literal(y, width)} :\n    "
                        f"{value}"
                    )
        else:
            width = layer.out.internal
            zero = literal(0, width)
            terms = [literal(step.base, width)] + [
                f"(({name} >= {literal(t, x.internal)}) ? {literal(d, width)} : {zero})"
                for t, d in step.thresholds
                if x.lo < t <= x.hi  # thresholds outside the reachable codes are constant
            ]
            fixed = sum(d for t, d in step.thresholds if t <= x.lo)
            terms[0] = literal(step.base + fixed, width)
            value = adder_tree(terms)
        lines.append(f"  wire signed [{layer.out.internal - 1}:0] bn_{c} = {value};")
        values.append((f"bn_{c}", layer.out))
    return _outputs(lines, values, layer)


BODIES = {"linear": _linear, "relu": _relu, "batch_norm1d": _batch_norm}


def layer_module(layer: Layer) -> str:
    """One node's module: input quantizer, op, output quantizer, output register."""
    lines: list[str] = []
    outputs = BODIES[layer.op](lines, layer)
    in_bits, out_bits = layer.n_in * layer.src.width, layer.n_out * layer.out.width
    header = [
        f"// node {layer.node} ({layer.op}): {layer.n_in} -> {layer.n_out} channels, "
        f"latency {layer.latency} cycle",
        f"module {layer.module} (",
        "  input  wire clk,",
        f"  input  wire [{in_bits - 1}:0] data_in_0,",
        f"  output reg  [{out_bits - 1}:0] data_out_0",
        ");",
    ]
    register = [
        "  always @(posedge clk) begin",
        f"    data_out_0 <= {pack(outputs, layer.out.width)};",
        "  end",
        "endmodule",
        "",
    ]
    return "\n".join(header + lines + register)


def top_module(path: Datapath) -> str:
    """The top: the node modules in a chain, plus a valid bit as long as the latency."""
    in_bits = path.n_in * path.input.width
    out_bits = path.n_out * path.output.width
    latency = path.latency
    lines = [
        f"// {path.top}: {len(path.layers)} stages, latency {latency} cycles, one input per clock",
        f"// data_in_0: {path.n_in} x {path.input.width}-bit codes (value = code * "
        f"2**{path.input.exponent}, {'signed' if path.input.signed else 'unsigned'})",
        f"// data_out_0: {path.n_out} x {path.output.width}-bit codes (value = code * "
        f"2**{path.output.exponent}, {'signed' if path.output.signed else 'unsigned'})",
        f"module {path.top} (",
        "  input  wire clk,",
        "  input  wire rst,",
        "  input  wire in_valid,",
        f"  input  wire [{in_bits - 1}:0] data_in_0,",
        "  output wire out_valid,",
        f"  output wire [{out_bits - 1}:0] data_out_0",
        ");",
    ]
    source = "data_in_0"
    for k, layer in enumerate(path.layers):
        wire = f"s{k}_{layer.node}"
        lines.append(f"  wire [{layer.n_out * layer.out.width - 1}:0] {wire};")
        lines.append(
            f"  {layer.module} u{k}_{layer.node} (.clk(clk), .data_in_0({source}), "
            f".data_out_0({wire}));"
        )
        source = wire
    lines.append(f"  assign data_out_0 = {source};")
    lines.append(f"  reg [{latency - 1}:0] valid_q;")
    shifted = "in_valid" if latency == 1 else f"{{valid_q[{latency - 2}:0], in_valid}}"
    lines += [
        "  always @(posedge clk) begin",
        f"    valid_q <= rst ? {latency}'d0 : {shifted};",
        "  end",
        f"  assign out_valid = valid_q[{latency - 1}];",
        "endmodule",
        "",
    ]
    return "\n".join(lines)
