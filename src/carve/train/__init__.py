"""Training and evaluation (no Lightning): fast, seeded, exactly resumable.

Public API (what ``carve train``/``test`` and studies call):

* ``train(config, *, dataset=None, model=None, output_dir=None, write_files=True,
  resume=False, console=None, progress=None) -> TrainResult``: trains
  ``config.model`` on ``config.dataset`` (a :class:`carve.config.CarveConfig`).
  ``TrainResult`` has ``history`` (per-epoch rows: ``epoch, global_step, lr,
  train_loss, train_acc, val_loss, val_acc, train_seconds, seconds``), ``final`` (last row's
  four metrics), ``best_val_loss``, ``global_step``, ``best_checkpoint``,
  ``last_checkpoint``, ``output_dir``, ``interrupted`` and ``model``. The rows are
  :class:`carve.train.record.EpochRecord` s, kept by a ``RunRecord`` the study ensemble
  fills the same way (``train_seconds``: training steps; ``seconds``: plus validation).
* ``evaluate(model, split, batch_size=8192) -> {"loss": ..., "acc": ...}``.
* ``load_dataset(config)``, ``build_model(config, dataset_info)``,
  ``seed_everything(seed)``, ``resolve_device(accelerator)``.
* ``read_checkpoint(path)``; the load types live in :mod:`carve.models.load`.
* ``choose_num_threads``/``apply_num_threads``: tiny models train on 1 thread.
* ``build_optimizer``/``build_scheduler``/``OPTIMIZERS`` (:mod:`carve.train.optimizers`):
  carve's Adam, AdamW, SGD and cosine schedule, shared by the engine and the study
  ensemble; bit-identical to ``torch.optim``'s, without its ``torch._dynamo`` import.
  Any other ``torch.optim`` class trains by path (``training_optimizer =
  "torch.optim.RMSprop"``, :mod:`carve.train.torch_optimizer`).

Files of a run (``<project_dir>/<project>/software/``): ``training_ckpts/best.ckpt``
and ``last.ckpt`` (:mod:`carve.train.checkpoint`), ``metrics.csv`` and
``tensorboard/version_N/`` (:mod:`carve.train.loggers`; event files written by
:mod:`carve.train.tensorboard_events`, no TensorBoard import).

>>> from carve.config import CarveConfig
>>> from carve.data import get_dataset
>>> config = CarveConfig(model="jsc-tiny", dataset="jsc-synth", max_epochs=2,
...                      learning_rate=1e-2, batch_size=64)
>>> data = get_dataset("jsc-synth", size=2000, cache=False)
>>> result = train(config, dataset=data, write_files=False)
>>> [row["epoch"] for row in result.history], result.final["val_acc"] > 0.2
([1, 2], True)
"""

from carve.train.checkpoint import read_checkpoint
from carve.train.engine import (
    TrainResult,
    build_model,
    load_dataset,
    resolve_device,
    seed_everything,
    train,
)
from carve.train.evaluate import evaluate
from carve.train.optimizers import OPTIMIZERS, build_optimizer, build_scheduler
from carve.train.threads import apply_num_threads, choose_num_threads

__all__ = [
    "OPTIMIZERS",
    "TrainResult",
    "apply_num_threads",
    "build_model",
    "build_optimizer",
    "build_scheduler",
    "choose_num_threads",
    "evaluate",
    "load_dataset",
    "read_checkpoint",
    "resolve_device",
    "seed_everything",
    "train",
]
