"""The shipped int8 ONNX reader rebuilt as trainable torch weights (``rag.training.dequantize``): the
next training stage can start from it when the checkpoints of the last one are gone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.reader.artifacts import DEFAULT_MODEL_DIR, ONNX_FILE, TOKENIZER_FILE

pytest.importorskip("torch")
pytest.importorskip("transformers")

QUESTION = "Who did Wang Yi meet in Pyongyang?"
PASSAGE = (
    "Chinese Foreign Minister Wang Yi met North Korean leader Kim Jong Un in Pyongyang on Monday, "
    "the official news agency said."
)


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, float]]:
    from rag.training.dequantize import rebuild

    out = tmp_path_factory.mktemp("dequantized")
    drift = rebuild(DEFAULT_MODEL_DIR / ONNX_FILE, out)
    return out, drift


def test_every_trained_weight_comes_from_the_graph_and_the_frozen_layer_matches_the_base(rebuilt):
    from rag.training.dequantize import onnx_state

    _, drift = rebuilt
    state = onnx_state(DEFAULT_MODEL_DIR / ONNX_FILE)
    # 6 layers x (query, key, value, attention output, intermediate, output: weight + bias, 2 norms x 2)
    assert sum(key.startswith("bert.encoder.layer.") for key in state) == 6 * 16
    assert {"qa_outputs.weight", "qa_outputs.bias"} <= state.keys()
    # layer 0 was frozen in training: its ONNX copy differs from the base encoder by int8 rounding only
    assert len(drift) == 16 and max(drift.values()) < 0.01


def test_the_rebuilt_model_reads_like_the_shipped_one(rebuilt):
    import onnxruntime as ort
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModelForQuestionAnswering

    folder, _ = rebuilt
    model = AutoModelForQuestionAnswering.from_pretrained(str(folder)).eval()
    encoding = Tokenizer.from_file(str(DEFAULT_MODEL_DIR / TOKENIZER_FILE)).encode(QUESTION, PASSAGE)
    inputs = {
        "input_ids": np.array([encoding.ids], dtype=np.int64),
        "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
        "token_type_ids": np.array([encoding.type_ids], dtype=np.int64),
    }
    session = ort.InferenceSession(str(DEFAULT_MODEL_DIR / ONNX_FILE), providers=["CPUExecutionProvider"])
    names = [entry.name for entry in session.get_inputs()]
    onnx_start, onnx_end = session.run(None, {name: inputs[name] for name in names})[:2]
    with torch.no_grad():
        output = model(**{name: torch.from_numpy(array) for name, array in inputs.items()})
    length = int(inputs["attention_mask"].sum())
    torch_start = output.start_logits.numpy()[0, :length]
    torch_end = output.end_logits.numpy()[0, :length]
    assert int(torch_start.argmax()) == int(onnx_start[0, :length].argmax())
    assert int(torch_end.argmax()) == int(onnx_end[0, :length].argmax())
    tokens = encoding.tokens[int(torch_start.argmax()) : int(torch_end.argmax()) + 1]
    assert tokens == ["kim", "jong", "un"]
    # int8 weights and activations in the graph, float32 here: close, not equal
    assert np.abs(torch_start - onnx_start[0, :length]).max() < 1.5
