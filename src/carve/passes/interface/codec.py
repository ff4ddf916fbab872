"""Metadata <-> JSON without pickle: tensors go to a side table (saved as safetensors).

>>> import torch
>>> tensors = {}
>>> data = {"shape": (2, 3), "torch_dtype": torch.float32, "value": torch.ones(2)}
>>> text = encode(data, tensors, "n")
>>> text["value"], sorted(tensors)
({'__tensor__': 'n/value'}, ['n/value'])
>>> back = decode(text, tensors)
>>> back["shape"], back["torch_dtype"], back["value"] is tensors["n/value"]
((2, 3), torch.float32, True)
"""

from __future__ import annotations

from typing import Any

import torch

from carve.errors import CarveError, unknown_name_message

_DTYPES = {
    str(d).removeprefix("torch."): d for d in vars(torch).values() if isinstance(d, torch.dtype)
}


def encode(data: Any, tensors: dict[str, torch.Tensor], path: str) -> Any:
    """JSON-ready form of ``data``; tensors are stored in ``tensors`` under ``path``."""
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, torch.Tensor):
        tensors[path] = data.detach().contiguous().clone()
        return {"__tensor__": path}
    if isinstance(data, torch.dtype):
        return {"__dtype__": str(data).removeprefix("torch.")}
    if isinstance(data, dict):
        if not all(isinstance(key, str) for key in data):
            raise CarveError(f"cannot save metadata at {path!r}: dict keys must be strings")
        return {key: encode(value, tensors, f"{path}/{key}") for key, value in data.items()}
    if isinstance(data, list):
        return [encode(v, tensors, f"{path}/{i}") for i, v in enumerate(data)]
    if isinstance(data, torch.Size):
        return {"__size__": list(data)}
    if isinstance(data, tuple):
        return {"__tuple__": [encode(v, tensors, f"{path}/{i}") for i, v in enumerate(data)]}
    if isinstance(data, slice):
        return {"__slice__": [data.start, data.stop, data.step]}
    if data is Ellipsis:
        return {"__ellipsis__": True}
    if type(data).__module__ == "numpy":
        return encode(torch.as_tensor(data), tensors, path)
    raise CarveError(
        f"cannot save metadata at {path!r}: values of type {type(data).__name__} have no "
        "safe encoding (use tensors, numbers, strings, lists, dicts)"
    )


def decode(data: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Inverse of :func:`encode`; a dangling tensor reference or unknown dtype is a CarveError."""
    if isinstance(data, list):
        return [decode(v, tensors) for v in data]
    if not isinstance(data, dict):
        return data
    if "__tensor__" in data:
        if data["__tensor__"] not in tensors:
            raise CarveError(
                f"tensor reference {data['__tensor__']!r} has no tensor in the side table"
            )
        return tensors[data["__tensor__"]]
    if "__dtype__" in data:
        if data["__dtype__"] not in _DTYPES:
            raise CarveError(unknown_name_message("torch dtype", data["__dtype__"], _DTYPES))
        return _DTYPES[data["__dtype__"]]
    if "__tuple__" in data:
        return tuple(decode(v, tensors) for v in _items(data, "__tuple__"))
    if "__size__" in data:
        return torch.Size(_items(data, "__size__"))
    if "__slice__" in data:
        return slice(*_items(data, "__slice__"))
    if "__ellipsis__" in data:
        return Ellipsis
    return {key: decode(value, tensors) for key, value in data.items()}


def _items(data: dict, tag: str) -> list:
    if not isinstance(data[tag], list):
        raise CarveError(f"{tag} must hold a list, got {data[tag]!r}")
    return data[tag]


def dtype_named(name: Any) -> torch.dtype:
    """The torch dtype called ``name`` (``"float32"`` or ``"torch.float32"``); else a CarveError.

    carve's one name -> dtype table (saved graphs and node-metadata TOML files).

    >>> dtype_named("torch.int8"), dtype_named("float32")
    (torch.int8, torch.float32)
    """
    key = name.removeprefix("torch.") if isinstance(name, str) else name
    if not isinstance(key, str) or key not in _DTYPES:
        raise CarveError(unknown_name_message("torch dtype", name, _DTYPES))
    return _DTYPES[key]
