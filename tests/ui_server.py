"""Start ``python app.py`` on a free port in a subprocess, with its own index folder (for UI tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 180  # first start builds the seed index and may load the model
STOP_TIMEOUT_SECONDS = 10
POLL_SECONDS = 0.5


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def running_app(work_dir: Path, args: Sequence[str] = ()) -> Iterator[tuple[str, Path]]:
    """Yield ``(url, index_dir)`` of a fresh app whose index lives under ``work_dir``.

    ``args`` go to ``rag serve`` after ``--port`` (``--feed URL``...).

    Everything the app writes (index, uploads, Gradio's temp files, its log) stays in
    ``work_dir``; the process is stopped on exit.
    """
    index_dir = work_dir / "index"
    port = free_port()
    env = {
        **os.environ,
        "RAG_INDEX_DIR": str(index_dir),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "GRADIO_TEMP_DIR": str(work_dir / "gradio-tmp"),
        "HF_HUB_OFFLINE": "1",
    }
    env.pop("RAG_HOST", None)
    env.pop("RAG_PORT", None)
    log_path = work_dir / "app.log"
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "app.py"), "--port", str(port), *args],
            cwd=work_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while not _up(url):
                if process.poll() is not None:
                    raise RuntimeError(
                        f"app exited with {process.returncode}:\n{log_path.read_text()[-3000:]}"
                    )
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"app not up after {START_TIMEOUT_SECONDS}s:\n{log_path.read_text()[-3000:]}"
                    )
                time.sleep(POLL_SECONDS)
            yield url, index_dir
        finally:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
