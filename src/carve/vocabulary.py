"""MASE's vocabulary that carve accepts: one table of keys, flags and what each does.

MASE configs, command lines and ``pass_args`` carry keys that matter only to
MASE's machinery (Lightning strategies, SLURM, FPGA parts, HuggingFace
tokenizers) or that MASE reads and then never uses (``report = true`` in every
quantize test config). carve accepts each of them so MASE material runs
unchanged, and either does what MASE does with it (``no_warnings``) or ignores
it with **one logged note naming the key** (at ``info``: visible with
``--log-level info``, the CLI's default, or ``carve.set_logging_verbosity``).

Everything lives here as data, read by the config layer
(:func:`accept_run_keys`, :func:`add_mase_flags`), the pass-argument parser
(:func:`drop_ignored_pass_args`) and the quantize pass
(:func:`drop_ignored_config_keys`, :data:`MASE_TYPE_DEFAULT_OPS`). A key in
neither carve's nor this vocabulary stays an error with a close-match hint.

>>> accept_run_keys({"batch_size": 8, "strategy": "ddp", "github_ci": False}, "run.toml")
{'batch_size': 8}
>>> accept_run_keys({"num_nodes": "two"}, "run.toml")
Traceback (most recent call last):
...
carve.errors.CarveError: num_nodes must be an integer, got 'two' (from run.toml)
"""

from __future__ import annotations

import argparse
import logging
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from carve.errors import CarveError
from carve.schema import valid

logger = logging.getLogger("carve.compat")


def _refuse_pretrained(value: Any) -> None:
    if value:
        raise CarveError(
            "is_pretrained/--pretrained: carve ships no pretrained weights (no downloads of "
            "MASE's model zoo); train with `carve train` and pass the checkpoint with --load"
        )


def _silence_warnings(value: Any) -> None:
    if value:
        warnings.simplefilter("ignore")


@dataclass(frozen=True)
class RunKey:
    """A MASE run option (TOML key = MASE's ``dest``) carve accepts but has no field for.

    ``apply`` does what MASE does with the value; without it the key is ignored
    with ``note`` logged (why carve has no use for it).
    """

    flags: tuple[str, ...]
    kind: type
    note: str = ""
    apply: Callable[[Any], None] | None = None


RUN_KEYS: dict[str, RunKey] = {
    "is_pretrained": RunKey(("--pretrained",), bool, apply=_refuse_pretrained),
    "no_warnings": RunKey(("--no-warnings",), bool, apply=_silence_warnings),
    "strategy": RunKey(("--strategy",), str, "carve trains on one device (no DDP strategy)"),
    "num_nodes": RunKey(("--nodes",), int, "carve trains on one machine"),
    "trainer_precision": RunKey(
        ("--trainer-precision",), str, "carve trains in float32 (no Lightning mixed precision)"
    ),
    "report_to": RunKey(
        ("--report-to",), str, "carve always writes TensorBoard event files (no wandb)"
    ),
    "quant_config": RunKey(
        ("--quant-config",), str, "pre-quantized HuggingFace models are out of scope"
    ),
    "max_token_len": RunKey(("--max-token-len",), int, "language models are out of scope"),
    "disable_dataset_cache": RunKey(
        ("--disable-dataset-cache",), bool, "it only affects HuggingFace datasets (out of scope)"
    ),
    "github_ci": RunKey(("--github-ci",), bool, "MASE's CI switch; carve needs none"),
    "is_to_auto_requeue": RunKey(("--auto-requeue",), bool, "SLURM requeueing is out of scope"),
    "target": RunKey(("--target",), str, "FPGA parts: hardware generation is out of scope"),
    "num_targets": RunKey(("--num-targets",), int, "hardware generation is out of scope"),
}

_KIND_TEXT = {bool: "true or false", int: "an integer", str: "a string"}


def _check(name: str, value: Any, source: str) -> Any:
    kind = RUN_KEYS[name].kind
    if not valid(value, kind):
        raise CarveError(f"{name} must be {_KIND_TEXT[kind]}, got {value!r} (from {source})")
    return value


def note_ignored(key: str, where: str, note: str) -> None:
    """The one log line for a MASE key carve accepts and ignores."""
    logger.info("%s: MASE key %r accepted and ignored: %s", where, key, note)


def accept_run_keys(values: Mapping[str, Any], source: str) -> dict[str, Any]:
    """``values`` without MASE-only run keys, each checked, applied or noted once.

    Called by the config layer on TOML files, ``CarveConfig.from_dict`` and the
    command line, before carve's own unknown-key check.
    """
    rest = {}
    for key, value in values.items():
        entry = RUN_KEYS.get(key)
        if entry is None:
            rest[key] = value
            continue
        if value is None:  # "NA" in TOML: MASE's unset value, nothing to do or note
            continue
        value = _check(key, value, source)
        if entry.apply is not None:
            entry.apply(value)
        else:
            note_ignored(key, source, entry.note)
    return rest


def add_mase_flags(parser: argparse.ArgumentParser) -> None:
    """Add MASE's flags for :data:`RUN_KEYS` (dest ``<key>``; absent unless typed)."""
    for name, entry in RUN_KEYS.items():
        text = "MASE option: " + ((entry.note and f"ignored ({entry.note})") or "as in MASE")
        if entry.kind is bool:
            parser.add_argument(
                *entry.flags, dest=name, action="store_true", default=argparse.SUPPRESS, help=text
            )
        else:
            parser.add_argument(
                *entry.flags, dest=name, type=entry.kind, default=argparse.SUPPRESS, help=text
            )


def mase_flag_values(args: argparse.Namespace) -> dict[str, Any]:
    """The MASE-only flags the user typed (what :func:`accept_run_keys` then handles)."""
    return {name: getattr(args, name) for name in RUN_KEYS if hasattr(args, name)}


# ``pass_args`` keys MASE passes accept and never use, per pass (function name).
IGNORED_PASS_ARGS: dict[str, dict[str, str]] = {
    "init_metadata_analysis_pass": {
        "dummy_in": "metadata starts empty; add_common_metadata_analysis_pass reads dummy_in",
    },
    "add_software_metadata_analysis_pass": {
        "dummy_in": "software slots come from the graph; no input is run",
    },
    "quantize_transform_pass": {
        "report": "run summarize_quantization_analysis_pass for the table and histogram",
    },
}


def drop_ignored_pass_args(pass_name: str, pass_args: Any) -> Any:
    """``pass_args`` without the keys MASE's ``pass_name`` ignores (each noted)."""
    ignored = IGNORED_PASS_ARGS.get(pass_name)
    if not ignored or not isinstance(pass_args, Mapping) or not set(pass_args) & set(ignored):
        return pass_args
    for key in set(pass_args) & set(ignored):
        note_ignored(key, pass_name, ignored[key])
    return {k: v for k, v in pass_args.items() if k not in ignored}


# Quantization config keys MASE's parser never reads, per format: bare names, and
# ``<operand>_<field>`` fields (``{operand}`` stands for data_in, weight, bias, data_out).
IGNORED_CONFIG_KEYS: dict[str, dict[str, str]] = {
    "binary": {
        "binary_training": "only MASE's binary_residual (LUTNet) layers read it",
        "{operand}_frac_width": "a binary value has no fraction bits",
    },
    "ternary": {"{operand}_frac_width": "a ternary value has no fraction bits"},
}
OPERANDS = ("data_in", "weight", "bias", "data_out")

# Bare keys that stand for ``<operand>_<key>`` of every operand the config sets up
# (MASE's configs/tests/quantize/test_uniform.toml writes ``stochastic = true`` once).
OPERAND_WIDE_KEYS: dict[str, tuple[str, ...]] = {"binary": ("stochastic", "bipolar")}


def drop_ignored_config_keys(config: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A quantization config in carve's keys: MASE-only keys dropped (each noted) and
    operand-wide keys spread to each operand that has no own value.

    >>> drop_ignored_config_keys({"name": "binary", "stochastic": True, "weight_width": 1,
    ...                           "weight_frac_width": 0}, "demo")
    {'name': 'binary', 'weight_width': 1, 'weight_stochastic': True}
    """
    name = config.get("name")
    fmt = name if isinstance(name, str) else ""
    ignored = {}
    for pattern, note in IGNORED_CONFIG_KEYS.get(fmt, {}).items():
        keys = [pattern.format(operand=op) for op in OPERANDS] if "{" in pattern else [pattern]
        ignored.update({key: note for key in keys})
    wide = OPERAND_WIDE_KEYS.get(fmt, ())
    kept = {}
    for key, value in config.items():
        if key in ignored:
            note_ignored(key, where, ignored[key])
        elif key not in wide:
            kept[key] = value
    operands = [op for op in OPERANDS if any(str(k).startswith(f"{op}_") for k in kept)]
    for key in wide:
        if key in config:
            for operand in operands:
                kept.setdefault(f"{operand}_{key}", config[key])
    return kept


# ``by = "type"``: the ops a ``default`` config reaches, as in MASE. Other
# quantizable ops (BatchNorm, pooling) are quantized only when named as a key.
MASE_TYPE_DEFAULT_OPS: tuple[str, ...] = (
    "add", "bmm", "conv1d", "conv2d", "matmul", "mul", "linear", "relu", "sub",
)  # fmt: skip

# ``[transform]`` table of a MASE config: accepted keys and values.
TRANSFORM_STYLES = ("graph", "module")


def accept_transform_table(table: Any, source: str) -> None:
    """Check a config's ``[transform]`` table (``style = "graph" | "module"``).

    carve transforms a traced graph in both styles (the quantized layers and
    saved folder are the same), so ``module`` is accepted with a note.
    """
    if table is None:
        return
    if not isinstance(table, Mapping):
        raise CarveError(f"[transform] in {source} must be a table, got {table!r}")
    unknown = [key for key in table if key != "style"]
    if unknown:
        raise CarveError(f"[transform] in {source}: unknown key(s) {unknown}; accepted: style")
    style = table.get("style", "graph")
    if style not in TRANSFORM_STYLES:
        raise CarveError(
            f"[transform] style={style!r} in {source}; accepted: {', '.join(TRANSFORM_STYLES)}"
        )
    if style == "module":
        note_ignored("style", f"[transform] in {source}", "carve quantizes the traced graph")


def vocabulary_markdown() -> str:
    """The "MASE keys carve accepts" tables of docs/mase.md, from the data above."""
    rows = ["| MASE run key (TOML) | flag | what carve does |", "|---|---|---|"]
    for key, entry in RUN_KEYS.items():
        if entry.apply is _refuse_pretrained:
            action = "true is an error: carve ships no pretrained weights"
        elif entry.apply is _silence_warnings:
            action = "as MASE: Python warnings are silenced"
        else:
            action = f"ignored ({entry.note})"
        rows.append(f"| `{key}` | `{', '.join(entry.flags)}` | {action} |")
    rows += ["", "| pass | `pass_args` key | what carve does |", "|---|---|---|"]
    for pass_name, keys in IGNORED_PASS_ARGS.items():
        rows += [f"| `{pass_name}` | `{key}` | ignored ({note}) |" for key, note in keys.items()]
    rows += ["", "| format | config key | what carve does |", "|---|---|---|"]
    for fmt, keys in IGNORED_CONFIG_KEYS.items():
        rows += [f"| `{fmt}` | `{key}` | ignored ({note}) |" for key, note in keys.items()]
    for fmt, keys in OPERAND_WIDE_KEYS.items():
        rows += [f"| `{fmt}` | `{key}` | sets `<operand>_{key}` of each operand the config "
                 "sets up (unless given) |" for key in keys]  # fmt: skip
    rows += [
        '| any | node-name key under `by = "type"` | ignored, as MASE (must name a node) |',
        "",
        f"`[transform] style`: {' or '.join(TRANSFORM_STYLES)}; carve quantizes the traced "
        "graph in both (`module` is noted).",
    ]
    return "\n".join(rows) + "\n"
