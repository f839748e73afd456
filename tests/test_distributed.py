"""Distributed embedding on a local Dask cluster of 2 workers (``rag.embed.distributed``).

The cluster must listen on 127.0.0.1 only; its vectors must equal the in-process embedder's, so
an index built with workers answers exactly like one built without.
"""

from __future__ import annotations

import pytest

import rag
from rag.embed import get_embedder

pytest.importorskip("distributed", reason="the cluster extra is not installed (pip install -e '.[cluster]')")
pytest.importorskip("pymilvus", reason="the milvus extra is not installed (pip install -e '.[milvus]')")
psutil = pytest.importorskip("psutil")

from rag.embed.distributed import DistributedEmbedder  # noqa: E402

pytestmark = pytest.mark.slow

TEXTS = [
    f"Story number {n}: the council voted on the {n}th budget line after a long debate." for n in range(40)
]


def listening_addresses() -> set[tuple[str, int]]:
    """Listening TCP sockets of this process and its children."""
    processes = [psutil.Process(), *psutil.Process().children(recursive=True)]
    found = set()
    for process in processes:
        try:
            connections = process.net_connections(kind="inet")
        except psutil.NoSuchProcess:
            continue
        found |= {(c.laddr.ip, c.laddr.port) for c in connections if c.status == psutil.CONN_LISTEN}
    return found


@pytest.fixture(scope="module")
def workers():
    embedder = DistributedEmbedder(get_embedder(), workers=2)
    before = listening_addresses()
    embedder.start()
    opened = listening_addresses() - before
    yield embedder, opened
    embedder.close()


def test_the_cluster_listens_on_loopback_only(workers):
    embedder, opened = workers
    assert len(embedder.start().scheduler_info()["workers"]) == 2
    assert opened, "the cluster opened no listening socket"
    assert {ip for ip, _ in opened} == {"127.0.0.1"}, opened


def test_workers_embed_like_this_process(workers):
    embedder, _ = workers
    spread = embedder.encode(TEXTS)
    here = get_embedder().encode(TEXTS)
    assert spread.shape == here.shape == (len(TEXTS), embedder.dimension)
    assert abs(spread - here).max() < 1e-5
    assert embedder.encode([]).shape == (0, embedder.dimension)


def test_milvus_index_built_by_workers_answers_like_a_local_one(workers, tmp_path, seeds_dir):
    embedder, _ = workers
    spread = rag.build_index(
        [seeds_dir], tmp_path / "index", embedder=embedder, milvus=str(tmp_path / "x.db")
    )
    try:
        assert spread.last_embedded > 0
        local = rag.build_index([seeds_dir])
        for question in ("Who did Wang Yi meet in Pyongyang?", "When is China's National Day?"):
            assert rag.ask(question, index=spread).text == rag.ask(question, index=local).text
    finally:
        spread.close()


def test_bad_worker_count():
    with pytest.raises(ValueError, match="workers must be >= 1, got 0"):
        DistributedEmbedder(get_embedder(), workers=0)
