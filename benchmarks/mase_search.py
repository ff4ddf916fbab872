"""MASE's own search (``chop.actions.search.search``) on its lab-3 example, timed per trial.

    PYTHONPATH=<MASE checkout>/src python benchmarks/mase_search.py ROWS.pt SAMPLER TRIALS OUT

Needs a MASE checkout (DeepWok/mase 513eba5f) and its dependencies in the
running environment (a separate virtual environment: they conflict with
carve's pins); carve is not imported. ``ROWS.pt``: ``{"train": (x, y),
"val": (x, y)}`` tensors (jsc-synth rows saved by carve: MASE's JSC loader
downloads the real dataset). Runs MASE's ``configs/examples/jsc_toy_by_type.toml``
with ``n_trials = TRIALS``, ``sampler = SAMPLER`` and ``setup.by = "type"``
(the file's ``"name"`` fails at 513eba5f with ``KeyError: 'NA'``), jsc-tiny,
on CPU, one thread, and prints the per-trial rate from the saved study's
timestamps (first start to last end), the rule ``benchmarks/search.py
--mase-space`` applies to carve.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import joblib
import toml
import torch
from torch.utils.data import DataLoader, TensorDataset


class RowsModule:
    """What MASE's search reads of a data module, over saved tensors."""

    name = "jsc"
    batch_size = 512  # jsc_toy_by_type.toml's batch_size: one batch of 512 rows per trial
    train_dataset = True

    def __init__(self, rows: dict) -> None:
        self.rows = rows

    def prepare_data(self) -> None:
        pass

    def setup(self) -> None:
        pass

    def train_dataloader(self) -> DataLoader:
        return DataLoader(TensorDataset(*self.rows["train"]), batch_size=self.batch_size)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(TensorDataset(*self.rows["val"]), batch_size=self.batch_size)


class NoVisualizer:
    def log_metrics(self, metrics, step) -> None:
        pass


def main() -> None:
    rows_file, sampler, trials, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    torch.set_num_threads(1)
    start = time.perf_counter()
    from chop.actions.search import search
    from chop.dataset import get_dataset_info
    from chop.models import get_model, get_model_info

    imported = time.perf_counter() - start
    logging.disable(logging.INFO)
    root = Path(sys.modules["chop"].__file__).resolve().parents[2]
    config = toml.load(root / "configs/examples/jsc_toy_by_type.toml")
    config["search"]["search_space"]["setup"]["by"] = "type"
    config["search"]["strategy"]["setup"] |= {"n_trials": trials, "sampler": sampler}
    info = get_dataset_info("jsc")
    model = get_model("jsc-tiny", task="cls", dataset_info=info, pretrained=False)
    start = time.perf_counter()
    search(model=model, model_info=get_model_info("jsc-tiny"), task="cls", dataset_info=info,
           data_module=RowsModule(torch.load(rows_file)), search_config=config, save_path=out,
           accelerator="cpu", visualizer=NoVisualizer())  # fmt: skip
    wall = time.perf_counter() - start
    study = joblib.load(out / "study.pkl")
    span = max(t.datetime_complete for t in study.trials) - min(
        t.datetime_start for t in study.trials
    )
    print(
        f"MASE: {len(study.trials)} trials ({sampler}), per-trial rate "
        f"{len(study.trials) / span.total_seconds():.1f}/s (first start to last end), "
        f"search() call {wall:.2f} s, chop import {imported:.2f} s"
    )


if __name__ == "__main__":
    main()
