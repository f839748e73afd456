"""Does a sentence encoder find the sentence that answers a question? Part A, by question group.

For every SQuAD dev part-A question, each sentence of its paragraph (``rag.chunk.split_sentences``)
is scored by the cosine between its embedding and the question's; the question counts as found
when the best-scoring sentence holds a reference answer. Reported overall and per question group
of ``rag eval answers`` (``rag.eval.overlap``: paraphrased / partly shared / lexical).

Models: ``base`` is the product's embedding model (all-MiniLM-L6-v2 through ``rag.embed``); any
other argument is a folder of trained weights from ``rag train matcher --output`` (read with
transformers, float32, mean pooling: what the matcher is trained as).

Usage::

    .venv/bin/python benchmarks/matcher_eval.py base OUT [--limit N] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.chunk import split_sentences  # noqa: E402
from rag.eval.overlap import OVERLAP_GROUPS, answer_sentence_overlap  # noqa: E402
from rag.eval.squad import load_squad  # noqa: E402

PART_A = ROOT.parent / "shared" / "eval" / "squad-v1.1-dev-part-a.json"
QUESTION_LENGTH, SENTENCE_LENGTH = 48, 64

Encode = Callable[[Sequence[str], int], np.ndarray]


def base_encoder() -> Encode:
    from rag.embed import get_embedder

    embedder = get_embedder()
    return lambda texts, _length: embedder.encode(list(texts))


def trained_encoder(folder: Path) -> Encode:
    import torch
    from transformers import AutoModel, AutoTokenizer

    from rag.training.matcher import embed

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()

    def encode(texts: Sequence[str], length: int) -> np.ndarray:
        with torch.inference_mode():
            batches = [
                embed(model, tokenizer, texts[first : first + 128], length)
                for first in range(0, len(texts), 128)
            ]
        return torch.cat(batches).numpy()

    return encode


def evaluate(encode: Encode, limit: int | None) -> dict[str, object]:
    data = load_squad(PART_A)
    texts = {article.doc_id: article.text for article in data.articles}
    questions = list(data.questions)
    if limit:
        questions = random.Random(0).sample(questions, min(limit, len(questions)))
    spans = {doc: split_sentences(texts[doc]) for doc in {q.doc_id for q in questions}}
    keys = [(doc, n) for doc in spans for n in range(len(spans[doc]))]
    vectors = encode(
        [texts[doc][spans[doc][n].start : spans[doc][n].end] for doc, n in keys], SENTENCE_LENGTH
    )
    rows: dict[str, list[int]] = {}
    for row, (doc, _n) in enumerate(keys):
        rows.setdefault(doc, []).append(row)
    queries = encode([q.question for q in questions], QUESTION_LENGTH)
    found, groups = [], []
    for question, query in zip(questions, queries, strict=True):
        sentences = spans[question.doc_id]
        best = sentences[int(np.argmax(vectors[rows[question.doc_id]] @ query))]
        found.append(any(best.start <= answer.start < best.end for answer in question.answers))
        overlap = answer_sentence_overlap(question, texts[question.doc_id])
        groups.append(next((g.name for g in OVERLAP_GROUPS if overlap is not None and g.holds(overlap)), ""))
    hits, names = np.array(found), np.array(groups)
    report: dict[str, object] = {"questions": len(questions), "top1": round(float(hits.mean()), 4)}
    for group in OVERLAP_GROUPS:
        chosen = names == group.name
        report[group.name] = {"questions": int(chosen.sum()), "top1": round(float(hits[chosen].mean()), 4)}
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="'base' or trained matcher folders")
    parser.add_argument("--limit", type=int, help="part-A questions (seed 0; default: all)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not PART_A.is_file():
        print(f"part A not found: {PART_A}", file=sys.stderr)
        return 2
    results = {}
    for name in args.models:
        encode = base_encoder() if name == "base" else trained_encoder(Path(name))
        results[name] = evaluate(encode, args.limit)
        if not args.json:
            report = results[name]
            groups = " ".join(f"{g.name} {report[g.name]['top1']:.3f}" for g in OVERLAP_GROUPS)  # type: ignore[index]
            print(f"{name}: top-1 {report['top1']:.3f} ({report['questions']} questions; {groups})")
    if args.json:
        print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
