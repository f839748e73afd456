"""The Gradio web chat: ``build_app(index)`` returns the ``gr.Blocks`` (``rag.ui.launch`` serves it).

Layout: the chat on the left (answers with highlighted quotes and expandable citations),
a side panel on the right (articles with delete, upload, settings). Programs use the
``/ask`` endpoint, which returns the same JSON as ``rag ask --json``::

    from gradio_client import Client
    reply = Client("http://127.0.0.1:7860").predict("When is China's National Day?", api_name="/ask")
    answer = json.loads(reply)  # {"question": ..., "found": ..., "text": ..., "citations": [...]}

Every handler catches its errors and shows a message: no traceback reaches the page.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from rag.index import Index
from rag.ui import library
from rag.ui.chat import (
    DEFAULT_PASSAGES,
    Messages,
    answer_json,
    answer_question,
    history_turn,
    user_message,
)
from rag.ui.format import escape_text, format_answer, format_error
from rag.ui.library import count_html
from rag.ui.style import header_html

logger = logging.getLogger(__name__)

TITLE = "News Q&A"
EXAMPLE_QUESTIONS = (
    "Who did Wang Yi meet in Pyongyang?",
    "What did the US accuse China of in May?",
    "When is China's National Day?",
)
MAX_PASSAGES = 20
# Answering is CPU-bound (one embedding per question); more parallel runs than cores only
# make each one slower. Index writes are serialised by the index's lock anyway; one at a
# time in the queue keeps the progress bars honest.
ANSWER_CONCURRENCY = 2
WRITE_CONCURRENCY = 1
QUEUE_MAX_SIZE = 64
UPLOAD_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".jsonl"]


def build_app(index: Index, uploads_dir: str | Path | None = None, k: int = DEFAULT_PASSAGES) -> gr.Blocks:
    """The web chat over ``index``.

    Args:
        index: the index to answer from; uploads and deletes change it (and its folder).
        uploads_dir: where uploaded files are kept; default ``<index folder>/uploads``
            (a temporary folder for an in-memory index).
        k: passages retrieved per question, until changed in the settings.

    Returns:
        The ``gr.Blocks``; serve it with :func:`rag.ui.launch.launch` (theme, CSS, limits).
    """
    if not 1 <= k <= MAX_PASSAGES:
        raise ValueError(f"k must be between 1 and {MAX_PASSAGES}, got {k}")
    if uploads_dir is None:
        uploads_dir = (
            index.index_dir / library.UPLOADS_FOLDER
            if index.index_dir is not None
            else Path(tempfile.mkdtemp(prefix="rag-uploads-"))
        )
    uploads = Path(uploads_dir).resolve()

    def panel(show_teasers: bool) -> tuple[Any, Any, str]:
        articles = index.articles()
        return (
            gr.update(value=library.article_rows(articles, show_teasers)),
            gr.update(choices=library.article_choices(articles, show_teasers), value=[]),
            count_html(index.articles(), len(index)),
        )

    def ask_api(question: str, k: int = DEFAULT_PASSAGES) -> str:
        """Answer one question from the articles: the JSON text that ``rag ask --json`` prints.

        Text rather than an object because gradio_client treats any dict with a ``path`` string
        (every citation has one) as a file to download.
        """
        try:
            return answer_json(answer_question(index, question, k=k))
        except (ValueError, TypeError) as error:
            raise gr.Error(str(error)) from None
        except Exception as error:
            logger.exception("ask failed for %r", question)
            raise gr.Error(f"could not answer: {type(error).__name__}: {error}") from None

    def add_question(message: str, messages: Messages) -> tuple[str, Messages, str]:
        message = (message or "").strip()
        if not message:
            return "", messages, ""
        return "", [*messages, user_message(message)], message

    def respond(question: str, messages: Messages, turns: Messages, k: float) -> tuple[Messages, Messages]:
        if not question:
            return messages, turns
        try:
            answer = answer_question(index, question, k=int(k), history=turns)
        except (ValueError, TypeError) as error:
            return [*messages, {"role": "assistant", "content": format_error(str(error))}], turns
        except Exception as error:
            logger.exception("answering %r failed", question)
            failure = format_error(f"Something went wrong while answering ({type(error).__name__}: {error}).")
            return [*messages, {"role": "assistant", "content": failure}], turns
        reply = {"role": "assistant", "content": format_answer(answer)}
        return [*messages, reply], [*turns, *history_turn(question, answer)]

    def upload(files: list[str] | None, show_teasers: bool, progress: gr.Progress = gr.Progress()):  # noqa: B008
        if not files:
            return (None, "", *panel(show_teasers))

        def step(done: int, total: int, name: str) -> None:
            progress((done, total), desc=f"Indexing {name}" if done < total else "Done", unit="files")

        try:
            pairs = [(Path(file), Path(file).name) for file in files]
            summary = library.add_uploads(index, pairs, uploads, progress=step)
            status = library.summary_html(summary)
        except Exception as error:
            logger.exception("upload failed")
            status = format_error(f"Upload failed ({type(error).__name__}: {error}); the index is unchanged.")
        return (None, status, *panel(show_teasers))

    def delete(doc_ids: list[str] | None, show_teasers: bool):
        if not doc_ids:
            return (
                '<ul class="rag-status"><li class="rag-status-info">Pick articles to delete first.</li></ul>',
                *panel(show_teasers),
            )
        try:
            removed = library.remove_articles(index, doc_ids, uploads)
            titles = ", ".join(article.title or "Untitled article" for article in removed)
            status = (
                f'<ul class="rag-status"><li class="rag-status-ok">'
                f"{escape_text(f'Deleted {len(removed)}: {titles}')}</li></ul>"
            )
        except Exception as error:
            logger.exception("delete failed")
            status = format_error(f"Delete failed ({type(error).__name__}: {error}).")
        return (status, *panel(show_teasers))

    def new_chat() -> tuple[Messages, Messages, str]:
        return [], [], ""

    with gr.Blocks(title=TITLE, fill_height=True) as app:
        turns = gr.State([])
        pending = gr.State("")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                gr.HTML(header_html(TITLE))
                chatbot = gr.Chatbot(
                    elem_id="rag-chat",
                    show_label=False,
                    height="calc(100vh - 260px)",
                    min_height=420,
                    layout="bubble",
                    latex_delimiters=[],
                    feedback_options=None,
                    buttons=["copy"],
                    placeholder=(
                        "<strong>Ask anything about the indexed articles.</strong><br>"
                        "Answers are quoted from the text, with their sources."
                    ),
                    examples=[{"text": question} for question in EXAMPLE_QUESTIONS],
                )
                with gr.Row(equal_height=True):
                    question_box = gr.Textbox(
                        elem_id="rag-question",
                        show_label=False,
                        placeholder="Ask a question about the articles…",
                        scale=8,
                        lines=1,
                        max_lines=4,
                        autofocus=True,
                        submit_btn=False,
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="rag-send")
                    clear = gr.Button(
                        "New chat", variant="secondary", scale=1, min_width=110, elem_id="rag-new"
                    )
            with gr.Column(scale=2, min_width=320, elem_id="rag-side"):
                with gr.Tab("Articles"):
                    count = gr.HTML(count_html(index.articles(), len(index)))
                    table = gr.Dataframe(
                        headers=["Title", "Source", "Date", "Kind"],
                        value=library.article_rows(index.articles()),
                        datatype="str",
                        interactive=False,
                        wrap=True,
                        max_height=320,
                        column_widths=["46%", "22%", "17%", "15%"],
                        show_label=False,
                        elem_id="rag-articles",
                    )
                    with gr.Group(elem_id="rag-delete"):
                        picked = gr.Dropdown(
                            choices=library.article_choices(index.articles()),
                            multiselect=True,
                            label="Delete articles",
                            info="Pick one or more, then press Delete.",
                            elem_id="rag-delete-pick",
                        )
                        remove = gr.Button(
                            "Delete selected", variant="stop", size="sm", elem_id="rag-delete-button"
                        )
                    files = gr.File(
                        label="Add articles (.txt, .md, .html, .jsonl)",
                        file_count="multiple",
                        file_types=UPLOAD_TYPES,
                        type="filepath",
                        elem_id="rag-upload",
                    )
                    status = gr.HTML(elem_id="rag-status")
                with gr.Tab("Settings"):
                    passages = gr.Slider(
                        1,
                        MAX_PASSAGES,
                        value=k,
                        step=1,
                        label="Passages to search per question",
                        info="More passages find more candidates but take a little longer.",
                    )
                    show_teasers = gr.Checkbox(
                        value=True,
                        label="Show teaser documents",
                        info="Short teasers of other stories, split off the end of scraped pages.",
                    )

        panel_outputs = [table, picked, count]
        answer_options = {"concurrency_id": "answer", "concurrency_limit": ANSWER_CONCURRENCY}
        for trigger in (question_box.submit, send.click):
            trigger(
                add_question,
                [question_box, chatbot],
                [question_box, chatbot, pending],
                queue=False,
                api_visibility="private",
            ).then(
                respond,
                [pending, chatbot, turns, passages],
                [chatbot, turns],
                api_visibility="private",
                **answer_options,
            )
        chatbot.example_select(
            _example_message, [chatbot], [chatbot, pending], queue=False, api_visibility="private"
        ).then(
            respond,
            [pending, chatbot, turns, passages],
            [chatbot, turns],
            api_visibility="private",
            **answer_options,
        )
        clear.click(new_chat, None, [chatbot, turns, pending], queue=False, api_visibility="private")
        chatbot.clear(new_chat, None, [chatbot, turns, pending], queue=False, api_visibility="private")
        files.upload(
            upload,
            [files, show_teasers],
            [files, status, *panel_outputs],
            api_visibility="private",
            concurrency_id="index-write",
            concurrency_limit=WRITE_CONCURRENCY,
            show_progress="full",
        )
        remove.click(
            delete,
            [picked, show_teasers],
            [status, *panel_outputs],
            api_visibility="private",
            concurrency_id="index-write",
            concurrency_limit=WRITE_CONCURRENCY,
        )
        show_teasers.change(panel, [show_teasers], panel_outputs, queue=False, api_visibility="private")
        app.load(panel, [show_teasers], panel_outputs, queue=False, api_visibility="private")
        gr.api(ask_api, api_name="ask", **answer_options)
    app.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=ANSWER_CONCURRENCY)
    return app


def _example_message(messages: Messages, event: gr.SelectData) -> tuple[Messages, str]:
    value = event.value
    question = value.get("text", "") if isinstance(value, dict) else str(value)
    return [*messages, user_message(question)], question
