"""What the product computes on this CPU, as one JSON line: run natively and under an emulator.

``python tests/cpu_probe.py SEEDS_DIR OUT_DIR`` builds an index of ``SEEDS_DIR`` in ``OUT_DIR``,
asks the seed questions, embeds the seed sentences with the int8 embedder, saves those vectors
to ``OUT_DIR/vectors.npy`` and prints the kernels it ran with and the answers.
``test_cpu_emulation.py`` compares a native run with one under ``qemu-x86_64 -cpu EPYC-Milan``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

QUESTIONS = (
    "Who did Wang Yi meet in Pyongyang?",
    "What did the US accuse China of in May?",
    "When is China's National Day?",
    "What is the capital of Canada?",
)
SENTENCES_PER_ARTICLE = 10


def main(seeds: Path, out: Path) -> dict[str, object]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import numpy as np

    import rag
    from rag.chunk import split_sentences
    from rag.embed import OnnxEmbedder
    from rag.int8 import kernel_report

    index = rag.build_index([seeds], out / "index", embedder=OnnxEmbedder(quantization="int8"))
    answers = []
    for question in QUESTIONS:
        answer = rag.ask(question, index=index)
        answers.append(
            {"question": question, "found": answer.found, "text": answer.text, "score": answer.score}
        )
    texts = [
        article.text[span.start : span.end]
        for article in rag.load_articles([seeds]).articles
        for span in split_sentences(article.text)[:SENTENCES_PER_ARTICLE]
    ]
    np.save(out / "vectors.npy", OnnxEmbedder(quantization="int8").encode([*texts, *QUESTIONS]))
    from rag.int8 import signed_products_exact

    return {"kernels": kernel_report().to_dict(), "u8s8_exact": signed_products_exact(), "answers": answers}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))
