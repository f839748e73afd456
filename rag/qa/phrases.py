"""Typed phrases in a sentence: dates, numbers, names, places, reasons.

They are the answer candidates of the span picker and the answer-type signals of the
sentence ranker ("When ..." wants a sentence holding a date that the question lacks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

PhraseKind = Literal["date", "number", "percent", "money", "name", "place", "reason"]
PHRASE_KINDS: tuple[PhraseKind, ...] = ("date", "number", "percent", "money", "name", "place", "reason")

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_YEAR = r"(?:1[0-9]{3}|20[0-9]{2})"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_NUMBER_WORD = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
    r"|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
    r"|hundred|thousand|million|billion|trillion|dozen|half|quarter|several|single|double|triple"
    r"|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|hundreds|thousands"
    r"|millions|billions|dozens)"
)
_SCALE = r"(?:\s+(?:hundred|thousand|million|billion|trillion))"
# "over 100", "more than a third": kept as a longer alternative of the bare number.
_QUANTIFIER = r"(?:(?:more|less|fewer)\s+than(?:\s+an?)?|over|under|almost|nearly|about|around|approximately|roughly|at\s+least|at\s+most|up\s+to|some|only|just)"
_NUMERAL = rf"(?:\d+(?:st|nd|rd|th)\b|\d[\d,]*(?:\.\d+)?{_SCALE}?|\b{_NUMBER_WORD}(?:[-\s]{_NUMBER_WORD})*\b)"

_PATTERNS: tuple[tuple[PhraseKind, re.Pattern[str]], ...] = (
    (
        "date",
        re.compile(
            rf"\b(?:{_WEEKDAY},?\s+)?(?:{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?|{_DAY}\s+{_MONTH}(?:,?\s+{_YEAR})?"
            rf"|{_MONTH}\s+{_YEAR})\b"
            rf"|\b{_WEEKDAY}\b|\b(?:early|mid|late)[-\s]{_MONTH}\b|\b{_MONTH}(?=\s+(?:when|and|as|to|after|before|,|\.))"
            rf"|\b(?:the\s+)?(?:early\s+|mid-?|late\s+)?{_YEAR}s?\b(?:\s*(?:–|-|to)\s*{_YEAR})?"
            r"|\b\d{1,2}(?:st|nd|rd|th)\s+(?:century|centuries)\b|\b\d{2,4}\s*(?:BC|AD|BCE|CE)\b",
            re.IGNORECASE,
        ),
    ),
    ("percent", re.compile(rf"{_NUMERAL}\s*(?:%|percent\b|per\s+cent\b)", re.IGNORECASE)),
    (
        "money",
        re.compile(
            rf"(?:(?:US|A|C|HK|NZ)?[$£€¥]\s?\d[\d,]*(?:\.\d+)?{_SCALE}?|{_NUMERAL}\s+(?:dollars|pounds|euros|yuan|yen|USD)\b)",
            re.IGNORECASE,
        ),
    ),
    ("number", re.compile(rf"(?<![\w.]){_NUMERAL}(?![\w])", re.IGNORECASE)),
    ("name", re.compile(r"(?<=[\"“])[^\"“”]{2,60}(?=[\"”])")),
    (
        "reason",
        re.compile(r"\b(?:because(?:\s+of)?|due\s+to|owing\s+to|in\s+order\s+to|so\s+that|since)\b[^.;:]*"),
    ),
)

# Capitalized words, allowing "of", "the", "de", "and" inside ("University of Chicago").
_CAPITALIZED = r"(?:[A-Z]\.(?=\s+[A-Z])|[A-Z](?:[\w’'-]|\.(?=\w))*)"
_NAME = re.compile(rf"{_CAPITALIZED}(?:\s+(?:(?:of|the|de|del|la|von|van|der|and|&)\s+)*{_CAPITALIZED})*")
_LEADING_ARTICLE = re.compile(r"^(?:The|A|An)\s+")
_PLACE_CUE = re.compile(r"\b(?:in|at|from|near|to|into|across|throughout|outside|inside|on)\s+(?:the\s+)?$")
_TRAILING_CONNECTOR = re.compile(r"(?:\s+(?:of|the|de|del|la|von|van|der|and|&))+$")


_QUANTIFIED = re.compile(rf"\b{_QUANTIFIER}\s+$", re.IGNORECASE)
_YEAR_INSIDE = re.compile(rf"\b{_YEAR}\b")


@dataclass(frozen=True)
class Phrase:
    """A typed phrase: ``kind`` and ``[start, end)`` offsets into the sentence."""

    kind: PhraseKind
    start: int
    end: int


def _names(sentence: str) -> list[Phrase]:
    phrases = []
    for match in _NAME.finditer(sentence):
        text = _TRAILING_CONNECTOR.sub("", match.group()).rstrip("’'-")
        start = match.start()
        article = _LEADING_ARTICLE.match(text)
        if article and start == 0:
            start += article.end()
            text = text[article.end() :]
        if not text:
            continue
        if start == 0 and " " not in text:
            continue  # a lone capitalized first word is usually just the sentence start
        end = start + len(text)
        kind: PhraseKind = (
            "place" if _PLACE_CUE.search(sentence[max(0, start - PLACE_CUE_REACH) : start]) else "name"
        )
        phrases.append(Phrase(kind, start, end))
    return phrases


#: Distinct sentences whose phrases are remembered.
PHRASE_CACHE_SIZE = 50_000
#: Characters before a name searched for a place cue ("in", "at", "from"...).
PLACE_CUE_REACH = 20
#: Shorter "because ..." matches are fragments, not reasons.
MIN_REASON_CHARACTERS = 12
#: Characters before a number searched for a quantifier ("more than", "about"...).
QUANTIFIER_REACH = 30


@lru_cache(maxsize=PHRASE_CACHE_SIZE)
def find_phrases(sentence: str) -> tuple[Phrase, ...]:
    """Typed phrases of ``sentence`` in order of position; a place is also a name.

    Overlaps are resolved by kind order: a date wins over the number inside it.
    """
    taken = [False] * len(sentence)
    phrases: list[Phrase] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(sentence):
            start, end = match.start(), match.end()
            while end > start and sentence[end - 1] in " ,":
                end -= 1
            if end <= start or any(taken[start:end]):
                continue
            if kind == "reason" and end - start < MIN_REASON_CHARACTERS:
                continue
            phrases.append(Phrase(kind, start, end))
            if kind in ("number", "percent", "money"):
                reach = max(0, start - QUANTIFIER_REACH)
                quantifier = _QUANTIFIED.search(sentence[reach:start])
                if quantifier:
                    phrases.append(Phrase(kind, reach + quantifier.start(), end))
            if kind == "date":
                for year in _YEAR_INSIDE.finditer(sentence, start, end):
                    if (year.start(), year.end()) != (start, end):
                        phrases.append(Phrase(kind, year.start(), year.end()))
            if kind not in ("reason", "name"):
                taken[start:end] = [True] * (end - start)
    for phrase in _names(sentence):
        if not any(taken[phrase.start : phrase.end]):
            phrases.append(phrase)
            if phrase.kind == "place":
                phrases.append(Phrase("name", phrase.start, phrase.end))
    return tuple(sorted(set(phrases), key=lambda phrase: (phrase.start, phrase.end, phrase.kind)))
