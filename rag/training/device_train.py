"""Train the span reader on a lent GPU machine from a ``rag train device-pack`` folder.

Run there as a script, from the repository root, with the pack carried (the device tool's
``carry``)::

    python3 rag/training/device_train.py --pack .gpu --out "$OUT" --epochs 3 --batch-size 32 \\
        --learning-rate 1e-4 --freeze-layers 0 --max-minutes 5 [other rag train reader options]

That machine has torch, transformers, tokenizers, safetensors and onnx, but not the product's
other dependencies, so this imports the ``rag`` package's reader and training modules without
running ``rag/__init__.py`` (which loads the index, faiss and bm25s). It rebuilds the base
encoder from the pack (the word-embedding table from the shipped int8 ONNX, which travels with
the tree), trains with ``rag.training.reader.train`` on cuda (``--device`` overrides), then, when
the pack holds sentence windows (``rag train device-pack --windows``), a second phase on them from
the first phase's weights, as the shipped reader's stage 2 (its own ``--windows-*`` options; the
other options apply to both phases), and writes
into ``--out`` the trained weights in float16 as parts of at most 15 MiB (the tool brings back
files of at most 16 MiB, 8 in all), the word-embedding table left out unless it was trained, with
``training.json`` and ``parts.json``. ``rag train device-import`` rebuilds and exports them here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
#: Bytes of one part of the weights brought back (under the device tool's 16 MiB a file).
PART_BYTES = 15 * 2**20
WEIGHTS_NAME = "reader-fp16.safetensors"
PARTS_FILE = "parts.json"
SUMMARY_NAME = "training.json"


def bare_package() -> None:
    """Make ``import rag.training...`` work without running ``rag/__init__.py`` (run as a script)."""
    if "rag" in sys.modules:
        return
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [entry for entry in sys.path if str(Path(entry or ".").resolve()) != here]
    sys.path.insert(0, str(ROOT))
    package = types.ModuleType("rag")
    package.__path__ = [str(ROOT / "rag")]
    sys.modules["rag"] = package


def build_init(pack: Path, onnx_path: Path, target: Path) -> Path:
    """A float32 ``BertForQuestionAnswering`` folder from the pack's weights and the ONNX's word
    embeddings; returns ``target``.

    Raises:
        ValueError: the pack's weights do not fit the model its config describes.
    """
    import torch
    from safetensors.torch import load_file
    from transformers import BertConfig, BertForQuestionAnswering

    from rag.training.dequantize import onnx_word_embeddings
    from rag.training.device_pack import BASE_FILE, CONFIG_FILE, WORD_EMBEDDINGS

    model = BertForQuestionAnswering(BertConfig.from_json_file(str(pack / CONFIG_FILE)))
    state = {key: value.to(torch.float32) for key, value in load_file(str(pack / BASE_FILE)).items()}
    state[WORD_EMBEDDINGS] = torch.from_numpy(onnx_word_embeddings(onnx_path))
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [key for key in missing if not key.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(
            f"pack weights do not fit the model: missing {missing[:3]}, unexpected {unexpected[:3]}"
        )
    target.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(target))
    return target


def write_parts(weights: Path, out: Path, keep_word_embeddings: bool) -> dict[str, Any]:
    """Split the trained float16 weights into ``out``; returns what ``parts.json`` records."""
    from safetensors.torch import load_file, save

    from rag.training.device_pack import WORD_EMBEDDINGS

    state = load_file(str(weights))
    if not keep_word_embeddings:
        state.pop(WORD_EMBEDDINGS, None)
    blob = save({key: value.contiguous() for key, value in state.items()})
    names = []
    for number, begin in enumerate(range(0, len(blob), PART_BYTES)):
        name = f"{WEIGHTS_NAME}.part{number}"
        (out / name).write_bytes(blob[begin : begin + PART_BYTES])
        names.append(name)
    record = {
        "weights": WEIGHTS_NAME,
        "parts": names,
        "bytes": len(blob),
        "sha256": hashlib.sha256(blob).hexdigest(),
        "word_embeddings": keep_word_embeddings,
    }
    (out / PARTS_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, train, write the parts; prints the summary's steps and checks."""
    bare_package()
    import logging

    from rag.reader.artifacts import DEFAULT_MODEL_DIR, ONNX_FILE, TRAINED_DIR
    from rag.training.device_pack import EVAL_FILE, NEGATIVES_FILE, TRAIN_FILE, WINDOWS_FILE
    from rag.training.reader import train
    from rag.training.reader_settings import build_parser

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    parser = argparse.ArgumentParser(prog="python3 rag/training/device_train.py", description=__doc__)
    parser.add_argument("--pack", type=Path, required=True, help="the carried rag train device-pack folder")
    parser.add_argument("--out", type=Path, required=True, help="folder whose files come back ($OUT)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/rag-device"), help="scratch folder")
    parser.add_argument("--windows-epochs", type=float, default=1.0, help="second phase: epochs")
    parser.add_argument("--windows-learning-rate", type=float, default=3e-5, help="second phase: lr")
    parser.add_argument("--windows-max-minutes", type=float, default=1.5, help="second phase: time cap")
    ours, rest = parser.parse_known_args(argv)
    work = ours.work
    options = build_parser(argparse.ArgumentParser(prog="rag train reader"))
    init = build_init(ours.pack, DEFAULT_MODEL_DIR / ONNX_FILE, work / "init")
    common = ["--eval", str(ours.pack / EVAL_FILE), "--output", str(work / "unused"), "--device", "auto"]
    first = options.parse_args(
        [
            "--train", str(ours.pack / TRAIN_FILE),
            "--negatives", str(ours.pack / NEGATIVES_FILE),
            "--init", str(init),
            "--checkpoint-dir", str(work / "checkpoints"),
            *common, "--no-export", *rest,
        ]
    )  # fmt: skip
    summary = train(first)
    summary["initial_weights"] = (
        f"{ours.pack}: packaged all-MiniLM-L6-v2 + seeded head (rag train device-pack)"
    )
    summary["device_options"] = list(rest)
    trained = work / "checkpoints" / TRAINED_DIR
    windows = ours.pack / WINDOWS_FILE
    if windows.is_file():
        second = options.parse_args(
            [
                "--pairs", str(windows),
                "--init", str(trained),
                "--checkpoint-dir", str(work / "checkpoints-windows"),
                *common, "--no-export", *rest,
                "--epochs", str(ours.windows_epochs),
                "--learning-rate", str(ours.windows_learning_rate),
                "--max-minutes", str(ours.windows_max_minutes),
            ]
        )  # fmt: skip
        summary = {**train(second), "first_phase": summary, "device_options": list(rest)}
        trained = work / "checkpoints-windows" / TRAINED_DIR
    ours.out.mkdir(parents=True, exist_ok=True)
    parts = write_parts(trained / "model.safetensors", ours.out, keep_word_embeddings=first.freeze_layers < 0)
    summary["parts"] = parts
    (ours.out / SUMMARY_NAME).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({key: summary[key] for key in ("steps", "scheduled_steps", "device", "part_a_checks")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
