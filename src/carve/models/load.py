"""Load checkpoints into models: ``load_model(load_name, load_type, model)`` as MASE's.

Load types form a registry (``LOAD_TYPES``), so other layers add their own
(:mod:`carve.catalog` adds ``graph`` and ``mz``, saved graphs, from above). Each entry is
``loader(path: Path, model: nn.Module | None) -> nn.Module``. Files are read
with ``torch.load(weights_only=True)``: no arbitrary pickled code runs.

Built in:

* ``ours``: a carve training checkpoint (``carve train``'s best/last.ckpt);
  with ``model=None`` the model is rebuilt from the checkpoint's config.
* ``pt``: a raw state dict, or a dict holding one under ``state_dict``.
* ``pl``: a Lightning/MASE ``.ckpt``: ``state_dict`` with a ``model.`` prefix,
  stripped; entries the model does not have (e.g. metric states) are dropped.
* ``auto``: whichever of the three the file is.

A checkpoint that does not fit the model fails with the tensors that differ.
"""

from __future__ import annotations

import os
import pickle
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carve.errors import CarveError
from carve.registry import Registry

if TYPE_CHECKING:
    from torch import nn

LOAD_TYPES: Registry = Registry("load type")
# checkpoint entry -> loader(entry, state_dict, source, model) -> model, for entries that a
# higher layer understands (QAT's "graph_files"; registered from above by carve.catalog)
CHECKPOINT_ENTRIES: Registry = Registry("checkpoint entry")
CARVE_FORMAT = "carve-checkpoint"


def register_load_type(name: str, **meta: Any):
    """Decorator registering ``loader(path, model) -> model`` as load type ``name``."""
    return LOAD_TYPES.register(name, **meta)


def safe_torch_load(path: str | os.PathLike) -> Any:
    """``torch.load(path, weights_only=True)`` on CPU with one-line errors."""
    import torch

    path = Path(path)
    if not path.exists():
        raise CarveError(f"checkpoint {str(path)!r} does not exist")
    if not path.is_file():
        raise CarveError(f"checkpoint {str(path)!r} is not a file")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        found = re.search(r"GLOBAL ([\w.]+)", str(error))
        if found:
            raise CarveError(
                f"checkpoint {str(path)!r} holds a pickled Python object ({found.group(1)}), "
                "which carve does not load: it reads checkpoints with "
                "torch.load(weights_only=True) so no code in a file can run"
            ) from None
        raise CarveError(
            f"checkpoint {str(path)!r} is malformed (not a torch checkpoint)"
        ) from None
    except Exception as error:  # truncated zip, not a torch file, ...
        raise CarveError(
            f"checkpoint {str(path)!r} is truncated or not a torch checkpoint: expected a "
            f"complete file written by torch.save, found {_what_is(path)} "
            f"({_first_line(error)})"
        ) from None


def _what_is(path: Path) -> str:
    """A short description of a file torch could not read (for the error message)."""
    import zipfile

    size = path.stat().st_size
    if size == 0:
        return "an empty file"
    if zipfile.is_zipfile(path):
        return f"a {size:,}-byte zip archive torch cannot read"
    with open(path, "rb") as file:
        zip_start = file.read(4) == b"PK\x03\x04"
    if zip_start:
        return f"{size:,} bytes of a zip archive whose end is missing (truncated)"
    return f"{size:,} bytes that are not a torch zip archive"


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _short(names: list[str], limit: int = 6) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def mismatch_message(model: nn.Module, state_dict: dict[str, Any]) -> str | None:
    """Which tensors of ``state_dict`` do not fit ``model`` (None when all fit)."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    shapes = [
        f"{k} {list(state_dict[k].shape)} vs model {list(expected[k].shape)}"
        for k in expected
        if k in state_dict
        and hasattr(state_dict[k], "shape")
        and tuple(state_dict[k].shape) != tuple(expected[k].shape)
    ]
    parts = []
    if missing:
        parts.append(f"missing tensors: {_short(missing)}")
    if unexpected:
        parts.append(f"unexpected tensors: {_short(unexpected)}")
    if shapes:
        parts.append(f"shape mismatch: {_short(shapes, 3)}")
    return "; ".join(parts) or None


def load_state_dict_checked(model: nn.Module, state_dict: Any, source: str) -> nn.Module:
    """Strictly load ``state_dict`` into ``model``; a misfit names the differing tensors."""
    import torch

    if not isinstance(state_dict, dict) or not all(
        isinstance(v, torch.Tensor) for v in state_dict.values()
    ):
        raise CarveError(f"{source} does not hold a state dict (a mapping of names to tensors)")
    problem = mismatch_message(model, state_dict)
    if problem:
        raise CarveError(f"{source} does not fit model {type(model).__name__}: {problem}")
    model.load_state_dict(state_dict, strict=True)
    return model


def _require_model(model, load_type: str):
    if model is None:
        raise CarveError(f"load type {load_type!r} needs a model to load the weights into")
    return model


def is_carve_checkpoint(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("format") == CARVE_FORMAT


DIGEST_KEY = "digest"  # content hash of everything else in a carve checkpoint
REQUIRED_KEYS = ("state_dict", "config")


def checkpoint_digest(checkpoint: dict[str, Any]) -> str:
    """The content hash a carve checkpoint stores under ``"digest"`` (of all other entries)."""
    from carve.digest import tree_digest

    return tree_digest({k: v for k, v in checkpoint.items() if k != DIGEST_KEY})


def check_carve_checkpoint(checkpoint: dict[str, Any], path: str | os.PathLike) -> dict[str, Any]:
    """Refuse a carve checkpoint that lacks an entry or whose content changed since it was saved.

    Files written before checkpoints carried a digest load without the content check.
    """
    missing = [key for key in REQUIRED_KEYS if key not in checkpoint]
    if missing:
        raise CarveError(
            f"checkpoint {str(path)!r} is damaged: it is a carve checkpoint but has no "
            f"{' or '.join(repr(k) for k in missing)} entry (a complete one holds "
            f"{', '.join(REQUIRED_KEYS)})"
        )
    stored = checkpoint.get(DIGEST_KEY)
    if stored is not None and stored != checkpoint_digest(checkpoint):
        raise CarveError(
            f"checkpoint {str(path)!r} is corrupt: its content no longer matches the hash "
            "stored when it was written (a flipped bit, an edit or a bad copy); "
            "use another checkpoint or retrain"
        )
    return checkpoint


@register_load_type("ours", description="carve training checkpoint (best.ckpt / last.ckpt)")
def load_ours(path: Path, model: nn.Module | None) -> nn.Module:
    checkpoint = safe_torch_load(path)
    if not is_carve_checkpoint(checkpoint):
        raise CarveError(
            f"{str(path)!r} is not a carve checkpoint; for a Lightning/MASE .ckpt pass "
            "--load-type pl, for a plain state dict --load-type pt"
        )
    check_carve_checkpoint(checkpoint, path)
    if checkpoint.get("graph_files") is not None:  # QAT: rebuild the quantized graph
        source = f"checkpoint {str(path)!r}"
        rebuild = CHECKPOINT_ENTRIES["graph_files"]  # the pipeline's (registered from above)
        return rebuild(checkpoint["graph_files"], checkpoint["state_dict"], source, model)
    if model is None:
        model = _model_from_checkpoint(checkpoint)
    return load_state_dict_checked(model, checkpoint["state_dict"], f"checkpoint {str(path)!r}")


def _model_from_checkpoint(checkpoint: dict) -> nn.Module:
    from carve.data import get_dataset_info
    from carve.models.registry import get_model

    config = checkpoint.get("config")
    if not isinstance(config, dict) or not config.get("model"):
        raise CarveError("the checkpoint's config names no model; pass the model to load into")
    info = get_dataset_info(config["dataset"]) if config.get("dataset") else None
    return get_model(config["model"], dataset_info=info)


@register_load_type("pt", description="raw state dict (or a dict with 'state_dict')")
def load_pt(path: Path, model: nn.Module | None) -> nn.Module:
    obj = safe_torch_load(path)
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    return load_state_dict_checked(_require_model(model, "pt"), obj, f"checkpoint {str(path)!r}")


@register_load_type("pl", description="Lightning/MASE .ckpt ('state_dict' with 'model.' prefix)")
def load_pl(path: Path, model: nn.Module | None) -> nn.Module:
    obj = safe_torch_load(path)
    if not isinstance(obj, dict) or not isinstance(obj.get("state_dict"), dict):
        raise CarveError(f"{str(path)!r} is not a Lightning checkpoint (no 'state_dict' entry)")
    model = _require_model(model, "pl")
    wanted = model.state_dict()
    state = {k.removeprefix("model."): v for k, v in obj["state_dict"].items()}
    kept = {k: v for k, v in state.items() if k in wanted}  # drop metric states etc.
    return load_state_dict_checked(model, kept, f"checkpoint {str(path)!r}")


@register_load_type("auto", description="detect ours, pl or pt from the file's contents")
def load_auto(path: Path, model: nn.Module | None) -> nn.Module:
    obj = safe_torch_load(path)
    if is_carve_checkpoint(obj):
        return load_ours(path, model)
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        lightning = "pytorch-lightning_version" in obj
        if lightning or any(k.startswith("model.") for k in obj["state_dict"]):
            return load_pl(path, model)
    return load_pt(path, model)


def load_model(
    load_name: str | os.PathLike, load_type: str = "auto", model: nn.Module | None = None
):
    """Load checkpoint ``load_name`` of ``load_type`` into ``model`` and return the model.

    Same arguments as MASE's ``chop.tools.checkpoint_load.load_model``.
    """
    if load_type == "auto" and Path(load_name).is_dir():
        load_type = "graph"  # a folder saved by carve transform / save_mase_graph
    loader = LOAD_TYPES[load_type]
    return loader(Path(load_name), model)


# "graph" (a saved graph folder, QAT) and "mz" (MASE's name for it) load through higher
# layers (pipeline, compat): carve.catalog registers them here from above.
