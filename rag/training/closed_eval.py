"""Closed-setting check during training: EM/F1 of the model being trained, gold paragraph given."""

from __future__ import annotations

from collections.abc import Sequence

from rag.reader.decode import best_span
from rag.reader.features import WindowSettings, make_windows
from rag.reader.squad import exact_match, f1_score
from rag.training.squad import SquadExample


def closed_eval(
    model,
    tokenizer,
    examples: Sequence[SquadExample],
    window: WindowSettings,
    max_answer_tokens: int,
    batch_size: int = 32,
) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Closed-setting EM/F1 (gold paragraph given) of ``model`` on ``examples``."""
    import torch

    windows = make_windows(tokenizer, [e.question for e in examples], [e.context for e in examples], window)
    best: dict[int, tuple[float, str]] = {}
    device = next(model.parameters()).device
    model.eval()
    with torch.inference_mode():
        for begin in range(0, len(windows), batch_size):
            rows = slice(begin, begin + batch_size)
            length = int(windows.attention_mask[rows].sum(axis=1).max())
            output = model(
                input_ids=torch.from_numpy(windows.input_ids[rows, :length]).to(device),
                attention_mask=torch.from_numpy(windows.attention_mask[rows, :length]).to(device),
                token_type_ids=torch.from_numpy(windows.token_type_ids[rows, :length]).to(device),
            )
            start_logits = output.start_logits.float().cpu().numpy()
            end_logits = output.end_logits.float().cpu().numpy()
            for offset in range(start_logits.shape[0]):
                row = begin + offset
                span = best_span(
                    start_logits[offset],
                    end_logits[offset],
                    windows.context_offsets[row, :length],
                    max_answer_tokens,
                    windows.continuation[row, :length],
                )
                pair = int(windows.pair_index[row])
                if span is not None and (pair not in best or span.score > best[pair][0]):
                    best[pair] = (span.score, examples[pair].context[span.start : span.end])
    model.train()
    predictions = [best.get(index, (0.0, ""))[1] for index in range(len(examples))]
    em = sum(exact_match(p, e.answers) for p, e in zip(predictions, examples, strict=True)) / len(examples)
    f1 = sum(f1_score(p, e.answers) for p, e in zip(predictions, examples, strict=True)) / len(examples)
    return {"exact_match": 100 * em, "f1": 100 * f1}
