"""kill -9 at random moments of index writes: the last committed index always loads and
answers, and a rerun completes.

A writer subprocess prints the number of each operation after it returns; after the kill
the index on disk must equal the state after the last printed operation or after the one
in flight, never anything torn or mixed.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hardening_helpers import HashingEmbedder, numbered_article, python_command, subprocess_env

from rag.index import build_index, load_index, store
from rag.ingest import load_articles

EMBEDDER = HashingEmbedder()
KILLS = 25  # kill -9 this many times at random moments
OPERATIONS = 40  # each writer run adds/removes this many times unless killed first
KILL_WINDOW_SECONDS = 0.6  # kill somewhere in this long after the writer has loaded
SEED = 20261124
FIRST_WRITER_ARTICLE = 200

WRITE_LOOP = """
import sys
from pathlib import Path
from hardening_helpers import HashingEmbedder, numbered_article
from rag.index import load_index
index = load_index(Path(sys.argv[1]), embedder=HashingEmbedder())
print("ready", flush=True)
for step in range(int(sys.argv[2])):
    index.add(numbered_article(FIRST + step))
    print(2 * step, flush=True)
    if step >= 3:
        index.remove(numbered_article(FIRST + step - 3).doc_id)
    print(2 * step + 1, flush=True)
""".replace("FIRST", str(FIRST_WRITER_ARTICLE))


def operation_states(start: set[str], operations: int) -> list[set[str]]:
    """The article ids after each operation of WRITE_LOOP, starting from ``start``."""
    states, current = [], set(start)
    for step in range(operations):
        current = current | {numbered_article(FIRST_WRITER_ARTICLE + step).doc_id}
        states.append(current)
        if step >= 3:
            current = current - {numbered_article(FIRST_WRITER_ARTICLE + step - 3).doc_id}
        states.append(current)
    return states


def doc_ids(index) -> set[str]:
    return {article.doc_id for article in index.articles()}


def assert_answers(index_dir: Path) -> set[str]:
    index = load_index(index_dir, embedder=EMBEDDER)
    top = index.search("town 1 orchard reopened", k=1)
    assert top and top[0].doc_id == numbered_article(1).doc_id
    return doc_ids(index)


def leftovers(index_dir: Path) -> list[str]:
    live = store.live_snapshot_name(index_dir)
    return sorted(
        path.name
        for path in index_dir.iterdir()
        if (path.name.startswith("snap-") and path.name != live) or path.name.endswith(".tmp")
    )


def run_writer_until_killed(index_dir: Path, delay: float) -> list[str]:
    """Start WRITE_LOOP, kill -9 it ``delay`` s after it has loaded; the lines it printed."""
    writer = subprocess.Popen(
        python_command(WRITE_LOOP) + [str(index_dir), str(OPERATIONS)],
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(delay)
        writer.send_signal(signal.SIGKILL)
        printed = writer.stdout.read().split()
    finally:
        writer.kill()
        writer.wait()
    return printed


@pytest.mark.slow
def test_kill_minus_9_during_add_and_remove_never_loses_the_last_commit(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build_index([numbered_article(n) for n in range(3)], index_dir, embedder=EMBEDDER)
    rng = random.Random(SEED)
    killed_mid_write = 0
    for kill in range(KILLS):
        start = assert_answers(index_dir)
        states = [start] + operation_states(start, OPERATIONS)
        printed = run_writer_until_killed(index_dir, rng.uniform(0, KILL_WINDOW_SECONDS))
        done = int(printed[-1]) + 1 if printed else 0  # index into states
        loaded = assert_answers(index_dir)
        allowed = states[done : done + 2]
        assert loaded in allowed, f"kill {kill}: after {done} operations the index holds an unexpected set"
        killed_mid_write += bool(leftovers(index_dir))
    # A rerun completes, and its first save sweeps the half-written snapshots away.
    writer = subprocess.run(
        python_command(WRITE_LOOP) + [str(index_dir), str(OPERATIONS)],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert writer.returncode == 0, writer.stderr
    last = {
        numbered_article(FIRST_WRITER_ARTICLE + step).doc_id for step in range(OPERATIONS - 3, OPERATIONS)
    }
    assert assert_answers(index_dir) == {numbered_article(n).doc_id for n in range(3)} | last
    assert leftovers(index_dir) == []
    assert killed_mid_write > 0, "no kill landed inside a snapshot write; widen KILL_WINDOW_SECONDS"


CLI_KILLS = 3


@pytest.mark.slow
def test_kill_minus_9_during_rag_index_keeps_the_previous_index(tmp_path: Path, seeds_dir: Path) -> None:
    """The real command with the real model: killed at random points, then rerun."""
    from rag.embed import get_embedder

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seed_files = sorted(seeds_dir.glob("*.txt"))
    shutil.copy(seed_files[0], corpus)
    index_dir = tmp_path / "index"
    env = {**subprocess_env(), "RAG_INDEX_DIR": str(index_dir)}
    command = [str(Path(sys.executable).with_name("rag")), "index", str(corpus), "--index", str(index_dir)]
    started = time.monotonic()
    subprocess.run(command, env=env, capture_output=True, timeout=300, check=True)
    full_run_seconds = time.monotonic() - started
    embedder = get_embedder()
    before = {a.doc_id for a in load_index(index_dir, embedder=embedder).articles()}
    for seed_file in seed_files[1:]:
        shutil.copy(seed_file, corpus)
    after = {a.doc_id for a in load_articles([corpus]).articles}
    assert before < after
    rng = random.Random(SEED)
    for _ in range(CLI_KILLS):
        writer = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(rng.uniform(0.2, 1.1) * full_run_seconds)
            os.kill(writer.pid, signal.SIGKILL)
        finally:
            writer.wait()
        index = load_index(index_dir, embedder=embedder)
        assert index.search("Who did Wang Yi meet?", k=1)
        assert {a.doc_id for a in index.articles()} in (before, after)
    subprocess.run(command, env=env, capture_output=True, timeout=300, check=True)
    assert {a.doc_id for a in load_index(index_dir, embedder=embedder).articles()} == after
    assert leftovers(index_dir) == []


def _fail(*args, **kwargs) -> None:
    raise OSError(28, "No space left on device")


FAILURE_POINTS = {
    "arrays (first files)": ("rag.index.core.np.save", _fail),
    "FAISS file (middle)": ("rag.index.dense.DenseIndex.save", _fail),
    "manifest (last file)": ("rag.index.store.write_json", _fail),
    "fsync before the switch": ("rag.index.store._fsync_tree", _fail),
}


@pytest.mark.parametrize("point", sorted(FAILURE_POINTS))
def test_a_failed_write_leaves_the_previous_index_live_and_no_debris(
    tmp_path: Path, monkeypatch, point: str
) -> None:
    """Disk full halfway through a snapshot: the add fails loudly, nothing on disk or in memory changes."""
    index = build_index([numbered_article(n) for n in range(3)], tmp_path, embedder=EMBEDDER)
    before = store.live_snapshot_name(tmp_path)
    original = {numbered_article(n).doc_id for n in range(3)}
    target, replacement = FAILURE_POINTS[point]
    with monkeypatch.context() as patch:
        patch.setattr(target, replacement)
        with pytest.raises(OSError, match="No space left on device"):
            index.add(numbered_article(7))
        with pytest.raises(OSError, match="No space left on device"):
            index.remove(numbered_article(0).doc_id)
    assert store.live_snapshot_name(tmp_path) == before
    assert leftovers(tmp_path) == []
    assert assert_answers(tmp_path) == original
    assert doc_ids(index) == original and len(index) == 3  # rolled back in memory too
    index.add(numbered_article(7))  # and the same object writes fine once the disk has room
    assert assert_answers(tmp_path) == original | {numbered_article(7).doc_id}
