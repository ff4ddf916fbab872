"""MASE material carve deliberately does not cover, by name prefix (data, no imports).

An unknown model, dataset, pass or module name with one of these prefixes fails
with the reason (:func:`carve.errors.unknown_name_message` reads it), not just
"unknown". It sits at the bottom layer beside :mod:`carve.errors`, which needs it.

>>> out_of_scope_note("cifar10")
'image datasets (CIFAR, MNIST, ImageNet) are out of scope; carve covers JSC'
>>> out_of_scope_note("jsc-tiny") is None
True
"""

from __future__ import annotations

# MASE material carve does not cover, by name prefix (models, datasets, passes, packages):
# an unknown name with one of these prefixes fails with the reason, not just "unknown".
_HARDWARE = (
    "MASE's hardware component flow (BRAM/HLS emit, cocotb, Vivado synthesis) is out of scope; "
    "carve's own Verilog target: carve export --format verilog (docs/hardware.md)"
)
_HF = "HuggingFace and large vision/NLP models are out of scope (carve covers small networks)"
_IMAGES = "image datasets (CIFAR, MNIST, ImageNet) are out of scope; carve covers JSC"
_NLP = "NLP datasets are out of scope; carve covers JSC"
_HF_PREFIXES = (
    "bert", "roberta", "opt-", "llama", "gpt", "vicuna", "t5-", "resnet", "vgg", "mobilenet",
    "efficientnet", "pvt", "deit", "vit_", "vit-", "wideresnet", "cswin", "cnv_", "lfc",
    "facebook/", "huggingface",
)  # fmt: skip
_HARDWARE_PREFIXES = (
    "emit_", "add_hardware_metadata", "verify_hardware_metadata", "report_node_hardware",
    "run_cosim", "get_synthesis_results", "test_verilog", "hardware_metadata",
    "chop.passes.graph.transforms.verilog", "chop.passes.graph.analysis.hardware",
)  # fmt: skip
OUT_OF_SCOPE: dict[str, str] = {
    **dict.fromkeys(("cifar", "mnist", "imagenet", "fashion_mnist"), _IMAGES),
    **dict.fromkeys(("wikitext", "sst2", "imdb", "wmt", "mnli", "qnli", "boolq"), _NLP),
    **dict.fromkeys(_HF_PREFIXES, _HF),
    **dict.fromkeys(_HARDWARE_PREFIXES, _HARDWARE),
}


def out_of_scope_note(name: object) -> str | None:
    """Why MASE's ``name`` (model, dataset, pass, module) is not in carve, if out of scope."""
    text = str(name).lower()
    for prefix, note in OUT_OF_SCOPE.items():
        if text.startswith(prefix):
            return note
    return None
