"""Embedding backends: selection, validation, batching, and agreement with the torch reference."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from rag.embed import BACKEND_ENV, OnnxEmbedder, TorchEmbedder, default_backend, get_embedder, make_embedder
from rag.embed.onnx_backend import length_sorted_batches
from rag.embed.onnx_export import cached_model_path

FORK_TIMEOUT_SECONDS = 60
QUESTIONS = (
    "Who did Wang Yi meet in Pyongyang?",
    "When does the festival start?",
    "How many people were evacuated?",
)


def test_length_sorted_batches_put_long_texts_first_and_keep_every_row():
    batches = [list(rows) for rows in length_sorted_batches([3, 9, 1, 7, 7], batch_size=2)]
    assert batches == [[1, 3], [4, 0], [2]]


def test_length_sorted_batches_reject_an_empty_batch():
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        list(length_sorted_batches([1, 2], batch_size=0))


def test_unknown_backend_is_named():
    with pytest.raises(ValueError, match="unknown embedding backend 'tensorflow'"):
        get_embedder("tensorflow")


def test_environment_variable_picks_the_backend(monkeypatch):
    monkeypatch.setenv(BACKEND_ENV, "torch-bf16")
    assert default_backend() == "torch-bf16"
    monkeypatch.setenv(BACKEND_ENV, "onnx-int4")
    with pytest.raises(ValueError, match="unknown embedding backend 'onnx-int4'"):
        default_backend()


def test_shared_embedder_is_one_per_backend_and_new_ones_are_separate():
    assert get_embedder("onnx") is get_embedder("onnx")
    assert get_embedder("onnx") is not get_embedder("torch")
    assert make_embedder("onnx") is not get_embedder("onnx")
    assert [make_embedder(name).backend for name in ("onnx-int8", "onnx", "torch", "torch-bf16")] == [
        "onnx-int8",
        "onnx",
        "torch",
        "torch-bf16",
    ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: OnnxEmbedder(quantization="int4"), "quantization must be one of .*, got 'int4'"),  # type: ignore[arg-type]
        (lambda: OnnxEmbedder(batch_size=0), "batch_size must be >= 1, got 0"),
        (lambda: OnnxEmbedder(threads=0), "threads must be >= 1, got 0"),
        (lambda: OnnxEmbedder(max_seq_length=4), "max_seq_length must be >= 8, got 4"),
        (lambda: TorchEmbedder(dtype="float16"), "dtype must be one of .*, got 'float16'"),  # type: ignore[arg-type]
        (lambda: TorchEmbedder(batch_size=-1), "batch_size must be >= 1, got -1"),
        (lambda: cached_model_path("int4"), "quantization must be one of .*, got 'int4'"),  # type: ignore[arg-type]
    ],
)
def test_bad_settings_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("embedder", [OnnxEmbedder(), TorchEmbedder()], ids=["onnx", "torch"])
def test_no_texts_give_no_vectors_without_loading_a_model(embedder):
    vectors = embedder.encode([])
    assert vectors.shape == (0, 384) and vectors.dtype == np.float32


@pytest.mark.parametrize("embedder", [OnnxEmbedder(), TorchEmbedder()], ids=["onnx", "torch"])
def test_one_string_instead_of_a_list_is_refused(embedder):
    with pytest.raises(TypeError, match="use encode_query"):
        embedder.encode("one text")


# -- the real model ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def export_folder(tmp_path_factory):
    """Exported ONNX models for this module only (tests never touch ~/.cache)."""
    return tmp_path_factory.mktemp("onnx")


@pytest.fixture(scope="module")
def sample_texts(seed_articles):
    """Real news text: the first sentences of every seed article, plus questions."""
    from rag.chunk import split_sentences

    texts = []
    for article in seed_articles:
        spans = split_sentences(article.text)[:3]
        texts.extend(article.text[span.start : span.end] for span in spans)
    return [*texts, *QUESTIONS]


@pytest.fixture(scope="module")
def torch_vectors(sample_texts):
    return TorchEmbedder().encode(sample_texts)


# int8: least cosine 0.9918 over these 30 texts on AVX-512 VNNI and on an emulated AVX2-only CPU
# (qemu EPYC-Milan; 0.9892 there before int8 weights were run unsigned on CPUs without VNNI).
@pytest.mark.slow
@pytest.mark.parametrize(("quantization", "least_cosine"), [("none", 0.9999), ("int8", 0.99)])
def test_onnx_vectors_agree_with_torch(
    export_folder, sample_texts, torch_vectors, quantization, least_cosine
):
    vectors = OnnxEmbedder(quantization=quantization, cache_folder=export_folder).encode(sample_texts)
    assert vectors.shape == torch_vectors.shape and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = (vectors * torch_vectors).sum(axis=1)
    assert cosines.min() >= least_cosine, f"least cosine {cosines.min():.4f} over {len(sample_texts)} texts"


@pytest.mark.slow
def test_bfloat16_vectors_agree_with_float32(sample_texts, torch_vectors):
    vectors = TorchEmbedder(dtype="bfloat16").encode(sample_texts)
    assert vectors.dtype == np.float32
    assert (vectors * torch_vectors).sum(axis=1).min() >= 0.99


@pytest.mark.slow
def test_int8_vector_of_a_text_does_not_depend_on_its_batch(export_folder, sample_texts):
    embedder = OnnxEmbedder(quantization="int8", cache_folder=export_folder)
    together = embedder.encode(sample_texts)
    alone = np.stack([embedder.encode([text])[0] for text in sample_texts])
    np.testing.assert_allclose(together, alone, atol=1e-6)
    np.testing.assert_allclose(
        embedder.encode_query(QUESTIONS[0]), alone[len(sample_texts) - len(QUESTIONS)], atol=1e-6
    )


@pytest.mark.slow
def test_export_is_cached_and_reused(export_folder):
    first = OnnxEmbedder(quantization="int8", cache_folder=export_folder)
    first.encode(["load"])
    files = sorted(path.name for path in export_folder.glob("*.onnx"))
    assert cached_model_path("int8", export_folder).name in files
    modified = cached_model_path("int8", export_folder).stat().st_mtime_ns
    OnnxEmbedder(quantization="int8", cache_folder=export_folder).encode(["load again"])
    assert cached_model_path("int8", export_folder).stat().st_mtime_ns == modified
    assert sorted(path.name for path in export_folder.glob("*.onnx")) == files


@pytest.mark.slow
def test_rebuilding_the_seed_index_with_the_default_backend_embeds_nothing(
    tmp_path, export_folder, seeds_dir
):
    from rag.index import build_index

    embedder = OnnxEmbedder(quantization="int8", cache_folder=export_folder)
    first = build_index([seeds_dir], tmp_path / "index", embedder=embedder)
    assert first.last_embedded > 0
    again = build_index([seeds_dir], tmp_path / "index", embedder=embedder)
    assert again.last_embedded == 0 and len(again) == len(first)
    np.testing.assert_array_equal(again.vectors, first.vectors)


@pytest.mark.slow
def test_a_forked_child_still_embeds(export_folder):
    embedder = OnnxEmbedder(quantization="int8", cache_folder=export_folder)
    texts = ["Two texts, so the worker threads are used.", "They do not survive a fork."]
    expected = embedder.encode(texts)
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only when it embeds the same vectors
        try:
            os._exit(0 if np.allclose(embedder.encode(texts), expected, atol=1e-6) else 1)
        finally:
            os._exit(2)
    deadline = time.monotonic() + FORK_TIMEOUT_SECONDS
    while (status := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if status[0] == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail(f"the forked child hung for {FORK_TIMEOUT_SECONDS} s")
    assert os.waitstatus_to_exitcode(status[1]) == 0
