"""The export report's ``resources`` entry: yosys per node module, beside the cost model.

:func:`design_resources` runs :func:`carve.hardware.yosys.estimate_resources`
on an emitted design (``carve.export.verilog.RtlDesign``: its files, top,
node -> module map, latency) and returns a JSON-ready record: the label
``yosys estimate (not Vivado)``, family, clock, totals, the critical-path and
latency estimate, yosys' run time, and one row per node (LUT, FF, DSP, carry,
logic levels) with the cost model's LUT/FF figures beside yosys'.
:func:`resource_lines` renders it as the report's per-layer table.
"""

from __future__ import annotations

from typing import Any

from carve.hardware.yosys import DEFAULT_CLOCK_NS, DEFAULT_FAMILY, LABEL, estimate_resources


def design_resources(
    design: Any,
    *,
    family: str = DEFAULT_FAMILY,
    clock_ns: float = DEFAULT_CLOCK_NS,
    dsp: bool = False,
) -> dict[str, Any]:
    """yosys' figures for ``design`` (an ``RtlDesign``), per node and in total."""
    from carve.hardware.cost_model import estimate_datapath

    estimate = estimate_resources(
        design.files,
        design.top,
        family=family,
        clock_ns=clock_ns,
        latency_cycles=design.latency,
        dsp=dsp,
    )
    model = {layer.node: layer for layer in estimate_datapath(design.datapath).layers}
    layers = []
    for node, module in design.modules.items():
        counts = estimate.modules[module]
        layers.append(
            {
                "node": node,
                "op": model[node].op,
                "module": module,
                "luts": counts.luts,
                "ffs": counts.ffs,
                "dsps": counts.dsps,
                "carries": counts.carries,
                "logic_levels": counts.logic_levels,
                "model_luts": round(model[node].luts),
                "model_ffs": model[node].ffs,
            }
        )
    total = estimate.total
    return {
        "label": LABEL,
        "tool": estimate.yosys_version,
        "family": family,
        "dsp_inference": dsp,
        "luts": total.luts,
        "ffs": total.ffs,
        "dsps": total.dsps,
        "carries": total.carries,
        "clock_ns": clock_ns,
        "critical_path_ns": estimate.critical_path_ns,
        "logic_levels": estimate.logic_levels,
        "fmax_mhz": estimate.fmax_mhz,
        "meets_clock": estimate.meets_clock,
        "latency_cycles": design.latency,
        "latency_ns": estimate.latency_ns,
        "yosys_seconds": estimate.yosys_seconds,
        "layers": layers,
    }


def resource_lines(record: dict[str, Any]) -> list[str]:
    """The report's lines: a summary, then one row per node."""
    dsp = "DSP inference on" if record["dsp_inference"] else "LUT-only (-nodsp)"
    timing = "meets" if record["meets_clock"] else "misses"
    lines = [
        f"Resources, {record['label']}: synth_xilinx -family {record['family']}, {dsp}: "
        f"{record['luts']} LUT, {record['ffs']} FF, {record['dsps']} DSP, "
        f"{record['carries']} CARRY; critical path ~{record['critical_path_ns']} ns "
        f"({record['logic_levels']} logic levels, {timing} {record['clock_ns']} ns), latency "
        f"{record['latency_cycles']} cycles = {record['latency_ns']} ns; yosys ran "
        f"{record['yosys_seconds']:.1f} s",
        "  node                 op            LUT (model)     FF (model)   DSP  CARRY  levels",
    ]
    for row in record["layers"]:
        lines.append(
            f"  {row['node']:<20} {row['op']:<12} {row['luts']:>6} ({row['model_luts']:>6}) "
            f"{row['ffs']:>6} ({row['model_ffs']:>5}) {row['dsps']:>5} {row['carries']:>6} "
            f"{row['logic_levels']:>7}"
        )
    return lines


#: ``carve export --format verilog`` runs yosys itself up to this many LUTs (cost model):
#: seconds of synthesis; a bigger design gets the cost model's figures and a note.
EXPORT_YOSYS_MAX_LUTS = 1500


def export_resources(design: Any) -> tuple[dict[str, Any], list[str]]:
    """The export report's ``resources`` entry and its lines, for an emitted design."""
    from carve.hardware.cost_model import estimate_datapath

    model = estimate_datapath(design.datapath)
    if model.luts <= EXPORT_YOSYS_MAX_LUTS:
        record = design_resources(design)
        return record, resource_lines(record)
    record = {
        "label": "cost model estimate (yosys not run)",
        "luts": round(model.luts),
        "ffs": model.ffs,
        "latency_cycles": model.latency_cycles,
        "layers": [
            {"node": layer.node, "op": layer.op, "model_luts": round(layer.luts),
             "model_ffs": layer.ffs}
            for layer in model.layers
        ],
    }  # fmt: skip
    line = (
        f"Resources: cost model estimate {record['luts']} LUT, {record['ffs']} FF, "
        f"{record['latency_cycles']} cycles; yosys runs itself only up to "
        f"{EXPORT_YOSYS_MAX_LUTS} LUTs (minutes beyond): carve.hardware.resources."
        "design_resources(design) or benchmarks/hardware_table.py give yosys' figures"
    )
    return record, [line]
