"""What the web chat does on each event, apart from its layout (``rag.ui.app`` wires these up).

Every handler catches its errors and shows a message: no traceback reaches the page.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import gradio as gr

from rag.index import SearchIndex
from rag.ingest.fetch import Fetcher
from rag.ui import library
from rag.ui.chat import (
    DEFAULT_PASSAGES,
    Messages,
    answer_json,
    answer_question,
    filter_summary,
    filters_from,
    history_turn,
    user_message,
)
from rag.ui.format import format_answer, format_error
from rag.ui.library import count_html
from rag.ui.text import escape_text

logger = logging.getLogger(__name__)


class ChatHandlers:
    """The handlers of one app: ``index`` answers and changes, uploads are kept in ``uploads``."""

    def __init__(self, index: SearchIndex, uploads: Path, fetcher: Fetcher | None = None) -> None:
        self.index = index
        self.uploads = uploads
        self.fetcher = fetcher or Fetcher()

    def panel(self, show_teasers: bool) -> tuple[Any, Any, str, Any]:
        articles = self.index.articles()
        return (
            gr.update(value=library.article_rows(articles, show_teasers)),
            gr.update(choices=library.article_choices(articles, show_teasers), value=[]),
            count_html(self.index.articles(), len(self.index)),
            gr.update(choices=library.source_choices(articles)),
        )

    def ask_api(
        self,
        question: str,
        k: int = DEFAULT_PASSAGES,
        sources: list[str] | None = None,
        since: str = "",
        until: str = "",
        kinds: list[str] | None = None,
        doc_ids: list[str] | None = None,
    ) -> str:
        """Answer one question from the articles: the JSON text that ``rag ask --json`` prints.

        Optional filters, as ``rag ask``'s: ``sources``, ``since``/``until`` (YYYY-MM-DD),
        ``kinds`` (article, teaser), ``doc_ids``. Text rather than an object because
        gradio_client treats any dict with a ``path`` string (every citation has one) as a file
        to download.
        """
        try:
            filters = filters_from(sources, since, until, kinds, doc_ids)
            return answer_json(answer_question(self.index, question, k=k, filters=filters))
        except (ValueError, TypeError) as error:
            raise gr.Error(str(error)) from None
        except Exception as error:
            logger.exception("ask failed for %r", question)
            raise gr.Error(f"could not answer: {type(error).__name__}: {error}") from None

    def add_question(self, message: str, messages: Messages) -> tuple[str, Messages, str]:
        message = (message or "").strip()
        if not message:
            return "", messages, ""
        return "", [*messages, user_message(message)], message

    def respond(
        self,
        question: str,
        messages: Messages,
        turns: Messages,
        k: float,
        sources: list[str],
        since: str,
        until: str,
    ) -> tuple[Messages, Messages]:
        if not question:
            return messages, turns
        try:
            filters = filters_from(sources, since, until)
            answer = answer_question(self.index, question, k=int(k), history=turns, filters=filters)
        except (ValueError, TypeError) as error:
            return [*messages, {"role": "assistant", "content": format_error(str(error))}], turns
        except Exception as error:
            logger.exception("answering %r failed", question)
            failure = format_error(f"Something went wrong while answering ({type(error).__name__}: {error}).")
            return [*messages, {"role": "assistant", "content": failure}], turns
        reply = {"role": "assistant", "content": format_answer(answer)}
        return [*messages, reply], [*turns, *history_turn(question, answer)]

    def upload(self, files: list[str] | None, show_teasers: bool, progress: gr.Progress = gr.Progress()):  # noqa: B008
        if not files:
            return (None, "", *self.panel(show_teasers))

        def step(done: int, total: int, name: str) -> None:
            progress((done, total), desc=f"Indexing {name}" if done < total else "Done", unit="files")

        try:
            pairs = [(Path(file), Path(file).name) for file in files]
            summary = library.add_uploads(self.index, pairs, self.uploads, progress=step)
            status = library.summary_html(summary)
        except Exception as error:
            logger.exception("upload failed")
            status = format_error(f"Upload failed ({type(error).__name__}: {error}); the index is unchanged.")
        return (None, status, *self.panel(show_teasers))

    def add_url(self, url: str, show_teasers: bool, progress: gr.Progress = gr.Progress()):  # noqa: B008
        """Fetch and index the page at ``url``; the box keeps the address when it failed."""
        url = (url or "").strip()
        progress(0, desc=f"Fetching {url}" if url else "")
        try:
            outcome = library.add_url(self.index, url, self.fetcher)
            status = library.summary_html(library.UploadSummary([outcome]))
        except Exception as error:
            logger.exception("adding %s failed", url)
            outcome = None
            status = format_error(
                f"Adding {url} failed ({type(error).__name__}: {error}); the index is unchanged."
            )
        kept = "" if outcome is not None and outcome.ok else url
        return (kept, status, *self.panel(show_teasers))

    def refresh(self, shown: int, show_teasers: bool, picked: list[str] | None):
        """The panel again when the index changed since ``shown`` (a watched feed added stories),
        keeping the articles picked for deletion; nothing otherwise."""
        version = self.index.version
        if version == shown:
            return (shown, gr.skip(), gr.skip(), gr.skip(), gr.skip())
        table, _, count, sources = self.panel(show_teasers)
        articles = self.index.articles()
        present = {article.doc_id for article in articles}
        keep = [doc_id for doc_id in picked or [] if doc_id in present]
        choices = library.article_choices(articles, show_teasers)
        return (version, table, gr.update(choices=choices, value=keep), count, sources)

    def delete(self, doc_ids: list[str] | None, show_teasers: bool):
        if not doc_ids:
            return (
                '<ul class="rag-status"><li class="rag-status-info">Pick articles to delete first.</li></ul>',
                *self.panel(show_teasers),
            )
        try:
            removed = library.remove_articles(self.index, doc_ids, self.uploads)
            titles = ", ".join(article.title or "Untitled article" for article in removed)
            status = (
                f'<ul class="rag-status"><li class="rag-status-ok">'
                f"{escape_text(f'Deleted {len(removed)}: {titles}')}</li></ul>"
            )
        except Exception as error:
            logger.exception("delete failed")
            status = format_error(f"Delete failed ({type(error).__name__}: {error}).")
        return (status, *self.panel(show_teasers))

    def new_chat(self) -> tuple[Messages, Messages, str]:
        return [], [], ""

    def show_filters(self, sources: list[str], since: str, until: str) -> str:
        try:
            return filter_summary(filters_from(sources, since, until))
        except ValueError as error:
            return format_error(str(error))
