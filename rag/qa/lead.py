"""The lead of a wire story: where a headline-written question's answer most often sits.

A wire story ("LONDON, England (CNN) -- ...", "BERLIN (Reuters) - ...", "CHICAGO (AP) — ...") is
written as an inverted pyramid: the first sentence says who did what, where and how many, and its
summary bullets come from there. Questions written from the headline and bullets (the way the
NewsQA set was built) are answered there far more often than anywhere else: on the long news
probe, half of the 314 answers lie in the first tenth of their article.

The sentence re-ranker (``rag.qa.rerank``) is fitted on SQuAD, whose questions are spread evenly
over Wikipedia paragraphs, so it cannot learn this. It gets it as a fixed prior instead: a read
sentence of a wire story that starts within the first ``lead_chars`` characters of the story's
body adds ``lead_bonus`` to its re-ranking score (``RerankModel.lead_bonus``; chosen on the long
news probe, see benchmarks/README.md). A story is a wire story when its body opens with a
dateline; texts without one (Wikipedia, SQuAD, most feature pages) are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import is_dataclass, replace
from functools import lru_cache
from typing import TypeVar

import numpy as np

from rag.qa.reader import ProposedSpan
from rag.qa.sentences import Candidate
from rag.types import Article

S = TypeVar("S", bound=ProposedSpan)

#: A dateline opening the body: an upper-case place ("LOS ANGELES", "LA CORUNA", "WASHINGTON"),
#: optionally ", Region" or ", Dec 3", and an agency in brackets ("(CNN)"), one of the two at least,
#: then a dash ("--", "-", "—", "–"). Without an agency the place needs three capitals, so a
#: sentence opening with an initialism ("UN - ...") does not pass.
DATELINE = re.compile(
    r"""\s*
    (?:(?P<place>[A-Z][A-Z.'’\-]*(?:\s[A-Z][A-Z.'’\-]*){0,3})     # LOS ANGELES
    (?:,\s?[A-Z][\w.'’\-]*(?:\s[\w.'’\-]+){0,3})?)?            # , California / , Dec 3
    \s?(?P<agency>\((?:[A-Z][\w.&'’/\-]*\s?){1,4}\))?            # (CNN)
    \s?(?:--|—|–|-)\s                                            # the dash
    """,
    re.VERBOSE,
)
#: At most this many characters of the body are searched for the dateline.
DATELINE_MAX_CHARS = 80
#: Articles whose opening (body start, dateline end) is remembered.
OPENINGS_CACHED = 4096


def body_start(article: Article) -> int:
    """Offset where ``article``'s body begins: after a first line holding just its title
    (ingested pages keep the headline as their first line), else 0."""
    title = (article.title or "").strip()
    if not title:
        return 0
    first_line, newline, _ = article.text.partition("\n")
    if newline and first_line.strip() == title:
        rest = len(first_line) + 1
        return rest + len(article.text[rest:]) - len(article.text[rest:].lstrip())
    return 0


def dateline_end(article: Article) -> int:
    """Offset just past the dateline opening ``article``'s body ("NAIROBI, Kenya (CNN) -- "), or 0
    when there is none."""
    return _opening(article)[1]


@lru_cache(maxsize=OPENINGS_CACHED)
def _opening(article: Article) -> tuple[int, int]:
    """``(body_start, dateline_end)`` of ``article``, worked out once per article: each question
    asks it of every article it reads, twice (spans, then the prior)."""
    start = body_start(article)
    match = DATELINE.match(article.text[start : start + DATELINE_MAX_CHARS])
    if match is None:
        return start, 0
    letters = re.sub(r"[^A-Z]", "", match.group("place") or "")
    return start, start + match.end() if len(letters) >= 3 or match.group("agency") is not None else 0


def is_wire_story(article: Article) -> bool:
    """Whether ``article``'s body opens with a dateline ("NAIROBI, Kenya (CNN) -- ...").

    >>> from rag.types import Article
    >>> is_wire_story(Article(doc_id="a", title="", text="BERLIN (Reuters) - Volta said on ..."))
    True
    >>> is_wire_story(Article(doc_id="b", title="", text="Berlin is the capital of Germany."))
    False
    """
    return dateline_end(article) > 0


def outside_datelines(spans: Sequence[S], candidates: Iterable[Candidate]) -> list[S]:
    """``spans`` without their part inside a wire story's dateline: it says where the story was
    filed from, not what the story says ("Where was the flight coming from?" is not "WINNIPEG,
    Manitoba"). A span wholly inside it is dropped; one reaching past it starts after it ("PAU,
    France (CNN) -- Organizers of the Tour" gives "Organizers of the Tour"). The ``candidates``
    read give the spans' articles."""
    ends = {candidate.article.doc_id: dateline_end(candidate.article) for candidate in candidates}
    kept = []
    for span in spans:
        end = ends.get(span.doc_id, 0)
        if span.start >= end:
            kept.append(span)
        elif span.end > end and is_dataclass(span):
            moved: dict[str, object] = {"start": end}
            if isinstance(getattr(span, "text", None), str):  # rag.reader.HitSpan keeps its text
                moved["text"] = span.text[end - span.start :]  # type: ignore[attr-defined]
            kept.append(replace(span, **moved))  # type: ignore[type-var]
    return kept


def lead_prior(candidates: Sequence[Candidate], lead_bonus: float, lead_chars: int) -> np.ndarray:
    """``lead_bonus`` for each candidate sentence that starts within the first ``lead_chars``
    characters of a wire story's body, else 0."""
    prior = np.zeros(len(candidates))
    if lead_bonus == 0 or lead_chars <= 0:
        return prior
    for number, candidate in enumerate(candidates):
        body, dateline = _opening(candidate.article)
        if dateline and candidate.span.start - body < lead_chars:
            prior[number] = lead_bonus
    return prior
