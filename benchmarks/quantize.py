"""Quantization benchmarks: the quantize pass, and fake-quantized vs float evaluation.

    python benchmarks/quantize.py [--only pass,eval] [--repeats N] [--widths-checkpoint CKPT]

Sections (each prints its figures and ratio against its target):

- ``pass``: ``quantize_transform_pass`` on jsc-s (copy of the graph included;
  integer 8/4 on every Linear and ReLU). Target: under 50 ms.
- ``eval``: evaluating the full jsc-synth test split with the quantized jsc-s
  graph vs the float graph. Target: under 2x the float time.
- ``formats``: throughput of each number format's ``quantize`` (and ``to_int``)
  on a 1M-element tensor vs a plain ``torch.round`` fixed-point baseline.

``--widths-checkpoint`` (a trained jsc-toy checkpoint) also prints its test
accuracy with every Linear quantized to integer widths 16...2 (docs/lab2.md).

All timings use one thread (``torch.set_num_threads(1)``) and report the
median of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

INT8 = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4, "weight_width": 8,
        "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4}  # fmt: skip
PASS_ARGS = {"by": "type", "default": {"config": {"name": None}},
             "linear": {"config": INT8}, "relu": {"config": INT8}}  # fmt: skip


def median_time(function: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def analysed_graph(model: str, batch: int = 128):
    from carve.ir import MaseGraph
    from carve.passes import (
        add_common_metadata_analysis_pass,
        add_software_metadata_analysis_pass,
        init_metadata_analysis_pass,
    )

    torch.manual_seed(0)
    mg, _ = init_metadata_analysis_pass(MaseGraph.from_registered(model))
    dummy = {"x": torch.randn(batch, 16)}
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": dummy})  # values kept, as MASE
    mg, _ = add_software_metadata_analysis_pass(mg)
    return mg


def bench_pass(repeats: int) -> None:
    from carve.passes import quantize_transform_pass

    mg = analysed_graph("jsc-s")
    quantize_transform_pass(mg, PASS_ARGS)  # warm-up (imports, class generation)
    seconds = median_time(lambda: quantize_transform_pass(mg, PASS_ARGS), repeats)
    print(f"quantize_transform_pass on jsc-s (copy + 10 nodes): {seconds * 1e3:.2f} ms "
          f"(target < 50 ms: {seconds * 1e3 / 50:.2f}x of budget)")  # fmt: skip


def bench_eval(repeats: int) -> None:
    from carve.data import get_dataset
    from carve.passes import quantize_transform_pass
    from carve.train import evaluate

    test = get_dataset("jsc-synth").test
    mg = analysed_graph("jsc-s")
    qmg, _ = quantize_transform_pass(mg, PASS_ARGS)
    evaluate(mg.model, test), evaluate(qmg.model, test)  # warm-up
    # interleaved runs: the machine's load drifts, so each quantized run is paired with a float one
    float_runs, quant_runs = [], []
    for _ in range(repeats):
        float_runs.append(median_time(lambda: evaluate(mg.model, test), 1))
        quant_runs.append(median_time(lambda: evaluate(qmg.model, test), 1))
    float_s, quant_s = statistics.median(float_runs), statistics.median(quant_runs)
    ratio = statistics.median(q / f for q, f in zip(quant_runs, float_runs))
    print(f"evaluate jsc-s on jsc-synth test ({len(test):,} rows): float {float_s * 1e3:.1f} ms, "
          f"fake-quantized {quant_s * 1e3:.1f} ms, median paired ratio {ratio:.2f}x "
          "(target < 2x)")  # fmt: skip


# one typical spec per format for the throughput section
FORMAT_SPECS: dict[str, dict] = {
    "integer": {"width": 8, "frac_width": 4},
    "scaled_integer": {"width": 8, "granularity": "channel"},
    "minifloat_ieee": {"width": 8, "exponent_width": 4},
    "minifloat_denorm": {"width": 8, "exponent_width": 4},
    "log": {"width": 8, "exponent_bias": 7},
    "block_fp": {"width": 8, "exponent_width": 8, "block_size": [1, 16]},
    "block_minifloat": {"width": 8, "exponent_width": 4, "exponent_bias_width": 6,
                        "block_size": [1, 16]},
    "block_log": {"width": 6, "exponent_bias_width": 6, "block_size": [1, 16]},
    "binary": {"width": 1, "stochastic": False, "bipolar": True},
    "ternary": {"width": 2, "scaling_factor": True},
    "mxint": {"width": 8, "block_size": 32},
    "mxfp": {"width": 8, "exponent_width": 4, "block_size": 32},
}  # fmt: skip


def bench_formats(repeats: int) -> None:
    """Each format's ``quantize`` (and ``to_int``) on 1M elements vs ``torch.round``.

    The baseline is re-timed alternately with each format, so the ratio holds
    even when other processes share the CPU.
    """
    from carve.quant import FORMATS

    x = torch.randn(1024, 1024, generator=torch.Generator().manual_seed(0))

    def baseline() -> torch.Tensor:
        return torch.round(x * 16) / 16

    print("format throughput on a 1M-element float32 tensor vs torch.round(x*16)/16 "
          "(best of --repeats; baseline re-timed alternately with each format)")  # fmt: skip
    print(f"{'format':<18}{'quantize ms':>12}{'M elem/s':>10}{'round ms':>10}{'ratio':>7}"
          f"{'to_int ms':>11}")  # fmt: skip
    for name, fields in FORMAT_SPECS.items():
        fmt = FORMATS[name]
        spec = fmt.make_spec(**fields)
        fmt.quantize(x, spec), baseline()  # warm-up
        q_times, b_times = [], []
        for _ in range(repeats):
            q_times.append(median_time(lambda fmt=fmt, spec=spec: fmt.quantize(x, spec), 1))
            b_times.append(median_time(baseline, 1))
        q_s, b_s = min(q_times), min(b_times)  # best of N: least disturbed by other load
        i_s = min(median_time(lambda fmt=fmt, spec=spec: fmt.to_int(x, spec), 1)
                  for _ in range(max(3, repeats // 3)))  # fmt: skip
        print(f"{name:<18}{q_s * 1e3:>12.2f}{x.numel() / q_s / 1e6:>10.0f}{b_s * 1e3:>10.2f}"
              f"{q_s / b_s:>7.1f}{i_s * 1e3:>11.2f}")  # fmt: skip


def accuracy_vs_width(checkpoint: str, model: str = "jsc-toy") -> None:
    """Test accuracy of ``model`` (weights from ``checkpoint``) with every Linear at w bits."""
    from carve.data import get_dataset
    from carve.ir import MaseGraph
    from carve.models import get_model, load_model
    from carve.passes import (
        add_common_metadata_analysis_pass,
        init_metadata_analysis_pass,
        quantize_transform_pass,
    )
    from carve.train import evaluate

    dataset = get_dataset("jsc-synth")
    net = get_model(model, dataset_info=dataset.info)
    load_model(checkpoint, "auto", net)
    mg, _ = init_metadata_analysis_pass(MaseGraph(net))
    dummy = {"x": dataset.train.x[:128]}
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": dummy, "add_value": False})
    print(f"| width | frac | test accuracy ({model}, every Linear: data_in, weight, bias) |")
    print("|---|---|---|")
    print(f"| float32 | - | {evaluate(mg.model, dataset.test)['acc']:.4f} |")
    for width in (16, 12, 10, 8, 6, 5, 4, 3, 2):
        frac = width // 2
        config = {"name": "integer"} | {
            f"{op}_{key}": value
            for op in ("data_in", "weight", "bias")
            for key, value in (("width", width), ("frac_width", frac))
        }
        qmg, _ = quantize_transform_pass(mg, {"by": "type", "linear": {"config": config}})
        print(f"| {width} | {frac} | {evaluate(qmg.model, dataset.test)['acc']:.4f} |")


SECTIONS: dict[str, Callable[[int], None]] = {
    "pass": bench_pass,
    "eval": bench_eval,
    "formats": bench_formats,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--widths-checkpoint", help="also print jsc-toy accuracy vs integer width")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for name in args.only.split(","):
        if name:
            SECTIONS[name](args.repeats)
    if args.widths_checkpoint:
        accuracy_vs_width(args.widths_checkpoint)


if __name__ == "__main__":
    main()
