"""The mixed-precision space: by type really varies each node; choices checked up front."""

from __future__ import annotations

import pytest
import torch

from carve.data import get_dataset
from carve.errors import CarveError
from carve.models import get_model
from carve.search.spaces.base import SpaceContext
from carve.search.spaces.quantize import MixedPrecisionSpace
from carve.search.spec import parse_search_table

LINEARS = ["seq_blocks_2", "seq_blocks_5", "seq_blocks_8"]


@pytest.fixture(scope="module")
def context():
    data = get_dataset("jsc-synth", size=600)
    torch.manual_seed(0)
    return SpaceContext(get_model("jsc-toy", dataset_info=data.info), data, None)


def space(table, context):
    return MixedPrecisionSpace(parse_search_table(table), context)


def test_by_type_gives_every_node_of_the_type_its_own_choices(by_type, context):
    built = space(by_type, context)
    sampled = sorted(p.name for p in built.params if not p.fixed)
    assert sampled == sorted(f"{n}/{k}" for n in LINEARS for k in ("data_in_width", "weight_width"))
    values = {p.name: p.choices[0] for p in built.params}
    values |= {
        "seq_blocks_2/weight_width": 2,
        "seq_blocks_5/weight_width": 4,
        "seq_blocks_8/weight_width": 8,
    }
    configs = built.node_configs(values)
    assert [configs[n]["weight_width"] for n in LINEARS] == [2, 4, 8]
    assert configs["seq_blocks_0"] is None and configs["seq_blocks_1"] is None  # default: float
    # and the quantized graph really differs per node (MASE's by-type bypassed them all)
    graph = built.models.trainable(configs)
    widths = [graph.modules[f"seq_blocks.{n[-1]}"].w_quantizer.spec.width for n in LINEARS]
    assert widths == [2, 4, 8]


def test_granularity_type_shares_one_choice_and_tied_keys_move_together(lab3_grid, context):
    built = space(lab3_grid, context)
    sampled = [p for p in built.params if not p.fixed]
    assert [p.name for p in sampled] == [
        "linear/data_in_width,data_in_frac_width",
        "linear/weight_width,weight_frac_width",
    ]
    assert sampled[0].choices == ((16, 8), (8, 6), (8, 4), (4, 2))
    values = {p.name: p.choices[0] for p in built.params} | {sampled[1].name: (8, 6)}
    configs = built.node_configs(values)
    for node in LINEARS:
        assert configs[node]["weight_width"] == 8 and configs[node]["weight_frac_width"] == 6
        assert configs[node]["data_in_width"] == 16 and configs[node]["data_in_frac_width"] == 8


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        (
            {"linear": {"config": {"name": ["integer"], "weight_width": []}}},
            "[search.search_space.seed.linear.config] weight_width: empty choice list",
        ),
        (
            {"linear": {"config": {"name": ["integr"]}}},
            "unknown format 'integr'; did you mean 'integer'?",
        ),
        (
            {
                "linear": {
                    "config": {
                        "name": ["integer"],
                        "data_in_width": [0, 8],
                        "data_in_frac_width": [2],
                    }
                }
            },
            "integer rejects data_in_width=0, data_in_frac_width=2",
        ),
        (
            {
                "linear": {
                    "config": {
                        "name": ["integer"],
                        "weight_width": [4, 8],
                        "weight_frac_width": [65],
                    }
                }
            },
            "integer rejects weight_width=4, weight_frac_width=65",
        ),
        (
            {"seq_block_2": {"config": {"name": ["integer"]}}},
            "unknown node or op 'seq_block_2'; did you mean 'seq_blocks_2'?",
        ),
        (
            {"linear": {"config": {"name": ["integer"], "wieght_width": [4]}}},
            "unknown integer config key 'wieght_width'; did you mean 'weight_width'?",
        ),
        (
            {"linear": {"config": {"name": ["integer"], "weight_width,weight_frac_width": [[4]]}}},
            "each choice must list 2 values (weight_width, weight_frac_width), got (4,)",
        ),
    ],
)
def test_bad_seeds_fail_before_any_trial(seed, message, context):
    table = {"search_space": {"setup": {"by": "type"}, "seed": seed}}
    with pytest.raises(CarveError) as error:
        space(table, context)
    assert message in str(error.value)


def test_a_seed_missing_keys_the_op_needs_fails_up_front(context):
    # a BatchNorm quantizes its weight: an input-only seed cannot be applied to it
    seed = {
        "batch_norm1d": {
            "config": {"name": ["integer"], "data_in_width": [8], "data_in_frac_width": [4]}
        }
    }
    with pytest.raises(CarveError) as error:
        space({"search_space": {"setup": {"by": "type"}, "seed": seed}}, context)
    assert str(error.value).startswith(
        "[search.search_space.seed.batch_norm1d.config] node seq_blocks_0: integer config for "
        "operand 'weight' lacks key 'weight_width'"
    )


def test_a_node_samples_only_the_keys_its_layer_reads(context):
    default = {"name": ["integer"], "data_in_width,data_in_frac_width": [[4, 2], [8, 4]],
               "weight_width,weight_frac_width": [[2, 1], [4, 2]], "bias_width": [8, 6],
               "bias_frac_width": [4]}  # fmt: skip
    table = {"setup": {"by": "name"}, "seed": {"default": {"config": default}}}
    built = space({"search_space": table}, context)
    names = {p.name for p in built.params}
    relu = {n.split("/", 1)[1] for n in names if n.startswith("seq_blocks_4/")}
    linear = {n.split("/", 1)[1] for n in names if n.startswith("seq_blocks_5/")}
    # a ReLU reads its input (and would read data_out): no weight or bias to choose
    assert relu == {"name", "data_in_width,data_in_frac_width"}
    assert linear == set(default)
    configs = built.node_configs({p.name: p.choices[-1] for p in built.params})
    assert configs["seq_blocks_4"] == {"name": "integer", "data_in_width": 8,
                                       "data_in_frac_width": 4}  # fmt: skip
    assert configs["seq_blocks_5"]["bias_width"] == 6
    # the ReLU's config without weight keys is what the quantize pass accepts and applies
    graph = built.models.trainable(configs)
    assert graph.modules["seq_blocks.4"].x_quantizer.spec.width == 8
