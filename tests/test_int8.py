"""Int8 models compute the same numbers on every x86 CPU (rag.int8), and say what they run with."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from rag.cli import main
from rag.int8 import (
    WEIGHT_FORMATS,
    WEIGHTS_ENV,
    inference_session,
    int8_kernel,
    int8_weights,
    kernel_report,
    make_weights_unsigned,
    signed_weights,
)
from rag.reader.artifacts import DEFAULT_MODEL_DIR, ONNX_FILE

SHIPPED_READER = DEFAULT_MODEL_DIR / ONNX_FILE


def matmul_integer_model(weights: np.ndarray, also_cast: bool = False) -> onnx.ModelProto:
    """``Y = MatMulInteger(A, W, a_zero, w_zero)`` with int8 ``W`` and per-column zero points."""
    rows, columns = weights.shape
    nodes = [helper.make_node("MatMulInteger", ["A", "W", "a_zero", "w_zero"], ["Y"], name="product")]
    outputs = [helper.make_tensor_value_info("Y", TensorProto.INT32, [None, columns])]
    if also_cast:
        nodes.append(helper.make_node("Cast", ["W"], ["W_float"], to=TensorProto.FLOAT, name="cast"))
        outputs.append(helper.make_tensor_value_info("W_float", TensorProto.FLOAT, [rows, columns]))
    graph = helper.make_graph(
        nodes,
        "exactness",
        [helper.make_tensor_value_info("A", TensorProto.UINT8, [None, rows])],
        outputs,
        initializer=[
            numpy_helper.from_array(weights.astype(np.int8), "W"),
            numpy_helper.from_array(np.array(0, dtype=np.uint8), "a_zero"),
            numpy_helper.from_array(np.zeros(columns, dtype=np.int8), "w_zero"),
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def session_options():  # type: ignore[no-untyped-def]
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    return options


def test_products_that_saturate_int16_pairs_are_exact(tmp_path, monkeypatch):
    # 255 x 127 + 255 x 127 = 64,770 overflows the int16 pair sums of the AVX2 u8s8 kernel.
    rows, columns = 64, 16
    weights = np.full((rows, columns), 127, dtype=np.int64)
    weights[:, ::2] = -127
    activations = np.full((4, rows), 255, dtype=np.uint8)
    path = tmp_path / "product.onnx"
    onnx.save(matmul_integer_model(weights), str(path))
    expected = activations.astype(np.int64) @ weights
    for chosen in ("auto", "u8u8"):
        monkeypatch.setenv(WEIGHTS_ENV, chosen)
        (product,) = inference_session(path, session_options()).run(None, {"A": activations})
        np.testing.assert_array_equal(product, expected, err_msg=f"{WEIGHTS_ENV}={chosen}")


def test_unsigned_weights_are_the_same_numbers():
    model = onnx.load(str(SHIPPED_READER))
    before = {init.name: numpy_helper.to_array(init).astype(np.int64) for init in model.graph.initializer}
    names = signed_weights(model)
    assert names, "the shipped reader is exported with int8 (u8s8) weights"
    assert make_weights_unsigned(model) == len(names)
    assert signed_weights(model) == [] and make_weights_unsigned(model) == 0
    after = {init.name: init for init in model.graph.initializer}
    for name in names:
        assert after[name].data_type == TensorProto.UINT8
        np.testing.assert_array_equal(numpy_helper.to_array(after[name]).astype(np.int64) - 128, before[name])


def test_a_signed_weight_read_by_another_operator_is_not_rewritten():
    model = matmul_integer_model(np.ones((4, 2), dtype=np.int64), also_cast=True)
    with pytest.raises(ValueError, match="int8 weight 'W' is also an input of Cast 'cast'"):
        make_weights_unsigned(model)


@pytest.mark.parametrize(
    ("features", "kernel", "weights"),
    [
        (("AVX512VNNI", "AVX512BW", "AVX512F", "AVX2"), "avx512-vnni", "u8s8"),
        (("AVX512BW", "AVX512F", "AVX2"), "avx512", "u8u8"),
        (("AVX2",), "avx2", "u8u8"),
        ((), "sse", "u8u8"),
    ],
)
def test_only_vnni_runs_the_signed_weights(monkeypatch, features, kernel, weights):
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    assert int8_kernel(features) == kernel
    assert int8_weights(features) == weights
    monkeypatch.setenv(WEIGHTS_ENV, "u8u8")
    assert int8_weights(features) == "u8u8"


def test_a_vnni_cpu_whose_signed_products_are_not_exact_runs_unsigned_weights(monkeypatch):
    import rag.int8

    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    monkeypatch.setattr(rag.int8, "cpu_features", lambda: ("AVX512VNNI", "AVX512BW", "AVX512F", "AVX2"))
    monkeypatch.setattr(rag.int8, "signed_products_exact", lambda: True)
    assert int8_weights() == "u8s8"
    monkeypatch.setattr(rag.int8, "signed_products_exact", lambda: False)
    assert int8_weights() == "u8u8"


def test_the_signed_product_probe_agrees_with_the_cpu():
    from rag.int8 import cpu_features, signed_products_exact

    cpuinfo = Path("/proc/cpuinfo")
    flags = set(cpuinfo.read_text().split()) if cpuinfo.is_file() else set()
    if int8_kernel(cpu_features()) == "avx512-vnni":
        assert signed_products_exact()
    elif "avx2" in flags and not flags & {"avx_vnni", "avx512_vnni", "amx_int8"}:
        assert not signed_products_exact()  # AVX2 or AVX-512 without any VNNI: u8s8 saturates
    else:
        pytest.skip(f"no expectation for this CPU ({int8_kernel(cpu_features())})")


def test_a_bad_weight_setting_is_named(monkeypatch):
    monkeypatch.setenv(WEIGHTS_ENV, "s8s8")
    with pytest.raises(ValueError, match="RAG_INT8_WEIGHTS must be 'auto' or 'u8u8', got 's8s8'"):
        int8_weights()


def test_shipped_reader_gives_identical_logits_in_both_weight_formats(monkeypatch):
    rng = np.random.default_rng(0)
    input_ids = rng.integers(1000, 29000, size=(2, 160))
    input_ids[:, 0] = 101
    feed = {
        "input_ids": input_ids,
        "attention_mask": np.ones_like(input_ids),
        "token_type_ids": np.zeros_like(input_ids),
    }
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    as_chosen = inference_session(SHIPPED_READER, session_options()).run(None, feed)
    monkeypatch.setenv(WEIGHTS_ENV, "u8u8")
    unsigned = inference_session(SHIPPED_READER, session_options()).run(None, feed)
    for chosen, exact in zip(as_chosen, unsigned, strict=True):  # on VNNI: u8s8 vs u8u8, bit for bit
        np.testing.assert_array_equal(chosen, exact)


def test_version_and_doctor_name_the_kernels(capsys, tmp_path):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    report = kernel_report()
    line = capsys.readouterr().out
    assert (
        line.startswith("rag-news ")
        and f"int8 kernel {report.int8_kernel}, weights {report.int8_weights}" in line
    )

    assert main(["doctor", "--json", "--index", str(tmp_path / "none")]) == 0
    described = json.loads(capsys.readouterr().out)
    assert {key: described["int8"][key] for key in report.to_dict()} == report.to_dict()
    assert report.int8_weights in WEIGHT_FORMATS and isinstance(
        described["int8"]["u8s8_products_exact"], bool
    )
    assert described["reader"]["present"] is True and len(described["reader"]["sha256"]) == 16
    assert described["index"]["present"] is False and "no index at" in described["index"]["error"]
    assert main(["doctor", "--index", str(tmp_path / "none")]) == 0
    assert "int8_kernel: " in capsys.readouterr().out
