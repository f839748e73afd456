"""Helpers shared by the speed benchmarks: data files, memory, percentiles, child processes.

Each benchmark measures every option in a child process of its own (``--one NAME``), so
peak RSS is the option's own and one option's threads never slow the next one down.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHARED = Path(os.environ.get("RAG_SHARED_DIR") or ROOT.parent / "shared")
PART_A = SHARED / "eval" / "squad-v1.1-dev-part-a.json"
TRAIN_SUBSET = SHARED / "train" / "squad-v1.1-train-subset.json"
CACHE = ROOT / "benchmarks" / ".cache"
RESULTS = ROOT / "benchmarks" / "results"
MISSING_EXIT_CODE = 3


class MissingData(RuntimeError):
    """A SQuAD file the benchmark reads is not there."""


def require(path: Path) -> Path:
    """``path`` if it exists, else MissingData naming it (the benchmark then says it skipped)."""
    if not path.is_file():
        raise MissingData(f"{path} is missing (SQuAD files live in ../shared; set RAG_SHARED_DIR)")
    return path


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    ``VmHWM``, not ``getrusage``'s ``ru_maxrss``: the latter survives ``exec`` and so
    reports the parent's size in a child.
    """
    return _status_mb("VmHWM")


def current_rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    return _status_mb("VmRSS")


def milliseconds(seconds: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / mean of ``seconds`` in milliseconds (at least one value)."""
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 2),
        "p95_ms": round(1000 * p95, 2),
        "mean_ms": round(1000 * statistics.fmean(ordered), 2),
        "count": len(ordered),
    }


@dataclass
class Stopwatch:
    """``with Stopwatch() as watch: ...``; then ``watch.seconds`` (wall clock) and
    ``watch.cpu_seconds`` (CPU time of every thread of this process: less sensitive to
    other processes on a shared machine, but it counts threads spinning while they wait)."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        self._cpu_start = time.process_time()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.seconds = time.perf_counter() - self._start
        self.cpu_seconds = time.process_time() - self._cpu_start


def machine() -> dict[str, object]:
    """What the figures were measured on, and how busy it was."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )

    def package(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "absent"

    return {
        "date": time.strftime("%Y-%m-%d"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "torch": package("torch"),
        "sentence-transformers": package("sentence-transformers"),
        "onnxruntime": package("onnxruntime"),
        "faiss-cpu": package("faiss-cpu"),
    }


def run_child(
    script: Path, arguments: Sequence[str], timeout: float, show_stderr: bool = False
) -> dict[str, object]:
    """Run ``script --one ...`` in a fresh interpreter; its last stdout line is a JSON object.
    ``show_stderr``: the child's stderr (its progress) goes to ours as it comes, not into the error."""
    command = [sys.executable, str(script), *arguments]
    started = time.perf_counter()
    completed = subprocess.run(
        command,
        stdout=subprocess.PIPE,
        stderr=None if show_stderr else subprocess.PIPE,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({completed.returncode}):\n{(completed.stderr or '')[-3000:]}"
        )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["child_seconds"] = round(time.perf_counter() - started, 1)
    return result


def emit(result: dict[str, object]) -> None:
    """Print a child's result as the one JSON line its parent reads."""
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(json.dumps(result), flush=True)


def save_result(name: str, result: dict[str, object], quick: bool = False) -> Path:
    """Write ``benchmarks/results/<name>.json`` (read by run_all.py to refresh the README);
    quick runs go to ``benchmarks/.cache/results`` instead, out of git and out of the table."""
    folder = CACHE / "results" if quick else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return path
