"""Read SQuAD-format files (v1.1 layout) for the evaluations.

Each SQuAD paragraph becomes one :class:`rag.Article`: its text is the paragraph's
``context`` unchanged (so SQuAD's ``answer_start`` offsets index ``article.text``), its
title is the SQuAD article title with underscores turned into spaces, and its ``doc_id``
is a hash of that title and text, so the same paragraph gets the same id on every run.

Example:
    >>> data = load_squad("../shared/eval/squad-v1.1-dev-part-a.json")  # doctest: +SKIP
    >>> questions = sample_questions(data.questions, limit=1000)  # doctest: +SKIP
    >>> data.article(questions[0].doc_id).text[questions[0].answers[0].start:]  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.types import Article

SQUAD_SOURCE = "SQuAD"
DEFAULT_SEED = 0  # the fixed sample NOTES.md baselines were tuned on: random.Random(0)
SHARED_EVAL_HINT = "SQuAD files for evaluation live in ../shared/eval (e.g. squad-v1.1-dev-part-a.json)"


@dataclass(frozen=True)
class SquadAnswer:
    """One reference answer: its text and character offset into the paragraph."""

    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass(frozen=True)
class SquadQuestion:
    """A question, the ``doc_id`` of the paragraph that answers it, and its reference answers."""

    question_id: str
    question: str
    doc_id: str
    answers: tuple[SquadAnswer, ...]


@dataclass(frozen=True)
class SquadSet:
    """All paragraphs of a file as articles (file order) and all its questions (file order)."""

    articles: tuple[Article, ...]
    questions: tuple[SquadQuestion, ...]

    def article(self, doc_id: str) -> Article:
        """The paragraph with ``doc_id``; raises KeyError naming it when absent."""
        for article in self.articles:
            if article.doc_id == doc_id:
                return article
        raise KeyError(f"no SQuAD paragraph with doc_id {doc_id!r}")


def paragraph_title(squad_title: str) -> str:
    """SQuAD titles are Wikipedia page names: ``Super_Bowl_50`` -> ``Super Bowl 50``."""
    return squad_title.replace("_", " ").strip()


def paragraph_doc_id(title: str, context: str) -> str:
    """Stable id of one paragraph: ``squad-`` and 16 hex digits of sha256(title, context)."""
    digest = hashlib.sha256(f"{title}\n{context}".encode()).hexdigest()[:16]
    return f"squad-{digest}"


def load_squad(path: str | Path) -> SquadSet:
    """Read a SQuAD v1.1-format JSON file into articles (one per paragraph) and questions.

    A paragraph that appears twice under the same title is kept once; its questions all
    point to the one article.

    Raises:
        FileNotFoundError: ``path`` does not exist (the message says where the eval files live).
        ValueError: the file is not JSON or not in the SQuAD layout (the message names the path).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"SQuAD file not found: {path}; {SHARED_EVAL_HINT}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        pages = data["data"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as error:
        raise ValueError(
            f"{path} is not a SQuAD-format JSON file ({type(error).__name__}: {error})"
        ) from error
    articles: dict[str, Article] = {}
    questions: list[SquadQuestion] = []
    try:
        for page in pages:
            title = paragraph_title(page["title"])
            for paragraph in page["paragraphs"]:
                context = paragraph["context"]
                doc_id = paragraph_doc_id(title, context)
                articles.setdefault(
                    doc_id,
                    Article(doc_id=doc_id, title=title, text=context, source=SQUAD_SOURCE, path=str(path)),
                )
                for qa in paragraph["qas"]:
                    answers = tuple(
                        SquadAnswer(a["text"], int(a["answer_start"])) for a in qa.get("answers", [])
                    )
                    questions.append(SquadQuestion(str(qa["id"]), qa["question"], doc_id, answers))
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: unexpected SQuAD layout ({type(error).__name__}: {error})") from error
    return SquadSet(articles=tuple(articles.values()), questions=tuple(questions))


def sample_questions(
    questions: Sequence[SquadQuestion], limit: int | None = None, seed: int = DEFAULT_SEED
) -> list[SquadQuestion]:
    """``limit`` questions drawn without replacement with a fixed ``seed`` (all, in order, if None).

    The same file, limit and seed always give the same sample, so runs are comparable.

    Raises:
        ValueError: ``limit`` is not positive.
    """
    if limit is None or limit >= len(questions):
        return list(questions)
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    return random.Random(seed).sample(list(questions), limit)


# -- what both ``rag eval`` commands share ------------------------------------------------

CACHE_FOLDER = Path("benchmarks") / ".cache"


def cache_dir(squad_file: Path, variant: str) -> Path:
    """``benchmarks/.cache/<variant>-<stem>-<hash of the path>`` under the project root: where an
    evaluation keeps its index, so a second run embeds nothing."""
    from rag.config import PROJECT_ROOT

    digest = hashlib.sha256(str(squad_file.resolve()).encode()).hexdigest()[:8]
    return PROJECT_ROOT / CACHE_FOLDER / f"{variant}-{squad_file.stem}-{digest}"


def add_squad_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every ``rag eval`` command takes: the file, a sample, the index folder, JSON output."""
    parser.add_argument("file", type=Path, help="SQuAD v1.1-format JSON (e.g. ../shared/eval/...)")
    parser.add_argument("--limit", type=int, help="ask only this many questions, sampled with --seed")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="sampling seed (default %(default)s)")
    parser.add_argument(
        "--index-dir", type=Path, help="where to keep the evaluation index (default: benchmarks/.cache)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
