"""Shared fixtures: a briefly trained jsc-toy checkpoint and small search tables."""

from __future__ import annotations

import copy
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

DATA_SIZE = 3000
SERVER_USER = "postgres"

LAB3_GRID = {
    "search_space": {
        "name": "graph/quantize/mixed_precision_ptq",
        "setup": {"by": "type", "granularity": "type"},
        "seed": {
            "default": {"config": {"name": [None]}},
            "linear": {
                "config": {
                    "name": ["integer"],
                    "data_in_width,data_in_frac_width": [[16, 8], [8, 6], [8, 4], [4, 2]],
                    "weight_width,weight_frac_width": [[16, 8], [8, 6], [8, 4], [4, 2]],
                    "bias_width": [8],
                    "bias_frac_width": [4],
                }
            },
        },
    },
    "strategy": {
        "sw_runner": {"basic_evaluation": {"data_loader": "val_dataloader", "num_samples": 256}},
        "setup": {"sampler": "grid"},
        "metrics": {
            "accuracy": {"scale": 1.0, "direction": "maximize"},
            "average_bitwidth": {"scale": 1.0, "direction": "minimize"},
        },
    },
}

BY_TYPE = {
    "search_space": {
        "setup": {"by": "type"},
        "seed": {
            "default": {"config": {"name": [None]}},
            "linear": {
                "config": {
                    "name": ["integer"],
                    "data_in_width": [4, 8],
                    "data_in_frac_width": [None],
                    "weight_width": [2, 4, 8],
                    "weight_frac_width": [None],
                    "bias_width": [8],
                    "bias_frac_width": [None],
                }
            },
        },
    },
    "strategy": {
        "setup": {"sampler": "random", "n_trials": 6},
        "sw_runner": {"basic_evaluation": {"num_samples": 128}},
    },
}


@pytest.fixture
def lab3_grid():
    return copy.deepcopy(LAB3_GRID)


@pytest.fixture
def by_type():
    return copy.deepcopy(BY_TYPE)


@pytest.fixture(scope="session")
def toy_checkpoint(tmp_path_factory):
    """A jsc-toy trained for 2 epochs on 3,000 synthetic rows (path to best.ckpt)."""
    from carve.config import CarveConfig
    from carve.train import train

    root = tmp_path_factory.mktemp("toy")
    config = CarveConfig(
        model="jsc-toy",
        dataset="jsc-synth",
        data_size=DATA_SIZE,
        max_epochs=2,
        batch_size=128,
        learning_rate=1e-2,
        project_dir=str(root),
        project="toy",
        progress=False,
    )
    result = train(config)
    return str(result.best_checkpoint)


@pytest.fixture
def toy_config(toy_checkpoint, tmp_path):
    """A CarveConfig for searching the trained jsc-toy, writing under tmp_path."""
    from carve.config import CarveConfig

    return CarveConfig(
        model="jsc-toy",
        dataset="jsc-synth",
        data_size=DATA_SIZE,
        load_name=toy_checkpoint,
        project_dir=str(tmp_path),
        project="p",
        progress=False,
    )


@pytest.fixture(scope="session")
def lab3(toy_checkpoint, tmp_path_factory):
    """One lab-3 grid search (SearchOutcome), shared by the tests reading its outputs."""
    from carve.config import CarveConfig
    from carve.search.session import run_search

    config = CarveConfig(
        model="jsc-toy",
        dataset="jsc-synth",
        data_size=DATA_SIZE,
        load_name=toy_checkpoint,
        project="p",
        progress=False,
        project_dir=str(tmp_path_factory.mktemp("lab3")),
    )
    return run_search(config, copy.deepcopy(LAB3_GRID), progress=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def postgres_url():
    """A PostgreSQL server in a temp dir (run as an unprivileged user), stopped afterwards."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    as_user = [] if os.geteuid() != 0 else ["runuser", "-u", SERVER_USER, "--"]
    root = Path(tempfile.mkdtemp(prefix="carve-pg-", dir="/tmp"))
    data = root / "data"
    if as_user:
        shutil.chown(root, user=SERVER_USER)
    port = _free_port()
    subprocess.run(
        [*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "carve"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*as_user, pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://carve@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)
