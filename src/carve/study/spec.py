"""What a study varies: ``--vary KEY=VALUES`` specs, checked against the config's options.

A study is a base :class:`carve.config.CarveConfig` plus an ordered list of
(option, values) pairs and a number of seeds. Every value is converted and
validated by the option's own rules (the ones ``carve train`` applies), so a
value ``--batch-size`` would reject is rejected here too, before anything runs.

>>> parse_vary("batch-size=64,128")
VarySpec(key='batch_size', values=(64, 128))
>>> parse_vary("max-epochs=1..3").values
(1, 2, 3)
>>> parse_vary("learning-rate=1e-3,1e-2").values
(0.001, 0.01)
>>> parse_vary("batch-size=0")
Traceback (most recent call last):
...
carve.errors.CarveError: --vary batch-size: batch_size must be an integer >= 1, got 0 (from --vary)
"""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass
from typing import Any

from carve.config import OPTIONS, CarveConfig, check_value
from carve.errors import CarveError

# options that change neither the runs nor their results (ignored when resuming a study)
PRESENTATION_KEYS = (
    "project", "project_dir", "progress", "log_level", "to_debug", "num_threads", "num_workers"
)  # fmt: skip
# options a study cannot vary: those above, the seed (--seeds repeats runs instead), and
# loading (every run trains a fresh model)
NOT_VARIABLE = (*PRESENTATION_KEYS, "seed", "load_name", "load_type")
# spellings of one setting: varying between them would train the same configuration twice
ALIASES = {"task": {"cls": "classification"}, "accelerator": {"gpu": "cuda"}}


def canonical(name: str, value: Any) -> Any:
    """The one spelling of ``value`` for option ``name`` (``cls`` -> ``classification``)."""
    return ALIASES.get(name, {}).get(value, value)


def _flag_names() -> dict[str, str]:
    """Every accepted spelling of an option (``batch-size``, ``--batch-size``, ``batch_size``)."""
    names: dict[str, str] = {}
    for name, option in OPTIONS.items():
        names[name] = name
        names[name.replace("_", "-")] = name
        for flag in option.metadata["flags"]:
            names[flag.lstrip("-")] = name
    return names


def flag_spelling(name: str) -> str:
    """How users type option ``name``: its first flag, no dashes (``num_devices``: ``devices``).

    >>> flag_spelling("num_devices"), flag_spelling("batch_size"), flag_spelling("model")
    ('devices', 'batch-size', 'model')
    """
    flags = OPTIONS[name].metadata["flags"]
    return flags[0].lstrip("-") if flags else name.replace("_", "-")


def option_name(text: str) -> str:
    """The config option a ``--vary`` key names; unknown or non-variable keys fail."""
    names = _flag_names()
    key = text.strip().lstrip("-")
    if key not in names:
        accepted = sorted(flag_spelling(n) for n in OPTIONS if n not in NOT_VARIABLE)
        close = difflib.get_close_matches(key.replace("_", "-"), accepted, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ";"
        raise CarveError(
            f"--vary: unknown flag {text!r}{hint} Flags a study can vary: {', '.join(accepted)}"
        )
    name = names[key]
    if name == "seed":
        raise CarveError("--vary: use --seeds N to repeat every configuration with N seeds")
    if name in NOT_VARIABLE:
        raise CarveError(f"--vary: {flag_spelling(name)} cannot be varied by a study")
    return name


def _convert(name: str, text: str) -> Any:
    kind = OPTIONS[name].metadata["kind"]
    if OPTIONS[name].metadata["nullable"] and text in ("NA", "None"):
        return None
    try:
        if kind is bool:
            lowered = text.lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return lowered in ("true", "1", "yes")
        return kind(text)
    except ValueError:
        return text  # check_value names the expected kind


def _expand(name: str, text: str) -> list[Any]:
    """One comma-separated item: a value or an inclusive integer range ``a..b``."""
    if ".." not in text:
        return [_convert(name, text)]
    if OPTIONS[name].metadata["kind"] is not int:
        raise CarveError(
            f"--vary {flag_spelling(name)}: ranges (a..b) are for integer flags; "
            f"list the values instead, e.g. 1e-4,1e-3,1e-2"
        )
    start, _, stop = text.partition("..")
    try:
        first, last = int(start), int(stop)
    except ValueError:
        raise CarveError(
            f"--vary {flag_spelling(name)}: bad range {text!r}; write it as START..STOP"
        ) from None
    if last < first:
        raise CarveError(f"--vary {flag_spelling(name)}: range {text!r} is empty")
    return list(range(first, last + 1))


@dataclass(frozen=True)
class VarySpec:
    """One varied option (config field name) and its values, in the order given."""

    key: str
    values: tuple[Any, ...]

    @classmethod
    def from_values(cls, key: str, values: Any, source: str = "--vary") -> VarySpec:
        """Validate ``values`` (a list, or a ``"1..10"``/``"64,128"`` string) for ``key``."""
        name = option_name(key)
        flag = flag_spelling(name)
        if isinstance(values, str):
            items = [item.strip() for item in values.split(",")]
            if not any(items):
                raise CarveError(f"{source} {flag}: no values given")
            if not all(items):
                raise CarveError(f"{source} {flag}: empty value in {values!r}")
            values = [value for item in items for value in _expand(name, item)]
        elif not isinstance(values, list | tuple):
            values = [values]
        if not values:
            raise CarveError(f"{source} {flag}: no values given")
        checked = []
        for value in values:
            try:
                checked.append(check_value(name, value, source))
            except CarveError as error:
                raise CarveError(f"{source} {flag}: {error}") from None
        same = [canonical(name, v) for v in checked]
        repeated = sorted({repr(v) for v, c in zip(checked, same) if same.count(c) > 1})
        if repeated:
            raise CarveError(
                f"{source} {flag}: value(s) given twice (or two spellings of one setting): "
                f"{', '.join(repeated)}"
            )
        return cls(name, tuple(checked))


def parse_vary(text: str) -> VarySpec:
    """Parse one ``--vary KEY=V1,V2,...`` (or ``KEY=START..STOP``) argument."""
    key, equals, values = text.partition("=")
    if not equals or not key.strip():
        raise CarveError(
            f"--vary {text!r}: write it as FLAG=VALUE,VALUE,... (e.g. batch-size=64,128)"
        )
    return VarySpec.from_values(key, values)


@dataclass(frozen=True)
class Run:
    """One training run of a study: a configuration (varied values) and a seed."""

    values: tuple[tuple[str, Any], ...]
    seed: int

    @property
    def name(self) -> str:
        """Folder name, e.g. ``batch_size=64,seed=0``."""
        parts = [f"{key}={value}" for key, value in self.values] + [f"seed={self.seed}"]
        return ",".join(parts).replace("/", "-")


@dataclass
class StudySpec:
    """A base config, the varied options and the number of seeds."""

    base: CarveConfig
    vary: list[VarySpec]
    seeds: int = 1

    def __post_init__(self) -> None:
        if not self.vary:
            raise CarveError("a study needs at least one --vary FLAG=VALUES")
        keys = [spec.key for spec in self.vary]
        twice = sorted({key for key in keys if keys.count(key) > 1})
        if twice:
            raise CarveError(f"--vary given twice for: {', '.join(twice)}")
        if not isinstance(self.seeds, int) or isinstance(self.seeds, bool) or self.seeds < 1:
            raise CarveError(f"seeds must be an integer >= 1, got {self.seeds!r}")

    @property
    def keys(self) -> list[str]:
        return [spec.key for spec in self.vary]

    def configurations(self) -> list[tuple[tuple[str, Any], ...]]:
        """Every combination of the varied values (first --vary outermost)."""
        return [
            tuple(zip(self.keys, combo))
            for combo in itertools.product(*(spec.values for spec in self.vary))
        ]

    def runs(self) -> list[Run]:
        """Every (configuration, seed) pair; seeds count up from the base config's seed."""
        seeds = range(self.base.seed, self.base.seed + self.seeds)
        return [Run(values, seed) for values in self.configurations() for seed in seeds]

    def config_for(self, run: Run) -> CarveConfig:
        """The validated effective config of ``run``."""
        return self.base.replace(**dict(run.values), seed=run.seed)

    def identity(self) -> dict[str, Any]:
        """What makes two studies the same study (compared when a study directory is reused)."""
        ignored = {*self.keys, *PRESENTATION_KEYS}
        base = {k: v for k, v in self.base.to_dict().items() if k not in ignored}
        return {
            "base": base,
            "vary": {spec.key: list(spec.values) for spec in self.vary},
            "seeds": self.seeds,
        }
