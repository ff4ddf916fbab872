"""What every search space offers: named choice lists, and candidates built from choices."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from carve.errors import CarveError

MAX_PRODUCT = 100_000  # combinations checked up front per operand


@dataclass(frozen=True)
class Param:
    """One searched dimension: ``choices`` (values; None means "NA")."""

    name: str
    choices: tuple[Any, ...]

    @property
    def fixed(self) -> bool:
        """One choice only: recorded, never sampled."""
        return len(self.choices) == 1


@dataclass
class SpaceContext:
    """What a space may use: the trained model, its dataset and the run's config."""

    model: torch.nn.Module
    dataset: Any
    config: Any  # CarveConfig
    extras: dict[str, Any] = field(default_factory=dict)


class Space(Protocol):
    """A search space: its parameters, and the candidate of a choice of their values.

    ``deterministic`` (optional, default False): the same values always give the same
    candidate (no random draw in building it), so with a runner that does not train,
    a search measures each choice of values once and reuses the result.
    """

    params: list[Param]

    def candidate(self, values: Mapping[str, Any]) -> Candidate:
        """The point of the space ``values`` names."""


class Candidate(Protocol):
    """One point of a space, ready for a runner."""

    def model(self, trainable: bool) -> torch.nn.Module:
        """The candidate's model; ``trainable=False`` may reuse memory between calls."""

    def costs(self) -> dict[str, float]:
        """Hardware metrics (``average_bitwidth``, ``model_size``, ``bitops``...)."""

    def config_tables(self) -> dict[str, Any]:
        """TOML tables that rebuild this candidate with ``carve transform``/``train``."""


def choice_list(value: Any, where: str) -> tuple[Any, ...]:
    """A seed value as a tuple of choices (a scalar is one choice); empty lists fail."""
    if not isinstance(value, list):
        return (value,)
    if not value:
        raise CarveError(f"{where}: empty choice list; give at least one value")
    return tuple(tuple(v) if isinstance(v, list) else v for v in value)


def seed_choices(seed: Mapping[str, Any], defaults: Mapping[str, Any], where: str) -> dict:
    """A space's seed table as ``{key: choices}``: unknown keys fail, missing ones take
    ``defaults`` (an empty seed is all defaults)."""
    seed = dict(seed) or dict(defaults)
    unknown = sorted(set(seed) - set(defaults))
    if unknown:
        raise CarveError(
            f"{where}: unknown key(s) {', '.join(unknown)}; accepted: {', '.join(defaults)}"
        )
    return {key: choice_list(seed.get(key, defaults[key]), f"{where} {key}") for key in defaults}


def grid_size(params: list[Param]) -> int:
    size = 1
    for param in params:
        size *= len(param.choices)
    return size


def products(choices: Mapping[str, tuple[Any, ...]], where: str):
    """Every combination of ``choices`` (dicts), refusing absurdly many."""
    size = 1
    for values in choices.values():
        size *= len(values)
    if size > MAX_PRODUCT:
        raise CarveError(f"{where}: {size:,} combinations to check; at most {MAX_PRODUCT:,}")
    keys = list(choices)
    for combination in itertools.product(*(choices[key] for key in keys)):
        yield dict(zip(keys, combination))
