"""``carve search --verify-hardware K``: yosys on the K best trials, beside the cost model.

After the trials, the K best rows (the Pareto front first, as ``results.md``
orders them) are rebuilt as quantized graphs, emitted as Verilog
(``hardware/trial_<N>/rtl``) and synthesized by yosys
(:func:`carve.hardware.resources.design_resources`, two at a time). Each
verified row gains ``yosys_luts``, ``yosys_ffs``, ``yosys_dsps``,
``yosys_critical_path_ns``, ``yosys_seconds`` and ``luts_model_error`` (model /
yosys - 1) next to the model's ``luts`` and ``ffs``, so ``results.md`` and
``pareto.md`` show both; ``hardware.md`` lists the verified trials alone.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from carve.errors import CarveError
from carve.fileio import atomic_write_text

PARALLEL = 2  # yosys runs at once (each is single-threaded)
COLUMNS = ("number", "luts", "yosys_luts", "luts_model_error", "ffs", "yosys_ffs",
           "yosys_dsps", "latency_cycles", "yosys_critical_path_ns", "yosys_seconds")  # fmt: skip


def check_count(count: Any) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise CarveError(f"--verify-hardware must be an integer >= 0, got {count!r}")
    return count


def candidate_graph(candidate: Any) -> Any:
    """A quantized graph of its own for ``candidate`` (what the Verilog export takes)."""
    graph = getattr(candidate, "graph", None)
    if callable(graph):
        return graph()
    models, configs = getattr(candidate, "models", None), getattr(candidate, "node_configs", None)
    if models is not None and configs is not None:
        return models.trainable(configs)
    raise CarveError(
        "--verify-hardware needs quantized candidates (spaces graph/hardware/jsc_mlp or "
        "graph/quantize/mixed_precision_ptq)"
    )


def verify_rows(
    setup: Any, study: Any, rows: list[dict[str, Any]], count: int, folder: Path
) -> list[Path]:
    """Run yosys on the first ``count`` best rows, adding its columns to them in place."""
    if count == 0:
        return []
    from carve.export.graph_view import export_view
    from carve.export.verilog import emit_verilog
    from carve.hardware.resources import design_resources
    from carve.search.engine import ATTRIBUTE
    from carve.search.outputs import complete_trials

    chosen = [row for row in rows if row["best"]][:count]
    if not chosen:
        return []
    trials = {trial.number: trial for trial in complete_trials(study)}
    designs = []
    for row in chosen:
        sampled = trials[row["number"]].user_attrs[ATTRIBUTE]["sampled_config"]
        values = {p.name: _choice(sampled[p.name]) for p in setup.params}
        candidate = setup.space.candidate(values)
        view = export_view(candidate_graph(candidate))
        designs.append(emit_verilog(view, folder / "hardware" / f"trial_{row['number']}"))
    with ThreadPoolExecutor(min(PARALLEL, len(designs))) as pool:
        records = list(pool.map(design_resources, designs))
    for row, record in zip(chosen, records):
        row["yosys_luts"] = record["luts"]
        row["yosys_ffs"] = record["ffs"]
        row["yosys_dsps"] = record["dsps"]
        row["yosys_critical_path_ns"] = record["critical_path_ns"]
        row["yosys_seconds"] = record["yosys_seconds"]
        if "luts" in row and record["luts"]:
            row["luts_model_error"] = round(row["luts"] / record["luts"] - 1, 4)
    return [_write_table(folder / "hardware.md", chosen)]


def _choice(value: Any) -> Any:
    """A stored (JSON) sampled value back as the parameter's choice (lists were tuples)."""
    return tuple(_choice(v) for v in value) if isinstance(value, list) else value


def _write_table(path: Path, rows: list[dict[str, Any]]) -> Path:
    from carve.search.outputs import markdown

    columns = [c for c in COLUMNS if any(c in row for row in rows)]
    text = (
        "# Hardware check: cost model vs yosys estimate (not Vivado)\n\n"
        "yosys 0.23 `synth_xilinx -family xcup -nodsp`, out of context; the model's "
        "`luts`/`ffs` beside yosys' counts for the best trials.\n\n" + markdown(rows, columns)
    )
    return atomic_write_text(path, text + "\n")
