"""Question answering: question in, verbatim answer with citations out."""

from rag.qa.answerer import QA, ask, default_index

__all__ = ["QA", "ask", "default_index"]
