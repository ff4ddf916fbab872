"""Ctrl-C during an epoch's commit waits for the files; a real SIGINT is used."""

from __future__ import annotations

import os
import signal

import pytest

from carve.fileio import atomic_write
from carve.train.interrupts import deferred_interrupt


def test_sigint_inside_the_block_is_raised_after_the_files_are_complete(tmp_path):
    path = tmp_path / "last.ckpt"

    def write(file):
        file.write(b"first half ")
        os.kill(os.getpid(), signal.SIGINT)  # the impatient second Ctrl-C
        file.write(b"second half")

    with pytest.raises(KeyboardInterrupt), deferred_interrupt():
        atomic_write(path, write)
        atomic_write(tmp_path / "after.txt", lambda file: file.write(b"also written"))
    assert path.read_bytes() == b"first half second half"
    assert (tmp_path / "after.txt").read_bytes() == b"also written"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_without_a_signal_the_block_is_transparent(tmp_path):
    with deferred_interrupt():
        value = 1 + 1
    assert value == 2
