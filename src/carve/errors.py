"""User-facing errors.

A :class:`CarveError` is a user mistake (bad name, bad value, missing file): the
CLI prints its message on one line and exits non-zero, with no traceback unless
``--debug`` is given. Anything else is a bug in carve and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from carve.mase_scope import out_of_scope_note


class CarveError(Exception):
    """A mistake in the user's input, reported as one clear line."""


class UnknownNameError(CarveError, KeyError):
    """A name looked up in a registry (model, dataset, pass, format...) is unknown.

    It is also a ``KeyError`` so ``name in registry``-style callers keep working,
    but ``str()`` gives the plain message instead of ``KeyError``'s quoted repr.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def unknown_name_message(kind: str, name: object, known: Iterable[str]) -> str:
    """Message for an unknown ``name`` of ``kind``, listing ``known`` and a close match.

    >>> unknown_name_message("model", "jsc-tny", ["jsc-tiny", "jsc-toy"])
    "unknown model 'jsc-tny'; did you mean 'jsc-tiny'? Known models: jsc-tiny, jsc-toy"
    """
    known = sorted(known)
    note = out_of_scope_note(name)
    if note:  # MASE material carve deliberately does not cover (CIFAR, HuggingFace, Verilog)
        return f"{kind} {name!r} is not available in carve: {note}. Known {plural(kind)}: " + (
            ", ".join(known) or "(none registered)"
        )
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ";"
    listing = ", ".join(known) if known else "(none registered)"
    return f"unknown {kind} {name!r}{hint} Known {plural(kind)}: {listing}"


def plural(noun: str) -> str:
    """English plural of a registry kind.

    >>> plural("pass"), plural("model"), plural("quantizable op"), plural("search strategy")
    ('passes', 'models', 'quantizable ops', 'search strategies')
    """
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")
