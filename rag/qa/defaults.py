"""What ``rag.ask`` and ``rag.QA`` use when not told otherwise, each loaded once per process:
the default index (built from ``seeds/`` when missing) and the shipped span reader."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Literal

from rag.config import default_index_dir, seeds_dir
from rag.index import IndexNotFoundError, SearchIndex, build_index, load_index
from rag.qa.reader import Reader
from rag.qa.rerank import SPANS_PER_WINDOW

log = logging.getLogger(__name__)

#: ``QA(reader=SHIPPED_READER)`` (the default): the span reader shipped in ``rag/reader/model``,
#: or none (sentence-level answers, with a warning) when its files are missing.
SHIPPED_READER: Literal["shipped"] = "shipped"
#: Set to ``0``/``off`` to answer without the shipped reader by default (faster, shorter-lived).
READER_ENV = "RAG_READER"

_defaults: dict[Path, SearchIndex] = {}
_default_lock = threading.Lock()
_shipped_reader: Reader | None = None
_reader_problem: str | None = None
_reader_lock = threading.Lock()


def default_index(index_dir: str | Path | None = None) -> SearchIndex:
    """The index at ``index_dir`` (default: ``rag.config.default_index_dir()``), loaded once
    per process; built from ``seeds/`` when there is none yet."""
    path = Path(index_dir) if index_dir else default_index_dir()
    with _default_lock:
        if path not in _defaults:
            try:
                _defaults[path] = load_index(path)
            except IndexNotFoundError:
                seeds = seeds_dir()  # none (a trimmed install): an empty index to add to
                _defaults[path] = build_index([seeds] if seeds.exists() else [], path)
        return _defaults[path]


def shipped_reader() -> Reader | None:
    """The trained span reader shipped with the package, loaded once per process; ``None`` when
    ``RAG_READER`` is ``0``/``off``/``false`` or its files cannot be loaded (logged once)."""
    global _shipped_reader, _reader_problem
    if os.environ.get(READER_ENV, "").strip().lower() in ("0", "off", "false", "no"):
        return None
    with _reader_lock:
        if _shipped_reader is None and _reader_problem is None:
            from rag.reader import HitReader, ReaderModelMissingError, get_reader

            try:
                get_reader().warm_up()
                _shipped_reader = HitReader(spans_per_hit=SPANS_PER_WINDOW)
            except (ReaderModelMissingError, RuntimeError, OSError) as error:
                _reader_problem = str(error)
                log.warning("answering without the span reader: %s", error)
        return _shipped_reader
