"""How many CPU threads a run uses, chosen on purpose.

A tiny model's step is a few microseconds of arithmetic wrapped in framework
overhead; spreading it over threads only adds synchronisation. Measured on
the project's busy 2-core machine, torch's default of 2 intra-op threads made
jsc-tiny steps tens of times slower than 1 thread. So models under
``SMALL_MODEL_PARAMETERS`` run single-threaded unless ``num_threads`` says
otherwise; bigger ones keep torch's default.

>>> choose_num_threads(None, parameter_count=117)
1
>>> choose_num_threads(4, parameter_count=117)
4
"""

from __future__ import annotations

SMALL_MODEL_PARAMETERS = 1_000_000


def choose_num_threads(requested: int | None, parameter_count: int) -> int | None:
    """Threads to use: ``requested``, else 1 for small models, else None (torch's default)."""
    if requested is not None:
        return requested
    return 1 if parameter_count < SMALL_MODEL_PARAMETERS else None


def apply_num_threads(requested: int | None, parameter_count: int) -> int:
    """Set torch's intra-op threads per :func:`choose_num_threads`; return the count in use."""
    import torch

    chosen = choose_num_threads(requested, parameter_count)
    if chosen is not None and torch.get_num_threads() != chosen:
        torch.set_num_threads(chosen)
    return torch.get_num_threads()
