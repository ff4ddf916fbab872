"""Saved graph folders prove their content and say what is wrong with a bad one."""

from __future__ import annotations

import pytest
import torch

from carve.errors import CarveError
from carve.passes import load_mase_graph_interface_pass, save_mase_graph_interface_pass


@pytest.fixture
def saved(analyse, tmp_path):
    graph = analyse("jsc-tiny")
    with torch.no_grad():
        for p in graph.model.parameters():
            p.copy_(torch.randn_like(p))
    folder = tmp_path / "graph"
    save_mase_graph_interface_pass(graph, {"save_dir": str(folder)})
    return graph, folder


def test_round_trip_still_loads(saved):
    graph, folder = saved
    loaded, _ = load_mase_graph_interface_pass(None, {"load_dir": str(folder)})
    for key, value in graph.model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[key], value)


def test_a_flipped_bit_in_the_weights_names_the_file(saved):
    graph, folder = saved
    path = folder / "weights.safetensors"
    state = graph.model.state_dict()
    weight = state[next(k for k in state if k.endswith("2.weight"))]
    data = bytearray(path.read_bytes())
    at = bytes(data).find(weight.numpy().tobytes())
    assert at > 0
    data[at + 3] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(CarveError, match=f"{path} is corrupt: its tensors no longer match"):
        load_mase_graph_interface_pass(None, {"load_dir": str(folder)})


def test_truncated_weights_and_a_directory_in_their_place(saved):
    _, folder = saved
    path = folder / "weights.safetensors"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(CarveError, match=f"{path} is not a readable safetensors file"):
        load_mase_graph_interface_pass(None, {"load_dir": str(folder)})
    path.unlink()
    path.mkdir()
    with pytest.raises(CarveError, match=f"{path} is a directory; expected the safetensors file"):
        load_mase_graph_interface_pass(None, {"load_dir": str(folder)})


def test_a_file_where_the_graph_folder_should_be(tmp_path):
    path = tmp_path / "model.ckpt"
    path.write_bytes(b"not a folder")
    with pytest.raises(CarveError, match=f"{path} is a file, not a saved carve graph"):
        load_mase_graph_interface_pass(None, {"load_dir": str(path)})
