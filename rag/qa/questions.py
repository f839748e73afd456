"""What a question asks for, and whether it can be asked at all."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rag.qa.phrases import PhraseKind
from rag.qa.text import content_stems

QuestionType = Literal["person", "date", "quantity", "percent", "money", "place", "reason", "entity", "other"]
QUESTION_TYPES: tuple[QuestionType, ...] = (
    "person", "date", "quantity", "percent", "money", "place", "reason", "entity", "other",
)

#: Longest question accepted; longer input is almost surely pasted text, not a question.
MAX_QUESTION_CHARS = 1000

#: Phrase kinds that can answer each question type, best first.
EXPECTED_PHRASES: dict[QuestionType, tuple[PhraseKind, ...]] = {
    "person": ("name",),
    "date": ("date",),
    "quantity": ("number", "percent", "money"),
    "percent": ("percent", "number"),
    "money": ("money", "number"),
    "place": ("place", "name"),
    "reason": ("reason",),
    "entity": ("name", "date", "number"),
    "other": (),
}

# Checked in order; the first pattern found anywhere in the question wins.
_TYPE_PATTERNS: tuple[tuple[QuestionType, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("percent", r"\b(?:what|which)\s+(?:percentage|percent|proportion|share|fraction)\b|\bhow\s+much\s+of\b"),
        ("money", r"\bhow\s+much\b.*\b(?:cost|costs|pay|paid|spend|spent|worth|price|money|earn|raise[ds]?|fund)"),
        ("quantity", r"\bhow\s+(?:many|much|long|far|old|big|large|tall|high|fast|wide|deep|heavy|often)\b"),
        (
            "date",
            r"\bwhen\b|\b(?:what|which|in\s+what)\s+(?:year|years|date|day|month|time|century|decade|era|period|season)\b",
        ),
        ("person", r"\bwho(?:m|se)?\b|\b(?:what|which)\s+(?:person|people|man|woman|player|president|king|leader)\b"),
        (
            "place",
            r"\bwhere\b|\b(?:what|which)\s+(?:country|city|state|place|town|region|continent|location|area|island|river|nation|province)\b",
        ),
        ("reason", r"\bwhy\b|\bwhat\s+(?:caused|causes|led\s+to|was\s+the\s+reason)\b"),
        ("entity", r"\bwhat\b|\bwhich\b|\bname\b"),
    )
)


@dataclass(frozen=True)
class Question:
    """A question ready for answering: its text, type and content-word stems."""

    text: str
    kind: QuestionType
    stems: tuple[str, ...]

    @property
    def expected_phrases(self) -> tuple[PhraseKind, ...]:
        return EXPECTED_PHRASES[self.kind]


def question_type(question: str) -> QuestionType:
    """The answer type a question asks for, from its wh-words ("When ..." -> ``"date"``)."""
    for kind, pattern in _TYPE_PATTERNS:
        if pattern.search(question):
            return kind
    return "other"


def analyze(question: str) -> Question:
    """Type and content stems of ``question`` (already checked with :func:`problem_with`)."""
    return Question(text=question, kind=question_type(question), stems=tuple(content_stems(question)))


def problem_with(question: object) -> str | None:
    """Why ``question`` cannot be answered as given, or None when it can.

    Raises:
        TypeError: ``question`` is not a string.
    """
    if not isinstance(question, str):
        raise TypeError(f"question must be a str, got {type(question).__name__}; call ask('Who ...?')")
    if not question.strip():
        return "The question is empty: type a question about the articles."
    if len(question) > MAX_QUESTION_CHARS:
        return (
            f"The question is too long ({len(question)} characters, at most {MAX_QUESTION_CHARS}): "
            "ask a shorter question."
        )
    if not any(character.isalnum() for character in question):
        return "The question has no words: type a question about the articles."
    return None
