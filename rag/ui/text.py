"""Text as the page shows it: escaped article text and dates."""

from __future__ import annotations

from datetime import datetime

# HTML's special characters, and the ones Markdown (or the chat's LaTeX and emoji handling)
# would act on, as numeric entities: they display the same and mean nothing.
_ESCAPES = str.maketrans({character: f"&#{ord(character)};" for character in "&<>\"'\\*_`[]#~|$:"})


def escape_text(text: str) -> str:
    """HTML-escape ``text`` and neutralise Markdown characters; newlines become ``<br>``."""
    escaped = text.translate(_ESCAPES)
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


def format_date(published: str | None) -> str:
    """``2019-09-04`` -> ``4 Sep 2019``; anything unparsable is shown as given."""
    if not published:
        return ""
    try:
        moment = datetime.fromisoformat(published)
    except ValueError:
        return published
    return f"{moment.day} {moment.strftime('%b %Y')}"
