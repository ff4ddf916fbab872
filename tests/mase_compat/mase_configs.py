"""MASE's quantize test configs (``configs/tests/quantize/*.toml`` at 36ab7cdd), as data.

The keys and values MASE users have in their files, restated as TOML text so the
tests feed carve exactly what MASE's ``test_complex_quantize`` fed MASE.
"""

CONFIGS: dict[str, str] = {
    "integer": """
model = "toy"
dataset = "toy-tiny"
[passes.quantize]
by = "type"
report = true
[passes.quantize.default.config]
name = "integer"
data_in_width = 8
data_in_frac_width = 3
weight_width = 8
weight_frac_width = 3
bias_width = 8
bias_frac_width = 3
""",
    "toy_integer_by_name": """
model = "toy"
dataset = "toy-tiny"
[passes.quantize]
by = "name"
report = true
[passes.quantize.default.config]
name = "integer"
data_in_width = 8
data_in_frac_width = 4
weight_width = 8
weight_frac_width = 4
bias_width = 8
bias_frac_width = 4
[passes.quantize.seq_blocks_0.config]
name = "integer"
data_in_width = 16
data_in_frac_width = 4
weight_width = 16
weight_frac_width = 4
bias_width = 16
bias_frac_width = 4
""",
    "block_fp": """
model = "toy"
dataset = "toy-tiny"
[passes.quantize]
by = "type"
report = true
[passes.quantize.default.config]
name = "block_fp"
bias_block_size = [16]
bias_exponent_bias = 127
bias_exponent_width = 8
bias_width = 7
data_in_block_size = [1, 16]
data_in_exponent_bias = 127
data_in_exponent_width = 8
data_in_width = 7
weight_block_size = [1, 16]
weight_exponent_bias = 127
weight_exponent_width = 8
weight_width = 7
""",
    "log": """
model = "toy"
dataset = "toy-tiny"
[passes.quantize]
by = "type"
report = true
[passes.quantize.default.config]
name = "log"
bias_exponent_bias = 128
bias_width = 8
data_in_exponent_bias = 128
data_in_width = 8
weight_exponent_bias = 128
weight_width = 8
""",
    "block_log": """
model = "toy"
dataset = "toy-tiny"
[passes.quantize]
by = "type"
report = true
[passes.quantize.default.config]
name = "block_log"
bias_exponent_bias_width = 4
bias_width = 8
bias_block_size = [16]
data_in_exponent_bias_width = 4
data_in_width = 8
data_in_block_size = [16]
weight_exponent_bias_width = 4
weight_width = 8
weight_block_size = [16]
""",
    "block_minifloat": """
model = "toy"
dataset = "toy-tiny"
[passes.quantize]
by = "type"
report = true
[passes.quantize.default.config]
name = "block_minifloat"
bias_exponent_bias_width = 4
bias_exponent_width = 4
bias_width = 8
bias_block_size = [16]
data_in_exponent_bias_width = 4
data_in_exponent_width = 4
data_in_width = 8
data_in_block_size = [16]
weight_exponent_bias_width = 4
weight_exponent_width = 4
weight_width = 8
weight_block_size = [16]
""",
    "binary": """
model = "toy"
dataset = "toy-tiny"
max_epochs = 10
[passes.quantize]
by = "type"
report = true
[passes.quantize.default.config]
name = "binary"
binary_training = "NA"
data_in_width = 1
data_in_frac_width = 0
data_in_stochastic = 0
data_in_bipolar = 1
weight_width = 1
weight_stochastic = 0
weight_bipolar = 1
bias_width = 1
bias_stochastic = 0
bias_bipolar = 1
""",
    "ternary": """
model = "toy"
dataset = "toy-tiny"
[passes.quantize]
by = "type"
report = true
[passes.quantize.default.config]
name = "ternary"
data_in_width = 2
data_in_scaling_factor = false
weight_width = 2
weight_scaling_factor = false
bias_width = 2
bias_scaling_factor = false
data_in_mean = "NA"
data_in_median = "NA"
data_in_max = "NA"
weight_mean = "NA"
weight_median = "NA"
weight_max = "NA"
bias_mean = "NA"
bias_median = "NA"
bias_max = "NA"
""",
    "ternary_scaled": """
model = "toy"
dataset = "toy-tiny"
[passes.quantize]
by = "type"
report = true
[passes.quantize.default.config]
name = "ternary"
data_in_width = 2
data_in_scaling_factor = true
weight_width = 2
weight_scaling_factor = false
bias_width = 2
bias_scaling_factor = false
data_in_mean = "NA"
data_in_median = "NA"
data_in_max = "NA"
weight_mean = "NA"
weight_median = "NA"
weight_max = "NA"
bias_mean = "NA"
bias_median = "NA"
bias_max = "NA"
[passes.quantize.seq_blocks_1.config]
name = "ternary"
data_in_scaling_factor = true
data_in_width = 2
data_in_frac_width = 0
data_in_mean = "NA"
data_in_median = -0.009714938700199127
data_in_max = 6.568027019500732
""",
    "minifloat_denorm": """
model = "toy"
dataset = "toy-tiny"
[passes.quantize]
by = "type"
report = true
[passes.quantize.default.config]
name = "minifloat_denorm"
bias_exponent_bias = 7
bias_exponent_width = 4
bias_width = 8
data_in_exponent_bias = 7
data_in_exponent_width = 4
data_in_width = 8
weight_exponent_bias = 7
weight_exponent_width = 4
weight_width = 8
""",
    "minifloat_ieee": """
model = "toy"
dataset = "toy-tiny"
[passes.quantize]
by = "type"
report = true
[passes.quantize.default.config]
name = "minifloat_ieee"
bias_exponent_bias = 7
bias_exponent_width = 4
bias_width = 8
data_in_exponent_bias = 7
data_in_exponent_width = 4
data_in_width = 8
weight_exponent_bias = 7
weight_exponent_width = 4
weight_width = 8
""",
    "fixed": """
model = "toy"
dataset = "toy-tiny"
[passes.quantize]
by = "type"
report = true
[passes.quantize.default.config]
name = "fixed"
data_in_width = 8
data_in_frac_width = 3
weight_width = 8
weight_frac_width = 3
bias_width = 8
bias_frac_width = 3
""",
    "fixed_activation_binary": """
model = "toy"
dataset = "toy-tiny"
[passes.quantize]
by = "type"
report = true
[passes.quantize.default.config]
name = "binary"
binary_training = 1
data_in_width = 32
data_in_frac_width = 0
data_in_stochastic = 0
data_in_bipolar = 1
weight_width = 1
weight_frac_width = 0
weight_stochastic = 0
weight_bipolar = 1
bias_width = 1
bias_frac_width = 0
bias_stochastic = 0
bias_bipolar = 1
""",
    "test_uniform": """
model = "toy"
dataset = "toy-tiny"
[passes.quantize]
by = "type"
report = true
[passes.quantize.default.config]
name = "binary"
stochastic = true
bipolar = true
data_in_width = 1
data_in_frac_width = 0
weight_width = 1
weight_frac_width = 0
bias_width = 1
bias_frac_width = 0
""",
}
