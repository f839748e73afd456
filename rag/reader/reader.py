"""The span reader: question + passages in, exact answer spans (character offsets) out."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rag.reader.decode import best_spans
from rag.reader.features import WindowSettings, make_windows

#: Folder of the shipped weights (fp16 safetensors + config + tokenizer).
DEFAULT_MODEL_DIR = Path(__file__).parent / "model"
WEIGHTS_FILE = "model.safetensors"
TRAIN_COMMAND = "python -m rag.reader.train (or: rag train-reader)"

Precision = Literal["float32", "bfloat16"]


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
        precision: "bfloat16" runs the encoder under bf16 autocast (faster on CPUs with AVX-512
            BF16); "float32" is exact.
    """

    max_length: int = 384
    stride: int = 128
    max_answer_tokens: int = 30
    batch_size: int = 16
    spans_per_passage: int = 1
    precision: Precision = "float32"

    def __post_init__(self) -> None:
        self.window_settings()  # validates max_length and stride
        if self.max_answer_tokens < 1:
            raise ValueError(f"max_answer_tokens must be >= 1, got {self.max_answer_tokens}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.spans_per_passage < 1:
            raise ValueError(f"spans_per_passage must be >= 1, got {self.spans_per_passage}")
        if self.precision not in ("float32", "bfloat16"):
            raise ValueError(f"precision must be 'float32' or 'bfloat16', got {self.precision!r}")


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

    The model (fp16 safetensors shipped in ``rag/reader/model/``) loads on first use, offline.

    Example:
        >>> reader = SpanReader()
        >>> [best] = reader.read("Who did Wang Yi meet?", ["Wang Yi met Ri Yong-ho in Pyongyang."])
        >>> best.text, best.start, best.end
        ('Ri Yong-ho', 11, 21)
    """

    def __init__(self, model_dir: Path | str | None = None, settings: ReaderSettings | None = None) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
        self.settings = settings or ReaderSettings()
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the tokenizer and weights now (``read`` does it on first use).

        Raises:
            ReaderModelMissingError: the weights file is missing, naming the path and the command
                that trains it.
        """
        with self._lock:
            if self._model is not None:
                return
            weights = self.model_dir / WEIGHTS_FILE
            if not weights.is_file():
                raise ReaderModelMissingError(
                    f"span reader weights not found: {weights}; train them with `{TRAIN_COMMAND}`"
                )
            import torch
            from transformers import AutoModelForQuestionAnswering, AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(str(self.model_dir))
            model = AutoModelForQuestionAnswering.from_pretrained(str(self.model_dir), dtype=torch.float32)
            model.eval()
            self._model = model

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
        import torch

        windows = make_windows(
            self._tokenizer,
            [question] * len(kept),
            [texts[index] for index in kept],
            settings.window_settings(),
        )
        found: dict[int, list[SpanCandidate]] = {}
        with torch.inference_mode(), torch.autocast(
            "cpu", dtype=torch.bfloat16, enabled=settings.precision == "bfloat16"
        ):
            for begin in range(0, len(windows), settings.batch_size):
                rows = slice(begin, begin + settings.batch_size)
                length = int(windows.attention_mask[rows].sum(axis=1).max())
                output = self._model(
                    input_ids=torch.from_numpy(windows.input_ids[rows, :length]),
                    attention_mask=torch.from_numpy(windows.attention_mask[rows, :length]),
                    token_type_ids=torch.from_numpy(windows.token_type_ids[rows, :length]),
                )
                start_logits = output.start_logits.float().numpy()
                end_logits = output.end_logits.float().numpy()
                for offset in range(start_logits.shape[0]):
                    row = begin + offset
                    passage_index = kept[int(windows.pair_index[row])]
                    for span in best_spans(
                        start_logits[offset],
                        end_logits[offset],
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
