"""Every runnable block of README.md and docs/*.md runs as written (see markdown_blocks.py).

One test per page: its blocks run in order in a fresh folder (so a later block
may use what an earlier one made, as a reader following the page would), with
``configs/``, ``examples/`` and ``benchmarks/`` linked in so repo-relative paths
work, and one data cache shared by all pages (jsc-synth is generated once per size).
``carve ...`` lines run in-process (one torch import); ``python FILE ...`` lines
run as a subprocess; a python block runs in the page's namespace.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from markdown_blocks import REPO, Block, Page, doc_pages, parse_page

LINKED = ("configs", "examples", "benchmarks")
CARVE_ACTIONS = ("train", "test", "transform", "study")


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("doc-cache")


def _run_carve(argv: list[str], page: Page, where: str) -> None:
    from carve.cli.main import main

    if argv and argv[0] in CARVE_ACTIONS:
        argv = [*argv, *page.args]
    code = main(argv)
    assert code == 0, f"{where}: `carve {' '.join(argv)}` exited {code}"


def _run_command(argv: list[str], page: Page, where: str) -> None:
    if argv[0] == "carve":
        _run_carve(argv[1:], page, where)
    elif argv[0] == "python":
        done = subprocess.run(
            [sys.executable, *argv[1:]], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"{where}: `{' '.join(argv)}` failed:\n{done.stderr[-3000:]}"
    else:
        raise AssertionError(
            f"{where}: cannot run {argv[0]!r} (only carve and python); "
            "add <!-- doctest: skip REASON --> before the block"
        )


def _run_block(block: Block, page: Page, namespace: dict) -> None:
    if block.file is not None:
        Path(block.file).write_text(block.text, encoding="utf-8")
    elif block.language == "python":
        code = compile(block.text, block.where, "exec")
        exec(code, namespace)  # running the docs is the point
    else:
        for argv in block.commands():
            _run_command(argv, page, block.where)


@pytest.mark.parametrize("path", doc_pages(), ids=lambda p: str(p.relative_to(REPO)))
def test_page_runs_as_written(path, tmp_path, shared_cache, monkeypatch):
    page = parse_page(path)
    if page.skip is not None:
        pytest.skip(f"{path.name}: {page.skip}")
    if not page.runnable:
        pytest.skip(f"{path.name} has no runnable block")
    monkeypatch.setenv("CARVE_CACHE_DIR", str(shared_cache))
    monkeypatch.delenv("CARVE_DATA_DIR", raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    for name in LINKED:
        os.symlink(REPO / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    for argv in page.setup:
        _run_command(argv, page, f"{path.name} setup")
    namespace: dict = {"__name__": "__doctest__"}
    for block in page.runnable:
        _run_block(block, page, namespace)


def test_every_skip_gives_a_reason_and_skips_stay_rare():
    pages = [parse_page(path) for path in doc_pages()]
    assert all(len(page.skip.split()) >= 3 for page in pages if page.skip is not None)
    pages = [page for page in pages if page.skip is None]
    blocks = [b for page in pages for b in page.blocks if b.language in ("bash", "python")]
    skipped = [b for b in blocks if b.skip is not None]
    assert all(len(b.skip.split()) >= 3 for b in skipped), [b.where for b in skipped]
    assert len(skipped) * 5 <= len(blocks), [b.where for b in skipped]
