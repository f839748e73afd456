"""Parse the dates news pages print into ISO 8601."""

from __future__ import annotations

import re
import warnings
from functools import lru_cache

_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\s*(am|pm)?\b|\b\d{1,2}\s*(am|pm)\b", re.IGNORECASE)
_MONTHS = (
    r"(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?"
    r"|oct(ober)?|nov(ember)?|dec(ember)?)\.?"
)
# A line that is only a date (optionally with weekday and time), nothing else.
DATE_ONLY = re.compile(
    rf"^((mon|tues|wednes|thurs|fri|satur|sun)day,?\s*)?"
    rf"(\d{{1,2}}\s+{_MONTHS},?\s+\d{{4}}|{_MONTHS}\s+\d{{1,2}},?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
    rf"([,\s]+(at\s+)?\d{{1,2}}([:.]\d{{2}})?\s*(am|pm)?)?(\s*[A-Z]{{2,4}})?\s*$",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _parser():  # type: ignore[no-untyped-def]
    # Imported lazily: dateparser takes about a second to import.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import dateparser

    return dateparser


def parse_date(value: str) -> str | None:
    """Return ``value`` as ISO 8601 ("2019-09-04" or "2018-05-03T21:21"), or None.

    >>> parse_date("PUBLISHED : Thursday, 03 May, 2018, 9:21pm")  # doctest: +SKIP
    '2018-05-03T21:21'
    """
    text = value.strip().strip(":").strip()
    if not text or len(text) > 80 or not re.search(r"\d", text):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = _parser().parse(
            text,
            languages=["en"],
            settings={"PREFER_DAY_OF_MONTH": "first", "RETURN_AS_TIMEZONE_AWARE": False},
        )
    if parsed is None:
        return None
    if _TIME.search(text):
        return parsed.strftime("%Y-%m-%dT%H:%M")
    return parsed.strftime("%Y-%m-%d")


def is_date_only(line: str) -> bool:
    """True when a line holds a date and nothing else ("November 18, 2019")."""
    return bool(DATE_ONLY.match(line.strip()))
