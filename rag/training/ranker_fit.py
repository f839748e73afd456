"""Fit ``rag/qa/model.json`` from ranker records: the same records always give the same file.

Three small models, fitted from :class:`rag.training.ranker_records.RankerRecords` alone:

1. sentence ranker: a one-hidden-layer network over ``rag.qa.features.FEATURE_NAMES``, trained
   listwise (softmax over each question's candidates); right: the sentence holds a reference.
2. confidence: logistic regression over ``rag.qa.calibration.CONFIDENCE_FEATURES`` of each
   question's ranking; label: the top sentence is right. Fitted on out-of-fold rankings (the
   ranker refitted on the other half of the train titles) of answerable and unanswerable questions.
3. span scorer: logistic regression over ``rag.qa.spans.SPAN_FEATURE_NAMES`` of the span
   candidates of each gold sentence; label: the candidate matches a reference (exact match).

torch (the network) and scikit-learn (the regressions) are imported inside the fits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from rag.qa.calibration import CONFIDENCE_FEATURES, confidence_features
from rag.qa.features import FEATURE_NAMES
from rag.qa.model import QAModel, Scorer
from rag.qa.spans import SPAN_FEATURE_NAMES
from rag.training.ranker_records import QuestionCandidates, RankerRecords

log = logging.getLogger(__name__)

#: Inverse regularization strength of the two logistic regressions, and their iteration cap.
CONFIDENCE_C = 1.0
SPAN_C = 1.0
LOGISTIC_MAX_ITER = 2000
#: Sentence ranker network: hidden units, epochs over the train questions, Adam settings.
LISTWISE_HIDDEN = 32
LISTWISE_EPOCHS = 30
LISTWISE_BATCH = 256
LISTWISE_LEARNING_RATE = 3e-3
LISTWISE_WEIGHT_DECAY = 1e-4
#: Logit given to padding candidates (and to wrong ones in the target) in the listwise softmax.
MASKED_LOGIT = -1e9
#: torch threads while fitting: one, so a refit gives the same floats on any machine.
FIT_THREADS = 1
#: Standard deviations below this count as constant features (scaled by 1 instead).
MIN_SCALE = 1e-9
#: Abstention threshold written into the model: answer only when the calibrated
#: probability that the answer sentence is right is at least this.
MIN_SCORE = 0.3
SEED = 0
#: Number of confidence folds (by SQuAD title).
FOLDS = 2
FITTED_BY = "rag train ranker"


def standardization(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations (constant columns get scale 1)."""
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale < MIN_SCALE] = 1.0
    return mean, scale


def fit_logistic(features: np.ndarray, labels: np.ndarray, names: Sequence[str], strength: float) -> Scorer:
    """Standardized logistic regression, stored as a :class:`Scorer`."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = standardization(features)
    model = LogisticRegression(C=strength, max_iter=LOGISTIC_MAX_ITER)
    model.fit((features - mean) / scale, labels)
    return Scorer(tuple(names), mean, scale, (model.coef_.reshape(-1, 1),), (model.intercept_.reshape(1),))


@contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Run the block with ``threads`` torch threads, then restore the previous count."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def fit_listwise(
    groups: Sequence[QuestionCandidates], names: Sequence[str], hidden: int, epochs: int, seed: int = SEED
) -> Scorer:
    """A one-hidden-layer ReLU network trained so that, within each question, the softmax over
    its candidates puts its mass on the right sentences (questions with none are skipped).

    Raises:
        ValueError: no question has a right candidate.
    """
    import torch

    usable = [group for group in groups if len(group.labels) and group.labels.max() > 0]
    if not usable:
        raise ValueError("no question in the records has a right candidate sentence")
    features = np.concatenate([group.features for group in usable])
    mean, scale = standardization(features)
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
    with torch_threads(FIT_THREADS):
        torch.manual_seed(seed)
        first = torch.nn.Linear(len(names), hidden)
        second = torch.nn.Linear(hidden, 1)
        network = torch.nn.Sequential(first, torch.nn.ReLU(), second)
        optimizer = torch.optim.Adam(
            network.parameters(), lr=LISTWISE_LEARNING_RATE, weight_decay=LISTWISE_WEIGHT_DECAY
        )
        for _ in range(epochs):
            for batch in torch.randperm(len(usable)).split(LISTWISE_BATCH):
                logits = network(inputs_t[batch]).squeeze(-1).masked_fill(~mask_t[batch], MASKED_LOGIT)
                log_probabilities = torch.log_softmax(logits, dim=1)
                right = log_probabilities.masked_fill(~targets_t[batch], MASKED_LOGIT)
                loss = -torch.logsumexp(right, dim=1).mean()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
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


def top1_accuracy(groups: Sequence[QuestionCandidates], scorer: Scorer) -> float:
    """Share of ``groups`` whose best-scored candidate is right."""
    right = 0
    for group in groups:
        if len(group.labels):
            right += int(group.labels[int(np.argmax(scorer.logits(group.features)))])
    return right / max(len(groups), 1)


def confidence_rows(groups: Sequence[QuestionCandidates], scorer: Scorer) -> tuple[np.ndarray, np.ndarray]:
    """Confidence inputs of each question's ranking by ``scorer``, and whether its top one is right."""
    rows, labels = [], []
    for group in groups:
        logits = scorer.logits(group.features) if len(group.labels) else np.zeros(0)
        rows.append(
            confidence_features(
                group.features, logits, list(group.doc_ids), group.unseen, group.question_words
            )
        )
        labels.append(int(len(logits) > 0 and group.labels[int(np.argmax(logits))]))
    return np.concatenate(rows), np.asarray(labels)


def fit_ranking(records: RankerRecords) -> tuple[Scorer, Scorer]:
    """Steps 1 and 2: the sentence ranker (answerable questions) and the confidence model."""
    answerable = [q for q in records.questions if q.answerable]
    sentences = fit_listwise(answerable, FEATURE_NAMES, LISTWISE_HIDDEN, LISTWISE_EPOCHS)
    accuracy = top1_accuracy(answerable, sentences)
    log.info("sentence ranker: train top-1 %.3f over %d questions", accuracy, len(answerable))
    titles = sorted({q.title for q in records.questions})
    fold_of = {title: number % FOLDS for number, title in enumerate(titles)}
    rows, outcomes = [], []
    for fold in range(FOLDS):
        fold_scorer = fit_listwise(
            [q for q in answerable if fold_of[q.title] != fold],
            FEATURE_NAMES,
            LISTWISE_HIDDEN,
            LISTWISE_EPOCHS,
        )
        held = [q for q in records.questions if fold_of[q.title] == fold]
        held_answerable = [q for q in held if q.answerable]
        log.info("  fold %d: out-of-fold top-1 %.3f", fold, top1_accuracy(held_answerable, fold_scorer))
        fold_rows, fold_outcomes = confidence_rows(held, fold_scorer)
        rows.append(fold_rows)
        outcomes.append(fold_outcomes)
    confidence = fit_logistic(
        np.concatenate(rows), np.concatenate(outcomes), CONFIDENCE_FEATURES, CONFIDENCE_C
    )
    return sentences, confidence


def fit_qa_model(records: RankerRecords, keep: QAModel | None = None) -> QAModel:
    """The answerer's model fitted from ``records`` (step 3, the span scorer, always; steps 1 and 2
    unless ``keep`` gives the sentence ranker and confidence to keep, with its ``info``).

    Example:
        >>> model = fit_qa_model(read_ranker_records(folder))  # doctest: +SKIP
        >>> model.save("rag/qa/model.json")  # doctest: +SKIP

    Raises:
        ValueError: the records hold no question with a right candidate, or one label only.
    """
    info: dict[str, Any]
    if keep is not None:
        sentences, confidence, info = keep.sentences, keep.confidence, dict(keep.info)
        info.pop("check", None)
    else:
        sentences, confidence = fit_ranking(records)
        info = {"fitted_by": FITTED_BY, **records.info}
    spans = fit_logistic(records.span_features, records.span_labels, SPAN_FEATURE_NAMES, SPAN_C)
    log.info(
        "span candidates: %d, gold among them for %.3f of questions",
        len(records.span_labels),
        records.span_recall,
    )
    return QAModel(sentences=sentences, confidence=confidence, spans=spans, min_score=MIN_SCORE, info=info)
