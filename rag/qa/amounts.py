"""Amounts keep the words that bound them: "at least 38", not "38".

A span reader trained on SQuAD often answers "How many people died?" with the bare number of
"killed at least 38 people". The bare number states something the article did not say (38
dead, where 38 is only a floor), and readers of news ask for such figures all the time. When
the chosen span starts with an amount and the sentence puts a bounding word right before it
("at least", "more than", "over", "nearly", "up to", ...), the answer takes that word; a span
that is a range ("150,000 and 200,000") takes the "between" before it. Words that only make an
amount approximate ("about", "around", "some") are left out: they do not change what it says,
and SQuAD's reference answers mostly leave them out. Hand-written English rules; nothing here
is fitted.
"""

from __future__ import annotations

import re

__all__ = ["with_bound"]

# An amount: a figure (with a currency sign) or a number word, at the start of a span.
_AMOUNT = re.compile(
    r"^(?:(?:US|C|A|HK)?[$€£¥₹]\s?)?\d"
    r"|^(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|half|a\s+third|"
    r"a\s+quarter|a\s+half|two-thirds|three-quarters|one-third|one-quarter|a\s+dozen|dozens|"
    r"hundreds|thousands|millions|a\s+hundred|a\s+thousand|a\s+million)\b",
    re.IGNORECASE,
)
# A bounding word (or two) right before the amount.
_BOUND = re.compile(
    r"\b(?:at\s+least|at\s+most|no\s+more\s+than|no\s+fewer\s+than|no\s+less\s+than|more\s+than|"
    r"less\s+than|fewer\s+than|up\s+to|upwards\s+of|(?:well\s+|just\s+)?(?:over|under)|nearly|almost|"
    r"as\s+(?:many|much|few|little)\s+as)\s+$",
    re.IGNORECASE,
)
# A range span: "<amount> and <amount>" or "<amount> to <amount>".
_RANGE = re.compile(r"^\S+.*\s(?:and|to)\s+\S", re.IGNORECASE)
_BETWEEN = re.compile(r"\bbetween\s+$", re.IGNORECASE)
# "over 2015" is not an amount with a bound: a bare year after "over"/"under" is left alone.
_YEAR = re.compile(r"^(?:1[5-9]|20)\d\d\b")


def with_bound(sentence: str, start: int, end: int) -> tuple[int, int] | None:
    """``(start, end)`` grown leftwards over the bounding words of the amount that starts the
    span ``sentence[start:end]`` ("more than" of "more than 1,600"); None when it does not apply.

    Example:
        >>> s = "The quake killed at least 38 people."
        >>> s[slice(*with_bound(s, s.index("38"), s.index("38") + 2))]
        'at least 38'
    """
    span = sentence[start:end]
    if not span or _AMOUNT.match(span) is None:
        return None
    before = sentence[:start]
    if _RANGE.match(span) is not None:
        between = _BETWEEN.search(before)
        if between is not None:
            return between.start(), end
    bound = _BOUND.search(before)
    if bound is None:
        return None
    if _YEAR.match(span) is not None and bound.group(0).split()[-1].lower() in {"over", "under"}:
        return None
    return bound.start(), end
