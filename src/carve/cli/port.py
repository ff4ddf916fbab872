"""``carve port FILE.py|FILE.ipynb [-o OUT]``: rewrite a MASE script's ``chop`` imports.

The import table is :mod:`carve.compat.names` (also the import map in
docs/mase.md). Without ``-o`` the result goes next to the input as
``<name>.carve.py`` / ``<name>.carve.ipynb`` and an existing file there is
never replaced; the input itself is written only when ``-o`` names it.
Unknown ``chop`` names are listed at the end with what to use instead.
"""

from __future__ import annotations

import argparse
from pathlib import Path

SUFFIXES = (".py", ".ipynb")
MAX_FILE_BYTES = 128 << 20  # read into memory whole (JSON of a notebook with its outputs)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a MASE Python script (.py) or Jupyter notebook (.ipynb)")
    parser.add_argument(
        "-o", "--output", default=None,
        help="where to write the result (default: <name>.carve<suffix> beside FILE, never "
        "replacing an existing file; name FILE itself to rewrite it in place)",
    )  # fmt: skip


def default_output(source: Path) -> Path:
    """``lab2.ipynb`` -> ``lab2.carve.ipynb`` (same folder)."""
    return source.with_name(f"{source.stem}.carve{source.suffix}")


def run(args: argparse.Namespace) -> int:
    from carve.compat.port import port_notebook, port_source
    from carve.errors import CarveError
    from carve.fileio import atomic_write_text

    source = Path(args.file)
    if source.suffix not in SUFFIXES:
        raise CarveError(f"carve port reads .py and .ipynb files, not {source.name!r}")
    if not source.is_file():
        raise CarveError(f"{str(source)!r} does not exist")
    size = source.stat().st_size
    if size > MAX_FILE_BYTES:
        raise CarveError(
            f"{str(source)!r} is {size / 2**20:.0f} MB; carve port reads files up to "
            f"{MAX_FILE_BYTES // 2**20} MB (a notebook's outputs can be cleared first: "
            "jupyter nbconvert --clear-output)"
        )
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise CarveError(f"{str(source)!r} is not UTF-8 text ({error.reason})") from None
    port = port_notebook if source.suffix == ".ipynb" else port_source
    result = port(text, str(source))
    target = Path(args.output) if args.output else default_output(source)
    if args.output is None and target.exists():
        raise CarveError(
            f"{str(target)!r} already exists; pass -o OUT to choose where to write "
            "(carve port never replaces a file you did not name)"
        )
    atomic_write_text(target, result.text)
    print(f"{source} -> {target}: {result.report()}")
    return 0
