"""Models: parameter counts against hand counts, the -logits variants, user model files."""

from __future__ import annotations

import pytest
import torch

from carve.errors import CarveError
from carve.models import MODELS, get_model, get_model_info, load_model_file


def bn(n):  # weight + bias
    return 2 * n


def linear(i, o):
    return i * o + o


HAND_COUNTS = {
    "jsc-tiny": bn(16) + linear(16, 5),
    "jsc-toy": bn(16) + linear(16, 8) + bn(8) + linear(8, 8) + bn(8) + linear(8, 5) + bn(5),
    "jsc-10x": bn(16) + linear(16, 32) + bn(32) + linear(32, 16) + linear(16, 5),
    "jsc-s": bn(16)
    + linear(16, 64)
    + bn(64)
    + linear(64, 32)
    + linear(32, 32) * 2
    + linear(32, 5)
    + bn(5),
}


def test_hand_counts_are_mase_figures():
    assert HAND_COUNTS["jsc-tiny"] == 117 and HAND_COUNTS["jsc-toy"] == 327
    assert HAND_COUNTS["jsc-s"] == 5615
    assert 9 <= HAND_COUNTS["jsc-10x"] / HAND_COUNTS["jsc-tiny"] <= 11  # lab 1's "~10x"


@pytest.mark.parametrize("name", sorted(HAND_COUNTS))
def test_parameter_counts_of_every_model_and_variant(name):
    for variant in (name, f"{name}-logits"):
        model = get_model(variant)
        count = sum(p.numel() for p in model.parameters())
        assert count == HAND_COUNTS[name] == get_model_info(variant).params


def test_every_registered_builtin_model_is_counted():
    builtin = {n for n in MODELS.names() if n.startswith("jsc-")}
    assert builtin == set(HAND_COUNTS) | {f"{n}-logits" for n in HAND_COUNTS}


def test_jsc_models_end_in_relu_and_logits_variants_do_not():
    torch.manual_seed(0)
    x = torch.randn(64, 16)
    for name in HAND_COUNTS:
        with_relu, logits = get_model(name), get_model(f"{name}-logits")
        logits.load_state_dict(with_relu.state_dict())
        with_relu.eval(), logits.eval()
        out, raw = with_relu(x.clone()), logits(x.clone())
        assert (out >= 0).all() and (raw < 0).any()
        assert torch.equal(out, raw.clamp(min=0))


USER_FILE = """
from torch import nn
from carve.models import register_model

@register_model("user-mlp", description="user test model")
def build(info):
    return nn.Sequential(nn.Linear(info["num_features"], 3), nn.ReLU(),
                         nn.Linear(3, info["num_classes"]))
"""


def test_model_file_registers_user_models_once(tmp_path):
    path = tmp_path / "my_model.py"
    path.write_text(USER_FILE)
    load_model_file(path)
    load_model_file(path)  # running twice does not register twice
    model = get_model("user-mlp")
    assert sum(p.numel() for p in model.parameters()) == linear(16, 3) + linear(3, 5)
    assert get_model_info("user-mlp").description == "user test model"


def test_model_file_errors_are_one_line(tmp_path):
    with pytest.raises(CarveError, match="does not exist"):
        load_model_file(tmp_path / "absent.py")
    broken = tmp_path / "broken.py"
    broken.write_text("import torch\n\nraise ValueError('oops')\n")
    with pytest.raises(CarveError, match=r"failed at line 3: ValueError: oops"):
        load_model_file(broken)
    syntax = tmp_path / "syntax.py"
    syntax.write_text("x = 1\ndef f(:\n")
    with pytest.raises(CarveError, match=r"failed at line 2: SyntaxError"):
        load_model_file(syntax)
