"""Cold start: ``make run`` to the first answered question, with a persisted index.

The seed index is built first (not timed) in a folder of its own. Then the clock starts
and ``make -o .venv/.installed run`` is launched with ``RAG_INDEX_DIR`` set to that folder
and a free ``RAG_PORT``: ``make run`` exactly, minus its one-time ``pip install`` step
(``-o`` marks the install stamp as done). It runs ``rag index seeds/ --if-stale``, then
``app.py``. The clock stops when the app's ``/ask`` endpoint has returned an answer
(polled with ``gradio_client`` every ``POLL_SECONDS``). Measured ``RUNS`` times.

Usage::

    .venv/bin/python benchmarks/bench_coldstart.py
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from speed_common import ROOT, machine, save_result

RUNS = 3
QUESTION = "When is China's National Day?"
POLL_SECONDS = 0.1
START_TIMEOUT_SECONDS = 300
STOP_TIMEOUT_SECONDS = 10


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def prepare_index(folder: Path) -> None:
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "rag"), "index", "seeds/", "--index", str(folder)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def one_cold_start(index_dir: Path, work: Path) -> dict[str, object]:
    from gradio_client import Client  # imported before the clock starts

    port = free_port()
    env = {
        **os.environ,
        "RAG_INDEX_DIR": str(index_dir),
        "RAG_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "GRADIO_TEMP_DIR": str(work / "gradio-tmp"),
        "HF_HUB_OFFLINE": "1",
    }
    env.pop("RAG_HOST", None)
    log_path = work / f"app-{port}.log"
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            ["make", "--no-print-directory", "-o", ".venv/.installed", "run"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            while not port_open(port):
                if process.poll() is not None:
                    raise RuntimeError(
                        f"make run exited with {process.returncode}:\n{log_path.read_text()[-3000:]}"
                    )
                if time.perf_counter() - started > START_TIMEOUT_SECONDS:
                    raise RuntimeError(
                        f"not listening after {START_TIMEOUT_SECONDS}s:\n{log_path.read_text()[-3000:]}"
                    )
                time.sleep(POLL_SECONDS)
            listening = time.perf_counter() - started
            reply = Client(f"http://127.0.0.1:{port}", verbose=False).predict(QUESTION, api_name="/ask")
            answered = time.perf_counter() - started
        finally:
            os.killpg(process.pid, signal.SIGTERM)  # make, rag and app.py: the group we started
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    answer = json.loads(reply) if isinstance(reply, str) else reply
    return {
        "listening_seconds": round(listening, 2),
        "first_answer_seconds": round(answered, 2),
        "answer": answer.get("text") if isinstance(answer, dict) else str(answer)[:200],
    }


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="rag-coldstart-") as scratch:
        work = Path(scratch)
        index_dir = work / "index"
        prepare_index(index_dir)
        runs = []
        for number in range(RUNS):
            runs.append(one_cold_start(index_dir, work))
            print(f"bench_coldstart: run {number + 1}: {json.dumps(runs[-1])}", file=sys.stderr, flush=True)
    seconds = [float(run["first_answer_seconds"]) for run in runs]
    result = {
        "benchmark": "coldstart",
        "machine": machine(),
        "command": "make -o .venv/.installed run (RAG_INDEX_DIR=<persisted seed index>)",
        "question": QUESTION,
        "runs": runs,
        "first_answer_median_seconds": round(statistics.median(seconds), 2),
    }
    print(f"wrote {save_result('coldstart', result)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
