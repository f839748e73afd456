"""A small news-shaped check: headline-style questions about wire-style articles.

Part A is Wikipedia paragraphs with questions written while reading them. News differs: a
dateline, relative dates ("on Friday"), amounts with bounds ("at least 38"), statements, role
holders, and questions worded from the headline. Two probes, both made up (not real reporting):

- ``short`` (``benchmarks/news_probe/``): six wire-style articles of 290-350 words (an
  earthquake, a bribery sentence, a carmaker's results, an election, a bus crash, a protest) and
  66 questions with the answers a reader would accept, written before the answerer was run.
- ``long`` (``benchmarks/news_probe/long/``): 40 CNN-style articles of 690-790 words in 24-30
  paragraphs (some deliberately alike: two each of shootings, floods, elections, wildfires, doping
  cases, sieges, mergers), built the way the NewsQA set was, by separate language-model helper
  agents: writers wrote the articles and their summary bullets (``highlights/``), askers saw only
  the headlines and bullets and wrote 8 questions per article (``asked.jsonl``), markers marked
  the answers in the full articles (``questions.jsonl``: 314 of 320 answered; questions the
  article does not answer have no answers and are left out of the figures).

The seed articles go in as distractors (no questions). This script writes each probe as a SQuAD
v1.1 file (each article one paragraph, its headline the title, each answer at its first
occurrence) and runs ``rag eval answers`` on it in each setting, so the figures are the same
ones as part A's: sentence accuracy, EM, F1, abstention.

Usage::

    .venv/bin/python benchmarks/news_probe.py                    # both probes; open, document and closed
    .venv/bin/python benchmarks/news_probe.py --probe long --setting closed --json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.ingest import load_articles  # noqa: E402

PROBE = ROOT / "benchmarks" / "news_probe"
#: The probes: the short one's folder is ``news_probe`` itself, the long one's ``news_probe/long``.
PROBES = {"short": PROBE, "long": PROBE / "long"}
SETTINGS = ("open", "document", "closed")


def squad_file(out: Path, probe: Path = PROBE) -> Path:
    """Write the probe in folder ``probe`` as SQuAD v1.1 JSON to ``out``; raise if an answer is
    not in its article. Questions without accepted answers (the article does not say) are left out."""
    data = []
    lines = (probe / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [item for item in map(json.loads, filter(None, lines)) if item["answers"]]
    for path in sorted((probe / "articles").glob("*.txt")):
        headline, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        qas = []
        for number, item in enumerate(q for q in questions if q["article"] == path.stem):
            answers = []
            for text in item["answers"]:
                start = body.find(text)
                if start < 0:
                    raise ValueError(f"{path.stem}: {text!r} is not in the article ({item['question']})")
                answers.append({"text": text, "answer_start": start})
            qas.append({"id": f"{path.stem}-{number:02d}", "question": item["question"], "answers": answers})
        data.append({"title": headline.strip(), "paragraphs": [{"context": body.strip(), "qas": qas}]})
    for article in load_articles([ROOT / "seeds"]).articles:
        data.append(
            {"title": article.title or article.doc_id, "paragraphs": [{"context": article.text, "qas": []}]}
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"version": "news-probe", "data": data}, ensure_ascii=False), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", choices=SETTINGS, action="append", help="default: all three")
    parser.add_argument("--probe", choices=sorted(PROBES), action="append", help="default: both")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / ".cache", help="folder of the SQuAD files"
    )
    parser.add_argument("--json", action="store_true", help="print each setting's JSON report")
    args = parser.parse_args(argv)
    rag = str(Path(sys.executable).with_name("rag"))
    for name in args.probe or sorted(PROBES, reverse=True):
        path = squad_file(args.out / f"news-probe-{name}.json", PROBES[name])
        for setting in args.setting or SETTINGS:
            command = [rag, "eval", "answers", str(path), "--setting", setting, "--json"]
            report = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
            if args.json:
                print(json.dumps({"probe": name, **report}))
                continue
            _print(name, setting, report)
    return 0


def _print(name: str, setting: str, report: dict[str, object]) -> None:
    print(
        f"{name:5s} {setting:9s} questions {report['questions']}  "
        f"sentence {report['sentence_accuracy']:.3f}  "
        f"EM {report['exact_match']:.3f}  F1 {report['f1']:.3f}  abstention {report['abstention_rate']:.3f}  "
        f"score>=0.5 right {report['confident_right']:.3f}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
