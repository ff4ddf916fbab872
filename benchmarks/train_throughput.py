"""Training throughput: carve's engine vs a bare PyTorch loop vs the MASE recipe.

One process, same data (the full-size jsc-synth training split, 531,200 rows),
same model (jsc-tiny), batch 256, Adam, one epoch each:

  (a) carve's engine (``carve.train.train``; training part of the epoch),
  (b) a bare PyTorch loop: permutation slicing, forward, backward, Adam step,
  (c) MASE's recipe: per-sample TensorDataset + DataLoader under a Lightning
      Trainer with torchmetrics accuracy (needs the ``bench`` extra).

Targets: (a)/(b) <= 1.15 and (c)/(a) >= 5. Also timed: ``carve --help``,
``carve --info``, evaluating the 166,000-row test split, and a whole
``carve train ... --max-epochs 1`` (start-up and evaluation included).

Run: ``python benchmarks/train_throughput.py [--repeats 3] [--skip-lightning]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import torch

torch.set_num_threads(1)

BATCH = 256
LR = 1e-3


def engine_epoch(data) -> float:
    from carve.config import CarveConfig
    from carve.train import train

    config = CarveConfig(model="jsc-tiny", dataset="jsc-synth", max_epochs=1, batch_size=BATCH,
                         learning_rate=LR, progress=False, accelerator="cpu")  # fmt: skip
    result = train(config, dataset=data, write_files=False)
    return result.history[0]["train_seconds"]


def bare_epoch(data) -> float:
    from carve.models import get_model

    torch.manual_seed(0)
    model = get_model("jsc-tiny")
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    generator = torch.Generator().manual_seed(0)
    x_all, y_all = data.train.x, data.train.y
    start = time.perf_counter()
    order = torch.randperm(len(y_all), generator=generator)
    x_all, y_all = x_all[order], y_all[order]
    model.train()
    for i in range(0, len(y_all), BATCH):
        loss = torch.nn.functional.cross_entropy(model(x_all[i : i + BATCH]), y_all[i : i + BATCH])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def lightning_epoch(data) -> float:
    import lightning as L
    import torchmetrics
    from torch.utils.data import DataLoader, TensorDataset

    from carve.models import get_model

    class Wrapper(L.LightningModule):  # the shape of MASE's plt_wrapper for JSC
        def __init__(self):
            super().__init__()
            self.model = get_model("jsc-tiny")
            self.loss = torch.nn.CrossEntropyLoss()
            self.acc_train = torchmetrics.Accuracy("multiclass", num_classes=5)

        def training_step(self, batch, batch_idx):
            x, y = batch
            out = self.model(x)
            loss = self.loss(out, y)
            self.acc_train(out, y)
            self.log("train_acc_step", self.acc_train, prog_bar=True)
            self.log("train_loss_step", loss)
            return loss

        def configure_optimizers(self):
            optimizer = torch.optim.Adam(self.parameters(), lr=LR)
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=1, eta_min=1e-6)
            return {"optimizer": optimizer, "lr_scheduler": scheduler}

    torch.manual_seed(0)
    loader = DataLoader(TensorDataset(data.train.x, data.train.y), batch_size=BATCH, shuffle=True,
                        num_workers=0)  # fmt: skip
    trainer = L.Trainer(max_epochs=1, accelerator="cpu", devices=1, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, num_sanity_val_steps=0)  # fmt: skip
    start = time.perf_counter()
    trainer.fit(Wrapper(), loader)
    return time.perf_counter() - start


def wall(argv: list[str], cwd: str | None = None, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, cwd=cwd)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="best of N for (a), (b)")
    parser.add_argument("--skip-lightning", action="store_true")
    args = parser.parse_args()

    from carve.data import get_dataset
    from carve.models import get_model
    from carve.train import evaluate

    data = get_dataset("jsc-synth")
    print(f"jsc-synth: {len(data.train):,} train rows, batch {BATCH}, jsc-tiny, 1 thread")
    engine_epoch(data), bare_epoch(data)  # warm-up: lazy imports, allocator, first steps
    engines, bares = [], []
    for _ in range(args.repeats):  # interleaved, so load changes hit both alike
        engines.append(engine_epoch(data))
        bares.append(bare_epoch(data))
    engine, bare = min(engines), min(bares)
    print(f"(a) carve engine, one epoch:          {engine:7.3f} s")
    print(f"(b) bare PyTorch loop, one epoch:     {bare:7.3f} s")
    print(f"    (a)/(b) = {engine / bare:.3f}   (target <= 1.15)")
    if not args.skip_lightning:
        lightning = lightning_epoch(data)
        print(f"(c) Lightning + DataLoader recipe:    {lightning:7.3f} s")
        print(f"    (c)/(a) = {lightning / engine:.1f}   (target >= 5)")

    model = get_model("jsc-tiny")
    evaluate(model, data.test)
    start = time.perf_counter()
    for _ in range(args.repeats):
        evaluate(model, data.test)
    print(f"evaluate, {len(data.test):,}-row test split: "
          f"{(time.perf_counter() - start) / args.repeats:.3f} s   (target < 0.5)")  # fmt: skip

    floor = wall([sys.executable, "-c", "import torch"])
    optim_code = "import torch; torch.optim.Adam(torch.nn.Linear(2, 2).parameters())"
    optim = wall([sys.executable, "-c", optim_code])
    print(f"start-up floor: python -c 'import torch' {floor:.2f} s; with a first torch.optim "
          f"optimizer (imports torch._dynamo; carve's engine does not) {optim:.2f} s")  # fmt: skip
    carve = [sys.executable, "-m", "carve"]
    print(f"carve --help:  {wall([*carve, '--help']):.3f} s wall   (target < 0.5)")
    print(f"carve --info:  {wall([*carve, '--info']):.3f} s wall   (target < 0.5)")
    with tempfile.TemporaryDirectory() as tmp:
        train_cmd = [*carve, "train", "jsc-tiny", "jsc-synth", "--max-epochs", "1",
                     "--batch-size", "256", "--no-progress", "--accelerator", "cpu"]  # fmt: skip
        seconds = wall(train_cmd, cwd=tmp, repeats=1)
        (project,) = os.listdir(os.path.join(tmp, "carve_output"))
        best = os.path.join(
            tmp, "carve_output", project, "software/latest/training_ckpts/best.ckpt"
        )
        test_cmd = [*carve, "test", "jsc-tiny", "jsc-synth", "--load", best, "--accelerator", "cpu"]
        test_seconds = wall(test_cmd, cwd=tmp, repeats=1)
    print(f"carve train jsc-tiny jsc-synth --max-epochs 1 --batch-size 256: {seconds:.2f} s wall "
          f"(MASE: 26 s; target < {26 / 8:.2f} s)")  # fmt: skip
    print(
        f"carve test jsc-tiny jsc-synth --load best.ckpt: {test_seconds:.2f} s wall (MASE: 12.9 s)"
    )


if __name__ == "__main__":
    main()
