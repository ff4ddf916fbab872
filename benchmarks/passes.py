"""Time the lab-2 graph pipeline: MaseGraph + metadata passes + statistics + reports.

    python benchmarks/passes.py            # all pipelines, median of 5 runs each
    python benchmarks/passes.py --repeats 11

Pipelines (one thread, CPU, inputs batch 8 as the lab):

* ``lab2-steps`` on jsc-tiny / jsc-s / a ResNet-18 (CIFAR layout, 3x32x32):
  the lab's steps after data loading - MaseGraph, init, add_common,
  add_software, report_graph, profile_statistics (32 samples, the lab's
  arguments), report_node_meta_param - with printed output discarded.
  MASE's figures for the same steps: 34 ms (jsc-tiny), 49 ms (jsc-s), 254 ms
  (ResNet-18; its input size is not recorded). ``forwards ms`` is the bare
  model's 5 forward passes that the steps must run (1 for metadata, 4 batches
  of 8 for 32 samples): the compute floor, dominant on ResNet-18.
* ``metadata`` on a generated deep model with >= 2,000 nodes: MaseGraph +
  init + add_common + add_software (target < 3 s).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import os
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from carve.ir import MaseGraph
from carve.models import get_model
from carve.passes import (
    add_common_metadata_analysis_pass,
    add_software_metadata_analysis_pass,
    init_metadata_analysis_pass,
)

# the lab-2 pipeline timed is the example's own function, not a copy of it
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from lab2 import graph_steps


class _Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout))  # fmt: skip

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.down is None else self.down(x)))


class ResNet18(nn.Module):
    """ResNet-18, CIFAR layout (3x3 stem, no max pool), 10 classes."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64),
                                  nn.ReLU(inplace=True))  # fmt: skip
        widths, blocks, cin = [64, 128, 256, 512], [], 64
        for i, width in enumerate(widths):
            blocks += [_Block(cin, width, 1 if i == 0 else 2), _Block(width, width, 1)]
            cin = width
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))


class DeepResidualMLP(nn.Module):
    """``depth`` blocks of Linear + F.relu + residual add + scaling: 4 nodes per block."""

    def __init__(self, depth: int, width: int = 16) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))

    def forward(self, x):
        for layer in self.layers:
            x = (x + F.relu(layer(x))) * 0.5
        return x


def lab2_steps(model: nn.Module, batches: list[dict], weight_op: str) -> None:
    """examples/lab2.py's graph steps on ``batches`` (8 per batch), printed output discarded."""
    with contextlib.redirect_stdout(io.StringIO()):
        graph_steps(model, batches[0], iter(batches), weight_op)


def metadata_only(model: nn.Module, dummy: dict) -> int:
    mg = MaseGraph(model)
    mg, _ = init_metadata_analysis_pass(mg)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": dummy, "add_value": False})
    mg, _ = add_software_metadata_analysis_pass(mg)
    return len(mg.fx_graph.nodes)


def _times_ms(function, repeats: int) -> tuple[float, float]:
    """(median, best) wall time in ms; the best is the least disturbed by other processes."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3, min(times) * 1e3


def _forwards(model: nn.Module, batches: list[dict]) -> None:
    """The compute floor of lab2_steps: 1 forward (metadata) + 4 (32 samples of 8)."""
    with torch.no_grad():
        for batch in [batches[0], *batches]:
            model.eval()(**batch)


def main() -> None:
    parser = argparse.ArgumentParser(description="time the lab-2 graph pipeline")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--depth", type=int, default=500, help="blocks of the deep model")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    jsc_batches = [{"x": torch.randn(8, 16)} for _ in range(4)]
    image_batches = [{"x": torch.randn(8, 3, 32, 32)} for _ in range(4)]
    cases = [  # (model name, builder, batches, weight op, MASE ms)
        ("jsc-tiny", lambda: get_model("jsc-tiny"), jsc_batches, "linear", 34),
        ("jsc-s", lambda: get_model("jsc-s"), jsc_batches, "linear", 49),
        ("resnet-18", ResNet18, image_batches, "conv2d", 254),
    ]
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
          f"median and best of {args.repeats} runs, 1 thread")  # fmt: skip
    head = f"{'pipeline':<11} {'model':<16} {'nodes':>5} {'median ms':>10} {'best ms':>8}"
    print(f"{head} {'MASE ms':>8} {'MASE/best':>9} {'forwards ms':>11}")
    for name, build, batches, weight_op, mase_ms in cases:
        model = build()
        run = functools.partial(lab2_steps, model, batches, weight_op)
        run()  # warm-up
        median, best = _times_ms(run, args.repeats)
        floor = _times_ms(functools.partial(_forwards, model, batches), args.repeats)[1]
        nodes = len(MaseGraph(model).fx_graph.nodes)
        print(f"{'lab2-steps':<11} {name:<16} {nodes:>5} {median:10.1f} {best:8.1f} {mase_ms:8d} "
              f"{mase_ms / best:8.1f}x {floor:11.1f}")  # fmt: skip
    deep = DeepResidualMLP(args.depth)
    dummy = {"x": torch.randn(8, 16)}
    nodes = metadata_only(deep, dummy)
    median, best = _times_ms(lambda: metadata_only(deep, dummy), args.repeats)
    print(f"{'metadata':<11} {f'deep-mlp x{args.depth}':<16} {nodes:>5} {median:10.1f} "
          f"{best:8.1f}        - (target < 3000 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
