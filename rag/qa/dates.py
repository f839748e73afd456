"""Relative and partial dates in a quoted sentence, resolved against the article's publication date.

News writes "on Monday", "in May", "last year", "two weeks ago", "since March last year",
"October 1": dates that mean something only next to the day the story ran. Each such phrase
of an answer's sentence becomes a :class:`rag.types.ResolvedDate` (offsets into the article,
the date, and its granularity: day, month or year).

Finding the phrases is a short list of patterns (weekdays, month names, "last/next ...",
"N ... ago"); turning them into dates is dateparser's job, given the publication date as the
base. The tense of the sentence decides between the last and the next Monday: "will", "is due
to", "next" point forward, past-tense verbs back; a weekday with no cue is taken as past (news
reports what happened), a month or day without a year as in the publication's year. An article
without a publication date, a phrase that already names its year, and "last week" (no day,
month or year to give) resolve to nothing rather than to a guess.
"""

from __future__ import annotations

import re
import warnings
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from rag.index.filters import parse_published
from rag.types import DateGranularity, ResolvedDate, Span

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAYS = "(?:" + "|".join(WEEKDAY_NAMES) + ")"
_MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
# News style abbreviates months before a day ("Aug. 16", "Sept. 3"); only there, since "Jan" or
# "Dec" alone may be a name.
_ABBREVIATED = r"(?:Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec)\.?"
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_COUNT = r"(?:\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"

# Each pattern names its kind; the first to match a stretch of text wins. The group ``phrase``
# is what the answer shows ("Monday" of "on Monday", "May" of "in May").
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # "March last year", "May this year": a month in a year given relatively
    ("month_of_relative_year", re.compile(rf"\b(?P<phrase>(?P<month>{_MONTHS})\s+(?P<which>last|this|next)\s+year)\b")),
    # "October 1", "1 October" without a year after it
    ("day_of_month", re.compile(rf"\b(?P<phrase>(?:{_MONTHS}|{_ABBREVIATED})\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS})\b(?!,?\s+\d{{4}})")),
    # "last May", "next March": a month given relatively
    ("relative_month", re.compile(rf"\b(?P<phrase>(?P<which>last|next)\s+(?P<month>{_MONTHS}))\b(?!,?\s+\d)")),
    # "in May", "since March", "early June", "by December": a month without a year after it
    ("month", re.compile(rf"\b(?:in|since|by|until|from|during|through|early|late|mid-|this)\s*(?P<phrase>{_MONTHS})\b(?!,?\s+\d)")),
    ("weekday", re.compile(rf"\b(?P<phrase>(?:(?P<which>last|next|this)\s+)?(?P<day>{_WEEKDAYS}))\b")),
    ("ago", re.compile(rf"\b(?P<phrase>(?P<count>{_COUNT})\s+(?P<unit>day|week|month|year)s?\s+ago)\b", re.IGNORECASE)),
    ("relative_period", re.compile(r"\b(?P<phrase>(?:last|this|next)\s+(?P<unit>month|year))\b", re.IGNORECASE)),
    ("relative_day", re.compile(r"\b(?P<phrase>yesterday|today|tomorrow)\b", re.IGNORECASE)),
)  # fmt: skip
_FUTURE = re.compile(
    r"\b(?:will|shall|is to|are to|(?:is|are) due to|(?:is|are) expected to|plans? to|scheduled|upcoming|next)\b",
    re.IGNORECASE,
)
# Past-tense cues; "-ed" words only in lower case, so "United" is not one.
_PAST = re.compile(r"\b(?:[Ww]as|[Ww]ere|[Hh]ad|[Dd]id|said|ago|[Ll]ast|earlier|previously|[a-z]{3,}ed)\b")

Tense = Literal["past", "future", "none"]


def resolve_dates(text: str, start: int, end: int, published: str | None) -> tuple[ResolvedDate, ...]:
    """The relative or partial dates of ``text[start:end]`` (a sentence), resolved against ``published``.

    Arguments:
        text: the article text.
        start, end: the sentence's offsets into it.
        published: the article's ISO publication date ("2019-09-04" or "2019-09-04T10:30").

    Returns:
        One :class:`ResolvedDate` per phrase, in order of position, with article offsets; none
        when ``published`` is missing or unreadable.
    """
    base = parse_published(published)
    if base is None:
        return ()
    sentence = text[start:end]
    taken = [False] * len(sentence)
    found: list[ResolvedDate] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(sentence):
            first, last = match.span("phrase")
            if any(taken[first:last]):
                continue
            resolved = _resolve(kind, match, base, _tense(sentence, first, last))
            if resolved is None:
                continue
            when, granularity = resolved
            for position in range(first, last):
                taken[position] = True
            found.append(
                ResolvedDate(
                    text=match.group("phrase"),
                    span=Span(start + first, start + last),
                    date=_iso(when, granularity),
                    granularity=granularity,
                )
            )
    return tuple(sorted(found, key=lambda item: item.span.start))


def _tense(sentence: str, start: int, end: int) -> Tense:
    """Future or past by the cue nearest to the phrase (its own words count: "next", "last")."""
    cues = [(match.start(), "future") for match in _FUTURE.finditer(sentence)]
    cues += [(match.start(), "past") for match in _PAST.finditer(sentence)]
    if not cues:
        return "none"
    middle = (start + end) / 2
    return min(cues, key=lambda cue: abs(cue[0] - middle))[1]  # type: ignore[return-value]


def _resolve(
    kind: str, match: re.Match[str], base: date, tense: Tense
) -> tuple[date, DateGranularity] | None:
    shift = {"last": -1, "this": 0, "next": 1}
    if kind == "month_of_relative_year":
        month = datetime.strptime(match.group("month"), "%B").month
        return date(base.year + shift[match.group("which")], month, 1), "month"
    if kind == "relative_month":
        which = "past" if match.group("which") == "last" else "future"
        when = _parse(match.group("month"), base, which)
        return (when, "month") if when is not None else None
    if kind == "relative_day":
        days = {"yesterday": -1, "today": 0, "tomorrow": 1}[match.group("phrase").lower()]
        return base + timedelta(days=days), "day"
    if kind == "weekday":
        return _weekday(match.group("day"), match.group("which"), base, tense), "day"
    if kind == "ago":
        count = match.group("count").lower()
        number = int(count) if count.isdigit() else _NUMBER_WORDS[count]
        unit = match.group("unit").lower()
        granularity: DateGranularity = "day" if unit in ("day", "week") else unit  # type: ignore[assignment]
        when = _parse(f"{number} {unit}s ago", base, "past")
        return (when, granularity) if when is not None else None
    if kind == "relative_period":
        when = _parse(match.group("phrase"), base, "past")
        return (when, match.group("unit").lower()) if when is not None else None  # type: ignore[return-value]
    prefer = {"past": "past", "future": "future", "none": "current_period"}[tense]
    when = _parse(match.group("phrase"), base, prefer)
    if when is None:
        return None
    return (when, "day") if kind == "day_of_month" else (when, "month")


def _weekday(name: str, qualifier: str | None, base: date, tense: Tense) -> date:
    """The weekday ``name`` nearest ``base`` in the direction the sentence points to; the
    publication day itself when it is that weekday and nothing says otherwise."""
    target = WEEKDAY_NAMES.index(name)
    if qualifier == "next" or (qualifier is None and tense == "future"):
        return base + timedelta(days=(target - base.weekday()) % 7 or 7)
    if qualifier is None and target == base.weekday():
        return base
    return base - timedelta(days=(base.weekday() - target) % 7 or 7)


@lru_cache(maxsize=1)
def _dateparser() -> Any:
    with warnings.catch_warnings():  # it warns about its own dependencies on import
        warnings.simplefilter("ignore")
        import dateparser

    return dateparser


def _parse(phrase: str, base: date, prefer: str) -> date | None:
    settings = {
        "RELATIVE_BASE": datetime(base.year, base.month, base.day),
        "PREFER_DATES_FROM": prefer,
        "PREFER_DAY_OF_MONTH": "first",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = _dateparser().parse(phrase, languages=["en"], settings=settings)
    return parsed.date() if parsed is not None else None


def _iso(when: date, granularity: DateGranularity) -> str:
    return {"day": when.isoformat(), "month": when.strftime("%Y-%m"), "year": str(when.year)}[granularity]
