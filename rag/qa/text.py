"""Words with offsets, stems and stop words: the lexical basis of sentence ranking and spans."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# A word: letters/digits, keeping inner hyphens, apostrophes, dots and commas of numbers
# ("Yong-ho", "China's", "U.S", "1,000", "3.5").
_WORD = re.compile(r"\w+(?:[-'’.,]\w+)*", re.UNICODE)

#: English function words and question words that carry no topic; they are never matched
#: between question and sentence.
STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing done down during each else ever few for from
    further had has have having he her here hers herself him himself his how however i if in into is it
    its itself just let me might more most much must my myself no nor not now of off on once only or
    other ought our ours ourselves out over own per same shall she should so some such than that the
    their theirs them themselves then there these they this those through thus to too under until up
    upon us very was we were what whatever when where whereas whether which while who whom whose why
    will with within without would yet you your yours yourself yourselves
    many kind type sort name named called one ones s t
    """.split()
)


# Irregular past forms, so "met" matches "meet" (Snowball stems only suffixes).
_IRREGULAR = {
    form: base
    for base, forms in {
        "meet": "met",
        "write": "wrote written",
        "become": "became",
        "choose": "chose chosen",
        "fly": "flew flown",
        "rise": "rose risen",
        "lose": "lost",
        "win": "won",
        "begin": "began begun",
        "lead": "led",
        "hold": "held",
        "make": "made",
        "take": "took taken",
        "give": "gave given",
        "find": "found",
        "build": "built",
        "come": "came",
        "go": "went gone",
        "see": "saw seen",
        "say": "said",
        "tell": "told",
        "sell": "sold",
        "buy": "bought",
        "bring": "brought",
        "think": "thought",
        "teach": "taught",
        "fight": "fought",
        "catch": "caught",
        "run": "ran",
        "grow": "grew grown",
        "know": "knew known",
        "speak": "spoke spoken",
        "drive": "drove driven",
        "fall": "fell fallen",
        "pay": "paid",
        "keep": "kept",
        "send": "sent",
        "spend": "spent",
        "strike": "struck",
        "mean": "meant",
        "feel": "felt",
        "stand": "stood",
        "understand": "understood",
        "shoot": "shot",
        "draw": "drew drawn",
        "eat": "ate eaten",
        "get": "got gotten",
        "ride": "rode ridden",
        "sing": "sang sung",
        "throw": "threw thrown",
        "wear": "wore worn",
        "break": "broke broken",
        "bear": "bore born borne",
        "hear": "heard",
        "lay": "laid",
        "seek": "sought",
        "sit": "sat",
        "steal": "stole stolen",
        "swear": "swore sworn",
        "wake": "woke woken",
        "withdraw": "withdrew withdrawn",
        "forbid": "forbade forbidden",
        "forget": "forgot forgotten",
        "freeze": "froze frozen",
        "hide": "hid hidden",
        "shake": "shook shaken",
        "sleep": "slept",
        "feed": "fed",
        "deal": "dealt",
        "lend": "lent",
        "light": "lit",
        "dig": "dug",
        "hang": "hung",
        "overcome": "overcame",
    }.items()
    for form in forms.split()
}


@dataclass(frozen=True)
class Word:
    """One word of a text: its characters, offsets into the text, and its stem."""

    text: str
    start: int
    end: int
    stem: str

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def is_stopword(self) -> bool:
        if len(self.text) > 1 and self.text.isupper():
            return False  # an acronym ("US", "IT"), not the pronoun
        return self.lower in STOPWORDS or self.lower.rstrip("'’s") in STOPWORDS

    @property
    def is_capitalized(self) -> bool:
        return self.text[:1].isupper()

    @property
    def has_digit(self) -> bool:
        return any(character.isdigit() for character in self.text)


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball stem of a lower-cased word, possessive ``'s`` removed ("China's" -> "china")."""
    lowered = word.lower()
    for suffix in ("'s", "’s"):
        if lowered.endswith(suffix):
            lowered = lowered[: -len(suffix)]
    lowered = _IRREGULAR.get(lowered, lowered)
    return _stemmer().stemWord(lowered.replace("’", "'"))


#: Distinct texts whose words are remembered (sentences recur across questions).
WORD_CACHE_SIZE = 50_000


@lru_cache(maxsize=WORD_CACHE_SIZE)
def words(text: str) -> tuple[Word, ...]:
    """All words of ``text`` with their character offsets, in order."""
    result = []
    for match in _WORD.finditer(text):
        token = match.group().rstrip(".,")
        result.append(Word(token, match.start(), match.start() + len(token), stem(token)))
    return tuple(result)


def content_stems(text: str) -> list[str]:
    """Stems of the words of ``text`` that are not stop words, in order (repeats kept)."""
    return [word.stem for word in words(text) if not word.is_stopword]
