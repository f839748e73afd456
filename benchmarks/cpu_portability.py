"""Embedding agreement across backends and CPUs (issue 16): cosine of each backend to float32 torch.

    .venv/bin/python benchmarks/cpu_portability.py vectors torch            # the reference
    .venv/bin/python benchmarks/cpu_portability.py vectors onnx-int8
    RAG_INT8_WEIGHTS=u8u8 .venv/bin/python benchmarks/cpu_portability.py vectors onnx-int8 --name onnx-int8-u8u8
    qemu-x86_64 -cpu EPYC-Milan .venv/bin/python benchmarks/cpu_portability.py vectors onnx-int8 --name avx2
    .venv/bin/python benchmarks/cpu_portability.py compare torch onnx-int8 onnx-int8-u8u8 avx2

The texts are those of the quantization study in README.md ("Speed"): every seed sentence,
300 part-A questions (seed 0) and the first 100 part-A paragraphs, each embedded alone. Vectors
go to ``benchmarks/.cache/portability/NAME.npy`` with the kernels they were computed with.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from speed_common import CACHE, PART_A, ROOT, require  # noqa: I001  (puts the project on sys.path)

OUT = CACHE / "portability"
QUESTIONS = 300
PARAGRAPHS = 100


def texts() -> dict[str, list[str]]:
    """The three groups of texts, in a fixed order."""
    from rag import load_articles
    from rag.chunk import split_sentences
    from rag.eval.squad import load_squad, sample_questions

    seeds = load_articles([ROOT / "seeds"]).articles
    squad = load_squad(require(PART_A))
    return {
        "seed sentences": [a.text[s.start : s.end] for a in seeds for s in split_sentences(a.text)],
        "part-A questions": [q.question for q in sample_questions(squad.questions, limit=QUESTIONS)],
        "part-A paragraphs": [a.text for a in squad.articles[:PARAGRAPHS]],
    }


def vectors(backend: str, name: str) -> None:
    from rag.embed import make_embedder
    from rag.int8 import kernel_report

    embedder = make_embedder(backend)
    groups = texts()
    OUT.mkdir(parents=True, exist_ok=True)
    every = [text for group in groups.values() for text in group]
    np.save(OUT / f"{name}.npy", np.stack([embedder.encode([text])[0] for text in every]))
    described = {
        "backend": backend,
        "groups": {k: len(v) for k, v in groups.items()},
        **kernel_report().to_dict(),
    }
    (OUT / f"{name}.json").write_text(json.dumps(described, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(described))


def compare(reference: str, names: list[str]) -> None:
    sizes = json.loads((OUT / f"{reference}.json").read_text(encoding="utf-8"))["groups"]
    base = np.load(OUT / f"{reference}.npy")
    print(
        "| vectors | kernel, weights | "
        + " | ".join(f"{g} ({n}) mean / min" for g, n in sizes.items())
        + " |"
    )
    print("|---" * (len(sizes) + 2) + "|")
    for name in names:
        info = json.loads((OUT / f"{name}.json").read_text(encoding="utf-8"))
        other = np.load(OUT / f"{name}.npy")
        cosines = (other * base).sum(axis=1) / (np.linalg.norm(other, axis=1) * np.linalg.norm(base, axis=1))
        cells, begin = [], 0
        for size in sizes.values():
            part = cosines[begin : begin + size]
            cells.append(f"{part.mean():.4f} / {part.min():.4f}")
            begin += size
        kernels = f"{info['int8_kernel']}, {info['int8_weights']}" if info["backend"] == "onnx-int8" else "—"
        print(f"| {name} | {kernels} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("vectors", help="embed the texts with one backend")
    make.add_argument("backend")
    make.add_argument("--name", help="file name (default: the backend)")
    check = commands.add_parser("compare", help="cosine of each saved set to the first one")
    check.add_argument("reference")
    check.add_argument("names", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "vectors":
        vectors(args.backend, args.name or args.backend)
    else:
        compare(args.reference, args.names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
