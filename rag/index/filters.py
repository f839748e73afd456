"""Which articles a question may be answered from: sources, kinds, a publication-date range, ids.

A :class:`Filter` is applied inside retrieval (``Index.search(..., filters=...)``): the ``k``
passages returned all pass it, not ``k`` passages of which some are then dropped. An article
with no known publication date never passes a date bound. :meth:`Filter.to_expression` writes
the same condition as a Milvus boolean expression, for a server-side index to apply it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property
from typing import Any, TypeVar, get_args

from rag.types import Article, ArticleKind

KINDS: tuple[ArticleKind, ...] = get_args(ArticleKind)
T = TypeVar("T")


def parse_day(value: str | date | None, name: str) -> date | None:
    """``value`` as a date (``YYYY-MM-DD``); ValueError naming ``name`` and the value otherwise."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise ValueError(f"{name} must be a date as YYYY-MM-DD, got {value!r}") from None


def published_day(article: Article) -> date | None:
    """The article's publication day, or None when unknown or unreadable."""
    return parse_published(article.published)


def parse_published(published: str | None) -> date | None:
    """The day of an ISO 8601 publication date ("2019-09-04", "2018-05-03T21:21"), or None."""
    if not published:
        return None
    try:
        return datetime.fromisoformat(published).date()
    except ValueError:
        return None


@dataclass(frozen=True)
class Filter:
    """Articles allowed: every given condition must hold (an empty one allows everything).

    Attributes:
        sources: allowed ``Article.source`` values; a search matches them to the indexed
            spelling, case-insensitively, and names one no article has (:meth:`with_sources_of`).
        kinds: allowed kinds (``"article"``, ``"teaser"``).
        since, until: publication-date bounds, both inclusive.
        doc_ids: allowed article ids.

    Raises:
        ValueError: an unknown kind, a malformed date, or ``since`` after ``until``; the message
            names the bad value.
    """

    sources: tuple[str, ...] = ()
    kinds: tuple[ArticleKind, ...] = ()
    since: date | None = None
    until: date | None = None
    doc_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("sources", "kinds", "doc_ids"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"{name} must be a sequence of strings, not one string: use ({value!r},)")
            object.__setattr__(self, name, tuple(value))
        for kind in self.kinds:
            if kind not in KINDS:
                raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
        object.__setattr__(self, "since", parse_day(self.since, "since"))
        object.__setattr__(self, "until", parse_day(self.until, "until"))
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since ({self.since}) is after until ({self.until})")

    @cached_property
    def _hash(self) -> int:
        return hash((self.sources, self.kinds, self.since, self.until, self.doc_ids))

    def __hash__(self) -> int:  # computed once: a filter of 50k ids is looked up on every search
        return self._hash

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Filter | None:
        """A filter from JSON-like options (``sources``, ``kinds``, ``since``, ``until``,
        ``doc_ids``); None when nothing is set."""
        if not data:
            return None
        unknown = set(data) - {"sources", "kinds", "since", "until", "doc_ids"}
        if unknown:
            raise ValueError(f"unknown filter option {sorted(unknown)[0]!r}")
        made = cls(
            sources=tuple(data.get("sources") or ()),
            kinds=tuple(data.get("kinds") or ()),
            since=data.get("since") or None,
            until=data.get("until") or None,
            doc_ids=tuple(data.get("doc_ids") or ()),
        )
        return None if made.is_empty else made

    @property
    def is_empty(self) -> bool:
        return not (self.sources or self.kinds or self.since or self.until or self.doc_ids)

    def allows(self, article: Article) -> bool:
        if self.sources and article.source not in self.sources:
            return False
        if self.kinds and article.kind not in self.kinds:
            return False
        if self.doc_ids and article.doc_id not in self.doc_ids:
            return False
        if self.since or self.until:
            day = published_day(article)
            if day is None or (self.since and day < self.since) or (self.until and day > self.until):
                return False
        return True

    def with_sources_of(self, known: Iterable[str | None]) -> Filter:
        """This filter with each source spelled as the indexed articles spell it ("the korea
        herald" → "The Korea Herald").

        Raises:
            ValueError: naming the first source no indexed article has.
        """
        if not self.sources:
            return self
        spelled = {source.casefold(): source for source in known if source}
        canonical = []
        for source in self.sources:
            if source.casefold() not in spelled:
                listed = ", ".join(sorted(spelled.values())) or "none"
                raise ValueError(f"unknown source {source!r} (indexed sources: {listed})")
            canonical.append(spelled[source.casefold()])
        return replace(self, sources=tuple(canonical))

    def to_expression(self) -> str:
        """The same condition as a Milvus boolean expression over the fields ``source``,
        ``kind``, ``published`` (``YYYYMMDD`` as an integer, 0 when unknown) and ``doc_id``."""
        parts = []
        if self.sources:
            parts.append(f"source in {list(self.sources)!r}".replace("'", '"'))
        if self.kinds:
            parts.append(f"kind in {list(self.kinds)!r}".replace("'", '"'))
        if self.since:
            parts.append(f"published >= {self.since:%Y%m%d}")
        if self.until:
            parts.append(f"published > 0 and published <= {self.until:%Y%m%d}")
        if self.doc_ids:
            parts.append(f"doc_id in {list(self.doc_ids)!r}".replace("'", '"'))
        return " and ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sources": list(self.sources),
            "kinds": list(self.kinds),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "doc_ids": list(self.doc_ids),
        }


class MaskCache:
    """What the last few filters allow, forgotten when the index's contents change (a chat asks
    many questions under one filter; at 100k chunks working it out costs tens of milliseconds)."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._version = -1
        self._masks: dict[Filter, Any] = {}

    def get(self, version: int, filters: Filter, compute: Callable[[], T]) -> T:
        if version != self._version:
            self._masks, self._version = {}, version
        if filters not in self._masks:
            if len(self._masks) >= self.size:
                del self._masks[next(iter(self._masks))]
            self._masks[filters] = compute()
        return self._masks[filters]  # type: ignore[no-any-return]
