"""What a question asks for, and whether it can be asked at all."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rag.index.base import MAX_K
from rag.qa.phrases import PhraseKind
from rag.qa.statements import asks_statement
from rag.qa.text import content_stems

QuestionType = Literal["person", "date", "quantity", "percent", "money", "place", "reason", "entity", "other"]
QUESTION_TYPES: tuple[QuestionType, ...] = (
    "person",
    "date",
    "quantity",
    "percent",
    "money",
    "place",
    "reason",
    "entity",
    "other",
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
_TYPE_PATTERN_TEXTS: tuple[tuple[QuestionType, str], ...] = (
    (
        "percent",
        r"\b(?:what|which)\s+(?:percentage|percent|proportion|share|fraction)\b|\bhow\s+much\s+of\b",
    ),
    (
        "money",
        r"\bhow\s+much\b.*\b(?:cost|costs|pay|paid|spend|spent|worth|price|money|earn|raise[ds]?|fund)",
    ),
    ("quantity", r"\bhow\s+(?:many|much|long|far|old|big|large|tall|high|fast|wide|deep|heavy|often)\b"),
    (
        "date",
        r"\bwhen\b|\b(?:what|which|in\s+what)\s+(?:year|years|date|day|month|time|century|decade|era|period|season)\b",
    ),
    (
        "person",
        r"\bwho(?:m|se)?\b|\b(?:what|which)\s+(?:person|people|man|woman|player|president|king|leader)\b",
    ),
    (
        "place",
        r"\bwhere\b|\b(?:what|which)\s+(?:country|city|state|place|town|region|continent|location|area|island|river|nation|province)\b",
    ),
    ("reason", r"\bwhy\b|\bwhat\s+(?:caused|causes|led\s+to|was\s+the\s+reason)\b"),
    ("entity", r"\bwhat\b|\bwhich\b|\bname\b"),
)
_TYPE_PATTERNS: tuple[tuple[QuestionType, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in _TYPE_PATTERN_TEXTS
)


# "How many students ...", "Which company ...", "What type of process ...": the noun the answer is.
_FOCUS = re.compile(
    r"\b(?:how\s+(?:many|much)|what|which)\s+(?:(?:type|kind|sort|form|name|part)s?\s+of\s+)?([A-Za-z][\w-]*)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Question:
    """A question ready for answering: its text, type, content-word stems and focus noun's stem."""

    text: str
    kind: QuestionType
    stems: tuple[str, ...]
    focus: str = ""
    #: asks what someone said or their stance (``rag.qa.statements``): the answer is a clause.
    statement: bool = False

    @property
    def expected_phrases(self) -> tuple[PhraseKind, ...]:
        return EXPECTED_PHRASES[self.kind]


def question_type(question: str) -> QuestionType:
    """The answer type a question asks for, from its wh-words ("When ..." -> ``"date"``)."""
    for kind, pattern in _TYPE_PATTERNS:
        if pattern.search(question):
            return kind
    return "other"


def focus_stem(question: str) -> str:
    """Stem of the noun the answer names ("How many students ..." -> ``"student"``), or ""."""
    match = _FOCUS.search(question)
    if not match:
        return ""
    stems = content_stems(match.group(1))
    return stems[0] if stems else ""


def analyze(question: str, kind_from: str | None = None) -> Question:
    """Type, content stems and focus of ``question`` (already checked with :func:`problem_with`).

    ``kind_from``: take the type and focus from this text instead (a follow-up's own words,
    when ``question`` carries names appended from an earlier turn).
    """
    own = question if kind_from is None else kind_from
    return Question(
        text=question,
        kind=question_type(own),
        stems=tuple(content_stems(question)),
        focus=focus_stem(own),
        statement=asks_statement(own),
    )


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


def check_k(k: object) -> None:
    """Raise ValueError unless ``k`` (passages to retrieve) is an int from 1 to ``MAX_K``."""
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise ValueError(f"k must be an integer between 1 and {MAX_K}, got {k!r}")
