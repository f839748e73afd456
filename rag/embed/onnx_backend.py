"""all-MiniLM-L6-v2 on ONNX Runtime: the same vectors as sentence-transformers, faster.

The model is exported once (see :mod:`rag.embed.onnx_export`) and cached; after that
this backend needs neither torch nor sentence-transformers: the ``tokenizers`` library
cuts word-pieces, ONNX Runtime runs the transformer, numpy mean-pools and normalizes,
exactly as the sentence-transformers pipeline of this model does.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from rag.config import usable_cpus
from rag.embed.base import Embedder, model_path, offline
from rag.embed.onnx_export import QUANTIZATIONS, Quantization, ensure_onnx_model
from rag.int8 import inference_session, kernel_report

DEFAULT_MAX_SEQ_LENGTH = 256  # the model's sentence_bert_config.json
# One text per forward pass, one single-threaded stream per core: no padding at all, and
# int8's activation scales then depend on the text alone, so a text's vector does not
# change with what it is batched with. Batches of 2-8 measured no faster on 2 cores
# (benchmarks/README.md, "Speed", "How the options differ").
DEFAULT_ONNX_BATCH_SIZE = 1
MIN_SEQ_LENGTH = 8


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> Iterator[np.ndarray]:
    """Row numbers grouped into batches of similar length, longest first.

    Every row appears exactly once; callers put results back with the returned rows.

    >>> [list(rows) for rows in length_sorted_batches([3, 9, 1, 7], 2)]
    [[1, 3], [0, 2]]
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    for begin in range(0, len(order), batch_size):
        yield order[begin : begin + batch_size]


class OnnxEmbedder(Embedder):
    """all-MiniLM-L6-v2 through ONNX Runtime; exports/loads the model on first use.

    Args:
        quantization: ``"int8"`` (dynamic, per-channel weights) or ``"none"`` (float32).
        max_seq_length: word-pieces kept per text, [CLS] and [SEP] included.
        batch_size: texts per forward pass when ``encode`` is not told otherwise.
        threads: batches run at once, one single-threaded stream each (default: one per CPU);
            independent batches scale better on few cores than threads splitting one batch.
        cache_folder: where the exported model is kept (default ``~/.cache/rag/onnx``).
    """

    def __init__(
        self,
        quantization: Quantization = "int8",
        max_seq_length: int = DEFAULT_MAX_SEQ_LENGTH,
        batch_size: int = DEFAULT_ONNX_BATCH_SIZE,
        threads: int | None = None,
        cache_folder: str | Path | None = None,
    ) -> None:
        if quantization not in QUANTIZATIONS:
            raise ValueError(f"quantization must be one of {QUANTIZATIONS}, got {quantization!r}")
        if max_seq_length < MIN_SEQ_LENGTH:
            raise ValueError(f"max_seq_length must be >= {MIN_SEQ_LENGTH}, got {max_seq_length}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        self.quantization = quantization
        self.backend = "onnx-int8" if quantization == "int8" else "onnx"
        self.max_seq_length = max_seq_length
        self.batch_size = batch_size
        self.threads = threads or usable_cpus()
        self.cache_folder = Path(cache_folder) if cache_folder is not None else None
        self._session = None
        self._tokenizer = None
        self._streams: ThreadPoolExecutor | None = None
        self._streams_pid = 0
        self._lock = threading.Lock()

    def _load(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._session is None:
                offline()
                import onnxruntime
                from tokenizers import Tokenizer

                _check_mean_pooling(model_path())
                tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
                tokenizer.enable_truncation(self.max_seq_length)
                tokenizer.no_padding()
                options = onnxruntime.SessionOptions()
                # Each call runs on its caller's thread: parallel across batches instead (see
                # ``threads``), with no thread pool spinning while it waits for work.
                options.intra_op_num_threads = 1
                options.inter_op_num_threads = 1
                options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
                path = ensure_onnx_model(self.quantization, self.cache_folder)
                self._tokenizer = tokenizer
                self._session = inference_session(path, options)
            if self._streams_pid != os.getpid():  # first use, or a forked child: threads do not survive fork
                self._streams = ThreadPoolExecutor(self.threads, thread_name_prefix="rag-embed")
                self._streams_pid = os.getpid()
            return self._session, self._tokenizer

    def runtime(self) -> dict[str, object]:
        """Backend, ONNX Runtime version and, for int8, the kernels and weight format used here."""
        from importlib.metadata import version

        described: dict[str, object] = {"backend": self.backend, "onnxruntime": version("onnxruntime")}
        if self.quantization == "int8":
            described.update(kernel_report().to_dict())
        return described

    def encode(
        self, texts: Sequence[str], batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("texts must be a sequence of str, not one str; use encode_query(text) for one")
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        session, tokenizer = self._load()
        encodings = tokenizer.encode_batch(list(texts))
        lengths = [len(encoding.ids) for encoding in encodings]
        batches = list(length_sorted_batches(lengths, batch_size or self.batch_size))
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)

        def embed(rows: np.ndarray) -> np.ndarray:
            width = max(lengths[row] for row in rows)
            input_ids = np.zeros((len(rows), width), dtype=np.int64)
            attention_mask = np.zeros((len(rows), width), dtype=np.int64)
            for slot, row in enumerate(rows):
                input_ids[slot, : lengths[row]] = encodings[row].ids
                attention_mask[slot, : lengths[row]] = 1
            inputs = {
                "input_ids": input_ids,
                "attention_mask": attention_mask,
                "token_type_ids": np.zeros_like(input_ids),
            }
            (hidden,) = session.run(None, inputs)  # releases the GIL: streams run in parallel
            return _mean_pool_normalized(hidden, attention_mask)

        if len(batches) == 1:  # one question: no hand-off to a worker thread
            vectors[batches[0]] = embed(batches[0])
            return vectors
        assert self._streams is not None
        results = self._streams.map(embed, batches)
        if progress:
            from tqdm import tqdm

            results = tqdm(results, total=len(batches), desc="embedding", unit="batch")
        for rows, batch_vectors in zip(batches, results, strict=True):
            vectors[rows] = batch_vectors
        return vectors


def _mean_pool_normalized(hidden: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """Average of the real (unpadded) tokens' states, scaled to unit length."""
    mask = attention_mask[:, :, None].astype(np.float32)
    pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1.0)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def _check_mean_pooling(folder: Path) -> None:
    """This backend re-implements the model's pooling; refuse a model configured otherwise."""
    config = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    if not config.get("pooling_mode_mean_tokens"):
        raise RuntimeError(f"{folder} does not use mean pooling ({config}); use the torch backend")
