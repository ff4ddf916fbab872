"""MASE's quantized layers by MASE's names: ``LinearInteger``, ``ReLUMinifloatIEEE``, ``add_log``...

Where MASE code imports ``chop.passes.graph.transforms.quantize.quantized_modules``
(or ``chop.nn.quantized``), ``carve port`` sends it here. Every name is one of
carve's quantized layers, generated from the format catalog and the op table
(:data:`carve.quant.layers.QUANTIZED_OPS`), with MASE's signatures:

* module classes (one per op and format): the float layer's constructor
  arguments plus ``config``, a MASE config dict (``name`` may be left out), e.g.
  ``Conv2dInteger(1, 4, 3, padding=1, config={...})``. They are ``nn.Linear``/
  ``nn.Conv2d``... with trainable ``weight``/``bias`` and MASE's quantizer
  attributes (``x_quantizer``, ``w_quantizer``, ``b_quantizer``);
* quantized functions ``f(x, [y,] config)`` (``add_integer``, ``relu_log``...);
* ``quantized_module_map`` / ``quantized_func_map``: ``"<op>_<format>"`` (MASE's
  other format names, ``fixed``, included) -> class or function.

A config key the format does not read, or a missing one, is a CarveError
naming the key.

>>> import torch
>>> config = {"data_in_width": 8, "data_in_frac_width": 4, "weight_width": 4,
...           "weight_frac_width": 2, "bias_width": 8, "bias_frac_width": 4}
>>> layer = LinearInteger(3, 2, bias=True, config=config)
>>> sorted(layer.state_dict()), layer.w_quantizer
(['bias', 'weight'], integer(width=4, frac_width=2))
>>> quantized_module_map["linear_fixed"] is LinearInteger
True
>>> relu_integer(torch.tensor([-1.0, 0.3]), {"data_in_width": 8, "data_in_frac_width": 4})
tensor([0.0000, 0.3125])
"""

from __future__ import annotations

from typing import Any

from carve.quant.catalog import FORMAT_INFO, function_name
from carve.quant.layers import QUANTIZED_OPS, quantized_class, quantized_function

quantized_module_map: dict[str, type] = {}
quantized_func_map: dict[str, Any] = {}

for _op, _entry in QUANTIZED_OPS.items():
    for _format in FORMAT_INFO:  # format names and their aliases
        if _entry.module_class is not None:
            _cls = quantized_class(_entry.module_class, _format)
            quantized_module_map[f"{_op}_{_format}"] = _cls
            globals()[_cls.__name__] = _cls
        if _entry.function_class is not None:
            _function = quantized_function(_op, _format)
            quantized_func_map[function_name(_op, _format)] = _function
            if FORMAT_INFO[_format].name == _format:
                globals()[_function.__name__] = _function
