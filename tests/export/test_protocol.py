"""Every export format implements the exporter protocol (write, run, parity, notes, extra)."""

from __future__ import annotations

import pytest

from carve.export.formats import EXPORT_FORMATS
from carve.export.protocol import Exporter


@pytest.mark.parametrize("name", sorted(EXPORT_FORMATS.names()))
def test_every_format_is_an_exporter(name):
    cls = EXPORT_FORMATS[name]
    assert issubclass(cls, Exporter)
    exporter = cls()
    assert exporter.notes == [] and exporter.extra == {}
    assert isinstance(cls.description, str) and cls.description


def test_an_exporter_without_parity_cannot_be_built():
    class Half(Exporter):
        description = "half"

        def write(self, view, folder):
            return []

    with pytest.raises(TypeError, match="parity"):
        Half()
