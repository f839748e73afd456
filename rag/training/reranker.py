"""Refit ``rag/qa/reader_rank.json`` (the reader re-ranker): ``rag train reranker`` (module
entry ``python -m rag.training.reranker``).

Two steps: collect the records (``rag.training.rerank_records``: for ``--limit`` answerable
questions, dealt over ``--settings`` (open paragraphs, 600–800-word documents, or only the
question's own document searched, so the confidence holds for one long article as well as for
many paragraphs), and ``--unanswerable`` unanswerable SQuAD train questions, the shipped sentence ranker's best
``--max-depth`` sentences and every span the shipped span reader proposes in each; cached in a
folder named by the reader, the ranker model, the train file, the samples and the depth), then
fit from them alone (``rag.training.rerank_fit``), so a refit from the same records writes a
byte-identical file. Nothing here looks at dev part A; ``rag eval answers`` reports on it.

Usage::

    rag train reranker                      # the shipped fit: 3,000 + 1,500 questions, depth 16 (about 40 min)
    rag train reranker --out /tmp/reader_rank.json

A new reader or sentence ranker gets new records by itself (their files are in the folder's name).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from rag.qa.rerank import RERANK_PATH, SPANS_PER_WINDOW, RerankModel
from rag.training.paths import DEFAULT_CACHE_DIR, TRAIN_SUBSET, digest, require_file
from rag.training.rerank_fit import fit_rerank_model
from rag.training.rerank_records import (
    RECORDS_FORMAT,
    RerankRecords,
    collect,
    fit_questions,
    read_rerank_records,
)

log = logging.getLogger(__name__)

DESCRIPTION = "Refit rag/qa/reader_rank.json (the reader re-ranker) on SQuAD train."
TRAIN_FILE_ROLE = "the SQuAD train file the records are collected from"
#: Most sentences the reader re-reads (the shipped fit's ``--max-depth``).
DEFAULT_MAX_DEPTH = 16
#: Answerable questions (whole corpus) and unanswerable ones (other half indexed) of the fit.
DEFAULT_ANSWERABLE = 3000
DEFAULT_UNANSWERABLE = 1500
#: What a question searches when its records are collected (``rag eval answers --setting``).
SETTINGS = ("open", "document", "closed")
DEFAULT_SETTINGS = SETTINGS
#: The files of a records folder, in the order their bytes enter ``records_digest``.
RECORD_FILES = ("manifest.json", "records.json")


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The options of ``rag train reranker``, added to ``parser`` or to a new one."""
    parser = parser or argparse.ArgumentParser(
        prog="python -m rag.training.reranker", description=DESCRIPTION
    )
    parser.add_argument("--train", type=Path, default=TRAIN_SUBSET, help="SQuAD v1.1 train JSON")
    parser.add_argument("--out", type=Path, default=RERANK_PATH, help="file to write (default: shipped)")
    parser.add_argument("--limit", type=int, default=DEFAULT_ANSWERABLE, help="answerable train questions")
    parser.add_argument(
        "--unanswerable",
        type=int,
        default=DEFAULT_UNANSWERABLE,
        help="train questions asked of the other half",
    )
    parser.add_argument(
        "--max-depth", type=int, default=DEFAULT_MAX_DEPTH, help="most sentences the reader re-reads"
    )
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE_DIR, help="folder of embedding vectors and records"
    )
    parser.add_argument(
        "--settings",
        default=",".join(DEFAULT_SETTINGS),
        help="comma-separated settings the answerable questions are dealt over (open, document, closed)",
    )
    parser.add_argument("--records", type=Path, help="records folder (default: in --cache, named by inputs)")
    parser.add_argument(
        "--recollect", action="store_true", help="collect the records again, replacing the folder"
    )
    return parser


def default_records_dir(
    cache_dir: Path,
    train_file: Path,
    answerable: int,
    unanswerable: int,
    depth: int,
    settings: Sequence[str] = DEFAULT_SETTINGS,
) -> Path:
    """``<cache_dir>/reranker-records-<digest>``: the digest covers the shipped reader's and sentence
    ranker's files (whose outputs the records hold), the train file, the sample sizes and the
    settings, so a new reader or ranker gets new records instead of silently reusing stale ones."""
    from rag.qa.model import MODEL_PATH
    from rag.reader import DEFAULT_MODEL_DIR
    from rag.reader.artifacts import ONNX_FILE

    key = digest(
        DEFAULT_MODEL_DIR / ONNX_FILE,
        MODEL_PATH,
        train_file,
        str(answerable),
        str(unanswerable),
        ",".join(settings),
        f"records format {RECORDS_FORMAT}",
    )
    return cache_dir / f"reranker-records-{key}-depth{depth}"


def records_digest(folder: Path) -> str:
    """A digest of a records folder's contents (stored in the model's ``info``)."""
    return digest(*(folder / name for name in RECORD_FILES))


def collect_records(
    train_file: Path,
    folder: Path,
    cache_dir: Path,
    answerable: int,
    unanswerable: int,
    depth: int,
    settings: Sequence[str] = DEFAULT_SETTINGS,
) -> Path:
    """Collect the records with the shipped ranker and reader into ``folder`` (vectors cached in
    ``cache_dir``).

    The answerable sample is dealt round-robin over ``settings`` (as in ``rag eval answers
    --setting``): ``open`` asks of every paragraph indexed, ``document`` of 600–800-word documents
    joined from consecutive paragraphs, ``closed`` of the question's own document only; so the
    confidence is fitted on the mix a user meets (one long article, or many). Unanswerable
    questions are asked of the other half of the paragraphs.
    """
    from rag.eval.documents import join_paragraphs
    from rag.eval.squad import load_squad
    from rag.qa.answerer import QA
    from rag.reader import HitReader
    from rag.training.vectors import backend_cache, in_memory_index

    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown or not settings:
        raise ValueError(f"--settings takes some of {', '.join(SETTINGS)}, got {','.join(settings)!r}")
    train = load_squad(train_file)
    embedder = backend_cache(cache_dir)
    reader = HitReader(spans_per_hit=SPANS_PER_WINDOW)
    chosen, indexed, away = fit_questions(train, answerable, unanswerable)
    dealt = {setting: chosen[number :: len(settings)] for number, setting in enumerate(settings)}
    answerable_records = []
    if dealt.get("open"):
        whole = QA(in_memory_index(train.articles, embedder), reader=None)
        answerable_records += collect(whole, reader, dealt["open"], "answerable, open", depth)
    if dealt.get("document") or dealt.get("closed"):
        documents = join_paragraphs(train)
        moved = {question.question_id: question for question in documents.questions}
        joined = QA(in_memory_index(documents.articles, embedder), reader=None)
        for setting in ("document", "closed"):
            questions = [moved[question.question_id] for question in dealt.get(setting, [])]
            answerable_records += collect(
                joined, reader, questions, f"answerable, {setting}", depth, closed=setting == "closed"
            )
    indexed_set = set(indexed)
    half = QA(in_memory_index([a for a in train.articles if a.doc_id in indexed_set], embedder), reader=None)
    unanswerable_records = collect(half, reader, away, "unanswerable", depth)
    embedder.save()
    info = {"train_file": train_file.name, "records_depth": depth, "settings": list(settings)}
    return RerankRecords(tuple(answerable_records), tuple(unanswerable_records), info).save(folder)


def fit_from_records(folder: Path, out: Path, max_depth: int | None = None) -> RerankModel:
    """Fit the re-ranker from the records in ``folder`` and write it to ``out``.

    Raises:
        FileNotFoundError, ValueError: no usable records in ``folder`` (see ``read_rerank_records``).
    """
    model = fit_rerank_model(read_rerank_records(folder), max_depth)
    model = replace(model, info={**model.info, "records_digest": records_digest(folder)})
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    return model


def run(args: argparse.Namespace) -> int:
    """Collect the records if needed, fit, write ``--out``.

    Raises:
        FileNotFoundError: the train file is missing when records must be collected.
        ValueError: ``--max-depth`` below 1.
    """
    if args.max_depth < 1:
        raise ValueError(f"--max-depth must be >= 1, got {args.max_depth}")
    settings = tuple(setting.strip() for setting in args.settings.split(",") if setting.strip())
    folder = args.records
    if folder is None:
        require_file(args.train, TRAIN_FILE_ROLE)
        folder = default_records_dir(
            args.cache, args.train, args.limit, args.unanswerable, args.max_depth, settings
        )
    if args.recollect or not (folder / "manifest.json").is_file():
        require_file(args.train, TRAIN_FILE_ROLE)
        log.info("collecting re-ranker records into %s", folder)
        collect_records(
            args.train, folder, args.cache, args.limit, args.unanswerable, args.max_depth, settings
        )
    else:
        log.info("reading re-ranker records from %s", folder)
    model = fit_from_records(folder, args.out, args.max_depth)
    print(
        f"wrote {args.out}: depth {model.depth}, logit gap {model.max_logit_gap}, "
        f"penalty {model.overlap_penalty} (records {folder})"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rag.training.reranker [options]``."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
