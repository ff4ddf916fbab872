"""Pruning as a search dimension: the graph/prune/sparsity space and its configs/prune file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import torch

from carve.data import get_dataset
from carve.errors import CarveError
from carve.models import get_model
from carve.passes import prune_transform_pass
from carve.search.registry import SPACES
from carve.search.spaces.base import SpaceContext
from carve.search.spec import parse_search_table

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "prune" / "search_sparsity.toml"
LINEARS = ["module_list_2", "module_list_5", "module_list_7", "module_list_9", "module_list_11"]


@pytest.fixture(scope="module")
def context():
    data = get_dataset("jsc-synth", size=600)
    torch.manual_seed(0)
    return SpaceContext(get_model("jsc-s", dataset_info=data.info), data, None)


def _table(**setup):
    table = tomllib.loads(CONFIG.read_text())["search"]
    table["search_space"]["setup"].update(setup)
    return table


def test_space_per_node_sparsity_prunes_exactly_and_costs_count_nonzero(context):
    space = SPACES["graph/prune/sparsity"](parse_search_table(_table()), context)
    names = {p.name: p.choices for p in space.params}
    assert names["module_list_11/sparsity"] == (0.0, 0.25, 0.5)
    assert names["module_list_2/sparsity"] == (0.0, 0.5, 0.75, 0.9)
    values = {"method": "l1-norm", "granularity": "elementwise"}
    values |= {f"{n}/sparsity": 0.75 for n in LINEARS} | {"module_list_11/sparsity": 0.5}
    candidate = space.candidate(values)
    model = candidate.model(trainable=False)
    weight = model.get_submodule("module_list.5").weight
    assert int((weight == 0).sum()) == round(0.75 * 2048)
    dense = space.candidate(values | {f"{n}/sparsity": 0.0 for n in LINEARS}).costs()
    assert candidate.costs()["bitops"] < 0.3 * dense["bitops"]
    tables = candidate.config_tables()
    replayed, _ = prune_transform_pass(space.graph, tables["passes"]["prune"])
    assert torch.equal(replayed.modules["module_list.5"].weight, weight)


def test_global_setup_one_sparsity_and_bad_seed_key(context):
    with pytest.raises(CarveError, match="by = 'global' prunes with one sparsity"):
        SPACES["graph/prune/sparsity"](parse_search_table(_table(by="global")), context)
    table = _table(by="global")
    del table["search_space"]["seed"]["module_list_11"]
    space = SPACES["graph/prune/sparsity"](parse_search_table(table), context)
    assert [p.name for p in space.params] == ["method", "granularity", "sparsity"]
    bad = _table()
    bad["search_space"]["seed"]["module_list_3"] = {"config": {"sparsity": [0.5]}}
    with pytest.raises(CarveError, match="unknown prunable node 'module_list_3'"):
        SPACES["graph/prune/sparsity"](parse_search_table(bad), context)
    bad = _table()
    bad["search_space"]["seed"]["default"]["config"]["method"] = ["l3-norm"]
    with pytest.raises(CarveError, match="unknown method 'l3-norm'"):
        SPACES["graph/prune/sparsity"](parse_search_table(bad), context)
