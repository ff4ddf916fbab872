"""MASE's quantize test on a model with ``F.relu``: function nodes stay ``call_function``.

MASE replaces a quantized function node's target with the quantized function
(``relu_integer``) and keeps ``node.op == "call_function"``; MASE users check
exactly that, then the node's metadata.
"""

from __future__ import annotations

import torch

CODE = """
import torch
import torch.nn.functional as F
from chop.ir.graph.mase_graph import MaseGraph
from chop.models.toys.toy_custom_fn import ToyCustomFnNet
from chop.passes.graph.analysis import (
    init_metadata_analysis_pass,
    add_common_metadata_analysis_pass,
)
from chop.passes.graph.transforms import quantize_transform_pass
from chop.passes.graph.utils import get_mase_op, get_mase_type, get_node_actual_target

torch.manual_seed(0)
net = ToyCustomFnNet(image_size=(1, 10, 10), num_classes=10, batch_size=4)
x = torch.randn((4, 100))
mg = MaseGraph(model=net)
mg, _ = init_metadata_analysis_pass(mg, None)
mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": x}, "add_value": False})
float_out = mg.model(x)
config = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
          "weight_width": 8, "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4}
quan_args = {"by": "type", "default": {"config": {"name": None}},
             "relu": {"config": config}, "add": {"config": config}, "mul": {"config": config},
             "sub": {"config": config}, "matmul": {"config": config}, "bmm": {"config": config}}
mg, _ = quantize_transform_pass(mg, quan_args)
found = {}
for node in mg.fx_graph.nodes:
    if get_mase_op(node) in ("relu", "add", "mul", "sub", "matmul", "bmm"):
        target = get_node_actual_target(node)
        found[node.name] = (node.op, get_mase_type(node), get_mase_op(node),
                            getattr(target, "__name__", type(target).__name__),
                            node.meta["mase"].parameters["common"]["args"]["data_in_0"]["type"],
                            node.meta["mase"].parameters["common"]["args"]["data_in_0"]["precision"])
"""


def test_quantized_f_relu_stays_a_call_function_node(run_ported):
    ns = run_ported(CODE)
    found = ns["found"]
    relu = found["relu"]  # F.relu(self.seq_blocks(x))
    assert relu == ("call_function", "module_related_func", "relu", "relu_integer", "integer",
                    [8, 4])  # fmt: skip
    assert found["seq_blocks_1"][:2] == ("call_module", "module_related_func")  # nn.ReLU
    assert found["seq_blocks_1"][3] == "ReLUInteger"
    functions = {name: row for name, row in found.items() if row[0] == "call_function"}
    assert sorted(row[3] for row in functions.values()) == sorted(
        ["relu_integer", "add_integer", "add_integer", "mul_integer", "mul_integer",
         "sub_integer", "sub_integer", "matmul_integer", "bmm_integer"])  # fmt: skip
    for name, (_, mase_type, op, *_rest) in functions.items():
        expected = "module_related_func" if op == "relu" else "builtin_func"
        assert mase_type == expected, name
        assert found[name][4:] == ("integer", [8, 4]), name
    # each target computes on the 8/4 grid: F.relu of its unsigned input, x + y of both
    targets = {n.name: n.target for n in ns["mg"].fx_graph.nodes if n.op == "call_function"}
    t = torch.randn(4, 100) * 9

    def fixed(v, lo=-128, hi=127):
        return torch.clamp(torch.round(v * 16), lo, hi) / 16

    assert torch.equal(targets["relu"](t), torch.relu(fixed(t, 0, 255)))
    assert torch.equal(targets["add"](t, t.flip(0)), fixed(t) + fixed(t.flip(0)))
    assert torch.equal(
        targets["bmm"](t[None], t.T[None]), torch.bmm(fixed(t)[None], fixed(t.T)[None])
    )
