"""``rag ask "question" ["question" ...] [-] [--index DIR] [--json] [-k N] [filters]``.

Filters (``--source NAME``, ``--since``/``--until YYYY-MM-DD``, ``--kind``, ``--doc DOC_ID``)
restrict the articles answers come from, inside retrieval; a bad one is one line naming it.

Several questions may be given as arguments; ``-`` reads more, one per line, from stdin.
With ``--json`` each answer is one JSON object on its own line (batch use); with
``--conversation`` the questions are one chat, so later ones may be follow-ups
("What did he say about Hong Kong?").
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator


def register(subparsers) -> None:  # type: ignore[no-untyped-def]
    parser = subparsers.add_parser("ask", help="answer questions from the indexed articles")
    parser.add_argument(
        "questions", nargs="+", metavar="QUESTION", help="a question, or - to read one per line from stdin"
    )
    parser.add_argument(
        "--index", help="index folder (default: indexes/default, built from seeds/ if missing)"
    )
    parser.add_argument("-k", type=int, default=None, help="passages retrieved per question (default 5)")
    parser.add_argument(
        "--min-score", type=float, default=None, help="answer only at this confidence or above"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per answer, one per line")
    parser.add_argument(
        "--conversation", action="store_true", help="treat the questions as one chat (follow-ups)"
    )
    narrow = parser.add_argument_group("filters (applied inside retrieval)")
    narrow.add_argument(
        "--source", action="append", default=[], help="only articles of this source (repeatable)"
    )
    narrow.add_argument("--since", help="only articles published on or after this day (YYYY-MM-DD)")
    narrow.add_argument("--until", help="only articles published on or before this day (YYYY-MM-DD)")
    narrow.add_argument(
        "--kind", action="append", default=[], choices=("article", "teaser"), help="only this kind"
    )
    narrow.add_argument(
        "--doc", action="append", default=[], metavar="DOC_ID", help="only this article (repeatable)"
    )
    readers = parser.add_mutually_exclusive_group()
    readers.add_argument(
        "--no-reader",
        action="store_true",
        help="answer at sentence level, without the trained span reader (faster, longer answers)",
    )
    readers.add_argument("--reader", action="store_true", help="use the trained span reader (the default)")
    parser.set_defaults(run=run)


def questions_from(arguments: list[str], stdin: Iterator[str]) -> Iterator[str]:
    """The questions in order: arguments as given, ``-`` replaced by stdin's non-blank lines."""
    for argument in arguments:
        if argument == "-":
            for line in stdin:
                if line.strip():
                    yield line.rstrip("\n")
        else:
            yield argument


def format_answer(answer) -> str:  # type: ignore[no-untyped-def]
    """Plain-text rendering: the answer, its confidence, the quote and where it is from."""
    lines = [f"Q: {answer.question}"]
    if not answer.found:
        lines.append(f"A: (not found) {answer.message}")
        return "\n".join(lines)
    lines.append(f"A: {answer.text}    (confidence {answer.score:.2f})")
    if answer.dates:
        lines.append("   dates: " + "; ".join(f"{d.text} → {d.date}" for d in answer.dates))
    if answer.agreeing_articles >= 2:
        lines.append(f"   {answer.agreeing_articles} articles agree")
    for conflict in answer.conflicts:
        lines.append(f"   sources differ: {conflict.text} ({conflict.citations[0].source})")
    for entry in answer.timeline:
        when = entry.date or f"published {entry.published[:10]}"
        lines.append(f"   over time: {when}: {entry.text} ({entry.citation.title})")
    for citation in answer.citations:
        page = f"p. {citation.page}" if citation.page is not None else None
        where = ", ".join(part for part in (citation.source, citation.published, page) if part)
        lines.append(f"   “{citation.quote}”")
        lines.append(
            f"   — {citation.title}{f' ({where})' if where else ''} [{citation.doc_id} "
            f"chars {citation.span.start}-{citation.span.end}]"
        )
        if citation.url:
            lines.append(f"     {citation.url}")
    if answer.message:
        lines.append(f"   note: {answer.message}")
    return "\n".join(lines)


def run(args) -> int:  # type: ignore[no-untyped-def]
    from rag.index import Filter, load_index
    from rag.qa import QA, default_index
    from rag.qa.answerer import SHIPPED_READER, check_k
    from rag.types import Answer

    if args.k is not None:
        check_k(args.k)
    filters = Filter.from_dict(
        {
            "sources": args.source,
            "kinds": args.kind,
            "since": args.since,
            "until": args.until,
            "doc_ids": args.doc,
        }
    )
    index = load_index(args.index) if args.index else default_index()
    reader = None if args.no_reader else SHIPPED_READER
    qa = QA(index, **({"k": args.k} if args.k else {}), min_score=args.min_score, reader=reader)
    history: list[Answer] = []
    for question in questions_from(args.questions, sys.stdin):
        answer = qa.ask(question, history=history if args.conversation else None, filters=filters)
        history.append(answer)
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
        else:
            print(format_answer(answer), end="\n\n", flush=True)
    return 0
