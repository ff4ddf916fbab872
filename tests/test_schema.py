"""carve.schema: strict pydantic validation of user tables, one line per problem."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import pytest

from carve.errors import CarveError
from carve.schema import Range, Required, parse_table, valid

Fraction = Annotated[float, Range(0.0, 1.0, note=" (a fraction)")]


@dataclass
class Table:
    sparsity: Annotated[Fraction | dict[str, Fraction], Required("a float or {node: float}")]
    rate: Annotated[float, Range(0.0, 1.0, low_open=True, high_open=True)] = 0.5
    steps: Annotated[int, Range(1)] = 1
    name: str = "a"


def parse(values):
    return parse_table(Table, values, "[t]", label="key", shown=lambda key: f"[t] {key}")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"sparsity": 1.5}, "[t] sparsity must be in [0, 1] (a fraction), got 1.5"),
        ({"sparsity": {"fc1": 0.5, "fc2": -1}},
         "[t] sparsity['fc2'] must be in [0, 1] (a fraction), got -1"),
        ({"sparsity": 0.5, "rate": 1.0}, "[t] rate must be in (0, 1), got 1.0"),
        ({"sparsity": 0.5, "steps": 0}, "[t] needs steps >= 1, got 0"),
        ({"sparsity": float("nan")}, "[t] sparsity must be in [0, 1] (a fraction), got nan"),
        ({"sparsity": 0.5, "rate": float("inf")}, "[t] rate must be in (0, 1), got inf"),
        ({"sparsity": 0.5, "steps": True}, "[t] steps must be int, got bool True"),
        ({"sparsity": 0.5, "steps": "2"}, "[t] steps must be int, got str '2'"),
        ({"steps": 2}, "[t] needs 'sparsity' (a float or {node: float})"),
        # the first bad key in the order the caller wrote them
        ({"sparsity": 0.5, "nmae": "b", "steps": "x"},
         "[t]: unknown key 'nmae'; did you mean 'name'? "
         "Accepted keys: sparsity, rate, steps, name"),
        ({"sparsity": 0.5, "steps": "x", "nmae": "b"}, "[t] steps must be int, got str 'x'"),
    ],
)  # fmt: skip
def test_each_problem_is_one_line_naming_the_key(values, message):
    with pytest.raises(CarveError) as error:
        parse(values)
    assert str(error.value) == message


def test_valid_values_build_the_dataclass_from_the_callers_values():
    values = {"sparsity": {"fc1": 1}, "rate": 0.25}
    table = parse(values)
    assert table == Table(sparsity={"fc1": 1}, rate=0.25)
    assert values == {"sparsity": {"fc1": 1}, "rate": 0.25}  # not modified
    assert parse({"sparsity": 0}).steps == 1  # an int is a float


def test_not_a_mapping_and_missing_keys_without_a_note():
    @dataclass
    class Two:
        a: int
        b: int

    with pytest.raises(CarveError, match=r"^p: pass_args must be a dict, got list$"):
        parse_table(Two, [1], "p")
    with pytest.raises(CarveError, match=r"^p: missing required pass_args key\(s\): a, b$"):
        parse_table(Two, None, "p")


def test_valid_uses_the_same_strict_rules():
    assert valid(3, Annotated[int, Range(1)]) and not valid(0, Annotated[int, Range(1)])
    assert not valid(True, int) and not valid("3", int) and valid(3, float)
    assert not valid(float("nan"), Annotated[float, Range(0, 1)])


@dataclass
class Worded:
    timeout: Annotated[float, Range(0, low_open=True, says="a number of seconds above 0")] = 1.0
    scale: Annotated[float, Range(says="a finite number")] = 1.0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"timeout": 0}, "[w] timeout must be a number of seconds above 0, got 0"),
        ({"timeout": -2.5}, "[w] timeout must be a number of seconds above 0, got -2.5"),
        ({"timeout": float("inf")}, "[w] timeout must be a finite number, got inf"),
        ({"scale": float("nan")}, "[w] scale must be a finite number, got nan"),
        ({"scale": "1"}, "[w] scale must be float, got str '1'"),
    ],
)
def test_range_says_words_the_whole_message(values, message):
    with pytest.raises(CarveError) as error:
        parse_table(Worded, values, "[w]", label="key", shown=lambda key: f"[w] {key}")
    assert str(error.value) == message
    assert parse_table(Worded, {"scale": -3, "timeout": 5}, "[w]") == Worded(5, -3)
