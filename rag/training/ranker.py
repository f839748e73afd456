"""Refit ``rag/qa/model.json`` (sentence ranker, confidence, span scorer): ``rag train ranker``
(module entry ``python -m rag.training.ranker``).

Two steps: collect the records (``rag.training.ranker_records``: ``--limit`` SQuAD train
questions, each ranked with an all-zero model against its shard of ``--shard-titles`` pages, its
candidates' features and labels; cached in a folder named by the train file, sample, shard size,
embedding backend and feature names), then fit from them alone
(``rag.training.ranker_fit``), so a refit from the same records writes a byte-identical file.
Finally dev part A is answered with the new model and a report printed
(``rag.training.ranker_check``; ``--no-check`` skips it).

Usage::

    rag train ranker                        # the shipped fit: about 35 minutes on 2 cores cold
    rag train ranker --limit 2000           # quicker, fewer train questions
    rag train ranker --out /tmp/model.json --no-check

Records are reused while their folder exists: after changing how a feature is computed (not only
its name), collect them again with ``--recollect``. Needs ``../shared/train`` and ``../shared/eval``
(SQuAD v1.1, CC BY-SA 4.0).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from rag.qa.calibration import CONFIDENCE_FEATURES
from rag.qa.features import FEATURE_NAMES
from rag.qa.model import MODEL_PATH, QAModel, read_model
from rag.qa.spans import SPAN_FEATURE_NAMES
from rag.training.paths import DEFAULT_CACHE_DIR, DEV_PART_A, TRAIN_FULL, digest, require_file
from rag.training.ranker_fit import fit_qa_model
from rag.training.ranker_records import SEED, TRAIN_K, collect_ranker_records, read_ranker_records

log = logging.getLogger(__name__)

#: Train questions sampled (``--limit``; the shipped fit's).
DEFAULT_LIMIT = 30000
#: SQuAD pages per training corpus (``--shard-titles``; 0 asks every question of the whole file):
#: about the size of a user's pile of articles. The shipped fit's; against the whole file's
#: 18,891 paragraphs as one corpus, part-A ranker top-1/3/8 .803/.928/.973 against .799/.924/.971.
DEFAULT_SHARD_TITLES = 40

DESCRIPTION = "Refit rag/qa/model.json (sentence ranker, confidence, span scorer) on SQuAD train."
TRAIN_FILE_ROLE = "the SQuAD train file the records are collected from"
#: The files of a records folder, in the order their bytes enter ``records_digest``.
RECORD_FILES = (
    "manifest.json",
    "questions.json",
    "candidate_features.npy",
    "candidate_labels.npy",
    "span_features.npy",
    "span_labels.npy",
)


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The options of ``rag train ranker``, added to ``parser`` or to a new one."""
    parser = parser or argparse.ArgumentParser(prog="python -m rag.training.ranker", description=DESCRIPTION)
    parser.add_argument("--train", type=Path, default=TRAIN_FULL, help="SQuAD v1.1 train JSON")
    parser.add_argument("--eval", type=Path, default=DEV_PART_A, help="SQuAD part-A JSON for the check")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="model file to write (default: shipped)")
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE_DIR, help="folder of embedding vectors and records"
    )
    parser.add_argument("--records", type=Path, help="records folder (default: in --cache, named by inputs)")
    parser.add_argument(
        "--recollect", action="store_true", help="collect the records again, replacing the folder"
    )
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="train questions to use (0: all)")
    parser.add_argument(
        "--shard-titles",
        type=int,
        default=DEFAULT_SHARD_TITLES,
        help="ask each question of a corpus of this many SQuAD pages (the size of a user's pile "
        "of articles) instead of the whole train file (0)",
    )
    parser.add_argument("--eval-limit", type=int, help="part-A questions to check on (default: all)")
    parser.add_argument("--no-check", action="store_true", help="skip the part-A check")
    parser.add_argument(
        "--spans-only",
        type=Path,
        metavar="MODEL",
        help="refit only the span scorer, keeping the rest of MODEL",
    )
    return parser


def default_records_dir(
    cache_dir: Path, train_file: Path, limit: int | None, backend: str, shard_titles: int = 0
) -> Path:
    """``<cache_dir>/ranker-records-<digest>``: the digest covers the train file's bytes, the sample,
    the shard size, the embedding backend and the feature names, so other inputs get other records."""
    key = digest(
        train_file,
        str(limit or "all"),
        *((f"shards of {shard_titles}",) if shard_titles else ()),
        backend,
        str(TRAIN_K),
        ",".join(FEATURE_NAMES),
        ",".join(CONFIDENCE_FEATURES),
        ",".join(SPAN_FEATURE_NAMES),
    )
    return cache_dir / f"ranker-records-{key}"


def records_digest(folder: Path) -> str:
    """A digest of a records folder's contents (stored in the model's ``info``)."""
    return digest(*(folder / name for name in RECORD_FILES))


def collect_records(
    train_file: Path, folder: Path, cache_dir: Path, limit: int | None, shard_titles: int = 0
) -> Path:
    """Collect the records of ``train_file`` (``limit`` questions sampled with the fixed seed, each
    asked of its shard of ``shard_titles`` pages, or of the whole file when 0) into ``folder``,
    embedding with the product's default backend (vectors cached in ``cache_dir``)."""
    from rag.embed import get_embedder
    from rag.eval.squad import load_squad
    from rag.training.vectors import backend_cache

    embedder = backend_cache(cache_dir)
    train = load_squad(train_file)
    questions = list(train.questions)
    if limit:
        questions = random.Random(SEED).sample(questions, min(limit, len(questions)))
    info = {"train_file": train_file.name, "embedding_backend": get_embedder().backend}
    return collect_ranker_records(train, questions, embedder, info, shard_titles).save(folder)


def fit_from_records(folder: Path, out: Path, keep: QAModel | None = None) -> QAModel:
    """Fit the model from the records in ``folder`` and write it to ``out``.

    Example:
        >>> records = DEFAULT_CACHE_DIR / "ranker-records-0123456789ab"
        >>> fit_from_records(records, Path("/tmp/model.json")).info["fitted_by"]  # doctest: +SKIP
        'rag train ranker'

    Raises:
        FileNotFoundError, ValueError: no usable records in ``folder`` (see ``read_ranker_records``).
    """
    model = fit_qa_model(read_ranker_records(folder), keep=keep)
    model = replace(model, info={**model.info, "records_digest": records_digest(folder)})
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    return model


def run(args: argparse.Namespace) -> int:
    """Collect the records if needed, fit, write ``--out``, then check on part A unless ``--no-check``.

    Raises:
        FileNotFoundError: the train file is missing when records must be collected, or the
            part-A file when checking.
    """
    folder = args.records
    if folder is None:
        from rag.embed import get_embedder

        require_file(args.train, TRAIN_FILE_ROLE)
        folder = default_records_dir(
            args.cache, args.train, args.limit, get_embedder().backend, args.shard_titles
        )
    if args.recollect or not (folder / "manifest.json").is_file():
        require_file(args.train, TRAIN_FILE_ROLE)
        log.info("collecting ranker records into %s", folder)
        collect_records(args.train, folder, args.cache, args.limit, args.shard_titles)
    else:
        log.info("reading ranker records from %s", folder)
    keep = read_model(args.spans_only) if args.spans_only else None
    model = fit_from_records(folder, args.out, keep)
    print(f"wrote {args.out} (records {folder})")
    if not args.no_check:
        from rag.eval.squad import load_squad
        from rag.training.ranker_check import check_on_part_a
        from rag.training.vectors import backend_cache

        dev = load_squad(require_file(args.eval, "SQuAD dev part A, for the check"))
        embedder = backend_cache(args.cache)
        report = check_on_part_a(model, dev, embedder, args.eval_limit)
        embedder.save()
        print(json.dumps(report, indent=1))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rag.training.ranker [options]``."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
