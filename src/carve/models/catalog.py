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
