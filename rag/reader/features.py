"""Question + passage pairs to model inputs: tokenized, overlapping windows with character offsets.

Shared by inference and training (``rag.training.batches`` labels these windows) so both cut
passages into the same windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Label position meaning "no answer in this window" (the [CLS] token).
NO_ANSWER_POSITION = 0
#: WordPiece marks a piece that continues the previous one with this prefix.
CONTINUATION_PREFIX = "##"


@dataclass(frozen=True)
class WindowSettings:
    """How passages are cut into model windows.

    Attributes:
        max_length: word-pieces per window (question + passage + special tokens).
        stride: word-pieces shared by consecutive windows of one long passage.
        max_question_length: question word-pieces kept (longer questions are cut).
    """

    max_length: int = 256
    stride: int = 64
    max_question_length: int = 64

    def __post_init__(self) -> None:
        if self.max_length < 32:
            raise ValueError(f"max_length must be >= 32, got {self.max_length}")
        if not 0 <= self.stride < self.max_length // 2:
            raise ValueError(f"stride must be in [0, max_length / 2), got {self.stride}")
        if not 0 < self.max_question_length <= self.max_length // 2:
            raise ValueError(
                f"max_question_length must be in (0, max_length / 2], got {self.max_question_length}"
            )


@dataclass(frozen=True)
class Windows:
    """Tokenized windows of several (question, passage) pairs.

    Attributes:
        input_ids, attention_mask, token_type_ids: int64 arrays [windows, length].
        pair_index: for each window, the index of the pair it came from.
        context_offsets: for each window, one (start, end) character range per token into the
            passage, or (-1, -1) for tokens that are not passage tokens.
        continuation: True for word-pieces that continue a word ("##..."); spans neither start
            on one nor end just before one, so answers are whole words.
    """

    input_ids: np.ndarray
    attention_mask: np.ndarray
    token_type_ids: np.ndarray
    pair_index: np.ndarray
    context_offsets: np.ndarray
    continuation: np.ndarray

    def __len__(self) -> int:
        return int(self.input_ids.shape[0])


def configured_tokenizer(tokenizer, settings: WindowSettings):  # type: ignore[no-untyped-def]
    """A copy of a ``tokenizers.Tokenizer`` that cuts pairs into ``settings`` windows, unpadded."""
    windowed = tokenizer.from_str(tokenizer.to_str())
    windowed.no_padding()
    windowed.enable_truncation(settings.max_length, stride=settings.stride, strategy="only_second")
    return windowed


def truncate_question(tokenizer, question: str, max_question_length: int) -> str:  # type: ignore[no-untyped-def]
    """The question cut to at most ``max_question_length`` word-pieces (whole characters kept)."""
    offsets = tokenizer.encode(question, add_special_tokens=False).offsets
    if len(offsets) <= max_question_length:
        return question
    return question[: offsets[max_question_length - 1][1]]


def make_windows(
    tokenizer,  # type: ignore[no-untyped-def]
    questions: Sequence[str],
    passages: Sequence[str],
    settings: WindowSettings,
) -> Windows:
    """Tokenize ``(questions[i], passages[i])`` pairs into overlapping windows, padded to the longest.

    ``tokenizer`` is a ``tokenizers.Tokenizer`` from :func:`configured_tokenizer` (same settings).
    """
    if len(questions) != len(passages):
        raise ValueError(f"questions and passages differ in length: {len(questions)} != {len(passages)}")
    short_questions = [truncate_question(tokenizer, q, settings.max_question_length) for q in questions]
    encodings = tokenizer.encode_batch(list(zip(short_questions, passages, strict=True)))
    windows = [
        (pair, window)
        for pair, encoding in enumerate(encodings)
        for window in [encoding, *encoding.overflowing]
    ]
    width = max(len(window.ids) for _, window in windows)
    input_ids = np.zeros((len(windows), width), dtype=np.int64)
    attention_mask = np.zeros((len(windows), width), dtype=np.int64)
    token_type_ids = np.zeros((len(windows), width), dtype=np.int64)
    offsets = np.full((len(windows), width, 2), -1, dtype=np.int64)
    continuation = np.zeros((len(windows), width), dtype=bool)
    for row, (_, window) in enumerate(windows):
        length = len(window.ids)
        input_ids[row, :length] = window.ids
        attention_mask[row, :length] = 1
        token_type_ids[row, :length] = window.type_ids
        # each property access builds a fresh Python list: read them once per window
        in_passage = np.array([sequence_id == 1 for sequence_id in window.sequence_ids])
        offsets[row, :length][in_passage] = np.asarray(window.offsets, dtype=np.int64)[in_passage]
        pieces = np.array([token.startswith(CONTINUATION_PREFIX) for token in window.tokens])
        continuation[row, :length] = pieces & in_passage
    return Windows(
        input_ids=input_ids,
        attention_mask=attention_mask,
        token_type_ids=token_type_ids,
        pair_index=np.array([pair for pair, _ in windows], dtype=np.int64),
        context_offsets=offsets,
        continuation=continuation,
    )
