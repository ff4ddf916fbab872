"""Every common flag as one typed dataclass field: default, flags, help and valid range.

:class:`CarveConfig` is the effective configuration of a run (``carve train``,
``test``, ``transform``, ``study``). Field names are MASE's ``dest`` names
(``batch_size``, ``learning_rate``, ``training_optimizer``...) so MASE TOML
configs load unchanged; defaults are MASE's early-2024 CLI defaults except where
noted in the help text.

>>> config = CarveConfig(model="jsc-tiny", dataset="jsc-synth")
>>> config.batch_size, config.learning_rate, config.max_epochs
(128, 1e-05, 20)
>>> config.replace(batch_size=0)
Traceback (most recent call last):
...
carve.errors.CarveError: batch_size must be an integer >= 1, got 0 (from Python)
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any

from carve.errors import CarveError
from carve.vocabulary import RUN_KEYS, accept_run_keys

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
TASKS = ("classification", "cls")
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps")
OPTIMIZER_PATH = r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*[.:][A-Za-z_]\w*"  # module.Class, module:Class
MAX_SEED = 2**32 - 1  # np.random.seed's limit (torch's is 2**64 - 1)
MAX_EPOCHS = 100_000  # far above any lab's; 1e8 epochs of jsc-tiny would take years
MAX_THREADS = 1024  # torch.set_num_threads(10**8) crashes the process


def option(
    default: Any,
    *flags: str,
    kind: type,
    help: str,
    choices: tuple[str, ...] | None = None,
    pattern: tuple[str, str] | None = None,
    minimum: float | None = None,
    above: float | None = None,
    maximum: float | None = None,
    nullable: bool = False,
) -> Any:
    """A config field that is also a command-line flag (``flags``) and a TOML key.

    A string must be one of ``choices`` or, when ``pattern`` (regex, what it
    means) is given, match the regex instead. Numbers must lie in
    ``[minimum, maximum]`` (``above``: strictly greater); floats must also be
    finite (``inf``/``nan`` are never a valid setting).
    """
    return field(
        default=default,
        metadata={
            "flags": flags,
            "kind": kind,
            "help": help,
            "choices": choices,
            "pattern": pattern,
            "minimum": minimum,
            "above": above,
            "maximum": maximum,
            "nullable": nullable,
        },
    )


@dataclass
class Provenance:
    """Where values came from: the TOML file and the flags given on the command line."""

    config_file: str | None = None
    file_values: dict[str, Any] = field(default_factory=dict)
    cli_values: dict[str, Any] = field(default_factory=dict)


@dataclass
class CarveConfig:
    """The effective configuration of a run (defaults < TOML config < command line)."""

    task: str = option("classification", "--task", kind=str, choices=TASKS, help="task")
    load_name: str | None = option(
        None, "--load", kind=str, nullable=True, help="checkpoint to load before running"
    )
    load_type: str = option(
        "auto",
        "--load-type",
        kind=str,
        help="checkpoint load type: ours (carve), pt (state dict), pl (Lightning/MASE .ckpt), "
        "or auto (detect among those three)",
    )
    batch_size: int = option(128, "--batch-size", kind=int, minimum=1, help="batch size")
    to_debug: bool = option(False, "--debug", kind=bool, help="show tracebacks of errors")
    log_level: str = option("info", "--log-level", kind=str, choices=LOG_LEVELS, help="log level")
    seed: int = option(
        0, "--seed", kind=int, minimum=0, maximum=MAX_SEED,
        help="random seed (init, shuffling; NumPy's seeds stop at 2**32 - 1)",
    )  # fmt: skip
    training_optimizer: str = option(
        "adam", "--training-optimizer", "--optimizer", kind=str, choices=("adam", "adamw", "sgd"),
        pattern=(OPTIMIZER_PATH, "a torch.optim.Optimizer class path (e.g. torch.optim.RMSprop)"),
        help="optimizer: carve's fast adam, adamw, sgd (momentum 0.9, Nesterov), or any "
        "torch.optim class by path, e.g. torch.optim.RMSprop; all get --weight-decay. A path "
        "imports its module (runs its code): trust it as you would a --model-file",
    )  # fmt: skip
    learning_rate: float = option(
        1e-5, "--learning-rate", kind=float, above=0.0, help="initial learning rate"
    )
    weight_decay: float = option(0.0, "--weight-decay", kind=float, minimum=0.0, help="L2 decay")
    max_epochs: int = option(
        20, "--max-epochs", kind=int, minimum=1, maximum=MAX_EPOCHS, help="epochs to train"
    )
    max_steps: int = option(
        -1, "--max-steps", kind=int, help="stop after this many optimizer steps (<= 0: no limit)"
    )
    accumulate_grad_batches: int = option(
        1, "--accumulate-grad-batches", kind=int, minimum=1,
        help="batches whose gradients are summed before each optimizer step",
    )  # fmt: skip
    log_every_n_steps: int = option(
        50, "--log-every-n-steps", kind=int, minimum=1, help="step-level logging interval"
    )
    t_max: int | None = option(
        None, "--t-max", kind=int, minimum=1, maximum=MAX_EPOCHS, nullable=True,
        help="cosine schedule period in epochs (None: max_epochs)",
    )  # fmt: skip
    eta_min: float = option(
        1e-6, "--eta-min", kind=float, minimum=0.0, help="cosine schedule's final learning rate"
    )
    num_workers: int = option(
        0, "--num-workers", "--cpu", kind=int, minimum=0,
        help="accepted for MASE compatibility; batches are tensor slices, no workers needed",
    )  # fmt: skip
    num_devices: int = option(
        1, "--devices", "--num-devices", "--gpu", kind=int, minimum=1, help="devices (1 only)"
    )
    accelerator: str = option(
        "auto", "--accelerator", kind=str, choices=ACCELERATORS,
        help="auto picks cuda when available, else cpu",
    )  # fmt: skip
    num_threads: int | None = option(
        None, "--num-threads", kind=int, minimum=1, maximum=MAX_THREADS, nullable=True,
        help="CPU intra-op threads (None: 1 for models under 1M parameters, else torch's)",
    )  # fmt: skip
    data_path: str | None = option(
        None, "--data-path", kind=str, nullable=True, help="local dataset file or folder"
    )
    data_size: int | None = option(
        None, "--data-size", kind=int, minimum=1, nullable=True,
        help="rows to generate for synthetic datasets (None: the dataset's default)",
    )  # fmt: skip
    model_file: str | None = option(
        None, "--model-file", kind=str, nullable=True,
        help="Python file whose @register_model models become available",
    )  # fmt: skip
    progress: bool = option(True, "--progress", kind=bool, help="show the live progress bar")
    project_dir: str = option(
        "./carve_output", "--project-dir", kind=str, help="root folder of all projects"
    )
    project: str | None = option(
        None, "--project", kind=str, nullable=True,
        help="project folder name (None: <model>_<task>_<dataset>_<YYYY-MM-DD>)",
    )  # fmt: skip
    model: str | None = option(None, kind=str, nullable=True, help="model name")
    dataset: str | None = option(None, kind=str, nullable=True, help="dataset name")
    # not flags: the TOML file, its non-flag tables ([passes.*], [search], ...) and provenance
    config: str | None = field(default=None, compare=False)
    tables: dict[str, Any] = field(default_factory=dict, compare=False)
    provenance: Provenance = field(default_factory=Provenance, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in OPTION_NAMES:
            setattr(self, name, check_value(name, getattr(self, name), "Python"))

    def replace(self, **changes: Any) -> CarveConfig:
        """A validated copy with ``changes`` (what studies use to vary one value)."""
        unknown = sorted(set(changes) - set(OPTION_NAMES) - {"config", "tables"})
        if unknown:
            raise CarveError(f"unknown config key(s) {', '.join(unknown)}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The option values (what checkpoints store and ``save_toml`` writes)."""
        return {name: getattr(self, name) for name in OPTION_NAMES}

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "Python") -> CarveConfig:
        """Build from option values; dict values become ``tables``, other unknown keys fail."""
        from carve.config.sections import check_sections

        values = accept_run_keys(values, source)  # MASE-only keys: applied or noted
        tables = {k: v for k, v in values.items() if k not in OPTIONS and isinstance(v, dict)}
        unknown = sorted(k for k in values if k not in OPTIONS and k not in tables)
        if unknown:
            raise CarveError(unknown_keys_message(unknown, source))
        check_sections(tables, source)
        checked = {k: check_value(k, v, source) for k, v in values.items() if k in OPTIONS}
        return cls(**checked, tables=tables)

    def dataset_options(self) -> dict[str, Any]:
        """Keyword options for ``carve.data.get_dataset`` (only those set).

        >>> CarveConfig(data_size=1000).dataset_options()
        {'size': 1000}
        """
        options: dict[str, Any] = {}
        if self.data_path is not None:
            options["data_path"] = self.data_path
        if self.data_size is not None:
            options["size"] = self.data_size
        return options

    @property
    def effective_t_max(self) -> int:
        """The cosine schedule period: ``t_max`` or, when None, ``max_epochs``."""
        return self.t_max if self.t_max is not None else self.max_epochs


OPTIONS: dict[str, dataclasses.Field] = {
    f.name: f for f in dataclasses.fields(CarveConfig) if "kind" in f.metadata
}
OPTION_NAMES: tuple[str, ...] = tuple(OPTIONS)


def unknown_keys_message(keys: list[str], source: str) -> str:
    import difflib

    hints = []
    for key in keys:
        close = difflib.get_close_matches(key, [*OPTION_NAMES, *RUN_KEYS], n=1)
        hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return f"unknown config key(s) in {source}: {', '.join(hints)}; known keys: " + ", ".join(
        OPTION_NAMES
    )


def _kind_text(meta: dict) -> str:
    kind = meta["kind"]
    text = {int: "an integer", float: "a finite number", str: "a string", bool: "true or false"}[
        kind
    ]
    if meta["minimum"] is not None:
        text += f" >= {meta['minimum']:g}"
    if meta["above"] is not None:
        text += f" > {meta['above']:g}"
    if meta["maximum"] is not None:
        text += f" and <= {meta['maximum']}"
    if meta["choices"]:
        text = "one of " + ", ".join(meta["choices"])
        if meta["pattern"]:
            text += f", or {meta['pattern'][1]}"
    return text + (" (or None/'NA')" if meta["nullable"] else "")


def check_value(name: str, value: Any, source: str) -> Any:
    """``value`` for option ``name`` after type and range checks (ints widen to floats).

    The option's declared kind, choices, pattern and bounds are a strict pydantic
    schema (:func:`_schema`); any problem is one line saying what is accepted.
    """
    from pydantic import ValidationError

    meta = OPTIONS[name].metadata
    try:
        return _schema(name).validate_python(value)
    except ValidationError:
        raise CarveError(
            f"{name} must be {_kind_text(meta)}, got {value!r} (from {source})"
        ) from None


@functools.cache
def _schema(name: str) -> Any:
    """The pydantic schema of option ``name`` (strict: no "8" for 8, no true for 1)."""
    from typing import Annotated, Literal, Optional

    from pydantic import ConfigDict, Field, TypeAdapter

    meta = OPTIONS[name].metadata
    bounds = {"ge": meta["minimum"], "gt": meta["above"], "le": meta["maximum"]}
    constraints = {k: v for k, v in bounds.items() if v is not None}
    if meta["kind"] is float:
        constraints["allow_inf_nan"] = False
    kind, choices = meta["kind"], meta["choices"]
    hint: Any = Annotated[kind, Field(strict=True, **constraints)]
    if choices:
        hint = Literal[choices]
        if meta["pattern"]:
            hint = hint | Annotated[str, Field(strict=True, pattern=f"^(?:{meta['pattern'][0]})$")]
    if meta["nullable"]:
        hint = Optional[hint]  # noqa: UP045
    return TypeAdapter(hint, config=ConfigDict(regex_engine="python-re"))
