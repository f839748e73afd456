"""Where the span reader's files live and what they are called: one place for the runtime reader
and for training and export (``rag.training``), so the reader never imports them."""

from __future__ import annotations

from pathlib import Path

#: Folder of the shipped model (int8 ONNX + tokenizer + model card + training summary).
DEFAULT_MODEL_DIR = Path(__file__).parent / "model"
ONNX_FILE = "reader-int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
SUMMARY_FILE = "training.json"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAMES = ("start_logits", "end_logits")
#: Training checkpoints (resumable ``last.pt``) and the float weights written beside them: inside the
#: checkout (git-ignored) so a run resumes in a later session; /tmp did not survive one.
DEFAULT_CHECKPOINTS = Path(__file__).resolve().parents[2] / "benchmarks" / ".cache" / "reader-checkpoints"
CHECKPOINT_NAME = "last.pt"
TRAINED_DIR = "trained"
