"""Trial models: the fast path equals the quantize pass bit for bit, whatever ran before."""

from __future__ import annotations

import random

import torch

from carve.data import get_dataset
from carve.models import get_model
from carve.passes import quantize_transform_pass
from carve.search.quantize_adapter import QuantizedModels, build_graph, graph_costs, pass_args

FORMATS = [
    None,
    {
        "name": "integer",
        "data_in_width": 8,
        "data_in_frac_width": 4,
        "weight_width": 4,
        "weight_frac_width": 2,
        "bias_width": 8,
        "bias_frac_width": 4,
    },
    {
        "name": "integer",
        "data_in_width": 4,
        "data_in_frac_width": None,
        "weight_width": 2,
        "weight_frac_width": None,
        "bias_width": 8,
        "bias_frac_width": None,
    },
    {
        "name": "minifloat_ieee",
        "data_in_width": 8,
        "data_in_exponent_width": 4,
        "data_in_exponent_bias": None,
        "weight_width": 6,
        "weight_exponent_width": 3,
        "weight_exponent_bias": None,
        "bias_width": 8,
        "bias_exponent_width": 4,
        "bias_exponent_bias": None,
    },
    {"name": "scaled_integer", "data_in_width": 6, "weight_width": 4, "bias_width": 8},
]


def _setup():
    data = get_dataset("jsc-synth", size=600)
    torch.manual_seed(1)
    graph = build_graph(get_model("jsc-toy", dataset_info=data.info), data.train.x)
    return QuantizedModels(graph), data.val.x[:200]


def _random_configs(models, rng):
    relu = {"name": "integer", "data_in_width": rng.choice([4, 8]), "data_in_frac_width": 2}
    return {
        n: rng.choice(FORMATS) if op == "linear" else rng.choice([None, relu])
        for n, op in models.nodes.items()
        if op != "batch_norm1d"
    }


def test_fast_path_equals_the_pass_and_ignores_earlier_trials():
    models, x = _setup()
    assert models.fast
    rng = random.Random(0)
    configs = [_random_configs(models, rng) for _ in range(12)]
    with torch.inference_mode():
        # reference: the public pass on the untouched base graph, one fresh copy each
        expected = [
            quantize_transform_pass(models.graph, pass_args(c))[0].model.eval()(x) for c in configs
        ]
        first_costs = None
        for config, reference in zip(configs, expected):
            graph = models.inference(config)
            assert torch.equal(graph.model(x), reference)
            costs = graph_costs(graph)
            assert costs == graph_costs(quantize_transform_pass(models.graph, pass_args(config))[0])
            first_costs = first_costs or costs
        # the first config again, after eleven others: same logits, same costs
        again = models.inference(configs[0])
        assert torch.equal(again.model(x), expected[0])
        assert graph_costs(again) == first_costs
    # the base graph was never changed: still float everywhere
    assert all(
        type(m).__module__.startswith("torch.nn")
        for m in models.graph.model.modules()
        if not list(m.children())
    )


def test_costs_count_storage_bits_by_hand():
    models, _ = _setup()
    int4 = {
        "name": "integer",
        "data_in_width": 4,
        "data_in_frac_width": 2,
        "weight_width": 4,
        "weight_frac_width": 2,
        "bias_width": 4,
        "bias_frac_width": 2,
    }
    costs = graph_costs(models.inference({"seq_blocks_2": int4}))
    # linear inputs per sample: 16 + 8 + 8 = 32 elements; weights 128 + 64 + 40 = 232
    data_bits = (16 * 4 + 16 * 32) / 32
    weight_bits = (128 * 4 + 104 * 32) / 232
    assert costs["data_bitwidth"] == data_bits and costs["weight_bitwidth"] == weight_bits
    assert costs["average_bitwidth"] == (16 * 4 + 16 * 32 + 128 * 4 + 104 * 32) / 264
    # parameters: linear 8x16+8 at 4 bits, the rest (327 - 136 = 191) at 32
    assert costs["model_size"] == (136 * 4 + 191 * 32) / 8
    # BitOPs: MACs x weight bits x input bits: 128*4*4 + 64*32*32 + 40*32*32
    assert costs["bitops"] == 128 * 16 + (64 + 40) * 1024


def test_candidates_evaluated_together_equal_each_evaluated_alone():
    from carve.data.base import Split
    from carve.train import evaluate

    models, _ = _setup()
    data = get_dataset("jsc-synth", size=600)
    rows = Split(data.val.x[:300], data.val.y[:300])
    rng = random.Random(3)
    batch = [_random_configs(models, rng) for _ in range(7)]
    batch += [batch[2], {name: None for name in models.nodes}]  # a repeat and the float model
    together = models.evaluate_many(batch, rows)
    assert len({round(m["loss"], 9) for m in together}) > 3  # the configs do differ
    for configs, metrics in zip(batch, together):
        alone = evaluate(models.inference(configs).model, rows)
        assert metrics == {"loss": alone["loss"], "acc": alone["acc"]}  # bit for bit


class _Branchy(torch.nn.Module):
    """Shared inputs, an in-place method, an in-place function and a constant."""

    def __init__(self) -> None:
        super().__init__()
        self.a = torch.nn.Linear(4, 3)
        self.b = torch.nn.Linear(4, 3)
        self.act = torch.nn.ReLU(inplace=True)
        self.register_buffer("shift", torch.tensor([0.5, -0.5, 0.25]))

    def forward(self, x):
        h = self.act(self.a(x))
        g = torch.nn.functional.relu(self.b(x), inplace=True)
        return h.add_(g) * 2 + self.shift


def test_shared_evaluation_copies_inputs_of_in_place_ops():
    from carve.data.base import Split
    from carve.search.shared_eval import evaluate_variants
    from carve.train import evaluate

    torch.manual_seed(0)
    model = torch.fx.symbolic_trace(_Branchy().eval())
    rows = Split(torch.randn(50, 4), torch.randint(0, 3, (50,)))
    other = torch.nn.Linear(4, 3)
    variants = [{}, {"b": other}, {"a": other}, {"a": other, "b": other}, {}]
    together = evaluate_variants(model, variants, rows, batch_size=16)
    for swapped, metrics in zip(variants, together):
        alone = torch.fx.GraphModule(
            {**dict(model.named_children()), **swapped, "shift": model.shift}, model.graph
        )
        assert metrics == evaluate(alone, rows, batch_size=16)
    assert together[0] == together[4] != together[1]
