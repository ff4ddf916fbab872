"""Specs, MASE config reading, the registry and ``carve --info formats``."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from carve.errors import CarveError
from carve.quant import FORMATS, skips_quantization, spec_from_config
from carve.quant.info import info_table

MASE_TOML = """
[passes.quantize]
by = "type"
[passes.quantize.default.config]
name = "NA"
[passes.quantize.linear.config]
name = "integer"
data_in_width = 8
data_in_frac_width = 4
weight_width = 8
weight_frac_width = "NA"
bias_width = 8
bias_frac_width = 4
"""


def test_mase_toml_loads_unchanged():
    passes = tomllib.loads(MASE_TOML)["passes"]["quantize"]
    assert skips_quantization(passes["default"]["config"])
    config = passes["linear"]["config"]
    assert not skips_quantization(config)
    fmt, spec = spec_from_config(config, "weight")
    assert fmt.name == "integer" and (spec.width, spec.frac_width) == (8, 4)  # NA -> width // 2
    assert fmt.precision(spec) == [8, 4]
    _, data_spec = spec_from_config(config, "data_in", signed=False)
    assert data_spec.signed is False


@pytest.mark.parametrize(
    ("config", "operand", "precision"),
    [
        ({"name": "fixed", "bias_width": 6, "bias_frac_width": 2}, "bias", [6, 2]),
        (
            {
                "name": "minifloat_ieee",
                "data_in_width": 8,
                "data_in_exponent_width": 4,
                "data_in_exponent_bias": "NA",
            },
            "data_in",
            [8, 4, 7],
        ),
        ({"name": "log", "weight_width": 6, "weight_exponent_bias": 3}, "weight", [6, 3]),
        (
            {
                "name": "block_fp",
                "weight_width": 8,
                "weight_exponent_width": 8,
                "weight_exponent_bias": "NA",
                "weight_block_size": [1, 16],
            },
            "weight",
            [8, 8, 127, [1, 16]],
        ),
        (
            {
                "name": "block_log",
                "data_in_width": 5,
                "data_in_exponent_bias_width": 4,
                "data_in_block_size": 16,
            },
            "data_in",
            [5, 4, [16]],
        ),
        (
            {"name": "binary", "weight_width": 1, "weight_stochastic": 0, "weight_bipolar": 1},
            "weight",
            [1, False, True],
        ),
        (
            {
                "name": "ternary",
                "weight_width": 2,
                "weight_scaling_factor": 1,
                "weight_mean": "NA",
                "weight_median": "NA",
                "weight_max": 0.8,
            },
            "weight",
            [2, True, None, None, 0.8],
        ),
        ({"name": "mxint", "weight_width": 8}, "weight", [8, 32]),
    ],
)
def test_configs_read_into_specs_with_mase_precision(config, operand, precision):
    fmt, spec = spec_from_config(config, operand)
    assert fmt.name == config["name"] or (config["name"], fmt.name) == ("fixed", "integer")
    assert fmt.precision(spec) == precision


def test_integer_floor_flag_rounds_down():
    config = {"name": "integer", "data_in_width": 4, "data_in_frac_width": 1, "data_in_floor": 1}
    fmt, spec = spec_from_config(config, "data_in")
    assert spec.rounding == "floor"
    import torch

    assert fmt.quantize(torch.tensor([0.9, -0.1]), spec).tolist() == [0.5, -0.5]


def test_block_formats_block_activations_per_sample_by_default():
    config = {
        "name": "block_fp",
        "data_in_width": 8,
        "data_in_exponent_width": 8,
        "data_in_exponent_bias": 127,
        "data_in_block_size": [4, 4],
        "weight_width": 8,
        "weight_exponent_width": 8,
        "weight_exponent_bias": 127,
        "weight_block_size": [4, 4],
    }
    assert spec_from_config(config, "data_in")[1].skip_first_dim is True
    assert spec_from_config(config, "weight")[1].skip_first_dim is False


def test_missing_key_names_it_and_the_accepted_keys():
    with pytest.raises(CarveError) as error:
        spec_from_config({"name": "minifloat_denorm", "weight_width": 8}, "weight")
    message = str(error.value)
    assert "'weight_exponent_width'" in message
    assert "weight_width, weight_exponent_width, weight_exponent_bias" in message


def test_unknown_key_is_an_error():
    with pytest.raises(CarveError, match=r"'weight_widht'.*weight_width"):
        spec_from_config(
            {"name": "integer", "weight_widht": 8, "weight_width": 8, "weight_frac_width": 4},
            "weight",
        )


def test_unknown_format_suggests_a_close_match():
    with pytest.raises(
        CarveError, match=r"did you mean 'integer'.*Known formats: .*minifloat_ieee"
    ):
        spec_from_config({"name": "integr", "weight_width": 8}, "weight")


@pytest.mark.parametrize(
    ("config", "operand", "pattern"),
    [
        ({"weight_width": 8}, "weight", "no 'name' key"),
        ({"name": "NA"}, "weight", "skips_quantization"),
        ({"name": "integer"}, "activation", "unknown operand 'activation'"),
        ([("name", "integer")], "weight", "must be a table"),
    ],
)
def test_bad_config_shapes(config, operand, pattern):
    with pytest.raises(CarveError, match=pattern):
        spec_from_config(config, operand)


@pytest.mark.parametrize(
    ("name", "fields", "pattern"),
    [
        (
            "integer",
            {"width": 40},
            r"integer: width=40 is out of range; accepted: integer in \[1, 32\]",
        ),
        ("integer", {"width": "8"}, r"width='8' is not an integer"),
        ("integer", {"width": 8, "rounding": "up"}, r"rounding='up' is not accepted"),
        ("minifloat_ieee", {"width": 8, "exponent_width": 7}, r"exponent_width=7 .* \[1, 6\]"),
        ("log", {"width": 1}, r"log: width=1 is out of range"),
        ("block_fp", {"width": 8, "exponent_width": 8, "block_size": [0, 4]}, "block_size"),
        ("block_fp", {"width": 8, "exponent_width": 8, "block_size": "16"}, "block_size"),
        ("binary", {"width": 1, "bipolar": 2}, "bipolar=2 is not a boolean"),
        ("ternary", {"mean": -1.0}, r"mean=-1.0 is out of range"),
        ("scaled_integer", {"width": 8, "granularity": "row"}, "granularity='row'"),
        ("mxfp", {"width": 8, "exponent_width": 4, "block_size": 0}, "block_size=0"),
        ("integer", {"width": 8, "frac": 4}, r"unknown field\(s\) frac; accepted: .*frac_width"),
    ],
)
def test_spec_validation_names_field_value_and_range(name, fields, pattern):
    with pytest.raises(CarveError, match=pattern):
        FORMATS[name].make_spec(**fields)


def test_a_spec_of_the_wrong_format_is_refused():
    import torch

    spec = FORMATS["log"].make_spec(width=4)
    with pytest.raises(CarveError, match="needs a spec of type IntegerSpec, got LogSpec"):
        FORMATS["integer"].quantize(torch.zeros(2), spec)


def test_registry_metadata_matches_the_format_objects():
    for name in FORMATS.names():
        fmt, meta = FORMATS[name], FORMATS.meta(name)
        assert tuple(meta["keys"]) == (*fmt.keys, *fmt.extra_keys)
        assert meta["ste"] == fmt.ste
        assert fmt.spec_cls.__dataclass_params__.frozen


def test_info_table_lists_every_format_without_torch():
    code = (
        "import sys; from carve.quant.info import info_table; "
        "title, cols, rows = info_table(); "
        "assert 'torch' not in sys.modules, 'torch imported'; print(len(rows))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) == len(FORMATS)
    title, columns, rows = info_table()
    assert title == "Number formats" and len(columns) == 4
    assert {row[0] for row in rows} == set(FORMATS.names())


def test_mxfp_accepts_exactly_the_ocp_elements_the_docs_list():
    """README lists FP8 E4M3/E5M2, FP6 E3M2/E2M3, FP4 E2M1: those load, nothing else does."""
    from carve.quant import FORMATS

    fmt = FORMATS["mxfp"]
    for width, exponent_width in [(8, 4), (8, 5), (6, 3), (6, 2), (4, 2)]:
        assert fmt.make_spec(width=width, exponent_width=exponent_width).width == width
    for width, exponent_width in [(8, 3), (8, 2), (6, 4), (5, 2), (7, 3), (4, 1), (16, 5)]:
        with pytest.raises(CarveError, match=r"mxfp: .* accepted: FP8 E4M3 \(width=8, "):
            fmt.make_spec(width=width, exponent_width=exponent_width)
