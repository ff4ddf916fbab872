"""benchmarks/search_tpe.py's hypervolume: the area its fronts are scored by."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "search_tpe.py"


@pytest.fixture(scope="module")
def hypervolume():
    spec = importlib.util.spec_from_file_location("search_tpe", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.REFERENCE == (0.0, 8.0)
    return module.hypervolume


def test_one_point_spans_a_rectangle_to_the_reference(hypervolume):
    assert hypervolume([(0.5, 4.0)]) == pytest.approx(0.5 * 4.0)


def test_a_front_is_a_staircase_and_dominated_points_add_nothing(hypervolume):
    front = [(0.5, 4.0), (0.7, 6.0)]  # 0.5 x (6 - 4) + 0.7 x (8 - 6)
    assert hypervolume(front) == pytest.approx(2.4)
    dominated = [(0.4, 5.0), (0.7, 7.0), (0.5, 4.0), (0.6, 6.5)]
    assert hypervolume(front + dominated) == pytest.approx(2.4)
    assert hypervolume(list(reversed(front))) == pytest.approx(2.4)


def test_points_beyond_the_reference_count_nothing(hypervolume):
    assert hypervolume([(0.9, 8.0), (0.0, 2.0), (-0.1, 1.0)]) == 0.0
    assert hypervolume([]) == 0.0
