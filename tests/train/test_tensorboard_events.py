"""Our hand-written event files read back with TensorBoard's own EventAccumulator."""

from __future__ import annotations

import pytest

from carve.train.loggers import TensorBoardLog, next_tensorboard_version
from carve.train.tensorboard_events import EventFileWriter, crc32c


def test_crc32c_known_vectors():
    # RFC 3720 (iSCSI) B.4 test vectors
    assert crc32c(bytes(32)) == 0x8A9136AA
    assert crc32c(b"\xff" * 32) == 0x62A8AB43
    assert crc32c(bytes(range(32))) == 0x46DD794E


def test_scalars_and_text_read_back_with_tensorboard(tmp_path):
    reader = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    log = TensorBoardLog(tmp_path / "version_0", {"batch_size": 256, "model": "jsc-tiny"})
    rows = [
        {"epoch": e, "global_step": 50 * e, "lr": 1e-3 / e, "train_loss": 1.5 - e / 10,
         "train_acc": 0.5, "val_loss": 1.25 - e / 8, "val_acc": 0.5 + e / 64}
        for e in (1, 2)
    ]  # fmt: skip
    log.step(25, 1.75)
    for row in rows:
        log.epoch(row)
    log.close()
    accumulator = reader.EventAccumulator(str(tmp_path / "version_0"))
    accumulator.Reload()
    val = accumulator.Scalars("val_loss_epoch")
    assert [(e.step, e.value) for e in val] == [(50, 1.125), (100, 1.0)]
    assert [e.value for e in accumulator.Scalars("val_acc_epoch")] == [0.515625, 0.53125]
    assert [(e.step, e.value) for e in accumulator.Scalars("train_loss_step")] == [(25, 1.75)]
    text = accumulator.Tensors("config")[0].tensor_proto.string_val[0].decode()
    assert "batch_size = 256" in text and "model = 'jsc-tiny'" in text


def test_versions_count_up(tmp_path):
    assert next_tensorboard_version(tmp_path) == 0
    EventFileWriter(tmp_path / "version_0").close()
    EventFileWriter(tmp_path / "version_3").close()
    assert next_tensorboard_version(tmp_path) == 4
