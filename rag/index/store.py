"""Index folders on disk: versioned snapshots switched atomically, plus a writer lock.

Layout::

    index_dir/
      CURRENT            name of the live snapshot folder (replaced atomically)
      .lock              held by the one process writing
      snap-<id>/         manifest.json, articles.jsonl, chunks.json + chunk_spans.npy +
                         sentence_counts.npy + sentence_spans.npy (see ``chunkfile``),
                         ids.npy, embeddings.npy, dense.faiss, bm25/, bm25_sentences/

A snapshot is written completely, flushed, and only then named in ``CURRENT``;
a crash at any moment leaves the previous snapshot live and loadable.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FORMAT_VERSION = 2  # 2: sentence vectors (sentence_embeddings.npy); chunk vectors are their means
POINTER = "CURRENT"
LOCK_TIMEOUT_SECONDS = 60.0


class IndexError_(RuntimeError):
    """Base class for index problems; messages say what to run."""


class IndexNotFoundError(IndexError_, FileNotFoundError):
    """No index at the given folder."""


class IndexCorruptError(IndexError_):
    """Files are missing, truncated or unreadable."""


class IndexMismatchError(IndexError_):
    """Built with another model, format or settings than the ones asked for."""


class IndexLockedError(IndexError_):
    """Another process is writing this index."""


def rebuild_hint(index_dir: Path) -> str:
    return f"run `rag index --rebuild --index {index_dir}` (or `rag index PATH... --index {index_dir}`)"


def snapshot_path(index_dir: Path) -> Path:
    """The live snapshot folder; raises IndexNotFoundError when there is none."""
    pointer = index_dir / POINTER
    if not pointer.is_file():
        if any((folder / "manifest.json").is_file() for folder in index_dir.glob("snap-*")):
            # Written snapshots without a pointer: damage, not a fresh folder to build over.
            raise IndexCorruptError(
                f"index at {index_dir} has snapshots but no {POINTER} file; {rebuild_hint(index_dir)}"
            )
        raise IndexNotFoundError(
            f"no index at {index_dir} (missing {POINTER}); build one with `rag index PATH... --index {index_dir}`"
        )
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise IndexCorruptError(
            f"index at {index_dir}: unreadable {POINTER} ({error}); {rebuild_hint(index_dir)}"
        ) from error
    folder = index_dir / name
    if not name or "/" in name or "\\" in name or not name.startswith("snap-") or not folder.is_dir():
        raise IndexCorruptError(
            f"index at {index_dir} points to a missing snapshot {name!r}; {rebuild_hint(index_dir)}"
        )
    return folder


def live_snapshot_name(index_dir: Path) -> str | None:
    """Name in ``CURRENT`` right now, or None when there is no readable pointer."""
    try:
        return (index_dir / POINTER).read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_snapshot(index_dir: Path, write: Callable[[Path], None]) -> Path:
    """Write a new snapshot with ``write(folder)`` and make it live atomically."""
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"snap-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    folder = index_dir / name
    folder.mkdir()
    try:
        write(folder)
        _fsync_tree(folder)
        pointer_tmp = index_dir / f"{POINTER}.{uuid.uuid4().hex[:8]}.tmp"
        pointer_tmp.write_text(name + "\n", encoding="utf-8")
        with open(pointer_tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(pointer_tmp, index_dir / POINTER)
        _fsync_dir(index_dir)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _remove_stale(index_dir, keep=name)
    return folder


def _remove_stale(index_dir: Path, keep: str) -> None:
    for path in index_dir.iterdir():
        if path.name == keep:
            continue
        if path.is_dir() and path.name.startswith("snap-"):
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(f"{POINTER}.") and path.name.endswith(".tmp"):
            path.unlink(missing_ok=True)


@contextmanager
def writer_lock(index_dir: Path, timeout: float | None = None):  # type: ignore[no-untyped-def]
    """Hold the index's file lock while writing; a second writer waits ``timeout`` s
    (default ``LOCK_TIMEOUT_SECONDS``), then fails with IndexLockedError.

    Re-entrant within one thread (``Index.add`` holds it and ``save`` takes it again);
    other threads and processes wait.
    """
    from filelock import FileLock, Timeout

    index_dir.mkdir(parents=True, exist_ok=True)
    # One lock object per file in this process (keyed by the resolved path), each thread
    # with its own descriptor: nested use in a thread counts up instead of deadlocking.
    lock = FileLock(str((index_dir / ".lock").resolve()), is_singleton=True)
    if timeout is None:
        timeout = LOCK_TIMEOUT_SECONDS
    try:
        lock.acquire(timeout=timeout)
    except Timeout as error:
        raise IndexLockedError(
            f"index at {index_dir} is being written by another process; waited {timeout:g} s"
        ) from error
    try:
        yield
    finally:
        lock.release()


def _dumps(data: Any, indent: int | None = None) -> str:
    """JSON with non-ASCII text kept readable; lone surrogates (a file name that is not
    UTF-8 decodes to them) are written as ``\\udcXX`` escapes, which read back exactly."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, ensure_ascii=True, indent=indent)
    return text


def write_json(path: Path, data: Any) -> None:
    path.write_text(_dumps(data, indent=2) + "\n", encoding="utf-8")


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``path`` so a reader sees the old file or the new one, never half of one."""
    temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write_json(temporary, data)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(_dumps(row) + "\n")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
