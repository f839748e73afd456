"""``rag.ask``: one shared :class:`rag.QA` per index, made on first use and dropped with the index."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from typing import Any

from rag.index import Filter, SearchIndex
from rag.index.base import DEFAULT_K
from rag.qa.answerer import QA
from rag.qa.defaults import default_index
from rag.types import Answer

_answerers: weakref.WeakKeyDictionary[SearchIndex, QA] = weakref.WeakKeyDictionary()
_answerers_lock = threading.Lock()


def answerer_for(index: SearchIndex | None = None) -> QA:
    """The shared :class:`QA` of ``index`` (one per index, as long as the index lives)."""
    index = index if index is not None else default_index()
    with _answerers_lock:
        qa = _answerers.get(index)
        if qa is None:
            qa = QA(index)
            _answerers[index] = qa
        return qa


def ask(
    question: str,
    index: SearchIndex | None = None,
    k: int = DEFAULT_K,
    history: Sequence[Any] | None = None,
    filters: Filter | None = None,
) -> Answer:
    """Answer ``question`` from ``index`` (default: :func:`default_index`).

    See :meth:`QA.ask` for ``history``, ``filters`` and the returned :class:`rag.Answer`.

    Example:
        >>> answer = ask("Who did Wang Yi meet in Pyongyang?")  # doctest: +SKIP
        >>> answer.text, answer.citations[0].title  # doctest: +SKIP
    """
    if index is not None and not isinstance(index, SearchIndex):
        raise TypeError(f"index must be a rag.Index (from rag.load_index), got {type(index).__name__}")
    return answerer_for(index).ask(question, history=history, k=k, filters=filters)
