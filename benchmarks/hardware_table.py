"""docs/hardware.md's "Resource estimates" table: accuracy, LUT/FF/DSP, latency, times.

    python benchmarks/hardware_table.py [--epochs 5] [--cache benchmarks/.hardware_table.json]
                                        [--only jsc-tiny,jsc-toy] [--dsp] [--rows jsc-s/8/0.0]

For jsc-tiny, jsc-toy and jsc-s, trained on jsc-synth (default size: 531,200 /
132,800 / 166,000 rows) for ``--epochs`` epochs, then quantized post-training
(no QAT) with the integer format at 8/6/4/3 bits (data and weights; four
integer bits for data, two for weights, sign included), plus jsc-s at 4 bits pruned 50/75/90 %
(l1-norm per layer, then quantized; no fine-tuning):

- accuracy on the jsc-synth test split and its drop from the float model;
- emit + Verilator build + simulation of the whole test split (mismatching
  output codes vs carve's integer reference) + the Icarus testbench, timed;
- yosys 0.23 ``synth_xilinx -family xcup`` LUT/FF/DSP/carry (``-nodsp`` unless
  ``--dsp``), critical-path and latency estimate at 5 ns, yosys run time;
- the cost model's LUT/FF beside yosys' (``--yosys-max-luts N``: designs the
  model puts above N LUTs get the model's figures only, yosys is not run;
  ``--simulate MODELS``: only these models' designs are simulated).

Rows are cached in ``--cache`` as they finish (a rerun continues). Prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from carve.fileio import atomic_write_text

MODELS = {"jsc-tiny": 1, "jsc-toy": 3, "jsc-s": 5}
BITS = (8, 6, 4, 3)
PRUNED = (0.5, 0.75, 0.9)
DATA_INT, WEIGHT_INT = 4, 2  # data in [-8, 8), weights in [-2, 2): the trained ranges


def designs() -> list[tuple[str, int, float]]:
    rows = [(model, bits, 0.0) for model in MODELS for bits in BITS]
    return rows + [("jsc-s", 4, sparsity) for sparsity in PRUNED]


def trained(model_name: str, epochs: int, dataset):
    from carve.config import CarveConfig
    from carve.train import build_model, evaluate, train

    config = CarveConfig(model=model_name, dataset="jsc-synth", max_epochs=epochs,
                         batch_size=512, learning_rate=0.01, progress=False)  # fmt: skip
    model = build_model(config, dataset.info)
    result = train(config, dataset=dataset, model=model, write_files=False)
    model = result.model.eval()
    return model, evaluate(model, dataset.test)["acc"]


def one_row(model, float_acc, name, bits, sparsity, dataset, dsp: bool, yosys_max: float,
            simulate: bool):  # fmt: skip
    import numpy as np

    from carve.export.graph_view import export_view
    from carve.export.verilog import VerilogExporter
    from carve.hardware.cost_model import estimate_datapath
    from carve.hardware.designs import DesignSpec, design_graph
    from carve.hardware.resources import design_resources
    from carve.train import evaluate

    layers = MODELS[name]
    spec = DesignSpec(name, ((bits, bits),) * layers, (sparsity,) * layers if sparsity else (),
                      data_int=DATA_INT, weight_int=WEIGHT_INT)  # fmt: skip
    graph = design_graph(spec, model=model)
    accuracy = evaluate(graph.model, dataset.test)["acc"]
    x = np.ascontiguousarray(dataset.test.x.numpy(), dtype=np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        view = export_view(graph)
        exporter = VerilogExporter()
        exporter.write(view, Path(tmp))
        emitted = time.perf_counter()
        parity = exporter.parity(Path(tmp), view, x) if simulate else None
        simulated = time.perf_counter()
        model_cost = estimate_datapath(exporter.design.datapath)
        record = None
        if model_cost.luts <= yosys_max:
            record = design_resources(exporter.design, dsp=dsp)
        done = time.perf_counter()
    if record is None:  # too big for yosys on this machine: the cost model's figures only
        record = {"luts": None, "ffs": None, "dsps": None, "carries": None,
                  "latency_cycles": model_cost.latency_cycles, "critical_path_ns": None,
                  "latency_ns": None, "yosys_seconds": None}  # fmt: skip
    return {
        "model": name, "bits": bits, "sparsity": sparsity,
        "accuracy": round(accuracy, 4), "drop": round(float_acc - accuracy, 4),
        "float_accuracy": round(float_acc, 4),
        "luts": record["luts"], "ffs": record["ffs"], "dsps": record["dsps"],
        "carries": record["carries"], "model_luts": round(model_cost.luts),
        "model_ffs": model_cost.ffs, "latency_cycles": record["latency_cycles"],
        "critical_path_ns": record["critical_path_ns"], "latency_ns": record["latency_ns"],
        "mismatches": parity.mismatches if parity else None, "rows": len(x),
        "emit_s": round(emitted - start, 2), "simulate_s": round(simulated - emitted, 1),
        "yosys_s": record["yosys_seconds"], "total_s": round(done - start, 1),
    }  # fmt: skip


def markdown(rows: list[dict]) -> str:
    head = (
        "| model | bits | pruned | accuracy | drop | LUT (model) | FF | DSP | latency | "
        "emit+sim+est. | yosys | parity |\n" + "|---" * 12 + "|"
    )
    lines = [head]
    for r in rows:
        if r["luts"] is None:  # cost model only
            lut = f"- ({r['model_luts']:,})"
            ff, dsp, latency, yosys = (
                f"({r['model_ffs']:,})",
                "-",
                f"{r['latency_cycles']} cyc",
                "-",
            )
        else:
            lut, ff, dsp = f"{r['luts']:,} ({r['model_luts']:,})", f"{r['ffs']:,}", f"{r['dsps']}"
            latency = f"{r['latency_cycles']} cyc = {r['latency_ns']:.0f} ns"
            yosys = f"{r['yosys_s']:.0f} s"
        parity = "not run" if r["mismatches"] is None else f"{r['mismatches']}/{r['rows']:,}"
        lines.append(
            f"| {r['model']} | {r['bits']} | {r['sparsity']:.0%} | {r['accuracy']:.3f} | "
            f"{r['drop'] * 100:+.1f} pt | {lut} | {ff} | {dsp} | {latency} | "
            f"{r['total_s']:.0f} s | {yosys} | {parity} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path("benchmarks/.hardware_table.json"))
    parser.add_argument("--only", default=",".join(MODELS))
    parser.add_argument("--dsp", action="store_true", help="let yosys infer DSP slices")
    parser.add_argument("--yosys-max-luts", type=float, default=float("inf"),
                        help="no yosys where the cost model predicts more LUTs")  # fmt: skip
    parser.add_argument("--simulate", default=",".join(MODELS),
                        help="models whose designs Verilator simulates (test split)")  # fmt: skip
    parser.add_argument("--rows", default="",
                        help="only these rows, recomputed even if cached (cache keys, e.g. "
                             "jsc-s/6/0.0,jsc-s/8/0.0)")  # fmt: skip
    args = parser.parse_args()
    rerun = {key for key in args.rows.split(",") if key}
    unknown = rerun - {f"{m}/{b}/{s}" for m, b, s in designs()}
    if unknown:
        parser.error(f"--rows: unknown row(s) {', '.join(sorted(unknown))}; rows are "
                     + ", ".join(f"{m}/{b}/{s}" for m, b, s in designs()))  # fmt: skip

    import torch

    from carve.data import get_dataset

    torch.set_num_threads(1)
    torch.manual_seed(0)
    cache = json.loads(args.cache.read_text()) if args.cache.is_file() else {}
    dataset = get_dataset("jsc-synth")
    wanted = args.only.split(",")
    for name in wanted:
        keys = {d: f"{d[0]}/{d[1]}/{d[2]}" for d in designs() if d[0] == name}
        todo = [d for d, key in keys.items() if (key in rerun if rerun else key not in cache)]
        if not todo:
            continue
        model, float_acc = trained(name, args.epochs, dataset)
        print(f"{name}: float accuracy {float_acc:.4f}", flush=True)
        for _, bits, sparsity in todo:
            row = one_row(model, float_acc, name, bits, sparsity, dataset, args.dsp,
                          args.yosys_max_luts, name in args.simulate.split(","))  # fmt: skip
            cache[f"{name}/{bits}/{sparsity}"] = row
            atomic_write_text(args.cache, json.dumps(cache, indent=1))
            print(json.dumps(row), flush=True)
    rows = [cache[key] for key in (f"{m}/{b}/{s}" for m, b, s in designs()) if key in cache]
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
