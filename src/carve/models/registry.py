"""The model registry and MASE-compatible lookup functions.

A model entry is a builder ``builder(info: dict) -> nn.Module`` where ``info``
holds at least ``num_features`` and ``num_classes`` (taken from the dataset).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from carve.registry import Registry

MODELS: Registry = Registry("model")


@dataclass(frozen=True)
class ModelInfo:
    """What kind of model an entry is (the fields lab code reads from MASE's info)."""

    name: str
    model_source: str = "physical"
    task_type: str = "physical"
    physical_data_point_classification: bool = True
    image_classification: bool = False
    is_fx_traceable: bool = True
    description: str = ""
    params: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def register_model(name: str, **info: Any):
    """Decorator registering a model builder under ``name``.

    Users register their own models the same way, from a file passed with
    ``--model-file`` (see :func:`carve.models.user.load_model_file`).
    """

    def decorate(builder):
        MODELS.add(name, builder, info=ModelInfo(name=name, **info))
        return builder

    return decorate


def register_lazy_model(name: str, target: str, **info: Any) -> None:
    """Register builder ``"module:attr"``, imported only when the model is built."""
    MODELS.add_lazy(name, target, info=ModelInfo(name=name, **info))


def dataset_info_dict(dataset_info: Any) -> dict[str, Any]:
    """What a model builder reads of ``dataset_info`` (an info object, a dict or None), as a dict.

    None stands for JSC (16 features, 5 classes), as MASE's default.

    >>> dataset_info_dict(None)
    {'num_features': 16, 'num_classes': 5}
    """
    if dataset_info is None:
        return {"num_features": 16, "num_classes": 5}
    if isinstance(dataset_info, dict):
        return dict(dataset_info)
    return {
        key: getattr(dataset_info, key)
        for key in ("num_features", "num_classes")
        if getattr(dataset_info, key, None) is not None
    } | (
        {"image_size": dataset_info.image_size} if getattr(dataset_info, "image_size", None) else {}
    )


def get_model(
    name: str,
    task: str = "cls",
    dataset_info: Any = None,
    pretrained: bool = False,
    checkpoint: Any = None,
    quant_config: Any = None,
):
    """Build model ``name`` for ``dataset_info`` (a dataset info object or dict).

    Same signature as ``chop.models.get_model``. ``pretrained`` weights are not
    shipped (no network access); asking for them is an error rather than a
    silent random init. ``checkpoint`` and ``quant_config`` only matter to
    MASE's HuggingFace models (out of scope): accepted, and noted when set.

    >>> model = get_model("jsc-tiny")
    >>> sum(p.numel() for p in model.parameters())
    117
    """
    from carve.errors import CarveError
    from carve.vocabulary import note_ignored

    builder = MODELS[name]
    if pretrained:
        raise CarveError(
            f"model {name!r} has no pretrained weights in carve; "
            "train it (carve train) and pass the checkpoint with --load"
        )
    if task not in ("cls", "classification"):
        raise CarveError(f"model {name!r} supports task 'cls' (classification), not {task!r}")
    for key, value in (("checkpoint", checkpoint), ("quant_config", quant_config)):
        if value is not None:
            note_ignored(key, "get_model", "HuggingFace models only; use load_model for weights")
    return builder(dataset_info_dict(dataset_info))


def get_model_info(name: str) -> ModelInfo:
    """The :class:`ModelInfo` of registered model ``name``."""
    return MODELS.meta(name)["info"]
