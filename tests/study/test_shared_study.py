"""Two study processes on one directory share the work: each run is claimed once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from carve.config import CarveConfig
from carve.study.runner import run_study
from carve.study.spec import StudySpec, parse_vary
from carve.study.store import LOCKS, StudyStore

SMALL = {"data_size": 800, "max_epochs": 1, "progress": False}

HOLD = textwrap.dedent("""
    import sys, time
    from carve.locking import HolderLock
    lock = HolderLock(sys.argv[1], "study run").acquire()
    print("held", flush=True)
    time.sleep(60)
""")


def test_a_run_claimed_by_another_process_is_neither_trained_nor_cleared(tmp_path):
    spec = StudySpec(CarveConfig(model="jsc-tiny", dataset="jsc-synth", **SMALL),
                     [parse_vary("learning-rate=1e-3,1e-2")], 1)  # fmt: skip
    root = tmp_path / "study"
    theirs = "learning_rate=0.01,seed=0"
    StudyStore(root, spec).open()  # the other process opened the study first
    partial = root / "runs" / theirs / "software" / "metrics.csv"
    partial.parent.mkdir(parents=True)
    partial.write_text("epoch\n1\n")  # the other process is writing this run
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(root / LOCKS / f"{theirs}.lock")],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == "held\n"
        outcome = run_study(spec, root, progress=False)
    finally:
        holder.kill()
        holder.wait()
    assert outcome.trained == 1 and outcome.busy == [theirs]
    assert [r["run"] for r in outcome.records] == ["learning_rate=0.001,seed=0"]
    assert partial.read_text() == "epoch\n1\n"  # not cleared under the other process
    # once the other process is gone, its unfinished run is claimed and trained here
    again = run_study(spec, root, progress=False)
    assert again.trained == 1 and again.busy == []
    assert len(again.records) == 2
