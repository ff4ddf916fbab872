"""Resource and timing estimates from yosys: a *yosys estimate (not Vivado)*.

:func:`estimate_resources` synthesizes Verilog files with yosys'
``synth_xilinx`` for a named family (``xcup``, UltraScale+, by default), out of
context (``-noiopad -noclkbuf``, as vendor out-of-context runs report) and
*without* flattening, so every Verilog module keeps its own counts. It returns
a :class:`YosysEstimate`: per module and in total the LUTs (SRL shift registers
counted among them, as Vivado's "CLB LUTs" does), flip-flops, DSP slices and
carry cells, read from ``stat -json``; and a timing estimate from the mapped
netlist's logic depth (:mod:`carve.hardware.timing`: longest chain of mapped
primitives under a fixed per-primitive delay, documented there) at a stated
clock. The figures are yosys' technology mapping, which is close to but not
the same as Vivado's: every result carries :data:`LABEL`.

A missing ``yosys`` binary is one :class:`~carve.errors.CarveError` naming the
Debian package.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from carve.errors import CarveError
from carve.hardware.timing import CriticalPath, cell_class, longest_path
from carve.hardware.tools import require

LABEL = "yosys estimate (not Vivado)"
#: ``synth_xilinx -family`` values yosys 0.23 accepts without the EXPERIMENTAL tag.
FAMILIES = ("xcup", "xcu", "xc7", "xc6s", "xc6v")
DEFAULT_FAMILY = "xcup"
DEFAULT_CLOCK_NS = 5.0  # 200 MHz, a common target for JSC triggers (HGQ, hls4ml papers)


@dataclass(frozen=True)
class ModuleResources:
    """Mapped cells of one Verilog module (its own cells, not its submodules')."""

    name: str
    luts: int  # LUT1-LUT6, INV (a LUT1 in Vivado) and SRL shift registers ("LUT as memory")
    ffs: int
    dsps: int
    carries: int  # CARRY4 / CARRY8 (MUXCY, XORCY on old families)
    srls: int = 0
    muxes: int = 0  # MUXF7 / MUXF8
    cells: dict[str, int] = field(default_factory=dict)
    logic_levels: int = 0  # longest combinational chain inside the module
    path_ns: float = 0.0


@dataclass(frozen=True)
class YosysEstimate:
    """What one yosys run says about a design, per module and in total."""

    top: str
    family: str
    modules: dict[str, ModuleResources]
    total: ModuleResources
    clock_ns: float
    critical_path_ns: float  # estimated, see carve.hardware.timing
    logic_levels: int
    yosys_seconds: float
    yosys_version: str
    latency_cycles: int | None = None
    label: str = LABEL

    @property
    def fmax_mhz(self) -> float:
        return round(1000.0 / self.critical_path_ns, 1) if self.critical_path_ns else 0.0

    @property
    def meets_clock(self) -> bool:
        return self.critical_path_ns <= self.clock_ns

    @property
    def latency_ns(self) -> float | None:
        """Cycles at the stated clock, or at the estimated fmax where the clock is not met."""
        if self.latency_cycles is None:
            return None
        return round(self.latency_cycles * max(self.clock_ns, self.critical_path_ns), 3)

    def to_dict(self) -> dict:
        """JSON-ready record (what export reports store under ``resources``)."""
        out = asdict(self)
        out.update(fmax_mhz=self.fmax_mhz, meets_clock=self.meets_clock)
        out["latency_ns"] = self.latency_ns
        return out


def check_family(family: str) -> str:
    if family not in FAMILIES:
        raise CarveError(
            f"unknown yosys family {family!r} (synth_xilinx -family); "
            f"accepted: {', '.join(FAMILIES)}"
        )
    return family


def synthesis_script(files: Sequence[Path], top: str, family: str, dsp: bool) -> str:
    """The yosys script: read, map out of context with hierarchy kept, report, dump netlists."""
    reads = "\n".join(f'read_verilog "{Path(f).resolve()}"' for f in files)
    flags = " -nodsp" if not dsp else ""
    return (
        f"{reads}\n"
        f"synth_xilinx -family {family} -top {top} -noiopad -noclkbuf{flags}\n"
        "hierarchy -purge_lib\n"
        "tee -q -o stat.json stat -json\n"
        "write_json hier.json\n"
        "flatten\n"
        "write_json flat.json\n"
    )


def estimate_resources(
    files: Sequence[str | Path],
    top: str,
    *,
    family: str = DEFAULT_FAMILY,
    clock_ns: float = DEFAULT_CLOCK_NS,
    latency_cycles: int | None = None,
    dsp: bool = True,
    timeout_s: float = 1800.0,
) -> YosysEstimate:
    """Synthesize ``files`` (top module ``top``) with yosys and count what it maps to."""
    check_family(family)
    if clock_ns <= 0:
        raise CarveError(f"clock_ns must be > 0 ns, got {clock_ns!r}")
    binary = require("yosys", "resource estimates (yosys)")
    missing = [str(f) for f in files if not Path(f).is_file()]
    if missing:
        raise CarveError(f"Verilog file(s) not found: {', '.join(missing)}")
    with tempfile.TemporaryDirectory(prefix="carve-yosys-") as tmp:
        work = Path(tmp)
        (work / "synth.ys").write_text(synthesis_script([Path(f) for f in files], top, family, dsp))
        start = time.perf_counter()
        try:
            done = subprocess.run(
                [binary, "-q", "-l", "yosys.log", "-s", "synth.ys"],
                cwd=work,
                capture_output=True,
                text=True,
                timeout=timeout_s,
            )
        except subprocess.TimeoutExpired as err:
            raise CarveError(f"yosys ran past {timeout_s:.0f} s on top {top!r}") from err
        seconds = round(time.perf_counter() - start, 3)
        if done.returncode != 0:
            raise CarveError(f"yosys failed on top {top!r}: {_first_error(work, done)}")
        stat = json.loads((work / "stat.json").read_text())
        hier = json.loads((work / "hier.json").read_text())["modules"]
        flat = json.loads((work / "flat.json").read_text())["modules"][top]
        version = stat.get("creator", "yosys")
    own = frozenset(_name(key) for key in stat["modules"])
    modules = {
        name: _resources(
            name, stat["modules"]["\\" + name]["num_cells_by_type"], longest_path(hier[name], own)
        )
        for name in sorted(own)
    }
    path = longest_path(flat)
    total = _resources(top, stat["design"]["num_cells_by_type"], path)
    return YosysEstimate(
        top=top,
        family=family,
        modules=modules,
        total=total,
        clock_ns=clock_ns,
        critical_path_ns=path.delay_ns,
        logic_levels=path.levels,
        yosys_seconds=seconds,
        yosys_version=version,
        latency_cycles=latency_cycles,
    )


def _name(key: str) -> str:
    return key[1:] if key.startswith("\\") else key


def _resources(name: str, by_type: dict[str, int], path: CriticalPath) -> ModuleResources:
    counts = {"lut": 0, "srl": 0, "ff": 0, "dsp": 0, "carry": 0, "mux": 0}
    cells: dict[str, int] = {}
    for cell_type, n in by_type.items():
        kind = cell_class(cell_type)
        if kind in counts:
            counts[kind] += int(n)
        cells[_name(cell_type)] = int(n)
    return ModuleResources(
        name=name,
        luts=counts["lut"] + counts["srl"],
        ffs=counts["ff"],
        dsps=counts["dsp"],
        carries=counts["carry"],
        srls=counts["srl"],
        muxes=counts["mux"],
        cells=cells,
        logic_levels=path.levels,
        path_ns=path.delay_ns,
    )


def _first_error(work: Path, done: subprocess.CompletedProcess) -> str:
    log = work / "yosys.log"
    text = (log.read_text() if log.is_file() else "") + done.stderr + done.stdout
    for line in text.splitlines():
        if line.startswith("ERROR"):
            return line.strip()
    tail = [line for line in text.splitlines() if line.strip()]
    return tail[-1].strip() if tail else f"exit status {done.returncode}"
