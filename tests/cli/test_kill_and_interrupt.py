"""Real signals to a real ``carve train``: kill -9 then --resume is exact; two Ctrl-C exit 130."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from carve.cli.main import main
from carve.train import read_checkpoint

COMMON = ["jsc-tiny", "jsc-synth", "--data-size", "2000", "--batch-size", "64",
          "--learning-rate", "1e-2", "--no-progress"]  # fmt: skip


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.setenv("CARVE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def start(workdir, *argv) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen([sys.executable, "-m", "carve", "train", *argv], cwd=workdir,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip


def wait_for_rows(metrics, rows: int, process, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if metrics.is_file() and len(metrics.read_text().splitlines()) > rows:
            return
        assert process.poll() is None, process.stderr.read().decode()
        time.sleep(0.02)
    raise AssertionError("training did not reach the wanted epoch in time")


def values(metrics) -> list[list[str]]:
    lines = [line.split(",") for line in metrics.read_text().splitlines()]
    keep = [i for i, name in enumerate(lines[0]) if "seconds" not in name]
    return [[row[i] for i in keep] for row in lines]


def test_kill_9_mid_training_then_resume_matches_an_uninterrupted_run(workdir):
    epochs = ["--max-epochs", "8"]
    process = start(workdir, *COMMON, *epochs, "--project", "killed")
    run = workdir / "carve_output" / "killed" / "software" / "latest"
    try:
        wait_for_rows(run / "metrics.csv", 2, process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert main(["train", *COMMON, *epochs, "--project", "killed", "--resume"]) == 0
    assert main(["train", *COMMON, *epochs, "--project", "straight"]) == 0
    straight = workdir / "carve_output" / "straight" / "software" / "latest"
    assert values(run / "metrics.csv") == values(straight / "metrics.csv")
    assert len(values(run / "metrics.csv")) == 9
    assert not list(run.rglob("*.tmp"))


def test_a_second_ctrl_c_still_exits_130_with_the_state_saved(workdir):
    process = start(workdir, *COMMON, "--max-epochs", "100000", "--project", "ctrl-c")
    run = workdir / "carve_output" / "ctrl-c" / "software" / "latest"
    try:
        wait_for_rows(run / "metrics.csv", 1, process)
        process.send_signal(signal.SIGINT)
        time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    last = read_checkpoint(run / "training_ckpts" / "last.ckpt")  # complete, hash checked
    assert last["epoch"] == len(values(run / "metrics.csv")) - 1 >= 1
