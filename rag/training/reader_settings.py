"""The span reader's training settings and the options that set them (``rag train reader``,
its alias ``rag train-reader`` and ``python -m rag.training.reader`` share them)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from rag.reader.artifacts import DEFAULT_CHECKPOINTS, DEFAULT_MODEL_DIR
from rag.training.paths import DEV_PART_A, TRAIN_SUBSET

TRAIN_DESCRIPTION = "Train the span reader (see rag/reader/model/MODEL_CARD.md)."
DEFAULT_TRAIN = TRAIN_SUBSET
DEFAULT_EVAL = DEV_PART_A
DEFAULT_OUTPUT = DEFAULT_MODEL_DIR
#: 0: the schedule runs whole epochs (``--epochs``); a positive value caps it.
DEFAULT_MAX_STEPS = 0


@dataclass(frozen=True)
class TrainSettings:
    """Every knob of one training run (saved into ``training.json``)."""

    max_length: int = 256
    stride: int = 64
    batch_size: int = 16
    epochs: float = 1.0
    learning_rate: float = 1e-4
    warmup_fraction: float = 0.1
    weight_decay: float = 0.01
    negative_fraction: float = 0.3
    seed: int = 13
    threads: int = 1
    bf16: bool = True
    freeze_layers: int = 1
    max_answer_tokens: int = 30
    bucket_batches: int = 50
    shared_norm: float = 0.0

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.epochs <= 0:
            raise ValueError(f"epochs must be > 0, got {self.epochs}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")


def steps(text: str) -> int:
    """A positive step count (``--log-every``, ``--eval-every``, ``--checkpoint-every``).

    Raises:
        argparse.ArgumentTypeError: not a whole number of at least 1.
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 step, got {value}")
    return value


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The training options (shared by ``rag train reader``, ``rag train-reader`` and
    ``python -m rag.training.reader``), added to ``parser`` or to a new one."""
    parser = parser or argparse.ArgumentParser(
        prog="python -m rag.training.reader", description=TRAIN_DESCRIPTION
    )
    defaults = TrainSettings()
    parser.add_argument("--train", default=str(DEFAULT_TRAIN), help="SQuAD v1.1 training JSON")
    parser.add_argument("--eval", default=str(DEFAULT_EVAL), help="SQuAD part-A JSON for periodic checks")
    parser.add_argument(
        "--output", "--out", default=str(DEFAULT_OUTPUT), help="folder for the shipped ONNX model"
    )
    parser.add_argument(
        "--checkpoint-dir",
        default=str(DEFAULT_CHECKPOINTS),
        help="resumable checkpoints, then the trained fp16 weights in <dir>/trained",
    )
    parser.add_argument("--resume", action="store_true", help="continue from <checkpoint-dir>/last.pt")
    parser.add_argument(
        "--init",
        default=None,
        help="start from these trained weights (a <checkpoint-dir>/trained folder) instead of the "
        "packaged encoder: a second training stage",
    )
    parser.add_argument(
        "--pairs",
        default=None,
        help="train on these JSON-lines pairs (rag train windows) instead of --train with BM25 negatives",
    )
    parser.add_argument(
        "--negatives",
        default=None,
        help="read the BM25 no-answer pairs of --train from this file (rag train device-pack writes "
        "it) instead of retrieving them",
    )
    parser.add_argument(
        "--device",
        default="cpu",
        choices=("cpu", "cuda", "auto"),
        help="where torch trains (auto: cuda when a GPU is visible); bf16 autocast on either",
    )
    parser.add_argument(
        "--no-export",
        action="store_true",
        help="save the trained weights only, not the int8 ONNX (a GPU machine's run; export here with "
        "rag train device-import)",
    )
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=0.0,
        help="stop, checkpoint and save after this many minutes of training even if the schedule "
        "has steps left (0: no limit)",
    )
    parser.add_argument("--max-length", type=int, default=defaults.max_length)
    parser.add_argument("--stride", type=int, default=defaults.stride)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--epochs", type=float, default=defaults.epochs)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument(
        "--negative-fraction",
        type=float,
        default=defaults.negative_fraction,
        help="share of questions also paired with a BM25-retrieved non-gold paragraph",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--threads",
        type=int,
        default=defaults.threads,
        help="torch CPU threads (1 is ~3x faster than 2 on a CPU shared with other jobs)",
    )
    parser.add_argument(
        "--freeze-layers",
        type=int,
        default=defaults.freeze_layers,
        help="freeze the embeddings and this many bottom layers (-1: train everything)",
    )
    parser.add_argument("--no-bf16", action="store_true", help="train in fp32 instead of bf16 autocast")
    parser.add_argument(
        "--shared-norm",
        type=float,
        default=defaults.shared_norm,
        help="weight of the shared-normalization loss across the windows of one --pairs group "
        "(0: off); batches then keep groups whole",
    )
    parser.add_argument(
        "--max-steps",
        type=int,
        default=DEFAULT_MAX_STEPS,
        help="schedule length cap in steps (0: whole epochs)",
    )
    parser.add_argument("--log-every", type=steps, default=20)
    parser.add_argument(
        "--eval-every", type=steps, default=150, help="steps between part-A checks (off: --eval-questions 0)"
    )
    parser.add_argument("--eval-questions", type=int, default=100)
    parser.add_argument("--checkpoint-every", type=steps, default=15)
    return parser


def training_device(name: str):  # type: ignore[no-untyped-def]
    """The ``torch.device`` for ``--device`` (``auto``: cuda when torch sees a GPU, else cpu).

    Raises:
        RuntimeError: ``cuda`` was asked for and torch sees no GPU.
    """
    import torch

    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda: torch sees no GPU here (use --device cpu or auto)")
    return torch.device(name)
