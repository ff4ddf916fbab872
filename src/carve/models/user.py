"""Users' own models: run a Python file whose ``@register_model`` definitions register.

``carve train my-mlp jsc-synth --model-file my_model.py`` with ``my_model.py``::

    from torch import nn
    from carve.models import register_model

    @register_model("my-mlp", description="my lab 1 network")
    def build(info):
        return nn.Sequential(nn.Linear(info["num_features"], 64), nn.ReLU(),
                             nn.Linear(64, info["num_classes"]))

The file runs as a module named ``carve_user_models.<stem>``; running the same
file twice registers its models once.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback
from pathlib import Path
from types import ModuleType

from carve.errors import CarveError

_LOADED: dict[Path, ModuleType] = {}


def load_model_file(path: str | os.PathLike) -> ModuleType:
    """Execute the user's model file once; its errors become one-line CarveErrors."""
    path = Path(path).expanduser().resolve()
    if path in _LOADED:
        return _LOADED[path]
    if not path.is_file():
        raise CarveError(f"model file {str(path)!r} does not exist")
    if path.suffix != ".py":
        raise CarveError(f"model file {str(path)!r} must be a Python file ending in .py")
    name = f"carve_user_models.{path.stem.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except CarveError:
        sys.modules.pop(name, None)
        raise
    except Exception as error:
        sys.modules.pop(name, None)
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == str(path)]
        line = getattr(error, "lineno", None) or (frames[-1].lineno if frames else "?")
        raise CarveError(
            f"model file {str(path)!r} failed at line {line}: {type(error).__name__}: {error}"
        ) from error
    _LOADED[path] = module
    return module
