"""Passive questions answered with the active sentence's object, not its subject.

"Who was accused of orchestrating the turmoil?" asked of "China's state-run media outlets have
accused the US and other Western countries of orchestrating the turmoil." wants the accused (the
object of "accused"), but a span reader trained on SQuAD readily returns the accuser (the subject
in front of the verb). When the question is passive ("Who/What was <participle> ...") and the
chosen span is the subject right before that same verb used actively in the sentence, the answer
is the verb's object: the words after the verb up to the question's next preposition ("of"), or,
for "... by <agent>?", up to the next preposition or clause break. For "... by <agent>?", a
sentence with the agent acting ("the US accused China of ...") also goes before a best sentence
in which something is done to the agent ("media have accused the US of ..."). And "What have the
allies done?" answered with a lone adverb ("repeatedly") gets the verb before it ("met
repeatedly"). Hand-written English rules; nothing here is fitted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_PASSIVE_QUESTION = re.compile(
    r"^\s*(?:who|what)\s+(?:was|were|is|are|has\s+been|have\s+been|had\s+been|will\s+be|got)\s+"
    r"(?:(?:also|first|then|later|reportedly|allegedly)\s+)?"
    r"(?P<verb>[a-z]+(?:ed|en|wn))\s+(?P<preposition>of|for|with|over|in|on|at|to|into|from|as|by|about|against)\b"
    r"(?P<rest>[^?]*)",
    re.IGNORECASE,
)
# Where the agent of "... by <agent>" ends in a question.
_AGENT_END = re.compile(
    r"\s+(?:in|on|at|during|after|before|for|with|over|to|from|when|while)\s|$", re.IGNORECASE
)
_ARTICLES = frozenset({"the", "a", "an"})
# Between the subject and its verb: auxiliaries and adverbs of an active clause.
_ACTIVE_GAP = re.compile(
    r"^[\s,]*(?:(?:has|have|had|also|again|repeatedly|reportedly|allegedly|publicly|recently|previously|"
    r"now|then|already|openly|formally|officially)\s+)*$",
    re.IGNORECASE,
)
# Words of a passive clause before the verb ("was accused"): the subject is then the patient.
_PASSIVE_GAP = re.compile(r"\b(?:was|were|is|are|be|been|being|get|got|gets)\b", re.IGNORECASE)
# Where an object ends when the question gives no preposition to stop at.
_OBJECT_END = re.compile(
    r"\s+(?:of|for|with|over|in|on|at|to|into|from|as|about|against|after|before|during|while|when|"
    r"because|since|and\s+said|who|which|that)\b|[,;:.!?(]",
    re.IGNORECASE,
)
MAX_OBJECT_WORDS = 12
#: Words after the verb in which the agent counts as its object ("accused the US").
AGENT_OBJECT_WORDS = 3


@dataclass(frozen=True)
class PassiveQuestion:
    """A passive question's participle ("accused"), the preposition after it ("of", "by") and, for
    "by", the agent's words in lower case."""

    verb: str
    preposition: str
    agent: frozenset[str] = frozenset()


def passive_question(question: str) -> PassiveQuestion | None:
    """The participle and preposition of "Who was <participle> <preposition> ...?", else None."""
    match = _PASSIVE_QUESTION.match(question)
    if match is None:
        return None
    preposition = match["preposition"].lower()
    agent: frozenset[str] = frozenset()
    if preposition == "by":
        rest = match["rest"].strip()
        end = _AGENT_END.search(rest)
        agent = _words(rest[: end.start()] if end else rest)
        if not agent:
            return None
    return PassiveQuestion(match["verb"].lower(), preposition, agent)


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[\w’'-]+", text.lower())) - _ARTICLES


def _verbs(question: PassiveQuestion, sentence: str) -> Iterator[re.Match[str]]:
    """Where the question's participle stands in ``sentence`` (as a whole word, any case)."""
    return re.finditer(rf"\b{re.escape(question.verb)}\b", sentence, re.IGNORECASE)


def object_instead(question: PassiveQuestion, sentence: str, start: int, end: int) -> tuple[int, int] | None:
    """Offsets in ``sentence`` of the active verb's object when ``sentence[start:end]`` (the chosen
    span) is that verb's subject, and for "by <agent>" names the agent, else None (the span stands)."""
    if question.agent and not question.agent & _words(sentence[start:end]):
        return None  # another subject: this sentence says what someone else did
    for verb in _verbs(question, sentence):
        gap = sentence[end : verb.start()]
        if verb.start() < end or not _ACTIVE_GAP.match(gap) or _PASSIVE_GAP.search(gap):
            continue
        rest = sentence[verb.end() :]
        if question.preposition == "by":
            stop = _OBJECT_END.search(rest)
        else:
            stop = re.search(rf"\s+{question.preposition}\b", rest, re.IGNORECASE)
        if stop is None:
            return None
        found = rest[: stop.start()]
        first = verb.end() + len(found) - len(found.lstrip())
        last = verb.end() + len(found.rstrip())
        words = sentence[first:last].split()
        if not words or len(words) > MAX_OBJECT_WORDS:
            return None
        return first, last
    return None


def agent_acts(question: PassiveQuestion, sentence: str) -> tuple[int, int] | None:
    """For "Who was <verb> by <agent>?": offsets of the object when ``sentence`` has the agent doing
    it ("the US accused China of ..."), else None."""
    if not question.agent:
        return None
    for word in re.finditer(r"[\w’'-]+", sentence):
        if word.group().lower() in question.agent:
            found = object_instead(question, sentence, word.start(), word.end())
            if found is not None:
                return found
    return None


def agent_is_object(question: PassiveQuestion, sentence: str) -> bool:
    """Whether ``sentence`` has the question's agent right after the verb ("have accused the US"):
    it then says what was done to the agent, the other way round from what is asked."""
    for verb in _verbs(question, sentence):
        following = re.findall(r"[\w’'-]+", sentence[verb.end() :])[:AGENT_OBJECT_WORDS]
        if question.agent & {word.lower() for word in following}:
            return True
    return False


_DO_QUESTION = re.compile(r"^\s*what\b.*\b(?:do|does|did|done|doing)\b[^?]*\??\s*$", re.IGNORECASE)
_ADVERB = re.compile(r"^(?:[a-z]+ly|again|together|twice|often|instead|too|well|back|away)$")
_NOT_A_VERB = frozenset(
    "have has had having be been being is are was were will would shall should can could may might must "
    "do does did not never also and or but the a an to of in on at by for with".split()
)


def verb_with_adverb(question: str, sentence: str, start: int, end: int) -> tuple[int, int] | None:
    """For "What have the two allies done ...?" answered with a lone adverb ("repeatedly" of
    "have met repeatedly"), the verb and the adverb ("met repeatedly"); None when it does not apply."""
    if _DO_QUESTION.match(question) is None or _ADVERB.match(sentence[start:end]) is None:
        return None
    before = re.search(r"([a-z]+)\s+$", sentence[:start])
    if before is None or before.group(1) in _NOT_A_VERB:
        return None
    return before.start(1), end
