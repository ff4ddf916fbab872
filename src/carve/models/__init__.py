"""Model registry: JSC MLPs and toy models; MASE-compatible ``get_model``."""

from carve.models import catalog as _catalog  # noqa: F401  (registers the built-in models)
from carve.models.registry import (
    MODELS,
    ModelInfo,
    get_model,
    get_model_info,
    register_lazy_model,
    register_model,
)

__all__ = [
    "MODELS",
    "ModelInfo",
    "get_model",
    "get_model_info",
    "register_lazy_model",
    "register_model",
]
