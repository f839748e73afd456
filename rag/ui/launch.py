"""Serve the web chat: theme, CSS and server limits applied at launch (Gradio 6 wants them there)."""

from __future__ import annotations

import gradio as gr

from rag.ui import library
from rag.ui.style import CSS, MONO_FONTS, SYSTEM_FONTS

MAX_FILE_SIZE = f"{library.MAX_UPLOAD_BYTES // (1024 * 1024)}mb"


def theme() -> gr.themes.Base:
    return gr.themes.Default(
        primary_hue="indigo", neutral_hue="slate", font=list(SYSTEM_FONTS), font_mono=list(MONO_FONTS)
    )


def launch(
    app: gr.Blocks,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    block: bool = True,
    quiet: bool = False,
) -> str:
    """Serve ``app`` on ``host:port`` (loopback by default) and return its local URL.

    With ``block=False`` it returns once the server is up (for tests); call ``app.close()``.
    """
    _, url, _ = app.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        share=False,
        prevent_thread_lock=not block,
        quiet=quiet,
        show_error=False,
        footer_links=["api"],
        max_file_size=MAX_FILE_SIZE,
        theme=theme(),
        css=CSS,
        ssr_mode=False,
    )
    return url
