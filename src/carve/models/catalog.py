"""The built-in models, registered lazily (listing them imports no torch).

``params`` is the parameter count for 16 features and 5 classes (JSC); a test
checks each against the built model.
"""

from __future__ import annotations

from carve.models.registry import register_lazy_model

_JSC = [
    ("jsc-tiny", "jsc_tiny", 117, "BN-ReLU-Linear(16,5)-ReLU"),
    ("jsc-toy", "jsc_toy", 327, "16-8-8-5 with BatchNorm"),
    ("jsc-10x", "jsc_10x", 1253, "16-32-16-5, ~10x jsc-tiny (lab 1)"),
    ("jsc-s", "jsc_s", 5615, "16-64-32-32-32-5 with BatchNorm"),
]

for _name, _attr, _params, _description in _JSC:
    register_lazy_model(
        _name, f"carve.models.jsc:build_{_attr}", params=_params, description=_description
    )
    register_lazy_model(
        f"{_name}-logits",
        f"carve.models.jsc:build_{_attr}_logits",
        params=_params,
        description=f"{_description}, no final ReLU",
    )

# toy models exercising call_function / call_method paths of the graph IR (carve.models.toy)
_TOY = [
    ("toy-mlp", "toy_mlp", 1765, "MLP with F.relu and a residual +"),
    ("toy-cnn", "toy_cnn", 1381, "CNN: conv2d, batch norm, pooling, flatten (16 -> 4x4 image)"),
    ("toy-transformer", "toy_transformer", 1589,
     "attention block: linear, bmm/matmul, softmax, layer norm, view/transpose, residual"),
]  # fmt: skip

# MASE's toy models under MASE's names (carve.compat.toys): what MASE's tests build
_MASE_TOY = [
    ("toy", "toy", 253, "MASE's ToyNet: seq_blocks Linear-ReLU-Linear-ReLU-Linear"),
    ("toy_tiny", "toy_tiny", 49, "MASE's ToyTiny: l1 + relu_1 (l2, relu_2 unused)"),
    ("toy_custom_fn", "toy_custom_fn", 2900,
     "MASE's ToyCustomFnNet: linear, relu, add, mul, sub, conv1d/2d, matmul, bmm"),
]  # fmt: skip
_MASE_TOY_INFO = {
    "model_source": "toy",
    "task_type": "vision",
    "physical_data_point_classification": False,
    "image_classification": True,
}

for _rows, _module, _info in ((_TOY, "carve.models.toy", {}),
                              (_MASE_TOY, "carve.compat.toys", _MASE_TOY_INFO)):  # fmt: skip
    for _name, _attr, _params, _description in _rows:
        register_lazy_model(_name, f"{_module}:build_{_attr}", params=_params,
                            description=_description, **_info)  # fmt: skip
