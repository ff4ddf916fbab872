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

for _name, _attr, _params, _description in _TOY:
    register_lazy_model(
        _name, f"carve.models.toy:build_{_attr}", params=_params, description=_description
    )

# MASE's toy models (toy, toy_tiny, toy_custom_fn) live in carve.compat, a higher layer:
# carve.catalog registers them here from above.
