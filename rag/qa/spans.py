"""Answer spans inside a sentence: candidates, their features, and the pick.

Candidates are the sentence's typed phrases (dates, numbers, names, places, reasons) and its
"gaps" (runs of words between punctuation and the question's own words), with the question's
words trimmed off, so an answer never repeats the question. A linear model fitted on SQuAD
train (``rag train ranker``) scores them from the question type, the candidate's kind,
length and distance to the question words the sentence shares.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from rag.qa.features import SentenceView
from rag.qa.phrases import PHRASE_KINDS, PhraseKind
from rag.qa.questions import QUESTION_TYPES, Question
from rag.qa.text import STOPWORDS, Word

SpanKind = PhraseKind | Literal["gap"]
SPAN_KINDS: tuple[SpanKind, ...] = (*PHRASE_KINDS, "gap")
#: A name of more words than this is also offered as its last word and its connected pieces.
NAME_SPLIT_WORDS = 2
#: Words between a span and a question word for the span to count as ``adjacent``.
ADJACENT_WORDS = 2

# Characters between two words that end a gap (clause and list punctuation, brackets, quotes).
_BOUNDARY = re.compile(r"[,;:()\[\]\"“”—–?!]|\s-\s")
_PREPOSITIONS = frozenset("in at on by from to of for with near during since until after before".split())
_TRIM_EDGES = STOPWORDS | {"also", "either", "neither", "only", "then", "thus", "however"}
_CLAUSE_WORDS = frozenset(
    "and or but which who whom whose where when while that although though as because since so if".split()
)
_NAME_CONNECTORS = frozenset("of and the de".split())
# Words that make a capitalized phrase a title, nationality or institution rather than a person.
_ROLE_WORDS = frozenset(
    """minister president secretary councilor councillor chairman chairwoman chair director officer leader
    king queen prince princess general governor senator spokesman spokeswoman ambassador envoy counterpart
    premier chancellor mayor judge bishop pope emperor commander chief head foreign state deputy vice""".split()
)
_ORGANIZATION_WORDS = frozenset(
    """republic party ministry university college company corporation council assembly hall committee agency
    organization organisation bank union kingdom empire state states city river army navy court church
    school institute association department office government parliament congress museum news times""".split()
)
# "What did the US accuse China of?": the answer is what was done or said, rarely a name.
_WHAT_DO = re.compile(r"\bwhat\s+(?:did|does|do|has|have|had)\b", re.IGNORECASE)
_DEMONYM = re.compile(r"(?:ese|ean|ian|ish|can)$")

SPAN_FEATURE_NAMES: tuple[str, ...] = (
    "bias",
    "expected_first",
    "expected_other",
    "log_words",
    "single_word",
    "log_distance",
    "adjacent",
    "after_match",
    "before_match",
    "between_matches",
    "no_match_in_sentence",
    "after_preposition",
    "at_sentence_start",
    "at_sentence_end",
    "capitalized_fraction",
    "stopword_fraction",
    "has_digit",
    "in_brackets",
    "relative_position",
    "role_words",
    "organization_words",
    "person_x_role_words",
    "person_x_organization_words",
    "focus_adjacent",
    "log_distance_word",
    "log_distance_name",
    "what_do_x_gap",
    "what_do_x_name",
    *(f"kind_{kind}" for kind in SPAN_KINDS),
    *(f"{question}_x_{kind}" for question in QUESTION_TYPES for kind in SPAN_KINDS),
)


@dataclass(frozen=True)
class SpanCandidate:
    """A possible answer: ``[start, end)`` offsets into the sentence, and what kind of phrase it is."""

    start: int
    end: int
    kind: SpanKind


def _runs(sentence: str, tokens: tuple[Word, ...], keep: list[bool]) -> list[tuple[int, int]]:
    """Index ranges ``[first, last]`` of consecutive kept words not separated by punctuation."""
    runs = []
    first = None
    for position, token in enumerate(tokens):
        if not keep[position]:
            if first is not None:
                runs.append((first, position - 1))
            first = None
            continue
        if first is not None and _BOUNDARY.search(sentence[tokens[position - 1].end : token.start]):
            runs.append((first, position - 1))
            first = None
        if first is None:
            first = position
    if first is not None:
        runs.append((first, len(tokens) - 1))
    return runs


def _trimmed(tokens: tuple[Word, ...], first: int, last: int) -> tuple[int, int] | None:
    while first <= last and tokens[first].lower in _TRIM_EDGES:
        first += 1
    while last >= first and tokens[last].lower in _TRIM_EDGES:
        last -= 1
    return (first, last) if first <= last else None


def _pieces(
    tokens: tuple[Word, ...], first: int, last: int, splitters: frozenset[str]
) -> list[tuple[int, int]]:
    """Sub-ranges of ``[first, last]`` cut at words in ``splitters`` (the cut words dropped)."""
    pieces = []
    start = first
    for position in range(first, last + 1):
        if tokens[position].lower in splitters:
            if position > start:
                pieces.append((start, position - 1))
            start = position + 1
    if start <= last:
        pieces.append((start, last))
    return pieces if len(pieces) > 1 else []


def _overlapping(tokens: tuple[Word, ...], start: int, end: int) -> list[int]:
    return [i for i, token in enumerate(tokens) if token.start < end and token.end > start]


def span_candidates(sentence: str, view: SentenceView, question: Question) -> list[SpanCandidate]:
    """Possible answers in ``sentence``: typed phrases and gaps, without the question's words.

    Gaps come at three grains: whole runs between punctuation and question words, those runs
    cut at clause words ("which", "and"), and cut again at prepositions.
    """
    tokens = view.words
    in_question = [not token.is_stopword and token.stem in question.stems for token in tokens]
    found: dict[tuple[int, int], SpanKind] = {}

    def add(first: int, last: int, kind: SpanKind, trim: bool = True) -> None:
        bounds = _trimmed(tokens, first, last) if trim else (first, last)
        if bounds and not all(
            in_question[i] or tokens[i].is_stopword for i in range(bounds[0], bounds[1] + 1)
        ):
            found.setdefault((tokens[bounds[0]].start, tokens[bounds[1]].end), kind)

    for phrase in view.novel_phrases:
        inside = _overlapping(tokens, phrase.start, phrase.end)
        if not inside:
            continue
        if phrase.kind in ("reason", "date", "number", "percent", "money") or not any(
            in_question[i] for i in inside
        ):
            found.setdefault((phrase.start, phrase.end), phrase.kind)
        if phrase.kind == "reason":
            add(inside[0] + 1, inside[-1], "gap")
            continue
        keep = [False] * len(tokens)
        for i in inside:
            keep[i] = not in_question[i]
        for first, last in _runs(sentence, tokens, keep):
            add(first, last, phrase.kind)
            if phrase.kind in ("name", "place") and last - first >= NAME_SPLIT_WORDS:
                add(last - 1, last, phrase.kind)  # "President of Kazakhstan Nursultan Nazarbaev"
                for piece in _pieces(tokens, first, last, _NAME_CONNECTORS):
                    add(*piece, phrase.kind)
    for first, last in _runs(sentence, tokens, [not flag for flag in in_question]):
        add(first, last, "gap")
        for clause in _pieces(tokens, first, last, _CLAUSE_WORDS) or [(first, last)]:
            add(*clause, "gap")
            for piece in _pieces(tokens, clause[0], clause[1], _PREPOSITIONS):
                add(*piece, "gap")
    return [SpanCandidate(start, end, kind) for (start, end), kind in sorted(found.items())]


def span_features(
    sentence: str, view: SentenceView, question: Question, candidates: list[SpanCandidate]
) -> np.ndarray:
    """Feature matrix ``(len(candidates), len(SPAN_FEATURE_NAMES))`` for one sentence."""
    column = {name: position for position, name in enumerate(SPAN_FEATURE_NAMES)}
    matrix = np.zeros((len(candidates), len(SPAN_FEATURE_NAMES)), dtype=np.float64)
    tokens = view.words
    matched = [i for i, token in enumerate(tokens) if not token.is_stopword and token.stem in question.stems]
    expected = question.expected_phrases
    what_do = bool(_WHAT_DO.search(question.text))
    for row, candidate in enumerate(candidates):
        inside = [
            i
            for i, token in enumerate(tokens)
            if token.start >= candidate.start and token.end <= candidate.end
        ]
        first, last = (inside[0], inside[-1]) if inside else (0, 0)
        values = matrix[row]
        values[column["bias"]] = 1.0
        values[column["expected_first"]] = float(bool(expected) and candidate.kind == expected[0])
        values[column["expected_other"]] = float(candidate.kind in expected[1:])
        values[column["log_words"]] = math.log1p(len(inside))
        values[column["single_word"]] = float(len(inside) == 1)
        if matched:
            distance = min(min(abs(i - first), abs(i - last)) for i in matched)
            values[column["log_distance"]] = math.log1p(distance)
            values[column["adjacent"]] = float(distance <= ADJACENT_WORDS)
            values[column["after_match"]] = float(all(i < first for i in matched))
            values[column["before_match"]] = float(all(i > last for i in matched))
            values[column["between_matches"]] = float(
                any(i < first for i in matched) and any(i > last for i in matched)
            )
            # distances to matched plain words (verbs, nouns) and to matched names, apart:
            # "Who did Wang Yi meet?" wants the side of "met", not the neighbour of "Wang Yi"
            for name, group in (("word", False), ("name", True)):
                near = [
                    abs(i - first) if i < first else abs(i - last)
                    for i in matched
                    if tokens[i].is_capitalized is group
                ]
                values[column[f"log_distance_{name}"]] = (
                    math.log1p(min(near)) if near else math.log1p(len(tokens))
                )
        else:
            values[column["no_match_in_sentence"]] = 1.0
        values[column["after_preposition"]] = float(first > 0 and tokens[first - 1].lower in _PREPOSITIONS)
        values[column["at_sentence_start"]] = float(first == 0)
        values[column["at_sentence_end"]] = float(last == len(tokens) - 1)
        if inside:
            values[column["capitalized_fraction"]] = sum(tokens[i].is_capitalized for i in inside) / len(
                inside
            )
            values[column["stopword_fraction"]] = sum(tokens[i].is_stopword for i in inside) / len(inside)
            values[column["has_digit"]] = float(any(tokens[i].has_digit for i in inside))
            lowered = [tokens[i].lower for i in inside]
            roles = sum(
                word in _ROLE_WORDS or (tokens[i].is_capitalized and bool(_DEMONYM.search(word)))
                for i, word in zip(inside, lowered, strict=True)
            ) / len(inside)
            organizations = sum(word in _ORGANIZATION_WORDS for word in lowered) / len(inside)
            values[column["role_words"]] = roles
            values[column["organization_words"]] = organizations
            if question.kind == "person":
                values[column["person_x_role_words"]] = roles
                values[column["person_x_organization_words"]] = organizations
            neighbours = [tokens[i].stem for i in (first - 1, last + 1) if 0 <= i < len(tokens)]
            values[column["focus_adjacent"]] = float(bool(question.focus) and question.focus in neighbours)
        before = sentence[: candidate.start].rstrip()
        values[column["in_brackets"]] = float(before.endswith("(") or before.endswith("["))
        values[column["relative_position"]] = candidate.start / max(len(sentence), 1)
        if what_do:
            values[column["what_do_x_gap"]] = float(candidate.kind == "gap")
            values[column["what_do_x_name"]] = float(candidate.kind in ("name", "place"))
        values[column[f"kind_{candidate.kind}"]] = 1.0
        values[column[f"{question.kind}_x_{candidate.kind}"]] = 1.0
    return matrix
