"""Questions about what someone said, and the part of a sentence that reports it.

"What did Wang Yi say about Hong Kong?", "What was the minister's response?", "How did Beijing
react?": news questions whose answer is a clause (reported speech, a stance), not a name or a
number. The span reader, trained on SQuAD's short factoid answers, finds no short span in such a
sentence and scores it as "no answer here"; for these questions the answer is the reported
clause of the best sentence ("Ri said that Hong Kong was an internal matter" -> "Hong Kong was an
internal matter"), or the whole sentence when it reports without a speech verb ("Wang also
briefed Ri on the situation in Hong Kong").

Hand-written English rules, like the rest of ``rag.qa``'s lexicon; nothing here is fitted.
"""

from __future__ import annotations

import re

# Verbs followed by what someone said, thought or stated ("said (that) ...", "warning that ...").
_CLAUSE_VERBS = (
    r"said|says|saying|told|tells|telling|stated|states|added|adds|adding|warned|warns|warning|"
    r"argued|argues|arguing|claimed|claims|claiming|insisted|insists|insisting|noted|notes|noting|"
    r"explained|explains|believes?|believed|thinks?|thought|wrote|writes|announced|announces|"
    r"stressed|stresses|stressing|emphasi[sz]ed|emphasi[sz]es|reaffirm(?:ed|s|ing)?|"
    r"affirm(?:ed|s|ing)?|expressed|expresses|suggested|suggests|acknowledged|acknowledges|"
    r"admitted|admits|denied|denies|vowed|vows|pledged|pledges|promised|promises|urged|urges|"
    r"called\s+for|calls\s+for|declared|declares|reiterated|reiterates|maintained|maintains|"
    r"confirmed|confirms|predicted|predicts"
)
# Verbs of a trailing attribution ("..., the minister said.").
_ATTRIBUTION_VERBS = (
    r"said|says|added|adds|told|tells|stated|states|warned|warns|noted|notes|explained|explains|"
    r"argued|argues|insisted|insists|claimed|claims|wrote|writes|according\s+to"
)
_QUESTION_VERBS = (
    r"say|said|tell|told|stated|add|added|warn|warned|argue|argued|claim|claimed|insist|insisted|"
    r"note|noted|explain|explained|believe|believed|think|thought|write|written|stress|stressed|"
    r"emphasi[sz]e|emphasi[sz]ed|reaffirm|reaffirmed|express|expressed|suggest|suggested|"
    r"acknowledge|acknowledged|admit|admitted|deny|denied|vow|vowed|pledge|pledged|promise|promised|"
    r"urge|urged|call\s+for|called\s+for|predict|predicted|declare|declared|reiterate|reiterated|"
    r"comment|commented|respond|responded|reply|replied|react|reacted|announce|announced"
)
_STANCE_NOUNS = (
    r"message|stance|position|views?|response|reaction|comments?|statement|argument|opinion|verdict|"
    r"assessment|warning|reply|remarks?|attitude|criticism|complaint|explanation|promise|pledge|"
    r"demands?|proposal|plea|appeal|claims?|answer|testimony|announcement"
)
# After the verb: nothing more, a topic ("about Hong Kong", "on the deal", "to reporters ..."), or
# an object of up to three words ("tell reporters"); not "think the plague was", "describe X as".
_TOPIC = r"(?:\s+(?:about|on|regarding|concerning|of|to|in|at|after|during|when|following|before)\b[^?]*|(?:\s+(?!(?:was|were|is|are|as|be|been|in|for|with)\b)[\w'’.-]+){0,3})\s*[?.!]*\s*$"
# "What did Kim tell Wang during their meeting?": whom, then when or what about.
_TOLD_WHOM = r"(?:tell|told)\s+(?:[\w'’.-]+\s+){1,3}?(?:about|on|regarding|concerning|during|after|at|in|when|before)\b[^?]*"
_STATEMENT_QUESTION = re.compile(
    rf"\bwhat\s+(?:did|does|do|has|have|had|will|would)\s+(?:[\w'’.-]+\s+){{0,8}}?"
    rf"(?:(?:{_QUESTION_VERBS})\b{_TOPIC}|{_TOLD_WHOM})"
    rf"|\bwhat\s+(?:is|was|are|were|has\s+been)\s+(?:[\w'’.-]+\s+){{0,3}}?"
    rf"(?:[\w.-]+['’]s?|his|her|their|its)\s+(?:[\w-]+\s+)?(?:{_STANCE_NOUNS})\b"
    rf"|\bwhat\s+(?:is|was|are|were)\s+the\s+(?:[\w-]+\s+)?(?:{_STANCE_NOUNS})\s+(?:of|from|by)\b"
    rf"|\bhow\s+(?:did|does|do|has|have|will|would)\s+(?:[\w'’.-]+\s+){{0,8}}?"
    rf"(?:respond|react|reply)\b",
    re.IGNORECASE,
)
# "... said (that) CLAUSE", "... told reporters (on Monday) that CLAUSE"
_VERB_THEN_CLAUSE = re.compile(
    rf"\b(?:{_CLAUSE_VERBS})\b(?:\s+(?:[\w'’-]+\s+){{0,4}}?that\b|\s+that\b|[,:]?(?=\s+[“\"‘']))?\s*[,:]?\s*",
    re.IGNORECASE,
)
# "CLAUSE, the minister said." / "“CLAUSE,” he added."
_CLAUSE_THEN_VERB = re.compile(
    rf"^(?P<clause>.{{12,}}?)[,”\"’]+\s+(?:[\w'’.-]+\s+){{0,6}}?(?:{_ATTRIBUTION_VERBS})\b(?:\s+[^\s,]+){{0,5}}[.!?]?\s*$",
    re.IGNORECASE | re.DOTALL,
)
# "“CLAUSE,” Kim told Wang during their meeting at the headquarters of the Worker's Party."
_QUOTE_THEN_VERB = re.compile(
    rf"^\s*[“\"](?P<clause>[^”\"]{{12,}})[”\"]\s+(?:[\w'’.-]+\s+){{0,6}}?(?:{_ATTRIBUTION_VERBS})\b"
    rf"[^“”\"]{{0,160}}$",
    re.IGNORECASE | re.DOTALL,
)
_QUOTE = re.compile(r"[“\"]([^”\"]{12,})[”\"]")
_EDGE = " \t\n,;:.!?“”\"‘’'—–-"
#: A reported clause shorter than this (words) is not a statement ("he said so"): take the sentence.
MIN_CLAUSE_WORDS = 3
#: A quotation shorter than this (words) is a name or a scare quote ("one country, two systems").
MIN_QUOTE_WORDS = 6


def asks_statement(question: str) -> bool:
    """True for questions whose answer is what someone said or their stance ("What did X say
    about Y?", "What was X's reaction?", "How did X respond?")."""
    return bool(_STATEMENT_QUESTION.search(question))


def _trimmed(sentence: str, start: int, end: int) -> tuple[int, int]:
    while start < end and sentence[start] in _EDGE:
        start += 1
    while end > start and sentence[end - 1] in _EDGE:
        end -= 1
    return start, end


def _long_enough(sentence: str, start: int, end: int) -> bool:
    return len(sentence[start:end].split()) >= MIN_CLAUSE_WORDS


def statement_span(sentence: str) -> tuple[int, int]:
    """Offsets into ``sentence`` of what it reports someone said: the clause before "..., X said",
    the clause after a speech verb ("said (that) ..."), a quotation of at least
    ``MIN_QUOTE_WORDS`` words, or else the whole sentence (edge punctuation and quote marks
    trimmed)."""
    before = _QUOTE_THEN_VERB.match(sentence) or _CLAUSE_THEN_VERB.match(sentence)
    if before is not None:
        start, end = _trimmed(sentence, before.start("clause"), before.end("clause"))
        if _long_enough(sentence, start, end):
            return start, end
    for match in _VERB_THEN_CLAUSE.finditer(sentence):
        start, end = _trimmed(sentence, match.end(), len(sentence))
        if _long_enough(sentence, start, end):
            return start, end
    quote = max(_QUOTE.finditer(sentence), key=lambda match: len(match.group(1)), default=None)
    if quote is not None and len(quote.group(1).split()) >= MIN_QUOTE_WORDS:
        return _trimmed(sentence, quote.start(1), quote.end(1))
    return _trimmed(sentence, 0, len(sentence))
