"""Question answering: question in, verbatim answer with citations out.

``answerer`` holds the pipeline (``QA``; ``shared`` has ``ask``); the other modules are its steps:
``questions`` (checks, type), ``followup`` (chat history), ``sentences`` (candidates),
``features`` + ``model`` (sentence ranking), ``calibration`` (confidence), ``spans``
(answer span), ``citations``, and ``reader`` (the plug for a trained span reader).
"""

from rag.qa.answerer import QA, default_index
from rag.qa.reader import Reader, ReaderSpan
from rag.qa.shared import ask

__all__ = ["QA", "Reader", "ReaderSpan", "ask", "default_index"]
