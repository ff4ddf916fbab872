"""A self-checking Verilog testbench for a streaming design, and its run by Icarus Verilog.

The testbench reads input rows and expected output rows (``$readmemh``,
one packed row per line), drives one row per clock after a reset, compares
every valid output with the expected row, and prints one summary line::

    CARVE_TB rows=256 checked=256 mismatches=0
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from carve.errors import CarveError
from carve.hardware.tools import require, run_tool
from carve.hardware.verilator import Port

PURPOSE = "Verilog testbench (Icarus iverilog)"
SUMMARY = re.compile(r"CARVE_TB rows=(\d+) checked=(\d+) mismatches=(\d+)")


def hex_rows(codes: np.ndarray, port: Port) -> str:
    """One hex line per row: the packed port value (channel 0 in the low bits)."""
    mask = (1 << port.width) - 1
    digits = (port.bits + 3) // 4
    lines = []
    for row in np.asarray(codes, dtype=np.int64):
        value = 0
        for i, code in enumerate(row.tolist()):
            value |= (code & mask) << (i * port.width)
        lines.append(f"{value:0{digits}x}")
    return "\n".join(lines) + "\n"


def testbench(top: str, inp: Port, out: Port, latency: int, rows: int) -> str:
    """The testbench module ``tb_<top>`` (reads tb_inputs.hex, tb_expected.hex)."""
    return f"""// carve: self-checking testbench for {top}
// run: iverilog -g2001 -o tb tb_{top}.v ../rtl/*.v && vvp -n tb
`timescale 1ns / 1ps
module tb_{top};
  localparam ROWS = {rows};
  localparam LATENCY = {latency};
  reg clk = 1'b0;
  reg rst = 1'b1;
  reg in_valid = 1'b0;
  reg [{inp.bits - 1}:0] data_in_0 = {inp.bits}'d0;
  wire out_valid;
  wire [{out.bits - 1}:0] data_out_0;
  reg [{inp.bits - 1}:0] inputs [0:ROWS - 1];
  reg [{out.bits - 1}:0] expected [0:ROWS - 1];
  integer sent, checked, mismatches;

  {top} dut (.clk(clk), .rst(rst), .in_valid(in_valid), .data_in_0(data_in_0),
    .out_valid(out_valid), .data_out_0(data_out_0));

  always #5 clk = ~clk;

  always @(negedge clk) begin
    if (!rst && out_valid) begin
      if (data_out_0 !== expected[checked]) begin
        if (mismatches < 5) $display("row %0d: got %h expected %h", checked, data_out_0,
                                     expected[checked]);
        mismatches = mismatches + 1;
      end
      checked = checked + 1;
    end
  end

  initial begin
    checked = 0;
    mismatches = 0;
    $readmemh("tb_inputs.hex", inputs);
    $readmemh("tb_expected.hex", expected);
    repeat (2) @(negedge clk);
    rst = 1'b0;
    for (sent = 0; sent < ROWS; sent = sent + 1) begin
      data_in_0 = inputs[sent];
      in_valid = 1'b1;
      @(negedge clk);
    end
    in_valid = 1'b0;
    repeat (LATENCY + 2) @(negedge clk);
    $display("CARVE_TB rows=%0d checked=%0d mismatches=%0d", ROWS, checked, mismatches);
    $finish;
  end
endmodule
"""


def run_testbench(folder: Path, top: str, sources: list[Path]) -> tuple[int, int, int]:
    """Compile and run ``tb_<top>.v`` in ``folder``: (rows, checked, mismatches)."""
    iverilog = require("iverilog", PURPOSE)
    vvp = require("vvp", PURPOSE)
    binary = folder / f"tb_{top}.vvp"
    try:
        run_tool(
            [iverilog, "-g2001", "-o", str(binary), f"tb_{top}.v",
             *[str(s.resolve()) for s in sources]],
            folder, PURPOSE,
        )  # fmt: skip
        output = run_tool([vvp, "-n", str(binary)], folder, PURPOSE)
    finally:
        binary.unlink(missing_ok=True)
    match = SUMMARY.search(output)
    if match is None:
        raise CarveError(f"{PURPOSE}: no summary line in the testbench output")
    rows, checked, mismatches = (int(g) for g in match.groups())
    return rows, checked, mismatches
