"""Question answering: question in, verbatim answer with citations out.

``answerer`` holds the pipeline (``QA``, ``ask``); the other modules are its steps:
``questions`` (checks, type), ``followup`` (chat history), ``sentences`` (candidates),
``features`` + ``model`` (sentence ranking), ``calibration`` (confidence), ``spans``
(answer span), ``citations``, and ``reader`` (the plug for a trained span reader).
"""

from rag.qa.answerer import QA, ask, default_index
from rag.qa.reader import Reader, ReaderSpan

__all__ = ["QA", "Reader", "ReaderSpan", "ask", "default_index"]
