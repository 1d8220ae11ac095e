"""Proofs and derivations: graded by hand, no value in the key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from generator.answers.base import EDGE_SLACK, Answer, AnswerType, QtiGap, register
from generator.i18n import Text


@register
class Proof(AnswerType):
    name = "proof"
    graded = False
    how_to_write = "write it out; it is graded by hand"
    page_numeric = False

    def to_key(self, answer: Answer, value: Any) -> tuple[Any, Any]:
        return None, None

    def matches(self, answer: Answer, expected: Any, given: Any, atol: float = 0.0, rtol: float = 0.0,
                slack: float = EDGE_SLACK) -> bool:
        return True

    def tolerance_text(self, expected: Any, tolerance: dict[str, float] | None) -> str:
        return Text("graded by hand")

    def qti_entries(self, answer: Answer, value: Any, tolerance: Mapping[str, float] | None = None,
                    alternatives: Sequence[tuple[Any, str]] = ()) -> list[QtiGap]:
        return []      # the slot becomes one essay item (see generator.exports.qti)
