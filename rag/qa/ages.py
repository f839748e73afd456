"""An age is not a count: "How many people fled?" is not answered by "67" of "Linda Ferraro, 67,".

News names people with their ages ("Marcus Flynn, 19, who works ...", "a 34-year-old mother",
"aged 14 to 67"), and a reader trained on SQuAD takes such a figure for the answer to a "how
many" question when the sentence is about the people asked of. A span that is only an age
(an age appositive after a name, "NN-year-old", "aged NN", "ages NN to NN") is dropped from the
reader's proposals for "how many" questions, so the sentence holding the count can win. "How
old" questions keep them. Hand-written English rules; nothing here is fitted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TypeVar

from rag.qa.reader import ProposedSpan
from rag.qa.sentences import Candidate

__all__ = ["asks_count", "is_age", "without_ages"]

_COUNT = re.compile(r"\bhow\s+many\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d{1,3}(?:\s*(?:to|and|-)\s*\d{1,3})?")
# what may stand right before an age: "Flynn, 19," or "Perez (52)" (a name), "aged", "age of", "ages"
_BEFORE = re.compile(
    r"(?:\b[A-Z][\w'.-]*(?:,\s*|\s*\(\s*)"
    r"|\baged?\s+(?:of\s+|from\s+|between\s+)?"
    r"|\bages\s+(?:of\s+|from\s+|between\s+)?)$"
)
# what may follow: "19," or "19)" after a name; "-year-old", " years old"
_AFTER_APPOSITIVE = re.compile(r"^\s*[,)]")
_AFTER_YEARS = re.compile(r"^(?:-|\s)years?(?:-|\s)old\b", re.IGNORECASE)


def asks_count(question: str) -> bool:
    """Whether ``question`` asks "how many"."""
    return bool(_COUNT.search(question))


def is_age(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a figure (or range) that the text gives as someone's age."""
    if not _NUMBER.fullmatch(text[start:end].strip()):
        return False
    before, after = text[max(0, start - 40) : start], text[end : end + 12]
    if _AFTER_YEARS.match(after):
        return True
    match = _BEFORE.search(before)
    if match is None:
        return False
    if match.group(0)[0].isupper():  # "Name, 19," or "Name (19)": only with a comma or bracket after it
        return bool(_AFTER_APPOSITIVE.match(after))
    return True


S = TypeVar("S", bound=ProposedSpan)


def without_ages(question: str, spans: Sequence[S], candidates: Iterable[Candidate]) -> list[S]:
    """``spans`` less those that are ages, when ``question`` asks "how many"; the ``candidates``
    read give the spans' article texts."""
    if not asks_count(question):
        return list(spans)
    texts = {candidate.article.doc_id: candidate.article.text for candidate in candidates}
    return [
        span
        for span in spans
        if span.doc_id not in texts or not is_age(texts[span.doc_id], span.start, span.end)
    ]
