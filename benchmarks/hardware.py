"""Verilog export: Verilator parity on the full test split, accuracy and timings per design.

    python benchmarks/hardware.py                        # jsc-tiny/toy/s at 8/6/4/3, mixed, pruned
    python benchmarks/hardware.py --models jsc-toy --widths 4 --no-extra   # one design

Each model is trained briefly in float (``--steps`` Adam steps of 256 rows on
the jsc-synth train split, seeded), then quantized after training with every
BatchNorm, ReLU and Linear at ``w`` bits (``data_in`` and ``bias`` with
``w // 2`` fractional bits, weights with ``w - 1``: trained weights lie in
(-1, 1)), plus a mixed by-name config (jsc-toy: 8/6/4/3 bits per layer) and
jsc-s at 4 bits with 50/75/90 % of the weights pruned (``prune_transform_pass``,
masks baked by ``prune_detach_hook_transform_pass`` after training). With
``--qat-steps N`` every quantized design is trained N more steps
(quantization-aware, learning rate 3e-4) before export. Each design goes through ``export_graph(...,
"verilog", inputs=<full 166,000-row test split>)`` as ``carve export`` does:
emit, Verilator build, simulation of every row, comparison of every output
code with carve's integer reference, and the Icarus testbench (256 rows).

Printed per design: float and quantized accuracy on the test split, the
parity (rows, mismatching output codes), the Icarus result, latency in
cycles, and seconds for emit / Verilator build / 166k-row simulation /
emit+build+simulate / the whole export (with the integer reference run and
Icarus).
"""

from __future__ import annotations

import argparse
import copy
import os
import tempfile
import time
from pathlib import Path

import torch

from carve.config import CarveConfig
from carve.data import get_dataset
from carve.export.api import export_graph
from carve.ir import MaseGraph
from carve.passes import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    prune_detach_hook_transform_pass,
    prune_transform_pass,
    quantize_transform_pass,
)
from carve.train import evaluate, train

MODELS = ("jsc-tiny", "jsc-toy", "jsc-s")
WIDTHS = (8, 6, 4, 3)
SPARSITIES = (0.5, 0.75, 0.9)


def integer(width: int, operands: dict[str, int]) -> dict:
    config = {"name": "integer"}
    for operand, frac in operands.items():
        config |= {f"{operand}_width": width, f"{operand}_frac_width": frac}
    return config


def by_type(width: int) -> dict:
    half = width // 2
    layer = integer(width, {"data_in": half, "weight": width - 1, "bias": half})
    return {
        "by": "type",
        "default": {"config": {"name": "NA"}},
        "linear": {"config": layer},
        "batch_norm1d": {"config": layer},
        "relu": {"config": integer(width, {"data_in": half})},
    }


def mixed(graph: MaseGraph) -> dict:
    """By name: the k-th Linear (with the BatchNorm and ReLU after it) at 8/6/4/3 bits."""
    args: dict = {"by": "name", "default": {"config": {"name": "NA"}}}
    widths = iter((8, 6, 4, 3, 3, 3))
    width = next(widths)
    for node in graph.nodes:
        if node.op != "call_module":
            continue
        kind = type(graph.model.get_submodule(node.target)).__name__
        if kind == "Linear":
            width = next(widths)
        layer = by_type(width)
        key = {"Linear": "linear", "BatchNorm1d": "batch_norm1d", "ReLU": "relu"}[kind]
        args[node.name] = layer[key]
    return args


def settings(model: str, steps: int, learning_rate: float = 1e-3) -> CarveConfig:
    values = {"model": model, "dataset": "jsc-synth", "batch_size": 256, "seed": 0,
              "learning_rate": learning_rate, "max_epochs": 1, "max_steps": steps}  # fmt: skip
    return CarveConfig.from_dict(values | {"progress": False})


def trained(model: str, data, steps: int) -> torch.nn.Module:
    torch.manual_seed(0)
    return train(settings(model, steps), dataset=data, write_files=False).model.eval()


def fine_tuned(graph: MaseGraph, model: str, data, steps: int) -> MaseGraph:
    """Quantization-aware training of the quantized graph (``steps`` steps), then eval mode."""
    if steps:
        torch.manual_seed(0)
        train(settings(model, steps, 3e-4), dataset=data, model=graph.model, write_files=False)
    graph.model.eval()
    return graph


def quantized(model: torch.nn.Module, args, sparsity: float = 0.0) -> MaseGraph:
    graph, _ = init_metadata_analysis_pass(MaseGraph(copy.deepcopy(model)))
    dummy = {"x": torch.zeros(8, 16)}
    graph, _ = add_common_metadata_analysis_pass(graph, {"dummy_in": dummy, "add_value": False})
    if sparsity:  # masks (parametrizations): they stay through quantization-aware training
        graph, _ = prune_transform_pass(graph, {"weight": {"sparsity": sparsity}})
    graph, _ = quantize_transform_pass(graph, args(graph) if callable(args) else args)
    return graph


def measure(name: str, graph: MaseGraph, data, float_acc: float, out: Path) -> str:
    acc = evaluate(graph.model, data.test)["acc"]
    start = time.perf_counter()
    report = export_graph(graph, "verilog", out / name, inputs=data.test.x)
    total = time.perf_counter() - start
    info = report.to_dict()["verilog"]
    s = info["seconds"]
    flow = s["emit"] + s["verilator_build"] + s["verilator_simulate"]
    icarus = info["icarus"]
    parity = report.parity
    return (
        f"| {name} | {float_acc:.4f} | {acc:.4f} | {parity.rows:,} | {parity.mismatches} | "
        f"{icarus['checked']}/{icarus['rows']}, {icarus['mismatches']} | "
        f"{info['latency_cycles']} | {s['emit']:.1f} | {s['verilator_build']:.1f} | "
        f"{s['verilator_simulate']:.2f} | {flow:.1f} | {total:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--widths", nargs="+", type=int, default=list(WIDTHS))
    parser.add_argument("--steps", type=int, default=1500, help="float training steps")
    parser.add_argument("--qat-steps", type=int, default=0, help="QAT steps per design")
    parser.add_argument("--no-extra", action="store_true", help="skip the mixed and pruned")
    parser.add_argument("--out", default=None, help="keep the exports here (a new folder)")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="carve-hardware-"))
    data = get_dataset("jsc-synth")  # the full 830,000 rows: test split = 166,000
    print(f"load {os.getloadavg()[0]:.2f}; exports under {out}")
    print(
        "| design | float acc | quantized acc | parity rows | mismatching codes | Icarus "
        "(rows, mismatches) | latency (cycles) | emit s | Verilator build s | simulate s | "
        "emit+build+simulate s | whole export s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for model in args.models:
        net = trained(model, data, args.steps)
        float_acc = evaluate(net, data.test)["acc"]
        for width in args.widths:
            graph = fine_tuned(quantized(net, by_type(width)), model, data, args.qat_steps)
            print(measure(f"{model}-int{width}", graph, data, float_acc, out), flush=True)
        if args.no_extra:
            continue
        if model == "jsc-toy":
            graph = fine_tuned(quantized(net, mixed), model, data, args.qat_steps)
            print(measure(f"{model}-mixed", graph, data, float_acc, out), flush=True)
        if model == "jsc-s":
            for sparsity in SPARSITIES:
                graph = quantized(net, by_type(4), sparsity)
                graph = fine_tuned(graph, model, data, args.qat_steps)
                graph, _ = prune_detach_hook_transform_pass(graph)  # bake the masks
                name = f"{model}-int4-pruned{round(sparsity * 100)}"
                print(measure(name, graph, data, float_acc, out), flush=True)
    print(f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
