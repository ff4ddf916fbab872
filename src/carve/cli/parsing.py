"""The argument parser of every ``carve`` command: no abbreviations, one-line errors.

argparse's own ``error`` prints the whole usage (20 lines for ``carve train``)
and accepts any unambiguous prefix of a flag (``--max`` for ``--max-epochs``),
which hides typos. Here a mistake is a :class:`carve.errors.CarveError` (one
line, exit 2) that names the flag and, when one is close, the flag meant:

>>> parser = CarveArgumentParser(prog="carve train")
>>> _ = parser.add_argument("--batch-size", type=int)
>>> _ = parser.add_argument("--learning-rate", type=float)
>>> parser.parse_args(["--batchsize", "64"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
carve.errors.CarveError: carve train: unknown flag --batchsize; did you mean --batch-size? ...
>>> close_flag("--lr", ["--batch-size", "--learning-rate", "--load"])
'--learning-rate'
"""

from __future__ import annotations

import argparse
import difflib
import re

from carve.errors import CarveError

_UNRECOGNIZED = "unrecognized arguments: "


def _initials(flag: str) -> str:
    return "".join(word[0] for word in flag.lstrip("-").split("-") if word)


def close_flag(typed: str, flags: list[str]) -> str | None:
    """The flag(s) ``typed`` most likely meant: its initials (``--lr``), flags it begins
    (``--max``: ``--max-epochs or --max-steps``), else a close spelling (``--batchsize``)."""
    name = typed.split("=", 1)[0]
    short = name.lstrip("-").replace("-", "").replace("_", "")
    by_initials = [flag for flag in flags if _initials(flag) == short and len(short) > 1]
    if len(by_initials) == 1:
        return by_initials[0]
    longer = [flag for flag in flags if flag.startswith(name) and len(name) > 3]
    if 1 <= len(longer) <= 3:
        return " or ".join(longer)
    close = difflib.get_close_matches(name, flags, n=1, cutoff=0.6)
    return close[0] if close else None


class CarveArgumentParser(argparse.ArgumentParser):
    """``ArgumentParser`` with ``allow_abbrev=False`` and one-line, close-match errors."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def long_flags(self) -> list[str]:
        return sorted(
            flag for action in self._actions for flag in action.option_strings if flag[:2] == "--"
        )

    def error(self, message: str):  # argparse's hook: raise instead of usage + exit
        help_hint = f"({self.prog} --help lists the flags)"
        if message.startswith(_UNRECOGNIZED):
            unknown = message[len(_UNRECOGNIZED) :].split()
            flags = [word for word in unknown if word.startswith("-")]
            if flags:
                meant = close_flag(flags[0], self.long_flags())
                hint = f"; did you mean {meant}?" if meant else ""
                raise CarveError(f"{self.prog}: unknown flag {flags[0]}{hint} {help_hint}")
            raise CarveError(f"{self.prog}: unexpected argument(s) {' '.join(unknown)} {help_hint}")
        message = re.sub(r"^argument ", "", message)
        raise CarveError(f"{self.prog}: {message} {help_hint}")
