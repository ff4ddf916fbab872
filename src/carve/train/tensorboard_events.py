"""A minimal TensorBoard event-file writer (scalars and text), without TensorBoard's import.

``torch.utils.tensorboard`` pulls in TensorBoard and protobuf: most of a second
of start-up, a good part of a whole one-epoch ``carve train``. Scalars need
very little of that: an event file is a sequence of records

    uint64 length | uint32 masked CRC-32C(length) | data | uint32 masked CRC-32C(data)

whose data is a serialized ``Event`` protobuf. This module writes the few
fields used (``Event.wall_time/step/file_version/summary``,
``Summary.Value.tag/simple_value/metadata/tensor``) by hand. The tests read the
files back with TensorBoard's own ``EventAccumulator``.

>>> masked_crc32c(b"")  # CRC-32C("") is 0; masking rotates and adds a constant
2726488792
>>> hex(crc32c(b"123456789"))  # the standard CRC-32C check value
'0xe3069283'
"""

from __future__ import annotations

import os
import socket
import struct
import time
from pathlib import Path

_POLY = 0x82F63B78  # CRC-32C (Castagnoli), reflected


def _table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1  # negative int64 as two's complement
    while True:
        bits, value = value & 0x7F, value >> 7
        out.append(bits | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, wire_type: int, payload: bytes) -> bytes:
    return _varint(number << 3 | wire_type) + payload


def _bytes_field(number: int, data: bytes) -> bytes:
    return _field(number, 2, _varint(len(data)) + data)


def _event(wall_time: float, step: int = 0, **parts: bytes) -> bytes:
    data = _field(1, 1, struct.pack("<d", wall_time))  # Event.wall_time
    if step:
        data += _field(2, 0, _varint(step))  # Event.step
    if "file_version" in parts:
        data += _bytes_field(3, parts["file_version"])
    if "summary" in parts:
        data += _bytes_field(5, parts["summary"])
    if "session_log" in parts:
        data += _bytes_field(7, parts["session_log"])
    return data


def _scalar_value(tag: str, value: float) -> bytes:
    return _bytes_field(1, tag.encode()) + _field(2, 5, struct.pack("<f", value))


def _text_value(tag: str, text: str) -> bytes:
    plugin = _bytes_field(1, b"text")  # PluginData.plugin_name
    metadata = _bytes_field(1, plugin)  # SummaryMetadata.plugin_data
    tensor = _field(1, 0, _varint(7)) + _bytes_field(2, b"") + _bytes_field(8, text.encode())
    return _bytes_field(1, tag.encode()) + _bytes_field(9, metadata) + _bytes_field(8, tensor)


class EventFileWriter:
    """Append scalar and text summaries to a new ``events.out.tfevents.*`` file in ``folder``."""

    def __init__(self, folder: str | os.PathLike) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        # readers take files in name order: a resumed run's file must sort after the old ones
        stamps = [int(p.name.split(".")[3]) for p in folder.glob("events.out.tfevents.*")
                  if p.name.split(".")[3].isdigit()]  # fmt: skip
        stamp = max([int(time.time()), *(t + 1 for t in stamps)])
        name = f"events.out.tfevents.{stamp}.{socket.gethostname()}.{os.getpid()}.0"
        self.path = folder / name
        self._file = open(self.path, "ab")  # noqa: SIM115 (kept open for the run)
        self._write(_event(time.time(), file_version=b"brain.Event:2"))

    def _write(self, data: bytes) -> None:
        header = struct.pack("<Q", len(data))
        record = header + struct.pack("<I", masked_crc32c(header)) + data
        self._file.write(record + struct.pack("<I", masked_crc32c(data)))

    def add_scalar(self, tag: str, value: float, step: int) -> None:
        summary = _bytes_field(1, _scalar_value(tag, float(value)))
        self._write(_event(time.time(), step, summary=summary))

    def add_text(self, tag: str, text: str, step: int = 0) -> None:
        summary = _bytes_field(1, _text_value(tag, text))
        self._write(_event(time.time(), step, summary=summary))

    def add_restart(self, step: int) -> None:
        """``SessionLog(START)`` at ``step``: readers drop earlier files' events from ``step`` on.

        This is how TensorBoard hides what a crashed run logged past its last
        checkpoint (``torch.utils.tensorboard.SummaryWriter(purge_step=...)``).
        """
        self._write(_event(time.time(), step, session_log=_field(1, 0, _varint(1))))

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
