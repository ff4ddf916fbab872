"""MASE-compatible data module and input helpers; a torch-free ``carve.data`` import."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from carve.data import InputGenerator, MaseDataModule, get_dummy_input
from carve.data.info import info_table
from carve.errors import CarveError


@pytest.fixture
def module():
    data = MaseDataModule("jsc-synth", batch_size=100, model_name="jsc-tiny", size=1000, seed=4)
    data.prepare_data()
    data.setup()
    return data


def test_dataloaders_cover_their_splits(module):
    for loader, n in ((module.train_dataloader(), 640), (module.val_dataloader(), 160)):
        batches = list(loader)
        assert len(loader) == len(batches) == -(-n // 100)
        assert sum(len(y) for _, y in batches) == n
    x, y = next(iter(module.test_dataloader()))
    assert torch.equal(x, module.test_dataset.x[:100]) and torch.equal(
        y, module.test_dataset.y[:100]
    )


def test_training_batches_shuffle_reproducibly(module):
    epoch1 = torch.cat([y for _, y in module.train_dataloader()])
    epoch2 = torch.cat([y for _, y in module.train_dataloader()])
    assert not torch.equal(epoch1, epoch2)  # a new permutation each epoch
    assert torch.equal(epoch1.sort().values, module.train_dataset.y.sort().values)
    again = MaseDataModule("jsc-synth", batch_size=100, size=1000, seed=4)
    again.prepare_data()
    again.setup()
    assert torch.equal(torch.cat([y for _, y in again.train_dataloader()]), epoch1)


def test_validation_is_not_the_training_split(module):
    assert module.val_dataset is not module.train_dataset
    train_rows = {tuple(row) for row in module.train_dataset.x[:, :3].tolist()}
    assert not any(tuple(row) in train_rows for row in module.val_dataset.x[:, :3].tolist())


def test_dataset_info_and_errors():
    data = MaseDataModule("jsc-synth", batch_size=8, size=100)
    assert (data.dataset_info.num_features, data.dataset_info["num_classes"]) == (16, 5)
    with pytest.raises(CarveError, match="call prepare_data"):
        data.train_dataloader()
    with pytest.raises(CarveError, match="unknown stage 'training'"):
        data.setup("training")
    with pytest.raises(CarveError, match="batch_size must be a positive integer"):
        MaseDataModule("jsc-synth", batch_size=0)
    with pytest.raises(CarveError, match="unknown dataset 'jsc-synt'; did you mean"):
        MaseDataModule("jsc-synt", batch_size=8)


def test_dummy_input_and_input_generator(module):
    dummy = get_dummy_input(None, module, "cls")
    assert list(dummy) == ["x"] and torch.equal(dummy["x"], module.train_dataset.x[:100])
    batches = list(InputGenerator(None, module, "cls", "test"))
    assert len(batches) == 2 and torch.equal(batches[1]["x"], module.test_dataset.x[100:200])
    assert len(list(InputGenerator(None, module, "cls", "train", max_batches=3))) == 3
    generator = InputGenerator(None, module, "cls", "val")
    assert generator.batch_size == 100 and len(list(generator)) == 2
    with pytest.raises(CarveError, match="unknown dataloader 'dev'"):
        InputGenerator(None, module, "cls", "dev")


def test_info_table_lists_both_datasets():
    title, columns, rows = info_table()
    assert title == "Datasets" and len(columns) == len(rows[0])
    assert [row[0] for row in rows] == ["jsc", "jsc-synth"]
    assert "531,200 / 132,800 / 166,000" in rows[1][2]


def test_importing_carve_data_loads_no_torch_or_numpy():
    code = (
        "import sys, carve.data, carve.data.info; carve.data.info.info_table(); "
        "carve.data.get_dataset_info('jsc'); "
        "print('torch' in sys.modules, 'numpy' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
