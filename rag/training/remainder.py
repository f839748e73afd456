"""The rest of an interrupted reader epoch as training pairs: ``rag train remainder``
(module entry ``python -m rag.training.remainder``).

``rag train reader --train FILE`` fixes its data order by the seed: the same file, negatives
fraction, window and batch settings always give the same windows in the same batches. When such
a run stops early (stage 1 of the shipped reader stopped at step 4,000 of a 7,817-step epoch),
this rebuilds that order, leaves out every question (and every BM25 "no answer" pair) with a
window in the first ``--after-steps`` batches, and writes the rest as JSON lines for
``rag train reader --pairs FILE --init DIR``: a later stage then reads questions the reader has
never seen. ``--replay FILE --replay-lines N`` appends N random lines of an earlier stage's pairs
so the later stage keeps what that one taught (reading sentence windows).

Usage::

    rag train remainder --train ../shared/train/squad-v1.1-train.json --after-steps 4000 \\
        --replay stage3-mix.jsonl --replay-lines 6000 --out stage5-mix.jsonl
"""

from __future__ import annotations

import argparse
import json
import logging
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rag.training.paths import TRAIN_SUBSET, require_file
from rag.training.reader_settings import TrainSettings

DESCRIPTION = "Write the pairs an interrupted `rag train reader --train` epoch never reached (JSON lines)."
#: Seed of the replay sample.
REPLAY_SEED = 5
NO_ANSWER_START = -1


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The options of ``rag train remainder``, added to ``parser`` or to a new one."""
    parser = parser or argparse.ArgumentParser(
        prog="python -m rag.training.remainder", description=DESCRIPTION
    )
    defaults = TrainSettings()
    parser.add_argument("--out", type=Path, required=True, help="JSON-lines file to write")
    parser.add_argument("--train", type=Path, default=TRAIN_SUBSET, help="the stopped run's --train")
    parser.add_argument("--after-steps", type=int, required=True, help="batches the stopped run trained on")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="the stopped run's --seed")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--negative-fraction", type=float, default=defaults.negative_fraction)
    parser.add_argument("--max-length", type=int, default=defaults.max_length)
    parser.add_argument("--stride", type=int, default=defaults.stride)
    parser.add_argument("--replay", type=Path, help="an earlier stage's pairs file to mix in")
    parser.add_argument("--replay-lines", type=int, default=0, help="random lines of --replay to append")
    return parser


def remainder_pairs(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """The pairs of ``--train`` with no window in the first ``--after-steps`` batches."""
    import numpy as np

    from rag.reader.features import WindowSettings
    from rag.training.batches import bucketed_order, reader_tokenizer, squad_pairs, training_windows

    settings = TrainSettings(
        max_length=args.max_length,
        stride=args.stride,
        batch_size=args.batch_size,
        negative_fraction=args.negative_fraction,
        seed=args.seed,
    )
    window = WindowSettings(max_length=settings.max_length, stride=settings.stride)
    tokenizer = reader_tokenizer(window)
    examples, negatives = squad_pairs(require_file(args.train, "the SQuAD train file"), settings)
    windows, _, _ = training_windows(tokenizer, examples, negatives, window)
    # The first epoch of the order `rag train reader --train` uses (same helpers, same settings).
    batches = bucketed_order(windows, settings, 1)
    reached = batches[: args.after_steps]
    rows = np.concatenate([np.asarray(batch) for batch in reached]) if reached else np.zeros(0, dtype=int)
    seen = {int(pair) for pair in windows.pair_index[rows]}
    logging.getLogger(__name__).info(
        "%d questions + %d negatives -> %d windows in %d batches; %d pairs reached by step %d",
        len(examples),
        len(negatives),
        len(windows),
        len(batches),
        len(seen),
        args.after_steps,
    )
    for number, example in enumerate(examples):
        if number not in seen:
            yield {
                "group": example.question_id,
                "question": example.question,
                "context": example.context,
                "answer_start": example.answer_start,
                "answer_text": example.answer_text,
            }
    for number, (question, passage) in enumerate(negatives):
        if len(examples) + number not in seen:
            yield {
                "group": f"neg-{number}",
                "question": question,
                "context": passage,
                "answer_start": NO_ANSWER_START,
                "answer_text": "",
            }


def run(args: argparse.Namespace) -> int:
    """Write the remainder (and the replay) to ``--out``.

    Raises:
        FileNotFoundError: the train or replay file is missing.
    """
    replay: list[str] = []
    if args.replay_lines > 0:
        lines = require_file(args.replay, "the --replay file").read_text(encoding="utf-8").splitlines()
        replay = [line for line in lines if line.strip()]
        random.Random(REPLAY_SEED).shuffle(replay)
        replay = replay[: args.replay_lines]
    written = 0
    with args.out.open("w", encoding="utf-8") as out:
        for pair in remainder_pairs(args):
            out.write(json.dumps(pair) + "\n")
            written += 1
        out.writelines(line + "\n" for line in replay)
    print(f"{written} pairs not reached by step {args.after_steps} + {len(replay)} replayed -> {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rag.training.remainder --out FILE --after-steps N [options]``."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
