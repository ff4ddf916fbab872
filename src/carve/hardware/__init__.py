"""Hardware: RTL text helpers, simulator harnesses (Verilator, Icarus) and tool checks.

Below :mod:`carve.export` (whose ``verilog`` target plans a network's integer
datapath and writes it with these helpers), above ``passes``/``quant``/``ir``.
Nothing here imports torch; the simulators are run as external programs
(``apt-get install verilator iverilog yosys``).

- :mod:`carve.hardware.rtl`: code ranges, literals, requantization and adder trees as Verilog;
- :mod:`carve.hardware.step`: exact integer circuits for per-channel code tables (batch norm);
- :mod:`carve.hardware.verilator`: a C++ harness streaming code files through a design;
- :mod:`carve.hardware.icarus`: a self-checking Verilog testbench run by ``iverilog``/``vvp``;
- :mod:`carve.hardware.tools`: tool lookup with the Debian package to install.
"""
