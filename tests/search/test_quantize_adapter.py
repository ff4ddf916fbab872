"""Trial models: the fast path equals the quantize pass bit for bit, whatever ran before."""

from __future__ import annotations

import copy
import operator
import random

import torch

from carve.data import get_dataset
from carve.models import get_model
from carve.passes import quantize_transform_pass
from carve.quant import fixed_point_config
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

    def shifted_relu(x, inplace=False):  # stands in for a quantized function
        return torch.nn.functional.relu(x - 0.1, inplace=inplace)

    variants = [{}, {"b": other}, {"a": other}, {"a": other, "b": other}, {},
                {"relu": shifted_relu}, {"a": other, "relu": shifted_relu}]  # fmt: skip
    together = evaluate_variants(model, variants, rows, batch_size=16)
    for swapped, metrics in zip(variants, together):
        graph = copy.deepcopy(model.graph)
        for node in graph.nodes:
            if node.op == "call_function" and node.name in swapped:
                node.target = swapped[node.name]
        modules = {k: v for k, v in swapped.items() if isinstance(v, torch.nn.Module)}
        alone = torch.fx.GraphModule(
            {**dict(model.named_children()), **modules, "shift": model.shift}, graph
        )
        assert metrics == evaluate(alone, rows, batch_size=16)
    assert together[0] == together[4] != together[1]
    assert together[5] not in (together[0], together[6])  # the function choice counts


class _Functional(torch.nn.Module):
    """Quantizable functions between the linears: F.relu, torch.relu, *, +."""

    def __init__(self) -> None:
        super().__init__()
        self.a = torch.nn.Linear(16, 8)
        self.b = torch.nn.Linear(16, 8)
        self.out = torch.nn.Linear(8, 5)

    def forward(self, x):
        h = torch.nn.functional.relu(self.a(x))
        g = torch.relu(self.b(x))
        return self.out(h + g * h)


def _functional_setup():
    data = get_dataset("jsc-synth", size=600)
    torch.manual_seed(2)
    models = QuantizedModels(build_graph(_Functional().eval(), data.train.x))
    return models, data


def _any_configs(models, rng):
    choices = [None] + [fixed_point_config(width, 2) for width in (3, 4, 8)]
    return {name: rng.choice(choices) for name in models.nodes}


def test_function_nodes_take_the_fast_path_equal_to_the_pass():
    models, data = _functional_setup()
    assert models.fast
    assert {models.nodes[n] for n in ("relu", "relu_1", "mul", "add")} == {"relu", "mul", "add"}
    x = data.val.x[:200]
    rng = random.Random(5)
    configs = [_any_configs(models, rng) for _ in range(10)]
    with torch.inference_mode():
        expected = [quantize_transform_pass(models.graph, pass_args(c))[0] for c in configs]
        for config, reference in zip(configs, expected):
            graph = models.inference(config)
            assert torch.equal(graph.model(x), reference.model.eval()(x))
            assert graph_costs(graph) == graph_costs(reference)
            kinds = {n.name: n.op for n in graph.nodes}
            assert kinds["relu"] == kinds["add"] == "call_function"  # as the pass leaves them
        again = models.inference(configs[0])  # after nine others
        assert torch.equal(again.model(x), expected[0].model(x))
    float_targets = [n.target for n in models.graph.nodes if n.op == "call_function"]
    assert float_targets == [torch.nn.functional.relu, torch.relu, operator.mul, operator.add]


def test_function_node_candidates_evaluated_together_equal_each_alone():
    from carve.data.base import Split
    from carve.train import evaluate

    models, data = _functional_setup()
    rows = Split(data.val.x[:300], data.val.y[:300])
    rng = random.Random(6)
    batch = [_any_configs(models, rng) for _ in range(6)]
    batch += [batch[1], {name: None for name in models.nodes}]
    together = models.evaluate_many(batch, rows)
    assert len({round(m["loss"], 9) for m in together}) > 3
    for configs, metrics in zip(batch, together):
        alone = evaluate(models.inference(configs).model, rows)
        assert metrics == {"loss": alone["loss"], "acc": alone["acc"]}
