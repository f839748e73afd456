"""Article-length documents from SQuAD paragraphs: the ``document`` and ``closed`` settings of
``rag eval answers``.

A SQuAD paragraph is about 120 words; a news article is 600–800. To measure the pipeline on
article-shaped inputs, consecutive paragraphs of the same SQuAD page are joined (blank line
between them, as in a scraped article) into documents of about ``min_words``–``max_words``
words; each question moves with its paragraph, its answer offsets shifted so they still index
the document's text.

Example:
    >>> data = load_squad("../shared/eval/squad-v1.1-dev-part-a.json")  # doctest: +SKIP
    >>> documents = join_paragraphs(data)  # doctest: +SKIP
    >>> len(documents.articles) < len(data.articles)  # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from itertools import groupby

from rag.eval.squad import SquadAnswer, SquadSet
from rag.types import Article

#: Words a document aims for (news articles in the held-out set are 600–800 words).
DOCUMENT_MIN_WORDS = 600
DOCUMENT_MAX_WORDS = 800
PARAGRAPH_BREAK = "\n\n"


def word_count(text: str) -> int:
    return len(text.split())


def _group_paragraphs(paragraphs: list[Article], min_words: int, max_words: int) -> list[list[Article]]:
    """Consecutive runs of ``paragraphs`` (one page) of about ``min_words``–``max_words`` words.

    A run closes once it reaches ``min_words``, or before a paragraph that would push it past
    ``max_words`` when it already holds half of ``min_words``; a page's short tail joins the
    run before it when the two fit in ``max_words``.
    """
    runs: list[list[Article]] = []
    current: list[Article] = []
    words = 0
    for paragraph in paragraphs:
        size = word_count(paragraph.text)
        if current and words + size > max_words and words >= min_words // 2:
            runs.append(current)
            current, words = [], 0
        current.append(paragraph)
        words += size
        if words >= min_words:
            runs.append(current)
            current, words = [], 0
    if current:
        tail = sum(word_count(p.text) for p in current)
        if runs and tail + sum(word_count(p.text) for p in runs[-1]) <= max_words:
            runs[-1].extend(current)
        else:
            runs.append(current)
    return runs


def join_paragraphs(
    data: SquadSet, min_words: int = DOCUMENT_MIN_WORDS, max_words: int = DOCUMENT_MAX_WORDS
) -> SquadSet:
    """``data`` with consecutive paragraphs of each page joined into article-length documents.

    Questions keep their ids and text; their ``doc_id`` names the document and their answer
    offsets index its text. Document ids are stable (a hash of the title and text).
    """
    if not 0 < min_words <= max_words:
        raise ValueError(f"need 0 < min_words <= max_words, got {min_words}, {max_words}")
    moved: dict[str, tuple[str, int]] = {}
    documents: list[Article] = []
    for title, page in groupby(data.articles, key=lambda article: article.title):
        for run in _group_paragraphs(list(page), min_words, max_words):
            text = PARAGRAPH_BREAK.join(paragraph.text for paragraph in run)
            digest = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()[:16]
            doc_id = f"squad-doc-{digest}"
            offset = 0
            for paragraph in run:
                moved[paragraph.doc_id] = (doc_id, offset)
                offset += len(paragraph.text) + len(PARAGRAPH_BREAK)
            documents.append(replace(run[0], doc_id=doc_id, text=text))
    questions = []
    for question in data.questions:
        doc_id, offset = moved[question.doc_id]
        answers = tuple(SquadAnswer(answer.text, answer.start + offset) for answer in question.answers)
        questions.append(replace(question, doc_id=doc_id, answers=answers))
    return SquadSet(articles=tuple(documents), questions=tuple(questions))
