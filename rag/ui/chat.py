"""What the chat does with a question, apart from Gradio: answer it, and keep the turn for
follow-ups (``rag.ui.app`` wires these to the page and the ``/ask`` endpoint)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rag.index import Filter, SearchIndex
from rag.qa import ask
from rag.types import Answer
from rag.ui.format import NOT_FOUND_REPLY
from rag.ui.text import escape_text

DEFAULT_PASSAGES = 5

Messages = list[dict[str, Any]]


def answer_question(
    index: SearchIndex,
    question: str,
    k: int = DEFAULT_PASSAGES,
    history: Messages | None = None,
    filters: Filter | None = None,
) -> Answer:
    """``rag.ask`` on ``index``: the same answer, and the same JSON, as ``rag ask --json``.

    Raises:
        ValueError: ``k`` is out of range, or ``filters`` names an unknown source.
        TypeError: ``question`` is not a string.
    """
    return ask(question, index=index, k=int(k), history=history or None, filters=filters)


def filters_from(
    sources: Sequence[str] | None = None,
    since: str | None = "",
    until: str | None = "",
    kinds: Sequence[str] | None = None,
    doc_ids: Sequence[str] | None = None,
) -> Filter | None:
    """The filter the page's or the API's inputs describe (blank ones ignored); None for none.

    Raises:
        ValueError: a malformed date, ``since`` after ``until``, or an unknown kind.
    """
    return Filter.from_dict(
        {
            "sources": [source for source in sources or () if source],
            "kinds": [kind for kind in kinds or () if kind],
            "since": (since or "").strip() or None,
            "until": (until or "").strip() or None,
            "doc_ids": [doc_id for doc_id in doc_ids or () if doc_id],
        }
    )


def filter_summary(filters: Filter | None) -> str:
    """One line saying what the next answers are drawn from, shown beside the chat."""
    if filters is None:
        return '<p class="rag-filter-line">Answering from all articles.</p>'
    parts = []
    if filters.sources:
        parts.append(", ".join(filters.sources))
    if filters.kinds:
        parts.append(" and ".join(f"{kind}s" for kind in filters.kinds))
    if filters.since or filters.until:
        parts.append(f"published {filters.since or '…'} to {filters.until or '…'}")
    if filters.doc_ids:
        parts.append(f"{len(filters.doc_ids)} chosen article(s)")
    undated = " (articles without a date are left out)" if filters.since or filters.until else ""
    text = "Answering only from: " + "; ".join(parts) + undated + "."
    return f'<p class="rag-filter-line rag-filter-on">{escape_text(text)}</p>'


def user_message(question: str) -> dict[str, str]:
    """The asker's question as a chat message, escaped like article text."""
    return {"role": "user", "content": f'<div class="rag-question">{escape_text(question)}</div>'}


def history_turn(question: str, answer: Answer) -> Messages:
    """The plain-text turn kept for follow-ups: the question and the verbatim answer."""
    reply = answer.text or answer.sentence if answer.found else NOT_FOUND_REPLY
    return [{"role": "user", "content": question}, {"role": "assistant", "content": reply}]


def answer_json(answer: Answer) -> str:
    """``answer`` as the one-line JSON of ``rag ask --json``."""
    return json.dumps(answer.to_dict(), ensure_ascii=False)
