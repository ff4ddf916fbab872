"""MASE's lab 2, lab 3 (brute-force search) and lab 4 (software) code after ``carve port``.

Our own restatement of each lab's call sequence, with MASE's imports and
arguments, rewritten by ``carve port`` and run. Two changes a MASE user makes
too: the dataset is ``jsc-synth`` (offline; the real ``jsc`` needs a
download) with a small ``size``, and the lab-1 checkpoint is one this test
writes in MASE's Lightning layout.
"""

from __future__ import annotations

import torch

SETUP = """
import logging
import torch
from chop.dataset import MaseDataModule, get_dataset_info
from chop.tools.logger import set_logging_verbosity, get_logger
from chop.passes.graph import (
    save_node_meta_param_interface_pass,
    report_node_meta_param_analysis_pass,
    profile_statistics_analysis_pass,
    add_common_metadata_analysis_pass,
    init_metadata_analysis_pass,
    add_software_metadata_analysis_pass,
)
from chop.tools.get_input import InputGenerator
from chop.tools.checkpoint_load import load_model
from chop.ir import MaseGraph
from chop.models import get_model_info, get_model

set_logging_verbosity("info")
batch_size = 8
model_name = "jsc-tiny"
data_module = MaseDataModule(
    name=dataset_name, batch_size=batch_size, model_name=model_name, num_workers=0, **options
)
data_module.prepare_data()
data_module.setup()
model_info = get_model_info(model_name)
"""

# the labs' quantize pass_args: linear layers in 8-bit fixed point with 4 fraction bits
LINEAR_INTEGER = """
pass_args = {
    "by": "type",
    "default": {"config": {"name": None}},
    "linear": {"config": {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
                          "weight_width": 8, "weight_frac_width": 4,
                          "bias_width": 8, "bias_frac_width": 4}},
}
"""

OPTIONS = {"dataset_name": "jsc-synth", "options": {"size": 2000, "cache": False}}


def lightning_checkpoint(path) -> dict:
    """A lab-1 style ``best.ckpt``: Lightning's ``state_dict`` with the ``model.`` prefix."""
    from carve.models import get_model

    torch.manual_seed(1)
    model = get_model("jsc-tiny")
    for parameter in model.parameters():
        torch.nn.init.normal_(parameter)
    state = {f"model.{k}": v for k, v in model.state_dict().items()}
    torch.save({"state_dict": state, "epoch": 3}, path)
    return model.state_dict()


def test_lab2_analysis_statistics_and_quantization(run_ported, tmp_path, capsys):
    expected = lightning_checkpoint(tmp_path / "best.ckpt")
    ns = run_ported(
        SETUP
        + """
model = get_model(model_name, task="cls", dataset_info=data_module.dataset_info, pretrained=False)
model = load_model(load_name=CHECKPOINT_PATH, load_type="pl", model=model)
input_generator = InputGenerator(
    data_module=data_module, model_info=model_info, task="cls", which_dataloader="train"
)
dummy_in = next(iter(input_generator))
_ = model(**dummy_in)
mg = MaseGraph(model=model)
mg, _ = init_metadata_analysis_pass(mg, None)
mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": dummy_in})
mg, _ = add_software_metadata_analysis_pass(mg, None)
from chop.passes.graph import report_graph_analysis_pass
_ = report_graph_analysis_pass(mg)
pass_args = {
    "by": "type",
    "target_weight_nodes": ["linear"],
    "target_activation_nodes": ["relu"],
    "weight_statistics": {"variance_precise": {"device": "cpu", "dims": "all"}},
    "activation_statistics": {"range_quantile": {"device": "cpu", "dims": "all", "quantile": 0.97}},
    "input_generator": input_generator,
    "num_samples": 32,
}
mg, _ = profile_statistics_analysis_pass(mg, pass_args)
mg, _ = report_node_meta_param_analysis_pass(mg, {"which": ("software",)})
"""
        + LINEAR_INTEGER
        + """from chop.passes.graph.transforms import (
    quantize_transform_pass,
    summarize_quantization_analysis_pass,
)
from chop.ir.graph.mase_graph import MaseGraph
ori_mg = MaseGraph(model=model)
ori_mg, _ = init_metadata_analysis_pass(ori_mg, None)
ori_mg, _ = add_common_metadata_analysis_pass(ori_mg, {"dummy_in": dummy_in})
mg, _ = quantize_transform_pass(mg, pass_args)
summarize_quantization_analysis_pass(ori_mg, mg, save_dir="quantize_summary")
""",
        CHECKPOINT_PATH=str(tmp_path / "best.ckpt"),
        **OPTIONS,
    )
    model, mg = ns["model"], ns["mg"]
    for key, value in model.named_parameters():  # the lab-1 weights were loaded
        torch.testing.assert_close(value, expected[key])
    assert ns["dummy_in"]["x"].shape == (8, 16)
    weight = model.state_dict()["seq_blocks.2.weight"]
    stat = {n.name: n for n in mg.fx_graph.nodes}["seq_blocks_2"].meta["mase"].parameters[
        "software"]["args"]["weight"]["stat"]["variance_precise"]  # fmt: skip
    torch.testing.assert_close(torch.as_tensor(stat["variance"]).float(), weight.var())
    linear = mg.modules["seq_blocks.2"]
    torch.testing.assert_close(
        linear.w_quantizer(linear.weight),
        torch.clamp(torch.round(weight * 16), -128, 127) / 16, rtol=0, atol=0,
    )  # fmt: skip
    assert type(ns["ori_mg"].modules["seq_blocks.2"]).__name__ == "Linear"
    assert (tmp_path / "quantize_summary" / "quantize_table.csv").is_file()
    captured = capsys.readouterr()
    assert "INFO     Quantized graph histogram:" in captured.err
    assert "Network overview" in captured.out


def test_lab3_brute_force_search(run_ported):
    ns = run_ported(
        SETUP
        + """
model = get_model(model_name, task="cls", dataset_info=data_module.dataset_info,
                  pretrained=False, checkpoint=None)
input_generator = InputGenerator(
    data_module=data_module, model_info=model_info, task="cls", which_dataloader="train"
)
dummy_in = next(iter(input_generator))
_ = model(**dummy_in)
mg = MaseGraph(model=model)
"""
        + LINEAR_INTEGER
        + """import copy
search_spaces = []
for d_config in data_in_frac_widths:
    for w_config in w_in_frac_widths:
        pass_args["linear"]["config"]["data_in_width"] = d_config[0]
        pass_args["linear"]["config"]["data_in_frac_width"] = d_config[1]
        pass_args["linear"]["config"]["weight_width"] = w_config[0]
        pass_args["linear"]["config"]["weight_frac_width"] = w_config[1]
        search_spaces.append(copy.deepcopy(pass_args))

from chop.passes.graph.transforms import (
    quantize_transform_pass,
    summarize_quantization_analysis_pass,
)
mg, _ = init_metadata_analysis_pass(mg, None)
mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": dummy_in})
mg, _ = add_software_metadata_analysis_pass(mg, None)
num_batchs = 5
recorded_accs = []
for i, config in enumerate(search_spaces):
    mg, _ = quantize_transform_pass(mg, config)
    j = 0
    accs, losses = [], []
    for inputs in data_module.train_dataloader():
        xs, ys = inputs
        preds = mg.model(xs)
        losses.append(torch.nn.functional.cross_entropy(preds, ys))
        accs.append((preds.argmax(dim=1) == ys).float().mean())
        if j > num_batchs:
            break
        j += 1
    recorded_accs.append(sum(accs) / len(accs))
""",
        data_in_frac_widths=[(16, 8), (4, 2)],
        w_in_frac_widths=[(8, 4), (4, 2)],
        **OPTIONS,
    )
    accs = ns["recorded_accs"]  # the lab's 4 x 4 grid, cut to 2 x 2 to keep the suite fast
    assert len(ns["search_spaces"]) == 4 and len(accs) == 4
    assert all(0.0 <= float(a) <= 1.0 for a in accs)
    # the graph holds the last point of the space: data 4/2, weights 4/2
    linear = ns["mg"].modules["seq_blocks.2"]
    weight = linear.w_quantizer(linear.weight)
    assert torch.equal(weight, torch.clamp(torch.round(linear.weight * 4), -8, 7) / 4)
    assert linear.x_quantizer.precision == [4, 2]
    # re-applying the last point to the graph gives the same outputs (no state kept)
    xs, _ = next(iter(ns["data_module"].val_dataloader()))
    before = ns["mg"].model(xs)
    again, _ = ns["quantize_transform_pass"](ns["mg"], ns["search_spaces"][-1])
    torch.testing.assert_close(again.model(xs), before, rtol=0, atol=0)


def test_lab4_redefine_linear_layers_with_get_parent_name(run_ported):
    ns = run_ported(
        SETUP
        + """
logger = get_logger("chop")
logger.setLevel(logging.INFO)
dummy_in = {"x": next(iter(data_module.train_dataloader()))[0]}
sample_x, sample_y = data_module.train_dataset[0]

from torch import nn
from chop.passes.graph.utils import get_parent_name

class JSC_Three_Linear_Layers(nn.Module):
    def __init__(self):
        super().__init__()
        self.seq_blocks = nn.Sequential(
            nn.BatchNorm1d(16), nn.ReLU(16), nn.Linear(16, 16), nn.Linear(16, 16),
            nn.Linear(16, 5), nn.ReLU(5),
        )

    def forward(self, x):
        return self.seq_blocks(x)

model = JSC_Three_Linear_Layers()
mg = MaseGraph(model=model)
mg, _ = init_metadata_analysis_pass(mg, None)

def instantiate_linear(in_features, out_features, bias):
    return nn.Linear(in_features=in_features, out_features=out_features, bias=bias is not None)

def redefine_linear_transform_pass(graph, pass_args=None):
    main_config = pass_args.pop("config")
    default = main_config.pop("default", None)
    for node in graph.fx_graph.nodes:
        config = main_config.get(node.name, default)["config"]
        name = config.get("name", None)
        if name is not None:
            ori_module = graph.modules[node.target]
            in_features, out_features = ori_module.in_features, ori_module.out_features
            if name in ("output_only", "both"):
                out_features = out_features * config["channel_multiplier"]
            if name in ("input_only", "both"):
                in_features = in_features * config["channel_multiplier"]
            new_module = instantiate_linear(in_features, out_features, ori_module.bias)
            parent_name, name = get_parent_name(node.target)
            setattr(graph.modules[parent_name], name, new_module)
    return graph, {}

pass_config = {
    "by": "name",
    "default": {"config": {"name": None}},
    "seq_blocks_2": {"config": {"name": "output_only", "channel_multiplier": 2}},
    "seq_blocks_3": {"config": {"name": "both", "channel_multiplier": 2}},
    "seq_blocks_4": {"config": {"name": "input_only", "channel_multiplier": 2}},
}
mg, _ = redefine_linear_transform_pass(graph=mg, pass_args={"config": pass_config})
out = mg.model(dummy_in["x"])
""",
        **OPTIONS,
    )
    mg = ns["mg"]
    shapes = [tuple(mg.modules[f"seq_blocks.{i}"].weight.shape) for i in (2, 3, 4)]
    assert shapes == [(32, 16), (32, 32), (5, 32)]
    assert ns["out"].shape == (8, 5)
    assert ns["sample_x"].shape == (16,) and ns["sample_y"].dtype == torch.int64
    split = ns["data_module"].train_dataset
    assert torch.equal(ns["sample_x"], split.x[0]) and int(ns["sample_y"]) == int(split.y[0])
    assert ns["logger"].name == "carve" and ns["logger"].level == 20
