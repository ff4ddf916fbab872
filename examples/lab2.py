"""Lab 2 of the MASE course with carve: from a trained JSC network to an analysed graph.

The same steps as the lab-2 notebook; only the imports differ from MASE's.

    python examples/lab2.py                                  # freshly initialised jsc-tiny
    python examples/lab2.py --load path/to/best.ckpt         # a lab-1 checkpoint

A lab-1 checkpoint comes from ``carve train jsc-tiny jsc-synth`` (see
docs/lab2.md). Without ``--load`` the model is freshly initialised and the
script says so: the graph and metadata are the same, the statistics differ.
"""

from __future__ import annotations

import argparse
import time

START = time.perf_counter()

import torch  # noqa: E402

from carve import MaseGraph  # noqa: E402
from carve.data import InputGenerator, MaseDataModule  # noqa: E402
from carve.models import get_model, get_model_info, load_model  # noqa: E402
from carve.passes import (  # noqa: E402
    add_common_metadata_analysis_pass,
    add_software_metadata_analysis_pass,
    init_metadata_analysis_pass,
    profile_statistics_analysis_pass,
    report_graph_analysis_pass,
    report_node_meta_param_analysis_pass,
)
from carve.train.threads import apply_num_threads  # noqa: E402


def graph_steps(model, dummy_in: dict, input_generator, weight_op: str = "linear") -> MaseGraph:
    """The lab's graph cells: MaseGraph, metadata passes, report_graph, statistics, report.

    ``benchmarks/passes.py`` times this same function.
    """
    mg = MaseGraph(model=model)
    mg, _ = init_metadata_analysis_pass(mg, None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": dummy_in})
    mg, _ = add_software_metadata_analysis_pass(mg, None)
    _ = report_graph_analysis_pass(mg)

    pass_args = {
        "by": "type",
        "target_weight_nodes": [weight_op],
        "target_activation_nodes": ["relu"],
        "weight_statistics": {"variance_precise": {"device": "cpu", "dims": "all"}},
        "activation_statistics": {
            "range_quantile": {"device": "cpu", "dims": "all", "quantile": 0.97}
        },
        "input_generator": input_generator,
        "num_samples": 32,
    }
    mg, _ = profile_statistics_analysis_pass(mg, pass_args)
    mg, _ = report_node_meta_param_analysis_pass(mg, {"which": ("software",)})
    return mg


def main() -> None:
    imported = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="jsc-tiny")
    parser.add_argument("--dataset", default="jsc-synth")
    parser.add_argument("--load", default=None, help="lab-1 checkpoint (best.ckpt)")
    parser.add_argument("--load-type", default="auto", help="ours, pt, pl or auto")
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()
    torch.manual_seed(0)

    # 1. data module and model (the lab's cells, unchanged but for the imports)
    data_module = MaseDataModule(name=args.dataset, batch_size=args.batch_size,
                                 model_name=args.model, num_workers=0)  # fmt: skip
    data_module.prepare_data()
    data_module.setup()
    model_info = get_model_info(args.model)
    model = get_model(args.model, task="cls", dataset_info=data_module.dataset_info,
                      pretrained=False)  # fmt: skip
    # tiny models run fastest on one thread (see carve.train.threads), as in `carve train`
    apply_num_threads(None, sum(p.numel() for p in model.parameters()))
    if args.load:
        model = load_model(load_name=args.load, load_type=args.load_type, model=model)
        print(f"model: {args.model} loaded from {args.load}")
    else:
        print(f"model: {args.model} freshly initialised (no --load checkpoint given)")

    # 2. a dummy input from the training data
    input_generator = InputGenerator(data_module=data_module, model_info=model_info,
                                     task="cls", which_dataloader="train")  # fmt: skip
    dummy_in = next(iter(input_generator))
    _ = model(**dummy_in)

    # 3-4. the graph, its metadata and statistics, with the lab's arguments
    graph_steps(model, dummy_in, input_generator)
    end = time.perf_counter()
    print(
        f"lab 2 done in {end - START:.2f} s: imports {imported - START:.2f} s, "
        f"flow {end - imported:.2f} s"
    )


if __name__ == "__main__":
    main()
