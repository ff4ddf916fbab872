"""Model registry: JSC MLPs and toy models; MASE-compatible ``get_model``."""

from carve.models import catalog as _catalog  # noqa: F401  (registers the built-in models)
from carve.models.load import LOAD_TYPES, load_model, register_load_type
from carve.models.registry import (
    MODELS,
    ModelInfo,
    dataset_info_dict,
    get_model,
    get_model_info,
    register_lazy_model,
    register_model,
)
from carve.models.user import load_model_file

__all__ = [
    "LOAD_TYPES",
    "MODELS",
    "ModelInfo",
    "dataset_info_dict",
    "get_model",
    "get_model_info",
    "load_model",
    "load_model_file",
    "register_lazy_model",
    "register_load_type",
    "register_model",
]
