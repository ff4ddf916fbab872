"""load_model: our checkpoints, raw state dicts, hand-built Lightning .ckpt, and errors."""

from __future__ import annotations

import argparse

import pytest
import torch

from carve.errors import CarveError, UnknownNameError
from carve.models import get_model, load_model
from carve.models.load import CARVE_FORMAT


def trained_like(name: str = "jsc-tiny", seed: int = 1):
    torch.manual_seed(seed)
    model = get_model(name)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p))
    return model


def same_weights(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_pt_raw_state_dict_and_wrapped(tmp_path):
    source = trained_like()
    torch.save(source.state_dict(), tmp_path / "raw.pt")
    torch.save({"state_dict": source.state_dict()}, tmp_path / "wrapped.pt")
    for file in ("raw.pt", "wrapped.pt"):
        for load_type in ("pt", "auto"):
            target = get_model("jsc-tiny")
            assert load_model(tmp_path / file, load_type, target) is target
            assert same_weights(source, target)


def test_pl_hand_built_lightning_checkpoint(tmp_path):
    source = trained_like("jsc-toy")
    state = {f"model.{k}": v for k, v in source.state_dict().items()}
    state["train_acc.tp"] = torch.zeros(5)  # metric state a Lightning wrapper adds
    lightning = {
        "epoch": 4,
        "global_step": 100,
        "pytorch-lightning_version": "2.1.0",
        "state_dict": state,
        "optimizer_states": [],
        "lr_schedulers": [],
        "hyper_parameters": {"learning_rate": 1e-3},
    }
    torch.save(lightning, tmp_path / "best.ckpt")
    for load_type in ("pl", "auto"):
        target = get_model("jsc-toy")
        load_model(str(tmp_path / "best.ckpt"), load_type, target)
        assert same_weights(source, target)


def test_ours_rebuilds_model_from_checkpoint_config(tmp_path):
    source = trained_like()
    ours = {"format": CARVE_FORMAT, "version": 1, "state_dict": source.state_dict(),
            "config": {"model": "jsc-tiny", "dataset": "jsc-synth"}}  # fmt: skip
    torch.save(ours, tmp_path / "last.ckpt")
    assert same_weights(source, load_model(tmp_path / "last.ckpt", "ours"))
    with pytest.raises(CarveError, match="not a carve checkpoint; for a Lightning"):
        torch.save(source.state_dict(), tmp_path / "raw.pt")
        load_model(tmp_path / "raw.pt", "ours", get_model("jsc-tiny"))


def test_checkpoint_for_another_model_names_the_tensors(tmp_path):
    torch.save(trained_like("jsc-tiny").state_dict(), tmp_path / "tiny.pt")
    with pytest.raises(CarveError) as error:
        load_model(tmp_path / "tiny.pt", "pt", get_model("jsc-toy"))
    message = str(error.value)
    assert "missing tensors: seq_blocks.3.weight" in message
    assert "shape mismatch: seq_blocks.2.weight [5, 16] vs model [8, 16]" in message


def test_missing_malformed_truncated_and_unsafe_checkpoints(tmp_path):
    model = get_model("jsc-tiny")
    with pytest.raises(CarveError, match="does not exist"):
        load_model(tmp_path / "absent.ckpt", "auto", model)
    (tmp_path / "text.ckpt").write_text("not a checkpoint\n")
    with pytest.raises(CarveError, match="malformed"):
        load_model(tmp_path / "text.ckpt", "auto", model)
    torch.save(model.state_dict(), tmp_path / "good.pt")
    data = (tmp_path / "good.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CarveError, match="malformed"):
        load_model(tmp_path / "cut.pt", "pt", model)
    torch.save({"state_dict": model.state_dict(), "args": argparse.Namespace(a=1)},
               tmp_path / "pickled.ckpt")  # fmt: skip
    with pytest.raises(CarveError, match=r"pickled Python object \(argparse.Namespace\)"):
        load_model(tmp_path / "pickled.ckpt", "pl", model)
    torch.save({"weights": [1, 2]}, tmp_path / "nostate.ckpt")
    with pytest.raises(CarveError, match="not a Lightning checkpoint"):
        load_model(tmp_path / "nostate.ckpt", "pl", model)
    with pytest.raises(CarveError, match="does not hold a state dict"):
        load_model(tmp_path / "nostate.ckpt", "pt", model)


def test_unknown_load_type_suggests_a_close_match(tmp_path):
    with pytest.raises(UnknownNameError, match="did you mean 'pl'"):
        load_model(tmp_path / "x.ckpt", "pll", get_model("jsc-tiny"))


def test_malformed_saved_graph_folder_is_a_carve_error(tmp_path):
    (tmp_path / "recipe.json").write_text("{not json")
    with pytest.raises(CarveError, match=r"recipe\.json is malformed"):
        load_model(tmp_path, "auto", get_model("jsc-tiny"))
