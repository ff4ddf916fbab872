"""Search plots: units, titles, a step Pareto front, a multi-objective history (issue 22 item 9)."""

from __future__ import annotations

from carve.search.plots import history_figure, pareto_figure, pareto_front
from carve.search.spec import parse_search_table

POINTS = [(2.0, 0.5), (4.0, 0.7), (3.0, 0.4), (8.0, 0.9), (8.0, 0.6), (5.0, 0.65)]


def rows(best):
    return [{"number": i, "average_bitwidth": x, "accuracy": y, "best": (x, y) in best,
             "value": y} for i, (x, y) in enumerate(POINTS)]  # fmt: skip


def test_pareto_front_follows_each_metric_direction():
    assert pareto_front(POINTS, "minimize", "maximize") == [(2.0, 0.5), (4.0, 0.7), (8.0, 0.9)]
    assert pareto_front(POINTS, "maximize", "maximize") == [(8.0, 0.9)]
    assert pareto_front(POINTS, "minimize", "minimize") == [(2.0, 0.5), (3.0, 0.4)]


def test_pareto_plot_has_units_title_and_a_step_front():
    spec = parse_search_table({"strategy": {"setup": {"sampler": "tpe"}}})  # accuracy, bits
    front = pareto_front(POINTS, "minimize", "maximize")
    axis = pareto_figure(rows(front), spec).axes[0]
    assert axis.get_xlabel() == "average bits per element"
    assert axis.get_ylabel() == "accuracy (fraction of samples)"
    assert "6 trials" in axis.get_title() and "Pareto front" in axis.get_title()
    step = next(line for line in axis.get_lines() if line.get_label() == "Pareto front")
    assert step.get_drawstyle() == "steps-post"  # flat until a cheaper-is-better point
    assert list(zip(step.get_xdata(), step.get_ydata(), strict=True)) == front


def test_history_of_a_multi_objective_search_marks_the_front_not_a_best_so_far():
    spec = parse_search_table({"strategy": {"setup": {"sampler": "tpe"}}})
    front = pareto_front(POINTS, "minimize", "maximize")
    figure = history_figure(rows(front), spec)
    assert len(figure.axes) == 2
    for axis in figure.axes:
        labels = [c.get_label() for c in axis.collections] + [
            line.get_label() for line in axis.get_lines()
        ]
        assert "on the Pareto front" in labels and "best so far" not in labels
    assert figure.axes[-1].get_xlabel() == "trial number"
    assert "per trial" in figure.axes[0].get_title()


def test_history_of_one_objective_keeps_the_best_so_far():
    spec = parse_search_table(
        {"strategy": {"setup": {"sampler": "tpe"}, "metrics": {"accuracy": {}}}}
    )
    axis = history_figure(rows([]), spec).axes[0]
    best = next(line for line in axis.get_lines() if line.get_label() == "best so far")
    assert list(best.get_ydata()) == [0.5, 0.7, 0.7, 0.9, 0.9, 0.9]
