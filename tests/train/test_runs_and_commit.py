"""Never lose a run: versioned run folders, locks, an epoch's files as one commit, clean replays."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from carve import fileio
from carve.config import CarveConfig
from carve.errors import CarveError
from carve.locking import LOCK_NAME, LockedError
from carve.train import read_checkpoint, train
from run_helpers import metrics, tiny_config


def config(tmp_path, **changes) -> CarveConfig:
    return tiny_config(**{"project": "p", "project_dir": str(tmp_path), **changes})


def csv_rows(path):
    lines = path.read_text().splitlines()
    keep = [i for i, name in enumerate(lines[0].split(",")) if "seconds" not in name]
    return [[cells.split(",")[i] for i in keep] for cells in lines]


def test_each_run_gets_its_own_version_and_latest_points_at_it(small_data, tmp_path):
    software = tmp_path / "p" / "software"
    first = train(config(tmp_path), dataset=small_data)
    assert first.output_dir == software / "version_0"
    saved = {p: p.read_bytes() for p in first.output_dir.rglob("*") if p.is_file()}
    second = train(config(tmp_path, seed=1), dataset=small_data)
    assert second.output_dir == software / "version_1"
    assert os.readlink(software / "latest") == "version_1"
    assert {p: p.read_bytes() for p in saved} == saved  # the first run is untouched
    # --resume picks the run: the latest by default, or the one named
    more = train(config(tmp_path, seed=1), dataset=small_data, resume=True)
    assert more.output_dir == software / "version_1"
    assert metrics(more.history) == metrics(second.history)
    with pytest.raises(
        CarveError, match=r"version_0/training_ckpts/last\.ckpt': settings differ: seed"
    ):
        train(config(tmp_path, seed=1), dataset=small_data, resume="version_0")
    named = train(config(tmp_path), dataset=small_data, resume="version_0")
    assert named.output_dir == software / "version_0"
    with pytest.raises(CarveError, match=r"no run 'version_7' under .*; runs there: version_0, "
                       r"version_1 \(or latest\)"):  # fmt: skip
        train(config(tmp_path), dataset=small_data, resume="version_7")
    # an explicit output folder holding a run is never overwritten
    with pytest.raises(CarveError, match="already holds a run"):
        train(config(tmp_path), dataset=small_data, output_dir=software / "version_0")


HOLD = textwrap.dedent("""
    import sys, time
    from carve.locking import folder_lock
    lock = folder_lock(sys.argv[1]).acquire()
    print("held", flush=True)
    time.sleep(60)
""")


def test_a_run_in_use_by_another_process_is_refused_naming_the_holder(small_data, tmp_path):
    train(config(tmp_path, max_epochs=1), dataset=small_data)
    run = tmp_path / "p" / "software" / "version_0"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(run)], stdout=subprocess.PIPE,
                              text=True, env=env)  # fmt: skip
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(LockedError, match=rf"run folder {run} is in use by pid {holder.pid} "
                           rf"on \S+ since .* UTC; wait for it to finish"):  # fmt: skip
            train(config(tmp_path, max_epochs=2), dataset=small_data, resume=True)
    finally:
        holder.kill()
        holder.wait()


def test_a_stale_lock_of_a_dead_process_is_taken_over(small_data, tmp_path, caplog):
    train(config(tmp_path, max_epochs=1), dataset=small_data)
    run = tmp_path / "p" / "software" / "version_0"
    (run / LOCK_NAME).write_text("pid 999999999 on elsewhere since 2026-01-01 00:00:00 UTC\n")
    with caplog.at_level(logging.INFO, logger="carve.files"):
        train(config(tmp_path, max_epochs=1), dataset=small_data, resume=True)
    assert "taking over the stale lock" in caplog.text and "pid 999999999" in caplog.text
    assert (run / LOCK_NAME).read_text() == ""  # released


class Killed(BaseException):
    """Stands for kill -9: nothing after it runs (no except clause catches it)."""


def kill_at_write(monkeypatch, number: int, after: bool) -> list[str]:
    """Die at the ``number``-th write of a run file (before or after its rename)."""
    done: list[str] = []
    real = os.replace

    def replace(src, dst):
        name = os.path.basename(dst)
        if name not in ("metrics.csv", "best.ckpt", "last.ckpt"):
            return real(src, dst)
        if len(done) == number and not after:
            raise Killed
        real(src, dst)
        done.append(name)
        if len(done) == number + 1 and after:
            raise Killed

    monkeypatch.setattr(fileio.os, "replace", replace)
    return done


@pytest.mark.parametrize("after", [False, True], ids=["before-rename", "after-rename"])
def test_kill_at_every_file_write_of_the_last_epoch_resumes_exactly(
    small_data, tmp_path, monkeypatch, after
):
    reader = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    straight = train(config(tmp_path, project="straight"), dataset=small_data)
    assert straight.history[-1]["val_loss"] == straight.best_val_loss  # best is written too
    writes = ["metrics.csv", "best.ckpt", "last.ckpt"]  # last.ckpt last: the commit marker
    for number in range(len(writes)):
        name = f"kill{number}"
        with monkeypatch.context() as patch:  # epoch 1 commits, epoch 2 dies mid-commit
            done = kill_at_write(patch, len(writes) + number, after)
            with pytest.raises(Killed):
                train(config(tmp_path, project=name), dataset=small_data)
        done = done[len(writes) :]
        assert done == writes[: number + after]
        resumed = train(config(tmp_path, project=name), dataset=small_data, resume=True)
        assert metrics(resumed.history) == metrics(straight.history)
        run, reference = resumed.output_dir, straight.output_dir
        assert csv_rows(run / "metrics.csv") == csv_rows(reference / "metrics.csv")
        for ckpt in ("best.ckpt", "last.ckpt"):
            mine = read_checkpoint(run / "training_ckpts" / ckpt)["state_dict"]
            theirs = read_checkpoint(reference / "training_ckpts" / ckpt)["state_dict"]
            assert all(torch.equal(mine[k], theirs[k]) for k in theirs), (number, ckpt)
        leftovers = [p.name for p in run.rglob("*.tmp")]
        assert leftovers == []
        # TensorBoard shows each epoch once: the killed attempt's points are purged
        board = reader.EventAccumulator(str(run / "tensorboard" / "version_0"))
        board.Reload()
        for tag in ("val_loss_epoch", "train_loss_epoch", "epoch"):
            steps = [event.step for event in board.Scalars(tag)]
            assert steps == [row["global_step"] for row in straight.history], (number, tag)


def test_a_run_that_fails_before_its_first_checkpoint_leaves_no_empty_folder(small_data, tmp_path):
    train(config(tmp_path, max_epochs=1), dataset=small_data)
    software = tmp_path / "p" / "software"
    with pytest.raises(CarveError, match="--devices 1"):
        train(config(tmp_path, max_epochs=1, num_devices=2), dataset=small_data)
    assert sorted(p.name for p in software.iterdir()) == ["latest", "version_0"]
    assert os.readlink(software / "latest") == "version_0"
