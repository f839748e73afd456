"""The span reader: question + passages in, exact answer spans (character offsets) out."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import usable_cpus
from rag.int8 import inference_session
from rag.reader.artifacts import DEFAULT_MODEL_DIR, ONNX_FILE, OUTPUT_NAMES, TOKENIZER_FILE
from rag.reader.decode import best_spans
from rag.reader.features import WindowSettings, configured_tokenizer, make_windows

TRAIN_COMMAND = "rag train reader (or: python -m rag.training.reader)"
#: Most ONNX Runtime threads a reader takes by default (``$RAG_READER_THREADS`` overrides). Threads
#: split each matrix product by rows and columns, never along the sum, so the spans and scores are
#: the same bit for bit whatever the count (``tests/test_reader.py`` checks it on every CI host);
#: a second thread cut a part-A paragraph read by about a quarter on the 2-core hosts.
MAX_DEFAULT_THREADS = 2
THREADS_VARIABLE = "RAG_READER_THREADS"


def default_threads() -> int:
    """``$RAG_READER_THREADS``, else ``MAX_DEFAULT_THREADS`` or this process's CPUs if fewer.

    Raises:
        ValueError: the variable is set to something other than a whole number >= 1.
    """
    configured = os.environ.get(THREADS_VARIABLE, "").strip()
    if configured:
        if not configured.isdigit() or int(configured) < 1:
            raise ValueError(f"{THREADS_VARIABLE} must be a whole number >= 1, got {configured!r}")
        return int(configured)
    return min(MAX_DEFAULT_THREADS, usable_cpus())


class ReaderModelMissingError(FileNotFoundError):
    """The span reader's weights are not where they were looked for."""


@dataclass(frozen=True)
class SpanCandidate:
    """The reader's best answer span in one passage.

    Attributes:
        text: ``passage_text[start:end]``.
        start, end: character offsets into the passage text (half-open).
        score: start logit + end logit of the span (higher is better; comparable across passages
            of one question).
        no_answer_score: the model's "no answer in this window" score ([CLS] start + end logits),
            for the window the span came from; ``score - no_answer_score`` > 0 means the model
            prefers the span over abstaining.
        passage_index: position of the passage in the list given to ``read``.
    """

    text: str
    start: int
    end: int
    score: float
    no_answer_score: float
    passage_index: int

    @property
    def margin(self) -> float:
        """``score - no_answer_score``: how much the model prefers this span over no answer."""
        return self.score - self.no_answer_score

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "score": self.score,
            "no_answer_score": self.no_answer_score,
            "passage_index": self.passage_index,
        }


@dataclass(frozen=True)
class ReaderSettings:
    """Inference settings of the span reader.

    Attributes:
        max_length: word-pieces per window (question + passage); longer passages are cut into
            overlapping windows.
        stride: word-pieces shared by consecutive windows of one passage.
        max_answer_tokens: longest span considered, in word-pieces.
        batch_size: windows per forward pass.
        spans_per_passage: non-overlapping spans returned per passage, best first.
    """

    max_length: int = 384
    stride: int = 128
    max_answer_tokens: int = 30
    batch_size: int = 16
    spans_per_passage: int = 1

    def __post_init__(self) -> None:
        self.window_settings()  # validates max_length and stride
        if self.max_answer_tokens < 1:
            raise ValueError(f"max_answer_tokens must be >= 1, got {self.max_answer_tokens}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.spans_per_passage < 1:
            raise ValueError(f"spans_per_passage must be >= 1, got {self.spans_per_passage}")

    def window_settings(self) -> WindowSettings:
        """How passages are cut into windows (questions keep at most half a window)."""
        return WindowSettings(
            max_length=self.max_length,
            stride=self.stride,
            max_question_length=min(WindowSettings().max_question_length, self.max_length // 2),
        )


def _passage_text(passage: str | Sequence[Any], index: int) -> str:
    if isinstance(passage, str):
        return passage
    if isinstance(passage, Sequence) and passage and isinstance(passage[0], str):
        return passage[0]
    raise TypeError(
        f"passage {index} must be a str or a tuple whose first item is the passage text, got {type(passage).__name__}"
    )


class SpanReader:
    """Extractive reader: for each passage, the best answer span with character offsets.

    The model (int8 ONNX shipped in ``rag/reader/model/``, run by ONNX Runtime; no torch) loads on
    first use, offline.

    Args:
        model_dir: folder with ``reader-int8.onnx`` and ``tokenizer.json`` (default: shipped).
        settings: default settings of ``read`` (each call may pass its own).
        threads: ONNX Runtime intra-op threads (default: :func:`default_threads`).

    Example:
        >>> reader = SpanReader()
        >>> [best] = reader.read("Who did Wang Yi meet?", ["Wang Yi met Ri Yong-ho in Pyongyang."])
        >>> best.text, best.start, best.end
        ('Ri Yong-ho', 12, 22)
    """

    def __init__(
        self,
        model_dir: Path | str | None = None,
        settings: ReaderSettings | None = None,
        threads: int | None = None,
    ) -> None:
        threads = default_threads() if threads is None else threads
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        self.model_dir = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
        self.settings = settings or ReaderSettings()
        self.threads = threads
        self._session: Any = None
        self._tokenizer: Any = None
        self._windowed: dict[WindowSettings, Any] = {}
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the tokenizer and weights now (``read`` does it on first use).

        Raises:
            ReaderModelMissingError: the weights file is missing, naming the path and the command
                that trains it.
        """
        with self._lock:
            if self._session is not None:
                return
            missing = [name for name in (ONNX_FILE, TOKENIZER_FILE) if not (self.model_dir / name).is_file()]
            if missing:
                raise ReaderModelMissingError(
                    f"span reader model not found: {self.model_dir / missing[0]}; "
                    f"train it with `{TRAIN_COMMAND}`"
                )
            try:
                import onnx  # noqa: F401  (int8 weights are rewritten with it on CPUs without VNNI)
                import onnxruntime
                from tokenizers import Tokenizer
            except ImportError as error:
                raise RuntimeError(
                    "the span reader needs onnxruntime, onnx and tokenizers: pip install -e '.[speed]'"
                ) from error
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            # Idle threads sleep instead of spinning: spinning steals a shared small CPU.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            self._tokenizer = Tokenizer.from_file(str(self.model_dir / TOKENIZER_FILE))
            self._session = inference_session(self.model_dir / ONNX_FILE, options)

    def _windows_tokenizer(self, settings: WindowSettings) -> Any:
        with self._lock:
            if settings not in self._windowed:
                self._windowed[settings] = configured_tokenizer(self._tokenizer, settings)
            return self._windowed[settings]

    def read(
        self, question: str, passages: Sequence[str | Sequence[Any]], settings: ReaderSettings | None = None
    ) -> list[SpanCandidate]:
        """The best span(s) of each passage for ``question``, best first.

        Args:
            question: the user's question.
            passages: passage texts, or tuples whose first item is the passage text (the rest is
                ignored, e.g. ``(chunk.text, chunk.chunk_id)``).
            settings: overrides the reader's settings for this call.

        Returns:
            Up to ``spans_per_passage`` non-overlapping ``SpanCandidate`` per passage that has any
            text, all sorted by ``score`` descending; ``start``/``end`` index into that passage's
            text (``passage[start:end] == text``).

        Raises:
            ReaderModelMissingError: the shipped weights are missing.
            TypeError: a passage is neither a str nor a tuple starting with one.
        """
        if not isinstance(question, str):
            raise TypeError(f"question must be a str, got {type(question).__name__}")
        texts = [_passage_text(passage, index) for index, passage in enumerate(passages)]
        settings = settings or self.settings
        kept = [index for index, text in enumerate(texts) if text.strip()]
        if not question.strip() or not kept:
            return []
        self.warm_up()
        window_settings = settings.window_settings()
        windows = make_windows(
            self._windows_tokenizer(window_settings),
            [question] * len(kept),
            [texts[index] for index in kept],
            window_settings,
        )
        found: dict[int, list[SpanCandidate]] = {}
        for begin in range(0, len(windows), settings.batch_size):
            rows = slice(begin, begin + settings.batch_size)
            length = int(windows.attention_mask[rows].sum(axis=1).max())
            start_logits, end_logits = self._session.run(
                list(OUTPUT_NAMES),
                {
                    "input_ids": windows.input_ids[rows, :length],
                    "attention_mask": windows.attention_mask[rows, :length],
                    "token_type_ids": windows.token_type_ids[rows, :length],
                },
            )
            for offset in range(start_logits.shape[0]):
                row = begin + offset
                passage_index = kept[int(windows.pair_index[row])]
                for span in best_spans(
                    np.asarray(start_logits[offset], dtype=np.float32),
                    np.asarray(end_logits[offset], dtype=np.float32),
                    windows.context_offsets[row, :length],
                    settings.max_answer_tokens,
                    settings.spans_per_passage,
                    windows.continuation[row, :length],
                ):
                    found.setdefault(passage_index, []).append(
                        SpanCandidate(
                            text=texts[passage_index][span.start : span.end],
                            start=span.start,
                            end=span.end,
                            score=span.score,
                            no_answer_score=span.no_answer_score,
                            passage_index=passage_index,
                        )
                    )
        merged = [
            candidate
            for candidates in found.values()
            for candidate in _non_overlapping(candidates, settings.spans_per_passage)
        ]
        return sorted(merged, key=lambda candidate: candidate.score, reverse=True)


def _non_overlapping(candidates: list[SpanCandidate], count: int) -> list[SpanCandidate]:
    """The best ``count`` candidates of one passage whose character ranges do not overlap.

    Windows of a long passage overlap, so the same span can come from two windows: the higher
    score wins.
    """
    kept: list[SpanCandidate] = []
    for candidate in sorted(candidates, key=lambda item: item.score, reverse=True):
        if any(candidate.start < other.end and other.start < candidate.end for other in kept):
            continue
        kept.append(candidate)
        if len(kept) == count:
            break
    return kept


_shared_reader: SpanReader | None = None
_shared_lock = threading.Lock()


def get_reader() -> SpanReader:
    """The process-wide reader over the shipped weights (created on first call, loaded on first read)."""
    global _shared_reader
    with _shared_lock:
        if _shared_reader is None:
            _shared_reader = SpanReader()
        return _shared_reader
