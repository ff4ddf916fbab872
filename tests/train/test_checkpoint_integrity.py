"""Checkpoints prove their content: flipped bits, missing entries, truncation, wrong kinds."""

from __future__ import annotations

import pytest
import torch

from carve.config import CarveConfig
from carve.errors import CarveError
from carve.models import get_model, load_model
from carve.train import read_checkpoint
from carve.train.checkpoint import build_checkpoint, save_checkpoint


def saved_checkpoint(path, **drop):
    torch.manual_seed(0)
    model = get_model("jsc-tiny")
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p))
    state = build_checkpoint(
        model=model, optimizer_state={}, scheduler_state={}, generator=torch.Generator(),
        epoch=1, global_step=3, history=[{"epoch": 1, "val_loss": 0.5}], best_val_loss=0.5,
        config=CarveConfig(model="jsc-tiny", dataset="jsc-synth").to_dict(),
        tensorboard_version=None,
    )  # fmt: skip
    for key in drop:
        del state[key]
    save_checkpoint(state, path)
    return model


def flip_one_bit_of(path, tensor: torch.Tensor) -> None:
    data = bytearray(path.read_bytes())
    at = bytes(data).find(tensor.detach().numpy().tobytes())
    assert at > 0, "the tensor's bytes should be stored verbatim"
    data[at + 2] ^= 0x40  # an exponent bit of the first weight
    path.write_bytes(bytes(data))


def test_a_flipped_bit_in_a_weight_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "best.ckpt"
    model = saved_checkpoint(path)
    assert torch.equal(load_model(path, "auto", get_model("jsc-tiny")).seq_blocks[2].weight,
                       model.seq_blocks[2].weight)  # fmt: skip
    flip_one_bit_of(path, model.seq_blocks[2].weight)
    message = f"checkpoint {str(path)!r} is corrupt: its content no longer matches the hash"
    loads = (
        lambda: load_model(path, "auto", get_model("jsc-tiny")),
        lambda: load_model(path, "ours", None),
        lambda: read_checkpoint(path),
    )
    for load in loads:
        with pytest.raises(CarveError, match=message):
            load()


@pytest.mark.parametrize("missing", ["state_dict", "config"])
def test_a_carve_checkpoint_missing_an_entry_says_which(tmp_path, missing):
    path = tmp_path / "x.ckpt"
    saved_checkpoint(path, **{missing: True})
    expected = (
        f"checkpoint {str(path)!r} is damaged: it is a carve checkpoint but has no '{missing}'"
    )
    for load in (lambda: load_model(path, "auto", get_model("jsc-tiny")),
                 lambda: read_checkpoint(path)):  # fmt: skip
        with pytest.raises(CarveError, match=expected):
            load()


def test_truncated_and_garbage_files_say_what_was_expected_and_found(tmp_path):
    path = tmp_path / "best.ckpt"
    saved_checkpoint(path)
    truncated = tmp_path / "cut.ckpt"
    truncated.write_bytes(path.read_bytes()[:10_000])
    with pytest.raises(CarveError, match=r"'.*cut.ckpt' is truncated or not a torch checkpoint: "
                       r"expected a complete file written by torch.save, found 10,000 bytes of a "
                       r"zip archive whose end is missing \(truncated\)"):  # fmt: skip
        load_model(truncated, "auto", get_model("jsc-tiny"))
    empty = tmp_path / "empty.ckpt"
    empty.write_bytes(b"")
    with pytest.raises(CarveError, match="found an empty file"):
        read_checkpoint(empty)
    with pytest.raises(CarveError, match=f"checkpoint {str(tmp_path)!r} is not a file"):
        read_checkpoint(tmp_path)
