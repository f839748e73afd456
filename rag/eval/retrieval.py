"""``rag eval retrieval FILE.json``: passage recall@k and MRR on a SQuAD-format file.

Every SQuAD paragraph is indexed as one article through the public API
(:func:`rag.build_index`), every question is asked against the whole corpus, and a
question counts as found at ``k`` when its own paragraph is among the first ``k``
distinct articles of the hits. Three rankings are scored: BM25 alone, dense alone and
the fused default (:class:`rag.FusionSettings`).

The built index is cached (default ``benchmarks/.cache/retrieval-<file>``), so a
second run embeds nothing.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.eval.squad import (
    SquadQuestion,
    add_squad_arguments,
    cache_dir,
    load_squad,
    sample_questions,
)
from rag.index import FusionSettings, Index, SearchIndex, build_index
from rag.types import Hit

RECALL_DEPTHS = (1, 5, 20)
SEARCH_DEPTH = 100  # chunks fetched per question; MRR counts ranks within them


@dataclass(frozen=True)
class RetrievalScores:
    """Passage recall at each depth in ``RECALL_DEPTHS`` and mean reciprocal rank for one method."""

    method: str
    questions: int
    recall: dict[int, float]
    mrr: float

    def to_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "questions": self.questions,
            **{f"recall@{depth}": round(value, 4) for depth, value in self.recall.items()},
            "mrr": round(self.mrr, 4),
        }


def passage_ranking(hits: Sequence[Hit]) -> list[str]:
    """Distinct ``doc_id``s in the order their first chunk appears in ``hits``."""
    return list(dict.fromkeys(hit.doc_id for hit in hits))


def passage_rank(ranking: Sequence[str], doc_id: str) -> int | None:
    """1-based position of ``doc_id`` in ``ranking``; None when it was not retrieved."""
    try:
        return ranking.index(doc_id) + 1
    except ValueError:
        return None


def passage_recall_at_k(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions whose gold passage is within the first ``k`` passages."""
    if not ranks:
        return 0.0
    return sum(1 for rank in ranks if rank is not None and rank <= k) / len(ranks)


def mean_reciprocal_rank(ranks: Sequence[int | None]) -> float:
    """Mean of 1/rank of the gold passage; a passage not retrieved counts 0."""
    if not ranks:
        return 0.0
    return sum(1.0 / rank for rank in ranks if rank is not None) / len(ranks)


def score_ranks(method: str, ranks: Sequence[int | None]) -> RetrievalScores:
    return RetrievalScores(
        method=method,
        questions=len(ranks),
        recall={depth: passage_recall_at_k(ranks, depth) for depth in RECALL_DEPTHS},
        mrr=mean_reciprocal_rank(ranks),
    )


def evaluation_methods(fused: FusionSettings | None = None) -> dict[str, FusionSettings]:
    """The rankings scored: each side alone, then the fused default (or ``fused``)."""
    fused = fused or FusionSettings()
    return {
        "bm25": FusionSettings.single("bm25", candidates=fused.candidates),
        "dense": FusionSettings.single("dense", candidates=fused.candidates),
        "fused": fused,
    }


def evaluate_retrieval(
    index: SearchIndex,
    questions: Sequence[SquadQuestion],
    methods: dict[str, FusionSettings] | None = None,
    on_question: Callable[[int], None] | None = None,
) -> list[RetrievalScores]:
    """Score each method's passage ranking for ``questions`` against ``index``.

    Args:
        index: holds every paragraph of the questions' file as one article.
        questions: what to ask; each knows the ``doc_id`` of its paragraph.
        methods: name -> fusion settings; default :func:`evaluation_methods`.
        on_question: called with the count of questions done (for progress bars).
    """
    methods = methods or evaluation_methods()
    ranks: dict[str, list[int | None]] = {name: [] for name in methods}
    for done, question in enumerate(questions, start=1):
        for name, settings in methods.items():
            hits = index.search(question.question, k=SEARCH_DEPTH, fusion=settings)
            ranks[name].append(passage_rank(passage_ranking(hits), question.doc_id))
        if on_question:
            on_question(done)
    return [score_ranks(name, method_ranks) for name, method_ranks in ranks.items()]


def default_cache_dir(squad_file: Path) -> Path:
    """Where ``rag eval retrieval`` (and ``rag eval answers`` on the whole corpus) keep the index."""
    return cache_dir(squad_file, "retrieval")


def register(subparsers) -> None:  # type: ignore[no-untyped-def]
    parser = subparsers.add_parser(
        "retrieval", help="passage recall@1/5/20 and MRR of bm25, dense and fused search on a SQuAD file"
    )
    add_squad_arguments(parser)
    parser.add_argument(
        "--backend",
        choices=("local", "milvus"),
        default="local",
        help="where the index lives (milvus: the same vectors as the local index, in Milvus)",
    )
    parser.add_argument(
        "--milvus-uri",
        help="with --backend milvus: a Milvus Lite file or http://host:19530 (default: a Lite file in the cache)",
    )
    parser.set_defaults(run=run)


def milvus_copy(index: Index, uri: str, prefix: str = "eval") -> SearchIndex:
    """The articles of the local ``index`` in Milvus at ``uri``, with the very same vectors (so
    the two backends are compared on ranking alone); collections under ``prefix`` start afresh."""
    from rag.index.milvus import MilvusIndex, MilvusSettings
    from rag.index.milvus.schema import connect

    settings = MilvusSettings(uri, prefix=prefix)
    client = connect(settings.resolved())
    for name in ("articles", "chunks", "sentences"):
        client.drop_collection(settings.collection(name))
    client.close()
    copy = MilvusIndex(
        settings, embedder=index.embedder, chunk_settings=index.chunk_settings, fusion=index.fusion
    )
    copy.extend(index.articles(), cache=index.known_sentence_vectors())
    copy.save()
    return copy


def run(args) -> int:  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    data = load_squad(args.file)
    questions = sample_questions(data.questions, args.limit, args.seed)
    index_dir = args.index_dir or default_cache_dir(args.file)
    started = time.perf_counter()
    index: SearchIndex = build_index(list(data.articles), index_dir, progress=not args.json)
    if args.backend == "milvus":
        assert isinstance(index, Index)
        index = milvus_copy(index, args.milvus_uri or str(index_dir.with_name(index_dir.name + "-milvus.db")))
    built_seconds = time.perf_counter() - started
    print(
        f"index at {index_dir}: {len(data.articles)} passages, {len(index)} chunks, "
        f"embedded {index.last_embedded} ({built_seconds:.1f} s)",
        file=sys.stderr,
    )
    methods = evaluation_methods()
    with tqdm(total=len(questions), desc="questions", disable=args.json, file=sys.stderr) as bar:
        started = time.perf_counter()
        results = evaluate_retrieval(index, questions, methods, on_question=lambda _: bar.update())
        search_seconds = time.perf_counter() - started
    if args.json:
        report = {
            "file": str(args.file),
            "questions": len(questions),
            "of_questions": len(data.questions),
            "seed": args.seed if args.limit else None,
            "passages": len(data.articles),
            "chunks": len(index),
            "backend": index.backend,
            "fusion": methods["fused"].to_dict(),
            "results": [result.to_dict() for result in results],
        }
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    sample = f", sampled with seed {args.seed}" if len(questions) < len(data.questions) else ""
    print(
        f"{args.file.name}: {len(questions)} of {len(data.questions)} questions{sample}; {len(data.articles)} passages"
    )
    header = "method  " + "".join(f"  R@{depth:<4}" for depth in RECALL_DEPTHS) + "  MRR"
    print(header)
    for result in results:
        cells = "".join(f"  {result.recall[depth]:.3f} " for depth in RECALL_DEPTHS)
        print(f"{result.method:<8}{cells}  {result.mrr:.3f}")
    per_question = 1000 * search_seconds / max(1, len(questions) * len(methods))
    print(f"fused default: {methods['fused'].to_dict()}; {per_question:.1f} ms per search")
    return 0
