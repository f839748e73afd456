"""Who holds a role: "Who is North Korea's foreign minister?" and "Who is Ri Yong-ho?".

News sentences name people with their titles ("Chinese Foreign Minister Wang Yi met North Korean
Foreign Minister Ri Yong-ho"), so a sentence that answers a role question often names two holders
of the same role. The ranker finds the sentence; this module reads its titles so the answer is the
person whose title matches the question's country or organisation, not the other one beside them,
and answers "Who is <name>?" with that person's title.

Titles are read in three shapes: before the name inside one capitalised run ("North Korean Foreign
Minister Ri Yong-ho"), as an apposition after it ("Ri Yong-ho, North Korea's foreign minister,") and
before it ("North Korea's foreign minister, Ri Yong-ho,"). Hand-written English rules; nothing here
is fitted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

_ROLE_NOUNS = (
    "minister", "president", "premier", "leader", "chancellor", "secretary", "spokesman", "spokeswoman",
    "spokesperson", "ambassador", "envoy", "diplomat", "chief", "head", "director", "ceo", "chairman",
    "chairwoman", "chair", "governor", "mayor", "senator", "general", "commander", "coach", "captain",
    "king", "queen", "judge", "councilor", "councillor", "prosecutor", "attorney", "founder", "owner",
    "manager", "editor", "emperor", "pope", "prince", "princess", "speaker", "representative",
    "officer", "official", "adviser", "advisor", "negotiator", "administrator", "commissioner",
    "lawmaker", "sheriff", "chairperson", "boss", "executive", "monarch", "dictator", "ruler",
    "professor", "expert", "analyst", "researcher", "scholar", "economist",
)  # fmt: skip
_ROLE = "|".join(_ROLE_NOUNS)
# Words of a department after "Minister of ..." that are not part of the holder's name.
_OFFICE_WORDS = frozenset(
    "affairs foreign defense defence state finance justice health interior education commerce trade "
    "home security energy labour labor culture agriculture transport industry economy information "
    "unification environment treasury the and of for".split()
)
# Irregular demonyms; the rest match by a shared prefix ("Korea"/"Korean", "China"/"Chinese").
_DEMONYMS = {
    "french": "france", "dutch": "netherlands", "british": "britain", "uk": "britain", "swiss": "switzerland",
    "spanish": "spain", "welsh": "wales", "irish": "ireland", "scottish": "scotland", "greek": "greece",
    "danish": "denmark", "swedish": "sweden", "finnish": "finland", "polish": "poland", "turkish": "turkey",
    "american": "us", "u.s.": "us", "united states": "us", "filipino": "philippines", "thai": "thailand",
    "english": "england", "norwegian": "norway", "portuguese": "portugal", "belgian": "belgium",
}  # fmt: skip
_MIN_SHARED_PREFIX = 4
# Offices news names by what they do, matched as the titles that hold them (role words in order,
# the head noun last, as a question's role is read).
_DIPLOMAT_TITLES = (("foreign", "minister"), ("foreign", "secretary"), ("state", "secretary"))
_ROLE_ALIASES: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {
    ("top", "diplomat"): _DIPLOMAT_TITLES,
    ("chief", "diplomat"): _DIPLOMAT_TITLES,
}
# Words that make a title another role than the one asked ("Vice Foreign Minister").
_LESSER = frozenset("vice deputy assistant former acting junior under ex-".split())

_WORD = r"[A-Z][\w.'’-]*"
_CAPS = rf"{_WORD}(?:\s+{_WORD})*"
_ROLE_PHRASE = rf"(?-i:[a-z-]+\s+){{0,2}}(?:{_ROLE})s?(?:[-\s]general)?"
_ROLE_QUESTION = re.compile(
    rf"^\s*who\s+(?:is|was|are|were|has\s+been|will\s+be|['’]s)\s+(?:the\s+)?"
    rf"(?:(?P<qualifier>(?-i:{_CAPS}))(?:['’]s?)?\s+)?(?P<role>{_ROLE_PHRASE})"
    rf"(?:\s+(?:of|for|at|in)\s+(?:the\s+)?(?P<of>(?-i:{_CAPS})))?\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_PERSON_QUESTION = re.compile(rf"^\s*(?i:who)\s+(?i:is|was)\s+(?P<name>{_CAPS})\s*[?.!]*\s*$")
# "Ri Yong-ho, North Korea's foreign minister," / "Ri Yong-ho, the foreign minister of North Korea,"
_AFTER = re.compile(
    rf"(?P<name>{_CAPS}),\s+(?:the\s+|a\s+)?(?P<title>(?:{_CAPS}(?:['’]s?)?\s+)?{_ROLE_PHRASE}"
    rf"(?:\s+(?:of|for|at)\s+(?:the\s+)?{_CAPS})?)(?=[,.;)]|\s+(?:and|who|said|told)\b)",
)
# "Kim Su-gil, who serves as director of the General Political Bureau of the Korean People's Army,"
_WHO_SERVES = re.compile(
    rf"(?P<name>{_CAPS}),\s+who\s+(?:serves|served|is|was|has\s+been)\s+(?:as\s+)?(?:the\s+|a\s+|an\s+)?"
    rf"(?P<title>(?:{_CAPS}(?:['’]s?)?\s+)?{_ROLE_PHRASE}(?:\s+(?:of|for|at)\s+(?:the\s+)?{_CAPS}){{0,2}})"
    rf"(?=[,.;)])",
)
# "North Korea's foreign minister, Ri Yong-ho," / "the foreign minister of North Korea, Ri Yong-ho"
_BEFORE = re.compile(
    rf"(?P<title>(?:{_CAPS}(?:['’]s?)?\s+)?{_ROLE_PHRASE}(?:\s+(?:of|for|at)\s+(?:the\s+)?{_CAPS})?),\s+"
    rf"(?P<name>{_WORD}(?:\s+{_WORD}){{1,3}})(?=[,.;)]|\s+[a-z])",
)
# A possessive title right before "said" is the speaker, not an apposition of the name before it.
_SUBJECT_TITLE = re.compile(r"(?:its|his|her|their)\s", re.IGNORECASE)
_SAID = re.compile(r"\s+(?:said|says|told)\b")
# "North Korean Foreign Minister Ri Yong-ho": a capitalised run, its role word, then the name
_RUN = re.compile(rf"{_WORD}(?:\s+(?:(?:of|and|for|the)\s+)*{_WORD})*")
_COUNTERPART = re.compile(
    rf"(?P<title>(?:(?:his|her|their|its)\s+)?(?P<qualifier>{_CAPS})\s+counterparts?),?\s+$"
)
_FUNCTION_WORDS = r"by|with|to|of|the|a|an|and|as|from|for|that|at|in|on|said|says|told|is|was"
_LEAD_TITLE = re.compile(rf"(?<![\w'’-])((?:(?!(?:{_FUNCTION_WORDS})\b)[a-z-]+\s+){{0,2}}(?:{_ROLE})s?)\s+$")
_ROLE_WORD = re.compile(rf"^(?:{_ROLE})s?$", re.IGNORECASE)


@dataclass(frozen=True)
class Holder:
    """A person named with a title in a sentence (offsets into the sentence)."""

    name: tuple[int, int]
    title: tuple[int, int]
    #: the title as matched against a question when it is not ``title``'s text ("North Korean
    #: counterpart" of a "Chinese Foreign Minister" is a "North Korean Foreign Minister")
    implied: str = ""

    def title_text(self, sentence: str) -> str:
        return self.implied or sentence[self.title[0] : self.title[1]]


@dataclass(frozen=True)
class RoleQuestion:
    """A "Who is <qualifier>'s <role>?" question: the role's words and its qualifier's words."""

    role: tuple[str, ...]
    qualifier: tuple[str, ...]


def role_question(question: str) -> RoleQuestion | None:
    """The role and qualifier a question asks the holder of, or None."""
    match = _ROLE_QUESTION.match(question)
    if match is None:
        return None
    qualifier = match.group("of") or match.group("qualifier") or ""
    return RoleQuestion(role=_words(match.group("role")), qualifier=_words(qualifier))


def person_question(question: str) -> str | None:
    """The name in "Who is <Name>?", or None."""
    match = _PERSON_QUESTION.match(question)
    if match is None or _ROLE_WORD.match(match.group("name").split()[-1]):
        return None
    return match.group("name")


def _words(text: str) -> tuple[str, ...]:
    return tuple(re.sub(r"['’]s?\b", "", text).lower().replace(",", " ").split())


def holders(sentence: str) -> list[Holder]:
    """Every person named with a title in ``sentence``."""
    before = [Holder(name=m.span("name"), title=m.span("title")) for m in _BEFORE.finditer(sentence)]
    found: list[Holder] = []
    for match in _AFTER.finditer(sentence):
        title = match.span("title")
        if any(title[0] < other.title[1] and other.title[0] < title[1] for other in before):
            continue  # "... North Korea, South Korea's negotiator, Lee Do-hoon,": the name after holds it
        if _SUBJECT_TITLE.match(sentence, title[0]) and _SAID.match(sentence, title[1]):
            continue  # "... with North Korea, its top diplomat said": the title is the speaker
        found.append(Holder(name=match.span("name"), title=title))
    found.extend(before)
    found.extend(Holder(name=m.span("name"), title=m.span("title")) for m in _WHO_SERVES.finditer(sentence))
    for run in _RUN.finditer(sentence):
        tokens = [(m.start() + run.start(), m.end() + run.start()) for m in re.finditer(r"\S+", run.group())]
        last_start, last_end = tokens[-1]
        if last_end - last_start > 2 and sentence[last_end - 1] == ".":  # a full stop, not an initial
            tokens[-1] = (last_start, last_end - 1)
        roles = [i for i, (a, b) in enumerate(tokens) if _ROLE_WORD.match(sentence[a:b])]
        if not roles:
            counterpart = _COUNTERPART.search(sentence[: run.start()])  # "his Japanese counterpart Taro Kono"
            lead_title = _LEAD_TITLE.search(sentence[: run.start()])  # "foreign minister Wang Yi"
            earlier = [holder for holder in found if holder.name[1] <= run.start()]
            if counterpart is not None and earlier and len(tokens) <= 3:
                previous = max(earlier, key=lambda holder: holder.name[1])
                role = _role_part(previous.title_text(sentence))
                implied = f"{counterpart.group('qualifier')} {role}"
                found.append(
                    Holder(
                        name=(tokens[0][0], tokens[-1][1]), title=counterpart.span("title"), implied=implied
                    )
                )
            elif lead_title is not None and len(tokens) <= 3:
                found.append(Holder(name=(tokens[0][0], tokens[-1][1]), title=lead_title.span(1)))
            continue
        first_name = roles[-1] + 1
        while first_name < len(tokens) and sentence[slice(*tokens[first_name])].lower() in _OFFICE_WORDS:
            first_name += 1
        if len(tokens) - first_name < 1:
            continue
        found.append(
            Holder(
                name=(tokens[first_name][0], tokens[-1][1]), title=(tokens[0][0], tokens[first_name - 1][1])
            )
        )
    return [_without_possessive(holder, sentence) for holder in found]


def _without_possessive(holder: Holder, sentence: str) -> Holder:
    """``holder`` with a possessive ending left out of the name ("Mike Pompeo's recent comments")."""
    start, end = holder.name
    if end - start > 2 and sentence[end - 2 : end] in ("'s", "’s"):
        return replace(holder, name=(start, end - 2))
    return holder


def _role_part(title: str) -> str:
    """The role of a title without whose it is: "Chinese Foreign Minister" -> "Foreign Minister"."""
    words = title.split()
    for number, word in enumerate(words):
        if word.lower() in _OFFICE_WORDS or _ROLE_WORD.match(word) or word.lower() in _LESSER:
            return " ".join(words[number:])
    return title


def _same_place(asked: str, said: str) -> bool:
    asked, said = _DEMONYMS.get(asked, asked), _DEMONYMS.get(said, said)
    if asked == said:
        return True
    shared = len(_common_prefix(asked, said))
    return shared >= _MIN_SHARED_PREFIX and shared >= min(len(asked), len(said)) - 3


def _common_prefix(a: str, b: str) -> str:
    size = 0
    while size < min(len(a), len(b)) and a[size] == b[size]:
        size += 1
    return a[:size]


def title_matches(question: RoleQuestion, title: str) -> bool | None:
    """True when ``title`` is the asked role of the asked qualifier, False when it is the role of
    another one ("Chinese Foreign Minister" for North Korea's), None when it is another role.
    News names some offices by what they do: a "top diplomat" is matched as each of its titles."""
    verdicts = [
        _title_matches(RoleQuestion(role=role, qualifier=question.qualifier), title)
        for role in (question.role, *_ROLE_ALIASES.get(question.role, ()))
    ]
    if True in verdicts:
        return True
    return False if False in verdicts else None


def _title_matches(question: RoleQuestion, title: str) -> bool | None:
    words = _words(title)
    head = question.role[-1].rstrip("s")
    if not any(word.rstrip("s") == head for word in words):
        return None
    if not all(any(_same_place(asked, word) for word in words) for asked in question.role[:-1]):
        return None
    if any(word in _LESSER and word not in question.role for word in words):
        return None  # a vice foreign minister is not the foreign minister
    if not question.qualifier:
        return True
    places = [word for word in words if word not in question.role and word not in _OFFICE_WORDS]
    if not places:
        return None  # "foreign minister Wang Yi": whose, the sentence does not say
    return all(any(_same_place(asked, word) for word in places) for asked in question.qualifier)


def role_holder_span(question: RoleQuestion, sentence: str) -> tuple[tuple[int, int], bool] | None:
    """The name holding the asked role in ``sentence`` and whether its title matches fully (True)
    or only the role without a conflicting qualifier; None when no holder fits."""
    unqualified = None
    for holder in holders(sentence):
        verdict = title_matches(question, holder.title_text(sentence))
        if verdict:
            return holder.name, True
        if verdict is None and unqualified is None and _role_only(question, holder.title_text(sentence)):
            unqualified = holder.name, False
    return unqualified


def _role_only(question: RoleQuestion, title: str) -> bool:
    return title_matches(RoleQuestion(role=question.role, qualifier=()), title) is True


def only_other_holders(question: RoleQuestion, sentence: str) -> bool:
    """True when ``sentence`` names holders of the asked role, all of them for someone else
    ("Chinese Foreign Minister Wang Yi" when North Korea's is asked)."""
    verdicts = [title_matches(question, holder.title_text(sentence)) for holder in holders(sentence)]
    return False in verdicts and True not in verdicts


def title_of(name: str, sentence: str) -> tuple[int, int] | None:
    """The title given to ``name`` in ``sentence`` ("North Korean Foreign Minister"), or None."""
    wanted = set(name.lower().split())
    for holder in holders(sentence):
        held = set(sentence[slice(*holder.name)].lower().split())
        # the same person named in full or in part ("Pompeo" for "Mike Pompeo"), not a namesake
        # sharing one word ("Wang Yi" for "Wang Sheng")
        if held and (held <= wanted or wanted <= held):
            return holder.title
    return None
