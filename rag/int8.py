"""Int8 ONNX models whose answers do not depend on the CPU they run on.

ONNX Runtime multiplies dynamically quantized layers with integer kernels picked by CPU
(MLAS). With uint8 activations and **int8** weights ("u8s8"), the AVX-512 VNNI kernel
(``vpdpbusd``) sums the products exactly, but the AVX2 and AVX-512 kernels of CPUs without VNNI
(``vpmaddubsw``) add pairs of products into int16 with saturation: 255 x 127 x 2 overflows, so
the same file gives other numbers there (the embedder's cosine to float32 fell to 0.989 and the
reader answered "backtracking" for "backtracking on its concessions" on an AVX2-only EPYC).

With **uint8** weights ("u8u8") every kernel widens to int16 before multiplying and sums in
int32: exact everywhere. An int8 weight ``q`` with zero point ``z`` is the same number as the
uint8 weight ``q + 128`` with zero point ``z + 128``, so :func:`make_weights_unsigned` rewrites
a u8s8 model into a u8u8 one without changing a single dequantized weight: the integer sums are
those the VNNI kernel computes, on every CPU.

Models are exported and shipped u8s8. :func:`inference_session` loads them as they are on
AVX-512 VNNI CPUs (there u8s8 is exact and about 1.5x faster than u8u8) and as u8u8 everywhere
else; both give bit-identical outputs on a VNNI CPU (tests/test_int8.py).
"""

from __future__ import annotations

import logging
import os
import platform
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

logger = logging.getLogger(__name__)

WeightFormat = Literal["u8s8", "u8u8"]
WEIGHT_FORMATS: tuple[WeightFormat, ...] = ("u8s8", "u8u8")
#: ``auto`` (default: u8s8 where the CPU has VNNI, else u8u8) or ``u8u8`` (everywhere).
WEIGHTS_ENV = "RAG_INT8_WEIGHTS"

#: Integer-GEMM operators and the input positions of their (weight, weight zero point).
WEIGHT_INPUTS: dict[str, tuple[int, int]] = {
    "MatMulInteger": (1, 3),
    "QAttention": (1, 7),
    "DynamicQuantizeMatMul": (1, 3),
}
SIGNED_TO_UNSIGNED = 128
#: numpy's names of the instruction sets that decide which integer kernel MLAS runs.
KERNEL_FEATURES = ("AVX512VNNI", "AVX512BW", "AVX512F", "AVX2")


def signed_weights(model: Any) -> list[str]:
    """Names of int8 initializers fed to an integer GEMM as weight or weight zero point.

    An empty list means every integer product in ``model`` (an ``onnx.ModelProto``) is exact on
    any x86 CPU.
    """
    import onnx

    signed = {init.name for init in model.graph.initializer if init.data_type == onnx.TensorProto.INT8}
    found: list[str] = []
    for node in model.graph.node:
        for position in WEIGHT_INPUTS.get(node.op_type, ()):
            if position < len(node.input) and node.input[position] in signed:
                found.append(node.input[position])
    return sorted(set(found))


def make_weights_unsigned(model: Any) -> int:
    """Rewrite int8 GEMM weights (and their zero points) of ``model`` as uint8, in place.

    Lossless: ``uint8 = int8 + 128`` for both the weights and the zero points, so every
    dequantized weight ``scale * (q - z)`` is unchanged.

    Returns:
        How many initializers were rewritten (0 when the model already was u8u8).

    Raises:
        ValueError: an int8 weight is also read by an operator that is not an integer GEMM
            (rewriting it would change that operator's input).
    """
    import onnx
    from onnx import numpy_helper

    names = set(signed_weights(model))
    if not names:
        return 0
    for node in model.graph.node:
        weight_positions = WEIGHT_INPUTS.get(node.op_type, ())
        for position, name in enumerate(node.input):
            if name in names and position not in weight_positions:
                raise ValueError(f"int8 weight {name!r} is also an input of {node.op_type} {node.name!r}")
    for init in model.graph.initializer:
        if init.name in names:
            signed = numpy_helper.to_array(init).astype(np.int16)
            unsigned = (signed + SIGNED_TO_UNSIGNED).astype(np.uint8)
            init.CopyFrom(numpy_helper.from_array(unsigned, init.name))
            assert init.data_type == onnx.TensorProto.UINT8
    return len(names)


def portable_model_bytes(path: Path) -> bytes:
    """The ONNX file at ``path``, with int8 GEMM weights made unsigned when it has any.

    For an ``InferenceSession``: a model exported before weights were stored unsigned (or by
    another tool) still computes the same numbers on every CPU.
    """
    import onnx

    model = onnx.load(str(path))
    make_weights_unsigned(model)
    return bytes(model.SerializeToString())


def cpu_features() -> tuple[str, ...]:
    """The :data:`KERNEL_FEATURES` this CPU and OS support, as numpy detected them (CPUID).

    CPUID, not ``/proc/cpuinfo``: it is what ONNX Runtime reads too, and an emulator (QEMU
    ``-cpu EPYC-Milan``) changes CPUID while ``/proc/cpuinfo`` still shows the host.
    """
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # another numpy layout: assume the worst, u8u8 is exact anyway
        return ()
    return tuple(name for name in KERNEL_FEATURES if features.get(name))


def int8_kernel(features: tuple[str, ...]) -> str:
    """The family of integer GEMM kernels ONNX Runtime's MLAS picks for these features."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return platform.machine().lower() or "unknown"
    for feature, kernel in (("AVX512VNNI", "avx512-vnni"), ("AVX512BW", "avx512"), ("AVX2", "avx2")):
        if feature in features:
            return kernel
    return "sse"


def int8_weights(features: tuple[str, ...] | None = None) -> WeightFormat:
    """The weight format to run int8 models with on this CPU.

    ``u8s8`` (the files as exported) only where its kernel is exact and fastest (AVX-512 VNNI,
    confirmed on this machine by :func:`signed_products_exact`); ``u8u8`` everywhere else, or
    everywhere with ``RAG_INT8_WEIGHTS=u8u8``. Both give the same integer sums, so the same
    answers. ``features`` (for tests) decides from those CPU features alone.

    Raises:
        ValueError: ``RAG_INT8_WEIGHTS`` is neither ``auto`` nor ``u8u8``.
    """
    chosen = os.environ.get(WEIGHTS_ENV, "auto").strip().lower() or "auto"
    if chosen not in ("auto", "u8u8"):
        raise ValueError(f"{WEIGHTS_ENV} must be 'auto' or 'u8u8', got {chosen!r}")
    if chosen == "u8u8":
        return "u8u8"
    if features is not None:
        return "u8s8" if int8_kernel(features) == "avx512-vnni" else "u8u8"
    if int8_kernel(cpu_features()) != "avx512-vnni":
        return "u8u8"
    if not signed_products_exact():  # the CPU says VNNI, ONNX Runtime's kernel disagrees
        logger.warning("int8 u8s8 products are not exact on this CPU; running int8 models as u8u8")
        return "u8u8"
    return "u8s8"


#: A product whose int16 pair sums overflow with int8 weights: 255 x 127 + 255 x 127 > 32767.
PROBE_ROWS, PROBE_COLUMNS = 64, 16


@lru_cache(maxsize=1)
def signed_products_exact() -> bool:
    """Whether ONNX Runtime multiplies uint8 by int8 exactly here: runs one small
    ``MatMulInteger`` built so that a saturating kernel must get it wrong (a few ms, once)."""
    import onnx
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    weights = np.full((PROBE_ROWS, PROBE_COLUMNS), 127, dtype=np.int64)
    weights[:, ::2] = -127
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["A", "W"], ["Y"])],
        "int8-probe",
        [helper.make_tensor_value_info("A", TensorProto.UINT8, [1, PROBE_ROWS])],
        [helper.make_tensor_value_info("Y", TensorProto.INT32, [1, PROBE_COLUMNS])],
        initializer=[numpy_helper.from_array(weights.astype(np.int8), "W")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    activations = np.full((1, PROBE_ROWS), 255, dtype=np.uint8)
    (product,) = session.run(None, {"A": activations})
    return bool(np.array_equal(product, activations.astype(np.int64) @ weights))


def inference_session(path: Path, options: Any) -> Any:
    """An ONNX Runtime CPU session over ``path`` with exact integer products on this CPU.

    The model is loaded as it is where :func:`int8_weights` says ``u8s8``; elsewhere its int8
    GEMM weights are made unsigned in memory first (about 0.1 s for a 25 MB model).
    """
    import onnxruntime

    if int8_weights() == "u8s8":
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    logger.debug("%s: int8 weights made unsigned (u8u8) for this CPU's integer kernels", path.name)
    return onnxruntime.InferenceSession(
        portable_model_bytes(path), options, providers=["CPUExecutionProvider"]
    )


@dataclass(frozen=True)
class KernelReport:
    """Which integer kernels ONNX Runtime uses here, for bug reports (``rag doctor``)."""

    machine: str
    cpu_features: tuple[str, ...]
    int8_kernel: str
    int8_weights: WeightFormat

    def to_dict(self) -> dict[str, object]:
        return {
            "machine": self.machine,
            "cpu_features": list(self.cpu_features),
            "int8_kernel": self.int8_kernel,
            "int8_weights": self.int8_weights,
        }


def kernel_report() -> KernelReport:
    """What this machine runs the int8 models with."""
    features = cpu_features()
    return KernelReport(
        machine=platform.machine(),
        cpu_features=features,
        int8_kernel=int8_kernel(features),
        int8_weights=int8_weights(),
    )
