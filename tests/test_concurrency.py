"""Several writers and readers on one index folder: the file lock serialises writers,
each write starts from the live snapshot (no lost articles), readers never see a torn index."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest
from hardening_helpers import HashingEmbedder, numbered_article, python_command, subprocess_env

from rag.index import IndexLockedError, build_index, load_index, store

EMBEDDER = HashingEmbedder()


def doc_ids(index) -> set[str]:
    return {article.doc_id for article in index.articles()}


def build(index_dir: Path, numbers: range):
    return build_index([numbered_article(n) for n in numbers], index_dir, embedder=EMBEDDER)


def test_two_stale_writers_keep_each_others_articles(tmp_path: Path) -> None:
    build(tmp_path, range(2))
    first, second = load_index(tmp_path, embedder=EMBEDDER), load_index(tmp_path, embedder=EMBEDDER)
    first.add(numbered_article(10))
    second.add(numbered_article(11))  # loaded before the first add: must not drop article 10
    expected = {numbered_article(n).doc_id for n in (0, 1, 10, 11)}
    assert doc_ids(load_index(tmp_path, embedder=EMBEDDER)) == expected
    assert doc_ids(second) == expected
    first.remove(numbered_article(0).doc_id)  # stale too: must not bring back or drop 11
    assert doc_ids(load_index(tmp_path, embedder=EMBEDDER)) == expected - {numbered_article(0).doc_id}


def test_threads_with_their_own_index_objects_all_land(tmp_path: Path) -> None:
    build(tmp_path, range(1))
    indexes = [load_index(tmp_path, embedder=EMBEDDER) for _ in range(4)]
    errors: list[BaseException] = []

    def add(position: int) -> None:
        try:
            indexes[position].add(numbered_article(20 + position))
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=add, args=(position,)) for position in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    final = load_index(tmp_path, embedder=EMBEDDER)
    assert doc_ids(final) == {numbered_article(n).doc_id for n in (0, 20, 21, 22, 23)}
    assert len(final.search("town 22 library", k=1)) == 1


ADD_AFTER_BARRIER = """
import sys, time
from pathlib import Path
from hardening_helpers import HashingEmbedder, numbered_article
from rag.index import load_index
index_dir, number, barrier = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
index = load_index(index_dir, embedder=HashingEmbedder())
print("loaded", flush=True)
while not barrier.exists():
    time.sleep(0.01)
index.add(numbered_article(number))
print("added", flush=True)
"""


def test_two_processes_adding_at_once_keep_both(tmp_path: Path) -> None:
    index_dir, barrier = tmp_path / "index", tmp_path / "go"
    build(index_dir, range(2))
    writers = [
        subprocess.Popen(
            python_command(ADD_AFTER_BARRIER) + [str(index_dir), str(number), str(barrier)],
            env=subprocess_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for number in (30, 31)
    ]
    try:
        for writer in writers:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "loaded"
        barrier.touch()  # both loaded the same snapshot; now both write
        results = [writer.communicate(timeout=60) for writer in writers]
    finally:
        for writer in writers:
            writer.kill()
    assert [writer.returncode for writer in writers] == [0, 0], results
    final = load_index(index_dir, embedder=EMBEDDER)
    assert doc_ids(final) == {numbered_article(n).doc_id for n in (0, 1, 30, 31)}
    assert len(list(index_dir.glob("snap-*"))) == 1


HOLD_LOCK = """
import sys, time
from pathlib import Path
from rag.index import store
with store.writer_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_lock(index_dir: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        python_command(HOLD_LOCK) + [str(index_dir), str(seconds)],
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_second_writer_fails_clearly_when_the_lock_is_held(tmp_path: Path, monkeypatch) -> None:
    build(tmp_path, range(2))
    before = store.live_snapshot_name(tmp_path)
    index = load_index(tmp_path, embedder=EMBEDDER)
    monkeypatch.setattr(store, "LOCK_TIMEOUT_SECONDS", 0.5)
    holder = hold_lock(tmp_path, 30)
    try:
        with pytest.raises(IndexLockedError, match=r"being written by another process; waited 0.5 s"):
            index.add(numbered_article(40))
        with pytest.raises(IndexLockedError, match="being written by another process"):
            index.remove(numbered_article(0).doc_id)
    finally:
        holder.kill()
        holder.wait()
    assert store.live_snapshot_name(tmp_path) == before
    assert doc_ids(load_index(tmp_path, embedder=EMBEDDER)) == {numbered_article(n).doc_id for n in range(2)}
    index.add(numbered_article(40))  # the killed holder's lock died with it
    assert numbered_article(40).doc_id in doc_ids(load_index(tmp_path, embedder=EMBEDDER))


def test_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    build(tmp_path, range(1))
    index = load_index(tmp_path, embedder=EMBEDDER)
    holder = hold_lock(tmp_path, 1.0)
    try:
        started = time.monotonic()
        index.add(numbered_article(50))
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert waited > 0.5  # it queued behind the holder instead of writing beside it
    assert doc_ids(load_index(tmp_path, embedder=EMBEDDER)) == {numbered_article(n).doc_id for n in (0, 50)}


CHURN = """
import sys
from pathlib import Path
from hardening_helpers import HashingEmbedder, numbered_article
from rag.index import load_index
index = load_index(Path(sys.argv[1]), embedder=HashingEmbedder())
for round_ in range(int(sys.argv[2])):
    article = numbered_article(100 + round_ % 3)
    index.add(article)
    index.remove(article.doc_id)
print("done", flush=True)
"""


@pytest.mark.slow
def test_readers_never_see_a_torn_index_while_a_writer_churns(tmp_path: Path) -> None:
    build(tmp_path, range(3))
    base = {numbered_article(n).doc_id for n in range(3)}
    allowed = [base] + [base | {numbered_article(100 + k).doc_id} for k in range(3)]
    writer = subprocess.Popen(
        python_command(CHURN) + [str(tmp_path), "40"], env=subprocess_env(), stdout=subprocess.PIPE, text=True
    )
    loads = 0
    try:
        while writer.poll() is None and loads < 300:
            index = load_index(tmp_path, embedder=EMBEDDER)
            assert doc_ids(index) in allowed
            assert index.search("town 1 orchard", k=1)[0].doc_id == numbered_article(1).doc_id
            loads += 1
        assert writer.wait(timeout=120) == 0
    finally:
        writer.kill()
    assert loads > 0
    assert doc_ids(load_index(tmp_path, embedder=EMBEDDER)) == base


def test_lock_is_reentrant_within_a_thread_and_exclusive_across_threads(tmp_path: Path) -> None:
    outcome: list[str] = []

    def other_thread() -> None:
        try:
            with store.writer_lock(tmp_path, timeout=0.2):
                outcome.append("acquired")
        except IndexLockedError:
            outcome.append("locked out")

    with store.writer_lock(tmp_path, timeout=1):
        with store.writer_lock(tmp_path, timeout=1):
            thread = threading.Thread(target=other_thread)
            thread.start()
            thread.join()
    assert outcome == ["locked out"]
    with store.writer_lock(tmp_path, timeout=1):
        pass  # released fully after the nested exit


ASKERS = 3
ASKS_EACH = 30
WRITE_CYCLES = 30


@pytest.mark.slow
def test_questions_while_another_thread_adds_and_removes_never_fail(tmp_path: Path) -> None:
    """One user uploads and deletes while others ask (the web app runs both at once)."""
    import rag

    index = build(tmp_path, range(4))
    failures: list[str] = []
    answered: list[rag.Answer] = []

    def ask_many(position: int) -> None:
        for turn in range(ASKS_EACH):
            try:
                answered.append(rag.ask(f"What reopened in town {(position + turn) % 4}?", index=index))
            except Exception as error:  # collected: any exception fails the test
                failures.append(f"{type(error).__name__}: {error}")

    def churn() -> None:
        for cycle in range(WRITE_CYCLES):
            article = numbered_article(60 + cycle % 3)
            index.add(article)
            index.remove(article.doc_id)

    threads = [threading.Thread(target=ask_many, args=(position,)) for position in range(ASKERS)]
    threads.append(threading.Thread(target=churn))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert failures == []
    assert len(answered) == ASKERS * ASKS_EACH
    assert doc_ids(load_index(tmp_path, embedder=EMBEDDER)) == {numbered_article(n).doc_id for n in range(4)}


# -- many chat users at once against the served app ------------------------------------------

USERS = 20
USER_TIMEOUT_SECONDS = 300  # for all of them together
USER_K = 5
USER_QUESTIONS = [
    "Who did Wang Yi meet in Pyongyang?",
    "When is China's National Day?",
    "What did North Korea and China agree on?",
    "Who is the foreign minister of North Korea?",
    "What did Kim Jong-un pledge?",
    "Where did the foreign ministers meet?",
    "What anniversary do China and North Korea celebrate?",
    "Which treaty does the US-Thai alliance rest on?",
    "What is the Korea-ASEAN relationship facing?",
    "What happened in Ayodhya?",
    "Why did Wang Yi visit North Korea?",
    "What does China want from North Korea?",
    "Who is Ri Yong-ho?",
    "When did Wang Yi arrive?",
    "What talks are deadlocked?",
    "",
    "   ",
    "🙂🙂🙂",
    "<script>alert('x')</script>",
    "王毅在平壤见了谁？",
]


@pytest.mark.e2e
@pytest.mark.slow
def test_twenty_concurrent_chat_users_each_get_their_own_answer(tmp_path: Path) -> None:
    import json
    from concurrent.futures import ThreadPoolExecutor, wait

    from gradio_client import Client
    from ui_server import running_app

    import rag

    assert len(USER_QUESTIONS) == USERS
    with running_app(tmp_path) as (url, index_dir):

        def one_user(question: str) -> dict:
            return json.loads(Client(url, verbose=False).predict(question, USER_K, api_name="/ask"))

        with ThreadPoolExecutor(max_workers=USERS) as pool:
            futures = [pool.submit(one_user, question) for question in USER_QUESTIONS]
            done, not_done = wait(futures, timeout=USER_TIMEOUT_SECONDS)
            assert not not_done, f"{len(not_done)} of {USERS} users got no reply in {USER_TIMEOUT_SECONDS} s"
        replies = [future.result() for future in futures]
        index = rag.load_index(index_dir)
    for question, reply in zip(USER_QUESTIONS, replies, strict=True):
        assert reply["question"] == question
        assert (
            reply == rag.ask(question, index=index, k=USER_K).to_dict()
        )  # the reply to this question, not another's
    assert sum(reply["found"] for reply in replies) > 0
