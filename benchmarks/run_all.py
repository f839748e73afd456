"""``make bench``: run the speed benchmarks, then refresh the "Speed" section of benchmarks/README.md.

Runs ``bench_indexing.py``, ``bench_query.py``, ``bench_coldstart.py`` and ``bench_milvus.py`` one after the
other (each writes ``benchmarks/results/<name>.json``), then rewrites the README section
from those files. A benchmark whose SQuAD files are missing says so and is skipped; the
table then keeps the other results.

Not part of it: ``bench_milvus.py --scale`` (``make bench-scale``), 1,000,000 synthetic chunks on
Milvus Lite next to the local 100k index, which takes hours; it writes
``benchmarks/results/bench_milvus_scale.json`` and leaves the README to be edited by hand.

Usage::

    .venv/bin/python benchmarks/run_all.py            # the full suite (under 15 minutes)
    .venv/bin/python benchmarks/run_all.py --quick    # fewer questions and paragraphs
    .venv/bin/python benchmarks/run_all.py --report   # only re-render the README section
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from speed_common import MISSING_EXIT_CODE, ROOT
from speed_report import refresh

BENCHMARKS = ("bench_indexing.py", "bench_query.py", "bench_coldstart.py", "bench_milvus.py")
QUICK_SUPPORTED = {"bench_indexing.py", "bench_query.py", "bench_milvus.py"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller runs (results kept in benchmarks/.cache/results, README untouched)",
    )
    parser.add_argument(
        "--report", action="store_true", help="only re-render the README section from saved results"
    )
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, help="run only these benchmarks")
    args = parser.parse_args()
    failed = []
    if not args.report:
        for script in args.only or BENCHMARKS:
            started = time.perf_counter()
            command = [sys.executable, str(Path(__file__).parent / script)]
            if args.quick and script in QUICK_SUPPORTED:
                command.append("--quick")
            print(f"== {script}", file=sys.stderr, flush=True)
            code = subprocess.run(command, cwd=ROOT).returncode
            print(
                f"== {script}: exit {code} after {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
                flush=True,
            )
            if code == MISSING_EXIT_CODE:
                continue
            if code != 0:
                failed.append(script)
    if not args.quick:
        print(f"refreshed {refresh('make bench')}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
