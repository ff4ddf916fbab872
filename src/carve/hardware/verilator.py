"""Verilator: build a design with a C++ harness that streams integer codes through it.

The harness reads every input row (``int32`` codes, ``channels`` per row) from
a binary file, drives one row per clock into the top module's ``data_in_0``,
and after the declared latency writes each output row (``int32`` codes,
sign-extended for signed formats) to another binary file. Built with
``verilator --cc --exe --build`` (C++ at ``-O2``), inside the given folder
only (no ccache): the binary is kept, the build tree removed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from carve.errors import CarveError
from carve.hardware.tools import require, run_tool

PURPOSE = "Verilog simulation (Verilator)"
# Verilator 5.006's const-bit-op-tree optimisation miscompiles carve's signed requantization
# (found by parity: Verilator -O0 and Icarus agree with the integer reference, -O3 did not)
NO_BIT_OP_TREE = "-fno-const-bit-op-tree"


@dataclass(frozen=True)
class Port:
    """A packed port: ``channels`` fields of ``width`` bits, channel 0 in the low bits."""

    name: str
    channels: int
    width: int
    signed: bool

    @property
    def bits(self) -> int:
        return self.channels * self.width

    @property
    def words(self) -> int:
        return (self.bits + 31) // 32


def _assign_in(port: Port) -> str:
    if port.bits <= 32:
        return f"top->{port.name} = words[0];"
    if port.bits <= 64:
        return f"top->{port.name} = ((uint64_t)words[1] << 32) | words[0];"
    return f"for (int k = 0; k < {port.words}; k++) top->{port.name}[k] = words[k];"


def _read_out(port: Port) -> str:
    if port.bits <= 32:
        return f"words[0] = (uint32_t)top->{port.name};"
    if port.bits <= 64:
        return (
            f"words[0] = (uint32_t)top->{port.name}; words[1] = (uint32_t)(top->{port.name} >> 32);"
        )
    return f"for (int k = 0; k < {port.words}; k++) words[k] = top->{port.name}[k];"


def harness_source(top: str, inp: Port, out: Port, latency: int) -> str:
    """The C++ ``main`` of the simulation (see the module doc)."""
    return f"""// carve: Verilator harness for {top} (latency {latency} cycles)
#include "V{top}.h"
#include "verilated.h"
#include <cstdint>
#include <cstdio>
#include <vector>

static const int N_IN = {inp.channels}, W_IN = {inp.width}, N_OUT = {out.channels};
static const int W_OUT = {out.width}, LATENCY = {latency};
static const bool OUT_SIGNED = {"true" if out.signed else "false"};

static void drive(V{top}* top, const int32_t* row) {{
    uint32_t words[{inp.words} + 1] = {{0}};
    for (int i = 0; i < N_IN; i++) {{
        uint64_t v = (uint64_t)(uint32_t)row[i] & ((1ULL << W_IN) - 1);
        int bit = i * W_IN;
        v <<= bit % 32;
        words[bit / 32] |= (uint32_t)v;
        words[bit / 32 + 1] |= (uint32_t)(v >> 32);
    }}
    {_assign_in(inp)}
}}

static void sample(V{top}* top, int32_t* row) {{
    uint32_t words[{out.words} + 1] = {{0}};
    {_read_out(out)}
    for (int j = 0; j < N_OUT; j++) {{
        int bit = j * W_OUT;
        uint64_t v = ((uint64_t)words[bit / 32 + 1] << 32) | words[bit / 32];
        v = (v >> (bit % 32)) & ((1ULL << W_OUT) - 1);
        int64_t code = (int64_t)v;
        if (OUT_SIGNED && (v >> (W_OUT - 1))) code -= (int64_t)1 << W_OUT;
        row[j] = (int32_t)code;
    }}
}}

static void tick(V{top}* top) {{
    top->clk = 0;
    top->eval();
    top->clk = 1;
    top->eval();
}}

int main(int argc, char** argv) {{
    if (argc != 3) {{
        std::fprintf(stderr, "usage: %s INPUT_CODES OUTPUT_CODES\\n", argv[0]);
        return 2;
    }}
    std::FILE* in = std::fopen(argv[1], "rb");
    if (!in) {{ std::perror(argv[1]); return 1; }}
    std::vector<int32_t> x;
    int32_t buffer[4096];
    size_t got;
    while ((got = std::fread(buffer, sizeof(int32_t), 4096, in)) > 0)
        x.insert(x.end(), buffer, buffer + got);
    std::fclose(in);
    const long rows = (long)(x.size() / N_IN);
    std::vector<int32_t> y((size_t)rows * N_OUT);
    VerilatedContext context;
    V{top}* top = new V{top}(&context);
    top->rst = 1;
    top->in_valid = 0;
    tick(top);
    tick(top);
    top->rst = 0;
    long valid = 0;
    for (long cycle = 0; cycle < rows + LATENCY - 1; cycle++) {{
        if (cycle < rows) drive(top, &x[(size_t)cycle * N_IN]);
        top->in_valid = cycle < rows;
        tick(top);
        long row = cycle - (LATENCY - 1);
        if (row >= 0) {{
            sample(top, &y[(size_t)row * N_OUT]);
            valid += top->out_valid;
        }}
    }}
    top->final();
    delete top;
    std::FILE* out = std::fopen(argv[2], "wb");
    if (!out) {{ std::perror(argv[2]); return 1; }}
    std::fwrite(y.data(), sizeof(int32_t), y.size(), out);
    std::fclose(out);
    std::printf("rows=%ld out_valid=%ld\\n", rows, valid);
    return valid == rows ? 0 : 3;
}}
"""


def build(folder: Path, top: str, sources: list[Path], inp: Port, out: Port, latency: int) -> Path:
    """Compile ``sources`` with the harness into ``folder/harness``; return the binary."""
    verilator = require("verilator", PURPOSE)
    require("make", PURPOSE)  # verilator --build runs make and g++ (not dependencies of
    require("g++", PURPOSE)  # the Debian package)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "harness.cpp").write_text(harness_source(top, inp, out, latency))
    mdir = folder / "obj_dir"
    args = [
        verilator, "--cc", "--exe", "--build", "-j", str(os.cpu_count() or 1),
        "-Wno-fatal", "-Wno-lint", "-Wno-style", "--x-assign", "fast", "--x-initial", "fast",
        NO_BIT_OP_TREE,
        "--top-module", top, "--Mdir", str(mdir), "-o", "harness",
        "-MAKEFLAGS", "OPT_FAST=-O2 OPT_SLOW=-O1 OPT_GLOBAL=-O2 OBJCACHE=",
        "harness.cpp", *[str(s.resolve()) for s in sources],
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "OBJCACHE"}  # no ccache outside
    run_tool(args, folder, PURPOSE, env=env)
    binary = folder / "harness"
    shutil.move(mdir / "harness", binary)
    shutil.rmtree(mdir, ignore_errors=True)
    return binary


def simulate(binary: Path, codes: np.ndarray, n_out: int) -> np.ndarray:
    """Run the harness on ``codes`` (rows x channels int32); the output codes (rows x n_out)."""
    folder = binary.parent
    inputs, outputs = folder / "inputs.bin", folder / "outputs.bin"
    np.ascontiguousarray(codes, dtype="<i4").tofile(inputs)
    try:
        done = subprocess.run(
            [str(binary), str(inputs), str(outputs)], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise CarveError(
                f"{PURPOSE}: the harness failed (exit {done.returncode}): "
                + (done.stderr or done.stdout).strip()[-300:]
            )
        result = np.fromfile(outputs, dtype="<i4").astype(np.int64)
    finally:
        inputs.unlink(missing_ok=True)
        outputs.unlink(missing_ok=True)
    return result.reshape(len(codes), n_out)
