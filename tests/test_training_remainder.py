"""``rag train remainder``: the pairs an interrupted ``rag train reader --train`` epoch never
reached, rebuilt from the same seeded data order, plus an optional replay of earlier pairs."""

from __future__ import annotations

import json
from pathlib import Path

from rag.training.batches import load_pairs
from tests.test_training_reader import council_train_file


def remainder(tmp_path: Path, name: str, *extra: str) -> list[dict[str, object]]:
    from rag.cli import main

    train = council_train_file(tmp_path)
    out = tmp_path / f"{name}.jsonl"
    arguments = ["train", "remainder", "--train", str(train), "--out", str(out), "--batch-size", "2"]
    assert main([*arguments, "--negative-fraction", "0.5", *extra]) == 0
    assert load_pairs(out)  # a valid --pairs file
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_the_remainder_shrinks_by_what_earlier_steps_reached_and_appends_the_replay(tmp_path: Path):
    whole = remainder(tmp_path, "whole", "--after-steps", "0")
    questions = [row for row in whole if row["answer_start"] >= 0]
    negatives = [row for row in whole if row["answer_start"] == -1]
    assert len(questions) == 12 and len(negatives) == 6  # every question, half with a BM25 negative
    for row in questions:
        assert str(row["context"])[int(row["answer_start"]) :].startswith(str(row["answer_text"]))

    later = remainder(tmp_path, "later", "--after-steps", "3")
    assert 0 < len(later) < len(whole)
    assert all(row in whole for row in later)  # same pairs, same order, fewer of them
    assert remainder(tmp_path, "none", "--after-steps", "1000") == []

    earlier = tmp_path / "earlier.jsonl"
    earlier.write_text("".join(json.dumps(row) + "\n" for row in whole[:5]), encoding="utf-8")
    mixed = remainder(
        tmp_path, "mixed", "--after-steps", "3", "--replay", str(earlier), "--replay-lines", "2"
    )
    assert mixed[: len(later)] == later
    assert len(mixed) == len(later) + 2 and all(row in whole[:5] for row in mixed[len(later) :])
