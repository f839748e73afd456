"""A question that several stories could answer: "How many people were killed?" over a pile of news.

Questions written from a headline often name nothing that singles out their story. Asked of many
articles, the answer then comes from whichever story ranks first, and nothing in the sentence or
the span says that another story was meant: on the long news probe, questions whose every content
word is held by 4 or more of the 49 articles get the right sentence 0.20 of the time, the others
0.54 (benchmarks/README.md). The answer stays as it is, with a note saying so, so the user can
name the story or narrow the articles searched.
"""

from __future__ import annotations

from rag.index import SearchIndex
from rag.types import Answer

#: A note is added when at least this many articles hold every content word of the question.
AMBIGUOUS_ARTICLES = 4
AMBIGUITY_NOTE = (
    "{count} of the articles hold every word of this question, so it may be about another story "
    "than “{title}”: name the story (a place, a person, an event) or filter the articles."
)


def ambiguity_note(index: SearchIndex, question: str, answer: Answer) -> str:
    """The note for a found ``answer`` to ``question`` when :data:`AMBIGUOUS_ARTICLES` or more
    indexed articles could be meant, else "" (also when the index does not count them, or when
    the answer is quoted from several articles that agree)."""
    if not answer.found or not answer.citations or answer.agreeing_articles >= 2:
        return ""  # several articles stating the same answer: whichever story was meant, it holds
    with index.reading():
        count = index.articles_holding(question)
    if count is None or count < AMBIGUOUS_ARTICLES:
        return ""
    citation = answer.citations[0]
    return AMBIGUITY_NOTE.format(count=count, title=citation.title or citation.source or citation.doc_id)
