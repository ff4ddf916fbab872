"""Fenced code blocks of the user docs, with the directives each page states.

The doc-test harness (``test_docs.py``) runs every fenced ```` ```bash ```` and
```` ```python ```` block of ``README.md`` and ``docs/*.md`` in page order, so the
pages cannot drift from the code. A page states what the reader is assumed to
have done, and what keeps the run small, in HTML comments (invisible on GitHub):

``<!-- doctest: args --data-size 2000 --max-epochs 1 -->``
    flags appended to every ``carve ACTION`` command of the page (later flags win),
    so full-size commands run on a small sample; the commands themselves are
    unchanged.
``<!-- doctest: setup carve train ... -->``
    a command run before the page's blocks (e.g. the training run a page
    assumes); several are run in order.
``<!-- doctest: file NAME -->``
    the next block is a file the reader saves as NAME, not a snippet to run.
``<!-- doctest: skip REASON -->``
    the next block is not run; the reason is mandatory and reported.
``<!-- doctest: skip-page REASON -->``
    no block of the page runs (a page of long measurements: benchmarks.md).

Blocks of any other language (``text``, output listings) are never run.
Run ``python tests/docs/markdown_blocks.py`` for the count of blocks run and
skipped, with the reasons.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUN_LANGUAGES = ("bash", "python")
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,})(?P<lang>[\w-]*)\s*$")
_DIRECTIVE = re.compile(r"^\s*<!--\s*doctest:\s*(?P<kind>[\w-]+)\s*(?P<text>.*?)\s*-->\s*$")
DIRECTIVES = ("args", "setup", "file", "skip", "skip-page")


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


@dataclass
class Block:
    """One fenced block: where it starts, its language and text, what the page says of it."""

    page: Path
    line: int
    language: str
    text: str
    skip: str | None = None
    file: str | None = None

    @property
    def where(self) -> str:
        return f"{_shown(self.page)}:{self.line}"

    def commands(self) -> list[list[str]]:
        """A bash block's commands as argv lists (continuation lines joined, comments dropped)."""
        joined = re.sub(r"\\\n", " ", self.text)
        lines = [line.strip() for line in joined.splitlines()]
        return [shlex.split(line, comments=True) for line in lines if line and line[0] != "#"]


@dataclass
class Page:
    """A markdown page: its runnable blocks and its page-level directives."""

    path: Path
    blocks: list[Block] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    setup: list[list[str]] = field(default_factory=list)
    skip: str | None = None

    @property
    def runnable(self) -> list[Block]:
        if self.skip is not None:
            return []
        return [b for b in self.blocks if b.language in RUN_LANGUAGES and b.skip is None]


def parse_page(path: Path) -> Page:
    """Read ``path``'s fenced blocks and doctest directives (errors name the line)."""
    page = Page(path)
    pending: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    number = 0
    while number < len(lines):
        line = lines[number]
        directive = _DIRECTIVE.match(line)
        fence = _FENCE.match(line)
        if directive:
            kind, text = directive["kind"], directive["text"]
            if kind not in DIRECTIVES:
                raise ValueError(f"{path}:{number + 1}: unknown doctest directive {kind!r}")
            if kind in ("skip", "file", "skip-page") and not text:
                raise ValueError(f"{path}:{number + 1}: doctest: {kind} needs a reason/name")
            if kind == "args":
                page.args += shlex.split(text)
            elif kind == "setup":
                page.setup.append(shlex.split(text))
            elif kind == "skip-page":
                page.skip = text
            else:
                pending[kind] = text
        elif fence:
            end = number + 1
            closing = re.compile(rf"^ {{0,3}}{fence['fence']}`*\s*$")
            while end < len(lines) and not closing.match(lines[end]):
                end += 1
            text = "\n".join(lines[number + 1 : end]) + "\n"
            block = Block(path, number + 1, fence["lang"], text, **pending)
            if pending and block.language not in RUN_LANGUAGES:
                raise ValueError(
                    f"{block.where}: doctest directive before a {fence['lang']!r} block"
                )
            page.blocks.append(block)
            pending = {}
            number = end
        number += 1
    if pending:
        raise ValueError(f"{path}: doctest directive {sorted(pending)} not followed by a block")
    return page


def doc_pages() -> list[Path]:
    """README.md and every page under docs/ (new pages are picked up automatically)."""
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def summary() -> str:
    """Blocks run and skipped, per page, with the skip reasons."""
    lines, run, skipped = [], 0, 0
    for path in doc_pages():
        page = parse_page(path)
        runs = [b for b in page.blocks if b.language in RUN_LANGUAGES]
        skips = [b for b in runs if b.skip is not None or page.skip is not None]
        run += len(runs) - len(skips)
        skipped += len(skips)
        lines.append(f"{_shown(path)}: {len(runs) - len(skips)} run, {len(skips)} skipped")
        if page.skip is not None:
            lines.append(f"  page skipped: {page.skip}")
        lines += [f"  skipped {b.where}: {b.skip}" for b in skips if b.skip is not None]
    return "\n".join([*lines, f"total: {run} blocks run, {skipped} skipped"])


if __name__ == "__main__":
    print(summary())
