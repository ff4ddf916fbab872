"""Cold and warm ``evaluate`` of jsc-tiny on the test split, with and without the thread policy.

``carve test`` evaluates once per process, so its cold evaluation is what a
user waits for. ``default``: torch's intra-op threads (what ``carve test`` used
before issue 9); ``policy``: :func:`carve.train.apply_num_threads`, as
``carve train`` and now ``carve test`` apply it (1 thread under 1M parameters).
Each mode runs in its own process so both start cold.

    python benchmarks/cold_evaluate.py --repeats 3
"""

from __future__ import annotations

import argparse
import subprocess
import sys

CHILD = """
import sys, time
import torch
from carve.data import get_dataset
from carve.models import get_model
from carve.train import apply_num_threads, evaluate
data = get_dataset("jsc-synth")
model = get_model("jsc-tiny", dataset_info=data.info)
if sys.argv[1] == "policy":
    apply_num_threads(None, sum(p.numel() for p in model.parameters()))
started = time.perf_counter()
evaluate(model, data.test)
cold = time.perf_counter() - started
started = time.perf_counter()
evaluate(model, data.test)
warm = time.perf_counter() - started
print(f"{sys.argv[1]:>8}: {torch.get_num_threads()} thread(s), cold {cold:.3f} s, "
      f"warm {warm:.3f} s ({len(data.test):,} rows)")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for _ in range(args.repeats):
        for mode in ("default", "policy"):
            subprocess.run([sys.executable, "-c", CHILD, mode], check=True)


if __name__ == "__main__":
    main()
