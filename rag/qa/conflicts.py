"""Sources that disagree: other answers from other sources, published about when the best one was.

Two outlets reporting the same week and naming different people, numbers or dates is worth
knowing; the answer carries such alternatives as ``Answer.conflicts`` and the chat says the
sources differ. An alternative counts when it comes from another source, both articles are
dated within :data:`CONFLICT_DAYS` of each other, its text differs, and the ranker and reader
kept at least :data:`CONFLICT_MIN_SHARE` of the best answer's score for it (less, and it is a
weaker reading of the same story, not a disagreement).
"""

from __future__ import annotations

from collections.abc import Sequence

from rag.index.filters import parse_published
from rag.types import Answer

CONFLICT_DAYS = 7
CONFLICT_MIN_SHARE = 0.5


def conflicting(best: Answer, alternatives: Sequence[Answer]) -> tuple[Answer, ...]:
    """The ``alternatives`` that disagree with ``best`` (see the module docstring)."""
    if not best.citations:
        return ()
    main = best.citations[0]
    main_day = parse_published(main.published)
    if main_day is None:
        return ()
    found = []
    for alternative in alternatives:
        if not alternative.citations or alternative.score < CONFLICT_MIN_SHARE * best.score:
            continue
        other = alternative.citations[0]
        day = parse_published(other.published)
        if day is None or abs((day - main_day).days) > CONFLICT_DAYS:
            continue
        if not other.source or other.source == main.source:
            continue
        if _normalized(alternative.text) in _normalized(best.sentence):
            continue  # the best answer's own sentence says it too: not a disagreement
        found.append(alternative)
    return tuple(found)


def _normalized(text: str) -> str:
    return " ".join(text.lower().split())
