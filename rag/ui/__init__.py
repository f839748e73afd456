"""The web chat. Only this package imports gradio; ``rag.ui.format`` and ``rag.ui.library``
do not, so they load (and test) without it."""
