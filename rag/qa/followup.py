"""Follow-up questions in a chat: "What did he say about Hong Kong?" after "Who did Wang Yi meet?".

No language model: when a question leans on the previous turn (a pronoun such as "he" or
"it", or too few words of its own, as in "And in May?"), the names, places and dates of
the last turn's question and answer are carried over and appended to it.

Accepted history forms (oldest turn first):

- ``[("Who did Wang Yi meet?", "Ri Yong-ho"), ...]``: (question, answer text) pairs;
- ``[rag.Answer, ...]``: answers returned earlier (their ``question`` and ``text``);
- ``[{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}, ...]``:
  chat messages as Gradio and OpenAI-style clients keep them (``content`` a string or a
  list of ``{"type": "text", "text": ...}`` parts).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rag.qa.phrases import find_phrases
from rag.qa.text import content_stems, stem
from rag.types import Answer

#: Names carried over from the last turn, at most (more would drown the question's own words).
MAX_CARRIED = 2
#: A question with fewer content words than this is elliptical ("Why?", "And in May?").
MIN_OWN_WORDS = 2

_PRONOUNS = re.compile(
    r"\b(?:he|she|him|her|his|hers|they|them|their|theirs|it|its|this|that|these|those|there|then)\b",
    re.IGNORECASE,
)
#: Pronouns :func:`rewrite` replaces with a carried name ("his" becomes "Ri Yong-ho's").
_REPLACEABLE = re.compile(r"\b(?:he|she|him|her|they|them|it|his|its|their|hers|theirs)\b", re.IGNORECASE)
_POSSESSIVES = frozenset({"his", "its", "their", "hers", "theirs"})
_CONTINUATION = re.compile(r"^\s*(?:and|but|also|so|what about|how about)\b", re.IGNORECASE)
_CARRIED_KINDS = ("name", "place", "date")


@dataclass(frozen=True)
class Turn:
    """One past exchange: what was asked and what was answered ("" when nothing was)."""

    question: str
    answer: str


def _message_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return ""


def read_history(history: Sequence[Any] | None) -> list[Turn]:
    """Past turns in a common form, oldest first (see the module docstring for the forms).

    Raises:
        TypeError: ``history`` is not a list of one of the accepted forms.
    """
    if history is None:
        return []
    if isinstance(history, (str, bytes)) or not isinstance(history, Sequence):
        raise TypeError(
            f"history must be a list of (question, answer) pairs, Answers or chat messages, got {type(history).__name__}"
        )
    turns: list[Turn] = []
    pending: str | None = None
    for item in history:
        if isinstance(item, Answer):
            turns.append(Turn(item.question, item.text if item.found else ""))
        elif isinstance(item, dict) and "role" in item:
            text = _message_text(item.get("content"))
            if item["role"] == "user":
                if pending is not None:
                    turns.append(Turn(pending, ""))
                pending = text
            elif item["role"] == "assistant" and pending is not None:
                turns.append(Turn(pending, text))
                pending = None
        elif isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str):
            turns.append(Turn(item[0], item[1] if isinstance(item[1], str) else ""))
        else:
            raise TypeError(
                "each history item must be a (question, answer) pair, an Answer or a "
                f"{{'role', 'content'}} message, got {type(item).__name__}: {item!r:.60}"
            )
    if pending is not None:
        turns.append(Turn(pending, ""))
    return turns


def needs_context(question: str) -> bool:
    """True when ``question`` leans on an earlier turn (pronoun, continuation or too short)."""
    return bool(
        _PRONOUNS.search(question)
        or _CONTINUATION.search(question)
        or len(content_stems(question)) < MIN_OWN_WORDS
    )


def carried_names(question: str, turn: Turn) -> list[str]:
    """Names, places and dates of ``turn`` that ``question`` does not already mention,
    the answer's first (it is what the conversation has just turned to)."""
    own = set(content_stems(question))
    names: list[str] = []
    for text in (turn.answer, turn.question):
        for phrase in find_phrases(text):
            name = text[phrase.start : phrase.end]
            stems = {stem(word) for word in name.split()}
            if phrase.kind in _CARRIED_KINDS and not stems <= own and name not in names:
                names.append(name)
                own |= stems
    return names[:MAX_CARRIED]


def _needed_names(question: str, history: Sequence[Turn]) -> list[str]:
    """The last turn's names to carry into ``question``; none when it stands on its own."""
    if not history or not needs_context(question):
        return []
    return carried_names(question, history[-1])


def _with_names(question: str, names: Sequence[str]) -> str:
    return f"{question} ({', '.join(names)})" if names else question


@dataclass(frozen=True)
class Resolved:
    """A question read in the light of the chat, resolved once for every later step.

    Attributes:
        text: what is ranked and read: the question with its first pronoun replaced by the last
            turn's first carried name ("What did Ri Yong-ho say about Hong Kong?"), or with the
            carried names appended when it has no such pronoun ("And in May? (Wang Yi)"); the
            question unchanged when it stands alone.
        search: what is searched: ``text`` plus the carried names it does not hold yet (more
            names find more passages when the pronoun meant the other one).
        names: the carried names, the last answer's first.
    """

    text: str
    search: str
    names: tuple[str, ...] = ()


def resolve(question: str, history: Sequence[Turn]) -> Resolved:
    """``question`` resolved against the last turn (see :class:`Resolved`).

    Example:
        >>> resolve("What did he say about Hong Kong?", [Turn("Who did Wang Yi meet in Pyongyang?", "Ri Yong-ho")])
        Resolved(text='What did Ri Yong-ho say about Hong Kong?', search='What did Ri Yong-ho say about Hong Kong? (Wang Yi)', names=('Ri Yong-ho', 'Wang Yi'))
    """
    names = _needed_names(question, history)
    pronoun = _REPLACEABLE.search(question)
    if not names or pronoun is None:
        text = _with_names(question, names)
        return Resolved(text=text, search=text, names=tuple(names))
    name = names[0] + ("'s" if pronoun.group(0).lower() in _POSSESSIVES else "")
    text = question[: pronoun.start()] + name + question[pronoun.end() :]
    return Resolved(text=text, search=_with_names(text, names[1:]), names=tuple(names))
