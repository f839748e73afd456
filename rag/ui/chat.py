"""What the chat does with a question, apart from Gradio: answer it, and keep the turn for
follow-ups (``rag.ui.app`` wires these to the page and the ``/ask`` endpoint)."""

from __future__ import annotations

import json
from typing import Any

from rag.index import Index
from rag.qa import ask
from rag.types import Answer
from rag.ui.format import NOT_FOUND_REPLY, escape_text

DEFAULT_PASSAGES = 5

Messages = list[dict[str, Any]]


def answer_question(
    index: Index, question: str, k: int = DEFAULT_PASSAGES, history: Messages | None = None
) -> Answer:
    """``rag.ask`` on ``index``: the same answer, and the same JSON, as ``rag ask --json``.

    Raises:
        ValueError: ``k`` is out of range.
        TypeError: ``question`` is not a string.
    """
    return ask(question, index=index, k=int(k), history=history or None)


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
