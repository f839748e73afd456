"""Embedding on a Dask cluster: :class:`DistributedEmbedder` (optional extra ``.[cluster]``).

``rag index SOURCES --backend milvus --workers N`` embeds articles with ``N`` worker processes of
a local Dask cluster that listens on 127.0.0.1 only (scheduler, workers and nannies; no
dashboard), or with the workers of an existing cluster (``--cluster tcp://host:8786``). Each
worker loads the same embedder backend as this process once and embeds batches of sentences;
the vectors come back in input order, so an index built this way equals one built in-process.
Questions are still embedded here (one at a time, nothing to spread).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from rag.embed.base import Embedder

CLUSTER_EXTRA_HINT = "distributed embedding needs the optional packages: pip install -e '.[cluster]'"
#: Sentences per task sent to a worker.
TASK_SIZE = 512
LOOPBACK = "127.0.0.1"


def embed_batch(texts: list[str], backend: str) -> np.ndarray:
    """Run on a worker: ``texts`` embedded with the worker's own (cached) embedder."""
    from rag.embed import get_embedder

    return get_embedder(backend).encode(texts)


class DistributedEmbedder(Embedder):
    """Embeds with the workers of a Dask cluster; ``local`` is this process's embedder (same
    backend, used for questions and for the model name, dimension and runtime report).

    Arguments:
        local: the embedder whose backend the workers load.
        workers: worker processes of a local cluster started here (on 127.0.0.1).
        cluster: the scheduler address of an existing cluster (instead of starting one).
    """

    def __init__(self, local: Embedder, workers: int = 2, cluster: str | None = None) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.local = local
        self.model_name = local.model_name
        self.dimension = local.dimension
        self.backend = local.backend
        self.workers = workers
        self.cluster_address = cluster
        self._cluster: Any = None
        self._client: Any = None

    def start(self) -> Any:
        """The Dask client, starting the local cluster on first use."""
        if self._client is not None:
            return self._client
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as error:
            raise ImportError(CLUSTER_EXTRA_HINT) from error
        if self.cluster_address:
            self._client = Client(self.cluster_address)
        else:
            self._cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                host=LOOPBACK,
                dashboard_address=None,
                worker_dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self._client = Client(self._cluster)
        return self._client

    def encode(
        self, texts: Sequence[str], batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        client = self.start()
        tasks = [list(texts[start : start + TASK_SIZE]) for start in range(0, len(texts), TASK_SIZE)]
        futures = client.map(embed_batch, tasks, backend=self.local.backend, pure=False)
        return np.concatenate(client.gather(futures)).astype(np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.local.encode_query(text)

    def runtime(self) -> dict[str, object]:
        return {**self.local.runtime(), "workers": self.workers, "cluster": self.cluster_address or "local"}

    def close(self) -> None:
        """Stop the local cluster (and disconnect from a remote one)."""
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None
