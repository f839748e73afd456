"""Fit the answerer's scorers on SQuAD train, check them on dev part A, write ``rag/qa/model.json``.

Three small models, all fitted here (scikit-learn) and shipped as plain numbers:

1. sentence ranker: a one-hidden-layer network over ``rag.qa.features.FEATURE_NAMES``,
   trained listwise (softmax over each question's candidates); right: the sentence contains
   a reference answer. Candidates are the sentences of the top ``k`` passages of each train
   question, retrieved from the whole train corpus.
2. confidence: logistic regression over ``rag.qa.calibration.CONFIDENCE_FEATURES`` of each
   question's ranking; label: the top sentence is right. Fitted on out-of-fold rankings (the
   ranker is refitted on the other half of the train titles) of answerable questions and of
   unanswerable ones (half the train paragraphs indexed, the other half's questions asked).
3. span scorer: logistic regression over ``rag.qa.spans.SPAN_FEATURE_NAMES`` of the span
   candidates of each train question's gold sentence; label: the candidate matches a
   reference (SQuAD exact match).

Then dev part A is answered through ``rag.QA`` with the new model, on the whole corpus and in
the unanswerable setting, and a reliability table of ``score`` is printed (the model's
``min_score`` is the abstention threshold named below).

Usage::

    .venv/bin/python benchmarks/calibrate.py            # about 25 minutes on 2 cores, cold
    .venv/bin/python benchmarks/calibrate.py --limit 2000   # quicker, fewer train questions

Embeddings are cached under ``benchmarks/.cache/calibrate`` so reruns only re-fit.
Needs ``../shared/train`` and ``../shared/eval`` (SQuAD v1.1, CC BY-SA 4.0).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.chunk import split_sentences  # noqa: E402
from rag.embed import get_embedder  # noqa: E402
from rag.embed.base import Embedder  # noqa: E402
from rag.eval.answers import evaluate_answers, split_half  # noqa: E402
from rag.eval.scoring import exact_match, sentence_holds, summarize  # noqa: E402
from rag.eval.squad import SquadQuestion, SquadSet, load_squad  # noqa: E402
from rag.index import Index  # noqa: E402
from rag.qa.answerer import QA  # noqa: E402
from rag.qa.calibration import CONFIDENCE_FEATURES, confidence_features  # noqa: E402
from rag.qa.features import FEATURE_NAMES, view_sentence  # noqa: E402
from rag.qa.model import MODEL_PATH, QAModel, Scorer, read_model  # noqa: E402
from rag.qa.questions import analyze  # noqa: E402
from rag.qa.spans import SPAN_FEATURE_NAMES, span_candidates, span_features  # noqa: E402

TRAIN_FILE = ROOT.parent / "shared" / "train" / "squad-v1.1-train-subset.json"
EVAL_FILE = ROOT.parent / "shared" / "eval" / "squad-v1.1-dev-part-a.json"
WORK_DIR = ROOT / "benchmarks" / ".cache" / "calibrate"

#: Passages per question when collecting training candidates (the answerer's default k).
TRAIN_K = 5
#: Inverse regularization strength of the two logistic regressions.
CONFIDENCE_C = 1.0
SPAN_C = 1.0
#: Sentence ranker network: hidden units, epochs over the train questions, Adam settings.
LISTWISE_HIDDEN = 32
LISTWISE_EPOCHS = 30
LISTWISE_BATCH = 256
LISTWISE_LEARNING_RATE = 3e-3
LISTWISE_WEIGHT_DECAY = 1e-4
#: Abstention threshold written into the model: answer only when the calibrated
#: probability that the answer sentence is right is at least this.
MIN_SCORE = 0.3
SEED = 0
RELIABILITY_BINS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)
THRESHOLDS = (0.1, 0.2, 0.25, 0.3, 0.4, 0.5)


class VectorCache(Embedder):
    """The shared embedder behind a text -> vector table persisted in ``folder``."""

    backend = "cached"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.table: dict[str, np.ndarray] = {}
        for texts_file in sorted(folder.glob("*.json")):
            vectors_file = texts_file.with_suffix(".npy")
            if vectors_file.is_file():
                texts = json.loads(texts_file.read_text(encoding="utf-8"))
                self.table.update(zip(texts, np.load(vectors_file), strict=True))
        self.new: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        missing = list(dict.fromkeys(text for text in texts if text not in self.table))
        if missing:
            vectors = get_embedder().encode(missing, batch_size=64, progress=progress)
            for text, vector in zip(missing, vectors, strict=True):
                self.table[text] = vector
                self.new[text] = vector
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.table[text] for text in texts]).astype(np.float32)

    def save(self) -> None:
        if not self.new:
            return
        name = f"vectors-{int(time.time())}"
        (self.folder / f"{name}.json").write_text(json.dumps(list(self.new)), encoding="utf-8")
        np.save(self.folder / f"{name}.npy", np.stack(list(self.new.values())))
        self.new = {}


def neutral_scorer(names: Sequence[str]) -> Scorer:
    size = len(names)
    return Scorer(tuple(names), np.zeros(size), np.ones(size), (np.zeros((size, 1)),), (np.zeros(1),))


def neutral_model() -> QAModel:
    """All-zero scorers: lets ``QA`` build features before anything is fitted."""
    return QAModel(
        neutral_scorer(FEATURE_NAMES),
        neutral_scorer(CONFIDENCE_FEATURES),
        neutral_scorer(SPAN_FEATURE_NAMES),
        0.0,
        {},
    )


def in_memory_index(articles: Sequence, embedder: Embedder) -> Index:
    index = Index(None, embedder=embedder)
    index.add(list(articles))
    return index


@dataclass
class Group:
    """One question's candidate sentences: features, labels and what confidence needs."""

    question_id: str
    title: str
    answerable: bool
    features: np.ndarray
    labels: np.ndarray
    doc_ids: list[str]
    unseen: float
    question_words: int


def collect_groups(
    qa: QA, data: SquadSet, questions: Sequence[SquadQuestion], answerable: bool, label: str
) -> list[Group]:
    """Rank every question with the neutral model and keep its features and labels."""
    titles = {article.doc_id: article.title for article in data.articles}
    groups = []
    started = time.perf_counter()
    for number, question in enumerate(questions, start=1):
        ranking = qa.rank(question.question)
        references = [answer.text for answer in question.answers]
        labels = np.array([sentence_holds(c.text, references) for c in ranking.candidates], dtype=np.int8)
        groups.append(
            Group(
                question_id=question.question_id,
                title=titles[question.doc_id],
                answerable=answerable,
                features=ranking.features,
                labels=labels,
                doc_ids=[c.article.doc_id for c in ranking.candidates],
                unseen=float(ranking.confidence_inputs[0, CONFIDENCE_FEATURES.index("unseen_weight")]),
                question_words=len(set(ranking.question.stems)),
            )
        )
        if number % 1000 == 0:
            print(
                f"  {label}: {number}/{len(questions)} questions, {time.perf_counter() - started:.0f} s",
                flush=True,
            )
    return groups


def collect_spans(data: SquadSet, questions: Sequence[SquadQuestion]) -> tuple[np.ndarray, np.ndarray, float]:
    """Span features and exact-match labels over each question's gold sentence; and candidate recall."""
    articles = {article.doc_id: article for article in data.articles}
    sentence_spans: dict[str, list] = {}
    rows, labels = [], []
    covered = 0
    for question in questions:
        article = articles[question.doc_id]
        if question.doc_id not in sentence_spans:
            sentence_spans[question.doc_id] = split_sentences(article.text)
        first = question.answers[0]
        holding = [
            s for s in sentence_spans[question.doc_id] if s.start <= first.start and first.end <= s.end
        ]
        if not holding:
            continue
        sentence = article.text[holding[0].start : holding[0].end]
        analysed = analyze(question.question)
        view = view_sentence(sentence, analysed)
        options = span_candidates(sentence, view, analysed)
        if not options:
            continue
        references = [answer.text for answer in question.answers]
        hits = [exact_match(sentence[o.start : o.end], references) for o in options]
        covered += max(hits) > 0
        rows.append(span_features(sentence, view, analysed, options))
        labels.extend(hits)
    return np.concatenate(rows), np.asarray(labels), covered / max(len(rows), 1)


def fit_logistic(features: np.ndarray, labels: np.ndarray, names: Sequence[str], strength: float) -> Scorer:
    """Standardized logistic regression, stored as a :class:`Scorer`."""
    from sklearn.linear_model import LogisticRegression

    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=strength, max_iter=2000)
    model.fit((features - mean) / scale, labels)
    return Scorer(tuple(names), mean, scale, (model.coef_.reshape(-1, 1),), (model.intercept_.reshape(1),))


def fit_listwise(
    groups: Sequence[Group], names: Sequence[str], hidden: int, epochs: int, seed: int = SEED
) -> Scorer:
    """A one-hidden-layer ReLU network trained so that, within each question, the softmax over
    its candidates puts its mass on the right sentences (questions with none are skipped)."""
    import torch

    torch.manual_seed(seed)
    usable = [group for group in groups if len(group.labels) and group.labels.max() > 0]
    features = np.concatenate([group.features for group in usable])
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale < 1e-9] = 1.0
    width = max(len(group.labels) for group in usable)
    inputs = np.zeros((len(usable), width, len(names)), dtype=np.float32)
    mask = np.zeros((len(usable), width), dtype=bool)
    targets = np.zeros((len(usable), width), dtype=bool)
    for row, group in enumerate(usable):
        size = len(group.labels)
        inputs[row, :size] = (group.features - mean) / scale
        mask[row, :size] = True
        targets[row, :size] = group.labels > 0
    inputs_t, mask_t, targets_t = torch.tensor(inputs), torch.tensor(mask), torch.tensor(targets)
    network = torch.nn.Sequential(
        torch.nn.Linear(len(names), hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
    )
    optimizer = torch.optim.Adam(
        network.parameters(), lr=LISTWISE_LEARNING_RATE, weight_decay=LISTWISE_WEIGHT_DECAY
    )
    for _ in range(epochs):
        for batch in torch.randperm(len(usable)).split(LISTWISE_BATCH):
            logits = network(inputs_t[batch]).squeeze(-1).masked_fill(~mask_t[batch], -1e9)
            log_probabilities = torch.log_softmax(logits, dim=1)
            loss = -torch.logsumexp(log_probabilities.masked_fill(~targets_t[batch], -1e9), dim=1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    first, second = network[0], network[2]
    return Scorer(
        tuple(names),
        mean,
        scale,
        (
            first.weight.detach().numpy().T.astype(np.float64),
            second.weight.detach().numpy().T.astype(np.float64),
        ),
        (first.bias.detach().numpy().astype(np.float64), second.bias.detach().numpy().astype(np.float64)),
    )


def top1_accuracy(groups: Sequence[Group], scorer: Scorer) -> float:
    right = 0
    for group in groups:
        if len(group.labels):
            right += int(group.labels[int(np.argmax(scorer.logits(group.features)))])
    return right / max(len(groups), 1)


def confidence_rows(groups: Sequence[Group], scorer: Scorer) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for group in groups:
        logits = scorer.logits(group.features) if len(group.labels) else np.zeros(0)
        rows.append(
            confidence_features(group.features, logits, group.doc_ids, group.unseen, group.question_words)
        )
        labels.append(int(len(logits) > 0 and group.labels[int(np.argmax(logits))]))
    return np.concatenate(rows), np.asarray(labels)


def stack(groups: Sequence[Group]) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([g.features for g in groups]), np.concatenate([g.labels for g in groups])


def reliability(scores: Sequence[float], right: Sequence[bool]) -> list[dict[str, float]]:
    """Per score bin: how many answers, their mean score, and how often they were right."""
    table = []
    scores_array, right_array = np.asarray(scores), np.asarray(right, dtype=float)
    for low, high in zip(RELIABILITY_BINS, RELIABILITY_BINS[1:], strict=False):
        inside = (scores_array >= low) & (scores_array < high)
        if inside.any():
            table.append(
                {
                    "bin": f"[{low:.1f}, {min(high, 1.0):.1f})",
                    "answers": int(inside.sum()),
                    "mean_score": round(float(scores_array[inside].mean()), 3),
                    "right": round(float(right_array[inside].mean()), 3),
                }
            )
    return table


def fit_ranking(
    train: SquadSet, train_questions: Sequence[SquadQuestion], embedder: VectorCache
) -> tuple[Scorer, Scorer, dict]:
    """Steps 1 and 2: the sentence ranker and the confidence model, with what they were fitted on."""
    titles = {article.doc_id: article.title for article in train.articles}
    print(f"train: {len(train.articles)} paragraphs, {len(train_questions)} questions", flush=True)
    full_index = in_memory_index(train.articles, embedder)
    full = collect_groups(
        QA(full_index, k=TRAIN_K, model=neutral_model(), reader=None),
        train,
        train_questions,
        True,
        "whole corpus",
    )
    indexed, held_out = split_half(train, SEED)
    held = set(held_out)
    kept = set(indexed)
    half_index = in_memory_index([a for a in train.articles if a.doc_id in kept], embedder)
    unanswerable = [q for q in train_questions if q.doc_id in held]
    half = collect_groups(
        QA(half_index, k=TRAIN_K, model=neutral_model(), reader=None),
        train,
        unanswerable,
        False,
        "unanswerable",
    )
    embedder.save()

    # 1. sentence ranker, on answerable questions of the whole corpus
    sentences = fit_listwise(full, FEATURE_NAMES, LISTWISE_HIDDEN, LISTWISE_EPOCHS)
    print(f"sentence ranker: train top-1 {top1_accuracy(full, sentences):.3f} over {len(full)} questions")

    # 2. confidence, on out-of-fold rankings (folds by SQuAD title)
    fold_of = {title: number % 2 for number, title in enumerate(sorted(set(titles.values())))}
    rows, outcomes = [], []
    for fold in (0, 1):
        fit_groups = [g for g in full if fold_of[g.title] != fold]
        fold_scorer = fit_listwise(fit_groups, FEATURE_NAMES, LISTWISE_HIDDEN, LISTWISE_EPOCHS)
        held_groups = [g for g in full + half if fold_of[g.title] == fold]
        print(
            f"  fold {fold}: out-of-fold top-1 {top1_accuracy([g for g in held_groups if g.answerable], fold_scorer):.3f}"
        )
        fold_rows, fold_outcomes = confidence_rows(held_groups, fold_scorer)
        rows.append(fold_rows)
        outcomes.append(fold_outcomes)
    confidence = fit_logistic(
        np.concatenate(rows), np.concatenate(outcomes), CONFIDENCE_FEATURES, CONFIDENCE_C
    )

    info = {
        "fitted_by": "benchmarks/calibrate.py",
        "train_questions": len(train_questions),
        "unanswerable_questions": len(unanswerable),
        "k": TRAIN_K,
    }
    return sentences, confidence, info


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", type=Path, default=TRAIN_FILE)
    parser.add_argument("--eval", type=Path, default=EVAL_FILE)
    parser.add_argument("--work", type=Path, default=WORK_DIR, help="embedding cache folder")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="model file to write")
    parser.add_argument("--limit", type=int, help="train questions to use (default: all)")
    parser.add_argument("--eval-limit", type=int, help="part A questions to check on (default: all)")
    parser.add_argument(
        "--spans-only", type=Path, metavar="MODEL", help="refit only the span scorer of MODEL"
    )
    args = parser.parse_args(argv)
    for path in (args.train, args.eval):
        if not path.is_file():
            print(
                f"missing {path}: this script needs ../shared/train and ../shared/eval (SQuAD v1.1)",
                file=sys.stderr,
            )
            return 2

    backend = get_embedder().backend
    embedder = VectorCache(args.work / backend)  # vectors of the backend the product uses by default
    train = load_squad(args.train)
    rng = random.Random(SEED)
    train_questions = list(train.questions)
    if args.limit:
        train_questions = rng.sample(train_questions, min(args.limit, len(train_questions)))

    if args.spans_only:
        fitted = read_model(args.spans_only)
        sentences, confidence, info = fitted.sentences, fitted.confidence, dict(fitted.info)
        print(f"keeping the sentence ranker and confidence of {args.spans_only}", flush=True)
    else:
        sentences, confidence, info = fit_ranking(train, train_questions, embedder)
        info["embedding_backend"] = backend
        info["train_file"] = args.train.name
    # 3. span scorer, on gold sentences
    span_rows, span_labels, span_recall = collect_spans(train, train_questions)
    spans = fit_logistic(span_rows, span_labels, SPAN_FEATURE_NAMES, SPAN_C)
    print(f"span candidates: {len(span_labels)}, gold among them for {span_recall:.3f} of questions")

    info.pop("check", None)
    model = QAModel(sentences=sentences, confidence=confidence, spans=spans, min_score=MIN_SCORE, info=info)

    # check on dev part A through the real answerer
    dev = load_squad(args.eval)
    dev_questions = list(dev.questions)
    if args.eval_limit:
        dev_questions = random.Random(SEED).sample(dev_questions, min(args.eval_limit, len(dev_questions)))
    dev_index = in_memory_index(dev.articles, embedder)
    whole = evaluate_answers(QA(dev_index, model=model, reader=None), dev_questions)
    dev_indexed, dev_held = split_half(dev, SEED)
    dev_half_index = in_memory_index([a for a in dev.articles if a.doc_id in set(dev_indexed)], embedder)
    dev_unanswerable = [q for q in dev_questions if q.doc_id in set(dev_held)]
    away = evaluate_answers(QA(dev_half_index, model=model, reader=None), dev_unanswerable, answerable=False)
    embedder.save()
    whole_scores, away_scores = summarize(whole), summarize(away)
    table_whole = reliability([r.score for r in whole], [r.sentence_correct for r in whole])
    table_mixed = reliability(
        [r.score for r in whole + away], [r.sentence_correct and r.answerable for r in whole + away]
    )
    thresholds = [
        {
            "min_score": threshold,
            "part_a_abstention": round(float(np.mean([r.score < threshold for r in whole])), 3),
            "part_a_answered_right": round(
                float(np.mean([r.sentence_correct for r in whole if r.score >= threshold] or [0.0])), 3
            ),
            "unanswerable_abstention": round(float(np.mean([r.score < threshold for r in away])), 3),
        }
        for threshold in THRESHOLDS
    ]
    report = {
        "thresholds": thresholds,
        "part_a_whole_corpus": whole_scores.to_dict(),
        "part_a_unanswerable": away_scores.to_dict(),
        "reliability_part_a": table_whole,
        "reliability_part_a_with_unanswerable": table_mixed,
    }
    model.info["check"] = {
        "part_a_sentence_accuracy": round(whole_scores.sentence_accuracy, 4),
        "part_a_exact_match": round(whole_scores.exact_match, 4),
        "part_a_f1": round(whole_scores.f1, 4),
        "part_a_abstention": round(whole_scores.abstention_rate, 4),
        "part_a_unanswerable_abstention": round(away_scores.abstention_rate, 4),
    }
    model.save(args.out)
    print(json.dumps(report, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
