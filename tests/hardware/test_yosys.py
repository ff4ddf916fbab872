"""yosys estimates against hand-written Verilog whose mapping is known independently.

Expectations come from the logic itself, not from a previous yosys run: an
N-bit register is N flip-flops and no logic; a 4-input XOR per bit is one LUT4
per bit; a constant add uses a carry chain; a 36-input XOR needs at least
ceil(35/5) = 7 LUT6 on two levels (an optimum yosys does not reach); a
registered 8x8 multiply is one DSP slice, or LUTs and carry cells with DSPs off.
yosys runs take seconds each, so one design holds most of them.
"""

from __future__ import annotations

import shutil

import pytest

from carve.errors import CarveError
from carve.hardware.yosys import LABEL, estimate_resources

DESIGN = """
module reg12(input clk, input [11:0] d, output reg [11:0] q);
  always @(posedge clk) q <= d;
endmodule

module xor4(input clk, input [5:0] a, b, c, e, output reg [5:0] y);
  always @(posedge clk) y <= a ^ b ^ c ^ e;
endmodule

module xor36(input clk, input [35:0] a, output reg y);
  reg [35:0] r;
  always @(posedge clk) begin r <= a; y <= ^r; end
endmodule

module addc(input clk, input [7:0] a, output reg [8:0] y);
  always @(posedge clk) y <= a + 9'd77;
endmodule

module mul8(input clk, input [7:0] a, b, output reg [15:0] y);
  reg [7:0] ra, rb;
  always @(posedge clk) begin ra <= a; rb <= b; y <= ra * rb; end
endmodule

module top(input clk, input [11:0] d, input [35:0] w, input [7:0] m,
           output [11:0] q, output [5:0] x, output p, output [8:0] s, output [15:0] z);
  reg12 u_reg(.clk(clk), .d(d), .q(q));
  xor4 u_xor4(.clk(clk), .a(w[5:0]), .b(w[11:6]), .c(w[17:12]), .e(w[23:18]), .y(x));
  xor36 u_xor36(.clk(clk), .a(w), .y(p));
  addc u_add(.clk(clk), .a(m), .y(s));
  mul8 u_mul(.clk(clk), .a(m), .b(w[7:0]), .y(z));
endmodule
"""


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    path = tmp_path_factory.mktemp("yosys") / "design.v"
    path.write_text(DESIGN)
    return path


@pytest.fixture(scope="module")
def estimate(design):
    return estimate_resources([design], "top", latency_cycles=3, clock_ns=4.0)


def test_register_is_flip_flops_only(estimate):
    reg = estimate.modules["reg12"]
    assert (reg.ffs, reg.luts, reg.dsps, reg.carries) == (12, 0, 0, 0)
    assert reg.logic_levels == 0


def test_xor_logic_maps_to_the_expected_luts_and_levels(estimate):
    xor4 = estimate.modules["xor4"]
    assert (xor4.luts, xor4.ffs, xor4.cells.get("LUT4")) == (6, 6, 6)
    assert xor4.logic_levels == 1
    xor36 = estimate.modules["xor36"]
    # at least 7 LUT6 (a 36-input function, 5 new inputs per extra LUT6) and two
    # levels; yosys' abc maps it with 16 LUTs and MUXF7/F8s, within 36 (one per input)
    assert 7 <= xor36.luts <= 36 and xor36.ffs == 37
    assert xor36.logic_levels >= 2


def test_constant_adder_uses_carry_logic(estimate):
    add = estimate.modules["addc"]
    assert add.ffs == 9
    assert add.carries >= 1  # an 8-bit add: two CARRY4 or one CARRY8
    assert add.luts >= 1  # the constant's one bits invert the sum bits (INV = LUT1)


def test_multiplier_is_one_dsp_and_totals_add_up(estimate):
    assert estimate.modules["mul8"].dsps == 1
    own = [m for name, m in estimate.modules.items() if name != "top"]
    assert estimate.total.luts == sum(m.luts for m in own)
    assert estimate.total.ffs == sum(m.ffs for m in own) == 12 + 6 + 37 + 9 + 16 + 16
    assert estimate.total.dsps == 1


def test_timing_fields_follow_the_stated_clock(estimate):
    assert estimate.label == LABEL == "yosys estimate (not Vivado)"
    assert estimate.critical_path_ns == max(m.path_ns for m in estimate.modules.values())
    assert estimate.fmax_mhz == pytest.approx(1000 / estimate.critical_path_ns, abs=0.1)
    slowest = max(estimate.clock_ns, estimate.critical_path_ns)
    assert estimate.latency_ns == pytest.approx(3 * slowest)
    record = estimate.to_dict()
    assert record["label"] == LABEL and record["modules"]["reg12"]["ffs"] == 12
    assert estimate.yosys_seconds > 0


def test_without_dsps_the_multiplier_becomes_luts(tmp_path):
    path = tmp_path / "mul.v"
    path.write_text(DESIGN.split("module top")[0])
    est = estimate_resources([path], "mul8", dsp=False)
    assert est.total.dsps == 0
    assert est.total.luts > 8 and est.total.ffs == 32


def test_missing_yosys_names_the_debian_package(monkeypatch, design):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(
        CarveError, match=r"resource estimates \(yosys\) needs 'yosys'.*apt-get install yosys"
    ):
        estimate_resources([design], "top")


def test_bad_inputs_are_one_line_each(tmp_path, design):
    with pytest.raises(CarveError, match=r"unknown yosys family 'xc9'.*accepted: xcup"):
        estimate_resources([design], "top", family="xc9")
    with pytest.raises(CarveError, match="not found"):
        estimate_resources([tmp_path / "none.v"], "top")
    broken = tmp_path / "broken.v"
    broken.write_text("module top(input a; endmodule\n")
    with pytest.raises(
        CarveError, match=r"yosys failed on top 'top': .*broken.v:1: ERROR: syntax error"
    ):
        estimate_resources([broken], "top")
