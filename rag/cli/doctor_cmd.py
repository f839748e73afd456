"""``rag doctor [--json] [--index DIR]``: what this install runs on, to paste into a bug report.

Loads no model: versions, the CPU features that pick ONNX Runtime's integer kernels, the
weight format the int8 models run with here, where the models are, what the index recorded.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGES = (
    "onnxruntime",
    "onnx",
    "torch",
    "numpy",
    "sentence-transformers",
    "transformers",
    "faiss-cpu",
    "bm25s",
)
HASH_PREFIX = 16


def register(subparsers) -> None:  # type: ignore[no-untyped-def]
    parser = subparsers.add_parser(
        "doctor", help="show versions, CPU kernels and model files (for bug reports)"
    )
    parser.add_argument(
        "--index", default=None, help="index folder to describe (default: $RAG_INDEX_DIR or indexes/default)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _file(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {"path": str(path), "present": False}
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_PREFIX]
    return {"path": str(path), "present": True, "bytes": path.stat().st_size, "sha256": digest}


def report(index_dir: Path) -> dict[str, object]:
    """Everything ``rag doctor`` prints, as one JSON-ready dict."""
    import rag
    from rag.embed import default_backend
    from rag.embed.onnx_export import cached_model_path
    from rag.index.store import IndexError_, snapshot_path
    from rag.int8 import kernel_report, signed_products_exact
    from rag.reader.artifacts import DEFAULT_MODEL_DIR, ONNX_FILE

    backend = default_backend()
    embedding: dict[str, object] = {"backend": backend}
    if backend.startswith("onnx"):
        export = cached_model_path("int8" if backend == "onnx-int8" else "none")
        embedding["onnx_export"] = {"path": str(export), "present": export.is_file()}
    index: dict[str, object] = {"path": str(index_dir), "present": False}
    try:
        manifest_path = snapshot_path(index_dir) / "manifest.json"
    except IndexError_ as error:  # missing or damaged: say so, doctor itself must not fail
        index["error"] = str(error)
    else:
        index["present"] = True
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            index.update(
                format_version=manifest.get("format_version"),
                model=manifest.get("model"),
                built_with=manifest.get("runtime", "not recorded (written before rag doctor existed)"),
                articles=manifest.get("counts", {}).get("articles"),
            )
        except (OSError, ValueError) as error:
            index["error"] = f"unreadable manifest: {error}"
    return {
        "rag": rag.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "int8": {**kernel_report().to_dict(), "u8s8_products_exact": signed_products_exact()},
        "packages": {name: _version(name) for name in PACKAGES},
        "embedding": embedding,
        "reader": _file(DEFAULT_MODEL_DIR / ONNX_FILE),
        "index": index,
    }


def _print(value: object, indent: int = 0) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict):
                print(" " * indent + f"{key}:")
                _print(item, indent + 2)
            else:
                shown = ", ".join(map(str, item)) if isinstance(item, list) else item
                print(" " * indent + f"{key}: {shown}")


def run(args) -> int:  # type: ignore[no-untyped-def]
    from rag.config import default_index_dir

    index_dir = Path(args.index) if args.index else default_index_dir()
    described = report(index_dir)
    if args.json:
        print(json.dumps(described, ensure_ascii=False))
    else:
        _print(described)
    sys.stdout.flush()
    return 0


def version_line() -> str:
    """``rag --version``: the package, ONNX Runtime and the int8 kernels of this CPU."""
    import rag
    from rag.int8 import kernel_report

    kernels = kernel_report()
    return (
        f"rag-news {rag.__version__} (python {platform.python_version()}, onnxruntime {_version('onnxruntime')}, "
        f"int8 kernel {kernels.int8_kernel}, weights {kernels.int8_weights})"
    )
