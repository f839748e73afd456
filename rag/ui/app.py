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

import gradio as gr

from rag.index import SearchIndex
from rag.ui import library
from rag.ui.chat import (
    DEFAULT_PASSAGES,
    Messages,
    filter_summary,
    user_message,
)
from rag.ui.handlers import ChatHandlers
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
UPLOAD_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".jsonl", ".pdf"]
LIVE_REFRESH_SECONDS = 5.0  # how often a page checks for stories a watched feed added


def build_app(
    index: SearchIndex,
    uploads_dir: str | Path | None = None,
    k: int = DEFAULT_PASSAGES,
    live: bool = False,
) -> gr.Blocks:
    """The web chat over ``index``.

    Args:
        index: the index to answer from; uploads and deletes change it (and its folder).
        uploads_dir: where uploaded files are kept; default ``<index folder>/uploads``
            (a temporary folder for an in-memory index).
        k: passages retrieved per question, until changed in the settings.
        live: something else adds articles while it serves (``rag serve --feed``): each page
            checks every ``LIVE_REFRESH_SECONDS`` and updates its article list.

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

    handlers = ChatHandlers(index, uploads)

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
                with gr.Accordion("Filter articles", open=False, elem_id="rag-filters"):
                    with gr.Row(equal_height=True):
                        source_pick = gr.Dropdown(
                            choices=library.source_choices(index.articles()),
                            multiselect=True,
                            label="Sources",
                            scale=2,
                            elem_id="rag-filter-sources",
                        )
                        since_box = gr.Textbox(
                            label="Published from",
                            placeholder="YYYY-MM-DD",
                            scale=1,
                            elem_id="rag-filter-since",
                        )
                        until_box = gr.Textbox(
                            label="Published to",
                            placeholder="YYYY-MM-DD",
                            scale=1,
                            elem_id="rag-filter-until",
                        )
                filter_line = gr.HTML(filter_summary(None), elem_id="rag-filter-line")
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
                    url_box = gr.Textbox(
                        label="Add by URL",
                        placeholder="https://… (a news page or PDF)",
                        lines=1,
                        max_lines=1,
                        submit_btn="Add",
                        elem_id="rag-url-box",
                    )
                    files = gr.File(
                        label="Add articles (.txt, .md, .html, .jsonl, .pdf)",
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

        panel_outputs = [table, picked, count, source_pick]
        filter_inputs = [source_pick, since_box, until_box]
        answer_options = {"concurrency_id": "answer", "concurrency_limit": ANSWER_CONCURRENCY}
        for trigger in (question_box.submit, send.click):
            trigger(
                handlers.add_question,
                [question_box, chatbot],
                [question_box, chatbot, pending],
                queue=False,
                api_visibility="private",
            ).then(
                handlers.respond,
                [pending, chatbot, turns, passages, *filter_inputs],
                [chatbot, turns],
                api_visibility="private",
                **answer_options,
            )
        chatbot.example_select(
            _example_message, [chatbot], [chatbot, pending], queue=False, api_visibility="private"
        ).then(
            handlers.respond,
            [pending, chatbot, turns, passages, *filter_inputs],
            [chatbot, turns],
            api_visibility="private",
            **answer_options,
        )
        clear.click(handlers.new_chat, None, [chatbot, turns, pending], queue=False, api_visibility="private")
        chatbot.clear(
            handlers.new_chat, None, [chatbot, turns, pending], queue=False, api_visibility="private"
        )
        files.upload(
            handlers.upload,
            [files, show_teasers],
            [files, status, *panel_outputs],
            api_visibility="private",
            concurrency_id="index-write",
            concurrency_limit=WRITE_CONCURRENCY,
            show_progress="full",
        )
        url_box.submit(
            handlers.add_url,
            [url_box, show_teasers],
            [url_box, status, *panel_outputs],
            api_visibility="private",
            concurrency_id="index-write",
            concurrency_limit=WRITE_CONCURRENCY,
            show_progress="full",
        )
        if live:
            shown_version = gr.State(-1)
            gr.Timer(LIVE_REFRESH_SECONDS).tick(
                handlers.refresh,
                [shown_version, show_teasers, picked],
                [shown_version, *panel_outputs],
                queue=False,
                show_progress="hidden",
                api_visibility="private",
            )
        remove.click(
            handlers.delete,
            [picked, show_teasers],
            [status, *panel_outputs],
            api_visibility="private",
            concurrency_id="index-write",
            concurrency_limit=WRITE_CONCURRENCY,
        )
        show_teasers.change(
            handlers.panel, [show_teasers], panel_outputs, queue=False, api_visibility="private"
        )
        gr.on(
            [source_pick.change, since_box.change, until_box.change],
            handlers.show_filters,
            filter_inputs,
            [filter_line],
            queue=False,
            api_visibility="private",
        )
        app.load(handlers.panel, [show_teasers], panel_outputs, queue=False, api_visibility="private")
        gr.api(handlers.ask_api, api_name="ask", **answer_options)
    app.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=ANSWER_CONCURRENCY)
    return app


def _example_message(messages: Messages, event: gr.SelectData) -> tuple[Messages, str]:
    value = event.value
    question = value.get("text", "") if isinstance(value, dict) else str(value)
    return [*messages, user_message(question)], question
