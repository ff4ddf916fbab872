"""The TOML tables a carve config may hold besides its options: the one list of them.

A config's top-level keys are options (:mod:`carve.config.options`) or one of
these tables, passed through to the action that reads them as
``config.tables[name]``. Anything else is a mistake (a typo such as
``[pases.quantize]`` would otherwise be ignored in silence), so it fails with a
close-match hint. A feature that reads a new table adds it here.

>>> check_sections({"passes": {}, "study": {}}, "run.toml")
>>> check_sections({"pases": {}}, "run.toml")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
carve.errors.CarveError: run.toml: unknown table [pases] (did you mean [passes]?); known ta...
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from carve.errors import CarveError

# table -> who reads it
SECTIONS: dict[str, str] = {
    "passes": "carve transform: the passes to run, in file order ([passes.<name>])",
    "search": "carve search: search space, strategy and objectives ([search.*])",
    "study": "carve study: seeds, vary, ensemble",
    "transform": 'MASE\'s transform settings (style = "graph"), read by carve transform',
    "export": "carve export: target formats and their options",
    "prune": "carve train: gradual pruning ([prune.weight] pass_args, [prune.schedule])",
}


def check_sections(names: Iterable[str], source: str) -> None:
    """Refuse table names that are not in :data:`SECTIONS` (one error naming all of them)."""
    unknown = [name for name in names if name not in SECTIONS]
    if not unknown:
        return
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, list(SECTIONS), n=1)
        hints.append(f"[{name}]" + (f" (did you mean [{close[0]}]?)" if close else ""))
    known = ", ".join(f"[{name}]" for name in sorted(SECTIONS))
    plural = "s" if len(unknown) > 1 else ""
    raise CarveError(f"{source}: unknown table{plural} {', '.join(hints)}; known tables: {known}")
