"""The news-shaped probe (``benchmarks/news_probe.py``) writes a SQuAD file that ``rag eval`` reads."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from rag.eval.squad import load_squad
from rag.ingest import load_articles

ROOT = Path(__file__).resolve().parents[1]


def test_the_probe_is_a_squad_file_with_every_answer_at_its_offset(tmp_path):
    spec = importlib.util.spec_from_file_location("news_probe", ROOT / "benchmarks" / "news_probe.py")
    assert spec is not None and spec.loader is not None
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    data = load_squad(probe.squad_file(tmp_path / "probe.json"))
    assert len(data.questions) == 66
    seeds = load_articles([ROOT / "seeds"]).articles  # distractors, without questions
    assert len(data.articles) == 6 + len(seeds)
    for question in data.questions:
        article = data.article(question.doc_id)
        for answer in question.answers:
            assert article.text[answer.start : answer.end] == answer.text
