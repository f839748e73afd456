"""The ``--shared-norm`` loss: span scores made comparable across the windows of one question."""

from __future__ import annotations


def shared_span_loss(start_logits, end_logits, starts, ends, context_mask, groups):  # type: ignore[no-untyped-def]
    """Shared-normalization loss (Clark & Gardner, 2018): for every group with an answer, one
    softmax over the context tokens of all its windows, maximizing the gold starts' (and ends')
    total probability, so span scores become comparable across the windows of one question.
    Returns ``None`` when no group in the batch has an answer."""
    import torch

    losses = []
    for group in torch.unique(groups):
        rows = groups == group
        gold_rows = rows & (starts > 0)
        if not bool(gold_rows.any()):
            continue
        for logits, targets in ((start_logits, starts), (end_logits, ends)):
            scores = logits[rows].masked_fill(~context_mask[rows], float("-inf"))
            gold = torch.zeros_like(context_mask[rows])
            positive = torch.nonzero(targets[rows] > 0).flatten()
            gold[positive, targets[rows][positive]] = True
            losses.append(torch.logsumexp(scores.flatten(), 0) - torch.logsumexp(scores[gold], 0))
    return torch.stack(losses).mean() if losses else None
