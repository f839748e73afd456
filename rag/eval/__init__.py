"""Evaluation on SQuAD-format files (paragraph = article)."""
