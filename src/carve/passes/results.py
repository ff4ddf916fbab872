"""What a pass returns beside the graph, typed by pass family (and still a dict, for MASE).

Every pass returns ``(graph, info)``. MASE code reads ``info`` as a dict
(``info["data_avg_bit"]``), so each result class here *is* a ``dict`` with
MASE's keys; on top of that it gives callers what they need without knowing
which pass made it:

* :attr:`PassInfo.verdict` - ``True``/``False`` for a check that passed or
  failed (the verify passes), ``None`` for everything else;
* :meth:`PassInfo.terminal_text` - what a terminal shows of the result (the
  pass logs its tables at ``info``; ``logged`` says whether that log was
  visible, so nothing is shown twice);
* :attr:`PassInfo.files` - the files the pass wrote.

A caller (``carve transform``, a notebook) loops over results and prints
``terminal_text``; it never branches on a pass's name. A pass that returns a
plain dict (user passes, MASE's) is wrapped as a plain :class:`PassInfo`.

>>> info = CheckInfo(ok=False, table_text="| w | NO |")
>>> info["ok"], info.verdict, info.terminal_text(logged=False)
(False, False, ['| w | NO |', 'Verification FAILED'])
>>> PassInfo.of({"data_avg_bit": 8.0}).verdict is None
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class PassInfo(dict):
    """A pass's info dict (MASE's keys) with the typed view every caller reads."""

    @classmethod
    def of(cls, info: Any) -> PassInfo:
        """``info`` as a :class:`PassInfo` (a dict is wrapped; anything else kept as ``value``)."""
        if isinstance(info, PassInfo):
            return info
        return PassInfo(info) if isinstance(info, dict) else PassInfo(value=info)

    @property
    def verdict(self) -> bool | None:
        """Whether a check passed; None when the pass checks nothing."""
        return None

    @property
    def files(self) -> list[str]:
        """Files the pass wrote (``files``, or a single ``file``)."""
        if "files" in self:
            return [str(f) for f in self["files"]]
        return [str(self["file"])] if self.get("file") else []

    def terminal_text(self, logged: bool) -> list[str]:
        """Blocks of text for a terminal; ``logged``: the pass's info log was already shown."""
        return []


class CheckInfo(PassInfo):
    """Verify passes: ``ok``, the problems or the per-operand table, ``table_text``."""

    @property
    def ok(self) -> bool:
        return bool(self["ok"])

    @property
    def verdict(self) -> bool:
        return self.ok

    def terminal_text(self, logged: bool) -> list[str]:
        lines = [] if logged or not self.get("table_text") else [self["table_text"]]
        reference = self.get("integer_reference", {})
        if "logits_equal" in reference:
            lines.append(
                f"Integer-only reference: logits equal the fake-quantized graph's: "
                f"{reference['logits_equal']} (max diff {reference['max_logit_diff']:.3g}); "
                f"every layer exact: {reference['all_layers_exact']}"
            )
        shown = self.get("problems", [])[:10]
        if shown and not logged:
            lines.append("\n".join(shown))
        return [*lines, f"Verification {'passed' if self.ok else 'FAILED'}"]


class ReportInfo(PassInfo):
    """Report passes: the ``text`` they print (and log), the files they wrote."""

    @property
    def text(self) -> str:
        return str(self.get("text", ""))

    def terminal_text(self, logged: bool) -> list[str]:
        lines = [self.text] if self.text else []
        if self.files:
            lines.append(f"Files written to {Path(self.files[0]).parent!s}")
        return lines


class SummaryInfo(PassInfo):
    """``summarize_quantization``: the per-node table and the histogram of formats."""

    @property
    def histogram_text(self) -> str:
        return str(self["histogram_text"])

    def terminal_text(self, logged: bool) -> list[str]:
        return [] if logged else [f"Quantized graph histogram:\n{self.histogram_text}"]


class TransformInfo(PassInfo):
    """Graph-building transforms (quantize, prune...): a follow-up analysis under ``summary``."""

    @property
    def summary(self) -> PassInfo | None:
        summary = self.get("summary")
        return None if summary is None else PassInfo.of(summary)

    def terminal_text(self, logged: bool) -> list[str]:
        return [] if self.summary is None else self.summary.terminal_text(logged)
