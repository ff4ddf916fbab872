"""Study plots: caption, axis scales and ticks, categories as points, offsets, bands,
legend outside, heat-map cells and colour range, dpi and extra formats."""

from __future__ import annotations

import pytest

from carve.config import CarveConfig
from carve.figures import PlotStyle, check_formats
from carve.study import plots
from carve.study.report import summarize
from carve.study.spec import StudySpec, parse_vary


def _records(grid: dict[str, list], seeds: int = 3) -> list[dict]:
    import itertools

    records = []
    keys = list(grid)
    for index, combo in enumerate(itertools.product(*grid.values())):
        for seed in range(seeds):
            acc = 0.5 + 0.01 * index + 0.02 * seed
            history = [{"train_loss": 1.0 - 0.1 * e - 0.01 * seed, "val_loss": 1.1 - 0.1 * e,
                        "train_acc": acc - 0.1 + 0.05 * e, "val_acc": acc - 0.1 + 0.04 * e}
                       for e in range(3)]  # fmt: skip
            records.append({"values": dict(zip(keys, combo)), "seed": seed, "test_acc": acc,
                            "test_loss": 1.0 - acc, "train_seconds": 1.0, "history": history,
                            "parameters": 117 if combo[0] != "jsc-10x" else 1253})  # fmt: skip
    return records


@pytest.fixture
def figures(monkeypatch):
    """Capture each figure instead of writing it."""
    captured = {}

    def keep(figure, base, style):
        captured[base.name] = figure
        return [base.with_suffix(".png")]

    monkeypatch.setattr(plots, "save_figure", keep)
    return captured


def test_batch_size_is_log2_with_ticks_at_the_values_and_series_are_offset(tmp_path, figures):
    records = _records({"batch_size": [64, 128, 256, 512], "learning_rate": [1e-3, 1e-2]})
    rows = summarize(records, ["batch_size", "learning_rate"])
    plots.plot_metrics_vs(tmp_path, rows, ["batch_size", "learning_rate"], "batch_size")
    accuracy, loss = figures["metrics_vs_batch_size"].axes
    assert accuracy.get_xscale() == "log" and accuracy.xaxis.get_transform().base == 2
    assert list(accuracy.get_xticks()) == [64, 128, 256, 512]
    assert [t.get_text() for t in accuracy.get_xticklabels()] == ["64", "128", "256", "512"]
    first, second = (bars[0].get_xdata() for bars in accuracy.containers[:2])
    assert all(a < b for a, b in zip(first, second))  # side by side, not on top
    assert accuracy.get_title() == "Test accuracy vs batch size"
    figure = figures["metrics_vs_batch_size"]
    figure.canvas.draw()
    legend = loss.get_legend()
    assert legend.get_window_extent().x0 >= loss.get_window_extent().x1  # outside the data


def test_integer_flags_get_integer_ticks_and_models_are_points(tmp_path, figures):
    records = _records({"max_epochs": [1, 2, 4, 6]})
    plots.plot_metrics_vs(tmp_path, summarize(records, ["max_epochs"]), ["max_epochs"],
                          "max_epochs")  # fmt: skip
    axis = figures["metrics_vs_max_epochs"].axes[0]
    assert list(axis.get_xticks()) == [1, 2, 4, 6] and axis.get_xscale() == "linear"
    records = _records({"model": ["jsc-tiny", "jsc-10x"]})
    plots.plot_metrics_vs(tmp_path, summarize(records, ["model"]), ["model"], "model")
    axis = figures["metrics_vs_model"].axes[0]
    assert axis.containers[0][0].get_linestyle() == "None"  # no trend line between models
    labels = [t.get_text() for t in axis.get_xticklabels()]
    assert labels == ["jsc-tiny\n117 parameters", "jsc-10x\n1,253 parameters"]


def test_curves_have_seed_bands_and_the_legend_outside(tmp_path, figures):
    records = _records({"learning_rate": [1e-3, 1e-2]})
    plots.plot_curves(tmp_path, records, ["learning_rate"])
    figure = figures["curves"]
    loss = figure.axes[0]
    assert len(loss.collections) == 4  # train and validation band per configuration
    band = loss.collections[0].get_paths()[0].vertices[:, 1]
    assert band.max() - band.min() > 0.02  # the seed spread of train loss (0.01 per seed)
    figure.canvas.draw()
    accuracy = figure.axes[1]
    assert accuracy.get_legend().get_window_extent().x0 >= accuracy.get_window_extent().x1


def test_heatmap_cells_show_std_and_n_and_the_colours_are_not_stretched(tmp_path, figures):
    records = _records({"batch_size": [128, 512], "learning_rate": [1e-3, 1e-2]})
    rows = summarize(records, ["batch_size", "learning_rate"])
    plots.plot_heatmap(tmp_path, rows, ["batch_size", "learning_rate"])
    axis = figures["heatmap"].axes[0]
    texts = [t.get_text() for t in axis.texts]
    assert texts[0] == "0.520\n± 0.020\nn=3"
    image = axis.get_images()[0]
    low, high = image.get_clim()
    # means 0.52..0.55, std 0.02: the range is at least one std either side of the middle
    assert high - low == pytest.approx(0.04) and (low + high) / 2 == pytest.approx(0.535)


def test_caption_names_the_study_and_error_bars():
    base = CarveConfig(model="jsc-tiny", dataset="jsc-synth", max_epochs=3, data_size=2000,
                       learning_rate=1e-3)  # fmt: skip
    spec = StudySpec(base, [parse_vary("batch-size=64,128")], seeds=3)
    assert plots.study_caption(spec) == (
        "jsc-tiny on jsc-synth (2,000 rows); 3 epochs; batch size varied; learning rate 0.001; "
        "3 seeds (0..2); points: mean over seeds; bars and bands: ±1 std over seeds"
    )


def test_files_are_150_dpi_and_svg_pdf_on_request(tmp_path):
    from PIL import Image

    records = _records({"batch_size": [64, 128]})
    style = PlotStyle("caption", check_formats("svg,pdf"))
    paths = plots.write_plots(tmp_path, records, summarize(records, ["batch_size"]),
                              ["batch_size"], style)  # fmt: skip
    assert sorted(p.name for p in paths) == sorted(
        f"{name}.{fmt}"
        for name in ("metrics_vs_batch_size", "curves")
        for fmt in ("png", "svg", "pdf")
    )
    dpi = Image.open(tmp_path / "curves.png").info["dpi"]
    assert round(dpi[0]) >= 150
    assert (tmp_path / "curves.pdf").read_bytes()[:5] == b"%PDF-"
    assert "<svg" in (tmp_path / "curves.svg").read_text()[:500]
    with pytest.raises(Exception, match=r"plot format.*gif.*accepted png, svg, pdf"):
        check_formats("gif")
