"""Start/end logits of one window to its best answer span."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.reader.features import NO_ANSWER_POSITION


@dataclass(frozen=True)
class WindowSpan:
    """The best span of one window: character offsets into the passage, and scores.

    ``score`` is start logit + end logit of the span; ``no_answer_score`` is the same sum at the
    [CLS] position (the model's "no answer here" score).
    """

    start: int
    end: int
    score: float
    no_answer_score: float


def best_span(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    context_offsets: np.ndarray,
    max_answer_tokens: int,
    continuation: np.ndarray | None = None,
) -> WindowSpan | None:
    """The highest-scoring span with start <= end, both passage tokens, at most ``max_answer_tokens``.

    Arguments are one window's rows: logits ``[length]``, offsets ``[length, 2]`` (-1 off-passage)
    and optionally ``continuation`` ``[length]`` (True for "##" word-pieces: a span neither starts
    on one nor ends right before one). Returns None when the window has no passage token.
    """
    spans = best_spans(start_logits, end_logits, context_offsets, max_answer_tokens, 1, continuation)
    return spans[0] if spans else None


def best_spans(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    context_offsets: np.ndarray,
    max_answer_tokens: int,
    count: int,
    continuation: np.ndarray | None = None,
) -> list[WindowSpan]:
    """Up to ``count`` best spans of one window that do not overlap each other, best first.

    Same rules as :func:`best_span`; empty when the window has no passage token.
    """
    if max_answer_tokens < 1:
        raise ValueError(f"max_answer_tokens must be >= 1, got {max_answer_tokens}")
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    in_passage = context_offsets[:, 0] >= 0
    if not in_passage.any():
        return []
    may_start, may_end = in_passage.copy(), in_passage.copy()
    if continuation is not None:
        may_start &= ~continuation
        may_end[:-1] &= ~continuation[1:]
    masked_start = np.where(may_start, start_logits, -np.inf)
    masked_end = np.where(may_end, end_logits, -np.inf)
    # pair scores[i, j] = start[i] + end[j], kept for i <= j < i + max_answer_tokens
    pair_scores = masked_start[:, None] + masked_end[None, :]
    length = len(start_logits)
    rows, cols = np.indices((length, length))
    allowed = (cols >= rows) & (cols - rows < max_answer_tokens)
    pair_scores = np.where(allowed, pair_scores, -np.inf)
    no_answer_score = float(start_logits[NO_ANSWER_POSITION] + end_logits[NO_ANSWER_POSITION])
    spans: list[WindowSpan] = []
    taken: list[tuple[int, int]] = []
    finite = np.flatnonzero(np.isfinite(pair_scores))
    if count == 1:
        ordered = finite[[int(np.argmax(pair_scores.flat[finite]))]]
    else:
        ordered = finite[np.argsort(-pair_scores.flat[finite], kind="stable")]
    for flat in ordered:
        score = float(pair_scores.flat[flat])
        if len(spans) == count:
            break
        start_token, end_token = divmod(int(flat), length)
        if any(start_token <= last and first <= end_token for first, last in taken):
            continue
        taken.append((start_token, end_token))
        spans.append(
            WindowSpan(
                start=int(context_offsets[start_token, 0]),
                end=int(context_offsets[end_token, 1]),
                score=score,
                no_answer_score=no_answer_score,
            )
        )
    return spans
