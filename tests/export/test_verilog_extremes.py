"""Extreme constants through the Verilog emitter: Verilator against the integer reference.

Each case is a one-layer network - ``Linear(2, 3)``, or ``ReLU`` then
``Linear(2, 3)`` so its input codes are unsigned - at data width ``d`` and
weight width ``w``, with the weight codes at the ends of their format: the most
negative code, the largest, -1. Data widths 1-16 each meet at least two weight
widths, weight widths 1-16 each appear, signed and unsigned inputs both; some
cases have a bias at a finer binary point (the weights then carry
trailing zero bits). Every design is emitted by the real emitter; one
Verilator build simulates all of them side by side (a wrapper feeds each its
own input fields and reads each accumulator separately, so no later layer or
quantizer can hide an error), on every pair of extreme input codes plus
random ones. Accumulators stay below ``2**24``, where carve's float32
reference is exact.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch

from carve.export.graph_view import export_view
from carve.export.parity import integer_reference_outputs
from carve.export.verilog import emit_verilog
from carve.hardware.designs import base_graph
from carve.hardware.verilator import Port, build, simulate
from carve.passes.transforms.quantize import quantize_transform_pass

FIELD_IN, FIELD_OUT = 16, 32  # wrapper fields: every case's codes fit
PAIRS = sorted({(d, 17 - d) for d in range(1, 17)} | {(d, min(d, 24 - d)) for d in range(1, 17)})


def _case_graph(d: int, w: int, unsigned: bool, bias: bool):
    layers = [torch.nn.ReLU()] if unsigned else []
    linear = torch.nn.Linear(2, 3, bias=bias)
    lo, hi = -(1 << (w - 1)), (1 << (w - 1)) - 1
    codes = torch.tensor([[lo, lo], [hi, lo], [hi if w > 1 else lo, -1]], dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(torch.ldexp(codes, torch.tensor(-(w - 1))).float())
        if bias:
            linear.bias.copy_(torch.tensor([0.75, -1.0, 2.0**-20]))
    graph = base_graph(torch.nn.Sequential(*layers, linear), num_features=2)
    data = {"name": "integer", "data_in_width": d, "data_in_frac_width": d - 1}
    config = data | {"weight_width": w, "weight_frac_width": w - 1}
    if bias:  # two bits finer than the products: the weights shift left by 2
        config |= {"bias_width": 16, "bias_frac_width": d + w - 2 + 2}
    args = {"by": "name", "_0": {"config": data if unsigned else config}}
    if unsigned:
        args["_1"] = {"config": config}
    graph, _ = quantize_transform_pass(graph, args)
    return graph


def _wrapper(designs: list, latency: int) -> str:
    """A top feeding case ``k`` input fields ``2k, 2k+1`` and giving its outputs ``3k..3k+2``,
    each sign-extended to FIELD_OUT bits, all after ``latency`` cycles."""
    n = len(designs)
    lines = ["module wrap (", "  input wire clk, input wire rst, input wire in_valid,",
             f"  input wire [{2 * n * FIELD_IN - 1}:0] data_in_0, output wire out_valid,",
             f"  output wire [{3 * n * FIELD_OUT - 1}:0] data_out_0", ");"]  # fmt: skip
    for k, design in enumerate(designs):
        d, width = design.inputs.width, design.outputs.width
        fields = [f"data_in_0[{(2 * k + i) * FIELD_IN} +: {d}]" for i in (1, 0)]
        ports = f".data_in_0({{{', '.join(fields)}}}), .out_valid(v{k}), .data_out_0(y{k})"
        control = ".clk(clk), .rst(rst), .in_valid(in_valid)"
        lines += [f"  wire [{3 * width - 1}:0] y{k};", f"  wire v{k};",
                  f"  {design.top} u{k} ({control}, {ports});"]  # fmt: skip
        value = f"y{k}"
        for stage in range(latency - design.latency):  # align every case to the longest
            lines += [f"  reg [{3 * width - 1}:0] y{k}_{stage};",
                      f"  always @(posedge clk) y{k}_{stage} <= {value};"]  # fmt: skip
            value = f"y{k}_{stage}"
        for j in range(3):
            bits = f"{value}[{j * width} +: {width}]"
            sign = f"{value}[{j * width + width - 1}]"
            lines.append(
                f"  assign data_out_0[{(3 * k + j) * FIELD_OUT} +: {FIELD_OUT}] = "
                f"{{{{{FIELD_OUT - width}{{{sign}}}}}, {bits}}};"
            )
    lines += [f"  reg [{latency - 1}:0] valid_q;",
              "  always @(posedge clk) valid_q <= rst ? 0 : "
              + ("in_valid;" if latency == 1 else f"{{valid_q[{latency - 2}:0], in_valid}};"),
              f"  assign out_valid = valid_q[{latency - 1}];", "endmodule", ""]  # fmt: skip
    return "\n".join(lines)


def _codes(lo: int, hi: int, rng: np.random.Generator, rows: int) -> np.ndarray:
    """Every pair of extreme codes in ``[lo, hi]``, then random pairs, to ``rows``."""
    ends = sorted({c for c in (lo, lo + 1, -1, 0, 1, hi - 1, hi) if lo <= c <= hi})
    pairs = list(itertools.product(ends, ends))
    extra = rng.integers(lo, hi + 1, size=(rows - len(pairs), 2))
    return np.concatenate([np.array(pairs, dtype=np.int64), extra])


def test_extreme_weights_and_codes_at_every_width_match_the_integer_reference(tmp_path):
    cases = [(d, w, unsigned, d + w == 17 and d % 2 == 0)  # bias: 2 more bits, still < 2**24
             for d, w in PAIRS for unsigned in (False, True)]  # fmt: skip
    rng = np.random.default_rng(0)
    rows = 80
    designs, inputs, expected = [], [], []
    for k, (d, w, unsigned, bias) in enumerate(cases):
        graph = _case_graph(d, w, unsigned, bias)
        design = emit_verilog(export_view(graph, input_shape=(2,)), tmp_path / f"c{k}", top=f"c{k}")
        first = design.datapath.input_format  # a ReLU's input format is unsigned
        codes = _codes(*first.int_range, rng, rows)
        x = np.ldexp(codes.astype(np.float64), -first.frac_width).astype(np.float32)
        reference = integer_reference_outputs(graph.model, x).astype(np.float64)
        exponent = design.datapath.output.exponent
        out = design.datapath.output
        assert max(-out.lo, out.hi) <= 1 << 24 and design.inputs.width == d  # float32: exact
        designs.append(design)
        inputs.append(codes)
        expected.append(np.ldexp(reference, -exponent))  # the reference's output codes
    latency = max(design.latency for design in designs)
    (tmp_path / "wrap.v").write_text(_wrapper(designs, latency))
    files = [f for design in designs for f in design.files] + [tmp_path / "wrap.v"]
    n = len(designs)
    binary = build(tmp_path / "sim", "wrap", files, Port("data_in_0", 2 * n, FIELD_IN, True),
                   Port("data_out_0", 3 * n, FIELD_OUT, True), latency)  # fmt: skip
    out = simulate(binary, np.concatenate(inputs, axis=1), 3 * n)
    for k, case in enumerate(cases):
        got = out[:, 3 * k : 3 * k + 3]
        np.testing.assert_array_equal(got, expected[k], err_msg=f"case {case}")
    # the extremes are reached: the largest |code| of each case is its product of extremes
    for k, (d, w, unsigned, bias) in enumerate(cases):
        x_max = (1 << (d - 1)) - unsigned  # ReLU codes: the largest positive one
        assert np.abs(expected[k]).max() >= x_max * (1 << (w - 1)) * (4 if bias else 1)
