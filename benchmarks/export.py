"""Export time per model and format, and ONNX Runtime throughput vs carve's fake-quant eval.

    python benchmarks/export.py                 # onnx + qonnx, 4 JSC models, 5 repeats
    python benchmarks/export.py --hls4ml        # also the hls4ml project (g++ compile)

Each model (random seeded weights; numerics do not depend on them) is
quantized with ``configs/export/jsc_int8.toml`` (every BatchNorm, ReLU and
Linear at 8-bit fixed point) and exported to a fresh folder; export time
includes the parity run on the full jsc-synth test split (166,000 rows), as
``carve export`` does. Throughput: rows per second over the whole test split
in one batch, one thread, median of ``--repeats``: ONNX Runtime (the exported
QDQ model, graph optimisations off as in the parity check, and fully on) vs
carve's fake-quantized graph under ``torch.inference_mode``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from carve.config.resolve import read_config_file
from carve.data import get_dataset
from carve.export.api import export_graph
from carve.export.parity import fake_quant_outputs
from carve.ir import MaseGraph
from carve.passes import (
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
)

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "export" / "jsc_int8.toml"
MODELS = ("jsc-tiny", "jsc-toy", "jsc-s", "jsc-10x")


def quantized(model: str, quantize_args: dict) -> MaseGraph:
    torch.manual_seed(0)
    graph, _ = init_metadata_analysis_pass(MaseGraph.from_registered(model))
    dummy = {"x": torch.randn(8, 16)}
    graph, _ = add_common_metadata_analysis_pass(graph, {"dummy_in": dummy, "add_value": False})
    graph, _ = quantize_transform_pass(graph, quantize_args)
    return graph


def rows_per_second(run, x, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(x)
        times.append(time.perf_counter() - start)
    return len(x) / statistics.median(times)


def ort_session(path: Path, optimised: bool):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if optimised
        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    )
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def compare_throughput(graph, path: Path, x: np.ndarray, repeats: int) -> tuple:
    """(carve rows/s, ORT opt. off rows/s, ORT opt. on rows/s, opt. on output still equal)."""
    plain, optimised = ort_session(path, False), ort_session(path, True)
    reference = fake_quant_outputs(graph.model, x)
    carve = rows_per_second(lambda a: fake_quant_outputs(graph.model, a), x, repeats)
    ort_off = rows_per_second(lambda a: plain.run(None, {"x": a}), x, repeats)
    ort_on = rows_per_second(lambda a: optimised.run(None, {"x": a}), x, repeats)
    same = np.array_equal(optimised.run(None, {"x": x})[0], reference)
    return carve, ort_off, ort_on, same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--hls4ml", action="store_true", help="also export hls4ml projects")
    args = parser.parse_args()
    torch.set_num_threads(1)
    quantize_args = read_config_file(str(CONFIG))[1]["passes"]["quantize"]
    test = get_dataset("jsc-synth").test
    x = test.x.numpy()
    formats = ["onnx", "qonnx"] + (["hls4ml"] if args.hls4ml else [])
    print(f"test split: {len(x):,} rows; torch threads 1; repeats {args.repeats}")
    print("| model | format | export s (incl. parity) | file bytes | parity |")
    print("|---|---|---:|---:|---|")
    throughput = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in MODELS:
            graph = quantized(model, quantize_args)
            for fmt in formats:
                start = time.perf_counter()
                report = export_graph(graph, fmt, Path(tmp) / f"{model}-{fmt}", inputs=test.x)
                seconds = time.perf_counter() - start
                size = sum(report.files.values())
                verdict = "exact" if report.parity.exact else f"{report.parity.mismatches} differ"
                print(f"| {model} | {fmt} | {seconds:.2f} | {size:,} | {verdict} |")
            path = Path(tmp) / f"{model}-onnx" / "model.onnx"
            throughput.append((model, *compare_throughput(graph, path, x, args.repeats)))
    print()
    print("| model | carve fake-quant rows/s | ORT (opt. off) rows/s | ratio | "
          "ORT (opt. on) rows/s | ratio | opt. on still exact |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---|")
    for model, carve, ort_off, ort_on, same in throughput:
        print(f"| {model} | {carve:,.0f} | {ort_off:,.0f} | {ort_off / carve:.1f}x | "
              f"{ort_on:,.0f} | {ort_on / carve:.1f}x | {same} |")  # fmt: skip


if __name__ == "__main__":
    main()
