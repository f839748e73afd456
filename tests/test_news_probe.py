"""The news-shaped probes (``benchmarks/news_probe.py``) write SQuAD files that ``rag eval`` reads."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from rag.eval.squad import load_squad
from rag.ingest import load_articles

ROOT = Path(__file__).resolve().parents[1]


def _probe_module():
    spec = importlib.util.spec_from_file_location("news_probe", ROOT / "benchmarks" / "news_probe.py")
    assert spec is not None and spec.loader is not None
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    return probe


@pytest.mark.parametrize("name", ["short", "long"])
def test_each_probe_is_a_squad_file_with_every_answer_at_its_offset(tmp_path, name):
    probe = _probe_module()
    folder = probe.PROBES[name]
    lines = (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    answered = [item for item in map(json.loads, filter(None, lines)) if item["answers"]]
    articles = sorted((folder / "articles").glob("*.txt"))
    data = load_squad(probe.squad_file(tmp_path / "probe.json", folder))
    assert len(data.questions) == len(answered) > 5 * len(articles)
    seeds = load_articles([ROOT / "seeds"]).articles  # distractors, without questions
    assert len(data.articles) == len(articles) + len(seeds)
    for question in data.questions:
        article = data.article(question.doc_id)
        for answer in question.answers:
            assert article.text[answer.start : answer.end] == answer.text


def test_the_long_probe_asks_only_from_headlines_and_bullets():
    """Every long-probe article has its summary bullets, and every question asked is kept, in order."""
    folder = _probe_module().PROBES["long"]
    stems = {path.stem for path in (folder / "articles").glob("*.txt")}
    assert stems == {path.stem for path in (folder / "highlights").glob("*.txt")}
    asked = [
        json.loads(line) for line in (folder / "asked.jsonl").read_text(encoding="utf-8").splitlines() if line
    ]
    marked = [
        json.loads(line)
        for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        if line
    ]
    assert [(item["article"], item["question"]) for item in marked] == [
        (item["article"], item["question"]) for item in asked
    ]
    assert {item["article"] for item in asked} == stems
