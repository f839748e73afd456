"""The one reviewed place for boilerplate rules applied to scraped page text.

Every rule is general (it describes a *kind* of page furniture, not one site's
string) and has a test in ``tests/test_clean_rules.py``. A rule either drops a
whole line, or starts a block that runs until a call-to-action line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class LineRule:
    """A pattern that marks a whole line as page furniture, with why."""

    name: str
    pattern: re.Pattern[str]
    reason: str


def _rule(name: str, pattern: str, reason: str) -> LineRule:
    return LineRule(name, re.compile(pattern, re.IGNORECASE), reason)


# Lines dropped wherever they appear (matched against the stripped line).
LINE_RULES: tuple[LineRule, ...] = (
    _rule("advertisement", r"^(advertisement|sponsored( content)?|ad|promoted)$", "ad slot label"),
    _rule(
        "social",
        r"^(see more on|follow us on|like us on|share (this|on)|share via|tweet this)\b.*"
        r"|^(facebook|twitter|whatsapp|linkedin|email|print|reddit|x)$",
        "social-media button text",
    ),
    _rule(
        "share_prompt",
        r"^(enjoyed|liked|did you enjoy) this (story|article|post)\?.*$",
        "share prompt at the end of a story",
    ),
    _rule(
        "newsletter",
        r"^(sign up|subscribe)\b.*(newsletter|updated|inbox|free|now|today|here).*$"
        r"|^.*\bnewsletter\b.*(sign up|presents|delivered|subscribe|here).*$"
        r"|^view today'?s newsletter.*$",
        "newsletter sign-up",
    ),
    _rule(
        "privacy",
        r"^by (providing|submitting|entering|signing up|clicking)\b.*"
        r"(privacy|terms|policy).*$",
        "privacy/terms boilerplate under a sign-up form",
    ),
    _rule(
        "promo",
        r"^(get more with|download (our|the) app|read more|learn more|more on this"
        r"|related( articles| stories)?|recommended( for you)?|most (read|popular)"
        r"|click here|also read|read also|trending( now)?)\b.*$",
        "promotion or navigation link",
    ),
    _rule("empty_byline", r"^(written by|by|posted by|reporting by)\s*:?$", "byline with no name"),
    _rule(
        "photo_credit",
        r"(^|[.!?”\")]\s+)(photo|image|picture|file photo|graphic|video)s?\s*:\s*[\w .,&/'-]{1,60}$"
        r"|^\((photo|image)[^)]*\)$",
        "photo caption or credit",
    ),
    _rule(
        "print_edition",
        r"^this (article|story) (appeared|was published) in\b.*$",
        "print-edition note (its publisher is kept as the source)",
    ),
    _rule("about_author", r"^about the author\s*:.*$", "author/publisher blurb"),
    _rule(
        "copyright",
        r"^(©|\(c\)|copyright\b).{0,120}$|^all rights reserved\.?$",
        "copyright footer",
    ),
)

# A line that opens a promo block; the block runs to the first call-to-action
# line (inclusive) if one follows within ``PROMO_BLOCK_MAX_LINES`` lines.
PROMO_BLOCK_START = re.compile(r"^(get more with|download (our|the) app)\b", re.IGNORECASE)
CALL_TO_ACTION = re.compile(
    r"^(learn more|sign up|subscribe|download|find out more|read more|try it)\b.*$", re.IGNORECASE
)
PROMO_BLOCK_MAX_LINES = 4

# Dates announced on their own line, e.g. "Updated: September 4, 2019".
DATE_LINE = re.compile(
    r"^(?P<label>published|updated|posted|last updated|first published|date)\s*:?\s*"
    r"(?P<value>.+)$",
    re.IGNORECASE,
)

# Where a page names its publisher.
SOURCE_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"appeared in (?:the )?(?P<source>(?:the )?[A-Z][\w.&' -]+?) print edition", re.I),
    re.compile(r"^about the author\s*:\s*(?P<source>.+?)\s+(?:is|was|are)\b", re.I),
    re.compile(r"^(?:source|publisher)\s*:\s*(?P<source>.+)$", re.I),
    re.compile(r"^(?:©|\(c\)|copyright)\s*(?:\d{4}\s*)?(?P<source>[A-Z][\w.&' -]+?)\.?$", re.I),
    # a wire dateline: "LONDON, England (CNN) --", "WASHINGTON (AP) —", "BEIJING (Reuters) -"
    re.compile(
        r"^[A-Z][A-Z.'’-]{2,}(?:\s+[A-Z][A-Z.'’-]+)*(?:,\s*[A-Z][\w.'’ -]{1,30})?\s*"
        r"\((?P<source>[A-Z][\w.&'’-]*(?:\s+[\w.&'’-]+){0,2})\)\s*(?:--|—|–|-)"
    ),
)

# Teaser footer of a related-stories block: "By The Korea Herald" then a date line.
TEASER_BYLINE = re.compile(r"^by\s+(?P<source>\S.{0,80})$", re.IGNORECASE)

# A line reads as prose when it ends like a sentence (optionally inside quotes
# or brackets). Short lines that do not are headings, labels or link text.
SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$|[:;]$")
HEADING_MAX_WORDS = 24
TITLE_MIN_WORDS = 4
BULLET = re.compile(r"^\s*[•·▪‣◦*-]\s+")


def matching_rule(line: str) -> LineRule | None:
    """Return the first rule that marks ``line`` as boilerplate, else None."""
    stripped = line.strip()
    if not stripped:
        return None
    for rule in LINE_RULES:
        if rule.pattern.search(stripped):
            return rule
    return None


def is_sentence_like(line: str) -> bool:
    """True when a line ends like prose rather than a heading or link text."""
    stripped = BULLET.sub("", line.strip())
    return bool(SENTENCE_END.search(stripped)) or len(stripped.split()) > HEADING_MAX_WORDS
